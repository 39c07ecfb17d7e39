"""Shared test helpers: small books of our own, and writable copies of the shared fixture."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# BOOKBUILD_FIXTURES points elsewhere (tests of the suite itself use it to play a clone
# outside the ../shared layout).
FIXTURE = Path(os.environ.get("BOOKBUILD_FIXTURES") or REPO / ".." / "shared" / "fixtures").resolve()
FIXTURE_CHAPTER = "ml_systems.qmd"
# What a test that needs the shared fixture names: these constants or these fixtures.
_FIXTURE_NAMES = frozenset({"FIXTURE", "FIXTURE_CHAPTER", "FIXTURE_QMD", "FIXTURE_PDF"})
_FIXTURE_FIXTURES = frozenset({"fixture_copy", "fixture_site"})


def _reads_fixture(function, seen: set[int]) -> bool:
    """Whether a function refers to the fixture's names, itself or through the test
    module's own helper functions it calls (nested functions included)."""
    if id(function) in seen or not hasattr(function, "__code__"):
        return False
    seen.add(id(function))
    codes, names = [function.__code__], set()
    while codes:
        code = codes.pop()
        names |= set(code.co_names)
        codes.extend(c for c in code.co_consts if hasattr(c, "co_names"))
    if _FIXTURE_NAMES & names:
        return True
    helpers = (function.__globals__.get(name) for name in names)
    return any(_reads_fixture(h, seen) for h in helpers if callable(h) and getattr(h, "__module__", None) == function.__module__)


def needs_fixture(item: pytest.Item) -> bool:
    """Whether a collected test reads ../shared/fixtures: by name, through a helper of its
    module, or through a pytest fixture that does."""
    names = set(getattr(item, "fixturenames", ()))
    if item.get_closest_marker("needs_fixture") or _FIXTURE_FIXTURES & names:
        return True
    seen: set[int] = set()
    functions = [getattr(item, "function", None)]
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    functions += [d.func for name in names for d in definitions.get(name, ())]
    return any(_reads_fixture(f, seen) for f in functions if f is not None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without ../shared/fixtures (a clone outside this layout) the tests that read it are
    skipped with the reason; under CI=true its absence fails the run instead."""
    if (FIXTURE / FIXTURE_CHAPTER).is_file():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"the shared fixture is missing: {FIXTURE / FIXTURE_CHAPTER} (CI needs ../shared beside the clone)")
    skip = pytest.mark.skip(reason=f"needs the shared fixture, absent here: {FIXTURE}")
    for item in items:
        if needs_fixture(item):
            item.add_marker(skip)


def pytest_configure(config: pytest.Config) -> None:
    """Hermetic caches: builds without --cache-dir (and the builds they start) use a session folder,
    never the user's ~/.cache."""
    config.addinivalue_line("markers", "needs_fixture: the test reads the shared acceptance fixture")
    folder = tempfile.mkdtemp(prefix="bookbuild-test-cache-")
    config._bookbuild_cache_home = folder  # type: ignore[attr-defined]
    os.environ["XDG_CACHE_HOME"] = folder
    # matplotlib writes its font list into that folder when a cell first imports it. A build whose cells
    # read a file made during the build leaves no build record (bookbuild.buildrecord), so which test
    # built first would decide whether a later one replays: make the list now, as a used machine has it.
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True, timeout=120)


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


def tiny_png(width: int = 16, height: int = 12) -> bytes:
    """A small valid PNG (a colour gradient) for books that need a picture."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, 128))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


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


def forget_build_records(cache: Path) -> None:
    """Make the next build a real one although nothing changed (it would replay the last one's report:
    see bookbuild.buildrecord), so a test can watch what the stages do with their cache entries."""
    import shutil

    from bookbuild.buildrecord import STAGE

    shutil.rmtree(cache / STAGE, ignore_errors=True)


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
