"""``make html``: the prepared book through Pandoc and the Lua filters into a website.

After the shared stages (:mod:`bookbuild.render.book`), each selected chapter is
rendered by Pandoc with the HTML filters, wrapped in the site's page shell, and
written atomically with its figures and images; then the assets, the search
index and (if no chapter is the site's index) a landing page.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..cache import Cache
from ..check import LoadedChapter, default_workers
from ..diagnostics import Diagnostic, error, plural
from ..execute import ExecutedChapter
from ..files import copy_atomic, write_atomic
from ..ledger import LedgerEntry, chapter_ledger, ledger_json, load_ledger
from ..limits import book_limits
from ..project import Book
from ..references import is_local_path
from . import latex_setup, site, theme
from .book import Build, citation_style, cited_keys, default_echo, filter_data, page_of, parallel, prepare_book, progress, render_chapter
from .site import ChapterPage
from .markdown import TIKZ_INFO, AssemblyInputs
from .pandoc import PandocError
from .tikz import TikzError, compile_all

HTML_FILTERS = ["conditional", "crossref", "citeproc", "latex-commands", "callouts", "layout"]
BODY_MARKER = "<!-- bookbuild:body -->"
PARTS_TEMPLATE = f"$if(toc)$$table-of-contents$$endif$\n{BODY_MARKER}\n$body$\n"
FIG_LABEL_BEFORE = re.compile(r"\{#(fig-[^\s}]+)[^}]*\}\s*$")


@dataclass
class HtmlBuild(Build):
    """What an HTML build did: the pages it wrote, besides what every build reports."""

    pages: list[str] = field(default_factory=list)


def files_dir(page: str) -> str:
    """Where a page's generated files (figures) go, beside it."""
    return posixpath.splitext(page)[0] + "_files"


def build_html(book: Book, out_dir: Path, cache_dir: Path, names: list[str] | None = None, *,
               engine: str = "inprocess", timeout: float | None = None, workers: int | None = None,
               log: TextIO = sys.stderr) -> HtmlBuild:
    """Build the site (or just the named chapters' pages) into ``out_dir``."""
    started = time.perf_counter()
    workers = workers or default_workers()
    say = progress(log)

    limit = book_limits(book, timeout).timeout

    def write_figures(loaded: LoadedChapter, executed: ExecutedChapter, problems: list[Diagnostic]) -> AssemblyInputs:
        return _figures(book, loaded, executed, out_dir, cache_dir, workers, limit, problems)

    cache = Cache(cache_dir)
    prepared = prepare_book(book, names, write_figures, output_format="html", cache=cache, engine=engine,
                            timeout=timeout, workers=workers, log=log)
    build = HtmlBuild(out_dir, prepared, cache=cache)
    jobs = prepared.rendered()
    say(f"rendering {plural(len(jobs), 'page')}…")
    rendered = parallel(workers, [
        lambda j=j: _render_chapter(book, j[0], j[1], j[2],
                                    filter_data(j[2].page, j[3], prepared.targets, referenced=cited_keys(j[1])), cache)
        for j in jobs])

    for (loaded, _, page, _), result in zip(jobs, rendered):
        if isinstance(result, PandocError):
            build.diagnostics.append(error("pandoc", loaded.shown, 1, f"pandoc failed: {result}"))
            continue
        body, toc = result
        entries = chapter_ledger(prepared.executed[loaded.chapter.path])
        article = body + site.provenance_script(entries)
        write_atomic(out_dir / page.page, site.page_html(book_title=book.title, page=page.page, title=page.title,
                                                         entries=prepared.pages, article=article, toc=toc))
        _copy_images(loaded, out_dir, page.page)
        write_atomic(_page_record(cache_dir, "search", page), json.dumps(site.search_entries(page.page, page.title, body)))
        write_atomic(_page_record(cache_dir, "ledger", page), ledger_json(entries))
        build.pages.append(page.page)

    _write_site_files(book, prepared.pages, out_dir, cache_dir)
    build.seconds = time.perf_counter() - started
    return build


def _render_chapter(book: Book, loaded: LoadedChapter, ast: dict[str, Any], page: ChapterPage,
                    data: dict[str, Any], cache: Cache) -> tuple[str, str] | PandocError:
    """The chapter's article HTML and table of contents, from Pandoc or the cache."""
    options = ["--to", "html5", "--toc", "--toc-depth=3", "--mathml", "--wrap=none",
               "--metadata", "reference-section-title=References", "--metadata", f"pagetitle={page.title}"]
    try:
        output = render_chapter("pandoc-html", ast, data, template=PARTS_TEMPLATE, filters=HTML_FILTERS, options=options,
                                bibliographies=[(book.root / bib).resolve() for bib in book.bibliography],
                                folder=loaded.file.parent, cache=cache, csl=citation_style(book, "html"))
    except PandocError as exc:
        return exc
    toc, _, body = output.partition(BODY_MARKER)
    return body.strip(), toc.replace('class="header-section-number"', 'class="toc-section-number"').strip()


def _figures(book: Book, loaded: LoadedChapter, executed: ExecutedChapter, out_dir: Path, cache_dir: Path,
             workers: int, timeout: float, problems: list[Diagnostic]) -> AssemblyInputs:
    """Write the chapter's matplotlib figures and compile its TikZ blocks to SVG (each within
    ``timeout`` seconds); return their URLs."""
    page = page_of(loaded.entry.path)
    folder = files_dir(page)
    rel_folder = posixpath.basename(folder)
    figure_paths = {}
    for cell in executed.cells:
        for figure in cell.figures:
            if figure.svg is None:
                continue
            cell_info = loaded.chapter.cells[cell.index]
            name = f"{cell_info.label or f'cell-{cell.index + 1}'}-{figure.number}.svg"
            write_atomic(out_dir / folder / name, figure.svg)
            figure_paths[(cell.index, figure.number)] = f"{rel_folder}/{name}"
    blocks = [b for b in loaded.chapter.blocks if TIKZ_INFO.match(b.info)]
    tikz_paths: dict[int, str | None] = {}
    if blocks:
        _ensure_tex_for_tikz()
        results = compile_all([b.code for b in blocks], cache_dir / "tikz", workers=workers, timeout=timeout)
        for block, result in zip(blocks, results):
            if isinstance(result, TikzError):
                label = figure_label_before(loaded.chapter.text, block.span.start)
                problems.append(error("tikz-failed", loaded.shown, block.line,
                                      f"TikZ figure {label or '(unlabelled)'} failed to compile: {result.message}",
                                      detail=result.log_excerpt, hint="fix the TikZ code; the LaTeX log excerpt above shows where"))
                tikz_paths[block.span.start] = None
            else:
                name = result.name if result.name.startswith("tikz") else f"tikz-{result.name}"
                copy_atomic(result, out_dir / folder / name)
                tikz_paths[block.span.start] = f"{rel_folder}/{name}"
    return AssemblyInputs(figure_paths, tikz_paths, echo=default_echo(book, loaded), output_format="html",
                          mark_values=True)


@functools.lru_cache(maxsize=1)
def _ensure_tex_for_tikz() -> None:
    """Install what TikZ needs when it is missing and we may (root, apt-get); once per build.

    Anything still missing shows up as each figure's error, naming the package.
    """
    missing = latex_setup.ensure(sys.stderr, requirements=latex_setup.TIKZ_REQUIREMENTS, purpose="TikZ figures")
    if missing:
        sys.stderr.write(f"  TikZ figures need: {latex_setup.install_command(missing)}\n")


def figure_label_before(text: str, offset: int) -> str | None:
    """The ``#fig-…`` label of the div a fenced block sits in (the line just above it)."""
    head = text[:offset].rstrip("\n")
    last_line = head.rsplit("\n", 1)[-1]
    match = FIG_LABEL_BEFORE.search(last_line)
    return match.group(1) if match else None


def _copy_images(loaded: LoadedChapter, out_dir: Path, page: str) -> None:
    page_dir = posixpath.dirname(page)
    for image in loaded.scan.images:
        if not is_local_path(image.name):
            continue
        source = (loaded.file.parent / image.name).resolve()
        if source.is_file():
            copy_atomic(source, out_dir / page_dir / image.name)


def _page_record(cache_dir: Path, kind: str, page: ChapterPage) -> Path:
    """Where a page's search records or ledger are kept, so a one-chapter build can still
    write the whole book's search index and ledger."""
    return cache_dir / kind / (page.page.replace("/", "__") + ".json")


def _write_site_files(book: Book, pages: list[ChapterPage], out_dir: Path, cache_dir: Path) -> None:
    """Assets, the search index of every page built so far, and a landing page if needed."""
    for asset in theme.asset_files():
        copy_atomic(asset, out_dir / "assets" / asset.name)
    records: list[dict[str, str]] = []
    ledger: list[LedgerEntry] = []
    for page in pages:
        stored = _page_record(cache_dir, "search", page)
        if stored.is_file():
            records.extend(json.loads(stored.read_text(encoding="utf-8")))
        stored = _page_record(cache_dir, "ledger", page)
        if stored.is_file():
            ledger.extend(load_ledger(stored.read_text(encoding="utf-8")))
    write_atomic(out_dir / "search-index.js", site.search_index_js(records))
    write_atomic(out_dir / "values.json", ledger_json(ledger))
    if not any(p.page == "index.html" for p in pages):
        article = site.landing_article(book.title, book.subtitle, book.author, pages)
        write_atomic(out_dir / "index.html", site.page_html(book_title=book.title, page="index.html", title=book.title,
                                                            entries=pages, article=article, toc=""))
