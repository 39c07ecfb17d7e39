"""Shared test helpers: small books of our own, and writable copies of the shared fixture."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE = (REPO / ".." / "shared" / "fixtures").resolve()
FIXTURE_CHAPTER = "ml_systems.qmd"


def pytest_configure(config: pytest.Config) -> None:
    """Hermetic caches: builds without --cache-dir (and the builds they start) use a session folder,
    never the user's ~/.cache."""
    folder = tempfile.mkdtemp(prefix="bookbuild-test-cache-")
    config._bookbuild_cache_home = folder  # type: ignore[attr-defined]
    os.environ["XDG_CACHE_HOME"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = getattr(config, "_bookbuild_cache_home", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


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


def build_site(project: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    """Run ``bookbuild html`` in-process; return (status, stdout, stderr)."""
    import io

    from bookbuild.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(["html", "--project", str(project), "--output-dir", str(out), *extra], out=stdout, err=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def snapshot(folder: Path) -> list[tuple[str, int]]:
    """Every path below a folder with its mtime: equal snapshots mean nothing was written."""
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory) -> tuple[Path, int, str]:
    """The fixture rendered once for the whole session (TikZ included): (site, status, stdout)."""
    out = tmp_path_factory.mktemp("fixture-html") / "site"
    before = snapshot(FIXTURE)
    status, stdout, _ = build_site(FIXTURE, out)
    assert snapshot(FIXTURE) == before, "the build wrote into the fixture folder"
    return out, status, stdout
