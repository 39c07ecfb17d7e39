"""Diagnostics for a chapter whose process was stopped or died: they name what was running.

A worker reports each cell and inline expression as it starts one (a
``Position``), so when its time runs out or it crashes, the error points at that
cell (its label and its lines) rather than at the top of the chapter.
"""

from __future__ import annotations

import ast
import signal
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, error
from ..qmd import Cell, Chapter
from .result import ExecutionResult
from .runner import parse_cell

if TYPE_CHECKING:
    from .pool import ChapterJob

#: What a worker was running: ("cell", cell index) or ("inline", inline index).
Position = tuple[str, int]

TIME_HINT = "make it faster, or raise the limit with --timeout SECONDS (or 'bookbuild: timeout:' in _quarto.yml)"


def cell_lines(cell: Cell) -> tuple[int, int]:
    """The file lines of a cell, from its opening fence to its closing one."""
    return cell.line, cell.code_line + cell.code.count("\n")


def describe_cell(cell: Cell) -> str:
    """``the cell at lines 3-7`` (its label follows the message, as ``(cell fig-x)``), or
    ``cell 2 (lines 3-7)`` when it has no label."""
    first, last = cell_lines(cell)
    return f"the cell at lines {first}-{last}" if cell.label else f"cell {cell.index + 1} (lines {first}-{last})"


def describe_position(chapter: Chapter, position: Position | None) -> tuple[int, int, str, str | None]:
    """(line, column, what was running, cell label) for a diagnostic."""
    if position is not None:
        kind, index = position
        if kind == "cell" and 0 <= index < len(chapter.cells):
            cell = chapter.cells[index]
            return cell.line, 1, describe_cell(cell), cell.label
        if kind == "inline" and 0 <= index < len(chapter.inlines):
            inline = chapter.inlines[index]
            return inline.line, inline.col, f"inline expression `{inline.expr}` (line {inline.line})", None
    return 1, 1, "the chapter", None


def _result(diagnostic: Diagnostic, seconds: float) -> ExecutionResult:
    return ExecutionResult((), (), (diagnostic,), seconds)


def timeout_diagnostic(job: "ChapterJob", position: Position | None, timeout: float) -> Diagnostic:
    """The error for a chapter stopped at its time limit while running ``position``."""
    line, col, what, label = describe_position(job.chapter, position)
    message = f"the chapter ran longer than its {timeout:g} s limit and was stopped"
    if position is not None:
        message += f" in {what}"
    return error("timeout", job.shown_file, line, message, col=col, cell=label, hint=TIME_HINT)


def timed_out(job: "ChapterJob", position: Position | None, timeout: float, seconds: float) -> ExecutionResult:
    """The chapter ran past its limit and its process was killed."""
    return _result(timeout_diagnostic(job, position, timeout), seconds)


def exit_description(exitcode: int | None) -> str:
    """``exit status 3`` or ``killed by SIGSEGV``."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


def crashed(job: "ChapterJob", position: Position | None, exitcode: int | None, seconds: float) -> ExecutionResult:
    """The chapter's process died before it sent its result."""
    line, col, what, label = describe_position(job.chapter, position)
    message = (f"the process running this chapter died ({exit_description(exitcode)})"
               + (f" during {what}" if position is not None else ""))
    hint = ("a cell may have ended the interpreter (os._exit, sys.exit in a thread) or crashed it (a native "
            "extension); run the chapter alone to see its output")
    return _result(error("worker-crashed", job.shown_file, line, message, col=col, cell=label, hint=hint), seconds)


def import_line(chapter: Chapter, module: str) -> tuple[Cell, int] | None:
    """The first cell and file line that import ``module`` by name, if any."""
    for cell in chapter.cells:
        try:
            tree = parse_cell(cell)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            if module in names:
                return cell, node.lineno
    return None


def import_timed_out(job: "ChapterJob", module: str, timeout: float) -> ExecutionResult | None:
    """A chapter whose import of ``module`` ran past the limit while the workers were warming up;
    None if the chapter does not import it by name."""
    found = import_line(job.chapter, module)
    if found is None:
        return None
    cell, line = found
    message = f"importing '{module}' in {describe_cell(cell)} took longer than the {timeout:g} s limit and was stopped"
    hint = f"does '{module}' loop or wait when it is imported? " + TIME_HINT
    return _result(error("timeout", job.shown_file, line, message, cell=cell.label, hint=hint), timeout)
