"""epubcheck, the EPUB validator (Debian's ``epubcheck`` package), and its messages traced back to the ``.qmd``.

Every block of a chapter reaches the EPUB after a ``<!-- bookbuild C:L -->``
comment (chapter C of the build, line L of its file; see :mod:`bookbuild.render.epub`),
so a message about line N of ``EPUB/text/ch003.xhtml`` is reported at the line of
the last marker above it. Messages about the package itself (the OPF, the
navigation document) are reported at the book's configuration file.

Debian's ``/usr/bin/epubcheck`` is the jar itself, which only runs where the kernel
hands jars to Java (binfmt_misc); it is run with ``java -jar`` instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Mapping, Sequence, TextIO

from ..diagnostics import Diagnostic, error, warning
from ..procs import run_tool
from .latex_setup import Requirement, ensure, install_command

REQUIREMENT = Requirement("epubcheck", "epubcheck", "program")
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
MARKER = re.compile(r"<!-- bookbuild (\d+):(\d+) -->")


class EpubcheckError(Exception):
    """epubcheck could not be run, or said nothing we can read."""


def marker(chapter: int, line: int) -> str:
    """The comment put before a block: chapter ``chapter`` of the build, line ``line`` of its file."""
    return f"<!-- bookbuild {chapter}:{line} -->"


def available(log: TextIO, *, allow_install: bool = True) -> str | None:
    """The epubcheck program, installed from Debian first when missing and we may (root, apt-get);
    None (and a line on ``log`` saying how to install it) when it is not there."""
    if ensure(log, allow_install=allow_install, requirements=(REQUIREMENT,), purpose="checking the EPUB"):
        log.write(f"  epubcheck is not installed, so the EPUB is not validated; install it with: "
                  f"{install_command([REQUIREMENT])}\n")
        return None
    return shutil.which(REQUIREMENT.name)


def command(program: str) -> list[str]:
    """How to start epubcheck: the program, or ``java -jar`` for Debian's jar (raises EpubcheckError without Java)."""
    real = os.path.realpath(program)
    try:
        with open(real, "rb") as handle:
            is_jar = handle.read(2) == b"PK"
    except OSError as exc:
        raise EpubcheckError(f"cannot read {program}: {exc.strerror}") from exc
    if not is_jar:
        return [program]
    java = shutil.which("java")
    if java is None:
        raise EpubcheckError(f"{program} is a Java program and no 'java' is installed "
                             "(apt-get install default-jre-headless)")
    # A short run: the quick JIT tier and the serial collector start it about three times sooner.
    return [java, *JAVA_OPTIONS, "-jar", real]


def run(program: str, epub: Path, timeout: float) -> list[dict[str, Any]]:
    """epubcheck's messages about ``epub`` (its JSON report's ``messages``)."""
    with tempfile.TemporaryDirectory(prefix="bookbuild-epubcheck-") as scratch:
        report = Path(scratch) / "report.json"
        try:
            _, stdout, stderr = run_tool([*command(program), str(epub), "--json", str(report)], timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EpubcheckError(f"epubcheck did not finish within {timeout:g} s and was stopped") from None
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            said = (stderr or stdout).decode("utf-8", errors="replace").strip().splitlines()
            raise EpubcheckError(f"epubcheck wrote no report: {said[-1] if said else 'no output'}") from None
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list):
        raise EpubcheckError("epubcheck's report has no list of messages")
    return messages


def media_sources(epub: Path, sources: Mapping[str, tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """The EPUB's images (``EPUB/media/file3.svg``) -> the chapter file and line that show each, found by
    content (``sources``: each image file the build gave Pandoc -> where it is shown)."""
    by_content: dict[str, tuple[str, int]] = {}
    for path, place in sources.items():
        try:
            by_content.setdefault(hashlib.sha256(Path(path).read_bytes()).hexdigest(), place)
        except OSError:
            continue
    found = {}
    with zipfile.ZipFile(epub) as archive:
        for name in archive.namelist():
            if "/media/" in name:
                place = by_content.get(hashlib.sha256(archive.read(name)).hexdigest())
                if place is not None:
                    found[name] = place
    return found


def diagnostics(messages: Sequence[dict[str, Any]], epub: Path, chapters: Sequence[str], config_file: str,
                media: Mapping[str, tuple[str, int]] | None = None) -> list[Diagnostic]:
    """A diagnostic per error and warning (infos and usage notes are not reported), each at the
    chapter and line its place in the EPUB came from (``chapters``: each chapter's file as shown,
    by its number in the build; ``media``: where each image of the EPUB is shown), else at ``config_file``."""
    media = media or {}
    found: list[Diagnostic] = []
    grouped: dict[tuple[str, str, str, int], list[Any]] = {}
    with zipfile.ZipFile(epub) as archive:
        texts: dict[str, str] = {}
        for message in messages:
            severity = str(message.get("severity", "")).upper()
            if severity not in ("FATAL", "ERROR", "WARNING"):
                continue
            said = str(message.get("message", ""))
            # RSC-005 goes on to list every element the schema would take there: the first clause says it.
            said = said.split("; expected", 1)[0]
            text = f"epubcheck {message.get('ID', '')}: {said}".strip()
            locations = message.get("locations") or [{}]
            place = locations[0] if isinstance(locations[0], dict) else {}
            path, line = str(place.get("path") or ""), place.get("line")
            file, qmd_line = config_file, 1
            source = _source(archive, texts, path, line if isinstance(line, int) else None)
            hint = "this is about the package bookbuild wrote: please report it with the message"
            if path in media:
                file, qmd_line = media[path]
                text += f" (in the image shown here{f', line {line} of it' if isinstance(line, int) and line > 0 else ''})"
                hint = "save the image as plain SVG (no DOCTYPE naming a DTD), or as PNG"
            elif source is not None and 0 <= source[0] < len(chapters):
                file, qmd_line = chapters[source[0]], source[1]
                hint = "raw HTML in the chapter must be well-formed XHTML that EPUB 3 allows"
            elif path:
                text += f" (in the EPUB's {path}{f':{line}' if isinstance(line, int) and line > 0 else ''})"
            group = (severity, str(message.get("ID", "")), file, qmd_line)
            if group in grouped:  # one image or element can raise a message many times: say it once
                grouped[group][1] += 1
                continue
            grouped[group] = [(warning if severity == "WARNING" else error, text, hint), 0]
    for (_, _, file, qmd_line), ((make, text, hint), more) in grouped.items():
        found.append(make("epubcheck", file, qmd_line, text + (f" (and {more} more like it here)" if more else ""),
                          hint=hint))
    return found


def _source(archive: zipfile.ZipFile, texts: dict[str, str], path: str, line: int | None) -> tuple[int, int] | None:
    """(chapter, line) of the last marker at or above ``line`` of the EPUB's file ``path`` (its first
    marker when none is above, e.g. the chapter's heading)."""
    if not path.endswith(".xhtml"):
        return None
    if path not in texts:
        try:
            texts[path] = archive.read(path).decode("utf-8", errors="replace")
        except KeyError:
            texts[path] = ""
    rows = texts[path].splitlines()
    above = "\n".join(rows[:line]) if line and line > 0 else ""
    found = list(MARKER.finditer(above)) or list(MARKER.finditer(texts[path]))[:1]
    if not found:
        return None
    chosen = found[-1]
    return int(chosen.group(1)), int(chosen.group(2))
