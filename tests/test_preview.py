"""`bookbuild preview`: a real server on 127.0.0.1 that rebuilds on save and never serves outside the site."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import time

import pytest

from bookbuild.preview import safe_target
from conftest import REPO


@pytest.fixture
def server(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Chapter

        ```{python}
        value_str = "first value"
        ```

        The value is `{python} value_str`.
        """})
    process = subprocess.Popen(
        [sys.executable, "-m", "bookbuild", "preview", "--project", str(root), "--port", "0",
         "--output-dir", str(tmp_path / "site"), "--cache-dir", str(tmp_path / "cache")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if "serving http://127.0.0.1:" in line:
                port = int(line.split("127.0.0.1:")[1].split("/")[0])
        assert port, "the preview server did not start"
        yield root, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def get(port: int, path: str) -> tuple[int, str]:
    """(status, body) with the provenance wrappers around values removed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)  # sent as is: no client-side normalisation of '..'
    response = connection.getresponse()
    body = response.read().decode("utf-8", errors="replace")
    return response.status, re.sub(r'<span class="computed" data-value="\d+">(.*?)</span>', r"\1", body)


def wait_until(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_edit_shows_up_and_broken_edit_reports_then_recovers(server):
    root, port = server
    status, page = get(port, "/ch.html")
    assert status == 200 and "The value is first value." in page and "/__bookbuild__/status" in page
    chapter = root / "ch.qmd"
    chapter.write_text(chapter.read_text().replace('"first value"', '"second value"'))
    assert wait_until(lambda: "The value is second value." in get(port, "/ch.html")[1])

    chapter.write_text(chapter.read_text().replace('value_str = "second value"', 'value_str = undefined_name'))
    assert wait_until(lambda: not json.loads(get(port, "/__bookbuild__/status")[1])["ok"])
    report = json.loads(get(port, "/__bookbuild__/status")[1])["report"]
    assert "ch.qmd:4:1: error[cell-error]: NameError: name 'undefined_name' is not defined" in report

    chapter.write_text(chapter.read_text().replace("value_str = undefined_name", 'value_str = "third value"'))
    assert wait_until(lambda: json.loads(get(port, "/__bookbuild__/status")[1])["ok"])
    assert "The value is third value." in get(port, "/ch.html")[1]


def test_paths_outside_the_site_are_refused(server):
    _, port = server
    for path in ("/../ch.qmd", "/..%2fch.qmd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/../../ch.qmd"):
        status, _ = get(port, path)
        assert status == 403, path
    assert get(port, "/assets/book.css")[0] == 200
    assert get(port, "/nope.html")[0] == 404


def test_safe_target_unit(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.html").write_text("x")
    outside = tmp_path.parent / "outside-link-target"
    outside.mkdir(exist_ok=True)
    (tmp_path / "link").symlink_to(outside)
    assert safe_target(tmp_path, "/a/x.html?v=1") == (tmp_path / "a" / "x.html").resolve()
    assert safe_target(tmp_path, "/a/../../etc") is None
    assert safe_target(tmp_path, "/link/secret") is None
    assert safe_target(tmp_path, "/a%00.html") is None


def test_a_save_during_a_build_triggers_another_build(tmp_path):
    """The snapshot is taken before each build, so an edit that lands mid-build is not absorbed."""
    import io
    import threading

    from bookbuild.preview import rebuild_on_change

    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  chapters: [ch.qmd]\n")
    chapter = tmp_path / "ch.qmd"
    chapter.write_text("# Chapter\n")
    builds: list[str] = []
    stop = threading.Event()

    def build() -> None:
        builds.append(chapter.read_text())
        if len(builds) == 1:
            chapter.write_text("# Chapter, saved while the first build ran\n")
        else:
            stop.set()

    watcher = threading.Thread(target=rebuild_on_change, args=(tmp_path, [], build, stop, io.StringIO(), 0.05))
    watcher.start()
    watcher.join(timeout=20)
    stop.set()
    assert builds == ["# Chapter\n", "# Chapter, saved while the first build ran\n"]
