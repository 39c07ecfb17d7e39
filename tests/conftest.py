"""Shared test helpers: small books of our own, and writable copies of the shared fixture."""

from __future__ import annotations

import os
import shutil
import stat
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE = (REPO / ".." / "shared" / "fixtures").resolve()
FIXTURE_CHAPTER = "ml_systems.qmd"


def write_book(root: Path, chapters: dict[str, str], extra_config: str = "") -> Path:
    """Write a minimal Quarto book with the given chapters (name -> text, dedented)."""
    root.mkdir(parents=True, exist_ok=True)
    listing = "\n".join(f"    - {name}" for name in chapters)
    (root / "_quarto.yml").write_text(
        f"project:\n  type: book\nbook:\n  title: Test book\n  chapters:\n{listing}\n{extra_config}", encoding="utf-8"
    )
    for name, text in chapters.items():
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def book_factory(tmp_path: Path):
    """Call with {name: text} to get a book folder under tmp_path."""
    counter = iter(range(1000))

    def make(chapters: dict[str, str], extra_config: str = "") -> Path:
        return write_book(tmp_path / f"book{next(counter)}", chapters, extra_config)

    return make


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Path:
    """A writable copy of ../shared/fixtures (the original is read-only)."""
    target = tmp_path / "fixture"
    shutil.copytree(FIXTURE, target)
    for folder, dirs, files in os.walk(target):
        for name in dirs + files:
            path = Path(folder) / name
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    target.chmod(target.stat().st_mode | stat.S_IWUSR)
    return target


def replace_once(path: Path, old: str, new: str) -> int:
    """Replace the single occurrence of ``old`` in a file; return its 1-based line."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"expected exactly one {old!r} in {path.name}, found {text.count(old)}"
    offset = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text.count("\n", 0, offset) + 1
