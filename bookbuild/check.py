"""Book-wide checks: load and parse every chapter, execute the selected ones, and
collect every diagnostic (parse, execution, references, citations, files).

Parsing is cheap, so every chapter of the book is always parsed: a reference
from one chapter to a label in another resolves even when only one chapter is
being checked or rendered.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from . import chapterfacts
from .diagnostics import Diagnostic, error, warning
from .cache import Cache
from .execute import FIGURE_FORMATS, ChapterJob, ExecutedChapter, ExecutionResult
from .execute.context import CellContext, chapter_context
from .execute.reuse import execute_with_cache
from .files import UnreadableSource, read_source
from .includes import expand_includes
from .limits import book_limits
from .callouts import Callouts, callout_diagnostics
from .language import chapter_lang_problems
from .pageoptions import LOCATIONS, chapter_location_problems, chapter_toc_problems, location, toc_depth
from .celloptions import check_book_options, document_defaults, front_matter_problems, with_defaults
from .lint import lint_chapter, prints_table_last
from .literals import literal_diagnostics, strict_literals
from .paths import OUTSIDE_HINT, outside_reason
from .project import Book, ChapterEntry, display_path
from .qmd import Chapter, parse_chapter
from .bibliography import check_style, read_bibliography
from .crossrefconfig import chapter_crossref_problems, custom_keys
from .references import (DEFAULT_IMAGE_EXTENSION, ChapterScan, bibliography_keys, chapter_source, is_local_path, local_path,
                         resolve_local, scan_chapter, with_default_extension)
from .shortcodes import ShortcodeContext, find_shortcodes, load_variables, shortcode_diagnostics
from .structure import structure_diagnostics
from .useroptions import option_diagnostics
from .configkeys import unsupported_keys

DATA_FILE_KEYS = ("quiz", "glossary", "concepts")


@dataclass(frozen=True)
class LoadedChapter:
    """A chapter of the book, read and parsed, with how diagnostics name its file."""

    entry: ChapterEntry
    file: Path
    shown: str
    chapter: Chapter
    include_problems: tuple[Diagnostic, ...] = ()  # where they stand in the including file already
    xref_kinds: tuple[str, ...] = ()  # the book's own float kinds (crossref: custom:), labels like figures'

    @functools.cached_property
    def scan(self) -> ChapterScan:
        """Labels, references, citations and images, found once when first needed."""
        return scan_chapter(self.chapter, self.xref_kinds)

    def job(self, book: Book, environ: Mapping[str, str] | None = None, writable: tuple[Path, ...] = (),
            output_format: str = "html") -> ChapterJob:
        """The chapter to run, in the context its cells see (``environ``: the command's environment), its
        cells' options completed by the chapter's and the book's for ``output_format`` (:mod:`bookbuild.celloptions`).

        A cell that changes files of the project is reported, except under ``writable``."""
        chapter = with_defaults(self.chapter, document_defaults(book.config, self.chapter.front_matter, output_format))
        return ChapterJob(chapter, str(self.file), self.shown, cell_context(book, self.file, environ),
                          root=str(book.root.resolve()), writable=tuple(str(p) for p in writable))


def cell_context(book: Book, chapter_file: Path, environ: Mapping[str, str] | None = None) -> CellContext:
    """Where the cells of ``chapter_file`` run, by the book's rules (execute-dir, _environment, PYTHONPATH)."""
    return chapter_context(book.root, chapter_file, execute_dir=book.execute_dir,
                           book_environment=book.environment, external=environ, profiles=book.profiles)


@dataclass
class CheckResult:
    """Everything a check found, grouped per chapter file (config problems first)."""

    book: Book
    chapters: list[LoadedChapter]
    executed: list[ExecutedChapter]
    groups: dict[str, list[Diagnostic]] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)  # _variables.yml, for the {{< var >}} shortcode
    unreadable: frozenset[Path] = frozenset()  # bibliographies and styles Pandoc cannot read: builds leave them out

    def usable(self, paths: list[Path]) -> list[Path]:
        """The bibliography or style files a build can give Pandoc (the others are this check's errors)."""
        return [path for path in paths if path.is_file() and path.resolve() not in self.unreadable]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for group in self.groups.values() for d in group]

    def executed_chapters(self) -> list[tuple[LoadedChapter, ExecutedChapter]]:
        """Each executed chapter with the book entry it came from."""
        by_path = {c.chapter.path: c for c in self.chapters}
        return [(by_path[e.chapter.path], e) for e in self.executed]


def load_chapters(book: Book, cache: Cache | None = None) -> list[LoadedChapter]:
    """Read and parse every chapter of the book (its includes expanded), in book order (a chapter
    whose text an earlier build parsed is taken from ``cache``)."""
    loaded = []
    kinds = custom_keys(book)
    for output_format in ("html", "latex"):
        toc_depth(book, output_format)  # a wrong value is the configuration's error (exit 2), before any work
        for key in LOCATIONS:
            location(book, key, output_format)
    for entry in book.chapters:
        file = (book.root / entry.path).resolve()
        shown = display_path(file)
        try:
            text = read_source(file, shown)
        except UnreadableSource as exc:
            # Read as empty, so the book keeps its shape (numbering, navigation); the error fails the build.
            loaded.append(LoadedChapter(entry, file, shown, parse_chapter(shown, ""), (exc.diagnostic,), kinds))
            continue
        text, source_map, problems = expand_includes(file, text, shown, book.root, display_path)
        chapter = chapterfacts.parsed_chapter(cache, shown, text)
        if source_map.includes_anything or problems:
            chapter = dataclasses.replace(chapter, source_map=source_map)
        loaded.append(LoadedChapter(entry, file, shown, chapter, tuple(problems), kinds))
    return loaded


def locate(diagnostics: list[Diagnostic], chapters: list[LoadedChapter]) -> list[Diagnostic]:
    """Diagnostics of chapters that include files, pointing into the file each line came from."""
    maps = {c.shown: c.chapter.source_map for c in chapters if c.chapter.source_map is not None}
    if not maps:
        return diagnostics
    return [maps[d.file].remap(d, d.file) if d.file in maps else d for d in diagnostics]


def check_book(book: Book, names: list[str] | None = None, *, engine: str = "inprocess", timeout: float | None = None,
               workers: int | None = None, cache: Cache | None = None,
               figure_formats: tuple[str, ...] = FIGURE_FORMATS, environ: Mapping[str, str] | None = None,
               writable: tuple[Path, ...] = (), literals: bool | None = None, output_format: str = "html",
               on_done: Callable[[ChapterJob, ExecutionResult], None] | None = None) -> CheckResult:
    """Parse the book, execute the selected chapters (reusing cached results when
    ``cache`` is given and they are still valid), and run the book-wide checks.

    ``environ`` is the environment the cells start from (default: this process's;
    see :func:`bookbuild.execute.context.chapter_context`). A cell that changes
    files of the project is a warning, except under ``writable`` (the build's output
    folder), the cache and the project's ``_build``. ``timeout`` (default: the
    book's ``bookbuild: timeout:``, else 120 s) limits each chapter. ``literals``
    (default: ``bookbuild: strict-literals:``) warns about values resting on hand-typed literals.
    Cell options are resolved for ``output_format`` (``html`` or ``latex``: a
    ``format: pdf: execute:`` key applies to the latter).
    """
    limits = book_limits(book, timeout)
    literals = strict_literals(book, literals)
    check_book_options(book)  # a bad `execute:` value stops the command before any work
    selected = {entry.path for entry in book.select(names or [])}
    chapters = load_chapters(book, cache)
    runnable = [c for c in chapters if c.entry.path in selected and not _blocks_execution(c.chapter)]
    builds = tuple(p.resolve() for p in (*writable, *([cache.root] if cache else []), book.root / book.output_dir)
                   if p.resolve() != book.root.resolve())
    with ThreadPoolExecutor(max_workers=1) as background:
        # Execution mostly waits on worker processes: scan the chapters meanwhile.
        running = background.submit(execute_with_cache, [c.job(book, environ, builds, output_format) for c in runnable],
                                    cache, engine=engine,
                                    timeout=limits.timeout, workers=workers or default_workers(),
                                    figure_formats=figure_formats, output_limit=limits.output_limit, on_done=on_done)
        for loaded in chapters:
            # Computed now, while the cells run (or read from the cache: it depends on the text only).
            loaded.__dict__["scan"] = chapterfacts.cached(cache, "scan", loaded.chapter, repr(loaded.xref_kinds),
                                                          lambda c=loaded: scan_chapter(c.chapter, c.xref_kinds),
                                                          chapterfacts.scan_json, chapterfacts.scan_from_json)
        executed = running.result()
    by_path = {c.chapter.path: e for c, e in zip(runnable, executed)}

    result = CheckResult(book, chapters, executed)
    labels = defined_labels(chapters)
    bib_keys, bib_diagnostics, result.unreadable = _bibliography(book)
    for problem in [*book.diagnostics, *bib_diagnostics]:  # each in the configuration file it is about
        result.groups.setdefault(problem.file, []).append(problem)
    result.variables, variable_diagnostics = load_variables(book.root)
    for problem in variable_diagnostics:
        result.groups.setdefault(problem.file, []).append(problem)
    for problem in option_diagnostics(book):
        result.groups.setdefault(problem.file, []).append(problem)
    shown = {key for c in chapters for key in chapterfacts.cached(cache, "meta-keys", c.chapter, "",
                                                                  lambda c=c: _meta_keys(c.chapter), list,
                                                                  chapterfacts.strings_from_json)}
    for problem in unsupported_keys(book.config_node, shown):  # each once, in the file that set the key
        result.groups.setdefault(problem.file, []).append(problem)
    for loaded in chapters:
        if loaded.entry.path not in selected:
            continue
        # Findings that depend on the chapter's text alone (the lint: and its values) come from the cache.
        structure = _remembered(cache, "structure", loaded, "", lambda c=loaded: structure_diagnostics(c.chapter))
        tikz = _remembered(cache, "tikz", loaded, "", lambda c=loaded: _tikz_diagnostics(c))
        group = [*loaded.chapter.diagnostics, *front_matter_problems(loaded.chapter), *structure,
                 *_remembered(cache, "callouts", loaded, _callout_words(book.callouts),
                              lambda c=loaded: callout_diagnostics(c.chapter, book.callouts)),
                 *chapter_lang_problems(loaded.chapter), *chapter_crossref_problems(loaded.chapter),
                 *chapter_toc_problems(loaded.chapter), *chapter_location_problems(loaded.chapter)]
        run = by_path.get(loaded.chapter.path)
        if run is not None:
            group.extend(run.diagnostics)
            group.extend(_remembered(cache, "lint", loaded, chapterfacts.values_text(run.values),
                                     lambda c=loaded, r=run: lint_chapter(c.chapter, r.values)))
            if literals:
                group.extend(literal_diagnostics(loaded.chapter, loaded.shown, run.values))
            group.extend(_labelled_cell_outputs(loaded, run))
        group.extend(duplicate_labels(chapters, loaded))
        own_keys, own_problems = _chapter_bibliography(loaded)
        group.extend(own_problems)
        group.extend(_reference_diagnostics(loaded, labels, bib_keys | own_keys))
        group.extend(_file_diagnostics(loaded, book.root))
        group.extend(_link_diagnostics(loaded, book))
        group.extend(option_diagnostics(book, (loaded.chapter, loaded.file)))
        group.extend(tikz)
        group.extend(shortcode_diagnostics(loaded.chapter, loaded.shown,
                                           ShortcodeContext(loaded.chapter.front_matter, book.config, result.variables)))
        group = locate(group, [loaded]) + list(loaded.include_problems)
        group.sort(key=lambda d: (d.file != loaded.shown, d.file, d.line, d.col))
        result.groups[loaded.shown] = group
    return result


def _callout_words(callouts: Callouts) -> str:
    """What the callout check reads of the book's callouts: the kinds it knows, and the default's label."""
    return json.dumps([sorted(kind for kind, _ in callouts.kinds), callouts.default.label])


def _meta_keys(chapter: Chapter) -> list[str]:
    """The configuration keys the chapter shows with ``{{< meta key >}}``."""
    return [s.args[0] for s in find_shortcodes(chapter) if s.name == "meta" and len(s.args) == 1]


def _remembered(cache: Cache | None, what: str, loaded: LoadedChapter, extra: str,
                find: Callable[[], list[Diagnostic]]) -> list[Diagnostic]:
    """``find()``'s diagnostics, from the cache when the chapter's text (and ``extra``) are an earlier build's."""
    return chapterfacts.cached(cache, what, loaded.chapter, extra, find,
                               chapterfacts.diagnostics_json, chapterfacts.diagnostics_from_json)


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _blocks_execution(chapter: Chapter) -> bool:
    """An unclosed fence or broken front matter makes the cells unreliable: do not run them."""
    return any(d.code in ("unclosed-fence",) for d in chapter.diagnostics)


def defined_labels(chapters: list[LoadedChapter]) -> dict[str, tuple[LoadedChapter, int]]:
    """Label -> (chapter, line) of its first definition in the book."""
    labels: dict[str, tuple[LoadedChapter, int]] = {}
    for loaded in chapters:
        for label in loaded.scan.labels:
            labels.setdefault(label.name, (loaded, label.line))
    return labels


def duplicate_labels(chapters: list[LoadedChapter], loaded: LoadedChapter) -> list[Diagnostic]:
    """An error at every definition of a label after its first one in the book."""
    first: dict[str, tuple[LoadedChapter, int]] = {}
    found = []
    for other in chapters:
        for label in other.scan.labels:
            if label.name not in first:
                first[label.name] = (other, label.line)
            elif other is loaded:
                where, line = first[label.name]
                found.append(error("label-duplicate", loaded.shown, label.line, f"label '{label.name}' is already defined at {where.shown}:{line}",
                                   col=label.col, hint="labels must be unique across the book: rename one of them and its references"))
    return found


def _bibliography(book: Book) -> tuple[set[str], list[Diagnostic], frozenset[Path]]:
    """The citation keys, the problems, and the files Pandoc cannot read (a build leaves them out)."""
    keys: set[str] = set()
    problems = []
    unreadable: set[Path] = set()
    for name in book.bibliography:
        path = (book.root / name).resolve()
        if path.is_file():
            found, problem = read_bibliography(path, display_path(path))
            keys |= found
            if problem is not None:
                problems.append(problem)
                unreadable.add(path)
        else:
            file, line, col = book.locate_item("bibliography", name)
            problems.append(warning("bibliography-missing", file, line, f"bibliography '{name}' does not exist",
                                    col=col, hint="fix the path under 'bibliography:'"))
    styles = {}
    for output_format in ("html", "pdf"):
        style = book.csl(output_format)
        if style is not None and style not in styles:
            own = book.locate("format", output_format, "csl")
            styles[style] = own if own != (book.display_config, 1, 1) else book.locate("csl")
    for style, (file, line, col) in sorted(styles.items()):
        if not style.is_file():
            problems.append(error("csl-missing", file, line, f"citation style '{style.name}' does not exist",
                                  col=col, hint="fix the path under 'csl:', or remove it for the default author-date style"))
        elif (problem := check_style(style, display_path(style))) is not None:
            problems.append(problem)
            unreadable.add(style)
    return keys, problems, frozenset(unreadable)


def chapter_bibliographies(book: Book, loaded: LoadedChapter) -> list[Path]:
    """The bibliography files a chapter cites from: the book's (relative to the project), then
    its own front matter's ``bibliography:`` (relative to the chapter, as in Quarto)."""
    files = [(book.root / name).resolve() for name in book.bibliography]
    return files + [path for path in _own_bibliographies(loaded) if path not in files]


def _own_bibliographies(loaded: LoadedChapter) -> list[Path]:
    value = loaded.chapter.front_matter.get("bibliography")
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [resolve_local(loaded.file, str(name)) for name in names if isinstance(name, str) and is_local_path(name)]


def _chapter_bibliography(loaded: LoadedChapter) -> tuple[set[str], list[Diagnostic]]:
    """The keys of the chapter's own bibliographies, and a warning for each that is missing."""
    keys: set[str] = set()
    problems = []
    for path in _own_bibliographies(loaded):
        if path.is_file():
            keys |= bibliography_keys(path.read_text(encoding="utf-8", errors="replace"))
        else:
            problems.append(warning("bibliography-missing", loaded.shown, _front_matter_line(loaded.chapter, "bibliography"),
                                    f"bibliography '{display_path(path)}' named in the front matter does not exist",
                                    hint="the path is relative to the chapter's folder"))
    return keys, problems


def _reference_diagnostics(loaded: LoadedChapter, labels: dict[str, object], bib_keys: set[str]) -> list[Diagnostic]:
    found = []
    for ref in loaded.scan.xrefs:
        if ref.name not in labels:
            found.append(warning("xref-unresolved", loaded.shown, ref.line, f"cross-reference '@{ref.name}' has no target in this book",
                                 col=ref.col, hint=f"define {{#{ref.name}}} or fix the reference; it renders as ?@{ref.name}"))
    for cite in loaded.scan.citations:
        if cite.name not in bib_keys:
            found.append(warning("citation-missing", loaded.shown, cite.line, f"citation '@{cite.name}' is not in the bibliography",
                                 col=cite.col, hint="add the entry to the book's .bib file or fix the key"))
    return found


def _file_diagnostics(loaded: LoadedChapter, root: Path) -> list[Diagnostic]:
    found = []
    for image in loaded.scan.images:
        if not is_local_path(image.name):
            continue
        outside = outside_reason(local_path(loaded.file, image.name), root, image.name)
        if outside:
            found.append(error("outside-project", loaded.shown, image.line, f"image {outside}",
                               col=image.col, hint=OUTSIDE_HINT))
        elif not any(resolve_local(loaded.file, name).is_file()  # `plot` may be `plot.png` (the website's default)
                     for name in (image.name, with_default_extension(image.name, DEFAULT_IMAGE_EXTENSION))):
            found.append(warning("image-missing", loaded.shown, image.line, f"image '{image.name}' does not exist",
                                 col=image.col, hint="check the path; it is relative to the chapter's folder"))
    front = loaded.chapter.front_matter
    for key in DATA_FILE_KEYS:
        value = front.get(key)
        if not isinstance(value, str) or not is_local_path(value):
            continue
        outside = outside_reason(local_path(loaded.file, value), root, value)
        if outside:
            found.append(error("outside-project", loaded.shown, _front_matter_line(loaded.chapter, key),
                               f"{key} file {outside}", hint=OUTSIDE_HINT))
        elif not resolve_local(loaded.file, value).is_file():
            found.append(warning("data-file-missing", loaded.shown, _front_matter_line(loaded.chapter, key),
                                 f"{key} file '{value}' named in the front matter does not exist",
                                 hint=f"add {value} beside the chapter, or remove the '{key}:' line"))
    return found


def _link_diagnostics(loaded: LoadedChapter, book: Book) -> list[Diagnostic]:
    """A link to a ``.qmd`` must name a chapter of this book (of this profile): otherwise it leads nowhere."""
    chapters = {posixpath.normpath(entry.path) for entry in book.chapters}
    found = []
    for link in loaded.scan.links:
        target = chapter_source(loaded.entry.path, link.name)
        if target is None or target[0] in chapters:
            continue
        exists = (book.root / target[0]).is_file()
        profile = f" (profile {', '.join(book.profiles)})" if book.profiles else ""
        found.append(warning("link-not-in-book", loaded.shown, link.line,
                             f"link to '{link.name}': " + (f"{target[0]} is not a chapter of this book{profile}" if exists
                                                           else f"{target[0]} does not exist"),
                             col=link.col, hint="links to .qmd files are resolved from the chapter's folder; "
                                                "link to a chapter the book lists, or to the other book's web address"))
    return found


def _tikz_diagnostics(loaded: LoadedChapter) -> list[Diagnostic]:
    """An error at a TikZ figure whose braces or environments do not pair up: LaTeX would fail on it."""
    from .render.markdown import TIKZ_INFO
    from .render.tikz import unbalanced

    found = []
    for block in loaded.chapter.blocks:
        if TIKZ_INFO.match(block.info) and (problem := unbalanced(block.code, block.line + 1)) is not None:
            line, reason = problem
            found.append(error("tikz-syntax", loaded.shown, line, f"TikZ figure: {reason}",
                               hint="balance the braces and \\begin/\\end pairs; LaTeX cannot compile the figure until then"))
    return found


def _labelled_cell_outputs(loaded: LoadedChapter, run: ExecutedChapter) -> list[Diagnostic]:
    """A ``fig-`` cell must draw a figure and a ``tbl-`` cell print a Markdown table last:
    otherwise there is nothing to caption and number, and references to it do not resolve."""
    found = []
    for result in run.cells:
        cell = run.chapter.cells[result.index]  # with the options it inherits
        label = cell.label or ""
        if not result.ran or not result.ok or cell.option("output", True) is False or cell.option("include", True) is False:
            continue
        if label.startswith("fig-") and not result.figures:
            found.append(warning("figure-output", loaded.shown, cell.line,
                                 f"cell '{label}' has a figure label but draws no figure, so nothing is captioned "
                                 "or numbered and references to it do not resolve",
                                 hint="draw the figure in this cell (plt.show() or leave the figure open), "
                                      "or drop the fig- label"))
        if label.startswith("tbl-"):
            if not prints_table_last(cell, result):
                found.append(warning("table-output", loaded.shown, cell.line,
                                     f"cell '{label}' has a table label but does not show a table last, "
                                     "so the table gets no caption or number and references to it do not resolve",
                                     hint="end the cell with the table: a pandas DataFrame as its last line, or a pipe "
                                          "table printed with '#| output: asis'; or drop the tbl- label"))
    return found


def _front_matter_line(chapter: Chapter, key: str) -> int:
    if chapter.front_matter_span:
        head = chapter.text[: chapter.front_matter_span.end]
        match = re.search(rf"^{re.escape(key)}\s*:", head, re.M)
        if match:
            return head.count("\n", 0, match.start()) + 1
    return 1
