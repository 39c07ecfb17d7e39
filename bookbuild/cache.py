"""A content-addressed cache: one folder, one file per entry, safe to delete at any time.

Each stage (execution, Pandoc's AST, Pandoc's HTML, …) stores its results
under a key that hashes exactly what determines them. An entry carries a
checksum of its payload: a truncated or garbled entry (a crash mid-write on a
filesystem without atomic rename, a disk error, a curious editor) is detected,
deleted and rebuilt, never trusted. Writes are atomic, so concurrent builds and
interrupted builds leave either a whole entry or none.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

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
    """Entries under ``root/<stage>/<key[:2]>/<key>``; ``stats`` counts hits, misses and damage."""

    root: Path
    stats: Counter[str] = field(default_factory=Counter)

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
            self.stats[f"{stage}.damaged"] += 1
            path.unlink(missing_ok=True)
            return None
        self.stats[f"{stage}.hit"] += 1
        return payload

    def put(self, stage: str, key: str, payload: bytes) -> None:
        """Store ``payload`` atomically with its checksum."""
        checksum = hashlib.sha256(payload).hexdigest().encode("ascii")
        write_atomic(self.path(stage, key), MAGIC + checksum + b"\n" + payload)

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
