"""Cells that change the book's source tree: found while they run, reported as warnings.

A build must leave the sources as it found them, and so should the cells it
runs. In-process, an audit hook sees every file a cell opens for writing,
removes, renames or makes, and the runner says which cell (or inline
expression) is running, so each warning names its cell. A Jupyter kernel is
another process: there, the tree is compared before and after each cell.
Writes under the build's output and cache folders, or outside the project
(``/tmp``), are not reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostic, warning
from ..qmd import Cell, InlineExpr

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
#: audit event -> (what it does, which of its arguments are paths)
EVENTS = {"os.remove": ("removed", (0,)), "os.rmdir": ("removed", (0,)), "os.mkdir": ("created", (0,)),
          "os.rename": ("renamed", (0, 1)), "os.truncate": ("wrote", (0,)), "os.symlink": ("created", (1,)),
          "os.link": ("created", (1,))}
SKIPPED_FOLDERS = {".git", "__pycache__", ".venv", "node_modules"}  # not the book's sources
HINT = ("a cell should only read the book's files: write scratch files under tempfile.mkdtemp() "
        "(or keep them in memory), and generated data into a folder outside the project")


@dataclass
class SourceWatch:
    """Collects the source-tree changes of the item (cell or inline expression) that is running."""

    root: Path
    allowed: tuple[Path, ...] = ()  # the build's output and cache folders
    current: Cell | InlineExpr | None = None
    changes: list[tuple[Cell | InlineExpr | None, str, Path]] = field(default_factory=list)

    def hook(self, event: str, args: tuple) -> None:
        """A ``sys.addaudithook`` hook (it must never raise)."""
        try:
            if event == "open" and len(args) >= 3 and isinstance(args[0], (str, bytes, os.PathLike)):
                mode, flags = args[1], args[2]
                writes = (isinstance(flags, int) and flags & WRITE_FLAGS) or \
                    (isinstance(mode, str) and any(c in mode for c in "wax+"))
                if writes:
                    self._note("wrote" if os.path.exists(args[0]) else "created", args[0])
            elif event in EVENTS:
                action, positions = EVENTS[event]
                for position in positions:
                    if position < len(args) and isinstance(args[position], (str, bytes, os.PathLike)):
                        self._note(action, args[position])
        except Exception:  # noqa: BLE001 - an audit hook that raises breaks the cell that triggered it
            pass

    def _note(self, action: str, raw: str | bytes | os.PathLike) -> None:
        path = Path(os.path.abspath(os.fsdecode(raw)))
        if is_source(path, self.root, self.allowed):
            self.changes.append((self.current, action, path))


def is_source(path: Path, root: Path, allowed: tuple[Path, ...]) -> bool:
    """Whether ``path`` (absolute) belongs to the project's source tree, not to a build folder."""
    return path.is_relative_to(root) and not any(path.is_relative_to(folder) for folder in allowed)


def watch_diagnostics(changes: list[tuple[Cell | InlineExpr | None, str, Path]], root: Path,
                      shown: str) -> list[Diagnostic]:
    """One warning per cell (or expression) that changed the source tree, listing what it changed."""
    by_item: dict[int, tuple[Cell | InlineExpr | None, dict[str, str]]] = {}
    for item, action, path in changes:
        _, files = by_item.setdefault(id(item), (item, {}))
        files.setdefault(path.relative_to(root).as_posix(), action)
    found = []
    for item, files in by_item.values():
        listing = ", ".join(f"{action} {name}" for name, action in files.items())
        if isinstance(item, Cell):
            found.append(warning("source-changed", shown, item.line, f"this cell changed the book's source tree: {listing}",
                                 cell=item.label or f"#{item.index + 1}", hint=HINT))
        elif isinstance(item, InlineExpr):
            found.append(warning("source-changed", shown, item.line, f"inline expression `{item.expr}` changed the "
                                 f"book's source tree: {listing}", col=item.col, hint=HINT))
        else:
            found.append(warning("source-changed", shown, 1, f"running the chapter changed the book's source tree: {listing}",
                                 hint=HINT))
    return found


def tree_snapshot(root: Path, allowed: tuple[Path, ...]) -> dict[Path, tuple[int, int]]:
    """Every file of the source tree with (mtime, size), for a before/after comparison."""
    found: dict[Path, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if d not in SKIPPED_FOLDERS and is_source(here / d, root, allowed)]
        for name in files:
            try:
                info = (here / name).lstat()
            except OSError:
                continue
            found[here / name] = (info.st_mtime_ns, info.st_size)
    return found


class TreeWatch:
    """Before/after snapshots of the source tree around each step of another process (a kernel)."""

    def __init__(self, root: Path, allowed: tuple[Path, ...]) -> None:
        self.root, self.allowed = root, allowed
        self.last = tree_snapshot(root, allowed)
        self.changes: list[tuple[Cell | InlineExpr | None, str, Path]] = []

    def after(self, item: Cell | InlineExpr | None) -> None:
        """Attribute what changed since the previous step to ``item``."""
        now = tree_snapshot(self.root, self.allowed)
        self.changes += [(item, action, path) for action, path in snapshot_changes(self.last, now)]
        self.last = now


def snapshot_changes(before: dict[Path, tuple[int, int]], after: dict[Path, tuple[int, int]]) -> list[tuple[str, Path]]:
    """(action, path) for each file written, created or removed between two snapshots."""
    changed = [("wrote", path) for path, stamp in after.items() if path in before and before[path] != stamp]
    changed += [("created", path) for path in after if path not in before]
    changed += [("removed", path) for path in before if path not in after]
    return sorted(changed, key=lambda item: item[1])
