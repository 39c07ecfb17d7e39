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


def request(port: int, path: str, host: str | None) -> tuple[int, str]:
    """(status, body) of a GET with the given Host header (None: no Host header at all)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", errors="replace")


def test_requests_for_another_host_are_refused(server):
    """DNS rebinding: a page at evil.example that resolves to 127.0.0.1 sends its own name as Host."""
    _, port = server
    refusal = f"this preview answers only http://127.0.0.1:{port}/\n"
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1:1", None):
        assert request(port, "/ch.html", host) == (421, refusal), host
        assert request(port, "/__bookbuild__/status", host) == (421, refusal), host
    assert request(port, "/ch.html", f"127.0.0.1:{port}")[0] == 200
    assert request(port, "/ch.html", f"localhost:{port}")[0] == 200


def test_a_busy_port_is_reported_before_building(book_factory, tmp_path):
    import socket

    root = book_factory({"ch.qmd": "# Chapter\n"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "bookbuild", "preview", "--project", str(root), "--port", str(port),
             "--output-dir", str(tmp_path / "site"), "--cache-dir", str(tmp_path / "cache")],
            cwd=root, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == (f"_quarto.yml:1:1: error[port-busy]: port {port} on 127.0.0.1 is already "
                                           "in use (another preview?)")
    assert f"pick another port: make preview PORT={port + 1}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "site").exists() and not (tmp_path / "cache").exists()  # nothing was built


def test_a_crashed_build_shows_its_reason(server):
    """A build that dies without diagnostics (here a cell kills the build's main process) still says why."""
    root, port = server
    chapter = root / "ch.qmd"
    # The cell runs in a worker, forked from the pool's zygote, forked from the build's main process.
    chapter.write_text(chapter.read_text().replace('value_str = "first value"', (
        'import os, signal\n'
        'zygote = os.getppid()\n'
        'main = int(open(f"/proc/{zygote}/stat").read().rsplit(")", 1)[1].split()[1])\n'
        'os.kill(main, signal.SIGKILL)\n'
        'os._exit(0)')))
    assert wait_until(lambda: not json.loads(get(port, "/__bookbuild__/status")[1])["ok"], 60)
    report = json.loads(get(port, "/__bookbuild__/status")[1])["report"]
    assert report.rstrip().endswith("the build was stopped by SIGKILL (out of memory?)"), report


def test_build_report_keeps_the_reason_of_a_crash():
    from bookbuild.preview import build_report

    crash = "  executing chapters…\nerror[internal]: 'bookbuild html' stopped on an unexpected ValueError: boom\n"
    assert build_report(1, "", crash) == "error[internal]: 'bookbuild html' stopped on an unexpected ValueError: boom\n"
    assert build_report(1, "ch.qmd:1:1: error[x]: y\n", crash) == "ch.qmd:1:1: error[x]: y\n"
    assert build_report(1, "", "") == "the build failed with exit status 1 and said nothing\n"
    config = "_quarto.yml:3:1: error[yaml]: malformed _quarto.yml\n    help: fix the YAML\n"
    assert build_report(2, "", config) == config
