"""Worker processes: each chapter in a forked process of its own, chapters in parallel.

Start-up is paid once per build, not once per chapter: a forked "zygote"
process imports the modules the chapters' cells import (pint, matplotlib, the
book's own library) and then forks one short-lived worker per chapter
(:mod:`.zygote`). A worker starts with those modules loaded but with a fresh
namespace, and exits when its chapter is done, so no chapter can leak state
into another.

One time limit covers a chapter's whole execution, imports included: this
process stops the warm-up when it runs past the limit; a module whose import
alone took that long (one that loops, say) is reported at the import line of
each chapter that names it, and the other chapters run again without a warm-up; the zygote stops a chapter that runs
past the limit and reports the cell it was running. Every process involved has
a process group of its own, registered with :mod:`bookbuild.procs`, so a stopped
build ends them all.

Both executors run through this pool; they differ only in the function a
worker calls (in-process execution, or a Jupyter kernel driven by nbclient).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from typing import Callable

from .. import procs
from ..diagnostics import error
from ..qmd import Chapter
from .context import CellContext
from .result import ExecutionResult
from .stopped import import_timed_out
from .zygote import run_zygote


@dataclass(frozen=True)
class ChapterJob:
    """A chapter to run: the parsed chapter, its absolute file, its name in diagnostics, and where its cells run."""

    chapter: Chapter
    source_file: str
    shown_file: str
    context: CellContext
    root: str = ""  # the project (resolved): cells that change files below it are reported
    writable: tuple[str, ...] = ()  # the build's own folders there, where changes are not reported


#: Called by a worker as it starts each item, ("cell", cell index) or ("inline", inline index),
#: and with ("group", pgid) for a process group it starts outside its own (to end with it).
Report = Callable[[str, int], None]
RunChapter = Callable[[ChapterJob, Report], ExecutionResult]
OnDone = Callable[[ChapterJob, ExecutionResult], None]

#: How long past a chapter's limit this process waits for the zygote to report it,
#: before deciding the zygote itself is stuck.
WATCHDOG_MARGIN = 10.0


def run_in_workers(jobs: list[ChapterJob], run: RunChapter, *, workers: int, timeout: float, warm: bool = True,
                   on_done: OnDone | None = None) -> list[ExecutionResult]:
    """Call ``run(job, report)`` for every job in its own forked process, at most ``workers`` at a time.

    Results come back in the order of ``jobs``. A chapter that runs past
    ``timeout`` seconds (its imports included) is killed and reported; a worker
    that dies is reported too.

    The caller's own process never imports the book's modules, so a long-lived
    caller (the preview server, a test run) never executes a chapter against a
    stale module.
    """
    if not jobs:
        return []
    results, stopped, blamed = _session(jobs, run, workers, timeout, warm, on_done)
    if stopped:
        # The warm-up ran past the limit: the chapters that import a module whose import
        # alone took that long get the timeout; the others run again, without a warm-up.
        again = []
        for index, job in enumerate(jobs):
            found = import_timed_out(job, blamed, timeout) if blamed is not None else None
            if found is None:
                again.append(index)
            else:
                results[index] = found
                if on_done:
                    on_done(job, found)
        rerun = run_in_workers([jobs[i] for i in again], run, workers=workers, timeout=timeout, warm=False,
                               on_done=on_done)
        results.update(zip(again, rerun))
    for index, job in enumerate(jobs):
        if index not in results:
            results[index] = ExecutionResult((), (), (error(
                "worker-crashed", job.shown_file, 1, "the process running the chapters died before this chapter finished",
                hint="run the chapter alone to see its output"),), 0.0)
    return [results[i] for i in range(len(jobs))]


def _session(jobs: list[ChapterJob], run: RunChapter, workers: int, timeout: float, warm: bool,
             on_done: OnDone | None) -> tuple[dict[int, ExecutionResult], bool, str | None]:
    """Run the jobs through one zygote; (results so far, whether the warm-up was stopped at the
    limit, the module whose import alone ran past the limit, if one did).

    The warm-up as a whole gets the chapters' limit. When it runs out, the module being
    imported gets the rest of its own full limit: then either it ran past the limit
    alone (it is to blame) or it finished and the warm-up is stopped with no one to blame.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    zygote = context.Process(target=run_zygote, args=(jobs, run, workers, timeout, warm, sender, os.getpid()))
    zygote.start()
    sender.close()
    try:
        os.setpgid(zygote.pid, zygote.pid)  # as the zygote does itself: whichever runs first
    except OSError:
        pass
    procs.track(zygote.pid)
    results: dict[int, ExecutionResult] = {}
    started: dict[int, tuple[int, float]] = {}  # index -> (worker pid, when)
    groups: list[int] = []  # what the workers started outside their own groups
    importing: tuple[str, float] | None = None  # the module the warm-up imports now, since when
    warmed = stopped = False
    warm_until = time.monotonic() + timeout
    blamed = None
    try:
        while len(results) < len(jobs):
            if not warmed:
                until = max(warm_until, importing[1] + timeout) if importing else warm_until
            else:
                until = min((when for _, when in started.values()), default=time.monotonic()) + timeout + WATCHDOG_MARGIN
            if not receiver.poll(max(0.0, until - time.monotonic())):
                stopped = not warmed
                if stopped and importing and time.monotonic() - importing[1] >= timeout:
                    blamed = importing[0]
                break
            try:
                message = receiver.recv()
            except (EOFError, OSError):
                break
            if message[0] == "importing":
                importing = (message[1], time.monotonic())
                if time.monotonic() > warm_until:
                    stopped = True  # the warm-up as a whole ran out, though no one import did
                    break
            elif message[0] == "warm":
                warmed = True
            elif message[0] == "group":
                groups.append(message[2])
                procs.track(message[2])
            elif message[0] == "started":
                started[message[1]] = (message[2], time.monotonic())
                procs.track(message[2])
            elif message[0] == "result":
                index, result = message[1], message[2]
                pid, _ = started.pop(index, (None, 0.0))
                if pid is not None:
                    procs.untrack(pid)
                results[index] = result
                if on_done:
                    on_done(jobs[index], result)
    finally:
        receiver.close()
        if len(results) < len(jobs):
            for pid in [zygote.pid, *(pid for pid, _ in started.values()), *groups]:
                procs.kill_group(pid)
        zygote.join(timeout=10)
        if zygote.is_alive():
            procs.kill_group(zygote.pid)
            zygote.join()
        for pid in [zygote.pid, *(pid for pid, _ in started.values()), *groups]:
            procs.untrack(pid)
    return results, stopped, blamed
