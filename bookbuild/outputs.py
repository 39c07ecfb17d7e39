"""An output folder a build writes into: every file contained, written atomically, and recorded.

The build records what it wrote in a manifest in the folder
(``.bookbuild-manifest.json``: relative path -> digest of the bytes written).
A whole-book build removes the files an earlier build wrote that it did not
(the page of a chapter removed from ``_quarto.yml``, its figures and images),
and only those whose bytes are still the ones it wrote: a file the build did
not write, or one changed since, is never deleted.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from .cache import file_digest
from .files import copy_atomic, write_atomic
from .paths import contained, resolved

MANIFEST = ".bookbuild-manifest.json"


class OutputFolder:
    """Writes into one folder; names that would leave it raise :class:`bookbuild.paths.OutsideError`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: dict[str, str] = {}
        self._lock = threading.Lock()

    def path(self, relative: str) -> Path:
        """Where ``relative`` is in the folder (checked to stay inside it)."""
        return contained(self.root, relative)

    def write(self, relative: str, data: str | bytes) -> Path:
        """Write ``data`` to ``relative`` atomically and record it."""
        target = self.path(relative)
        write_atomic(target, data)
        self._record(target)
        return target

    def copy(self, source: Path, relative: str) -> Path:
        """Copy ``source`` to ``relative`` atomically and record it."""
        target = self.path(relative)
        copy_atomic(source, target)
        self._record(target)
        return target

    def keep(self, relative: str) -> None:
        """Keep an earlier build's file although this build did not write it (a page that failed)."""
        with self._lock:
            self.written.setdefault(relative, "")

    def finish(self, *, prune: bool) -> list[str]:
        """Write the manifest; with ``prune``, first remove what earlier builds wrote and this one did not.

        Returns the removed files' relative paths. A partial build (one chapter) does
        not prune: it adds what it wrote to the earlier manifest.
        """
        earlier = read_manifest(self.root)
        with self._lock:
            kept = {path: (self.written[path] or earlier.get(path, "")) for path in self.written}
        removed: list[str] = []
        if prune:
            for path, recorded in sorted(earlier.items()):
                if path not in kept and _remove_if_ours(self.root, path, recorded):
                    removed.append(path)
        manifest = kept if prune else {**earlier, **kept}
        write_atomic(self.root / MANIFEST, json.dumps({"files": dict(sorted(manifest.items()))}, indent=0))
        return removed

    def _record(self, target: Path) -> None:
        relative = Path(os.path.relpath(resolved(target), resolved(self.root))).as_posix()
        digest = file_digest(target)
        with self._lock:
            self.written[relative] = digest


def read_manifest(root: Path) -> dict[str, str]:
    """What earlier builds wrote into ``root`` (empty when there is no readable manifest)."""
    try:
        files = json.loads((root / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _remove_if_ours(root: Path, relative: str, recorded: str) -> bool:
    """Delete ``root/relative`` when it is still the bytes a build wrote; then its emptied folders."""
    try:
        target = contained(root, relative)
    except ValueError:
        return False  # a manifest edited to point elsewhere: never follow it
    if not recorded or not target.is_file() or target.is_symlink() or file_digest(target) != recorded:
        return False
    target.unlink()
    folder = target.parent
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break
        folder = folder.parent
    return True
