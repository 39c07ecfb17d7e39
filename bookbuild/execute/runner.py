"""Run one chapter in the current process: cells in order, inline values where they stand.

This is what a worker process does. It is a plain function so that tests and the
worker pool call the same code; the pool is what gives each chapter a process
of its own.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import dataclasses
import io
import os
import sys
import time
import warnings
from typing import Any, Callable

from ..diagnostics import Diagnostic
from ..qmd import Chapter, Cell, InlineExpr
from .capture import DEFAULT_OUTPUT_LIMIT, CappedStream, OutputBudget, truncated_warning
from .lineage import LineageTracker
from .provenance import ProvenanceTracker
from .locate import cell_exception, inline_exception, inline_value_diagnostic
from .result import FIGURE_FORMATS, CellResult, ExecutionResult, Figure, InlineValue
from .values import MARKDOWN, TEXT, classify_value

HEADLESS_BACKEND = "Agg"


def prepare_headless() -> None:
    """Make matplotlib draw off-screen and reproducibly; call before it is imported."""
    os.environ["MPLBACKEND"] = HEADLESS_BACKEND
    # A build must not write into the author's tree: no __pycache__ beside local modules.
    sys.dont_write_bytecode = True


def parse_cell(cell: Cell) -> ast.Module:
    """A cell's syntax tree, with the ``.qmd``'s own line numbers (a SyntaxError's too).

    The tree is shifted after parsing, not padded with blank lines before it:
    padding made each cell cost as much as the file above it (quadratic in a
    chapter's length). The name given is not a file: given a real path, CPython
    would take an error's text from that file.
    """
    shift = cell.code_line - 1
    try:
        tree = ast.parse(cell.code, filename=f"<cell {cell.label or cell.index}>")
    except SyntaxError as exc:
        if exc.lineno is not None:
            exc.lineno += shift
        if getattr(exc, "end_lineno", None) is not None:
            exc.end_lineno += shift
        raise
    return ast.increment_lineno(tree, shift)


def compile_cell(tree: ast.Module, source_file: str) -> Any:
    """Compile a parsed cell under the chapter's path, so tracebacks point into the ``.qmd``."""
    return compile(tree, source_file, "exec")


def compile_inline(inline: InlineExpr, source_file: str) -> Any:
    tree = ast.parse(inline.expr, filename="<inline>", mode="eval")
    ast.increment_lineno(tree, inline.line - 1)
    return compile(tree, source_file, "eval")


def _no_report(kind: str, index: int) -> None:
    pass


def run_chapter(chapter: Chapter, source_file: str, shown_file: str,
                figure_formats: tuple[str, ...] = FIGURE_FORMATS, *, output_limit: int = DEFAULT_OUTPUT_LIMIT,
                report: Callable[[str, int], None] = _no_report) -> ExecutionResult:
    """Execute ``chapter`` in a fresh namespace and evaluate its inline expressions.

    ``source_file`` is the chapter's absolute path (used as the code's file name,
    so tracebacks point into it); ``shown_file`` is how diagnostics name it.
    Cells stop at the first one that fails, as in Quarto; inline expressions
    after that point are left unevaluated rather than reported as cascades.
    Each cell keeps at most ``output_limit`` characters of output. ``report`` is
    told each cell (``"cell", index``) and inline expression (``"inline", index``)
    as it starts, so that a chapter stopped from outside can name what it ran.
    """
    started = time.perf_counter()
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    values: list[InlineValue] = []
    cells: list[CellResult] = []
    diagnostics: list[Diagnostic] = []
    failed = False
    evaluated_after = _evaluated_after(chapter)
    tracker = ProvenanceTracker()
    lineage = LineageTracker()
    for item in chapter.items:
        if isinstance(item, Cell):
            if failed or not item.evaluates:
                cells.append(CellResult(item.index, ok=not failed, ran=False))
                continue
            report("cell", item.index)
            budget = OutputBudget(output_limit)
            result, problem, tree = _run_cell(item, namespace, source_file, shown_file, figure_formats, budget,
                                              skipped=evaluated_after[item.index])
            depends_on, constants = tracker.after_cell(item, namespace, tree)
            lineage.after_cell(item, namespace, tree, tracker.last_changed)
            cells.append(dataclasses.replace(result, depends_on=depends_on, constants=constants))
            cut = truncated_warning(item, budget, shown_file)
            if cut is not None:
                diagnostics.append(cut)
            if problem is not None:
                diagnostics.append(problem)
                failed = True
        elif failed:
            values.append(InlineValue(item.index, None))
        else:
            report("inline", item.index)
            value, problem = _evaluate_inline(item, namespace, source_file, shown_file)
            values.append(dataclasses.replace(value, cells=tracker.inline_cells(item.expr),
                                              lineage=lineage.inline(item.expr, item.line, namespace)))
            if problem is not None:
                diagnostics.append(problem)
    return ExecutionResult(tuple(values), tuple(cells), tuple(diagnostics), time.perf_counter() - started)


def _evaluated_after(chapter: Chapter) -> dict[int, int]:
    """For each cell, how many evaluated cells come after it (counted once, not per cell)."""
    after, count = {}, 0
    for cell in reversed(chapter.cells):
        after[cell.index] = count
        count += cell.evaluates
    return after


def _run_cell(cell: Cell, namespace: dict[str, Any], source_file: str, shown_file: str,
              figure_formats: tuple[str, ...], budget: OutputBudget,
              skipped: int) -> tuple[CellResult, Diagnostic | None, ast.Module | None]:
    started = time.perf_counter()
    stdout = CappedStream(budget)
    displayed: list[str] = []
    namespace["display"] = lambda *objects: displayed.extend(
        kept for obj in objects if (kept := budget.take(_display_text(obj))))
    problem = None
    tree = None
    try:
        tree = parse_cell(cell)
        code = compile_cell(tree, source_file)
        with contextlib.redirect_stdout(stdout), warnings.catch_warnings():
            # plt.show() on the Agg backend only warns that it cannot show.
            warnings.filterwarnings("ignore", message=".*non-interactive.*")
            if cell.option("warning", True) is False:  # `warning: false`: Python warnings are not shown
                warnings.simplefilter("ignore")
            exec(code, namespace)
    except BaseException as exc:  # noqa: BLE001 - any failure of author code is a diagnostic
        if isinstance(exc, KeyboardInterrupt):
            raise
        problem = cell_exception(exc, cell, source_file, shown_file, skipped)
    figures = _collect_figures(cell.index, figure_formats)
    result = CellResult(cell.index, ok=problem is None, stdout=stdout.getvalue(), markdown=tuple(displayed),
                        figures=figures, seconds=time.perf_counter() - started)
    return result, problem, tree


def _display_text(obj: Any) -> str:
    kind, text = classify_value(obj)
    return text if kind in (TEXT, MARKDOWN) else repr(obj)


def _evaluate_inline(inline: InlineExpr, namespace: dict[str, Any], source_file: str,
                     shown_file: str) -> tuple[InlineValue, Diagnostic | None]:
    try:
        value = eval(compile_inline(inline, source_file), namespace)  # noqa: S307 - the author's own expression
    except Exception as exc:  # noqa: BLE001
        return InlineValue(inline.index, None), inline_exception(exc, inline, shown_file)
    kind, text = classify_value(value)
    problem = inline_value_diagnostic(kind, text, inline, shown_file)
    if kind not in (TEXT, MARKDOWN):
        return InlineValue(inline.index, None), problem
    return InlineValue(inline.index, text, markdown=kind == MARKDOWN), problem


def _collect_figures(cell_index: int, formats: tuple[str, ...]) -> tuple[Figure, ...]:
    """Save and close every open matplotlib figure (only if the cell used pyplot)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return ()
    figures = []
    for number, fignum in enumerate(pyplot.get_fignums(), start=1):
        fig = pyplot.figure(fignum)
        svg = pdf = None
        if "svg" in formats:
            buffer = io.StringIO()
            # A fixed salt keeps element ids, and so the page, identical across builds.
            with sys.modules["matplotlib"].rc_context({"svg.hashsalt": "bookbuild"}):
                fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
            svg = buffer.getvalue()
        if "pdf" in formats:
            binary = io.BytesIO()
            fig.savefig(binary, format="pdf", bbox_inches="tight", metadata={"CreationDate": None})
            pdf = binary.getvalue()
        figures.append(Figure(cell_index, number, svg=svg, pdf=pdf))
    pyplot.close("all")
    return tuple(figures)
