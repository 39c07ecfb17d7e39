"""``make html``: the prepared book through Pandoc and the Lua filters into a website.

After the shared stages (:mod:`bookbuild.render.book`), each selected chapter is
rendered by Pandoc with the HTML filters, wrapped in the site's page shell, and
written atomically with its figures and images; then the assets, the search
index and (if no chapter is the site's index) a landing page.
"""

from __future__ import annotations

import functools
import html
import json
import posixpath
import re
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from ..cache import Cache, digest, file_digest
from ..check import CheckResult, LoadedChapter, default_workers
from ..diagnostics import Diagnostic, error, plural
from ..language import Language, chapter_lang, chapter_language, lang_option
from ..pageoptions import DEFAULT_TOC_DEPTH, chapter_toc_depth, layout_json, toc_depth
from ..execute import ExecutedChapter
from ..ledger import chapter_ledger, joined_ledgers, ledger_json, ledger_rows
from ..limits import book_limits
from ..outputs import OutputFolder
from ..paths import outside_reason, resolved
from ..project import Book
from ..references import DEFAULT_IMAGE_EXTENSION, is_local_path, local_path, resolve_local, with_default_extension
from ..shortcodes import ShortcodeContext, expand_in_text, load_variables
from .. import useroptions
from . import chunks, latex_setup, scsstheme, site, theme, userfilters, userstyles
from .cellcode import quarto_code_divs
from .book import Build, PreparedBook, meta_flags, bibliography_files, citation_style, filter_data, page_of, parallel, prepare_book, progress, render_chapter
from .site import ChapterPage
from .links import LINKS, ChapterTarget, chapter_link_rewrite, chapter_targets
from .outline import ChapterAst
from .markdown import TIKZ_INFO, AssemblyInputs
from .pandoc import PandocError
from .tikz import TikzError, compile_all, unbalanced
from .tree import IMAGES, Rewrite, RewrittenTree, with_target
from .userfilters import FilterError

HTML_FILTERS = ["conditional", "codeescape", "list-table", "crossref", "citeproc", "latex-commands", "callouts", "layout", "floats",
                "titleblock"]
BODY_MARKER = "<!-- bookbuild:body -->"
PARTS_TEMPLATE = f"$if(toc)$$table-of-contents$$endif$\n{BODY_MARKER}\n$body$\n"
#: Cache stages of the records a page leaves for later one-chapter builds (search entries, value ledger).
PAGE_RECORDS = ("search", "ledger")
FIG_LABEL_BEFORE = re.compile(r"\{#(fig-[^\s}]+)[^}]*\}\s*$")
#: Pandoc's footnotes at the end of a page (``reference-location: document``), which Quarto heads "Footnotes".
FOOTNOTES_SECTION = re.compile(r'<section id="footnotes" class="footnotes footnotes-end-of-document"[^>]*>')
#: The code that makes a page's AST from the chapter's (:func:`page_ast`): part of its digest.
PAGE_AST_CODE = "".join(file_digest(Path(__file__).resolve().parent / name)
                        for name in ("html.py", "links.py", "site.py", "../references.py"))
SITE_CODE = file_digest(Path(__file__).resolve().parent / "site.py")  # what search records are made by
SEARCH_STAGE = "facts-search"
LEDGER_STAGE = "facts-ledger"
LEDGER_CODE = "".join(file_digest(Path(__file__).resolve().parents[1] / name) for name in ("ledger.py", "render/site.py"))
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")  # a figure's file name comes from its label: no folders in it


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
    output = OutputFolder(out_dir)
    limit = book_limits(book, timeout).timeout

    # A page's value ledger needs only its chapter's results: it is made in the background from when
    # they are known, while the Markdown is assembled and Pandoc reads it (a large chapter's takes seconds).
    background = ThreadPoolExecutor(max_workers=1)
    ledgers: dict[int, Future[tuple[str, str]]] = {}

    def write_figures(loaded: LoadedChapter, executed: ExecutedChapter, problems: list[Diagnostic]) -> AssemblyInputs:
        ledgers[id(executed)] = background.submit(_page_ledger, cache, executed)
        return _figures(book, loaded, executed, output, cache, workers, limit, problems)

    def figure_paths(loaded: LoadedChapter, executed: ExecutedChapter, problems: list[Diagnostic]) -> AssemblyInputs:
        return _figures(book, loaded, executed, output, cache, workers, limit, problems, write=False)

    cache = Cache(cache_dir, log=log)
    try:
        prepared = prepare_book(book, names, write_figures, output_format="html", cache=cache, engine=engine,
                                timeout=timeout, workers=workers, log=log, writable=(out_dir,), figure_paths=figure_paths)
        return _site(book, out_dir, names, prepared, output, cache, workers, log, started,
                     lambda executed: ledgers[id(executed)].result() if id(executed) in ledgers
                     else _page_ledger(cache, executed))
    finally:
        background.shutdown(wait=True)


def _site(book: Book, out_dir: Path, names: list[str] | None, prepared: PreparedBook, output: OutputFolder,
          cache: Cache, workers: int, log: TextIO, started: float,
          page_ledger: Callable[[ExecutedChapter], tuple[str, str]]) -> HtmlBuild:
    """The pages of a prepared book, its search index, ledger and assets (``page_ledger``: a chapter's ledger and script)."""
    say = progress(log)
    build = HtmlBuild(out_dir, prepared, cache=cache)
    theme_css, problems = scsstheme.write_theme(useroptions.theme(book)[0], out_dir)
    build.diagnostics.extend(problems)
    selected = prepared.selected()
    images = {page.page: site_images(book.root, loaded, page.page) for loaded, _, page, _ in selected}
    say(f"rendering {plural(len(selected), 'page')}…")
    targets = chapter_targets([c.entry.path for c in prepared.chapters], [p.page for p in prepared.pages],
                              [source.facts()["anchor"] for source in prepared.sources])
    # Each page's AST (its images and chapter links pointed at the site) is made only if Pandoc must render it.
    jobs = [(loaded, page_ast(source, loaded, page.page, images[page.page], targets), page, numbers, source)
            for loaded, source, page, numbers in selected]
    fresh: dict[str, tuple[str, str]] = {}  # page -> (search records, ledger) of the pages built now
    # Each page's words: the book's, with its chapter's own `language:` over them.
    words = {page.page: chapter_language(prepared.language, loaded.chapter.front_matter) for loaded, _, page, _, _ in jobs}
    def released(source: ChapterAst, result: Any) -> Any:
        source.release()  # what the page is made of next (its ledger, search records) does not need it
        return result

    rendered = parallel(workers, [
        lambda j=j: released(j[4], _render_chapter(prepared.check, j[0], j[1], j[2],
                                    {**filter_data(j[2].page, j[3], prepared.targets, book.palette, callouts=book.callouts,
                                                   referenced=j[4].cited(prepared.crossref.custom_keys),
                                                   crossref=prepared.crossref_for(j[0]),
                                                   language=words[j[2].page],
                                                   layout=layout_json(book, "html", j[0].chapter.front_matter)),
                                     "cap_locations": cap_locations(book, j[0]),
                                     "subtitle": chapter_subtitle(book, j[0], prepared.check.variables),
                                     "meta": meta_flags(book.config, j[0].chapter.front_matter)},
                                    cache, prepared.pandoc_timeout, words[j[2].page]))
        for j in jobs])

    for (loaded, _, page, _, _), result in zip(jobs, rendered):
        if isinstance(result, PandocError):
            problem = (result.diagnostic if isinstance(result, FilterError)
                       else error("pandoc", loaded.shown, 1, f"pandoc failed: {result}"))
            if problem not in build.diagnostics:  # a failing filter fails on every page alike
                build.diagnostics.append(problem)
            output.keep(page.page)
            continue
        body, toc, said = result
        ledger, script = page_ledger(prepared.executed[loaded.chapter.path])
        # No-break spaces as `&nbsp;`, as Quarto writes them (books' scripts and tests match the entity).
        article = body.replace("\xa0", "&nbsp;") + script
        extras = _page_extras(book, loaded, page.page, said, out_dir, build.diagnostics, log, theme_css)
        output.write(page.page, site.page_html(book_title=book.title, page=page.page, title=page.title,
                                               entries=prepared.pages, article=article, toc=toc, **extras,
                                               language=words[page.page],
                                               lang=chapter_lang(loaded.chapter.front_matter)))
        for source, link in images[page.page].values():
            output.copy(source, posixpath.normpath(posixpath.join(posixpath.dirname(page.page), link)))
        fresh[page.page] = (_search_json(cache, page, body), ledger)
        for kind, text in zip(PAGE_RECORDS, fresh[page.page]):
            cache.put(kind, _page_key(book, page), text.encode("utf-8"))
        build.pages.append(page.page)

    _write_site_files(book, prepared.pages, output, cache, fresh, build.diagnostics, log, theme_css, prepared.language)
    # A whole-book build removes what earlier builds wrote and this one did not (a removed chapter's page).
    output.finish(prune=not names)
    build.seconds = time.perf_counter() - started
    return build


CAP_LOCATION_KEYS = ("fig-cap-location", "tbl-cap-location", "lst-cap-location")


def cap_locations(book: Book, loaded: LoadedChapter) -> dict[str, str]:
    """Where captions go (``fig-cap-location: top``, …), set for the website book-wide or in the
    chapter's front matter (the chapter's wins): kind -> top|bottom|margin."""
    found = {}
    for key in CAP_LOCATION_KEYS:
        values = useroptions.entries(book, key, "html", loaded.chapter, loaded.file)
        if values and isinstance(values[-1].value, str):
            found[key.split("-", 1)[0]] = values[-1].value
    return found


def chapter_subtitle(book: Book, loaded: LoadedChapter, variables: dict[str, Any]) -> str:
    """The chapter's ``subtitle:`` as Markdown, its shortcodes expanded ("" when it has none)."""
    value = loaded.chapter.front_matter.get("subtitle")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return ""
    return expand_in_text(str(value), ShortcodeContext(loaded.chapter.front_matter, book.config, variables), raw=False)


def _page_extras(book: Book, loaded: LoadedChapter | None, page: str, said: list[dict[str, Any]], out_dir: Path,
                 diagnostics: list[Diagnostic], log: TextIO, theme_css: str | None) -> dict[str, str]:
    """The book's own theme, styles, includes and filters' dependencies for one page (copied into ``out_dir``);
    what the filters said goes into ``diagnostics`` (each once) and ``log``."""
    specs, _ = useroptions.includes(book, "html", loaded.chapter if loaded else None, loaded.file if loaded else None)
    heard = userfilters.report(said)
    for row in heard.output:
        log.write(f"  {row}\n")
    dependencies, problems = userstyles.html_dependencies(page, heard.dependencies, out_dir)
    diagnostics.extend(d for d in [*heard.diagnostics, *problems] if d not in diagnostics)
    context = ShortcodeContext(loaded.chapter.front_matter if loaded else {}, book.config, load_variables(book.root)[0])
    parts = userstyles.placed(specs, "html", lambda text: expand_in_text(text, context))
    theme_link = f'<link rel="stylesheet" href="{site.relative(page, theme_css)}">' if theme_css else ""
    head = "\n".join(part for part in (theme_link, userstyles.html_styles(book.root, page, specs, out_dir), dependencies,
                                        parts.head) if part)
    return {"head": "\n".join(part for part in (head, heard.included("in-header")) if part),
            "before_body": "\n".join(part for part in (parts.before_body, heard.included("before-body")) if part),
            "after_body": "\n".join(part for part in (parts.after_body, heard.included("after-body")) if part)}


def page_ast(source: ChapterAst, loaded: LoadedChapter, page: str, images: dict[str, tuple[Path, str]],
             targets: dict[str, ChapterTarget]) -> tuple[str | None, Callable[[], RewrittenTree]]:
    """(digest of everything the page's AST is made from, or None; a function making it): the chapter's
    AST with its images pointed at their place in the site and its links to chapters at their pages."""
    links = {url: link for url, (_, link) in images.items()}

    def make() -> RewrittenTree:
        return RewrittenTree(source.get(), ((IMAGES, site_image_rewrite(links)),
                                            (LINKS, chapter_link_rewrite(loaded.entry.path, page, targets,
                                                                         single_document=False))))

    if not source.key:
        return None, make
    return digest("html-page-ast/1", PAGE_AST_CODE, source.key, loaded.entry.path, page,
                  json.dumps(links, sort_keys=True),
                  json.dumps({path: [t.page, t.anchor] for path, t in targets.items()}, sort_keys=True)), make


def _render_chapter(checked: CheckResult, loaded: LoadedChapter, ast: tuple[str | None, Callable[[], dict[str, Any]]],
                    page: ChapterPage,
                    data: dict[str, Any], cache: Cache, timeout: float,
                    language: Language) -> tuple[str, str, list[dict[str, Any]]] | PandocError:
    """The chapter's article HTML, table of contents and what its user filters said, from Pandoc or the cache
    (``language``: the references' heading, and Pandoc's ``lang``, which citations are localised by)."""
    book = checked.book
    user, _ = useroptions.filters(book, "html", loaded.chapter, loaded.file)
    said: list[dict[str, Any]] = []
    depth = chapter_toc_depth(loaded.chapter.front_matter) or toc_depth(book, "html") or DEFAULT_TOC_DEPTH
    notes = data.get("layout", {}).get("reference-location", "margin")
    options = ["--to", "html5", "--section-divs", "--toc", f"--toc-depth={depth}", "--mathml", "--wrap=none",
               *([f"--reference-location={notes}"] if notes != "margin" else []),
               "--metadata", f"reference-section-title={language['section-title-references']}",
               "--metadata", f"pagetitle={page.title}", *lang_option(language, chapter_lang(loaded.chapter.front_matter))]
    try:
        output = render_chapter("pandoc-html", ast[1], data, source_key=ast[0], template=PARTS_TEMPLATE, filters=HTML_FILTERS, options=options,
                                bibliographies=bibliography_files(checked, [loaded]),
                                folder=loaded.file.parent, cache=cache, csl=citation_style(checked, "html"),
                                user_filters=user, messages=said, timeout=timeout,
                                in_pieces=functools.partial(chunks.render_pieces, notes=notes, marker=BODY_MARKER),
                                skip_idle=True)
    except PandocError as exc:
        return exc
    toc, _, body = output.partition(BODY_MARKER)
    body = FOOTNOTES_SECTION.sub(lambda m: m.group(0) + f'\n<h2 class="footnotes-title">'
                                 f'{html.escape(language["section-title-footnotes"])}</h2>', body, count=1)
    return (quarto_code_divs(site.quarto_sections(body.strip())),
            toc.replace('class="header-section-number"', 'class="toc-section-number"').strip(), said)


def _figures(book: Book, loaded: LoadedChapter, executed: ExecutedChapter, output: OutputFolder, cache: Cache,
             workers: int, timeout: float, problems: list[Diagnostic], *, write: bool = True) -> AssemblyInputs:
    """Write the chapter's matplotlib figures and compile its TikZ blocks to SVG (each within
    ``timeout`` seconds); return their URLs (``write=False``: only the URLs, nothing written)."""
    page = page_of(loaded.entry.path)
    folder = files_dir(page)
    rel_folder = posixpath.basename(folder)
    figure_paths = {}
    for cell in executed.cells:
        for figure in cell.figures:
            # What a browser shows, in Quarto's order for HTML: SVG, then PNG, then JPEG.
            suffix, data = next(((s, d) for s, d in (("svg", figure.svg), ("png", figure.png), ("jpg", figure.jpeg))
                                 if d is not None), ("", None))
            if data is None:
                continue
            cell_info = loaded.chapter.cells[cell.index]
            name = SAFE_NAME.sub("-", f"{cell_info.label or f'cell-{cell.index + 1}'}-{figure.number}") + f".{suffix}"
            if write:
                output.write(f"{folder}/{name}", data)
            figure_paths[(cell.index, figure.number)] = f"{rel_folder}/{name}"
    tikz_paths: dict[int, str | None] = {}
    for start, result in tikz_figures(book, loaded, cache, workers, timeout, problems).items():
        if result is None:
            tikz_paths[start] = None
        else:
            name = result.name if result.name.startswith("tikz") else f"tikz-{result.name}"
            if write:
                output.copy(result, f"{folder}/{name}")
            tikz_paths[start] = f"{rel_folder}/{name}"
    return AssemblyInputs(figure_paths, tikz_paths, output_format="html",
                          mark_values=True)


def tikz_figures(book: Book, loaded: LoadedChapter, cache: Cache, workers: int, timeout: float,
                 problems: list[Diagnostic]) -> dict[int, Path | None]:
    """Compile the chapter's TikZ blocks (the book's palette and ``diagram: engine: tikz:
    header-includes:`` in the preamble): block start offset -> SVG, or None for a figure
    that failed, which is reported in ``problems`` at its line with its label."""
    # A figure whose braces do not pair up is the check's error: LaTeX is not asked to fail on it too.
    blocks = [b for b in loaded.chapter.blocks if TIKZ_INFO.match(b.info) and unbalanced(b.code) is None]
    if not blocks:
        return {}
    _ensure_tex_for_tikz()
    results = compile_all([b.code for b in blocks], cache.root / "tikz", book.palette, workers=workers,
                          timeout=timeout, cache=cache, header=book.tikz_header)
    found: dict[int, Path | None] = {}
    for block, result in zip(blocks, results):
        if isinstance(result, TikzError):
            label = figure_label_before(loaded.chapter.text, block.span.start)
            problems.append(error("tikz-failed", loaded.shown, block.line,
                                  f"TikZ figure {label or '(unlabelled)'} failed to compile: {result.message}",
                                  detail=result.log_excerpt, hint="fix the TikZ code; the LaTeX log excerpt above shows where"))
            found[block.span.start] = None
        else:
            found[block.span.start] = result
    return found


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


def site_images(root: Path, loaded: LoadedChapter, page: str) -> dict[str, tuple[Path, str]]:
    """The chapter's local images that exist inside the project: URL as written -> (file, link from the page).

    An image is placed in the site at its path in the project, so an image outside
    the chapter's folder (``../assets/x.png``) lands inside the output folder, not
    beside it; the link is rewritten to match (unchanged for one beside the chapter).
    Images outside the project are not copied (the check reports them).
    """
    placed = {}
    for image in loaded.scan.images:
        name = with_default_extension(image.name, DEFAULT_IMAGE_EXTENSION)
        if not is_local_path(name) or outside_reason(local_path(loaded.file, name), root, name):
            continue
        source = resolve_local(loaded.file, name)
        if source.is_file():
            in_site = source.relative_to(resolved(root)).as_posix()
            placed[name] = (source, posixpath.relpath(in_site, posixpath.dirname(page) or "."))
    return placed


def site_image_rewrite(links: dict[str, str]) -> Rewrite:
    """The rewrite (render/tree.py) giving each image path the website's default extension when it has
    none (references.with_default_extension) and pointing it at its place in the site (``links``: path -> URL)."""
    def placed(image: dict[str, Any]) -> dict[str, Any] | None:
        written = image["c"][2][0]
        url = with_default_extension(written, DEFAULT_IMAGE_EXTENSION)
        url = links.get(url, url)
        return with_target(image, url) if url != written else None

    return placed


def _page_ledger(cache: Cache, executed: ExecutedChapter) -> tuple[str, str]:
    """The chapter's value ledger (:func:`bookbuild.ledger.ledger_json`) and its page's provenance script,
    from the cache when the chapter's results were read from the cache and its text is an earlier build's."""
    def made() -> tuple[str, str]:
        entries = chapter_ledger(executed)
        return ledger_json(entries), site.provenance_script(entries)

    if not executed.content:
        return made()
    chapter = executed.chapter
    key = digest("page-ledger/1", LEDGER_CODE, executed.content, chapter.path, chapter.text, repr(chapter.source_map))
    payload = cache.get(LEDGER_STAGE, key)
    if payload is not None:
        try:
            data = json.loads(payload)
            if isinstance(data, list) and len(data) == 2 and all(isinstance(part, str) for part in data):
                ledger_rows(data[0])  # ValueError unless a ledger
                return data[0], data[1]
        except ValueError:
            pass
        cache.discard(LEDGER_STAGE, key, counted_hit=True)
    ledger, script = made()
    cache.put(LEDGER_STAGE, key, json.dumps([ledger, script]).encode("utf-8"))
    return ledger, script


def _search_json(cache: Cache, page: ChapterPage, body: str) -> str:
    """The page's search records as JSON, from the cache when the same page, title and body were seen before."""
    key = digest("search-of/1", SITE_CODE, page.page, page.title, body)
    payload = cache.get(SEARCH_STAGE, key)
    if payload is not None:
        try:
            text = payload.decode("utf-8")
            _parse_records("search", text)
            return text
        except ValueError:  # UnicodeDecodeError too
            cache.discard(SEARCH_STAGE, key, counted_hit=True)
    text = json.dumps(site.search_entries(page.page, page.title, body))
    cache.put(SEARCH_STAGE, key, text.encode("utf-8"))
    return text


def _page_key(book: Book, page: ChapterPage) -> str:
    """The cache key of a page's records: the project and the page, so books sharing a cache never mix."""
    return digest("page-records/1", str(book.root.resolve()), page.page)


def _stored_records(book: Book, page: ChapterPage, cache: Cache) -> tuple[str, str] | None:
    """A page's (search records, ledger) from an earlier build, so a one-chapter build can still
    write the whole book's search index and ledger; None when missing or damaged (counted so)."""
    texts = []
    for kind in PAGE_RECORDS:
        key = _page_key(book, page)
        payload = cache.get(kind, key)
        try:
            if payload is None:
                return None
            texts.append(payload.decode("utf-8"))
            _parse_records(kind, texts[-1])
        except (ValueError, KeyError, TypeError, AttributeError):  # a valid checksum over records that do not parse
            cache.discard(kind, key, counted_hit=True)
            return None
    return texts[0], texts[1]


def _parse_records(kind: str, text: str) -> list[Any] | str:
    """A page's search records (a list), or its ledger's entry lines (:func:`bookbuild.ledger.ledger_rows`):
    ValueError when they are not what a build stores."""
    if kind == "ledger":
        return ledger_rows(text)
    records = json.loads(text)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError(f"{kind} records must be a list")
    return records


def _write_site_files(book: Book, pages: list[ChapterPage], output: OutputFolder, cache: Cache,
                      fresh: dict[str, tuple[str, str]], diagnostics: list[Diagnostic], log: TextIO,
                      theme_css: str | None, language: Language) -> None:
    """Assets, the search index of every page built so far, and a landing page if needed."""
    for asset in theme.asset_files():
        output.copy(asset, f"assets/{asset.name}")
    records: list[dict[str, str]] = []
    ledgers: list[str] = []
    for page in pages:
        stored = fresh.get(page.page) or _stored_records(book, page, cache)
        if stored is not None:
            records.extend(_parse_records("search", stored[0]))
            ledgers.append(stored[1])
    output.write("search-index.js", site.search_index_js(records))
    # Each page's ledger is joined as written (made now, or checked when it was read), not read into
    # entries and written again, nor checked again.
    output.write("values.json", joined_ledgers(ledgers, checked=True))
    if not any(p.page == "index.html" for p in pages):
        article = site.landing_article(book.title, book.subtitle, book.author, pages, language)
        extras = _page_extras(book, None, "index.html", [], output.root, diagnostics, log, theme_css)
        output.write("index.html", site.page_html(book_title=book.title, page="index.html", title=book.title,
                                                  entries=pages, article=article, toc="", **extras,
                                                  language=language))
