"""The zygote: the process that warms up once and forks one worker per chapter.

It imports what the chapters import (so forked workers start warm), then runs
at most ``workers`` chapters at a time, each in a forked worker with a process
group of its own. A worker tells the zygote which cell or inline expression it
starts (in a word of memory they share: a message per item cost more than a
chapter of small cells takes to run); when a chapter runs past its limit its group is killed, and the
timeout (or a crash) is reported at what it was running.

Messages to the build's process (over ``out``), in order:
``("importing", module)`` during the warm-up, ``("warm",)`` when it is done,
then ``("started", index, pid)`` and ``("result", index, ExecutionResult)`` per chapter, and
``("group", index, pgid)`` for each process group a worker started outside its own (a Jupyter kernel).
The build's process limits the warm-up (this process cannot stop itself in the
middle of an import) and ends every group it was told about if it is stopped.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .. import procs
from ..collector import collect_cycles_as_usual
from ..qmd import Chapter
from .context import enter, interpreter_path
from .fingerprint import is_local
from .result import ExecutionResult
from .runner import prepare_headless
from .stopped import Position, crashed, timed_out
from .strays import Timeline, end_strays

if TYPE_CHECKING:
    from .pool import ChapterJob, RunChapter


def imported_names(chapters: Iterable[Chapter]) -> dict[str, list[str]]:
    """Absolute module names the chapters' cells import, in first-seen order, each with the names
    taken from it (``from m import a, b``: ``["a", "b"]``)."""
    names: dict[str, list[str]] = {}
    for chapter in chapters:
        for cell in chapter.cells:
            try:
                tree = ast.parse(cell.code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        names.setdefault(alias.name, [])
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    taken = names.setdefault(node.module, [])
                    taken += [alias.name for alias in node.names if alias.name != "*" and alias.name not in taken]
    return names


#: What the warm-up reports while it draws its throwaway figure (not a module a chapter names).
WARM_UP_FIGURE = "(matplotlib warm-up)"


def preload(jobs: list["ChapterJob"], report: Callable[[str], None] = lambda name: None) -> None:
    """Import what the chapters import, so forked workers start warm; ``report`` each module first.

    A module that fails to import is skipped silently: the chapter that imports
    it will report the failure at its own line.
    """
    prepare_headless()
    # Each worker finds its own chapter's modules again if these differ (context.enter).
    folders = [path for job in jobs for path in job.context.search_path]
    saved_path = list(sys.path)
    sys.path[:] = list(dict.fromkeys([*folders, *interpreter_path()]))
    try:
        for name, taken in imported_names(job.chapter for job in jobs).items():
            report(name)
            try:
                module = importlib.import_module(name)
                for attribute in taken:
                    # As ``from name import attribute`` does: a package that loads its attributes lazily
                    # (a module ``__getattr__``) or a submodule loads here once, not in every chapter.
                    if not hasattr(module, attribute):
                        importlib.import_module(f"{name}.{attribute}")
            except BaseException:  # noqa: BLE001 - reported by the chapter itself
                continue
        # Warming pays off only when several forked chapters share it.
        if sum(1 for job in jobs if _draws_figures(job.chapter)) > 1:
            report(WARM_UP_FIGURE)
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


def _forget_local_modules() -> None:
    """Drop the book's own modules that this process inherited, so chapters import them afresh
    from their import path (the caller may hold an older copy, or another revision's)."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and name != "__main__" and name.split(".")[0] != "bookbuild" and is_local(Path(file)):
            del sys.modules[name]


#: How a worker's current item is written in its shared slot: index * 4 + the kind's code (0: none yet).
KIND_CODES = {"cell": 1, "inline": 2}
KINDS = {code: kind for kind, code in KIND_CODES.items()}


def read_slot(value: int) -> Position | None:
    """The item a worker's shared slot names (see :data:`KIND_CODES`), None before the first."""
    return (KINDS[value % 4], value // 4) if value % 4 in KINDS else None


def _worker(run: "RunChapter", job: "ChapterJob", conn: Connection, parent: int, slot: Any) -> None:
    procs.own_group()
    # If the zygote dies, end this worker and whatever its cells started (its group).
    procs.on_stop_signals(lambda signum, frame: procs.kill_group(os.getpid()))
    procs.die_with_parent(parent, signal.SIGTERM)
    procs.become_subreaper()  # what the cells start stays below this worker, to be ended with the chapter
    collect_cycles_as_usual()  # the cells collect at the usual pace, the build itself seldom (bookbuild/collector.py)
    enter(job.context)  # the chapter's folder (or the project's), its import path and environment
    timeline = Timeline()

    def report(kind: str, index: int) -> None:
        if kind == "group":
            timeline.own.add(index)
            conn.send(("at", kind, index))
        else:
            timeline.started((kind, index))
            slot.value = index * 4 + KIND_CODES[kind]  # one store: read whole after the worker stopped

    result = run(job, report)
    left = end_strays(os.getpid(), job.chapter, job.shown_file, timeline)
    if left:
        result = dataclasses.replace(result, diagnostics=(*result.diagnostics, *left))
    conn.send(("result", result))
    conn.close()


class _Running:
    """A worker the zygote waits on: its chapter, its process, when it started, what it runs now."""

    def __init__(self, index: int, process: multiprocessing.process.BaseProcess, slot: Any) -> None:
        self.index = index
        self.process = process
        self.slot = slot  # the item it runs now, as the worker writes it (read_slot)
        self.started = time.monotonic()
        self.groups: list[int] = []  # process groups it started outside its own, ended with it

    def note(self, message: tuple, out: Connection) -> None:
        """Take a worker's progress report: the item it starts now, or a process group it started."""
        if message[1] == "group":
            self.groups.append(message[2])
            out.send(("group", self.index, message[2]))

    @property
    def position(self) -> Position | None:
        """The cell or inline expression the worker runs (or last ran)."""
        return read_slot(self.slot.value)

    def kill(self) -> None:
        """Kill the worker with whatever it started."""
        for pgid in (self.process.pid, *self.groups):
            procs.kill_group(pgid)

    def end(self) -> None:
        """Kill the worker with whatever it started, and wait for it."""
        self.kill()
        self.process.join()


def run_zygote(jobs: list["ChapterJob"], run: "RunChapter", workers: int, timeout: float, warm: bool,
               out: Connection, parent: int) -> None:
    """The zygote's body: warm up, then schedule one forked worker per chapter."""
    running: dict[Connection, _Running] = {}

    def stop(signum: int, frame: object) -> None:
        for worker in running.values():
            worker.kill()
        os._exit(128 + signum)

    procs.own_group()  # as the build's process does for it: whichever runs first
    procs.on_stop_signals(stop)
    procs.become_subreaper()  # a killed worker's programs come here, to be ended (_end_orphans)
    # The build's process gone (even by SIGKILL): end the workers and exit.
    procs.die_with_parent(parent, signal.SIGTERM)
    _forget_local_modules()
    if warm:
        preload(jobs, report=lambda name: out.send(("importing", name)))
    out.send(("warm",))
    context = multiprocessing.get_context("fork")
    waiting = list(enumerate(jobs))
    while waiting or running:
        while waiting and len(running) < max(1, workers):
            index, job = waiting.pop(0)
            receiver, sender = context.Pipe(duplex=False)
            slot = context.RawValue("q", 0)
            process = context.Process(target=_worker, args=(run, job, sender, os.getpid(), slot), daemon=True)
            process.start()
            sender.close()
            try:
                os.setpgid(process.pid, process.pid)  # as the worker does: whichever runs first
            except OSError:
                pass
            running[receiver] = _Running(index, process, slot)
            out.send(("started", index, process.pid))
        next_deadline = min(worker.started + timeout for worker in running.values())
        for conn in wait(list(running), timeout=max(0.0, next_deadline - time.monotonic())):
            finished = _receive(conn, running, jobs, out)
            if finished is not None:
                worker = running.pop(conn)
                conn.close()
                out.send(("result", worker.index, finished))
        now = time.monotonic()
        for conn, worker in list(running.items()):
            if now - worker.started >= timeout:
                _drain(conn, worker, out)
                worker.end()
                conn.close()
                del running[conn]
                out.send(("result", worker.index, timed_out(jobs[worker.index], worker.position, timeout,
                                                              now - worker.started)))
                _end_orphans(running)
    out.close()


def _end_orphans(running: dict[Connection, _Running]) -> None:
    """End the programs a killed worker's cells left (adopted by this process), but not the
    running workers or what they run."""
    mine = {worker.process.pid for worker in running.values()}
    orphans = []
    for info in procs.descendants(os.getpid()):  # parents come before their children
        if info.pid in mine or info.parent in mine:
            mine.add(info.pid)
        else:
            orphans.append(info.pid)
    procs.end_processes(orphans)


def _receive(conn: Connection, running: dict[Connection, _Running], jobs: list["ChapterJob"],
             out: Connection) -> ExecutionResult | None:
    """Read one message from a worker: its result (then it is done), or None after a progress report.

    A worker whose pipe closes without a result died: that is reported at what it was running.
    """
    worker = running[conn]
    try:
        message = conn.recv()
    except (EOFError, OSError):
        worker.end()  # and what it started: a kernel must not outlive its worker
        _end_orphans({key: other for key, other in running.items() if key is not conn})
        return crashed(jobs[worker.index], worker.position, worker.process.exitcode, time.monotonic() - worker.started)
    if message[0] == "at":
        worker.note(message, out)
        return None
    worker.process.join()
    return message[1]


def _drain(conn: Connection, worker: _Running, out: Connection) -> None:
    """Read the progress reports a worker sent before it was stopped (the last names its cell)."""
    try:
        while conn.poll():
            message = conn.recv()
            if message[0] == "at":
                worker.note(message, out)
    except (EOFError, OSError):
        pass
