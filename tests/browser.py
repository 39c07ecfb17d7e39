"""A small headless-Chromium driver over the DevTools protocol, standard library only.

    with Browser() as browser:
        browser.open(path_or_url)                 # waits for the load event
        browser.evaluate("document.title")        # -> a JSON value
        browser.screenshot("/tmp/page.png")
        assert not browser.errors, browser.errors  # console errors and uncaught exceptions

``Browser`` launches ``chromium --headless --remote-debugging-port=0`` in a fresh
profile, reads the port from its "DevTools listening on ws://..." line, attaches
to the first page target over a minimal WebSocket client, and always kills the
browser (its whole process group) on exit. Every wait has a timeout.

Collected while the browser runs:
  errors       console.error / console.assert calls and uncaught exceptions (strings)
  log_errors   browser log entries of level "error" as (source, text, url), e.g. a
               network failure to load a script; kept apart because a page may
               legitimately reference a file a test deliberately left out
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["Browser", "BrowserError", "find_chromium"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


class BrowserError(RuntimeError):
    """The browser could not be started, or a DevTools call failed or timed out."""


def find_chromium() -> str | None:
    """The Chromium executable: $CHROMIUM if set, else the first of CANDIDATES on PATH."""
    override = os.environ.get("CHROMIUM")
    if override:
        return override if Path(override).exists() or shutil.which(override) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


# ---------------------------------------------------------------- websocket


class _WebSocket:
    """A minimal RFC 6455 client: text frames out (masked), frames in, ping/pong."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "ws":
            raise BrowserError(f"unsupported WebSocket URL {url!r}")
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise BrowserError("DevTools closed the connection during the WebSocket handshake")
            response += chunk
        head, self._buffer = response.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise BrowserError(f"WebSocket handshake refused: {head.decode(errors='replace')[:200]}")

    def _read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self._buffer)))
            if not chunk:
                raise BrowserError("DevTools connection closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytearray([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 1 << 16:
            header.append(0x80 | 126)
            header += struct.pack("!H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack("!Q", n)
        mask = os.urandom(4)
        self.sock.sendall(bytes(header) + mask + _mask_fast(payload, mask))

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def receive(self) -> str:
        """The next complete text message (answers pings; raises on close)."""
        message = b""
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            mask = self._read(4) if second & 0x80 else None
            payload = self._read(length)
            if mask:
                payload = _mask_fast(payload, mask)
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:  # pong
                continue
            if opcode == 0x8:
                raise BrowserError("DevTools closed the WebSocket")
            message += payload
            if first & 0x80:
                return message.decode("utf-8", errors="replace")

    def settimeout(self, seconds: float) -> None:
        self.sock.settimeout(max(seconds, 0.01))

    def close(self) -> None:
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


def _mask_fast(data: bytes, mask: bytes) -> bytes:
    repeated = (mask * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


# ------------------------------------------------------------------ browser


class Browser:
    """Headless Chromium with one page; use as a context manager."""

    KEYS = {
        "Enter": (13, "Enter", "\r"),
        "Escape": (27, "Escape", ""),
        "ArrowDown": (40, "ArrowDown", ""),
        "ArrowUp": (38, "ArrowUp", ""),
        "ArrowLeft": (37, "ArrowLeft", ""),
        "ArrowRight": (39, "ArrowRight", ""),
        "Tab": (9, "Tab", ""),
        "/": (191, "Slash", "/"),
    }

    def __init__(
        self,
        width: int = 1400,
        height: int = 900,
        *,
        mobile: bool = False,
        color_scheme: str | None = None,
        timeout: float = 20.0,
        executable: str | None = None,
    ) -> None:
        self.width, self.height, self.mobile = width, height, mobile
        self.color_scheme = color_scheme
        self.timeout = timeout
        self.executable = executable or find_chromium()
        self.errors: list[str] = []
        self.log_errors: list[tuple[str, str, str]] = []
        self.stderr_lines: list[str] = []
        self._events: list[dict] = []
        self._next_id = 0
        self._proc: subprocess.Popen | None = None
        self._profile: tempfile.TemporaryDirectory | None = None
        self._ws: _WebSocket | None = None

    # -- lifecycle

    def __enter__(self) -> "Browser":
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        if not self.executable:
            raise BrowserError(
                "Chromium not found: install Debian's `chromium` package (apt-get install chromium) "
                "or set CHROMIUM=/path/to/chrome"
            )
        self._profile = tempfile.TemporaryDirectory(prefix="book-browser-")
        args = [
            self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
            f"--user-data-dir={self._profile.name}", "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0", f"--window-size={self.width},{self.height}", "about:blank",
        ]
        self._proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )
        found = threading.Event()
        endpoint: list[str] = []

        def drain() -> None:  # read stderr to the end so the browser never blocks on it
            assert self._proc and self._proc.stderr
            for raw in self._proc.stderr:
                line = raw.decode(errors="replace").rstrip()
                self.stderr_lines.append(line)
                match = re.search(r"DevTools listening on (ws://\S+)", line)
                if match and not found.is_set():
                    endpoint.append(match.group(1))
                    found.set()
            found.set()

        threading.Thread(target=drain, daemon=True).start()
        if not found.wait(self.timeout) or not endpoint:
            tail = "\n".join(self.stderr_lines[-15:])
            raise BrowserError(f"Chromium did not report a DevTools endpoint within {self.timeout:.0f}s:\n{tail}")
        port = urllib.parse.urlsplit(endpoint[0]).port
        page_ws = self._page_target(port)
        self._ws = _WebSocket(page_ws, self.timeout)
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.set_viewport(self.width, self.height, mobile=self.mobile)
        if self.color_scheme:
            self.emulate_media(color_scheme=self.color_scheme)

    def _page_target(self, port: int | None) -> str:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
                    targets = json.load(response)
                pages = [t for t in targets if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BrowserError("Chromium has no page target to attach to")
            time.sleep(0.1)

    def close(self) -> None:
        """Close the connection, kill the browser's process group, remove the profile."""
        if self._ws:
            try:
                self._ws.close()
            except OSError:
                pass
            self._ws = None
        proc, self._proc = self._proc, None
        if proc and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
                proc.wait(timeout=5)
        if self._profile:
            self._profile.cleanup()
            self._profile = None

    # -- protocol

    def send(self, method: str, timeout: float | None = None, **params: Any) -> dict:
        """Call a DevTools method and return its result (events meanwhile are recorded)."""
        if not self._ws:
            raise BrowserError("the browser is not running")
        self._next_id += 1
        call_id = self._next_id
        self._ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            message = self._receive(deadline, f"{method} did not answer")
            if message.get("id") == call_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})

    def _receive(self, deadline: float, what: str) -> dict:
        assert self._ws
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError(f"timed out: {what}")
        self._ws.settimeout(remaining)
        try:
            message = json.loads(self._ws.receive())
        except socket.timeout:
            raise BrowserError(f"timed out: {what}") from None
        if "method" in message:
            self._record(message)
        return message

    def _record(self, event: dict) -> None:
        method, params = event["method"], event.get("params", {})
        self._events.append(event)
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(_remote_text(arg) for arg in params.get("args", []))
            self.errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exception = details.get("exception", {})
            text = exception.get("description") or details.get("text", "exception")
            self.errors.append(f"uncaught: {text} ({details.get('url', '')}:{details.get('lineNumber', '?')})")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                self.log_errors.append((entry.get("source", ""), entry.get("text", ""), entry.get("url", "")))

    def wait_event(self, method: str, timeout: float | None = None) -> dict:
        """Wait for the next event named ``method`` that arrives from now on."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            message = self._receive(deadline, f"no {method} event")
            if message.get("method") == method:
                return message.get("params", {})

    def pump(self, seconds: float = 0.2) -> None:
        """Let events arrive for a while (to catch errors from timers and observers)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._receive(deadline, "pump")
        except BrowserError as error:
            if "timed out" not in str(error):
                raise

    # -- conveniences

    def set_viewport(self, width: int, height: int, *, mobile: bool = False, scale: float = 1) -> None:
        self.width, self.height, self.mobile = width, height, mobile
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=scale, mobile=mobile)

    def emulate_media(self, *, color_scheme: str | None = None, media: str = "") -> None:
        """Emulate prefers-color-scheme ("light"/"dark") and/or a media type ("print", "screen")."""
        features = [{"name": "prefers-color-scheme", "value": color_scheme}] if color_scheme else []
        self.send("Emulation.setEmulatedMedia", media=media, features=features)

    def open(self, target: str | Path, timeout: float | None = None) -> None:
        """Navigate to a URL or a local file and wait for its load event."""
        url = target.as_uri() if isinstance(target, Path) else str(target)
        if "://" not in url and not url.startswith(("about:", "data:")):
            url = Path(url).resolve().as_uri()
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise BrowserError(f"could not open {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired", timeout)
        self.pump(0.1)

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        """Evaluate a JavaScript expression in the page; return its value as JSON data."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=await_promise, userGesture=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"evaluating {expression[:80]!r} threw: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 5.0) -> Any:
        """Poll a JavaScript expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression!r}")
            self.pump(0.05)

    def overflow_x(self) -> int:
        """How many CSS pixels the page is wider than the viewport asked for (0 if none).

        Compare against the requested width, not ``innerWidth``: with ``mobile=True``
        Chromium widens the layout viewport to fit content that overflows, so
        ``scrollWidth - innerWidth`` would hide exactly the overflow being tested.
        """
        return max(0, int(self.evaluate("document.documentElement.scrollWidth")) - self.width,
                   int(self.evaluate("window.innerWidth")) - self.width)

    def press(self, key: str) -> None:
        """Press and release a key (one of KEYS) in the focused element."""
        code, name, text = self.KEYS[key]
        common = {"key": key, "code": name, "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
        self.send("Input.dispatchKeyEvent", type="keyDown" if text else "rawKeyDown", text=text, **common)
        self.send("Input.dispatchKeyEvent", type="keyUp", **common)

    def type_text(self, text: str) -> None:
        """Type text into the focused element (fires input events)."""
        self.send("Input.insertText", text=text)

    def click(self, selector: str) -> None:
        """Click the centre of the first element matching a CSS selector, as a mouse would."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center', behavior: 'instant'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        if not box:
            raise BrowserError(f"nothing matches {selector!r}")
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: str | Path | None = None, *, full_page: bool = False) -> bytes:
        """A PNG of the viewport (or the whole page); written to ``path`` if given."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = base64.b64decode(self.send("Page.captureScreenshot", timeout=max(self.timeout, 30), **params)["data"])
        if path:
            Path(path).write_bytes(data)
        return data


def _remote_text(arg: dict) -> str:
    if "value" in arg:
        return str(arg["value"])
    return str(arg.get("description") or arg.get("unserializableValue") or arg.get("type", ""))
