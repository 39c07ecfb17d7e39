"""``make preview``: build, serve on 127.0.0.1, rebuild on every save, reload open pages.

Each rebuild runs ``python -m bookbuild html`` in a fresh process: an edit to
the book's library or to the engine itself is always picked up, and a build that
crashes cannot take the server down. The content-addressed cache makes a
rebuild redo only what the edit invalidated.

The server only listens on the loopback address, only answers requests whose
``Host`` is that address (a page elsewhere that rebinds its own name to
127.0.0.1 cannot read the book), and only serves files inside the output folder. Pages get a small script that polls the build status: it
reloads the page after a successful rebuild and shows the diagnostics of a
broken one on top of the page (they are printed in the terminal too).
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
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

from .check import cell_context, load_chapters
from .diagnostics import ConfigError, error
from .execute.fingerprint import local_dependencies
from .procs import run_tool
from .project import CONFIG_NAME, display_path, load_book

HOST = "127.0.0.1"
STATUS_PATH = "/__bookbuild__/status"
POLL_SECONDS = 0.4
IGNORED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", "node_modules", "_build", ".bookbuild-cache"}
WATCHED_SUFFIXES = {".qmd", ".md", ".yml", ".yaml", ".bib", ".py", ".tex", ".css", ".scss", ".html", ".js", ".lua",
                    ".csv", ".json", ".png", ".jpg", ".jpeg", ".svg"}

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
            if not is_own_host(self.headers.get("Host"), self.server.server_address[1]):
                self._send(HTTPStatus.MISDIRECTED_REQUEST, "text/plain; charset=utf-8",
                           f"this preview answers only http://{HOST}:{self.server.server_address[1]}/\n".encode())
                return
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


def is_own_host(host: str | None, port: int) -> bool:
    """Whether a request's ``Host`` header names the loopback address and port the preview serves.

    Anything else (a missing header, another name resolving to 127.0.0.1) may come from a
    page on another site that rebound its name: DNS rebinding.
    """
    return host is not None and host.strip().lower() in {f"{HOST}:{port}", f"localhost:{port}"}


def build_report(status: int, stdout: str, stderr: str) -> str:
    """What the overlay and the terminal show of a build: its report, and, when it crashed
    (it gave no diagnostics), the reason on its standard error or the signal that stopped it."""
    if status == 0:
        return stdout
    if "error[" in stdout and status != 2:
        return stdout
    lines = [line for line in stderr.splitlines() if not re.match(r"  \S", line)]  # progress, not help or detail
    reason = "\n".join(lines[-30:]).strip()
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        stopped = f"the build was stopped by {name}" + (" (out of memory?)" if -status == signal.SIGKILL else "")
        reason = f"{reason}\n{stopped}".strip()
    elif not reason:
        reason = f"the build failed with exit status {status} and said nothing"
    return (stdout + "\n" if stdout.strip() else "") + reason + "\n"


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
                if path.suffix in WATCHED_SUFFIXES or name.startswith("_environment"):
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
    """Folders of the local libraries the chapters import (e.g. one on PYTHONPATH outside the project)."""
    try:
        book = load_book(project)
        chapters = load_chapters(book)
    except Exception:  # noqa: BLE001 - a broken config is reported by the build itself
        return set()
    folders = set()
    for loaded in chapters:
        for path in local_dependencies(loaded.chapter, cell_context(book, loaded.file).sys_path()):
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
            report = build_report(status, stdout.decode("utf-8", errors="replace"),
                                  stderr.decode("utf-8", errors="replace"))
        except subprocess.TimeoutExpired:
            status, report = 1, "the build did not finish within 600 s\n"
        errors = [line for line in report.splitlines() if "error[" in line]
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
    """Build once, then serve and rebuild on change until interrupted (or ``stop`` is set).

    The port is taken first: a busy one is a ConfigError before anything is built.
    """
    previewer = Previewer(project, out_dir, cache_dir, log, build_args)
    server = bind_server(port, make_handler(out_dir, previewer.state), display_path(project / CONFIG_NAME))
    out_dir.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    first_build = threading.Event()

    def build() -> None:
        previewer.build()
        first_build.set()

    watcher = threading.Thread(target=rebuild_on_change, args=(project, [out_dir, cache_dir], build, stop, log),
                               daemon=True)
    watcher.start()
    serving = False
    try:
        while not first_build.wait(0.2):
            if not watcher.is_alive():
                return
        log.write(f"serving http://{HOST}:{server.server_address[1]}/ (Ctrl-C to stop)\n")
        log.flush()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        serving = True
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if serving:
            server.shutdown()  # waits for serve_forever, which runs only after the first build
        server.server_close()


def bind_server(port: int, handler: type[SimpleHTTPRequestHandler], shown_config: str) -> ThreadingHTTPServer:
    """The server, listening on HOST:port; a port that is busy or not allowed is a ConfigError."""
    try:
        server = ThreadingHTTPServer((HOST, port), handler)
    except (OSError, OverflowError) as exc:
        busy = isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE
        reason = "is already in use (another preview?)" if busy else f"cannot be used: {getattr(exc, 'strerror', None) or exc}"
        raise ConfigError(error("port-busy" if busy else "port", shown_config, 1, f"port {port} on {HOST} {reason}",
                                hint=f"stop the other server, or pick another port: make preview PORT={port + 1 if 0 < port < 65535 else 4848} "
                                     "(python -m bookbuild preview --port N; 0 picks a free one)")) from exc
    server.daemon_threads = True
    return server
