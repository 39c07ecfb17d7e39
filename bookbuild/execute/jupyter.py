"""The reference executor: a real IPython kernel driven by nbclient, as Quarto runs chapters.

The chapter becomes a notebook: each Python cell a code cell, and after each
cell one more cell that evaluates the inline expressions standing between it
and the next cell, so every expression sees exactly the cells above it. Values
are classified in the kernel by the same rule the in-process executor uses
(``values.py``, whose source is sent into the kernel), so both agree.
"""

from __future__ import annotations

import base64
import inspect
import json
import math
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

from ..diagnostics import Diagnostic, error
from ..qmd import Cell, InlineExpr
from . import values as values_module
from .capture import DEFAULT_OUTPUT_LIMIT, OutputBudget, truncated_warning
from .figures import FigureSpec, figure_spec
from .locate import errors_shown, inline_value_diagnostic, missing_module_hint, shown_error, undefined_name
from .mime import json_text
from .pool import ChapterJob, Report
from .result import (DISPLAY, ERROR, FIGURE_FORMATS, JPEG, PDF, PNG, RESULT, STREAM, SVG, CellOutput, CellResult,
                     ExecutionResult, Figure, InlineValue, cell_result)
from .stopped import timeout_diagnostic
from .values import MARKDOWN, NOT_TEXT
from .writes import TreeWatch, watch_diagnostics

RESULT_MARKER = "__bookbuild_inline__"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CELL_LINE = re.compile(r"Cell In\s*\[(\d+)\], line (\d+)")
MISSING_MODULE = re.compile(r"No module named '([^']+)'")
DEFAULT_TIMEOUT = 120.0
KERNEL_START_MIN = 30  # seconds a kernel may take to start, however small the chapter's limit
IMAGE_TYPES = {SVG: "svg", PDF: "pdf", PNG: "png", JPEG: "jpeg"}
SETUP = "setup"  # the plan's mark for a cell the executor adds (figure settings around a chapter cell)

BOOTSTRAP = '''
{values_source}

def __bookbuild_inline(__exprs):
    import json as __json
    __out = []
    for __expr in __exprs:
        try:
            __value = eval(__expr, globals())
        except BaseException as __exc:
            __out.append({{"error": type(__exc).__name__, "message": str(__exc),
                           "name": getattr(__exc, "name", None)}})
            continue
        __kind, __text = classify_value(__value)
        __out.append({{"kind": __kind, "text": __text}})
    print("{marker}" + __json.dumps(__out))

# The cells' import path, exactly as the in-process engine gives it (context.py): a bare
# kernel would put PYTHONPATH first and its working directory just before site-packages.
import sys as __sys
__sys.path[:] = {sys_path}
del __sys

get_ipython().run_line_magic("matplotlib", "inline")
get_ipython().run_line_magic("config", "InlineBackend.figure_formats = ['svg', 'pdf']")
'''

# Around a `warning: false` cell, in cells of their own (the cell's line numbers stay its own).
QUIET_WARNINGS = ("import warnings as __bookbuild_warnings\n__bookbuild_quiet = __bookbuild_warnings.catch_warnings()\n"
                  "__bookbuild_quiet.__enter__()\n__bookbuild_warnings.simplefilter('ignore')")
RESTORE_WARNINGS = "__bookbuild_quiet.__exit__(None, None, None)"


class _CappedClient(NotebookClient):
    """A notebook client that keeps at most a budget of each chapter cell's streamed output."""

    budgets: dict[int, OutputBudget] = {}  # notebook cell index -> its budget (set per instance)

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        budget = self.budgets.get(cell_index)
        if budget is not None and msg["msg_type"] == "stream":
            msg["content"]["text"] = budget.take(msg["content"].get("text", ""))
            if not msg["content"]["text"]:
                return None
        elif budget is not None and msg["msg_type"] in ("display_data", "execute_result"):
            data = msg["content"].get("data", {})
            main = data.get("text/markdown", data.get("text/html", data.get("text/plain", "")))
            kept = budget.take(main if isinstance(main, str) else "")
            if isinstance(main, str) and len(kept) < len(main):  # past the cap, as the in-process engine cuts it
                images = {k: v for k, v in data.items() if k in IMAGE_TYPES}
                msg["content"]["data"] = {**({"text/plain": kept} if kept else {}), **images}
                if not msg["content"]["data"]:
                    return None
        return super().output(outs, msg, display_id, cell_index)


def _no_report(kind: str, index: int) -> None:
    pass


def run_chapter_jupyter(job: ChapterJob, report: Report = _no_report, timeout: float = DEFAULT_TIMEOUT,
                        output_limit: int = DEFAULT_OUTPUT_LIMIT) -> ExecutionResult:
    """Execute a chapter in a fresh IPython kernel (one kernel per chapter, like Quarto).

    ``timeout`` limits each cell (and the kernel's start, to at least KERNEL_START_MIN s);
    each chapter cell keeps at most ``output_limit`` characters of streamed output.
    """
    started = time.perf_counter()
    # The kernel inherits this worker's environment (the cells' context, entered by
    # the pool): keep it from writing __pycache__ beside the chapter's local modules.
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    # The kernel is another process: the source tree is compared before and after each cell.
    tree = TreeWatch(Path(job.root), tuple(Path(p) for p in job.writable)) if job.root else None
    chapter = job.chapter
    notebook, plan = _notebook(chapter.items, job.context.sys_path())
    values: dict[int, InlineValue] = {}
    cells: list[CellResult] = []
    diagnostics: list[Diagnostic] = []
    try:
        # Local sockets in a private folder: no TCP port, nothing written beside the chapter.
        with tempfile.TemporaryDirectory(prefix="bookbuild-kernel-") as sockets:
            # Asynchronous: with a blocking client nbclient waits for output without a time limit.
            manager = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
            client = _CappedClient(notebook, km=manager, timeout=timeout, allow_errors=True, shutdown_kernel="immediate",
                                   startup_timeout=max(KERNEL_START_MIN, math.ceil(timeout)),
                                   resources={"metadata": {"path": job.context.cwd}})
            client.budgets = {n: OutputBudget(output_limit) for n, planned in enumerate(plan) if isinstance(planned, Cell)}
            failed = _execute(client, notebook, plan, job, timeout, report, values, cells, diagnostics, tree)
    except RuntimeError as exc:
        diagnostics.append(error("engine-error", job.shown_file, 1, f"the Jupyter engine failed: {exc}",
                                 hint="run the check with --engine inprocess to compare; this is a bug in bookbuild"))
        failed = True
    ran = {c.index for c in cells}
    cells.extend(CellResult(c.index, ok=not failed, ran=False) for c in chapter.cells if c.index not in ran)
    cells.sort(key=lambda c: c.index)
    if tree is not None:
        diagnostics.extend(watch_diagnostics(tree.changes, tree.root, job.shown_file))
    all_values = tuple(values.get(i.index, InlineValue(i.index, None)) for i in chapter.inlines)
    return ExecutionResult(all_values, tuple(cells), tuple(diagnostics), time.perf_counter() - started)


def _execute(client: _CappedClient, notebook: Any, plan: list[Any], job: ChapterJob, timeout: float, report: Report,
             values: dict[int, InlineValue], cells: list[CellResult], diagnostics: list[Diagnostic],
             tree: TreeWatch | None = None) -> bool:
    """Run the notebook cell by cell, stopping at the first failing chapter cell; True if one failed."""
    failed = False
    by_count: dict[int, Cell] = {}  # execution count -> chapter cell, to read IPython tracebacks
    with client.setup_kernel():
        kernel = getattr(getattr(client.km, "provisioner", None), "pid", None)
        if kernel:
            report("group", kernel)  # in a session of its own: ended with this chapter's worker
        for position, (nb_cell, planned) in enumerate(zip(notebook.cells, plan)):
            if failed:
                break
            cell_started = time.perf_counter()
            at = (("cell", planned.index) if isinstance(planned, Cell)
                  else ("inline", planned[0].index) if isinstance(planned, list) else None)
            if at is not None:
                report(*at)
            try:
                client.execute_cell(nb_cell, position)
            except CellTimeoutError:
                diagnostics.append(timeout_diagnostic(job, at, timeout))
                failed = True
                break
            if tree is not None:
                tree.after(planned[0] if isinstance(planned, list) else planned)
            if (planned is None or planned == SETUP) and _error_text(nb_cell.outputs):
                raise RuntimeError(f"the executor's set-up cell failed in the kernel: {_error_text(nb_cell.outputs)}")
            if isinstance(planned, Cell):
                if nb_cell.get("execution_count"):
                    by_count[nb_cell.execution_count] = planned
                result, problem = _cell_result(planned, nb_cell.outputs, job.shown_file, by_count,
                                               time.perf_counter() - cell_started)
                cells.append(result)
                cut = truncated_warning(planned, client.budgets[position], job.shown_file)
                if cut is not None:
                    diagnostics.append(cut)
                if problem and errors_shown(job.chapter.front_matter, planned):
                    diagnostics.append(shown_error(problem))
                elif problem:
                    diagnostics.append(problem)
                    failed = True
            elif isinstance(planned, list):
                outcomes = _inline_outcomes(nb_cell.outputs)
                if len(outcomes) != len(planned):
                    raise RuntimeError(f"the kernel did not evaluate inline expressions: {_error_text(nb_cell.outputs)}")
                for inline, outcome in zip(planned, outcomes):
                    value, problem = _inline_value(inline, outcome, job.shown_file)
                    values[inline.index] = value
                    if problem:
                        diagnostics.append(problem)
    return failed


def _notebook(items: list[Cell | InlineExpr], sys_path: list[str]) -> tuple[Any, list[Any]]:
    """Notebook cells, and for each the Cell it runs, the inline batch it evaluates, or None."""
    values_source = inspect.getsource(values_module).split('"""', 2)[2]
    nb_cells = [nbformat.v4.new_code_cell(BOOTSTRAP.format(values_source=values_source, marker=RESULT_MARKER,
                                                           sys_path=json.dumps(sys_path)))]
    plan: list[Any] = [None]
    batch: list[InlineExpr] = []

    def flush() -> None:
        if batch:
            exprs = [i.expr for i in batch]
            nb_cells.append(nbformat.v4.new_code_cell(f"__bookbuild_inline({json.dumps(exprs)})"))
            plan.append(list(batch))
            batch.clear()

    for item in items:
        if isinstance(item, Cell):
            flush()
            if item.evaluates:
                setup, teardown = _figure_setup(figure_spec(item, FIGURE_FORMATS))
                quiet = item.option("warning", True) is False  # `warning: false`: Python warnings are not shown
                before = [code for code in (setup, QUIET_WARNINGS if quiet else None) if code]
                after = [code for code in (RESTORE_WARNINGS if quiet else None, teardown) if code]
                for code in before:
                    nb_cells.append(nbformat.v4.new_code_cell(code))
                    plan.append(SETUP)
                nb_cells.append(nbformat.v4.new_code_cell(item.code))
                plan.append(item)
                for code in after:
                    nb_cells.append(nbformat.v4.new_code_cell(code))
                    plan.append(SETUP)
        else:
            batch.append(item)
    flush()
    return nbformat.v4.new_notebook(cells=nb_cells), plan


def _figure_setup(spec: FigureSpec) -> tuple[str, str]:
    """Code run before and after a chapter cell for its figure options (``''`` for none)."""
    if spec.formats == FIGURE_FORMATS and not spec.rc:
        return "", ""
    rc = spec.rc
    lines = [_formats_line(spec.formats),
             "import matplotlib as __bb_mpl",
             f"__bb_saved = {{k: __bb_mpl.rcParams[k] for k in {sorted(rc)!r}}}"]
    if "figure.figsize" in rc:
        width, height = rc.pop("figure.figsize")
        lines.append(f"__bb_mpl.rcParams['figure.figsize'] = ({width!r} or __bb_saved['figure.figsize'][0], "
                     f"{height!r} or __bb_saved['figure.figsize'][1])")
    lines.append(f"__bb_mpl.rcParams.update({rc!r})")
    teardown = [_formats_line(FIGURE_FORMATS),
                "__bb_mpl.rcParams.update(__bb_saved)", "del __bb_mpl, __bb_saved"]
    return "\n".join(lines), "\n".join(teardown)


def _formats_line(formats: tuple[str, ...]) -> str:
    return f"get_ipython().run_line_magic('config', {f'InlineBackend.figure_formats = {list(formats)!r}'!r})"


def _cell_result(cell: Cell, outputs: list[Any], shown_file: str, by_count: dict[int, Cell],
                 seconds: float) -> tuple[CellResult, Diagnostic | None]:
    """The chapter cell's outputs as the engine records them (streams merged, images as figures)."""
    recorded: list[CellOutput] = []
    figures: list[Figure] = []
    problem = None
    for output in outputs:
        kind = output.get("output_type")
        if kind == STREAM:
            name, text = output.get("name", "stdout"), output.get("text", "")
            if recorded and recorded[-1].kind == STREAM and recorded[-1].name == name:
                recorded[-1] = CellOutput(STREAM, name, {"text/plain": recorded[-1].text + text})
            else:
                recorded.append(CellOutput(STREAM, name, {"text/plain": text}))
        elif kind in (DISPLAY, RESULT):
            data, metadata = output.get("data", {}), output.get("metadata", {})
            figure = 0
            images = {IMAGE_TYPES[m]: (v if m == SVG else base64.b64decode(v)) for m, v in data.items() if m in IMAGE_TYPES}
            if images:
                width = (metadata.get(PNG) or {}).get("width") if PNG in data else None
                figures.append(Figure(cell.index, len(figures) + 1, svg=images.get("svg"), pdf=images.get("pdf"),
                                      png=images.get("png"), jpeg=images.get("jpeg"),
                                      width=int(width) if isinstance(width, (int, float)) else None))
                figure = len(figures)
            text = {m: v if isinstance(v, str) else json_text(v) for m, v in data.items() if m not in IMAGE_TYPES}
            recorded.append(CellOutput(kind, "", text, figure))
        elif kind == ERROR:
            trace = ANSI.sub("", "\n".join(output.get("traceback", [])))
            recorded.append(CellOutput(ERROR, output.get("ename", "Error"), {"text/plain": trace}))
            problem = problem or _cell_error(cell, output, shown_file, by_count)
    result = cell_result(cell.index, tuple(recorded), tuple(figures), ok=problem is None, seconds=seconds)
    return result, problem


def _cell_error(cell: Cell, output: Any, shown_file: str, by_count: dict[int, Cell]) -> Diagnostic:
    """Map an IPython error output to the ``.qmd`` line of the innermost chapter frame."""
    name, message = output.get("ename", "Error"), output.get("evalue", "")
    trace = ANSI.sub("", "\n".join(output.get("traceback", [])))
    frames = [(by_count[int(count)], int(line)) for count, line in CELL_LINE.findall(trace) if int(count) in by_count]
    line = frames[-1][0].code_line + frames[-1][1] - 1 if frames else cell.line
    if name == "CheckFailed":
        return error("check-failed", shown_file, line, message or "a check failed", cell=cell.label)
    code = "cell-syntax" if name in ("SyntaxError", "IndentationError") else "cell-error"
    missing = MISSING_MODULE.match(message) if name == "ModuleNotFoundError" else None
    return error(code, shown_file, line, f"{name}: {message}" if message else name, cell=cell.label,
                 hint=missing_module_hint(missing.group(1)) if missing else None)


def _error_text(outputs: list[Any]) -> str:
    """``Name: message`` of an error output, or ''."""
    for output in outputs:
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    return ""


def _inline_outcomes(outputs: list[Any]) -> list[dict[str, Any]]:
    for output in outputs:
        text = output.get("text", "") if output.get("output_type") == "stream" else ""
        for row in text.splitlines():
            if row.startswith(RESULT_MARKER):
                return json.loads(row[len(RESULT_MARKER):])
    return []


def _inline_value(inline: InlineExpr, outcome: dict[str, Any], shown_file: str) -> tuple[InlineValue, Diagnostic | None]:
    if "error" in outcome:
        if outcome["error"] == "NameError":
            problem = undefined_name(inline, outcome.get("name") or outcome["message"], shown_file)
        else:
            problem = error("inline-error", shown_file, inline.line,
                            f"inline expression `{inline.expr}` raised {outcome['error']}: {outcome['message']}", col=inline.col)
        return InlineValue(inline.index, None), problem
    kind, text = outcome["kind"], outcome["text"]
    problem = inline_value_diagnostic(kind, text, inline, shown_file)
    if kind == NOT_TEXT:
        return InlineValue(inline.index, None), problem
    return InlineValue(inline.index, text, markdown=kind == MARKDOWN), problem

