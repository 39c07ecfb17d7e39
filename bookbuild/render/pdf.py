"""``make pdf``: the prepared book through Pandoc and the Lua filters into one LaTeX book, typeset by LuaLaTeX.

After the shared stages (:mod:`bookbuild.render.book`: execution, assembly,
numbering, cross-reference targets), each selected chapter's AST is made ready
for LaTeX here (images resolved to absolute paths, a ``% bookbuild: LINE FILE``
marker before each block so a LaTeX error can be traced back to the ``.qmd``),
converted by Pandoc with the LaTeX filters, and written to a working folder
under the cache folder, never into the project. One ``book.tex`` then puts the
title page, the contents, the lists of figures and tables, the chapters (with
their parts), the book's one bibliography and the index together, and
:mod:`bookbuild.render.latex_run` compiles it. The TikZ figures in floats are
typeset once each, with the book's preamble, before that
(:mod:`bookbuild.render.latex_figures`), so the passes do not typeset them again.
Each chapter is ``\\include``d: after an edit of one chapter, that chapter alone is
typeset and put into the last PDF when the rest of the book's layout cannot
have changed (:mod:`bookbuild.render.latex_splice`); a long book's settling pass runs in two
halves at once (:mod:`bookbuild.render.latex_halves`). The PDF is copied to the output
folder only when LaTeX succeeded, atomically.

Numbering matches the HTML site: chapters, sections, figures, tables and
equations are numbered by LaTeX's own counters, in the same order as the
build's numbering (unnumbered chapters are ``\\chapter*``; each chapter's
counter is set, so a one-chapter build keeps its number), and every reference
text comes from the same targets the HTML uses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence, TextIO

from ..cache import Cache, digest, file_digest, temporary_folder
from ..check import LoadedChapter, default_workers
from ..diagnostics import ConfigError, Diagnostic, error, plural, warning
from ..execute import ExecutedChapter
from ..files import write_atomic
from ..language import chapter_language, lang_option
from ..pageoptions import latex_tocdepth, layout_json, toc_depth
from ..limits import book_limits
from ..paths import contained, outside_reason
from ..callouts import Callouts
from ..palette import Palette
from ..project import Book
from ..shortcodes import ShortcodeContext, expand_in_text
from ..references import bibliography_keys, is_local_path, xref_kind
from .. import useroptions
from . import latex_figures, latex_halves, latex_setup, latex_splice, theme, userfilters, userstyles
from .book import Build, PreparedBook, bibliography_files, citation_style, cited_in_order, cited_keys, filter_data, meta_flags, output_stem, parallel, prepare_book, progress, render_chapter
from .latex_crossref import CHAPTER_NUMBERS, PLAIN_NUMBERS, crossref_preamble, latex_text as latex_escape
from .latex_language import babel_locale, hyphenation_warning, language_preamble, no_locale_warning
from .latex_run import LatexResult, compile_document
from .latex_source import SOURCE_MARKER, ChapterTex, latex_diagnostic, log_diagnostics, with_markers
from .html import tikz_figures
from .links import book_chapter_targets, with_chapter_links
from .markdown import AssemblyInputs
from .pandoc import PandocError, pandoc_version, run_pandoc
from .tree import IMAGES, with_blocks, with_target
from .svg import SvgError, svg_to_pdf
from .tikz import TikzError, tikz_preamble
from .userfilters import FilterError

LATEX_FILTERS = ["conditional", "codeescape", "list-table", "crossref", "citeproc", "latex-commands", "latex-book", "callouts",
                 "layout"]
PREAMBLE_FILE = theme.THEME_DIR / "latex-preamble.tex"
TIKZ_MARKER = "%%BOOKBUILD:TIKZ%%"
HIGHLIGHT_MARKER = "%%BOOKBUILD:HIGHLIGHT%%"
BODY_MARKER = "%%BOOKBUILD:BODY%%"
PARTS_TEMPLATE = f"$highlighting-macros$\n{BODY_MARKER}\n$body$\n"
JOBNAME = "book"
STAMP = "book.inputs.json"  # the digest of the inputs of the last successful, settled run
# Holds the PDF's /ID (see document_id). LuaTeX's own ID hashes the working
# folder's path, so two builds of one book in two cache folders would differ.
PDF_ID_FILE = "pdf-id.tex"
CITATION_ORDER_CLASS = "bookbuild-citation-order"  # see latex_ast
#: Images the chapters include (the build makes every path absolute).
INCLUDED = re.compile(r"\{(/[^{}\n]+\.(?:pdf|png|jpe?g|jbig2|jb2))\}", re.I)
#: Image formats LuaLaTeX includes.
IMAGE_FORMATS = (".pdf", ".png", ".jpg", ".jpeg", ".jbig2", ".jb2")
#: Lines of the TikZ preamble that belong to its standalone documents, not to the book.
TIKZ_ONLY = re.compile(r"^\\documentclass|^\\usepackage(\[[^\]]*\])?\{(fontenc|lmodern|helvet)\}")


@dataclass
class PdfBuild(Build):
    """What a PDF build did: the PDF written (None on failure), its pages and LaTeX passes."""

    pdf: Path | None = None
    pages: int = 0
    passes: int = 0
    chapters: int = 0
    workdir: Path | None = None

    def written(self) -> list[Path]:
        return [self.pdf] if self.pdf else []


def pdf_name(book: Book, names: list[str] | None) -> str:
    """``machine-learning-systems.pdf`` from the title (``book.pdf`` without one); a chapter build adds its name."""
    return f"{output_stem(book, names)}.pdf"


def check_setup(book: Book, log: TextIO, *, allow_install: bool = True) -> None:
    """Stop with exit status 2 (a ConfigError) when TeX programs or packages are missing and cannot be installed."""
    optional = latex_setup.ensure(log, allow_install=allow_install, requirements=latex_setup.OPTIONAL_REQUIREMENTS,
                                  purpose="the PDF (SVG images, callout icons)")
    if optional:
        log.write(f"  without {', '.join(r.name for r in optional)}, SVG images show a placeholder and callouts "
                  f"have no icons; install it with: {latex_setup.install_command(optional)}\n")
    absent = latex_setup.ensure(log, allow_install=allow_install)
    if absent:
        names = ", ".join(r.name for r in absent)
        raise ConfigError(error(
            "latex-setup", book.display_config, 1,
            f"the PDF build needs TeX programs and packages that are not installed: {names}",
            hint=f"install them with: {latex_setup.install_command(absent)}"))


def build_pdf(book: Book, out_dir: Path, cache_dir: Path, names: list[str] | None = None, *,
              engine: str = "inprocess", timeout: float | None = None, workers: int | None = None,
              latex_timeout: float | None = None, allow_install: bool = True,
              log: TextIO = sys.stderr) -> PdfBuild:
    """Build the book (or the named chapters, keeping the book's numbering) into ``out_dir/<name>.pdf``.


    ``timeout`` (default: the book's) limits each chapter's execution and each Pandoc run;
    each LaTeX pass gets ``latex_timeout`` (default: that limit times ``limits.LATEX_FACTOR``).

    The LaTeX working folder is in the cache when it can be written; else (after the
    cache's one warning: read-only, or full when the build tries) a private temporary folder.
    """
    started = time.perf_counter()
    latex_timeout = latex_timeout or book_limits(book, timeout).latex_timeout
    check_setup(book, log, allow_install=allow_install)
    cache = Cache(cache_dir, log=log)
    workdir = cache.folder("pdf", digest(str(book.root.resolve()), *book.profiles, *sorted(names or []))[:16])
    # Where the whole book's build puts its figures: a chapter not built now is assembled with those paths,
    # as that build assembled it, so its AST comes from the cache.
    book_figures = cache.root / "pdf" / digest(str(book.root.resolve()), *book.profiles)[:16]
    run = functools.partial(_build_pdf, book, out_dir, cache, names, book_figures=book_figures, engine=engine, timeout=timeout,
                            workers=workers or default_workers(), latex_timeout=latex_timeout, log=log, started=started)
    try:
        return run(workdir)
    except OSError as exc:
        if not (workdir.is_relative_to(cache.root) and _about(exc, workdir)):
            raise
        cache.cannot_write(exc)
        cache.stats.clear()  # the summary describes the build that finishes
        return run(temporary_folder("bookbuild-work-"))


def _about(exc: OSError, folder: Path) -> bool:
    """The error is about a file in ``folder``."""
    return any(isinstance(name, str) and Path(name).is_relative_to(folder) for name in (exc.filename, exc.filename2))


def _disk_full(folder: Path) -> bool:
    """Almost no space is left where ``folder`` is (LaTeX then fails without saying why)."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < (1 << 20)


def _build_pdf(book: Book, out_dir: Path, cache: Cache, names: list[str] | None, workdir: Path, *,
               book_figures: Path, engine: str, timeout: float | None, workers: int, latex_timeout: float, log: TextIO,
               started: float) -> PdfBuild:
    say = progress(log)
    with _locked(workdir):
        def write_figures(loaded: LoadedChapter, executed: ExecutedChapter, problems: list[Diagnostic]) -> AssemblyInputs:
            inputs = _figures(book, loaded, executed, workdir, problems)
            return dataclasses.replace(inputs, tikz_paths=_failed_tikz(book, loaded, cache, workers, timeout, problems))

        def figure_paths(loaded: LoadedChapter, executed: ExecutedChapter, problems: list[Diagnostic]) -> AssemblyInputs:
            inputs = _figures(book, loaded, executed, book_figures, problems, write=False)
            return dataclasses.replace(inputs, tikz_paths=_failed_tikz(book, loaded, cache, workers, timeout, problems))

        prepared = prepare_book(book, names, write_figures, output_format="latex", cache=cache, engine=engine,
                                timeout=timeout, workers=workers, log=log, writable=(out_dir,),
                                figure_paths=figure_paths if names else None)
        build = PdfBuild(out_dir, prepared=prepared, workdir=workdir, cache=cache)
        jobs = prepared.rendered()
        build.chapters = len(jobs)
        say(f"converting {plural(len(jobs), 'chapter')} to LaTeX…")
        # One bibliography at the back: the book's and every chapter's own.
        bib_files = bibliography_files(prepared.check, prepared.chapters)
        csl = citation_style(prepared.check, "pdf")
        known_keys = set().union(*[bibliography_keys(p.read_text(encoding="utf-8", errors="replace"))
                                   for p in bib_files])
        # In the order the book first cites them: a numeric style numbers them so, in the text and the list.
        cited = [key for key in dict.fromkeys(k for _, ast, _, _ in jobs for k in cited_in_order(ast))
                 if key in known_keys and not xref_kind(key)]
        numeric = is_numeric_style(csl)
        rendered_pages = {page.page for _, _, page, _ in jobs}
        absent = {label for label, target in prepared.targets.items() if target.page not in rendered_pages}

        icons = _callout_icons(workdir / "icons", book.callouts)
        chapter_targets = book_chapter_targets([c.entry.path for c in prepared.chapters],
                                               [p.page for p in prepared.pages], prepared.asts)
        included_by: dict[int, dict[str, list[str]]] = {}  # what the book's filters included, by chapter

        def convert(n: int, job: tuple[LoadedChapter, dict[str, Any], Any, Any]) -> tuple[ChapterTex | None, list[Diagnostic]]:
            loaded, ast, page, numbers = job
            referenced = cited_keys(ast, prepared.crossref.custom_keys)
            data = filter_data(page.page, numbers, prepared.targets, book.palette, callouts=book.callouts, referenced=referenced,
                               single_document=True, crossref=prepared.crossref,
                               language=chapter_language(prepared.language, loaded.chapter.front_matter),
                               layout=layout_json(book, "latex", loaded.chapter.front_matter))
            data["meta"] = meta_flags(book.config, loaded.chapter.front_matter)
            for kind, style in [*data["callouts"]["kinds"].items(), ("default", data["callouts"]["default"])]:
                if kind in icons:
                    style["icon_pdf"] = icons[kind]
            data["absent"] = {label: True for label in sorted(referenced & absent)}
            problems: list[Diagnostic] = []
            linked = with_chapter_links(ast, loaded.entry.path, page.page, chapter_targets, single_document=True)
            ready = latex_ast(loaded, linked, cited, problems, workdir / "images", numeric=numeric, root=book.root)
            try:
                highlighting, body, said = _pandoc_latex(book, loaded, ready, data, bib_files, csl, cache,
                                                          prepared.pandoc_timeout, lang_option(prepared.language))
            except FilterError as exc:
                return None, [*problems, exc.diagnostic]
            except PandocError as exc:
                return None, [*problems, error("pandoc", loaded.shown, 1, f"pandoc failed: {exc}")]
            heard = userfilters.report(said)
            problems += heard.diagnostics
            for row in heard.output:
                say(row)
            included_by[n] = heard.includes
            name = f"chapters/{n:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '-', loaded.entry.name)}.tex"
            head = "" if body.startswith(SOURCE_MARKER) else f"{SOURCE_MARKER}1 {loaded.shown}\n"
            write_atomic(contained(workdir, name), f"{head}{body.strip()}\n\\bookchapterend{{{name.removesuffix('.tex')}}}\n")
            return ChapterTex(loaded, name, numbers.chapter, page.part, highlighting, page.part_page, page.appendix), problems

        converted = parallel(workers, [lambda n=n, j=j: convert(n, j) for n, j in enumerate(jobs)])
        included: dict[str, list[str]] = {place: [] for place in userfilters.INCLUDE_PLACES}
        for n in sorted(included_by):  # in book order, whichever chapter finished first
            for place, texts in included_by[n].items():
                included[place] += [text for text in texts if text not in included[place]]
        chapters = [c for c, _ in converted if c is not None]
        for _, problems in converted:
            # A user filter's warning or failure is the same in every chapter: report it once.
            build.diagnostics.extend(d for d in problems if d not in build.diagnostics)
        if len(chapters) < len(jobs):
            say("not typesetting: Pandoc failed on a chapter")
            build.seconds = time.perf_counter() - started
            return build

        bibliography = _bibliography(cited, bib_files, csl, cache, lang_option(prepared.language)) if cited else ""
        write_atomic(workdir / "bibliography.tex", bibliography)
        locale = None
        if prepared.language.lang_set:
            locale = babel_locale(prepared.language.lang, latex_setup.kpsewhich_lookup)
            if locale is None:
                build.diagnostics.append(no_locale_warning(book, prepared.language.lang))
        try:
            document = book_document(book, chapters, prepared, has_bibliography=bool(bibliography),
                                     included={place: "\n".join(texts) for place, texts in included.items()},
                                     locale=locale)
        except TikzError as exc:
            build.diagnostics.append(error("latex-setup", book.display_config, 1, str(exc)))
            build.seconds = time.perf_counter() - started
            return build
        latex_figures.place_in_chapters(document, [c.file for c in chapters], workdir, cache, workers=workers,
                                        timeout=latex_timeout, say=say)
        write_atomic(workdir / f"{JOBNAME}.tex", document)

        texts, images = _document_inputs(workdir, chapters)
        inputs = _inputs_digest(texts, images)
        identifier = document_id(workdir, texts, images)
        write_atomic(workdir / PDF_ID_FILE, f"\\pdfvariable trailerid {{[<{identifier}> <{identifier}>]}}\n")
        result = _unchanged(workdir, inputs)
        files = {name: digest(text) for name, text in zip(_document_files(chapters), texts)}
        if result is None:
            result = latex_splice.typeset_alone(workdir, JOBNAME, STAMP, files, images, identifier, latex_timeout, say)
            if result is None:
                say(f"typesetting with {latex_setup.ENGINE} in {workdir}…")
                stems = [c.file.removesuffix(".tex") for c in chapters]
                halves = functools.partial(latex_halves.typeset_in_halves, workdir, JOBNAME, stems, latex_timeout, say) \
                    if workers >= 2 and len(stems) >= 2 else None
                result = compile_document(workdir, JOBNAME, timeout=latex_timeout, say=say,
                                          indexed=any("\\index{" in text for text in texts), halves=halves)
            if not result.ok and not result.timed_out and _disk_full(workdir):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(workdir))
            stamp = workdir / STAMP
            stamp.unlink(missing_ok=True)
            if result.ok and result.settled:
                pdf_digest = file_digest(workdir / f"{JOBNAME}.pdf")
                write_atomic(stamp, json.dumps({"inputs": inputs, "pages": result.pages, "pdf": pdf_digest,
                                                "files": files, "images": images}))
        else:
            say("the LaTeX document is unchanged since the last build: not typesetting it again")
        build.passes = result.passes
        if not result.ok:
            build.diagnostics.append(latex_diagnostic(book, workdir, chapters, result, JOBNAME))
        else:
            build.pages = result.pages
            build.diagnostics.extend(log_diagnostics(book, chapters, result))
            unhyphenated = hyphenation_warning(book, prepared.language, result.log or "")
            build.diagnostics.extend([unhyphenated] if unhyphenated else [])
            target = contained(out_dir, pdf_name(book, names))
            write_atomic(target, (workdir / f"{JOBNAME}.pdf").read_bytes())
            build.pdf = target
    build.seconds = time.perf_counter() - started
    return build


def _inputs_digest(texts: list[str], images: list[tuple[str, str]]) -> str:
    """What the PDF depends on: the LaTeX files, every image they include, and the TeX engine."""
    return digest("pdf-inputs/1", latex_setup.engine_identity(), *texts, *[f"{path}:{digest_}" for path, digest_ in images])


def document_id(workdir: Path, texts: list[str], images: list[tuple[str, str]]) -> str:
    """The PDF's /ID: a hash of the document's content that does not depend on where it is built."""
    where = str(workdir)
    return digest("pdf-id/1", *[text.replace(where, "") for text in texts],
                  *[digest_ for _, digest_ in images])[:32].upper()


def _document_files(chapters: list[ChapterTex]) -> list[str]:
    """The LaTeX files of the document, relative to the working folder."""
    return [f"{JOBNAME}.tex", "bibliography.tex", *(c.file for c in chapters)]


def _document_inputs(workdir: Path, chapters: list[ChapterTex]) -> tuple[list[str], list[tuple[str, str]]]:
    """The LaTeX files' texts, and (path, content digest) of every image they include."""
    texts = [(workdir / name).read_text(encoding="utf-8") for name in _document_files(chapters)]
    images = sorted({m.group(1) for text in texts for m in INCLUDED.finditer(text)})
    return texts, [(path, file_digest(Path(path))) for path in images]


def _unchanged(workdir: Path, inputs: str) -> LatexResult | None:
    """The previous run's result when the document and its images are exactly as then (and its PDF
    is there, with the digest it had then)."""
    try:
        stamp = json.loads((workdir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("inputs") != inputs \
            or stamp.get("pdf") != file_digest(workdir / f"{JOBNAME}.pdf"):
        return None
    log = (workdir / f"{JOBNAME}.log").read_text(encoding="utf-8", errors="replace") \
        if (workdir / f"{JOBNAME}.log").is_file() else ""
    pages = stamp.get("pages", 0)
    return LatexResult(ok=True, passes=0, pages=pages if isinstance(pages, int) else 0, log=log)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One build at a time in a working folder (two builds of one book wait for each other)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- figures

def _figures(book: Book, loaded: LoadedChapter, executed: ExecutedChapter, workdir: Path,
             problems: list[Diagnostic], *, write: bool = True) -> AssemblyInputs:
    """Write the chapter's matplotlib figures as PDF files in the working folder (``write`` false: only
    name them); TikZ stays LaTeX (a figure float's picture is then typeset once on its own page:
    :mod:`bookbuild.render.latex_figures`)."""
    folder = workdir / "figures" / re.sub(r"[^A-Za-z0-9_-]+", "-", loaded.entry.name)
    paths = {}
    for cell in executed.cells:
        info = loaded.chapter.cells[cell.index]
        for figure in cell.figures:
            # What LaTeX includes, in Quarto's order for PDF: PDF, then PNG, then JPEG.
            suffix, data = next(((s, d) for s, d in (("pdf", figure.pdf), ("png", figure.png), ("jpg", figure.jpeg))
                                 if d is not None), ("", None))
            if data is None:
                problems.append(warning("pdf-figure", loaded.shown, info.line,
                                        f"figure {figure.number} of cell {info.label or cell.index + 1} has no PDF, PNG or "
                                        "JPEG version; it is left out of the PDF"))
                continue
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{info.label or f'cell-{cell.index + 1}'}-{figure.number}") + f".{suffix}"
            if write:
                write_atomic(contained(folder, name), data)
            paths[(cell.index, figure.number)] = (folder / name).as_posix()
    return AssemblyInputs(paths, {}, output_format="latex")


def _failed_tikz(book: Book, loaded: LoadedChapter, cache: Cache, workers: int, timeout: float | None,
                 problems: list[Diagnostic]) -> dict[int, None]:
    """The chapter's TikZ figures that do not compile (start offset -> None), each reported at its
    line with its label; LaTeX typesets the others in the book, so one bad figure neither stops
    the PDF nor hides the next one's error. Without latex and dvisvgm, LaTeX is left to judge."""
    if not (shutil.which("latex") and shutil.which("dvisvgm")):
        return {}
    compiled = tikz_figures(book, loaded, cache, workers, book_limits(book, timeout).timeout, problems)
    return {start: None for start, result in compiled.items() if result is None}


# --------------------------------------------------------------------------- the chapter AST

def latex_ast(loaded: LoadedChapter, ast: dict[str, Any], cited: list[str], problems: list[Diagnostic],
              images: Path, *, numeric: bool = False, root: Path | None = None) -> dict[str, Any]:
    """A copy of the chapter's AST ready for LaTeX: images resolved (SVGs converted into ``images``),
    source markers, the book's citations (``cited``, in the book's order)."""
    ready = _resolve_images(loaded, ast, problems, images, root)  # a new tree: ``ast`` is not changed
    if loaded.entry.part_page:
        # A part's page: \part carries its title, its text follows.
        ready["blocks"] = _without_title(ready["blocks"])
    ready["blocks"] = with_markers(loaded, ready["blocks"])
    meta = ready["meta"] = dict(ast.get("meta", {}))
    meta["suppress-bibliography"] = {"t": "MetaBool", "c": True}
    if cited:
        # Every work the book cites, so citeproc disambiguates ("2020a") as the bibliography does.
        meta["nocite"] = {"t": "MetaInlines", "c": [_cite(key) for key in cited]}
    if cited and numeric:
        # Citeproc numbers works in the order a document cites them (nocite last): cite them
        # all first, in the book's order, so [n] is the book's number; latex-book.lua drops this.
        priming = {"t": "Para", "c": [_cite(key) for key in cited]}
        ready["blocks"] = [{"t": "Div", "c": [["", [CITATION_ORDER_CLASS], []], [priming]]}, *ready["blocks"]]
    return ready


def is_numeric_style(csl: Path | None) -> bool:
    """True for a citation style that numbers works (its citations show ``citation-number``)."""
    if csl is None:
        return False
    text = csl.read_text(encoding="utf-8", errors="replace")
    citation = re.search(r"<citation\b.*?</citation>", text, re.S)
    return bool(citation and "citation-number" in citation.group(0))


def _callout_icons(folder: Path, callouts: Callouts) -> dict[str, str]:
    """Kind -> a PDF of its callout icon in the callout's colour (none when the SVG cannot be converted:
    the box is then drawn without it)."""
    icons = {}
    for kind, style in [*callouts.kinds, ("default", callouts.default)]:
        if not style.icon_svg:
            continue
        svg = folder / f"{kind}.svg"
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(svg, theme.icon_svg_in_color(style))
        try:
            icons[kind] = svg_to_pdf(svg, folder).as_posix()
        except SvgError:
            return {}
    return icons


def _without_title(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks without the first level-1 heading."""
    for n, block in enumerate(blocks):
        if block.get("t") == "Header" and block["c"][0] == 1:
            return blocks[:n] + blocks[n + 1:]
    return blocks


def _cite(key: str) -> dict[str, Any]:
    citation = {"citationId": key, "citationPrefix": [], "citationSuffix": [], "citationMode": {"t": "NormalCitation"},
                "citationNoteNum": 0, "citationHash": 0}
    return {"t": "Cite", "c": [[citation], [{"t": "Str", "c": f"@{key}"}]]}


def _resolve_images(loaded: LoadedChapter, ast: dict[str, Any], problems: list[Diagnostic], images: Path,
                    root: Path | None) -> dict[str, Any]:
    """``ast`` (unchanged) with local images as absolute paths (nothing is copied), SVGs converted PDFs
    in ``images``; those LaTeX cannot include, or that lie outside the project, become a placeholder."""
    def fixed(image: dict[str, Any]) -> dict[str, Any]:
        url = image["c"][2][0]
        if not is_local_path(url):
            problems.append(warning("pdf-image", loaded.shown, _line_of(loaded, url),
                                    f"image '{url}' is not a local file: the PDF shows a placeholder",
                                    hint="download it into the book and refer to the file"))
            return _placeholder(url)
        named = Path(url) if os.path.isabs(url) else loaded.file.parent / url.split("#", 1)[0]
        # The build's own figures (written into the working folder beside ``images``) are not the author's.
        if root is not None and not named.is_relative_to(images.parent) and outside_reason(named, root, url):
            return _placeholder(url)  # the check's error names the image's line
        path = named.resolve()
        if not path.is_file():
            return _placeholder(url)  # `make check` reports the missing file
        if path.suffix.lower() == ".svg":
            try:
                path = svg_to_pdf(path, images)
            except SvgError as exc:
                problems.append(warning("pdf-image", loaded.shown, _line_of(loaded, url),
                                        f"SVG image '{url}' cannot be put in the PDF: {exc}; the PDF shows a placeholder",
                                        hint="open the SVG in a browser to check it, or add a PDF or PNG version"))
                return _placeholder(url)
        elif path.suffix.lower() not in IMAGE_FORMATS:
            problems.append(warning("pdf-image", loaded.shown, _line_of(loaded, url),
                                    f"image '{url}' is a {path.suffix or 'suffix-less'} file, which LaTeX cannot include: "
                                    "the PDF shows a placeholder",
                                    hint='add a PDF or PNG version and show it in `::: {.content-visible when-format="pdf"}`'))
            return _placeholder(url)
        return with_target(image, path.as_posix())

    return {**with_blocks(ast, IMAGES, fixed)}


def _placeholder(url: str) -> dict[str, Any]:
    return {"t": "RawInline", "c": ["latex", f"\\bookmissingimage{{{latex_escape(url)}}}"]}


def _line_of(loaded: LoadedChapter, needle: str) -> int:
    offset = loaded.chapter.text.find(needle)
    return loaded.chapter.text.count("\n", 0, offset) + 1 if offset >= 0 else 1


# --------------------------------------------------------------------------- Pandoc

def _pandoc_latex(book: Book, loaded: LoadedChapter, ast: dict[str, Any], data: dict[str, Any], bib_files: list[Path],
                  csl: Path | None, cache: Cache, timeout: float, lang: list[str]) -> tuple[str, str, list[dict[str, Any]]]:
    """(highlighting macros, LaTeX body, what the book's own filters said) of one chapter, from Pandoc or the cache
    (``lang``: Pandoc's ``lang`` option when the book sets it, which citations are localised by)."""
    user, _ = useroptions.filters(book, "latex", loaded.chapter, loaded.file)
    said: list[dict[str, Any]] = []
    output = render_chapter("pandoc-latex", ast, data, template=PARTS_TEMPLATE, filters=LATEX_FILTERS,
                            options=["--to", "latex", "--top-level-division=chapter", "--wrap=preserve", *lang],
                            bibliographies=bib_files, folder=loaded.file.parent, cache=cache, csl=csl,
                            user_filters=user, messages=said, timeout=timeout)
    highlighting, _, body = output.partition(BODY_MARKER)
    return highlighting.strip(), body.strip(), said


def _bibliography(keys: list[str], bib_files: list[Path], csl: Path | None, cache: Cache, lang: list[str]) -> str:
    """The book's one list of references: every work the rendered chapters cite.

    The works are cited in ``keys`` order (the book's) inside ``\\iffalse``, not with
    ``nocite``: a numeric style then numbers them as the chapters do (nocite items are
    numbered in the order of the .bib file).
    """
    citations = " ".join(f"[@{key}]" for key in keys)
    source = "\n".join(["```{=latex}", "\\iffalse", "```", "", citations, "", "```{=latex}", "\\fi", "```", "",
                         "::: {#refs}", ":::", ""])
    args = ["--from", "markdown", "--to", "latex", "--citeproc", "--metadata", "link-citations=true", "--wrap=preserve", *lang]
    for path in bib_files:
        args += ["--bibliography", str(path)]
    if csl:
        args += ["--csl", str(csl)]
    key = digest("bibliography", pandoc_version(), source, *args, *[file_digest(path) for path in bib_files],
                 *([file_digest(csl)] if csl else []))
    cached = cache.get("pandoc-latex", key)
    if cached is not None:
        try:
            return cached.decode("utf-8")
        except UnicodeDecodeError:
            cache.discard("pandoc-latex", key, counted_hit=True)
    text = run_pandoc(args, source)
    cache.put("pandoc-latex", key, text.encode("utf-8"))
    return text


# --------------------------------------------------------------------------- the book document

def _authors(author: Any) -> list[str]:
    if not author:
        return []
    if isinstance(author, (str, int, float)):
        return [str(author)]
    if isinstance(author, dict):
        name = author.get("name")
        if isinstance(name, dict):
            name = name.get("literal") or " ".join(str(v) for v in name.values())
        return [str(name)] if name else []
    if isinstance(author, list):
        return [name for item in author for name in _authors(item)]
    return [str(author)]


def preamble(palette: Palette, highlighting: str = "", tikz_header: Sequence[str] = ()) -> str:
    """The book's preamble: theme/latex-preamble.tex with the TikZ set-up, palette, the book's
    ``diagram: engine: tikz: header-includes:`` and highlighting put in."""
    tikz = "\n".join(row for row in tikz_preamble(palette, tikz_header).splitlines() if not TIKZ_ONLY.match(row.strip()))
    parts = {TIKZ_MARKER: "% The TikZ set-up of theme/tikz-preamble.tex, the book palette and its TikZ header:\n" + tikz,
             HIGHLIGHT_MARKER: highlighting}
    rows = PREAMBLE_FILE.read_text(encoding="utf-8").splitlines()
    return "\n".join(parts.get(row.strip(), row) for row in rows) + "\n"


def _class_line(book: Book) -> str:
    pdf = book.formats.get("pdf") if isinstance(book.formats, dict) else None
    pdf = pdf if isinstance(pdf, dict) else {}
    documentclass = str(pdf.get("documentclass") or "scrbook")
    options = [str(pdf.get("fontsize") or "10pt"), "oneside"]
    classoption = pdf.get("classoption") or []
    options += [str(o) for o in (classoption if isinstance(classoption, list) else [classoption])]
    paper = str(pdf.get("papersize") or "letter")
    paper = paper if paper.endswith("paper") else f"{paper}paper"
    return (f"\\PassOptionsToPackage{{{paper}}}{{geometry}}\n"
            f"\\documentclass[{','.join(options)}]{{{documentclass}}}\n")


def book_document(book: Book, chapters: list[ChapterTex], prepared: PreparedBook, *, has_bibliography: bool,
                  included: dict[str, str] | None = None, locale: str | None = None) -> str:
    """``book.tex``: preamble, title page, contents, lists, the chapters with their parts, bibliography, index.

    ``included``: what the book's filters included (``quarto.doc.include_text``) by place; ``locale``: babel's
    locale for the book's ``lang:`` (None: no babel)."""
    highlighting = next((c.highlighting for c in chapters if c.highlighting), "")
    authors = _authors(book.author)
    rendered = {c.loaded.chapter.path for c in chapters}
    kinds = {kind for numbers, loaded in zip(prepared.numbers, prepared.chapters) if loaded.chapter.path in rendered
             for kind, _ in numbers.labels.values()}
    author_list = " \\\\ ".join(latex_escape(a) for a in authors)
    specs, _ = useroptions.includes(book, "latex")
    # The book's own include-in-header, header-includes, before/after body, their shortcodes expanded.
    context = ShortcodeContext({}, book.config, prepared.check.variables, "latex")
    own = userstyles.latex_parts(specs, lambda text: expand_in_text(text, context))
    by_filters = included or {}
    rows = [_class_line(book), preamble(book.palette, highlighting, book.tikz_header), crossref_preamble(prepared.crossref),
            language_preamble(prepared.language, locale) + latex_tocdepth(toc_depth(book, "latex")),
            *_own("include-in-header / header-includes", own.head),
            *_own("filters' in-header includes", by_filters.get("in-header", "")),
            f"\\input{{{PDF_ID_FILE}}}", "\\ifdefined\\bookincludeonly\\includeonly{\\bookincludeonly}\\fi", ""]
    title, subtitle = latex_escape(book.title), latex_escape(str(book.subtitle or ""))
    rows.append(f"\\hypersetup{{pdftitle={{{title}}}, pdfauthor={{{latex_escape(', '.join(authors))}}}}}")
    rows += ["", "\\begin{document}", "\\frontmatter", f"\\booktitlepage{{{title}}}{{{subtitle}}}{{{author_list}}}",
             *_own("include-before-body", own.before_body),
             *_own("filters' before-body includes", by_filters.get("before-body", "")), "\\booklist{\\tableofcontents}"]
    if "fig" in kinds:
        rows.append("\\booklist{\\listoffigures}")
    if "tbl" in kinds:
        rows.append("\\booklist{\\listoftables}")
    main = appendices = False
    part = None
    for chapter in chapters:
        if not main and (chapter.number is not None or chapter.part or chapter.appendix):
            rows += ["", "\\mainmatter"]
            main = True
        if chapter.appendix and not appendices:
            rows += ["", "\\appendix", f"\\addpart{{{latex_escape(prepared.language['section-title-appendices'])}}}"]
            appendices = True
        if chapter.part and chapter.part != part:
            rows.append(f"\\part{{{latex_escape(chapter.part)}}}")
        part = chapter.part
        rows.append("")
        if chapter.number is not None and chapter.number.isdigit():
            rows.append(f"\\setcounter{{chapter}}{{{int(chapter.number) - 1}}}")
        if not chapter.part_page:
            rows.append(CHAPTER_NUMBERS if chapter.number is not None else PLAIN_NUMBERS)
        # \include: the chapter keeps its own .aux, so one pass can typeset it alone (latex_splice).
        stem = chapter.file.removesuffix(".tex")
        rows.append(f"\\bookprogress{{{chapter.file}}}\\include{{{stem}}}\\bookchapterskipped{{{stem}}}")
    rows += ["", "\\backmatter"]
    if has_bibliography:
        rows += [f"\\addchap{{{latex_escape(prepared.language['section-title-references'])}}}", "\\input{bibliography.tex}"]
    rows += ["\\printindex", *_own("include-after-body", own.after_body),
             *_own("filters' after-body includes", by_filters.get("after-body", "")), "\\end{document}", ""]
    return "\n".join(rows)


def _own(key: str, text: str) -> list[str]:
    """The book's own LaTeX for one place in book.tex, marked by the key it came from (nothing when empty)."""
    return [f"% the book's {key}:", text] if text.strip() else []
