"""Quarto's ``{{< include file.qmd >}}``: another file's text, pasted in where the line stands.

As in Quarto, the inclusion happens before anything else reads the chapter, so
cells in an included file run as part of the chapter, in place. A
:class:`SourceMap` remembers where every line of the combined text came from,
so a diagnostic names the included file and its own line.

An include must stand on a line of its own, outside code blocks; its path is
relative to the file that includes it (``/path`` to the project). An included
file may include others; a cycle, a missing file, a file outside the project
(symlinks resolved) and an include inside a line are errors at the include.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .diagnostics import Diagnostic, error
from .paths import OUTSIDE_HINT, outside_reason
from .files import UnreadableSource, read_source

# The path bare, or in quotes (then it may hold spaces): {{< include "_part one.md" >}}.
INCLUDE_LINE = re.compile(r"^[ \t]*\{\{<[ \t]*include[ \t]+(?P<path>\"[^\"]+\"|'[^']+'|[^\s>]+)[ \t]*>\}\}[ \t]*$")
INCLUDE_ANYWHERE = re.compile(r"\{\{<[ \t]*include\b")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
MAX_DEPTH = 20
#: A chapter's includes, counting repeats: a file that includes another many times, itself
#: included many times, multiplies (10 x 10 x ... ); past this the rest are left out.
MAX_INCLUDES = 1000
MAX_EXPANDED_CHARS = 64_000_000


@dataclass(frozen=True)
class Segment:
    """Lines ``[line, line + count)`` of the combined text are ``file``'s lines from ``file_line`` on."""

    line: int
    count: int
    file: str
    file_line: int


@dataclass(frozen=True)
class SourceMap:
    """Where each line of a chapter's combined text comes from (one segment when nothing is included)."""

    segments: tuple[Segment, ...]

    @property
    def includes_anything(self) -> bool:
        return len({s.file for s in self.segments}) > 1

    def locate(self, line: int) -> tuple[str, int]:
        """(file, line in it) of a line of the combined text."""
        starts = [s.line for s in self.segments]
        segment = self.segments[max(0, bisect.bisect_right(starts, line) - 1)]
        return segment.file, segment.file_line + (line - segment.line)

    def remap(self, diagnostic: Diagnostic, shown: str) -> Diagnostic:
        """The diagnostic, pointing into the included file its line came from (and so its detail)."""
        if not self.includes_anything:
            return diagnostic
        changes = {}
        if diagnostic.file == shown:
            file, line = self.locate(diagnostic.line)
            changes.update(file=file, line=line)
        if diagnostic.detail and shown in diagnostic.detail:
            pattern = re.compile(re.escape(shown) + r":(\d+)")
            changes["detail"] = pattern.sub(lambda m: "{}:{}".format(*self.locate(int(m.group(1)))), diagnostic.detail)
        return dataclasses.replace(diagnostic, **changes) if changes else diagnostic


def expand_includes(file: Path, text: str, shown: str, root: Path,
                    display: Callable[[Path], str]) -> tuple[str, SourceMap, list[Diagnostic]]:
    """The chapter's text with its includes expanded, where its lines came from, and what went wrong.

    ``shown`` names ``file`` in diagnostics; ``display`` names the included files.
    """
    if not INCLUDE_ANYWHERE.search(text):  # nothing to expand (most chapters): one run of the file's own lines
        rows = len(text.splitlines())
        return text, SourceMap((Segment(1, rows, shown, 1) if rows else Segment(1, 0, shown, 1),)), []
    lines: list[str] = []
    segments: list[Segment] = []
    problems: list[Diagnostic] = []
    _expand(file, text, shown, root, display, lines, segments, problems, chain=(file.resolve(),), budget=_Budget())
    return "".join(lines), SourceMap(tuple(segments) or (Segment(1, 0, shown, 1),)), problems


@dataclass
class _Budget:
    """What a chapter's includes have used so far (see MAX_INCLUDES); ``spent`` once one was refused."""

    includes: int = 0
    chars: int = 0
    spent: bool = False


def _expand(file: Path, text: str, shown: str, root: Path, display: Callable[[Path], str], lines: list[str],
            segments: list[Segment],
            problems: list[Diagnostic], chain: tuple[Path, ...], budget: _Budget) -> None:
    rows = text.splitlines(keepends=True)
    fence: str | None = None
    run_start = 0  # first row of the current run of this file's own lines

    def flush(until: int) -> None:
        if until > run_start:
            segments.append(Segment(len(lines) + 1, until - run_start, shown, run_start + 1))
            lines.extend(rows[run_start:until])

    for n, row in enumerate(rows):
        opened = FENCE.match(row)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence) \
                    and not row.strip()[len(opened.group(1)):].strip():
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        match = INCLUDE_LINE.match(row.rstrip("\n"))
        if not match:
            if INCLUDE_ANYWHERE.search(row):
                problems.append(error("include", shown, n + 1, "an include must stand on a line of its own",
                                      hint="put {{< include file.qmd >}} on its own line"))
            continue
        name = match["path"].strip("\"'")
        named = (root / name.lstrip("/")) if name.startswith("/") else (file.parent / name)
        col = match.start("path") + 1
        outside = outside_reason(named, root, name)
        if outside:
            problems.append(error("outside-project", shown, n + 1, f"included file {outside}",
                                  col=col, hint=OUTSIDE_HINT))
            continue
        target = named.resolve()
        if target in chain or len(chain) >= MAX_DEPTH:
            problems.append(error("include", shown, n + 1, f"'{name}' includes itself (through {len(chain)} file(s))",
                                  col=col, hint="remove the include that closes the cycle"))
            continue
        if not target.is_file():
            problems.append(error("include", shown, n + 1, f"included file '{name}' does not exist",
                                  col=col, hint="fix the path; it is relative to the file that includes it"))
            continue
        if budget.spent:
            continue
        try:
            included = read_source(target, display(target))
        except UnreadableSource as exc:
            problems.append(exc.diagnostic)
            continue
        budget.includes += 1
        budget.chars += len(included)
        if budget.includes > MAX_INCLUDES or budget.chars > MAX_EXPANDED_CHARS:
            if not budget.spent:
                budget.spent = True
                problems.append(error("include-limit", shown, n + 1,
                                      f"the chapter's includes expand to more than {MAX_INCLUDES} files or "
                                      f"{MAX_EXPANDED_CHARS // 1_000_000} MB (repeats counted): '{name}' "
                                      "and every include after it are left out",
                                      hint="include each file once; a file that includes others many times multiplies"))
            continue
        flush(n)
        if included and not included.endswith("\n"):
            included += "\n"
        _expand(target, included, display(target), root, display, lines, segments, problems, (*chain, target), budget)
        run_start = n + 1
    flush(len(rows))
