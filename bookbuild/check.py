"""Book-wide checks: load and parse every chapter, execute the selected ones, and
collect every diagnostic (parse, execution, references, citations, files).

Parsing is cheap, so every chapter of the book is always parsed: a reference
from one chapter to a label in another resolves even when only one chapter is
being checked or rendered.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .diagnostics import Diagnostic, error, warning
from .cache import Cache
from .execute import FIGURE_FORMATS, ChapterJob, ExecutedChapter, ExecutionResult
from .execute.reuse import execute_with_cache
from .includes import expand_includes
from .limits import book_limits
from .lint import lint_chapter, prints_table_last
from .project import Book, ChapterEntry, display_path
from .qmd import Chapter, parse_chapter
from .references import ChapterScan, bibliography_keys, is_local_path, resolve_local, scan_chapter
from .shortcodes import ShortcodeContext, load_variables, shortcode_diagnostics

DATA_FILE_KEYS = ("quiz", "glossary", "concepts")


@dataclass(frozen=True)
class LoadedChapter:
    """A chapter of the book, read and parsed, with how diagnostics name its file."""

    entry: ChapterEntry
    file: Path
    shown: str
    chapter: Chapter
    include_problems: tuple[Diagnostic, ...] = ()  # where they stand in the including file already

    @functools.cached_property
    def scan(self) -> ChapterScan:
        """Labels, references, citations and images, found once when first needed."""
        return scan_chapter(self.chapter)

    def job(self, extra_paths: tuple[str, ...] = ()) -> ChapterJob:
        return ChapterJob(self.chapter, str(self.file), self.shown, extra_paths)


@dataclass
class CheckResult:
    """Everything a check found, grouped per chapter file (config problems first)."""

    book: Book
    chapters: list[LoadedChapter]
    executed: list[ExecutedChapter]
    groups: dict[str, list[Diagnostic]] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)  # _variables.yml, for the {{< var >}} shortcode

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for group in self.groups.values() for d in group]

    def executed_chapters(self) -> list[tuple[LoadedChapter, ExecutedChapter]]:
        """Each executed chapter with the book entry it came from."""
        by_path = {c.chapter.path: c for c in self.chapters}
        return [(by_path[e.chapter.path], e) for e in self.executed]


def load_chapters(book: Book) -> list[LoadedChapter]:
    """Read and parse every chapter of the book (its includes expanded), in book order."""
    loaded = []
    for entry in book.chapters:
        file = (book.root / entry.path).resolve()
        shown = display_path(file)
        text, source_map, problems = expand_includes(file, file.read_text(encoding="utf-8"), shown, book.root,
                                                     display_path)
        chapter = parse_chapter(shown, text)
        if source_map.includes_anything or problems:
            chapter = dataclasses.replace(chapter, source_map=source_map)
        loaded.append(LoadedChapter(entry, file, shown, chapter, tuple(problems)))
    return loaded


def locate(diagnostics: list[Diagnostic], chapters: list[LoadedChapter]) -> list[Diagnostic]:
    """Diagnostics of chapters that include files, pointing into the file each line came from."""
    maps = {c.shown: c.chapter.source_map for c in chapters if c.chapter.source_map is not None}
    if not maps:
        return diagnostics
    return [maps[d.file].remap(d, d.file) if d.file in maps else d for d in diagnostics]


def check_book(book: Book, names: list[str] | None = None, *, engine: str = "inprocess", timeout: float | None = None,
               workers: int | None = None, cache: Cache | None = None,
               figure_formats: tuple[str, ...] = FIGURE_FORMATS, extra_paths: tuple[str, ...] = (),
               on_done: Callable[[ChapterJob, ExecutionResult], None] | None = None) -> CheckResult:
    """Parse the book, execute the selected chapters (reusing cached results when
    ``cache`` is given and they are still valid), and run the book-wide checks.

    ``extra_paths`` go first on the chapters' import path (to run a book against
    another copy of its library, e.g. an older revision's). ``timeout`` (default:
    the book's ``bookbuild: timeout:``, else 120 s) limits each chapter.
    """
    limits = book_limits(book, timeout)
    selected = {entry.path for entry in book.select(names or [])}
    chapters = load_chapters(book)
    runnable = [c for c in chapters if c.entry.path in selected and not _blocks_execution(c.chapter)]
    with ThreadPoolExecutor(max_workers=1) as background:
        # Execution mostly waits on worker processes: scan the chapters meanwhile.
        running = background.submit(execute_with_cache, [c.job(extra_paths) for c in runnable], cache, engine=engine,
                                    timeout=limits.timeout, workers=workers or default_workers(),
                                    figure_formats=figure_formats, output_limit=limits.output_limit, on_done=on_done)
        for loaded in chapters:
            loaded.scan  # noqa: B018 - computed now, while the cells run
        executed = running.result()
    by_path = {c.chapter.path: e for c, e in zip(runnable, executed)}

    result = CheckResult(book, chapters, executed)
    if book.diagnostics:
        result.groups[book.display_config] = list(book.diagnostics)
    labels = defined_labels(chapters)
    bib_keys, bib_diagnostics = _bibliography(book)
    if bib_diagnostics:
        result.groups.setdefault(book.display_config, []).extend(bib_diagnostics)
    result.variables, variable_diagnostics = load_variables(book.root)
    for problem in variable_diagnostics:
        result.groups.setdefault(problem.file, []).append(problem)
    for loaded in chapters:
        if loaded.entry.path not in selected:
            continue
        group = list(loaded.chapter.diagnostics)
        run = by_path.get(loaded.chapter.path)
        if run is not None:
            group.extend(run.diagnostics)
            group.extend(lint_chapter(loaded.chapter, run.values))
            group.extend(_labelled_cell_outputs(loaded, run))
        group.extend(duplicate_labels(chapters, loaded))
        group.extend(_reference_diagnostics(loaded, labels, bib_keys))
        group.extend(_file_diagnostics(loaded))
        group.extend(shortcode_diagnostics(loaded.chapter, loaded.shown,
                                           ShortcodeContext(loaded.chapter.front_matter, book.config, result.variables)))
        group = locate(group, [loaded]) + list(loaded.include_problems)
        group.sort(key=lambda d: (d.file != loaded.shown, d.file, d.line, d.col))
        result.groups[loaded.shown] = group
    return result


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


def _bibliography(book: Book) -> tuple[set[str], list[Diagnostic]]:
    keys: set[str] = set()
    problems = []
    for name in book.bibliography:
        path = book.root / name
        if path.is_file():
            keys |= bibliography_keys(path.read_text(encoding="utf-8", errors="replace"))
        else:
            problems.append(warning("bibliography-missing", book.display_config, _config_line(book, name),
                                    f"bibliography '{name}' does not exist", hint="fix the path under 'bibliography:'"))
    styles = {style for output_format in ("html", "pdf") if (style := book.csl(output_format)) is not None}
    for style in sorted(s for s in styles if not s.is_file()):
        problems.append(error("csl-missing", book.display_config, _config_line(book, style.name),
                              f"citation style '{style.name}' does not exist",
                              hint="fix the path under 'csl:', or remove it for the default author-date style"))
    return keys, problems


def _config_line(book: Book, needle: str) -> int:
    for number, row in enumerate(book.config_file.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in row:
            return number
    return 1


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


def _file_diagnostics(loaded: LoadedChapter) -> list[Diagnostic]:
    found = []
    for image in loaded.scan.images:
        if is_local_path(image.name) and not resolve_local(loaded.file, image.name).is_file():
            found.append(warning("image-missing", loaded.shown, image.line, f"image '{image.name}' does not exist",
                                 col=image.col, hint="check the path; it is relative to the chapter's folder"))
    front = loaded.chapter.front_matter
    for key in DATA_FILE_KEYS:
        value = front.get(key)
        if isinstance(value, str) and is_local_path(value) and not resolve_local(loaded.file, value).is_file():
            found.append(warning("data-file-missing", loaded.shown, _front_matter_line(loaded.chapter, key),
                                 f"{key} file '{value}' named in the front matter does not exist",
                                 hint=f"add {value} beside the chapter, or remove the '{key}:' line"))
    return found


def _labelled_cell_outputs(loaded: LoadedChapter, run: ExecutedChapter) -> list[Diagnostic]:
    """A ``fig-`` cell must draw a figure and a ``tbl-`` cell print a Markdown table last:
    otherwise there is nothing to caption and number, and references to it do not resolve."""
    found = []
    for result in run.cells:
        cell = loaded.chapter.cells[result.index]
        label = cell.label or ""
        if not result.ran or not result.ok or cell.option("output", True) is False:
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
                                     f"cell '{label}' has a table label but does not print a Markdown table, "
                                     "so the table gets no caption or number and references to it do not resolve",
                                     hint="print a pipe table with '#| output: asis' (e.g. DataFrame.to_markdown()), "
                                          "or drop the tbl- label"))
    return found


def _front_matter_line(chapter: Chapter, key: str) -> int:
    if chapter.front_matter_span:
        head = chapter.text[: chapter.front_matter_span.end]
        match = re.search(rf"^{re.escape(key)}\s*:", head, re.M)
        if match:
            return head.count("\n", 0, match.start()) + 1
    return 1
