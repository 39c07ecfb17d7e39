"""``make preview``: build, serve on 127.0.0.1, rebuild on every save, reload open pages.

Each rebuild runs ``python -m bookbuild html`` in a fresh process: an edit to
the book's library or to the engine itself is always picked up, and a build that
crashes cannot take the server down. The content-addressed cache makes a
rebuild redo only what the edit invalidated.

The server only listens on the loopback address and only serves files inside
the output folder. Pages get a small script that polls the build status: it
reloads the page after a successful rebuild and shows the diagnostics of a
broken one on top of the page (they are printed in the terminal too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, TextIO

from .check import load_chapters
from .execute.fingerprint import local_dependencies
from .procs import run_tool
from .project import load_book

HOST = "127.0.0.1"
STATUS_PATH = "/__bookbuild__/status"
POLL_SECONDS = 0.4
IGNORED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", "node_modules", "_build", ".bookbuild-cache"}
WATCHED_SUFFIXES = {".qmd", ".md", ".yml", ".yaml", ".bib", ".py", ".tex", ".css", ".js", ".lua", ".csv", ".json",
                    ".png", ".jpg", ".jpeg", ".svg"}

RELOAD_SCRIPT = """<script>
(function () {
  var seen = null;
  function show(status) {
    var box = document.getElementById('bookbuild-diagnostics');
    if (status.ok) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement('pre');
      box.id = 'bookbuild-diagnostics';
      box.style.cssText = 'position:fixed;z-index:9999;left:1rem;right:1rem;top:4rem;max-height:60vh;overflow:auto;' +
        'padding:1rem;background:#fff5f5;color:#8c1520;border:2px solid #cb202d;border-radius:6px;font-size:13px;white-space:pre-wrap';
      document.body.appendChild(box);
    }
    box.textContent = 'The last build failed; fix the source and save:\\n\\n' + status.report;
  }
  function poll() {
    fetch('%s', {cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (status) {
      if (seen !== null && status.version !== seen) { location.reload(); return; }
      seen = status.version;
      show(status);
    }).catch(function () {}).finally(function () { setTimeout(poll, 700); });
  }
  poll();
})();
</script>
""" % STATUS_PATH


@dataclass
class BuildState:
    """What the pages' script polls: a version that changes on every build, and its outcome."""

    version: int = 0
    ok: bool = True
    report: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"version": self.version, "ok": self.ok, "report": self.report}).encode("utf-8")


def make_handler(root: Path, state: BuildState) -> type[SimpleHTTPRequestHandler]:
    """A request handler serving ``root`` only, with the reload script in every HTML page."""
    root = root.resolve()

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            return  # the terminal is for build diagnostics, not access logs

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.split("?", 1)[0] == STATUS_PATH:
                self._send(HTTPStatus.OK, "application/json", state.as_json())
                return
            target = safe_target(root, self.path)
            if target is None:
                self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", b"outside the site\n")
                return
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")
                return
            data = target.read_bytes()
            if target.suffix == ".html":
                text = data.decode("utf-8", errors="replace")
                marker = text.rfind("</body>")
                text = text[:marker] + RELOAD_SCRIPT + text[marker:] if marker >= 0 else text + RELOAD_SCRIPT
                data = text.encode("utf-8")
            self._send(HTTPStatus.OK, self.guess_type(str(target)), data)

        def do_HEAD(self) -> None:  # noqa: N802
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, "text/plain", b"")

        def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def safe_target(root: Path, request_path: str) -> Path | None:
    """The file a URL path names inside ``root``, or None if it would leave ``root``.

    Any ``..`` segment (also percent-encoded) is refused outright; symlinks
    pointing outside the root are refused after resolution.
    """
    path = urllib.parse.urlsplit(request_path).path
    decoded = urllib.parse.unquote(path)
    parts = [part for part in decoded.replace("\\", "/").split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts) or "\x00" in decoded:
        return None
    candidate = root.joinpath(*parts).resolve()
    return candidate if candidate == root or candidate.is_relative_to(root) else None


def watched_roots(project: Path) -> list[Path]:
    """The project and the folders of the local libraries its chapters import (parses the book)."""
    return [project] + sorted(_dependency_folders(project))


def watched_files(roots: list[Path], excluded: list[Path]) -> dict[Path, tuple[int, int]]:
    """(mtime, size) of every source file under ``roots`` an edit to which should trigger a rebuild."""
    files: dict[Path, tuple[int, int]] = {}
    excluded = [e.resolve() for e in excluded]
    for top in roots:
        for folder, dirs, names in os.walk(top):
            here = Path(folder).resolve()
            dirs[:] = [d for d in dirs if d not in IGNORED_DIRS and not d.startswith(".")
                       and not any((here / d).resolve() == e for e in excluded)]
            for name in names:
                path = here / name
                if path.suffix in WATCHED_SUFFIXES:
                    try:
                        info = path.stat()
                    except OSError:
                        continue
                    files[path] = (info.st_mtime_ns, info.st_size)
    return files


def rebuild_on_change(project: Path, excluded: list[Path], build: Callable[[], None], stop: threading.Event,
                      log: TextIO, poll_seconds: float = POLL_SECONDS) -> None:
    """Run ``build`` now, then again whenever a watched file changes, until ``stop`` is set.

    The snapshot a build is compared against is taken *before* that build
    starts, so a save that lands while a build runs (or between the first build
    and the first poll) triggers another build instead of being absorbed. The
    folders to watch are found with it (that parses the book): a poll only
    looks at files, and a new import comes with an edit, which rebuilds.
    """
    roots = watched_roots(project)
    seen = watched_files(roots, excluded)
    build()
    while not stop.wait(poll_seconds):
        current = watched_files(roots, excluded)
        if current == seen:
            continue
        changed = sorted({p for p in set(current) | set(seen) if current.get(p) != seen.get(p)})
        log.write(f"[{time.strftime('%H:%M:%S')}] changed: {', '.join(p.name for p in changed[:5])}\n")
        time.sleep(0.1)  # let an editor finish writing
        roots = watched_roots(project)
        seen = watched_files(roots, excluded)
        build()


def _dependency_folders(project: Path) -> set[Path]:
    """Folders of the local libraries the chapters import (e.g. mlsys outside the project)."""
    try:
        book = load_book(project)
        chapters = load_chapters(book)
    except Exception:  # noqa: BLE001 - a broken config is reported by the build itself
        return set()
    folders = set()
    for loaded in chapters:
        for path in local_dependencies(loaded.chapter, [str(loaded.file.parent)]):
            if not path.is_relative_to(project.resolve()):
                folders.add(path.parent)
    return folders


class Previewer:
    """Runs builds and tracks their outcome for the pages and the terminal."""

    def __init__(self, project: Path, out_dir: Path, cache_dir: Path, log: TextIO, build_args: list[str]) -> None:
        self.project, self.out_dir, self.cache_dir, self.log = project, out_dir, cache_dir, log
        self.build_args = build_args
        self.state = BuildState()

    def build(self) -> None:
        started = time.perf_counter()
        command = [sys.executable, "-m", "bookbuild", "html", "--project", str(self.project),
                   "--output-dir", str(self.out_dir), "--cache-dir", str(self.cache_dir), *self.build_args]
        try:
            # A tool of its own: ended with the preview, even by SIGKILL.
            status, stdout, stderr = run_tool(command, timeout=600)
            report = (stdout + (stderr if status == 2 else b"")).decode("utf-8", errors="replace")
        except subprocess.TimeoutExpired:
            status, report = 1, "the build did not finish within 600 s\n"
        errors = [line for line in report.splitlines() if ": error[" in line]
        with self.state.lock:
            self.state.version += 1
            self.state.ok = status == 0
            self.state.report = report if status else ""
        summary = report.strip().splitlines()[-1] if report.strip() else f"exit status {status}"
        self.log.write(f"[{time.strftime('%H:%M:%S')}] rebuilt in {time.perf_counter() - started:.1f} s: {summary}\n")
        for line in errors:
            self.log.write(f"  {line}\n")
        self.log.flush()


def serve(project: Path, out_dir: Path, cache_dir: Path, port: int, log: TextIO, build_args: list[str],
          stop: threading.Event | None = None) -> None:
    """Build once, then serve and rebuild on change until interrupted (or ``stop`` is set)."""
    previewer = Previewer(project, out_dir, cache_dir, log, build_args)
    stop = stop or threading.Event()
    first_build = threading.Event()

    def build() -> None:
        previewer.build()
        first_build.set()

    watcher = threading.Thread(target=rebuild_on_change, args=(project, [out_dir, cache_dir], build, stop, log),
                               daemon=True)
    watcher.start()
    server: ThreadingHTTPServer | None = None
    try:
        while not first_build.wait(0.2):
            if not watcher.is_alive():
                return
        out_dir.mkdir(parents=True, exist_ok=True)
        server = ThreadingHTTPServer((HOST, port), make_handler(out_dir, previewer.state))
        server.daemon_threads = True
        log.write(f"serving http://{HOST}:{server.server_address[1]}/ (Ctrl-C to stop)\n")
        log.flush()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if server is not None:
            server.shutdown()
            server.server_close()
