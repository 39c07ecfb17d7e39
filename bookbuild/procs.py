"""Child processes that never outlive the build.

Every program the build starts (LaTeX, dvisvgm, Pandoc, the execution zygote
and its workers) runs in a process group of its own, registered here while it
runs. Two guarantees follow:

- On SIGTERM, SIGINT or SIGHUP the command line's handler ends every registered
  group and exits with 128 + the signal's number (:func:`stop_on_signals`).
- When the build's process is killed outright (SIGKILL), its children are told
  by the kernel (Linux ``PR_SET_PDEATHSIG``) and die too (:func:`die_with_parent`).
  The signal is sent when the *thread* that forked the child exits, so a child
  must be started by a thread that waits for it (every caller here does).

Programs that leave their group on purpose (a cell's ``start_new_session=True``,
a daemon's double fork) are found by walking the process tree in ``/proc``
(:func:`descendants`); a process that is a *subreaper* (:func:`become_subreaper`)
inherits its descendants' orphans, so they stay in that tree.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TextIO

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36

_groups: set[int] = set()
_lock = threading.Lock()


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _load_prctl()  # resolved once: a forked child only makes the call


def die_with_parent(parent: int, signum: int = signal.SIGKILL) -> None:
    """Ask the kernel to send ``signum`` to this process when its parent dies; exit now if it
    already has (``parent`` is the pid the caller expected as its parent)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def become_subreaper() -> bool:
    """Adopt this process's orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``), so that a
    program whose parent exits is still found among this process's descendants; False if unsupported."""
    return _prctl is not None and _prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


@dataclass(frozen=True)
class ProcessInfo:
    """A live process as ``/proc/<pid>/stat`` describes it; ``started`` is in clock ticks since boot."""

    pid: int
    parent: int
    state: str
    started: int


def parse_stat(text: str) -> ProcessInfo:
    """Parse a ``/proc/<pid>/stat`` line (the command's name, in parentheses, may hold spaces and ')')."""
    head, _, rest = text.rpartition(")")
    fields = rest.split()
    return ProcessInfo(pid=int(head.split("(", 1)[0]), parent=int(fields[1]), state=fields[0],
                       started=int(fields[19]))


def _process_table() -> list[ProcessInfo]:
    table = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return table
    for entry in entries:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                    table.append(parse_stat(stat.read()))
            except (OSError, ValueError, IndexError):
                continue  # ended while we looked
    return table


def descendants(root: int, table: Sequence[ProcessInfo] | None = None) -> list[ProcessInfo]:
    """Every live (not zombie) descendant of ``root``, parents before their children."""
    children: dict[int, list[ProcessInfo]] = {}
    for info in _process_table() if table is None else table:
        children.setdefault(info.parent, []).append(info)
    found: list[ProcessInfo] = []
    queue = [root]
    while queue:
        for info in children.get(queue.pop(0), []):
            if info.state != "Z":
                found.append(info)
            queue.append(info.pid)
    return found


def command_line(pid: int) -> str:
    """A process's command line, its arguments joined by spaces ("" once it has ended)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def end_processes(pids: Sequence[int], *, reap_within: float = 5.0) -> None:
    """SIGKILL each process (and the group it leads, if it leads one), then reap those that are
    this process's children (waiting at most ``reap_within`` s in all), so none is left a zombie."""
    for pid in pids:
        kill_group(pid) if _leads_group(pid) else _kill(pid)
    waiting = set(pids)
    deadline = time.monotonic() + reap_within
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue  # not ended yet
            except (ChildProcessError, OSError):
                pass  # not our child: its own parent reaps it
            waiting.discard(pid)
        if waiting:
            time.sleep(0.01)


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def own_group() -> None:
    """Put this process in a process group of its own, so it can be ended with its descendants."""
    try:
        os.setpgid(0, 0)
    except OSError:
        pass


def track(pgid: int) -> None:
    """Register a running process group, to be ended if the build is stopped."""
    with _lock:
        _groups.add(pgid)


def untrack(pgid: int) -> None:
    with _lock:
        _groups.discard(pgid)


def kill_group(pgid: int) -> None:
    """SIGKILL a process group (and its leader, should it not have made the group yet)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def end_all() -> int:
    """Kill every registered process group; return how many there were."""
    with _lock:
        groups = list(_groups)
        _groups.clear()
    for pgid in groups:
        kill_group(pgid)
    return len(groups)


@functools.lru_cache(maxsize=1)
def _setpriv() -> str | None:
    """util-linux's ``setpriv``, if it is there and knows ``--pdeathsig`` (2.33 and later)."""
    found = shutil.which("setpriv") if _prctl is not None else None
    if found is None:
        return None
    try:
        works = subprocess.run([found, "--pdeathsig", "KILL", "--", "true"], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        works = False
    return found if works else None


def spawn(args: Sequence[str], **options: Any) -> subprocess.Popen:
    """``subprocess.Popen`` for an external tool: its own session (so it is ended with its
    children), killed with the build, registered until :func:`reap`.

    The death signal is set by util-linux's ``setpriv`` when it is there: a
    ``preexec_fn`` would make every start fork the whole build process (tens of
    milliseconds for a large one) instead of using vfork.
    """
    args = list(args)
    program = shutil.which(args[0]) if args else None
    if program is None:
        raise FileNotFoundError(2, "No such file or directory", args[0] if args else "")
    setpriv = _setpriv()
    if setpriv is not None:
        process = subprocess.Popen([setpriv, "--pdeathsig", "KILL", "--", program, *args[1:]],
                                   start_new_session=True, **options)
    else:
        parent = os.getpid()
        process = subprocess.Popen([program, *args[1:]], start_new_session=True,
                                   preexec_fn=lambda: die_with_parent(parent), **options)
    track(process.pid)
    return process


def reap(process: subprocess.Popen) -> None:
    """Kill a spawned tool's group if it still runs, wait for it, and unregister it."""
    if process.poll() is None:
        kill_group(process.pid)
    process.wait()
    untrack(process.pid)


def run_tool(args: Sequence[str], *, timeout: float, input: bytes | None = None, **options: Any) -> tuple[int, bytes, bytes]:
    """Run a tool to completion with its output captured; (status, stdout, stderr).

    Raises ``subprocess.TimeoutExpired`` after ``timeout`` seconds (the tool's group is killed).
    """
    process = spawn(args, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options)
    try:
        stdout, stderr = process.communicate(input, timeout=timeout)
        return process.returncode, stdout, stderr
    finally:
        reap(process)


def stop_on_signals(err: TextIO) -> None:
    """In the command line's process: on SIGTERM, SIGINT or SIGHUP, end every child process
    group, say so in one line, and exit with 128 + the signal's number."""
    def stop(signum: int, frame: object) -> None:
        # Everything below this process, taken before any of it is killed (a killed parent's
        # orphans would leave the tree): programs in sessions of their own included.
        strays = [info.pid for info in descendants(os.getpid())]
        ended = end_all()
        end_processes(strays, reap_within=0)
        name = signal.Signals(signum).name
        try:
            err.write(f"bookbuild: stopped by {name}"
                      f"{f'; ended {ended} running program(s)' if ended else ''}\n")
            err.flush()
        except (OSError, ValueError):
            pass
        # Now, without unwinding: threads still waiting on the killed programs must not start new ones.
        os._exit(128 + signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)


def on_stop_signals(handler: Callable[[int, object], None]) -> None:
    """Install ``handler`` for the stop signals (in a forked child, replacing the parent's)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)
