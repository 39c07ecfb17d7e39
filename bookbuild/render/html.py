"""``make html``: the executed book through Pandoc and the Lua filters into a website.

Stages, in order: check (parse + execute + book checks) -> figures and TikZ ->
Markdown assembly -> Pandoc AST -> book-wide numbering -> Pandoc HTML with
filters -> site pages, search index, assets. Every chapter is parsed and numbered
so cross-references resolve; only the selected chapters execute and render.
"""

from __future__ import annotations

import json
import posixpath
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from ..check import CheckResult, LoadedChapter, check_book, default_workers
from ..diagnostics import Diagnostic, error, plural
from ..execute import ExecutedChapter
from ..files import copy_atomic, write_atomic
from ..project import Book
from ..references import is_local_path
from . import site, theme
from .markdown import TIKZ_INFO, AssemblyInputs, assemble
from .numbering import ChapterNumbers, Target, book_targets, number_chapter
from .pandoc import PandocError, filter_args, markdown_to_ast, run_pandoc
from .tikz import TikzError, compile_all

HTML_FILTERS = ["conditional", "crossref", "citeproc", "latex-commands", "callouts", "layout"]
BODY_MARKER = "<!-- bookbuild:body -->"
PARTS_TEMPLATE = f"$if(toc)$$table-of-contents$$endif$\n{BODY_MARKER}\n$body$\n"
FIG_LABEL_BEFORE = re.compile(r"\{#(fig-[^\s}]+)[^}]*\}\s*$")


@dataclass
class HtmlBuild:
    """What an HTML build did: pages written, diagnostics, time taken."""

    out_dir: Path
    pages: list[str] = field(default_factory=list)
    check: CheckResult | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0


def page_of(entry_path: str) -> str:
    """The site path of a chapter: its project path with ``.html``."""
    return posixpath.splitext(Path(entry_path).as_posix())[0] + ".html"


def files_dir(page: str) -> str:
    """Where a page's generated files (figures) go, beside it."""
    return posixpath.splitext(page)[0] + "_files"


def build_html(book: Book, out_dir: Path, cache_dir: Path, names: list[str] | None = None, *,
               engine: str = "inprocess", timeout: float = 120.0, workers: int | None = None,
               log: TextIO = sys.stderr) -> HtmlBuild:
    """Build the site (or just the named chapters' pages) into ``out_dir``."""
    started = time.perf_counter()
    workers = workers or default_workers()
    say = _progress(log)
    say("executing chapters…")
    checked = check_book(book, names, engine=engine, timeout=timeout, workers=workers)
    build = HtmlBuild(out_dir, check=checked)
    executed = {e.chapter.path: e for e in checked.executed}
    chapters = checked.chapters
    selected = [c for c in chapters if c.chapter.path in executed]

    say(f"compiling figures for {plural(len(selected), 'chapter')}…")
    inputs = {c.chapter.path: _figures(book, c, executed[c.chapter.path], out_dir, cache_dir, workers, build.diagnostics)
              for c in selected}
    markdown = {}
    for loaded in chapters:
        run = executed.get(loaded.chapter.path) or _unexecuted(loaded)
        markdown[loaded.chapter.path] = assemble(run, inputs.get(loaded.chapter.path, AssemblyInputs({}, {})))

    say("parsing with pandoc…")
    asts = _parallel(workers, [lambda c=c: markdown_to_ast(markdown[c.chapter.path], cwd=c.file.parent) for c in chapters])
    numbers = number_book(chapters, asts)
    entries = [site.SiteEntry(page_of(c.entry.path), n.title or c.entry.name, n.chapter, c.entry.part)
               for c, n in zip(chapters, numbers)]
    targets = book_targets([(e.page, n) for e, n in zip(entries, numbers)])

    say(f"rendering {plural(len(selected), 'page')}…")
    with tempfile.TemporaryDirectory(prefix="bookbuild-") as scratch:
        jobs = []
        for loaded, ast, entry, nums in zip(chapters, asts, entries, numbers):
            if loaded.chapter.path in executed:
                data_file = Path(scratch) / f"{len(jobs)}.json"
                data_file.write_text(json.dumps(filter_data(entry.page, nums, targets)), encoding="utf-8")
                jobs.append((loaded, ast, entry, data_file))
        rendered = _parallel(workers, [lambda j=j: _render_chapter(book, *j) for j in jobs])

    for (loaded, _, entry, _), result in zip(jobs, rendered):
        if isinstance(result, PandocError):
            build.diagnostics.append(error("pandoc", loaded.shown, 1, f"pandoc failed: {result}"))
            continue
        body, toc = result
        page_text = site.page_html(book_title=book.title, page=entry.page, title=entry.title, entries=entries,
                                   article=body, toc=toc)
        write_atomic(out_dir / entry.page, page_text)
        _copy_images(loaded, out_dir, entry.page)
        write_atomic(cache_dir / "search" / (entry.page.replace("/", "__") + ".json"),
                     json.dumps(site.search_entries(entry.page, entry.title, body)))
        build.pages.append(entry.page)

    _write_site_files(book, entries, out_dir, cache_dir)
    build.seconds = time.perf_counter() - started
    return build


def number_book(chapters: list[LoadedChapter], asts: list[dict[str, Any]]) -> list[ChapterNumbers]:
    """Chapter numbers in book order: a chapter whose title is ``.unnumbered`` takes none."""
    numbers, count = [], 0
    for ast in asts:
        first = next((b for b in ast.get("blocks", []) if b.get("t") == "Header" and b["c"][0] == 1), None)
        unnumbered = first is None or "unnumbered" in first["c"][1][1]
        if not unnumbered:
            count += 1
        numbers.append(number_chapter(ast, None if unnumbered else str(count)))
    return numbers


def filter_data(page: str, numbers: ChapterNumbers, targets: dict[str, Target]) -> dict[str, Any]:
    """What the Lua filters need for one page: header numbers, link targets, callout styles."""
    return {
        "page": page,
        "headers": numbers.headers,
        "targets": {label: {"kind": t.kind, "number": t.number, "text": t.text, "href": t.href_from(page), "page": t.page}
                    for label, t in targets.items()},
        "callouts": theme.callouts_json(),
        "stack_color": theme.palette().get("primary", "#A51C30"),
    }


def _render_chapter(book: Book, loaded: LoadedChapter, ast: dict[str, Any], entry: site.SiteEntry,
                    data_file: Path) -> tuple[str, str] | PandocError:
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False, encoding="utf-8") as template:
        template.write(PARTS_TEMPLATE)
    args = ["--from", "json", "--to", "html5", "--standalone", "--template", template.name, "--toc", "--toc-depth=3",
            "--mathml", "--wrap=none", "--metadata", f"bookbuild-data={data_file}", "--metadata", "link-citations=true",
            "--metadata", "reference-section-title=References", "--metadata", f"pagetitle={entry.title}"]
    for bib in book.bibliography:
        args += ["--bibliography", str((book.root / bib).resolve())]
    args += filter_args(HTML_FILTERS)
    try:
        output = run_pandoc(args, json.dumps(ast), cwd=loaded.file.parent)
    except PandocError as exc:
        return exc
    finally:
        Path(template.name).unlink(missing_ok=True)
    toc, _, body = output.partition(BODY_MARKER)
    toc = toc.replace('class="header-section-number"', 'class="toc-section-number"')
    return body.strip(), toc.strip()


def _figures(book: Book, loaded: LoadedChapter, executed: ExecutedChapter, out_dir: Path, cache_dir: Path, workers: int,
             problems: list[Diagnostic]) -> AssemblyInputs:
    """Write the chapter's matplotlib figures and compile its TikZ blocks; return their URLs."""
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
        results = compile_all([b.code for b in blocks], cache_dir / "tikz", workers=workers)
        for block, result in zip(blocks, results):
            if isinstance(result, TikzError):
                label = _figure_label_before(loaded.chapter.text, block.span.start)
                problems.append(error("tikz-failed", loaded.shown, block.line,
                                      f"TikZ figure {label or '(unlabelled)'} failed to compile: {result.message}",
                                      detail=result.log_excerpt, hint="fix the TikZ code; the LaTeX log excerpt above shows where"))
                tikz_paths[block.span.start] = None
            else:
                name = result.name if result.name.startswith("tikz") else f"tikz-{result.name}"
                copy_atomic(result, out_dir / folder / name)
                tikz_paths[block.span.start] = f"{rel_folder}/{name}"
    return AssemblyInputs(figure_paths, tikz_paths, echo=default_echo(book, loaded))


def default_echo(book: Book, loaded: LoadedChapter) -> bool:
    """Whether cells show their code unless they say otherwise: chapter, then book, then Quarto's default (yes)."""
    for execute in (loaded.chapter.front_matter.get("execute"), book.execute):
        if isinstance(execute, dict) and "echo" in execute:
            return execute["echo"] is True
    return True


def _unexecuted(loaded: LoadedChapter) -> ExecutedChapter:
    """A stand-in for a chapter that is not being rendered: numbering only needs its structure."""
    return ExecutedChapter(loaded.chapter, (), (), (), 0.0, "none")


def _figure_label_before(text: str, offset: int) -> str | None:
    """The ``#fig-…`` label of the div a TikZ block sits in (the line just above it)."""
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


def _write_site_files(book: Book, entries: list[site.SiteEntry], out_dir: Path, cache_dir: Path) -> None:
    """Assets, the search index of every page built so far, and a landing page if needed."""
    for asset in theme.asset_files():
        copy_atomic(asset, out_dir / "assets" / asset.name)
    records: list[dict[str, str]] = []
    for entry in entries:
        stored = cache_dir / "search" / (entry.page.replace("/", "__") + ".json")
        if stored.is_file():
            records.extend(json.loads(stored.read_text(encoding="utf-8")))
    write_atomic(out_dir / "search-index.js", site.search_index_js(records))
    if not any(e.page == "index.html" for e in entries):
        article = site.landing_article(book.title, book.subtitle, book.author, entries)
        write_atomic(out_dir / "index.html", site.page_html(book_title=book.title, page="index.html", title=book.title,
                                                            entries=entries, article=article, toc=""))


def _parallel(workers: int, tasks: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda task: task(), tasks))


def _progress(log: TextIO) -> Callable[[str], None]:
    def say(message: str) -> None:
        log.write(f"  {message}\n")
        log.flush()
    return say
