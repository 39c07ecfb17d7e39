"""A cache to trust: entries are data, verified by a digest of their whole content, private to the
user and the project; damaged, foreign, read-only or full caches never break a build or reach the site."""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

from bookbuild.cache import MAGIC, Cache, default_cache_dir
from bookbuild.cli import main
from bookbuild.diagnostics import Severity, error
from bookbuild.execute.encoding import result_from_json, result_to_json
from bookbuild.execute.result import CellOutput, CellResult, ConstantUse, ExecutionResult, Figure, InlineValue
from conftest import build_site, forget_build_records

TIKZ = r"""
```{.tikz}
\begin{tikzpicture}
\draw[thick] (0,0) -- (2,1) node[right] {cache trust};
\end{tikzpicture}
```
"""


def small_book(book_factory, word: str = "alpha", tikz: bool = False, figure: bool = False):
    chapter = textwrap.dedent(f"""
        # Chapter {word}

        ```{{python}}
        answer_str = str(6 * 7)
        ```

        The {word} answer is `{{python}} answer_str`.
        """)
    if figure:
        chapter += textwrap.dedent("""
        ```{python}
        #| label: fig-line
        #| fig-cap: A line.
        import matplotlib.pyplot as plt
        plt.plot([1, 2, 3], [3, 1, 2])
        ```
        """)
    if tikz:
        chapter += TIKZ
    return book_factory({"index.qmd": f"# Preface {word}\n\nThe {word} preface.\n", "ch.qmd": chapter})


def entries(cache: Path, stage: str) -> list[Path]:
    return sorted(p for p in (cache / stage).rglob("*") if p.is_file())


def plant(path: Path, payload: bytes) -> None:
    """Write an entry with a correct checksum, as someone who knows the format would."""
    path.write_bytes(MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload)


def cache_line(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if line.strip().startswith("cache:"))


# --------------------------------------------------------------------------- entries are data

def test_execution_result_round_trips_through_json() -> None:
    result = ExecutionResult(
        values=(InlineValue(0, "42", cells=(0,)), InlineValue(1, None), InlineValue(2, "**b**", markdown=True)),
        cells=(CellResult(0, True, stdout="hi\n", markdown=("| a |",), seconds=0.5, depends_on=(),
                          figures=(Figure(0, 1, svg="<svg/>", pdf=b"%PDF-1.5\x00\xff binary"),
                                   Figure(0, 2, png=b"\x89PNG\r\n", jpeg=b"\xff\xd8", width=320)),
                          outputs=(CellOutput("stream", "stdout", {"text/plain": "hi\n"}),
                                   CellOutput("display_data", "", {"text/plain": "<Figure>"}, figure=1),
                                   CellOutput("error", "ValueError", {"text/plain": "ValueError: x"})),
                          constants=(ConstantUse("c", "3e8", "m/s", "CODATA"),)),
               CellResult(1, False, ran=False)),
        diagnostics=(error("check-failed", "ch.qmd", 4, "no", col=2, hint="fix", cell="c1", detail="trace"),),
        seconds=1.25, opened=("/p/data.csv",))
    decoded, extra = result_from_json(result_to_json(result, positions="abc", data_files=[["/p/d", "x"]]))
    assert decoded == result
    assert decoded.diagnostics[0].severity is Severity.ERROR
    assert extra == {"positions": "abc", "data_files": [["/p/d", "x"]]}


@pytest.mark.parametrize("payload", [b"\x80\x04K\x01.", b"{}", b'{"format": "bookbuild-execution/0"}',
                                     b'{"format": "bookbuild-execution/2", "values": 5}'])
def test_a_payload_that_is_not_a_current_result_is_rejected(payload: bytes) -> None:
    with pytest.raises(ValueError):
        result_from_json(payload)


class _RunsACommand:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_pickle_entry_is_never_run(book_factory, tmp_path: Path) -> None:
    root = small_book(book_factory)
    cache = tmp_path / "cache"
    status, stdout, stderr = build_site(root, tmp_path / "site", "--cache-dir", str(cache))
    assert status == 0, stdout + stderr
    marker = tmp_path / "the-cache-ran-code"
    planted = entries(cache, "execute")
    assert len(planted) == 2  # one per chapter
    for entry in planted:
        plant(entry, pickle.dumps(_RunsACommand(marker)))
    forget_build_records(cache)

    status, stdout, stderr = build_site(root, tmp_path / "site", "--cache-dir", str(cache))
    assert status == 0, stdout + stderr
    assert not marker.exists(), "loading a cache entry ran a command"
    assert cache_line(stderr).split(";")[0].endswith("execute: 0 reused, 2 computed (2 damaged entries rebuilt)")
    assert "The alpha answer is" in (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")
    assert ">42<" in (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")
    assert all(b"bookbuild-execution/2" in entry.read_bytes() for entry in planted)  # recomputed, stored as JSON


# --------------------------------------------------------------------------- every file verified

@pytest.mark.parametrize("damage", ["flip-one-byte", "insert-64-bytes"])
def test_a_damaged_tikz_svg_is_recompiled(book_factory, tmp_path: Path, damage: str) -> None:
    root = small_book(book_factory, tikz=True)
    cache, site = tmp_path / "cache", tmp_path / "site"
    status, stdout, stderr = build_site(root, site, "--cache-dir", str(cache))
    assert status == 0, stdout + stderr
    [svg] = list((cache / "tikz").glob("tikz-*.svg"))
    [published] = list(site.rglob("tikz-*.svg"))
    good = svg.read_bytes()
    assert published.read_bytes() == good
    # Damage the drawing, not the embedded fonts (which the comparison below must ignore).
    at = good.rindex(b"<path") + 12
    damaged = (good[:at] + bytes([good[at] ^ 0x01]) + good[at + 1:] if damage == "flip-one-byte"
               else good[:at] + b"\x00garbage" * 8 + good[at:])
    svg.write_bytes(damaged)
    forget_build_records(cache)

    status, stdout, stderr = build_site(root, site, "--cache-dir", str(cache))
    assert status == 0, stdout + stderr
    assert "tikz: 0 reused, 1 computed (1 damaged entry rebuilt)" in cache_line(stderr)
    fonts = re.compile(rb"url\(data:[^)]*\)")  # dvisvgm stamps embedded fonts with the time of the run
    assert fonts.sub(b"", published.read_bytes()) == fonts.sub(b"", good)
    assert fonts.sub(b"", svg.read_bytes()) == fonts.sub(b"", good)


# --------------------------------------------------------------------------- private to the user and the project

def test_default_cache_is_the_users_cache_folder_keyed_by_project(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    a, b = default_cache_dir(tmp_path / "a"), default_cache_dir(tmp_path / "b")
    assert a.parent == b.parent == tmp_path / "xdg" / "bookbuild" and a != b
    assert default_cache_dir(tmp_path / "x" / ".." / "a") == a  # the absolute path decides
    assert default_cache_dir(tmp_path / "a", "print") not in (a, b)
    assert default_cache_dir(tmp_path / "a", "print").name.startswith(a.name + "~")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_cache_dir(tmp_path / "a").parent == Path.home() / ".cache" / "bookbuild"


def test_two_books_with_outputs_under_one_parent_never_share_records(book_factory, tmp_path: Path) -> None:
    one, two = small_book(book_factory, "alpha"), small_book(book_factory, "omega")
    outs = tmp_path / "outs"
    for root, name in ((one, "one"), (two, "two")):
        status, stdout, stderr = build_site(root, outs / name)
        assert status == 0, stdout + stderr
    assert sorted(p.name for p in outs.iterdir()) == ["one", "two"]  # no shared cache beside them
    for root in (one, two):
        folder = default_cache_dir(root)
        assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    status, stdout, stderr = build_site(one, outs / "one", "ch")
    assert status == 0, stdout + stderr
    index = (outs / "one" / "search-index.js").read_text(encoding="utf-8")
    assert "alpha preface" in index and "omega" not in index


@pytest.mark.parametrize("problem", ["world-writable", "foreign-owner", "parent-world-writable"])
def test_a_default_cache_folder_that_is_not_private_is_refused(book_factory, tmp_path: Path, monkeypatch,
                                                              problem: str) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = small_book(book_factory)
    folder = default_cache_dir(root)
    folder.mkdir(parents=True, mode=0o700)
    refused = folder
    if problem == "world-writable":
        folder.chmod(0o777)
        reason = "others can write it (mode 777)"
    elif problem == "foreign-owner":
        os.chown(folder, 54321, 54321)
        reason = "it is owned by another user (uid 54321)"
    else:
        refused = folder.parent
        refused.chmod(0o777)
        reason = "others can write it (mode 777)"
    status, stdout, stderr = build_site(root, tmp_path / "site")
    assert status == 0, stdout + stderr
    assert f"warning: not using the cache folder {refused}: {reason}; building without a cache" in stderr
    assert list(folder.iterdir()) == []  # nothing stored in it
    assert "The alpha answer is" in (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")


def test_clean_removes_the_projects_default_cache(book_factory, tmp_path: Path, capsys) -> None:
    root, other = small_book(book_factory), small_book(book_factory, "omega")
    for book in (root, other):
        assert build_site(book, tmp_path / book.name)[0] == 0
    variant = default_cache_dir(root, "print")
    variant.mkdir()
    assert main(["clean", "--project", str(root)]) == 0
    assert not default_cache_dir(root).exists() and not variant.exists()
    assert default_cache_dir(other).is_dir()  # another project's cache stays


# --------------------------------------------------------------------------- damaged page records

@pytest.mark.parametrize("damage", ["garbled", "valid-checksum-bad-json"])
def test_a_damaged_page_record_never_fails_a_later_build(book_factory, tmp_path: Path, damage: str) -> None:
    root = small_book(book_factory)
    cache, site = tmp_path / "cache", tmp_path / "site"
    assert build_site(root, site, "--cache-dir", str(cache))[0] == 0
    records = entries(cache, "search")
    assert len(records) == 2
    record = next(p for p in records if b"preface" in p.read_bytes())
    if damage == "garbled":
        data = record.read_bytes()
        record.write_bytes(data[:-5] + b"#####")
    else:
        plant(record, b"[{not json")

    status, stdout, stderr = build_site(root, site, "--cache-dir", str(cache), "ch")
    assert status == 0, stdout + stderr
    assert re.search(r"search: \d+ reused, 1 computed \(1 damaged entry rebuilt\)", cache_line(stderr))
    # The next build of the page stores it again, and the index holds it.
    status, stdout, stderr = build_site(root, site, "--cache-dir", str(cache))
    assert status == 0, stdout + stderr
    assert "alpha preface" in (site / "search-index.js").read_text(encoding="utf-8")
    assert Cache(cache).get("search", record.name) is not None


# --------------------------------------------------------------------------- disks that cannot be written

@pytest.fixture
def tmpfs():
    """Mount a tmpfs (root ignores file modes, so a read-only or full disk is a real mount); unmounted after."""
    mounted: list[Path] = []

    def mount(folder: Path, options: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip() or done.returncode}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, stdin=subprocess.DEVNULL)


def fill(folder: Path, leave: int) -> None:
    """Fill a tmpfs until about ``leave`` bytes are free."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    (folder / "filler").write_bytes(b"x" * max(0, free - leave))


def cache_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: the cache folder")]


def test_a_read_only_cache_warns_once_and_the_build_goes_on(book_factory, tmp_path: Path, tmpfs) -> None:
    root = small_book(book_factory, tikz=True, figure=True)
    cache = tmpfs(tmp_path / "cache", "ro,size=64k")
    site = tmp_path / "site"
    status, stdout, stderr = build_site(root, site, "--cache-dir", str(cache))
    assert status == 0, stdout + stderr
    assert cache_warnings(stderr) == [f"warning: the cache folder {cache} cannot be written (Read-only file system): "
                                      "the build goes on without storing results"]
    assert ">42<" in (site / "ch.html").read_text(encoding="utf-8")
    [svg] = list(site.rglob("tikz-*.svg"))
    assert svg.read_text(encoding="utf-8").rstrip().endswith("</svg>")
    assert "alpha preface" in (site / "search-index.js").read_text(encoding="utf-8")


def test_a_full_cache_warns_once_and_the_build_goes_on(book_factory, tmp_path: Path, tmpfs) -> None:
    root = small_book(book_factory, tikz=True, figure=True)
    cache = tmpfs(tmp_path / "cache", "size=64k")
    fill(cache, leave=8192)
    site = tmp_path / "site"
    status, stdout, stderr = build_site(root, site, "--cache-dir", str(cache))
    assert status == 0, stdout + stderr
    assert cache_warnings(stderr) == [f"warning: the cache folder {cache} cannot be written (No space left on device): "
                                      "the build goes on without storing results"]
    assert ">42<" in (site / "ch.html").read_text(encoding="utf-8")
    assert list(site.rglob("fig-line-1.svg")) and list(site.rglob("tikz-*.svg"))
    assert "alpha preface" in (site / "search-index.js").read_text(encoding="utf-8")


@pytest.mark.parametrize("disk", ["read-only", "full-before", "full-during"])
def test_an_output_folder_that_cannot_be_written_is_a_diagnostic(book_factory, tmp_path: Path, tmpfs,
                                                                 disk: str) -> None:
    root = small_book(book_factory)
    out = tmpfs(tmp_path / "out", "ro,size=64k" if disk == "read-only" else "size=64k")
    if disk != "read-only":
        fill(out, leave=0 if disk == "full-before" else 8192)  # 8 KB: the probe fits, the stylesheet does not
    status, stdout, stderr = build_site(root, out, "--cache-dir", str(tmp_path / "cache"))
    assert status == 2, stdout + stderr
    reason = "Read-only file system" if disk == "read-only" else "No space left on device"
    [line] = [line for line in stderr.splitlines() if "error[" in line]
    assert re.fullmatch(rf"{re.escape(str(out))}:1:1: error\[output-not-writable\]: cannot write the output folder: "
                        rf"{re.escape(str(out))}(/\S*)?: {reason}", line), line
    assert "help: free some space" in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("disk", ["read-only", "full"])
def test_a_pdf_build_goes_on_when_its_cache_cannot_be_written(book_factory, tmp_path: Path, tmpfs, disk: str) -> None:
    import io

    root = small_book(book_factory, figure=True)
    cache = tmpfs(tmp_path / "cache", "ro,size=64k" if disk == "read-only" else "size=64k")
    if disk == "full":
        fill(cache, leave=8192)
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(["pdf", "--project", str(root), "--output-dir", str(tmp_path / "out"), "--cache-dir", str(cache),
                   "--no-install"], out=stdout, err=stderr)
    assert status == 0, stdout.getvalue() + stderr.getvalue()
    reason = "Read-only file system" if disk == "read-only" else "No space left on device"
    assert cache_warnings(stderr.getvalue()) == [f"warning: the cache folder {cache} cannot be written ({reason}): "
                                                 "the build goes on without storing results"]
    [pdf] = list((tmp_path / "out").glob("*.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF")
