"""Chapter registry and the ledger of values each chapter computes.

A chapter's first cell calls :func:`start_chapter`; later code (and a later
provenance feature) records values into the current chapter's :class:`Ledger`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator, Optional

__all__ = [
    "ChapterRecord",
    "Ledger",
    "LedgerEntry",
    "chapters",
    "current_chapter",
    "record",
    "reset",
    "start_chapter",
]

_CHAPTER_ID = re.compile(r"^(?:(?P<volume>[A-Za-z0-9][\w.-]*):)?(?P<slug>[A-Za-z0-9][\w.-]*)$")


@dataclass
class LedgerEntry:
    """One computed value and where it came from.

    Attributes:
        name: the variable name in the chapter (e.g. ``"min_latency_str"``).
        value: the value itself (string, number or Quantity).
        sources: names of the constants it was computed from.
        note: free text (formula, assumption).
    """

    name: str
    value: Any
    sources: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Ledger:
    """Ordered record of a chapter's computed values, keyed by name."""

    entries: dict[str, LedgerEntry] = field(default_factory=dict)

    def record(self, name: str, value: Any, sources: tuple[str, ...] = (), note: str = "") -> LedgerEntry:
        """Record (or replace) *name*; returns the entry."""
        if not isinstance(name, str) or not name:
            raise ValueError("ledger entries need a non-empty name")
        entry = LedgerEntry(name, value, tuple(sources), note)
        self.entries[name] = entry
        return entry

    def __getitem__(self, name: str) -> LedgerEntry:
        return self.entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self) -> Iterator[LedgerEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)


@dataclass
class ChapterRecord:
    """A registered chapter.

    Attributes:
        chapter_id: as given, e.g. ``"vol1:ml_systems"``.
        volume: the part before ``:`` (``"vol1"``), or None.
        slug: the part after ``:`` (``"ml_systems"``).
        ledger: values the chapter computed.
        started_at: when :func:`start_chapter` was called (UTC).
    """

    chapter_id: str
    volume: Optional[str]
    slug: str
    ledger: Ledger = field(default_factory=Ledger)
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def _ipython_display_(self) -> None:
        """Bookkeeping, not content: a cell that ends with ``start_chapter(...)`` shows nothing
        (in a Jupyter kernel as in the in-process engine), so no timestamp lands in the page."""


_chapters: dict[str, ChapterRecord] = {}
_current: Optional[ChapterRecord] = None


def start_chapter(chapter_id: str) -> ChapterRecord:
    """Register *chapter_id* (``"volume:slug"`` or ``"slug"``) and open a fresh ledger.

    Calling it again for the same id (re-running a chapter in one kernel)
    replaces the earlier record.  The new record becomes :func:`current_chapter`.
    """
    global _current
    if not isinstance(chapter_id, str):
        raise TypeError(f"chapter id must be a str, got {type(chapter_id).__name__}")
    match = _CHAPTER_ID.match(chapter_id)
    if not match:
        raise ValueError(f"invalid chapter id {chapter_id!r}; expected 'volume:slug' or 'slug'")
    chapter = ChapterRecord(chapter_id, match.group("volume"), match.group("slug"))
    _chapters[chapter_id] = chapter
    _current = chapter
    return chapter


def current_chapter() -> ChapterRecord:
    """The chapter most recently started; RuntimeError if none was."""
    if _current is None:
        raise RuntimeError("no chapter started: call mlsys.registry.start_chapter(...) first")
    return _current


def record(name: str, value: Any, sources: tuple[str, ...] = (), note: str = "") -> LedgerEntry:
    """Record a value in the current chapter's ledger."""
    return current_chapter().ledger.record(name, value, sources, note)


def chapters() -> dict[str, ChapterRecord]:
    """All chapters started in this process, by id."""
    return dict(_chapters)


def reset() -> None:
    """Forget every chapter (for tests)."""
    global _current
    _chapters.clear()
    _current = None
