"""``make epub``: the prepared book as one EPUB 3, written by Pandoc's EPUB writer.

After the shared stages (:mod:`bookbuild.render.book`: execution, assembly,
numbering, cross-reference targets), each selected chapter's AST gets its images
resolved (figures as SVG; an image EPUB readers cannot show is a warning at its
line), the book's citations and a ``<!-- bookbuild C:L -->`` comment before each
block, and goes through the engine's filters and the book's own with Pandoc
writing JSON (cached per chapter, like the HTML and LaTeX of the other formats).
The filtered chapters are then joined into one document
(:mod:`bookbuild.render.epub_document`): parts and the
appendices become level-1 headings over their chapters (which go one level
down), the one bibliography closes the book, and a link whose target is not in
this EPUB keeps only its words. Pandoc's EPUB 3 writer splits it into a file per
chapter (pointing links at the right file), writes MathML, footnotes as EPUB
notes, the navigation document, title page and cover. :mod:`bookbuild.render.epubcheck`
validates the result; its messages come back at the chapter's line.

With ``SOURCE_DATE_EPOCH`` set, Pandoc dates the package and its zip entries with
it, and the identifier is derived from the book, so the same sources give the same bytes.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, TextIO

from ..cache import Cache, digest, file_digest
from ..check import LoadedChapter, default_workers
from ..diagnostics import Diagnostic, error, plural, warning
from ..execute import ExecutedChapter
from ..files import write_atomic
from ..limits import book_limits
from ..paths import contained, outside_reason
from ..callouts import Callouts
from ..project import Book
from ..references import bibliography_keys, is_local_path, xref_kind
from .. import useroptions
from ..language import chapter_language
from . import epubcheck, theme, userfilters
from .book import (Build, bibliography_files, citation_style, cited_in_order, cited_keys, filter_data,
                   output_stem, parallel, prepare_book, progress, render_chapter)
from .epub_document import book_metadata, join_chapters
from .html import tikz_figures
from .latex_source import SOURCE_MARKER, with_markers
from .links import book_chapter_targets, with_chapter_links
from .markdown import AssemblyInputs
from .numbering import walk
from .tree import IMAGES, RAW, with_blocks, with_target
from .pandoc import PandocError, pandoc_version, run_pandoc
from .pdf import CITATION_ORDER_CLASS, _cite, _line_of, _locked, is_numeric_style
from .site import ChapterPage
from .userfilters import FilterError

EPUB_FILTERS = ["conditional", "codeescape", "list-table", "crossref", "citeproc", "latex-commands", "callouts", "layout"]
STYLESHEET = theme.THEME_DIR / "epub.css"
#: What the filters see as the format they make (bookdata.lua, quarto.lua): they write JSON here.
FILTER_ENV = {"BOOKBUILD_FORMAT": "epub"}
#: Image formats every EPUB 3 reader shows (the spec's core media types: no fallback needed).
CORE_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".svg")
JSON_TEMPLATE = "$body$\n"
STAMP = "book.inputs.json"
SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")
DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*>\s*")
PATH_WITHOUT_D = re.compile(r"<path\b(?![^>]*\sd=)[^>]*/>")
BARE_BR = re.compile(r"<br\s*/?>", re.I)
BARE_HR = re.compile(r"<hr\s*/?>", re.I)
COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass
class EpubBuild(Build):
    """What an EPUB build did: the EPUB written (None on failure), its chapters, whether epubcheck ran."""

    epub: Path | None = None
    chapters: int = 0
    validated: bool = False

    def written(self) -> list[Path]:
        return [self.epub] if self.epub else []


def epub_name(book: Book, names: list[str] | None) -> str:
    """``machine-learning-systems.epub`` from the title; a chapter build adds its name."""
    return f"{output_stem(book, names)}.epub"


def build_epub(book: Book, out_dir: Path, cache_dir: Path, names: list[str] | None = None, *,
               engine: str = "inprocess", timeout: float | None = None, workers: int | None = None,
               allow_install: bool = True, validate: bool = True, log: TextIO = sys.stderr) -> EpubBuild:
    """Build the book (or the named chapters, keeping the book's numbering) into ``out_dir/<name>.epub``
    and check it with epubcheck (``validate``), installing it first when it is missing and may be."""
    started = time.perf_counter()
    workers = workers or default_workers()
    checker = epubcheck.available(log, allow_install=allow_install) if validate else None
    cache = Cache(cache_dir, log=log)
    workdir = cache.folder("epub", digest(str(book.root.resolve()), *book.profiles, *sorted(names or []))[:16])
    with _locked(workdir):  # two builds of one book wait for each other
        return _build_epub(book, out_dir, cache, names, workdir, checker, engine=engine, timeout=timeout,
                           workers=workers, log=log, started=started)


def _build_epub(book: Book, out_dir: Path, cache: Cache, names: list[str] | None, workdir: Path, checker: str | None,
                *, engine: str, timeout: float | None, workers: int, log: TextIO, started: float) -> EpubBuild:
    say = progress(log)
    limits = book_limits(book, timeout)
    sources: dict[str, tuple[str, int]] = {}  # each image's file -> the chapter and line that show it

    def write_figures(loaded: LoadedChapter, executed: ExecutedChapter, problems: list[Diagnostic]) -> AssemblyInputs:
        return _figures(book, loaded, executed, workdir, cache, workers, limits.timeout, problems, sources)

    prepared = prepare_book(book, names, write_figures, output_format="epub", cache=cache, engine=engine,
                            timeout=timeout, workers=workers, log=log, writable=(out_dir,))
    build = EpubBuild(out_dir, prepared=prepared, cache=cache)
    jobs = prepared.rendered()
    build.chapters = len(jobs)
    say(f"converting {plural(len(jobs), 'chapter')} for the EPUB…")
    bib_files = bibliography_files(prepared.check, prepared.chapters)
    csl = citation_style(prepared.check, "epub")
    known = set().union(*[bibliography_keys(p.read_text(encoding="utf-8", errors="replace")) for p in bib_files])
    cited = [key for key in dict.fromkeys(k for _, ast, _, _ in jobs for k in cited_in_order(ast))
             if key in known and not xref_kind(key)]
    numeric = is_numeric_style(csl)
    chapter_targets = book_chapter_targets([c.entry.path for c in prepared.chapters],
                                           [p.page for p in prepared.pages], prepared.asts)
    generated = (workdir, cache.root / "tikz")  # where the build's own figures are

    def convert(n: int, job: tuple[LoadedChapter, dict[str, Any], ChapterPage, Any]) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
        loaded, ast, page, numbers = job
        data = filter_data(page.page, numbers, prepared.targets, book.palette, callouts=book.callouts,
                           referenced=cited_keys(ast, prepared.crossref.custom_keys), single_document=True,
                           crossref=prepared.crossref,
                           language=chapter_language(prepared.language, loaded.chapter.front_matter))
        problems: list[Diagnostic] = []
        linked = with_chapter_links(ast, loaded.entry.path, page.page, chapter_targets, single_document=True)
        ready = epub_ast(loaded, n, linked, cited, problems, generated, numeric=numeric, root=book.root,
                         sources=sources)
        user, _ = useroptions.filters(book, "epub", loaded.chapter, loaded.file)
        said: list[dict[str, Any]] = []
        try:
            text = render_chapter("pandoc-epub", ready, data, template=JSON_TEMPLATE, filters=EPUB_FILTERS,
                                  options=["--to", "json"], bibliographies=bib_files, folder=loaded.file.parent,
                                  cache=cache, csl=csl, user_filters=user, messages=said,
                                  timeout=prepared.pandoc_timeout, env=FILTER_ENV)
        except FilterError as exc:
            return None, [*problems, exc.diagnostic]
        except PandocError as exc:
            return None, [*problems, error("pandoc", loaded.shown, 1, f"pandoc failed: {exc}")]
        heard = userfilters.report(said)
        for row in heard.output:
            say(row)
        return json.loads(text), [*problems, *heard.diagnostics]

    converted = parallel(workers, [lambda n=n, j=j: convert(n, j) for n, j in enumerate(jobs)])
    for _, problems in converted:
        build.diagnostics.extend(d for d in problems if d not in build.diagnostics)
    if any(ast is None for ast, _ in converted):
        say("not writing the EPUB: Pandoc failed on a chapter")
        build.seconds = time.perf_counter() - started
        return build

    try:
        bibliography = _bibliography(cited, bib_files, csl, cache) if cited else []
    except PandocError as exc:
        bibliography = []
        build.diagnostics.append(error("pandoc", book.display_config, 1, f"pandoc could not write the bibliography: {exc}",
                                       hint="`make check` reports what is wrong with the bibliography or the style"))
    blocks = join_chapters([(page, ast) for (_, _, page, _), (ast, _) in zip(jobs, converted)], bibliography,
                           appendices_title=prepared.language["section-title-appendices"])
    cover = _cover(book, build.diagnostics)
    document = {"pandoc-api-version": converted[0][0]["pandoc-api-version"] if converted else [1, 23, 1],
                "meta": book_metadata(book), "blocks": blocks}
    grouped = any(page.part or page.appendix for _, _, page, _ in jobs)
    try:
        epub = _write_epub(document, workdir, book.callouts, cover, split_level=2 if grouped else 1,
                           timeout=prepared.pandoc_timeout, say=say)
    except PandocError as exc:
        build.diagnostics.append(error("pandoc", book.display_config, 1, f"pandoc could not write the EPUB: {exc}",
                                       hint="this is a bug in bookbuild unless an image is unreadable: please report it"))
        build.seconds = time.perf_counter() - started
        return build
    if checker is not None:
        build.diagnostics.extend(_validate(checker, epub, [loaded.shown for loaded, _, _, _ in jobs], sources, book,
                                           cache, limits.latex_timeout, say))
        build.validated = True
    target = contained(out_dir, epub_name(book, names))
    write_atomic(target, epub.read_bytes())
    build.epub = target
    build.seconds = time.perf_counter() - started
    return build


# --------------------------------------------------------------------------- figures and images

def _figures(book: Book, loaded: LoadedChapter, executed: ExecutedChapter, workdir: Path, cache: Cache,
             workers: int, timeout: float, problems: list[Diagnostic],
             sources: dict[str, tuple[str, int]]) -> AssemblyInputs:
    """The chapter's matplotlib figures as SVG files in the working folder, its TikZ figures compiled
    to SVG (as for the website, from the same cache); their absolute paths."""
    folder = workdir / "figures" / SAFE_NAME.sub("-", loaded.entry.name)
    paths: dict[tuple[int, int], str] = {}
    for cell in executed.cells:
        info = loaded.chapter.cells[cell.index]
        for figure in cell.figures:
            if figure.svg is None:
                problems.append(warning("epub-figure", loaded.shown, info.line,
                                        f"figure {figure.number} of cell {info.label or cell.index + 1} has no SVG "
                                        "version; it is left out of the EPUB"))
                continue
            name = SAFE_NAME.sub("-", f"{info.label or f'cell-{cell.index + 1}'}-{figure.number}") + ".svg"
            write_atomic(contained(folder, name), document_svg(figure.svg))
            paths[(cell.index, figure.number)] = (folder / name).as_posix()
            sources[(folder / name).as_posix()] = (loaded.shown, info.line)
    tikz = {start: (None if result is None else result.as_posix())
            for start, result in tikz_figures(book, loaded, cache, workers, timeout, problems).items()}
    for start, path in tikz.items():
        if path is not None:
            sources.setdefault(path, (loaded.shown, loaded.chapter.text.count("\n", 0, start) + 1))
    return AssemblyInputs(paths, tikz, output_format="epub")


def document_svg(svg: str) -> str:
    """Matplotlib's SVG as EPUB 3 takes it: without the DOCTYPE matplotlib always writes (it names
    an external DTD, which EPUB forbids), and with an empty outline (``d=""``) on the glyphs that
    have none (a space), as SVG requires of every path. Nothing else changes."""
    svg = DOCTYPE.sub("", svg, count=1)
    return PATH_WITHOUT_D.sub(lambda m: m.group(0)[:-2].rstrip() + ' d=""/>', svg)


def epub_ast(loaded: LoadedChapter, index: int, ast: dict[str, Any], cited: list[str], problems: list[Diagnostic],
             generated: tuple[Path, ...], *, numeric: bool = False, root: Path | None = None,
             sources: dict[str, tuple[str, int]] | None = None) -> dict[str, Any]:
    """A copy of the chapter's AST ready for the EPUB: images resolved, source markers (chapter
    ``index`` of the build), every work the book cites (so citeproc disambiguates as the bibliography does)."""
    ready = _xhtml_raw(_resolve_images(loaded, ast, problems, generated, root, {} if sources is None else sources))
    ready["blocks"] = [_as_comment(block, index) for block in with_markers(loaded, ready["blocks"])]
    if cited:
        meta = ready["meta"] = dict(ast.get("meta", {}))
        meta["nocite"] = {"t": "MetaInlines", "c": [_cite(key) for key in cited]}
        if numeric:
            # Citeproc numbers works in the order a document cites them: all of them first, in the
            # book's order, so [n] is the book's number (the priming is dropped when the book is joined).
            priming = {"t": "Para", "c": [_cite(key) for key in cited]}
            ready["blocks"] = [{"t": "Div", "c": [["", [CITATION_ORDER_CLASS], []], [priming]]}, *ready["blocks"]]
    return ready


def _as_comment(block: dict[str, Any], index: int) -> dict[str, Any]:
    """A LaTeX source marker as the EPUB's comment (inside divs too); other blocks as they are."""
    if block.get("t") == "RawBlock" and block["c"][0] == "latex" and block["c"][1].startswith(SOURCE_MARKER):
        line = block["c"][1][len(SOURCE_MARKER):].split(" ", 1)[0]
        return {"t": "RawBlock", "c": ["html", epubcheck.marker(index, int(line))]}
    if block.get("t") == "Div":
        return {"t": "Div", "c": [block["c"][0], [_as_comment(b, index) for b in block["c"][1]]]}
    return block


def _xhtml_raw(ast: dict[str, Any]) -> dict[str, Any]:
    """``ast`` (unchanged) with the raw HTML that Markdown authors write and XHTML does not take as what
    it means: ``<br>`` a line break, ``<hr>`` a rule, a comment nothing (a ``--`` inside one is not
    well-formed XML)."""
    def meant(raw: dict[str, Any]) -> dict[str, Any] | None:
        if raw["c"][0] != "html":
            return None
        text, inline = raw["c"][1].strip(), raw["t"] == "RawInline"
        if BARE_BR.fullmatch(text):
            return {"t": "LineBreak"} if inline else {"t": "Plain", "c": [{"t": "LineBreak"}]}
        if BARE_HR.fullmatch(text) and not inline:
            return {"t": "HorizontalRule"}
        if COMMENT.fullmatch(text):
            return {"t": "Str", "c": ""} if inline else {"t": "Plain", "c": []}
        return None

    return {**with_blocks(ast, RAW, meant)}


def _resolve_images(loaded: LoadedChapter, ast: dict[str, Any], problems: list[Diagnostic], generated: tuple[Path, ...],
                    root: Path | None, sources: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """``ast`` (unchanged) with local images as absolute paths (Pandoc packs them into the EPUB); one a
    reader cannot show (remote, or not a core media type of EPUB 3) is a warning at its line and shows
    its name instead."""
    def fixed(image: dict[str, Any]) -> dict[str, Any]:
        url = image["c"][2][0]
        if os.path.isabs(url) and any(Path(url).is_relative_to(folder) for folder in generated):
            return image  # a figure the build made
        if not is_local_path(url):
            problems.append(warning("epub-image", loaded.shown, _line_of(loaded, url),
                                    f"image '{url}' is not a local file: an EPUB holds its images, so it shows "
                                    "the image's name instead", hint="download it into the book and refer to the file"))
            return _placeholder(url)
        named = Path(url) if os.path.isabs(url) else loaded.file.parent / url.split("#", 1)[0]
        if root is not None and outside_reason(named, root, url):
            return _placeholder(url)  # the check's error names the image's line
        path = named.resolve()
        if not path.is_file():
            return _placeholder(url)  # `make check` reports the missing file
        if path.suffix.lower() not in CORE_IMAGES:
            problems.append(warning("epub-image", loaded.shown, _line_of(loaded, url),
                                    f"image '{url}' is a {path.suffix or 'suffix-less'} file, which EPUB readers "
                                    "need not show: the EPUB shows the image's name instead",
                                    hint="add a PNG, JPEG, GIF or SVG version and show it in "
                                         '`::: {.content-visible when-format="epub"}`'))
            return _placeholder(url)
        sources.setdefault(path.as_posix(), (loaded.shown, _line_of(loaded, url)))
        return with_target(image, path.as_posix())

    return {**with_blocks(ast, IMAGES, fixed)}


def _placeholder(url: str) -> dict[str, Any]:
    return {"t": "Span", "c": [["", ["image-missing"], []], [{"t": "Str", "c": f"[image: {url}]"}]]}


def _cover(book: Book, problems: list[Diagnostic]) -> Path | None:
    """The cover image (``book: cover-image:``, or ``format: epub: cover-image:``), if it can be used."""
    epub_cfg = book.formats.get("epub") if isinstance(book.formats, dict) else None
    keys = [("format", "epub", "cover-image")] if isinstance(epub_cfg, dict) and epub_cfg.get("cover-image") else []
    book_cfg = book.config.get("book")
    if isinstance(book_cfg, dict) and book_cfg.get("cover-image"):
        keys.append(("book", "cover-image"))
    if not keys:
        return None
    name = str(epub_cfg["cover-image"] if keys[0][0] == "format" else book_cfg["cover-image"])
    file, line, col = book.locate(*keys[0])
    path = (book.root / name)
    reason = outside_reason(path, book.root, name) if is_local_path(name) else "it is not a local file"
    if reason is None and not path.resolve().is_file():
        reason = "no such file"
    if reason is None and path.suffix.lower() not in CORE_IMAGES:
        reason = f"a {path.suffix or 'suffix-less'} file is not an image EPUB readers show (PNG, JPEG, GIF, SVG)"
    if reason is not None:
        problems.append(warning("epub-cover", file, line, f"cover image '{name}' is left out: {reason}", col=col,
                                hint="name an image file inside the project, relative to _quarto.yml"))
        return None
    return path.resolve()


def _bibliography(keys: list[str], bib_files: list[Path], csl: Path | None, cache: Cache) -> list[dict[str, Any]]:
    """The book's one list of references, as blocks: every work the chapters cite, in the book's order."""
    citations = " ".join(f"[@{key}]" for key in keys)
    source = "\n".join(["# References {#bookbuild-references .unnumbered}", "",
                        f"::: {{.{CITATION_ORDER_CLASS}}}", citations, ":::", "", "::: {#refs}", ":::", ""])
    args = ["--from", "markdown", "--to", "json", "--citeproc", "--metadata", "link-citations=true"]
    for path in bib_files:
        args += ["--bibliography", str(path)]
    if csl:
        args += ["--csl", str(csl)]
    key = digest("epub-bibliography", pandoc_version(), source, *args, *[file_digest(p) for p in bib_files],
                 *([file_digest(csl)] if csl else []))
    cached = cache.get("pandoc-epub", key)
    text = None
    if cached is not None:
        try:
            text = cached.decode("utf-8")
            json.loads(text)
        except ValueError:
            cache.discard("pandoc-epub", key, counted_hit=True)
            text = None
    if text is None:
        text = run_pandoc(args, source)
        cache.put("pandoc-epub", key, text.encode("utf-8"))
    blocks = json.loads(text)["blocks"]
    return [b for b in blocks if not (b.get("t") == "Div" and CITATION_ORDER_CLASS in b["c"][0][1])]


# --------------------------------------------------------------------------- the package

def stylesheet(callouts: Callouts) -> str:
    """theme/epub.css, then each callout kind's colour (its frame; the label's words say the kind)."""
    rows = [STYLESHEET.read_text(encoding="utf-8").rstrip(), "", "/* The book's callout colours */",
            f".callout {{ border-color: {callouts.default.color}; }}"]
    for kind, style in callouts.kinds:
        name = SAFE_NAME.sub("", kind)
        if name and style.color:
            rows.append(f".callout-{name} {{ border-color: {style.color}; }} "
                        f".callout-{name} .callout-icon {{ color: {style.color}; }}")
    return "\n".join(rows) + "\n"


def _images(blocks: list[dict[str, Any]]) -> Iterator[str]:
    for element in walk(blocks):
        if element.get("t") == "Image":
            yield element["c"][2][0]


def _write_epub(document: dict[str, Any], workdir: Path, callouts: Callouts, cover: Path | None, *,
                split_level: int, timeout: float, say: Any) -> Path:
    """Pandoc's EPUB 3 of the joined document in the working folder, or the one written last time when
    nothing it depends on changed (the document, its images, the stylesheet, Pandoc, SOURCE_DATE_EPOCH).
    Raises PandocError."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False)
    css = workdir / "epub.css"
    write_atomic(css, stylesheet(callouts))
    target = workdir / "book.epub"
    options = ["--from", "json", "--to", "epub3", f"--split-level={split_level}", "--toc", "--toc-depth=3",
               "--mathml", "--epub-title-page=true", "--css", str(css)]
    if cover is not None:
        options += ["--epub-cover-image", str(cover)]
    images = sorted(set(_images(document["blocks"])) | ({str(cover)} if cover else set()))
    inputs = digest("epub-inputs/1", pandoc_version(), text, *options, file_digest(css),
                    *[f"{path}:{file_digest(Path(path))}" for path in images if Path(path).is_file()],
                    os.environ.get("SOURCE_DATE_EPOCH", ""))
    try:
        stamp = json.loads((workdir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = None
    if isinstance(stamp, dict) and stamp.get("inputs") == inputs and target.is_file() \
            and stamp.get("epub") == file_digest(target):
        say("the EPUB's content is unchanged since the last build: not writing it again")
        return target
    say("writing the EPUB with pandoc…")
    (workdir / STAMP).unlink(missing_ok=True)
    run_pandoc([*options, "--output", str(target)], text, cwd=workdir, timeout=timeout)
    write_atomic(workdir / STAMP, json.dumps({"inputs": inputs, "epub": file_digest(target)}))
    return target


def _validate(program: str, epub: Path, chapters: list[str], sources: dict[str, tuple[str, int]], book: Book,
              cache: Cache, timeout: float, say: Any) -> list[Diagnostic]:
    """epubcheck's errors and warnings about the EPUB, at the chapters' lines (kept per EPUB digest)."""
    key = digest("epubcheck/1", file_digest(epub))
    cached = cache.get("epubcheck", key)
    messages = None
    if cached is not None:
        try:
            messages = json.loads(cached.decode("utf-8"))
        except ValueError:
            cache.discard("epubcheck", key, counted_hit=True)
    if not isinstance(messages, list):
        say("checking the EPUB with epubcheck…")
        try:
            messages = epubcheck.run(program, epub, timeout)
        except epubcheck.EpubcheckError as exc:
            return [warning("epubcheck", book.display_config, 1, f"the EPUB was not validated: {exc}",
                            hint="install Debian's epubcheck package (and Java) to validate it")]
        cache.put("epubcheck", key, json.dumps(messages).encode("utf-8"))
    found = epubcheck.diagnostics(messages, epub, chapters, book.display_config, epubcheck.media_sources(epub, sources))
    say(f"epubcheck: {plural(sum(d.is_error for d in found), 'error')}, "
        f"{plural(sum(not d.is_error for d in found), 'warning')}")
    return found
