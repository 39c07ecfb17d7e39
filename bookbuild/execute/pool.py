"""Worker processes: each chapter in a forked process of its own, chapters in parallel.

Start-up is paid once per build, not once per chapter: the parent imports the
modules the chapters' cells import (pint, matplotlib, the book's own library)
and then forks one short-lived child per chapter. A child starts with those
modules loaded but with a fresh namespace, and exits when its chapter is done,
so no chapter can leak state into another. The parent enforces the time limit
by killing a child that overruns.

Both executors run through this pool; they differ only in the function a
worker calls (in-process execution, or a Jupyter kernel driven by nbclient).
"""

from __future__ import annotations

import ast
import importlib
import multiprocessing
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Callable, Iterable

from ..diagnostics import Diagnostic, error
from ..qmd import Chapter
from .context import CellContext, enter, interpreter_path
from .result import ExecutionResult
from .fingerprint import is_local
from .runner import prepare_headless


@dataclass(frozen=True)
class ChapterJob:
    """A chapter to run: the parsed chapter, its absolute file, its name in diagnostics, and where its cells run."""

    chapter: Chapter
    source_file: str
    shown_file: str
    context: CellContext
    root: str = ""  # the project (resolved): cells that change files below it are reported
    writable: tuple[str, ...] = ()  # the build's own folders there, where changes are not reported


def imported_modules(chapters: Iterable[Chapter]) -> list[str]:
    """Absolute module names the chapters' cells import, in first-seen order."""
    names: dict[str, None] = {}
    for chapter in chapters:
        for cell in chapter.cells:
            try:
                tree = ast.parse(cell.code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update((alias.name, None) for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names[node.module] = None
    return list(names)


def preload(jobs: list[ChapterJob]) -> None:
    """Import what the chapters import, so forked workers start warm.

    A module that fails to import is skipped silently: the chapter that imports
    it will report the failure at its own line.
    """
    prepare_headless()
    # Each worker finds its own chapter's modules again if these differ (context.enter).
    folders = [path for job in jobs for path in job.context.search_path]
    saved_path = list(sys.path)
    sys.path[:] = list(dict.fromkeys([*folders, *interpreter_path()]))
    try:
        for name in imported_modules(job.chapter for job in jobs):
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - reported by the chapter itself
                continue
        # Warming pays off only when several forked chapters share it.
        if sum(1 for job in jobs if _draws_figures(job.chapter)) > 1:
            _warm_matplotlib()
    finally:
        sys.path[:] = saved_path


def _draws_figures(chapter: Chapter) -> bool:
    """Whether a chapter looks like it plots (a fig- cell, or pyplot named in a cell)."""
    return any((cell.label or "").startswith("fig-") or "plt" in cell.code or "matplotlib" in cell.code
               for cell in chapter.cells)


def _warm_matplotlib() -> None:
    """Draw one throwaway figure so that fonts, text layout and the SVG backend are
    loaded once here instead of once in every forked chapter (~0.3 s each)."""
    import io

    try:
        pyplot = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        return
    fig, ax = pyplot.subplots()
    # Log axes over a wide range lay out every power-of-ten tick label once (mathtext),
    # and the text-metrics cache the workers inherit keeps them.
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1e-12, 1e12)
    ax.set_ylim(1e-12, 1e12)
    ax.barh([1.0], [1.0])
    ax.text(1, 1, "warm 0123456789", fontweight="bold")
    ax.set_xlabel("x")
    for size in (8, 9, 10):
        ax.tick_params(labelsize=size)
        fig.savefig(io.StringIO(), format="svg", bbox_inches="tight")
    pyplot.close(fig)


RunChapter = Callable[[ChapterJob], ExecutionResult]


def _worker(run: RunChapter, job: ChapterJob, conn: Connection) -> None:
    enter(job.context)
    conn.send(run(job))
    conn.close()


def run_in_workers(jobs: list[ChapterJob], run: RunChapter, *, workers: int, timeout: float, warm: bool = True,
                   on_done: Callable[[ChapterJob, ExecutionResult], None] | None = None) -> list[ExecutionResult]:
    """Call ``run(job)`` for every job in its own forked process, at most ``workers`` at a time.

    Results come back in the order of ``jobs``. A chapter that runs past
    ``timeout`` seconds is killed and reported; a worker that dies is reported too.

    The work happens in a forked "zygote" process: with ``warm`` it imports what
    the chapters import, then forks one worker per chapter. The caller's own
    process never imports the book's modules, so a long-lived caller (the preview
    server, a test run) never executes a chapter against a stale module.
    """
    if not jobs:
        return []
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    zygote = context.Process(target=_zygote, args=(jobs, run, workers, timeout, warm, sender))
    zygote.start()
    sender.close()
    results: dict[int, ExecutionResult] = {}
    try:
        while len(results) < len(jobs):
            try:
                index, result = receiver.recv()
            except (EOFError, OSError):
                break
            results[index] = result
            if on_done:
                on_done(jobs[index], result)
    finally:
        receiver.close()
        zygote.join(timeout=10)
        if zygote.is_alive():
            zygote.kill()
            zygote.join()
    for index, job in enumerate(jobs):
        if index not in results:
            results[index] = _failure(job, "worker-crashed", "the process running the chapters died before this chapter finished",
                                      "run the chapter alone to see its output", 0.0)
    return [results[i] for i in range(len(jobs))]


def _forget_local_modules() -> None:
    """Drop the book's own modules that this process inherited, so chapters import them afresh
    from their import path (the caller may hold an older copy, or another revision's)."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and name != "__main__" and name.split(".")[0] != "bookbuild" and is_local(Path(file)):
            del sys.modules[name]


def _zygote(jobs: list[ChapterJob], run: RunChapter, workers: int, timeout: float, warm: bool, out: Connection) -> None:
    """Warm up, then schedule one forked worker per chapter; stream (index, result) to ``out``."""
    _forget_local_modules()
    if warm:
        preload(jobs)
    context = multiprocessing.get_context("fork")
    waiting = list(enumerate(jobs))
    running: dict[Connection, tuple[int, multiprocessing.process.BaseProcess, float]] = {}
    while waiting or running:
        while waiting and len(running) < max(1, workers):
            index, job = waiting.pop(0)
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(run, job, sender), daemon=True)
            process.start()
            sender.close()
            running[receiver] = (index, process, time.monotonic())
        now = time.monotonic()
        next_deadline = min(started + timeout for _, _, started in running.values())
        for conn in wait(list(running), timeout=max(0.0, next_deadline - now)):
            index, process, started = running.pop(conn)
            try:
                result = conn.recv()
            except (EOFError, OSError):
                process.join()
                result = _failure(jobs[index], "worker-crashed",
                                  f"the process running this chapter died (exit status {process.exitcode})",
                                  "a cell may have crashed the interpreter (e.g. a native extension); run the chapter alone to see its output",
                                  time.monotonic() - started)
            process.join()
            conn.close()
            out.send((index, result))
        now = time.monotonic()
        for conn, (index, process, started) in list(running.items()):
            if now - started >= timeout:
                process.kill()
                process.join()
                conn.close()
                del running[conn]
                out.send((index, _failure(jobs[index], "timeout", f"the chapter ran longer than its {timeout:g} s limit and was stopped",
                                          "make the slow cell faster, or raise the limit with --timeout SECONDS", now - started)))
    out.close()


def _failure(job: ChapterJob, code: str, message: str, hint: str, seconds: float) -> ExecutionResult:
    diagnostic: Diagnostic = error(code, job.shown_file, 1, message, hint=hint)
    return ExecutionResult((), (), (diagnostic,), seconds)
