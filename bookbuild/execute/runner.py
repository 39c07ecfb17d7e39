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
import keyword
import os
import sys
import time
import tokenize
import warnings
from typing import Any, Callable

from ..diagnostics import Diagnostic
from ..qmd import Chapter, Cell, InlineExpr
from .capture import DEFAULT_OUTPUT_LIMIT, OutputBudget, truncated_warning
from .figures import figure_settings, figure_spec, install_show
from .lineage import LineageTracker
from .mime import install_ipython_display
from .provenance import ProvenanceTracker
from .locate import cell_exception, errors_shown, inline_exception, inline_value_diagnostic, shown_error
from .result import FIGURE_FORMATS, RESULT, CellResult, ExecutionResult, InlineValue, cell_result
from .sink import OutputSink
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


def parse_inline(inline: InlineExpr) -> ast.Expression:
    """An inline expression's syntax tree, with the ``.qmd``'s line numbers."""
    if _bare_name(inline.expr):  # most are (`name_str`): the tree the parser would make, without parsing
        return ast.Expression(body=ast.Name(id=inline.expr, ctx=ast.Load(), lineno=inline.line, col_offset=0,
                                            end_lineno=inline.line, end_col_offset=len(inline.expr.encode("utf-8"))))
    tree = ast.parse(inline.expr, filename="<inline>", mode="eval")
    ast.increment_lineno(tree, inline.line - 1)
    return tree


def _bare_name(expr: str) -> bool:
    return expr.isidentifier() and not keyword.iskeyword(expr)


def compile_inline(inline: InlineExpr, source_file: str, tree: ast.Expression | None = None) -> Any:
    """An inline expression compiled under the chapter's path (``tree``: its :func:`parse_inline`, if parsed)."""
    return compile(tree if tree is not None else parse_inline(inline), source_file, "eval")


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
            if problem is not None and errors_shown(chapter.front_matter, item):
                diagnostics.append(shown_error(problem))
            elif problem is not None:
                diagnostics.append(problem)
                failed = True
        elif failed:
            values.append(InlineValue(item.index, None))
        else:
            report("inline", item.index)
            try:  # parsed once for its value, the cells it reads and its lineage (each parse cost as much as its run)
                tree = parse_inline(item)
            except Exception:  # noqa: BLE001 - each reports it as before, parsing on its own
                tree = None
            value, problem = _evaluate_inline(item, namespace, source_file, shown_file, tree)
            values.append(dataclasses.replace(value, cells=tracker.inline_cells(item.expr, tree),
                                              lineage=lineage.inline(item.expr, item.line, namespace, tree)))
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
    """Run one cell as a kernel would: its outputs in order, its last expression's value shown."""
    started = time.perf_counter()
    sink = OutputSink(cell.index, budget, figure_spec(cell, figure_formats), source_file, shown_file)
    namespace["display"] = sink.display  # a builtin in a kernel
    install_ipython_display(sink.display)
    install_show(sink.show_open_figures)
    problem = None
    tree = None
    try:
        tree = parse_cell(cell)
        body, last = split_last_expression(tree)
        code = compile_cell(body, source_file)
    except SyntaxError as exc:
        problem = cell_exception(exc, cell, source_file, shown_file, skipped)
        sink.error(exc)
    if problem is None:
        with contextlib.redirect_stdout(sink.stream("stdout")), contextlib.redirect_stderr(sink.stream("stderr")), \
                warnings.catch_warnings(), figure_settings(sink.spec):
            # plt.show() on the Agg backend only warns that it cannot show.
            warnings.filterwarnings("ignore", message=".*non-interactive.*")
            if cell.option("warning", True) is False:  # `warning: false`: Python warnings are not shown
                warnings.simplefilter("ignore")
            warnings.showwarning = _show_warning  # to the cell's stderr, whatever the host process set
            for step in (lambda: _run_body(code, last, cell, namespace, source_file, sink), sink.show_open_figures):
                # The figures still open are shown after the cell, even after its error (as the inline backend does).
                try:
                    step()
                except BaseException as exc:  # noqa: BLE001 - any failure of author code is a diagnostic
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    problem = problem or cell_exception(exc, cell, source_file, shown_file, skipped)
                    sink.error(exc)
    if problem is None:
        problem = _display_error(sink, cell, source_file, shown_file, skipped)
    result = cell_result(cell.index, tuple(sink.outputs), tuple(sink.figures), ok=problem is None,
                         seconds=time.perf_counter() - started)
    return result, problem, tree


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                  line: str | None = None) -> None:
    """A Python warning on the cell's stderr, worded as Python (and a kernel) prints it."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _run_body(code: Any, last: ast.Expression | None, cell: Cell, namespace: dict[str, Any], source_file: str,
              sink: OutputSink) -> None:
    exec(code, namespace)
    if last is not None:
        value = eval(compile(last, source_file, "eval"), namespace)  # noqa: S307 - the author's own code
        if value is not None and not ends_quietly(cell.code):
            sink.show_object(value, RESULT)


def split_last_expression(tree: ast.Module) -> tuple[ast.Module, ast.Expression | None]:
    """The cell without its last statement if that is an expression (shown as its result), and that expression."""
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return tree, None
    body = ast.Module(body=tree.body[:-1], type_ignores=tree.type_ignores)
    last = ast.Expression(body=tree.body[-1].value)
    return body, ast.fix_missing_locations(last)


def ends_quietly(code: str) -> bool:
    """A cell whose last code token is ``;`` shows no result (IPython's rule)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return False
    for token in reversed(tokens):
        if token.type in (tokenize.ENDMARKER, tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT,
                          tokenize.INDENT, tokenize.DEDENT):
            continue
        return token.type == tokenize.OP and token.string == ";"
    return False


def _display_error(sink: OutputSink, cell: Cell, source_file: str, shown_file: str,
                   skipped: int) -> Diagnostic | None:
    """A value that failed to display (its ``_repr_*_`` raised) fails the cell, as its error output shows."""
    if not sink.raised:
        return None
    return cell_exception(sink.raised[0], cell, source_file, shown_file, skipped)


def _evaluate_inline(inline: InlineExpr, namespace: dict[str, Any], source_file: str,
                     shown_file: str, tree: ast.Expression | None = None) -> tuple[InlineValue, Diagnostic | None]:
    try:
        if _bare_name(inline.expr) and inline.expr in namespace:
            value = namespace[inline.expr]  # what evaluating the name looks up first, without compiling it
        else:
            value = eval(compile_inline(inline, source_file, tree), namespace)  # noqa: S307 - the author's own expression
    except Exception as exc:  # noqa: BLE001
        return InlineValue(inline.index, None), inline_exception(exc, inline, shown_file)
    kind, text = classify_value(value)
    problem = inline_value_diagnostic(kind, text, inline, shown_file)
    if kind not in (TEXT, MARKDOWN):
        return InlineValue(inline.index, None), problem
    return InlineValue(inline.index, text, markdown=kind == MARKDOWN), problem
