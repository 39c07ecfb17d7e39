"""Skip a whole build when nothing it read or wrote has changed since the last sound one.

A build that ends without errors leaves a record in the cache, under a key of
the command's identity (format, chapters, profiles, engine, limits, output
folder, working folder, interpreter and key packages, the ``_environment``
variables and ``PYTHONPATH``). The record holds the state of every file the
build depended on:

- every file of the project, hidden ones and the output, cache and ``_build``
  folders aside, so a file added or removed counts as a change too;
- every file this process opened (found or not) and every file named on the
  command line of a program it started (Pandoc's bibliography, filters and
  template, and the program itself), wherever they are;
- the modules and data files the chapters' cells read (``ExecutedChapter``);
- the engine's own files;

and of every file it wrote into the output folder (what its manifest lists, the PDF or EPUB). The next build with the same
identity compares them all (size, modification and change times, inode; a file
whose times changed but whose bytes hash the same is unchanged) and, when all
match, prints the record's report instead of building: the outputs are the
bytes this build would write. A file changed while the build ran (its times
are later than the build's start) leaves no record, so an edit made during a
build is never missed. A build with errors leaves none either: it runs again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any, Iterable

from .cache import Cache, digest, file_digest
from .outputs import MANIFEST, read_manifest

STAGE = "build-record"
FORMAT = "bookbuild-build-record 1"
#: Files up to this size are hashed, so a file whose times changed but whose bytes did not still matches.
HASHED_UP_TO = 16 * 1024 * 1024
#: Folders never walked as part of the project: version control, editors' and tools' caches.
SKIPPED_NAMES = frozenset({"__pycache__", "node_modules"})
ENGINE_DIR = Path(__file__).resolve().parent

State = tuple[int, int, int, int, "str | None"]  # size, mtime_ns, ctime_ns, inode, sha256 (None: not hashed)
MISSING = "missing"
LINUX_REALTIME_COARSE = 5  # clockid_t of CLOCK_REALTIME_COARSE (<linux/time.h>), which Python does not name
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class InputWatch:
    """What this process opens and which files the programs it starts are given, while active.

    Python's audit hooks cannot be removed, so one hook is installed for the
    process and forwards to the watches that are active (there is one per build).
    """

    _active: list["InputWatch"] = []
    _installed = False
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.started_ns = filesystem_now()

    def __enter__(self) -> "InputWatch":
        with InputWatch._lock:
            if not InputWatch._installed:
                sys.addaudithook(_forward)
                InputWatch._installed = True
            InputWatch._active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with InputWatch._lock:
            InputWatch._active.remove(self)

    def saw(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writes = bool(set(str(mode)) & set("wax+")) if mode is not None else bool(flags & WRITE_FLAGS)
            if isinstance(path, (str, bytes, os.PathLike)) and not writes:
                self.paths.add(os.path.abspath(os.fsdecode(path)))
        elif event == "subprocess.Popen":
            executable, arguments, cwd = args[0], args[1], args[2]
            self.paths.update(_program_files(executable, arguments, cwd))


def filesystem_now() -> int:
    """The time a file written now is stamped with, in ns: Linux stamps files from its coarse clock, a few ms
    behind :func:`time.time_ns`, so a file saved just after the build started could look older than the
    build by the fine clock. (A file stamped in the same tick counts as newer: see :func:`_newer`.)"""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            return time.clock_gettime_ns(getattr(time, "CLOCK_REALTIME_COARSE", LINUX_REALTIME_COARSE))
    return time.time_ns() - 50_000_000  # elsewhere: a margin of several ticks


def _forward(event: str, args: tuple[Any, ...]) -> None:
    """The process's audit hook: it must be cheap and must never raise."""
    if event not in ("open", "subprocess.Popen") or not InputWatch._active:
        return
    try:
        for watch in list(InputWatch._active):
            watch.saw(event, args)
    except Exception:  # noqa: BLE001 - an audit hook that raises breaks the operation it watches
        pass


def _program_files(executable: Any, arguments: Any, cwd: Any) -> list[str]:
    """The program a ``Popen`` starts and the existing files its arguments name."""
    words = [os.fsdecode(a) for a in arguments] if isinstance(arguments, (list, tuple)) else []
    base = os.fsdecode(cwd) if cwd else os.getcwd()
    found = []
    program = os.fsdecode(executable) if executable else (words[0] if words else "")
    located = shutil.which(program) if program else None
    if located:
        found.append(os.path.abspath(located))
    for word in words[1:]:
        value = word.split("=", 1)[1] if word.startswith("--") and "=" in word else word
        candidate = os.path.join(base, value)
        if value and not value.startswith("-") and os.path.isfile(candidate):
            found.append(os.path.abspath(candidate))
    return found


def file_state(path: Path) -> State | str:
    """A file's state, or ``MISSING``."""
    try:
        stat = path.stat()
    except OSError:
        return MISSING
    if not S_ISREG(stat.st_mode):
        return MISSING
    sha = file_digest(path) if stat.st_size <= HASHED_UP_TO else None
    if sha == MISSING:  # gone or unreadable since the stat
        return MISSING
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, sha)


def unchanged(path: Path, recorded: State | str) -> bool:
    """Whether ``path`` is as recorded (the same times, or the same bytes)."""
    try:
        stat = path.stat()
    except OSError:
        return recorded == MISSING
    if recorded == MISSING or not S_ISREG(stat.st_mode):
        return False
    size, mtime, ctime, inode, sha = recorded
    if (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino) == (size, mtime, ctime, inode):
        return True
    return sha is not None and stat.st_size == size and file_digest(path) == sha


def project_files(root: Path, skipped: Iterable[Path]) -> list[Path]:
    """Every file of the project a build could read: hidden entries, virtual environments and ``skipped``
    folders (output, cache, ``_build``) aside."""
    skip = {os.path.abspath(p) for p in skipped}
    found: list[Path] = []
    pending = [os.path.abspath(root)]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        if folder != os.path.abspath(root) and any(e.name == "pyvenv.cfg" for e in entries):
            continue  # a virtual environment: what a build imports from it is watched as opened
        for entry in entries:
            if entry.name.startswith(".") or entry.name in SKIPPED_NAMES or entry.path in skip:
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            elif entry.is_file():
                found.append(Path(entry.path))
    return sorted(found)


def engine_files() -> list[Path]:
    """The engine's own files (its code, filters, templates and theme)."""
    return sorted(p for p in ENGINE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@dataclass(frozen=True)
class BuildRecord:
    """A sound build: the state of what it read and wrote, and the report it printed."""

    inputs: dict[str, State | str]
    outputs: dict[str, State | str]
    report: str  # what the build wrote to standard output before its closing line
    outcome: str  # ``built 20 pages into _build/html``
    warnings: int

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, "inputs": self.inputs, "outputs": self.outputs, "report": self.report,
                           "outcome": self.outcome, "warnings": self.warnings}).encode("utf-8")

    @classmethod
    def from_json(cls, payload: bytes) -> "BuildRecord":
        data = json.loads(payload)
        if data.get("format") != FORMAT:
            raise ValueError("another version's record")

        def states(raw: dict[str, Any]) -> dict[str, State | str]:
            return {str(k): (MISSING if v == MISSING else (int(v[0]), int(v[1]), int(v[2]), int(v[3]), v[4]))
                    for k, v in raw.items()}
        return cls(states(data["inputs"]), states(data["outputs"]), str(data["report"]), str(data["outcome"]),
                   int(data["warnings"]))

    def still_holds(self, root: Path, skipped: Iterable[Path]) -> bool:
        """Every recorded file is unchanged, and the project has no file the record does not know."""
        if set(str(p) for p in project_files(root, skipped)) - set(self.inputs):
            return False
        return all(unchanged(Path(path), state) for files in (self.inputs, self.outputs)
                   for path, state in files.items())


def build_identity(command: str, *, root: Path, names: Iterable[str], profiles: Iterable[str], engine: str,
                   timeout: float | None, out_dir: Path, environment: Iterable[tuple[str, str]]) -> str:
    """The key of a build's record: what, besides files, decides its result (see the module's docstring)."""
    from .execute.fingerprint import environment_fingerprint

    return digest(FORMAT, command, str(root.resolve()), json.dumps(list(names)), json.dumps(list(profiles)), engine,
                  repr(timeout), str(out_dir), os.getcwd(), sys.executable, environment_fingerprint(),
                  os.environ.get("PYTHONPATH", ""), os.environ.get("SOURCE_DATE_EPOCH", ""),
                  json.dumps([list(pair) for pair in environment]))


def find_record(cache: Cache, identity: str, root: Path, skipped: Iterable[Path]) -> BuildRecord | None:
    """The last sound build's record when everything it covers is unchanged, else None."""
    payload = cache.get(STAGE, identity)
    if payload is None:
        return None
    try:
        record = BuildRecord.from_json(payload)
    except (ValueError, KeyError, TypeError, IndexError):
        cache.discard(STAGE, identity, counted_hit=True)
        return None
    return record if record.still_holds(root, skipped) else None


def store_record(cache: Cache, identity: str, watch: InputWatch, *, root: Path, skipped: Iterable[Path],
                 read: Iterable[str | Path], out_dir: Path, wrote: Iterable[Path], report: str, outcome: str,
                 warnings: int) -> bool:
    """Record a sound build (True), unless a file it covers changed while it ran (False: no record).

    ``read``: the files the build depends on that this process may not have opened itself (the
    configuration, what the chapters' cells read). A file this process opened that is newer than the
    build is one of its own scratch files (Pandoc's data, a filter's wrapper), not an input. The outputs
    are the files the output folder's manifest lists, and ``wrote`` (a PDF, an EPUB).
    """
    skipped = list(skipped)
    folders = tuple(os.path.join(os.path.abspath(folder), "") for folder in skipped)
    named = {*map(str, project_files(root, skipped)), *map(str, engine_files()), *map(str, read)}
    inputs = {path: file_state(Path(path)) for path in sorted(named)}
    if any(_newer(state, watch.started_ns) for state in inputs.values()):
        return False  # edited during the build: the next build must look at it
    for path in sorted(watch.paths - named):
        if not path.startswith(folders):
            state = file_state(Path(path))
            if not _newer(state, watch.started_ns):
                inputs[path] = state
    listed = [out_dir / MANIFEST, *(out_dir / relative for relative in read_manifest(out_dir))] \
        if (out_dir / MANIFEST).is_file() else []
    written = [*listed, *wrote]
    outputs = {str(p): file_state(p) for p in written}
    if any(state == MISSING for state in outputs.values()):
        return False
    cache.put(STAGE, identity, BuildRecord(inputs, outputs, report, outcome, warnings).to_json())
    return True


def _newer(state: State | str, started_ns: int) -> bool:
    return state != MISSING and max(state[1], state[2]) >= started_ns  # type: ignore[index]

