"""A whole-book build whose inputs and outputs are all unchanged replays the last sound build's report.

Anything the build read or wrote that changes makes the next build a real one:
a chapter, a file added to the project, the book's library outside the project,
an output page. A build with errors, a damaged record, or an input changed while
the build ran leaves nothing to replay.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from conftest import build_site

from bookbuild.buildrecord import STAGE

REPLAYED = "nothing changed since the last build"

CHAPTER = """
# Rates {#sec-rates}

```{python}
from ratelib import rate
rate_str = f"{rate()} GB/s"
```

The link moves `{python} rate_str`, as @sec-rates says.
"""


def make_book(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """(project, its library outside it, output folder, cache folder)."""
    root, lib = tmp_path / "book", tmp_path / "lib"
    root.mkdir()
    lib.mkdir()
    (lib / "ratelib.py").write_text("def rate():\n    return 25\n", encoding="utf-8")
    (root / "_environment").write_text(f"PYTHONPATH={lib}\n", encoding="utf-8")
    (root / "rates.qmd").write_text(textwrap.dedent(CHAPTER).lstrip(), encoding="utf-8")
    (root / "other.qmd").write_text("# Other\n\nSee @sec-rates and @fig-missing.\n", encoding="utf-8")
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Records\n  chapters:\n    - rates.qmd\n    - other.qmd\n",
        encoding="utf-8")
    return root, lib, tmp_path / "out", tmp_path / "cache"


def build(root: Path, out: Path, cache: Path, *extra: str) -> tuple[int, str, str]:
    return build_site(root, out, "--cache-dir", str(cache), *extra)


def settle(folder: Path) -> None:
    """Wait until the filesystem's clock is past every change made so far in ``folder`` (one tick of a
    coarse clock), so that the next build starts after them, as an author's next build does."""
    latest = max(max(p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in folder.rglob("*"))
    probe = folder / ".probe"
    while True:
        probe.write_text("")
        if probe.stat().st_mtime_ns > latest:
            probe.unlink()
            return


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path, Path]:
    monkeypatch.delenv("PYTHONPATH", raising=False)
    made = make_book(tmp_path)
    settle(tmp_path)
    status, _, stderr = build(made[0], made[2], made[3])
    assert status == 0 and REPLAYED not in stderr, stderr
    return made


def page(out: Path) -> str:
    return (out / "rates.html").read_text(encoding="utf-8")


def test_an_unchanged_book_replays_its_report_and_writes_nothing(book: tuple[Path, Path, Path, Path]) -> None:
    root, _, out, cache = book
    status, first, _ = build(root, out, cache)  # the same as the fixture's build: its report is the one replayed
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    status2, second, stderr = build(root, out, cache)
    assert REPLAYED in stderr
    assert status2 == status == 0
    assert first.splitlines()[:-1] == second.splitlines()[:-1]
    assert "other.qmd:3:" in second and "@fig-missing" in second  # the warnings are shown again
    assert second.splitlines()[-1].startswith("built 2 pages into ") and second.endswith("0 errors, 1 warning\n")
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    strict, _, _ = build(root, out, cache, "--strict")  # another command: built, and its own record
    assert strict == 1


def test_a_touched_file_with_the_same_bytes_is_unchanged(book: tuple[Path, Path, Path, Path]) -> None:
    root, _, out, cache = book
    chapter = root / "rates.qmd"
    chapter.write_bytes(chapter.read_bytes())
    os.utime(chapter, ns=(1, 1))
    settle(root.parent)
    assert REPLAYED in build(root, out, cache)[2]


@pytest.mark.parametrize("change", ["chapter", "new file", "library", "output page", "output removed", "config"])
def test_a_change_makes_a_real_build(book: tuple[Path, Path, Path, Path], change: str) -> None:
    root, lib, out, cache = book
    if change == "chapter":
        (root / "rates.qmd").write_text((root / "rates.qmd").read_text().replace("The link moves", "It moves"))
    elif change == "new file":
        (root / "notes.txt").write_text("a file the record does not know\n")
    elif change == "library":
        (lib / "ratelib.py").write_text("def rate():\n    return 40\n")
    elif change == "output page":
        (out / "rates.html").write_text("tampered")
    elif change == "output removed":
        (out / "rates.html").unlink()
    else:
        config = root / "_quarto.yml"
        config.write_text(config.read_text().replace("title: Records", "title: Records, again"))
    settle(root.parent)
    status, _, stderr = build(root, out, cache)
    assert status == 0 and REPLAYED not in stderr, stderr
    shown = page(out)
    assert ("40 GB/s" if change == "library" else "25 GB/s") in shown
    assert ("It moves" in shown) == (change == "chapter")
    assert ("Records, again" in shown) == (change == "config")
    assert REPLAYED in build(root, out, cache)[2]  # and that build is the next one's record


def test_a_build_with_errors_leaves_no_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)
    root, lib, out, cache = make_book(tmp_path)
    (lib / "ratelib.py").write_text("def rate():\n    raise ValueError('no rate yet')\n")
    for _ in range(2):
        status, stdout, stderr = build(root, out, cache)
        assert status == 1 and REPLAYED not in stderr
        assert "rates.qmd:5:1: error[cell-error]: ValueError: no rate yet" in stdout


def test_a_damaged_record_is_not_trusted(book: tuple[Path, Path, Path, Path]) -> None:
    root, _, out, cache = book
    [record] = [p for p in (cache / STAGE).rglob("*") if p.is_file()]
    data = bytearray(record.read_bytes())
    data[-5] ^= 0x01
    record.write_bytes(bytes(data))
    status, _, stderr = build(root, out, cache)
    assert status == 0 and REPLAYED not in stderr
    assert REPLAYED in build(root, out, cache)[2]


def test_an_input_changed_while_the_build_ran_leaves_no_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)
    root, _, out, cache = make_book(tmp_path)
    # The cell itself changes a file of the project while the book builds (a warning, not an error).
    (root / "other.qmd").write_text("# Other\n\n```{python}\nopen('log.txt', 'a').write('ran\\n')\n```\n")
    status, stdout, _ = build(root, out, cache)
    assert status == 0 and "log.txt" in stdout
    settle(root.parent)
    status, stdout, stderr = build(root, out, cache)
    assert status == 0 and REPLAYED not in stderr and "log.txt" in stdout
    # That build reused the cell's result (the file is written once): nothing changed while it ran.
    assert (root / "log.txt").read_text() == "ran\n"
    assert REPLAYED in build(root, out, cache)[2]
