"""A content-addressed cache: one folder, one file per entry, safe to delete at any time.

Each stage (execution, Pandoc's AST, Pandoc's HTML, …) stores its results
under a key that hashes exactly what determines them. An entry carries a
checksum of its payload: a truncated or garbled entry (a crash mid-write on a
filesystem without atomic rename, a disk error, a curious editor) is detected,
deleted and rebuilt, never trusted. Writes are atomic, so concurrent builds and
interrupted builds leave either a whole entry or none. Entries are data (text,
JSON, SVG, PDF bytes), never pickles or other code.

A cache that cannot be written (a read-only or full disk) does not stop a
build: one warning names the folder and the reason, and the build goes on
without storing. The default folder (:func:`default_cache_dir`) is private to
the user and the project.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, TextIO

from .files import write_atomic

MAGIC = b"BOOKBUILD-CACHE 1\n"


def digest(*parts: str | bytes) -> str:
    """A stable hex key for an ordered sequence of strings/bytes."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


def file_digest(path: Path) -> str:
    """Hash of a file's bytes ('missing' for a file that is not there)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


@dataclass
class Cache:
    """Entries under ``root/<stage>/<key[:2]>/<key>``; ``stats`` counts hits, misses and damage.

    ``log`` receives the one warning when the folder cannot be written (stderr by default).
    """

    root: Path
    stats: Counter[str] = field(default_factory=Counter)
    log: TextIO | None = None
    unwritable: str | None = None  # why the folder cannot be written, once a write failed
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / key[:2] / key

    def get(self, stage: str, key: str) -> bytes | None:
        """The payload stored under ``key``, or None (missing or damaged: then it is removed)."""
        path = self.path(stage, key)
        try:
            data = path.read_bytes()
        except OSError:
            self.stats[f"{stage}.miss"] += 1
            return None
        header_end = len(MAGIC) + 65
        payload = data[header_end:]
        if (not data.startswith(MAGIC) or len(data) < header_end
                or data[len(MAGIC):header_end - 1].decode("ascii", "replace") != hashlib.sha256(payload).hexdigest()):
            self.discard(stage, key)
            return None
        self.stats[f"{stage}.hit"] += 1
        return payload

    def discard(self, stage: str, key: str, *, counted_hit: bool = False) -> None:
        """Count an entry as damaged and remove it (``counted_hit``: :meth:`get` had counted it a hit)."""
        if counted_hit:
            self.stats[f"{stage}.hit"] -= 1
        self.stats[f"{stage}.damaged"] += 1
        with contextlib.suppress(OSError):  # a read-only cache keeps it; it is never trusted anyway
            self.path(stage, key).unlink(missing_ok=True)

    def put(self, stage: str, key: str, payload: bytes) -> None:
        """Store ``payload`` atomically with its checksum (nothing, after a warning, if the folder cannot be written)."""
        if self.unwritable is not None:
            return
        checksum = hashlib.sha256(payload).hexdigest().encode("ascii")
        try:
            write_atomic(self.path(stage, key), MAGIC + checksum + b"\n" + payload)
        except OSError as exc:
            self.cannot_write(exc)

    def cannot_write(self, exc: OSError) -> None:
        """Record that the folder cannot be written: warn once, store nothing more."""
        with self._lock:
            if self.unwritable is not None:
                return
            self.unwritable = exc.strerror or str(exc)
        (self.log or sys.stderr).write(
            f"warning: the cache folder {self.root} cannot be written ({self.unwritable}): "
            "the build goes on without storing results\n")

    def folder(self, *parts: str) -> Path:
        """A writable working folder ``root/parts…``, or (after the warning) a private temporary one."""
        if self.unwritable is None:
            target = self.root.joinpath(*parts)
            try:
                target.mkdir(parents=True, exist_ok=True)
                probe = tempfile.NamedTemporaryFile(dir=target, prefix=".probe-")
                probe.close()
                return target
            except OSError as exc:
                self.cannot_write(exc)
        return temporary_folder("bookbuild-work-")

    @contextlib.contextmanager
    def uncounted(self) -> Iterator[None]:
        """Lookups inside are left out of :attr:`stats` (what the summary line reports the build used)."""
        saved = Counter(self.stats)
        try:
            yield
        finally:
            self.stats.clear()
            self.stats.update(saved)

    def reject(self, stage: str) -> None:
        """Count an entry that was read but found out of date (it will be recomputed)."""
        self.stats[f"{stage}.hit"] -= 1
        self.stats[f"{stage}.stale"] += 1

    def summary(self) -> str:
        """``execute: 1 reused, 1 run; …`` for the build's closing lines."""
        stages = sorted({name.split(".")[0] for name in self.stats})
        parts = []
        for stage in stages:
            hit, miss, bad, stale = (self.stats[f"{stage}.{k}"] for k in ("hit", "miss", "damaged", "stale"))
            text = f"{stage}: {hit} reused, {miss + bad + stale} computed"
            if bad:
                text += f" ({bad} damaged entr{'y' if bad == 1 else 'ies'} rebuilt)"
            parts.append(text)
        return "; ".join(parts)


# --------------------------------------------------------------------------- files verified by a digest

def read_verified(path: Path) -> bytes | None:
    """The bytes of a cache file written by :func:`write_verified`, or None when it is missing or
    does not match its stored digest (``<path>.sha256``): a damaged file is never used."""
    try:
        data = path.read_bytes()
        stored = _digest_file(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return data if hashlib.sha256(data).hexdigest() == stored else None


def write_verified(path: Path, data: bytes) -> None:
    """Write ``data`` and its digest atomically (a reader seeing the old digest treats the file as damaged)."""
    write_atomic(path, data)
    write_atomic(_digest_file(path), hashlib.sha256(data).hexdigest() + "\n")


def remove_verified(path: Path) -> None:
    """Remove a verified file and its digest (a no-op where they are missing or cannot be removed)."""
    for target in (path, _digest_file(path)):
        with contextlib.suppress(OSError):
            target.unlink()


def _digest_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


# --------------------------------------------------------------------------- where the cache lives

def user_cache_home() -> Path:
    """``$XDG_CACHE_HOME`` when set to an absolute path, else ``~/.cache`` (the XDG base directory rule)."""
    configured = os.environ.get("XDG_CACHE_HOME", "")
    return Path(configured) if os.path.isabs(configured) else Path.home() / ".cache"


def default_cache_dir(project_root: Path, variant: str = "") -> Path:
    """The project's default cache folder: ``<user cache>/bookbuild/<digest of the project's absolute path>``.

    Private to the user (under their cache directory) and to the project (two
    books never share it, wherever their outputs go). A ``variant`` (e.g. a
    profile) gets a folder of its own beside it, ``<digest>~<variant>``, which
    ``clean`` removes with the project's.
    """
    name = digest(str(Path(project_root).resolve()))[:24]
    if variant:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", variant)[:40]
        name += f"~{slug}" + ("" if slug == variant else f"-{digest(variant)[:8]}")
    return user_cache_home() / "bookbuild" / name


def project_cache_dirs(project_root: Path) -> list[Path]:
    """Every default cache folder of the project (all variants), for ``clean``."""
    base = default_cache_dir(project_root)
    return [base, *sorted(base.parent.glob(f"{base.name}~*"))] if base.parent.is_dir() else [base]


def not_private(folder: Path) -> str | None:
    """Why ``folder`` is not safe as a private cache (owned by another user, group/world-writable), or None."""
    try:
        info = folder.lstat()
    except OSError as exc:
        return f"it cannot be inspected ({exc.strerror or exc})"
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"it is owned by another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"others can write it (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def open_default_cache(project_root: Path, log: TextIO, variant: str = "") -> Path:
    """The project's default cache folder, created with mode 0700; when it is not private (or cannot be
    made), a warning and a fresh private temporary folder, so the build goes on without a cache."""
    folder = default_cache_dir(project_root, variant)
    reason, where = None, folder
    try:
        for level in (folder.parent, folder):  # bookbuild/ too: its owner could swap the project's folder
            level.mkdir(mode=0o700, parents=True, exist_ok=True)
            reason, where = not_private(level), level
            if reason:
                break
    except OSError as exc:
        reason = exc.strerror or str(exc)
    if reason is None:
        return folder
    log.write(f"warning: not using the cache folder {where}: {reason}; building without a cache "
              "(fix the folder, or choose another with CACHE= / --cache-dir)\n")
    return temporary_folder("bookbuild-cache-")


def temporary_folder(prefix: str) -> Path:
    """A private (0700) temporary folder, removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
