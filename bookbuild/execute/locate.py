"""Diagnostics for what goes wrong while a chapter runs, in ``.qmd`` coordinates.

Cells are compiled with the chapter's own path as their file name and their
line numbers shifted to where they stand in the ``.qmd``, so every traceback
frame inside a cell already names the right file line; this module only has to
pick the frame and word the message.
"""

from __future__ import annotations

import dataclasses
import traceback
from pathlib import Path
from types import TracebackType

from ..diagnostics import Diagnostic, Severity, error, warning
from ..qmd import Cell, InlineExpr
from .values import MARKDOWN, NOT_TEXT, TEXT

MAX_FRAMES = 6


def exception_code(exc: BaseException) -> str:
    """``check-failed`` for a guardrail (an exception that says so), else ``cell-error``."""
    declared = getattr(exc, "diagnostic_code", None)
    if isinstance(declared, str):
        return declared
    return "check-failed" if type(exc).__name__ == "CheckFailed" else "cell-error"


def describe(exc: BaseException) -> str:
    """``TypeError: message`` (just the message for a failed check)."""
    text = str(exc)
    if exception_code(exc) == "check-failed":
        return text or "a check failed"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def short_traceback(tb: TracebackType | None, source_file: str, shown_file: str) -> tuple[str, int | None]:
    """A few traceback lines with the chapter's frames named ``shown_file:LINE``.

    Returns the text and the line of the innermost frame inside the chapter.
    """
    frames = traceback.extract_tb(tb)
    inside = [f for f in frames if f.filename == source_file]
    innermost = inside[-1].lineno if inside else None
    # Drop the executor's own frames that precede the chapter's first frame.
    while frames and frames[0].filename != source_file:
        frames = frames[1:]
    rows = []
    for frame in frames[-MAX_FRAMES:]:
        where = shown_file if frame.filename == source_file else _short_path(frame.filename)
        code = f": {frame.line.strip()}" if frame.line else ""
        rows.append(f"{where}:{frame.lineno} in {frame.name}{code}")
    return "\n".join(rows), innermost


def _short_path(filename: str) -> str:
    parts = Path(filename).parts
    for anchor in ("site-packages", "lib"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + 1 :])
    return filename


def cell_exception(exc: BaseException, cell: Cell, source_file: str, shown_file: str, skipped: int) -> Diagnostic:
    """The diagnostic for a cell that raised, at the innermost chapter frame."""
    if isinstance(exc, SyntaxError):
        return cell_syntax_error(exc, cell, shown_file)
    detail, line = short_traceback(exc.__traceback__, source_file, shown_file)
    code = exception_code(exc)
    after = f"; the {skipped} cell{'s' if skipped != 1 else ''} after it did not run" if skipped else ""
    if code == "check-failed":
        hint = "the prose's claim no longer holds for the computed values: fix the inputs or the claim" + after
    elif isinstance(exc, ModuleNotFoundError) and exc.name:
        hint = missing_module_hint(exc.name) + after
    else:
        hint = f"fix the cell starting at line {cell.line}" + after
    return error(code, shown_file, line or cell.line, describe(exc), cell=cell.label, detail=detail, hint=hint)


def missing_module_hint(module: str) -> str:
    """Where the cells look for modules, and how a book puts its own library there (both engines)."""
    top = module.split(".")[0]
    return (f"'{top}' is not on the cells' import path (the chapter's folder, then PYTHONPATH, then the installed "
            f"packages): install it, or name the folder that holds it in the project's _environment file "
            f"(PYTHONPATH=lib) or in PYTHONPATH")


def cell_syntax_error(exc: SyntaxError, cell: Cell, shown_file: str) -> Diagnostic:
    """A syntax error at its ``.qmd`` line and column (``exc.lineno`` is already shifted)."""
    line = exc.lineno or cell.line
    col = exc.offset or 1
    detail = exc.text.rstrip("\n") if exc.text else None
    return error("cell-syntax", shown_file, line, f"syntax error: {exc.msg}", col=col, cell=cell.label,
                 detail=detail, hint="fix the Python syntax; the chapter's cells stop here")


def undefined_name(inline: InlineExpr, name: str, shown_file: str) -> Diagnostic:
    """An inline expression that uses a name no cell above it defines (both engines)."""
    return error("inline-undefined", shown_file, inline.line,
                 f"inline expression `{inline.expr}` uses '{name}', which no cell above it defines",
                 col=inline.col, hint="define it in a cell before this line, or fix the name")


def inline_exception(exc: BaseException, inline: InlineExpr, shown_file: str) -> Diagnostic:
    """An inline expression that named nothing defined above it, or raised."""
    if isinstance(exc, NameError) and not isinstance(exc, UnboundLocalError):
        return undefined_name(inline, getattr(exc, "name", None) or str(exc), shown_file)
    if isinstance(exc, SyntaxError):
        return error("inline-syntax", shown_file, inline.line, f"inline expression `{inline.expr}` is not valid Python: {exc.msg}",
                     col=inline.col)
    return error("inline-error", shown_file, inline.line, f"inline expression `{inline.expr}` raised {describe(exc)}",
                 col=inline.col, hint="fix the expression or the cell that defines its value")


def inline_value_diagnostic(kind: str, text: str, inline: InlineExpr, shown_file: str) -> Diagnostic | None:
    """Refuse values that are not text; warn about empty ones."""
    if kind == NOT_TEXT:
        return error("inline-not-text", shown_file, inline.line,
                     f"inline expression `{inline.expr}` is a {text}, not text",
                     col=inline.col, hint="format it in a cell with fmt(...) and inline the resulting string")
    if kind in (TEXT, MARKDOWN) and not text.strip():
        return warning("inline-empty", shown_file, inline.line, f"inline expression `{inline.expr}` is empty",
                       col=inline.col, hint="an empty value leaves a gap in the sentence; check the cell that sets it")
    return None


def errors_shown(chapter_options: dict, cell: Cell) -> bool:
    """``error: true`` (the cell's, else the chapter's ``execute: error``): a cell's traceback is shown
    as its output and the chapter goes on."""
    execute = chapter_options.get("execute")
    default = execute.get("error", False) if isinstance(execute, dict) else False
    return cell.option("error", default) is True


def shown_error(problem: Diagnostic) -> Diagnostic:
    """A failure of a cell with ``error: true``: a warning, since the page shows the traceback."""
    return dataclasses.replace(problem, severity=Severity.WARNING,
                               hint="the cell has 'error: true': its traceback is shown in the page and the chapter "
                                    "goes on; fix the cell, or drop 'error: true' to stop at it")
