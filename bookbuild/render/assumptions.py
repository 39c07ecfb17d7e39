"""The generated assumptions appendix: every constant the book's values rest on.

Built from the value ledger after execution, so it is rebuilt whenever a
constant changes. It becomes one more (unnumbered) chapter of the book, in HTML
and PDF alike; nothing is written into the project.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..check import LoadedChapter
from ..execute import ExecutedChapter
from ..ledger import book_ledger, constant_values
from ..project import ChapterEntry
from ..qmd import parse_chapter

PAGE_PATH = "assumptions.qmd"
TITLE_LINE = re.compile(r"^#\s+(?P<title>.+?)\s*(?:\{(?P<attrs>[^}]*)\})?\s*$", re.M)


def chapter_reference(loaded: LoadedChapter) -> str:
    """How the appendix points at a chapter: ``@sec-…`` if its title has a label, else its title."""
    match = TITLE_LINE.search(loaded.chapter.text)
    if match:
        label = re.search(r"#(sec-[^\s}]+)", match.group("attrs") or "")
        return f"@{label.group(1)}" if label else match.group("title")
    return loaded.entry.name


def cell_text(text: str) -> str:
    """Text safe inside a pipe-table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def values_by_chapter(users: list, references: dict[str, str]) -> str:
    """``@sec-a: `x_str`, `y_str`; @sec-b: `z_str```: the values resting on a constant, per chapter."""
    chapters: dict[str, list[str]] = {}
    for entry in users:
        names = chapters.setdefault(entry.file, [])
        if entry.expr not in names:
            names.append(entry.expr)
    return "; ".join(f"{references.get(path, path)}: " + ", ".join(f"`{cell_text(name)}`" for name in names)
                     for path, names in chapters.items())


def assumptions_markdown(title: str, executed: list[tuple[LoadedChapter, ExecutedChapter]]) -> str:
    """The appendix's Markdown: one table row per constant, with the chapters that use it."""
    references = {loaded.chapter.path: chapter_reference(loaded) for loaded, _ in executed}
    usage = constant_values(book_ledger(e for _, e in executed))
    rows = [
        f"# {title} {{#sec-assumptions .unnumbered}}",
        "",
        "Every number this book computes rests on the constants below. Each has a source: a datasheet, "
        "a paper, a price list, or an assumption stated as such. The build generates this table from the "
        f"values it computed, so it always matches the text ({len(usage)} constants in all). Each constant lists the "
        "values whose figures are computed from it; numbers typed by hand in a chapter's cells have no source and "
        "are not listed here (`bookbuild values` names them, with their lines).",
        "",
        "::: {.assumptions-table}",  # lets long names wrap in the site (book.css)
        "",
        "| Constant | Value | Unit | Source | Values that rest on it |",
        # Dash counts set the columns' relative widths (the source needs the room).
        "|:--------------------|----------:|:----------|:--------------------------|:----------------------------|",
    ]
    for constant, users in usage:
        used_in = values_by_chapter(users, references)
        rows.append(f"| `{constant.name}` | {cell_text(constant.value)} | {cell_text(constant.unit)} | "
                    f"{cell_text(constant.source)} | {used_in} |")
    if not usage:
        rows.append("| (none) | | | | |")
    rows += ["", ":::", ""]
    return "\n".join(rows)


def assumptions_chapter(title: str, executed: list[tuple[LoadedChapter, ExecutedChapter]],
                        root: Path) -> tuple[LoadedChapter, ExecutedChapter]:
    """The appendix as a chapter of the book (parsed, scanned, with an empty execution).

    Its file name is notional: nothing is written at ``root/assumptions.qmd``.
    """
    text = assumptions_markdown(title, executed)
    shown = f"{PAGE_PATH} (generated)"
    chapter = parse_chapter(shown, text)
    loaded = LoadedChapter(ChapterEntry(PAGE_PATH, 0, None, appendix=True), root / PAGE_PATH, shown, chapter)
    return loaded, ExecutedChapter(chapter, (), (), (), 0.0, "generated")
