"""`make bench`'s rows for a generated N-chapter book beside the 1-chapter fixture (issue 15).

Each row is measured on both books in the same run: the HTML rebuild with
nothing changed, after one sentence is edited in one chapter, and
``CHAPTER=<that chapter>`` after such an edit. Both wall and CPU time (of the
build and every process it starts) are printed, medians of several runs; the
ratio is the book's over the fixture's, CPU time (the steadier figure when
others share the machine), against the issue's target.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bench import FIXTURE, make_big_book, measured

SENTENCE = "The defining insight"
EDITED = "chapter07.qmd"


@dataclass
class Subject:
    """One book under measurement: its folder, the chapter edited, and where it builds."""

    root: Path
    chapter: str
    scratch: Path

    def html(self, *names: str) -> list[str]:
        return [sys.executable, "-m", "bookbuild", "html", "--project", str(self.root),
                "--output-dir", str(self.scratch / "out"), "--cache-dir", str(self.scratch / "cache"), *names]

    def edit(self, n: int) -> None:
        """Edit one sentence of the chapter (a different text each time, so every edit re-renders)."""
        path = self.root / self.chapter
        text = path.read_text(encoding="utf-8")
        start = text.index(SENTENCE)
        end = text.index(" is", start)
        path.write_text(text[:start] + f"{SENTENCE} ({n})" + text[end:], encoding="utf-8")


def fixture_copy(scratch: Path) -> Subject:
    book = scratch / "book"
    shutil.copytree(FIXTURE, book)
    for path in [book, *book.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    return Subject(book, "ml_systems.qmd", scratch)


def big_copy(scratch: Path, chapters: int) -> Subject:
    return Subject(make_big_book(scratch / "book", chapters), EDITED if chapters >= 7 else "chapter01.qmd", scratch)


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]

    @property
    def text(self) -> str:
        return f"{statistics.median(self.cpu):6.2f} s CPU {statistics.median(self.wall):6.2f} s wall"


def runs_of(command: Callable[[int], list[str]], runs: int, before: Callable[[int], None] = lambda n: None) -> Timing:
    """``runs`` runs of ``command(n)``, ``before(n)`` before each (not timed)."""
    timing = Timing([], [])
    for n in range(runs):
        before(n)
        wall, cpu, _, tail = measured(command(n))
        if tail.startswith("exit status") and not tail.startswith("exit status 1:"):
            sys.exit(f"benchmark command failed: {' '.join(command(n))}\n{tail}")
        timing.wall.append(wall)
        timing.cpu.append(cpu)
    return timing


def rebuild_rows(subject: Subject, runs: int) -> dict[str, Timing]:
    """The three rebuilds of one book, after one build that fills its cache (not timed)."""
    runs_of(lambda n: subject.html(), 1)
    edits = iter(range(1000))
    rows = {
        "no-change": runs_of(lambda n: subject.html(), runs),
        "edit": runs_of(lambda n: subject.html(), runs, lambda n: subject.edit(next(edits))),
        "chapter": runs_of(lambda n: subject.html(subject.chapter), runs, lambda n: subject.edit(next(edits))),
    }
    # The first one-chapter build after whole-book builds: what an author who switches to CHAPTER= waits.
    rows["chapter-first"] = Timing(rows["chapter"].wall[:1], rows["chapter"].cpu[:1])
    return rows


#: row name, the book's measurement, the fixture's it is compared with, the target ratio.
ROWS = (
    ("HTML, nothing changed", "no-change", "no-change", 1.5),
    ("HTML, one sentence edited in one chapter", "edit", "edit", 1.5),
    ("HTML, CHAPTER= that chapter after an edit", "chapter", "edit", 1.2),
    ("  the first of them (after whole-book builds)", "chapter-first", "edit", 1.2),
)


def bench_book(runs: int, chapters: int) -> None:
    """Print the rows: the N-chapter book's time, the fixture's, their ratio (CPU) and the target."""
    print(f"\nmake html on a generated {chapters}-chapter book (copies of the fixture chapter) "
          f"beside the fixture alone; medians of {runs} runs")
    with tempfile.TemporaryDirectory(prefix="bookbuild-bench-book-") as scratch:
        root = Path(scratch)
        (root / "fixture").mkdir()
        (root / "big").mkdir()
        fixture = rebuild_rows(fixture_copy(root / "fixture"), runs)
        big = rebuild_rows(big_copy(root / "big", chapters), runs)
    for name, mine, theirs, target in ROWS:
        ratio = statistics.median(big[mine].cpu) / statistics.median(fixture[theirs].cpu)
        met = "met" if ratio <= target else "NOT met"
        print(f"  {name:<44} {big[mine].text}   fixture {fixture[theirs].text}   "
              f"ratio {ratio:4.2f}x (target <= {target}x, {met})")

