"""Programs a chapter's cells leave running: found when the chapter ends, ended, and reported.

A cell may start a program and not wait for it; one started in a session of its
own (``start_new_session=True``, a daemon's double fork) also escapes the
worker's process group, so ending the group would miss it. The worker is a
*subreaper* (it adopts its descendants' orphans), so every such program is
still below it when the chapter ends: it is ended, and a warning names the cell
or inline expression that was running when the program started (the last one
to start before it, by the kernel's start times, which count in clock ticks).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from .. import procs
from ..diagnostics import Diagnostic, warning
from .stopped import Position, describe_position

if TYPE_CHECKING:
    from ..qmd import Chapter

#: At most this many programs are named in one warning (the rest are counted).
NAMED = 3


@dataclass(frozen=True)
class Stray:
    """A program still running below a worker when its chapter ended."""

    pid: int
    command: str
    started: int  # clock ticks since boot, as /proc gives it


def clock_ticks() -> int:
    """Now, in the clock and unit of a process's start time in ``/proc/<pid>/stat``."""
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK"))


class Timeline:
    """When each cell and inline expression of a chapter started, as they start."""

    def __init__(self) -> None:
        self.starts: list[tuple[int, Position]] = []
        self.own: set[int] = set()  # the engine's own programs (a Jupyter kernel): ended, not reported

    def started(self, position: Position) -> None:
        self.starts.append((clock_ticks(), position))


def blame(stray: Stray, starts: Sequence[tuple[int, Position]]) -> Position | None:
    """The item that was running when ``stray`` started: the last to start at or before it."""
    found = None
    for ticks, position in starts:
        if ticks > stray.started:
            break
        found = position
    return found


def find_strays(root: int) -> list[Stray]:
    """The programs still running below process ``root``."""
    return [Stray(info.pid, procs.command_line(info.pid), info.started) for info in procs.descendants(root)]


def stray_diagnostics(strays: Sequence[Stray], starts: Sequence[tuple[int, Position]], chapter: "Chapter",
                      shown_file: str) -> list[Diagnostic]:
    """One warning per cell (or inline expression) that left programs running."""
    by_item: dict[Position | None, list[Stray]] = {}
    for stray in strays:
        by_item.setdefault(blame(stray, starts), []).append(stray)
    found = []
    for position, group in by_item.items():
        line, col, what, label = describe_position(chapter, position)
        named = ", ".join(f"`{stray.command}` (pid {stray.pid})" for stray in group[:NAMED])
        more = f" and {len(group) - NAMED} more" if len(group) > NAMED else ""
        started = f"started by {what}" if position is not None else "started by the chapter's code"
        verb, it = ("was", "it") if len(group) == 1 else ("were", "them")
        found.append(warning(
            "cell-process", shown_file, line,
            f"{named}{more}, {started}, {verb} still running when the chapter finished; the build ended {it}",
            col=col, cell=label,
            hint="wait for the programs a cell starts (`process.wait()`, or `with subprocess.Popen(...)`), "
                 "or end them before the chapter does"))
    return found


def end_strays(root: int, chapter: "Chapter", shown_file: str, timeline: Timeline) -> list[Diagnostic]:
    """End every program left below ``root`` (this worker) and report each at its cell."""
    strays = find_strays(root)
    if not strays:
        return []
    procs.end_processes([stray.pid for stray in strays])
    # A program with no command line is already exiting (its memory is gone): not worth a warning.
    lasting = [stray for stray in strays if stray.command and stray.pid not in timeline.own]
    return stray_diagnostics(lasting, timeline.starts, chapter, shown_file)
