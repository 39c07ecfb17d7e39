"""Reading sources as text with a diagnostic when they are not; writing outputs safely:
every file appears whole or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from .diagnostics import Diagnostic, error


class UnreadableSource(Exception):
    """A source file that cannot be read as UTF-8 text; ``diagnostic`` says where and why."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.format_text())
        self.diagnostic = diagnostic


def read_source(path: Path, shown: str) -> str:
    """The text of a source file (chapter, include, config, bibliography), decoded as UTF-8.

    Raises UnreadableSource with an error at the first byte that is not UTF-8
    (``shown`` names the file), or when the file cannot be read at all.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableSource(error("read", shown, 1, f"cannot read the file: {exc.strerror or exc}",
                                     hint="check that it is a readable file")) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableSource(decode_error(data, exc, shown)) from exc


def decode_error(data: bytes, exc: UnicodeDecodeError, shown: str) -> Diagnostic:
    """An error at the line and column (in characters) of the first byte that is not UTF-8."""
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, exc.start) + 1
    col = len(data[line_start:exc.start].decode("utf-8")) + 1  # all valid before the first bad byte
    return error("encoding", shown, line, f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} ({exc.reason})",
                 col=col, hint="save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 FILE)")


def _public_mode() -> int:
    """The mode a plain new file gets (0644 under the usual umask); mkstemp's is private."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader (a browser, a preview server, an interrupted build) never sees a
    half-written file. Unchanged files are left alone, so their mtimes stay put.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if path.is_file():
        try:
            if path.stat().st_size == len(payload) and path.read_bytes() == payload:
                return
        except OSError:
            pass
    with _naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(payload)
            os.chmod(temp, _public_mode())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def copy_atomic(source: Path, target: Path) -> None:
    """Copy a file atomically (skipped when the target already has the same bytes)."""
    if target.is_file() and target.stat().st_size == source.stat().st_size and target.read_bytes() == source.read_bytes():
        return
    with _naming(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(handle)
        try:
            shutil.copyfile(source, temp)
            os.chmod(temp, _public_mode())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


@contextlib.contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Give an OSError without a file name (a full disk during write) the path being written."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def unwritable_folder(folder: Path) -> OSError | None:
    """Why nothing can be written into ``folder`` (made if missing), or None when a file can be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".bookbuild-probe-") as probe:
            probe.write(b"\0" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        return exc if exc.filename is not None else OSError(exc.errno, exc.strerror, str(folder))
    return None
