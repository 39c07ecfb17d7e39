"""A cap on the text one cell's output keeps (printed and displayed text).

A cell that prints 200 MB must not make the build hold 200 MB per copy (the
page, its Markdown, Pandoc's AST): beyond the cap, output is counted but not
kept, and the cell gets a warning saying how much was cut and how to raise the cap.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, warning
from ..qmd import Cell

DEFAULT_OUTPUT_LIMIT = 1_000_000  # characters per cell
LIMIT_KEY = "output-limit"


class OutputBudget:
    """How much of a cell's output is still kept; counts what is cut."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept = 0
        self.cut = 0

    def take(self, text: str) -> str:
        """The part of ``text`` that fits in what is left of the budget."""
        room = max(0, self.limit - self.kept)
        kept = text[:room] if len(text) > room else text
        self.kept += len(kept)
        self.cut += len(text) - len(kept)
        return kept


def size(characters: int) -> str:
    """``1.5 MB``, ``20 kB``, ``300 characters``."""
    if characters >= 1_000_000:
        return f"{characters / 1_000_000:.1f} MB"
    if characters >= 1_000:
        return f"{characters / 1_000:.0f} kB"
    return f"{characters} characters"


def truncated_warning(cell: Cell, budget: OutputBudget, shown_file: str) -> Diagnostic | None:
    """The warning for a cell whose output went past the cap, or None."""
    if not budget.cut:
        return None
    name = "the cell" if cell.label else f"cell {cell.index + 1}"  # a label follows the message
    return warning("output-truncated", shown_file, cell.line,
                   f"{name} wrote {size(budget.kept + budget.cut)} of output; only the first {size(budget.limit)} "
                   f"are kept ({size(budget.cut)} cut)", cell=cell.label,
                   hint=f"print less, or raise the cap (characters per cell) with '{LIMIT_KEY}: "
                        f"{max(2 * budget.limit, budget.kept + budget.cut)}' under 'bookbuild:' in _quarto.yml")
