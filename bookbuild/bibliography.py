"""Read the book's bibliographies and citation styles the way a build will, before it does.

Pandoc reads them only when it renders a chapter, and then fails every chapter
with a message naming neither line nor file of the book. ``check`` asks Pandoc
to read each file on its own (a fraction of a second) and turns its complaint
into an error at the file's line; for an entry left open, where Pandoc can
only say "unexpected end of input", a brace scan finds the entry's line.
"""

from __future__ import annotations

import re
from pathlib import Path

from .diagnostics import Diagnostic, error
from .files import UnreadableSource, read_source
from .references import bibliography_keys

PANDOC_POSITION = re.compile(r"\(line (?P<line>\d+), column (?P<col>\d+)\):?\s*(?P<reason>.*)", re.S)
ENTRY_START = re.compile(r"@(?P<kind>\w+)\s*\{\s*(?P<key>[^,\s]*)")


def read_bibliography(path: Path, shown: str) -> tuple[set[str], Diagnostic | None]:
    """The entry keys of a bibliography, and the error that keeps Pandoc from reading it (or None)."""
    try:
        text = read_source(path, shown)
    except UnreadableSource as exc:
        # Its keys still count, so citations of it are not reported once more each.
        return bibliography_keys(path.read_text(encoding="utf-8", errors="replace")), exc.diagnostic
    complaint = _pandoc_complaint(["--bibliography", str(path)])
    problem = bibliography_diagnostic(complaint, text, shown, bibtex=path.suffix in (".bib", ".bibtex")) \
        if complaint is not None else None
    return bibliography_keys(text), problem


def check_style(path: Path, shown: str) -> Diagnostic | None:
    """The error that keeps Pandoc from reading a CSL style, or None."""
    try:
        read_source(path, shown)
    except UnreadableSource as exc:
        return exc.diagnostic
    complaint = _pandoc_complaint(["--csl", str(path)])
    if complaint is None:
        return None
    line, col, reason = _position(complaint)
    return error("csl", shown, line, f"pandoc cannot read the citation style: {reason}", col=col,
                 hint="fix the CSL file (it is XML), or remove 'csl:' for the default style")


def _pandoc_complaint(args: list[str]) -> str | None:
    """What Pandoc says when it reads the file as a build would (with no text to cite from), or None."""
    from .render.pandoc import PandocError, run_pandoc  # the renderers' one way to call Pandoc

    try:
        run_pandoc(["--from", "markdown", "--to", "plain", "--citeproc", *args], "", timeout=60)
    except PandocError as exc:
        return str(exc)
    return None


def _position(message: str) -> tuple[int, int, str]:
    """(line, col, reason) from Pandoc's ``(line L, column C): reason`` (line 1 when it names none)."""
    found = PANDOC_POSITION.search(message)
    reason = found["reason"] if found else message.strip().splitlines()[-1]
    reason = " ".join(reason.split()) or message.strip()
    return (int(found["line"]), int(found["col"]), reason) if found else (1, 1, reason)


def bibliography_diagnostic(message: str, text: str, shown: str, bibtex: bool = True) -> Diagnostic:
    """Pandoc's complaint about a bibliography as an error at the line it names.

    For an entry that is never closed Pandoc reports the end of the file; the
    error then points at the entry that stays open.
    """
    line, col, reason = _position(message)
    if bibtex and "end of input" in reason:
        unclosed = unclosed_entry(text)
        if unclosed is not None:
            line, col, key = unclosed
            return error("bibliography", shown, line, f"entry '{key}' is never closed: its '{{' has no matching '}}'",
                         col=col, hint="close the entry with '}' (and every brace inside it); until then Pandoc "
                                       "cannot read the bibliography and no citation resolves")
    return error("bibliography", shown, line, f"pandoc cannot read the bibliography: {reason}", col=col,
                 hint="fix the entry at this line; until then no citation of the book resolves")


def unclosed_entry(text: str) -> tuple[int, int, str] | None:
    """(line, col, key) of the last ``@kind{key,`` entry whose braces never balance, or None."""
    depth, opened = 0, None
    position = 0
    while position < len(text):
        char = text[position]
        if depth == 0 and char == "@":
            entry = ENTRY_START.match(text, position)
            if entry is not None:
                opened = (position, entry["key"] or "?")
                depth = 1
                position = entry.end()
                continue
        elif char == "{" and depth:
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        position += 1
    if depth == 0 or opened is None:
        return None
    start, key = opened
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1, key
