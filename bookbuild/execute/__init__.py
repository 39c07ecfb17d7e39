"""Chapter -> ExecutedChapter: run cells, evaluate inline values, capture figures.

Two engines share one worker pool and one value rule: ``inprocess`` (fast, the
default) and ``jupyter`` (a real IPython kernel through nbclient, for parity).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from pathlib import Path
from typing import Callable

from .capture import DEFAULT_OUTPUT_LIMIT
from .pool import ChapterJob, Report, run_in_workers
from .result import FIGURE_FORMATS, CellResult, ExecutedChapter, ExecutionResult, Figure, InlineValue
from .runner import run_chapter
from .writes import SourceWatch, watch_diagnostics

ENGINES = ("inprocess", "jupyter")
DEFAULT_TIMEOUT = 120.0


def _run_inprocess(figure_formats: tuple[str, ...], output_limit: int, job: ChapterJob, report: Report) -> ExecutionResult:
    """Run in a worker, recording the files the cells read (the worker exits after).

    Opened files come from an audit hook, which also sees the cells that change
    the source tree (each reported as a warning). Modules imported while the cells run
    are recorded too: an import the static scan cannot see (``importlib``,
    ``__import__``) loads from a cached ``.pyc`` and never opens its source.
    """
    opened: list[str] = []
    watch = SourceWatch(Path(job.root), tuple(Path(p) for p in job.writable)) if job.root else None

    def record_open(event: str, args: tuple) -> None:
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            opened.append(os.path.abspath(os.fsdecode(args[0])))
        if watch is not None:
            watch.hook(event, args)

    already_loaded = dict(sys.modules)  # (the objects: a module the cells load afresh under the same name counts)
    sys.addaudithook(record_open)
    items = {("cell", c.index): c for c in job.chapter.cells} | {("inline", i.index): i for i in job.chapter.inlines}

    def running(kind: str, index: int) -> None:
        if watch is not None:  # changes to the source tree are blamed on what runs now
            watch.current = items.get((kind, index))  # type: ignore[assignment]
        report(kind, index)

    result = run_chapter(job.chapter, job.source_file, job.shown_file, figure_formats,
                         output_limit=output_limit, report=running)
    if watch is not None and watch.changes:
        changed = watch_diagnostics(list(watch.changes), watch.root, job.shown_file)
        result = dataclasses.replace(result, diagnostics=(*result.diagnostics, *changed))
    for name, module in list(sys.modules.items()):
        source = getattr(module, "__file__", None) if already_loaded.get(name) is not module else None
        if isinstance(source, str):
            opened.append(os.path.abspath(source))
    return dataclasses.replace(result, opened=tuple(dict.fromkeys(opened)))


def execute_chapters(jobs: list[ChapterJob], *, engine: str = "inprocess", timeout: float = DEFAULT_TIMEOUT,
                     workers: int = 2, figure_formats: tuple[str, ...] = FIGURE_FORMATS,
                     output_limit: int = DEFAULT_OUTPUT_LIMIT,
                     on_done: Callable[[ChapterJob, ExecutionResult], None] | None = None) -> list[ExecutedChapter]:
    """Execute chapters in parallel worker processes with the chosen engine.

    ``timeout`` limits each chapter (its imports included); ``output_limit`` caps
    the text each cell's output keeps (characters).

    A chapter with no cells and no inline expressions needs no worker (nor, with
    Jupyter, a kernel): its result is empty by definition.
    """
    with_code = [job for job in jobs if job.chapter.cells or job.chapter.inlines]
    results = dict(zip((id(job) for job in with_code), _run(with_code, engine, timeout, workers, figure_formats, output_limit, on_done)))
    empty = ExecutionResult((), (), (), 0.0)
    return [
        ExecutedChapter(job.chapter, r.values, r.cells, r.diagnostics, r.seconds, engine, opened=r.opened)
        for job in jobs
        for r in [results.get(id(job), empty)]
    ]


def _run(jobs: list[ChapterJob], engine: str, timeout: float, workers: int, figure_formats: tuple[str, ...],
         output_limit: int, on_done: Callable[[ChapterJob, ExecutionResult], None] | None) -> list[ExecutionResult]:
    if not jobs:
        return []
    if engine == "jupyter":
        from .jupyter import run_chapter_jupyter  # nbclient is slow to import: only when asked for

        # The kernel enforces the limit on its start and per cell; the pool's limit (with
        # a margin for kernel start-up) catches a kernel that never answers.
        run = functools.partial(run_chapter_jupyter, timeout=timeout, output_limit=output_limit)
        return run_in_workers(jobs, run, workers=workers, timeout=timeout + 30, warm=False, on_done=on_done)
    if engine == "inprocess":
        run = functools.partial(_run_inprocess, figure_formats, output_limit)
        return run_in_workers(jobs, run, workers=workers, timeout=timeout, warm=True, on_done=on_done)
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


__all__ = [
    "CellResult", "ChapterJob", "DEFAULT_OUTPUT_LIMIT", "ENGINES", "ExecutedChapter", "ExecutionResult", "Figure", "InlineValue",
    "execute_chapters", "run_chapter",
]
