"""`make bench`'s PDF rows for a generated N-chapter book beside the 1-chapter fixture (issue 15).

Measured on both books in the same run: the cold PDF (empty cache), the PDF
rebuild after one sentence is edited in one chapter, and ``CHAPTER=<that
chapter>`` after such an edit (the first of them, after whole-book builds,
printed apart). Wall and CPU time (of the build and every process it starts);
the ratio is the book's over the fixture's (CPU). The issue's targets are wall
times of the 20-chapter book on a quiet 2-core machine: cold at most half of
472 s, an edit at most 60 s, ``CHAPTER=`` at most 30 s.

    python scripts/bench.py --only-pdf --pdf-chapters 20   (long: the cold 20-chapter PDF alone takes minutes)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import measured
from bench_book import Subject, Timing, big_copy, fixture_copy

#: The issue's targets (wall seconds, 20-chapter book): (row, the book's measurement, the fixture's, target).
ROWS = (
    ("PDF, cold (empty cache)", "cold", "cold", 472 / 2),
    ("PDF, one sentence edited in one chapter", "edit", "edit", 60.0),
    ("PDF, CHAPTER= that chapter after an edit", "chapter", "edit", 30.0),
    ("  the first of them (a new working folder)", "chapter-first", "edit", 30.0),
)


def pdf_command(subject: Subject, *names: str, cache: str = "pdf-cache") -> list[str]:
    return [sys.executable, "-m", "bookbuild", "pdf", "--project", str(subject.root),
            "--output-dir", str(subject.scratch / f"pdf-{cache}"), "--cache-dir", str(subject.scratch / cache), *names]


def runs_of(command: list[str], runs: int, before=lambda n: None, start: int = 0) -> Timing:
    timing = Timing([], [])
    for n in range(start, start + runs):
        before(n)
        wall, cpu, _, tail = measured(command, timeout=7200)
        if tail.startswith("exit status") and not tail.startswith("exit status 1:"):
            sys.exit(f"benchmark command failed: {' '.join(command)}\n{tail}")
        timing.wall.append(wall)
        timing.cpu.append(cpu)
    return timing


def pdf_rows(subject: Subject, runs: int, chapter: bool = True) -> tuple[dict[str, Timing], int]:
    """The cold build (one run), then edits rebuilt whole and (``chapter``) as ``CHAPTER=``; and the page count."""
    rows = {"cold": runs_of(pdf_command(subject), 1)}
    pdf = next((subject.scratch / "pdf-pdf-cache").glob("*.pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next((line.split()[1] for line in info.splitlines() if line.startswith("Pages:")), "0"))
    rows["edit"] = runs_of(pdf_command(subject), runs, subject.edit, start=100)
    if chapter:
        # The first one-chapter build after whole-book builds (its working folder is new), then the next ones.
        rows["chapter-first"] = runs_of(pdf_command(subject, subject.chapter), 1, subject.edit, start=200)
        rows["chapter"] = runs_of(pdf_command(subject, subject.chapter), runs, subject.edit, start=300)
    return rows, pages


def bench_pdf_book(runs: int, chapters: int) -> None:
    """Print each row: the N-chapter book's time, the fixture's, their CPU ratio, and the issue's wall target."""
    print(f"\nmake pdf on a generated {chapters}-chapter book beside the fixture alone; medians of {runs} runs "
          "(the cold builds: one run each)")
    with tempfile.TemporaryDirectory(prefix="bookbuild-bench-pdf-book-") as scratch:
        root = Path(scratch)
        for folder in ("fixture", "big"):
            (root / folder).mkdir()
        fixture, fixture_pages = pdf_rows(fixture_copy(root / "fixture"), runs, chapter=False)
        big, big_pages = pdf_rows(big_copy(root / "big", chapters), runs)
        print(f"  pages: {big_pages} ({chapters} chapters), {fixture_pages} (fixture)")
        for name, mine, theirs, target in ROWS:
            ratio = statistics.median(big[mine].cpu) / statistics.median(fixture[theirs].cpu)
            wall = statistics.median(big[mine].wall)
            met = "met" if wall <= target else "NOT met"
            scope = "" if chapters == 20 else f", for 20 chapters; this is {chapters}"
            print(f"  {name:<44} {big[mine].text}   fixture {fixture[theirs].text}   ratio {ratio:4.2f}x   "
                  f"(target <= {target:g} s wall{scope}: {met})")
