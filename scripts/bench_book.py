"""`make bench`'s rows for a generated N-chapter book beside the 1-chapter fixture (issue 15).

Each row is measured on both books in the same run: ``check``, the HTML
rebuild with nothing changed, after one sentence is edited in one chapter, and
``CHAPTER=<that chapter>`` after such an edit; then the cold HTML build against
N times the fixture's, the Jupyter engine's ``check``, and (``--bigger``) a
larger book against the N-chapter one. Both wall and CPU time (of the
build and every process it starts) are printed, medians of several runs; the
ratio is the book's over the fixture's, CPU time (the steadier figure when
others share the machine), against the issue's target.
"""

from __future__ import annotations

import os
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

    def html(self, *names: str, cache: str = "cache") -> list[str]:
        return [sys.executable, "-m", "bookbuild", "html", "--project", str(self.root),
                "--output-dir", str(self.scratch / f"out-{cache}"), "--cache-dir", str(self.scratch / cache), *names]

    def check(self, engine: str = "inprocess") -> list[str]:
        return [sys.executable, "-m", "bookbuild", "check", "--project", str(self.root), "--engine", engine,
                "--cache-dir", str(self.scratch / "check-cache")]

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


def cold_rows(subject: Subject, runs: int) -> Timing:
    """Cold HTML builds: each into an empty cache but for the TikZ figures of a first build (the
    issue's target leaves TikZ out: it is compiled once per figure, whatever the book's size)."""
    runs_of(lambda n: subject.html(cache="primed"), 1)

    def fresh(n: int) -> None:
        shutil.copytree(subject.scratch / "primed" / "tikz", subject.scratch / f"cold-{n}" / "tikz")
    return runs_of(lambda n: subject.html(cache=f"cold-{n}"), runs, fresh)


def check_rows(subject: Subject, runs: int, jupyter: bool) -> dict[str, Timing]:
    """``check`` with the in-process engine (and, for the baseline, the Jupyter one: fewer runs)."""
    rows = {"check": runs_of(lambda n: subject.check(), runs)}
    if jupyter:
        rows["check-jupyter"] = runs_of(lambda n: subject.check("jupyter"), max(1, runs // 3))
    return rows


#: row name, the book's measurement, the fixture's it is compared with, the target ratio.
ROWS = (
    ("check", "check", "check", 2.5),
    ("HTML, nothing changed", "no-change", "no-change", 1.5),
    ("HTML, one sentence edited in one chapter", "edit", "edit", 1.5),
    ("HTML, CHAPTER= that chapter after an edit", "chapter", "edit", 1.2),
    ("  the first of them (after whole-book builds)", "chapter-first", "edit", 1.2),
)


def measure_book(subject: Subject, runs: int, *, cold: bool, jupyter: bool) -> dict[str, Timing]:
    """Every row's measurement of one book."""
    rows = {**check_rows(subject, runs, jupyter), **rebuild_rows(subject, runs)}
    if cold:
        rows["cold"] = cold_rows(subject, max(1, runs // 3))
    return rows


def _ratio_line(name: str, mine: Timing, theirs: Timing, target: float, label: str = "fixture") -> str:
    ratio = statistics.median(mine.cpu) / statistics.median(theirs.cpu)
    met = "met" if ratio <= target else "NOT met"
    return f"  {name:<44} {mine.text}   {label} {theirs.text}   ratio {ratio:4.2f}x (target <= {target:g}x, {met})"


def bench_book(runs: int, chapters: int, bigger: int = 0) -> None:
    """Print the rows: the N-chapter book's time, the fixture's, their ratio (CPU) and the target;
    then the cold build, the Jupyter baseline and, with ``bigger``, a larger book against the N-chapter one."""
    load = f"{os.getloadavg()[0]:.1f}"
    print(f"\nmake check / html on a generated {chapters}-chapter book (copies of the fixture chapter) "
          f"beside the fixture alone; medians of {runs} runs ({os.cpu_count()} cores, load {load} at the start)")
    with tempfile.TemporaryDirectory(prefix="bookbuild-bench-book-") as scratch:
        root = Path(scratch)
        for folder in ("fixture", "big", "bigger"):
            (root / folder).mkdir()
        fixture = measure_book(fixture_copy(root / "fixture"), runs, cold=True, jupyter=False)
        big = measure_book(big_copy(root / "big", chapters), runs, cold=True, jupyter=True)
        for name, mine, theirs, target in ROWS:
            print(_ratio_line(name, big[mine], fixture[theirs], target))
        # The cold target: at most 0.6 x (N x the fixture's cold build without its TikZ), on 2 cores.
        serial = Timing([w * chapters for w in fixture["cold"].wall], [c * chapters for c in fixture["cold"].cpu])
        wall = statistics.median(big["cold"].wall) / statistics.median(serial.wall)
        print(f"  {'HTML, cold (TikZ figures cached)':<44} {big['cold'].text}   {chapters} x fixture {serial.text}   "
              f"wall ratio {wall:4.2f}x (target <= 0.6x, {'met' if wall <= 0.6 else 'NOT met'})")
        speedup = statistics.median(big["check-jupyter"].cpu) / statistics.median(big["check"].cpu)
        print(f"  {'check, Jupyter engine (baseline)':<44} {big['check-jupyter'].text}   "
              f"in-process {speedup:4.1f}x faster (target >= 6x, {'met' if speedup >= 6 else 'NOT met'})")
        if bigger:
            larger = measure_book(big_copy(root / "bigger", bigger), runs, cold=False, jupyter=False)
            print(f"\n  a {bigger}-chapter book beside the {chapters}-chapter one")
            for name, row in (("check", "check"), ("HTML, nothing changed", "no-change"),
                              ("HTML, one sentence edited in one chapter", "edit")):
                print(_ratio_line(name, larger[row], big[row], 2.0, f"{chapters} ch."))

