"""Compile a LaTeX document to PDF: as many LuaLaTeX passes as its references need, makeindex between them.

Every run is non-interactive (``-interaction=nonstopmode -halt-on-error``, no
standard input, ``-no-shell-escape``) and time-limited: at the deadline the
whole process group is killed. ``-file-line-error`` makes the log name the file
and line of an error, which :func:`first_error` reads.

Passes: LaTeX runs again while a file it reads back (``.aux``, ``.toc``,
``.lof``, ``.lot``, ``.out``, ``.ind``) changed during the last run, or its log
asks for a rerun, up to ``max_passes``. The working folder is kept between
builds, so an unchanged book settles in one pass. The passes that cannot be the last (the
first with nothing to read back, and in a long document the second after it) run in draft mode,
without writing the PDF. A cold first pass of a document with an index starts from an empty
index, so it lists the index in the contents as the next pass will. Two lines of the ``.aux``
that nothing reads back are not compared: the page count (the kernel asks for a rerun itself
when its last-page hook needs it) and KOMA-Script's widest entry numbers (unless the log
says a list sizes its numbers by them). After a failed run the files
LaTeX reads back are deleted: a half-written ``.aux`` must not break the next
build.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .latex_setup import ENGINE
from .texprocess import TexTimeout, read_log, run_program

LATEX_OPTIONS = ("-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "-file-line-error")
READ_BACK = (".aux", ".toc", ".lof", ".lot", ".out", ".ind")
RERUN = re.compile(r"Rerun to get|Rerun to correct|Rerun LaTeX|Please rerun|rerun LaTeX", re.I)
#: Lines of the .aux that no pass reads back (see the module's docstring); WIDTHS only while no list uses them.
UNREAD = re.compile(rb"^\\gdef ?\\@abspage@last\{\d+\}\r?\n", re.M)
WIDTHS = re.compile(rb"^\\global\\@namedef\{scr@dte@[A-Za-z]+@lastmaxnumwidth\}\{[^{}\n]*\}\r?\n", re.M)
#: What theme/latex-preamble.tex logs when a list of contents sizes its numbers by the last pass's widest.
DYNAMIC_WIDTHS = "bookbuild: dynamic number widths"
#: The index a cold first pass starts from (makeindex then writes the real one).
EMPTY_INDEX = "\\begin{theindex}\n\\end{theindex}\n"
#: A document this long (in pages, after its first pass) has its second pass in draft mode: its
#: references and contents move its pages, so a third pass follows anyway.
LONG_DOCUMENT = 150
FILE_LINE_ERROR = re.compile(r"^(.*?\.(?:tex|aux|toc|lof|lot|ind|out|sty|cls|def|cfg|fd|code\.tex)):(\d+): (.*)$")
OUTPUT_WRITTEN = re.compile(r"Output written on .*?\((\d+) pages?")
MISSING_GLYPH = re.compile(r"^Missing character: There is no (.) \(U\+([0-9A-F]+)\)", re.M)
UNDEFINED_REFERENCE = re.compile(r"(?:LaTeX|pdfTeX|Package hyperref) Warning: (?:Hyper )?[Rr]eference [`'](.+?)' on page \d+ undefined")


@dataclass(frozen=True)
class LatexError:
    """The first error of a failed run: where the log says it is, what it says, and an excerpt."""

    file: str | None  # as the log names it, relative to the working folder (``./chapters/x.tex``)
    line: int | None
    message: str
    culprit: str | None  # the control sequence or text LaTeX stopped at, when the log shows it
    excerpt: str


@dataclass
class LatexResult:
    ok: bool
    passes: int = 0
    seconds: float = 0.0
    pages: int = 0
    log: str = ""
    error: LatexError | None = None
    timed_out: bool = False
    settled: bool = True
    warnings: list[str] = field(default_factory=list)


def _snapshot(workdir: Path, jobname: str, *, widths_read: bool = False) -> dict[str, str]:
    """Digest of each file LaTeX reads back, the main .aux without the lines no pass reads."""
    found = {}
    for suffix in READ_BACK:
        path = workdir / f"{jobname}{suffix}"
        if path.is_file():
            data = path.read_bytes()
            if suffix == ".aux":
                data = UNREAD.sub(b"", data if widths_read else WIDTHS.sub(b"", data))
            found[suffix] = hashlib.sha256(data).hexdigest()
    return found


def _pages_so_far(workdir: Path, jobname: str) -> int:
    """The page count the main .aux records (0 when it records none)."""
    try:
        match = re.search(rb"\\@abspage@last\{(\d+)\}", (workdir / f"{jobname}.aux").read_bytes())
    except OSError:
        return 0
    return int(match.group(1)) if match else 0


def _file_hash(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def clean_read_back(workdir: Path, jobname: str) -> None:
    """Delete the files LaTeX reads back (after a failure, they may be half-written)."""
    for suffix in (*READ_BACK, ".idx", ".ilg"):
        (workdir / f"{jobname}{suffix}").unlink(missing_ok=True)


def compile_document(workdir: Path, jobname: str = "book", *, timeout: float = 600.0, max_passes: int = 4,
                     say: Callable[[str], None] = lambda message: None, retried: bool = False,
                     indexed: bool = False, halves: Callable[[], LatexResult | None] | None = None) -> LatexResult:
    """Compile ``workdir/<jobname>.tex`` to ``<jobname>.pdf``; ``timeout`` applies to each run.

    ``indexed``: the document has index entries (a cold first pass then starts from an empty index).
    ``halves``: typesets a pass that follows a whole pass of this run in parts at once, and returns its
    result when that pass settled the document (None: the whole pass runs).

    When the first pass fails outside the chapters while files read back from an
    earlier build are present (its ``.toc`` written for another document class,
    say), those files are deleted and the document is compiled once more from
    scratch.
    """
    started = time.perf_counter()
    result = LatexResult(ok=False)
    widths_read = DYNAMIC_WIDTHS in read_log(workdir / f"{jobname}.log")
    previous = _snapshot(workdir, jobname, widths_read=widths_read)
    index_digest: str | None = None
    (workdir / f"{jobname}.pdf").unlink(missing_ok=True)
    cold = not previous
    if cold and indexed:
        # The index lists itself in the contents: with an empty one the first pass's contents have it too.
        (workdir / f"{jobname}.ind").write_text(EMPTY_INDEX, encoding="utf-8")
    for number in range(1, max_passes + 1):
        # Nothing to read back yet: this pass only collects, no need to write the PDF. In a long
        # document, the second pass after a cold first one moves pages (references get their
        # numbers, chapters their contents): a third pass follows anyway.
        draft = not previous or (cold and number == 2 and _pages_so_far(workdir, jobname) >= LONG_DOCUMENT)
        if halves is not None and not draft and number >= 2:
            parts = halves()
            if parts is not None:
                parts.passes = number
                parts.seconds = time.perf_counter() - started
                return parts
        say(f"LaTeX pass {number}{' (draft)' if draft else ''}…")
        args = [ENGINE, *LATEX_OPTIONS, *(["--draftmode"] if draft else []), f"{jobname}.tex"]
        try:
            status = run_program(args, workdir, timeout, f"{jobname}.stdout")
        except TexTimeout:
            result.timed_out = True
            result.passes = number
            result.log = read_log(workdir / f"{jobname}.log")
            tail = "\n".join(result.log.splitlines()[-15:])
            result.error = LatexError(None, None, f"LaTeX did not finish within {timeout:g} s and was stopped "
                                      "(an endless loop in a macro or a figure?)", None, tail)
            clean_read_back(workdir, jobname)
            break
        result.passes = number
        result.log = read_log(workdir / f"{jobname}.log") or read_log(workdir / f"{jobname}.stdout")
        if status != 0:
            result.error = first_error(result.log) or LatexError(
                None, None, f"{ENGINE} exited with status {status}", None, "\n".join(result.log.splitlines()[-15:]))
            clean_read_back(workdir, jobname)
            # Read-back files are read from the main file (\tableofcontents, \begin{document}):
            # an error there, not in a chapter, may come from a stale one.
            stale = result.error.file is None or result.error.file.endswith((*READ_BACK, f"{jobname}.tex"))
            if number == 1 and previous and stale and not retried:
                # A file from an earlier build (another class, a crash) broke the first pass: start afresh.
                say("files from an earlier LaTeX run did not fit this document: starting afresh…")
                return _retry(workdir, jobname, timeout, max_passes, say, started, indexed)
            break
        index = workdir / f"{jobname}.idx"
        idx_hash = _file_hash(index)
        if idx_hash is not None and idx_hash != index_digest:
            try:
                run_program(["makeindex", "-q", f"{jobname}.idx"], workdir, timeout, f"{jobname}.makeindex")
            except TexTimeout:
                pass
            index_digest = idx_hash
        widths_read = DYNAMIC_WIDTHS in result.log
        current = _snapshot(workdir, jobname, widths_read=widths_read)
        if not draft and current == previous and not RERUN.search(result.log):
            result.ok = True
            break
        previous = current
    else:
        # Out of passes: the last one wrote a complete PDF whose references may still be stale.
        result.ok = result.error is None and (workdir / f"{jobname}.pdf").is_file()
        result.settled = False
    if result.ok and not (workdir / f"{jobname}.pdf").is_file():
        result.ok = False
        result.error = LatexError(None, None, "LaTeX wrote no PDF", None, "\n".join(result.log.splitlines()[-15:]))
    if result.ok:
        match = OUTPUT_WRITTEN.search(result.log)
        result.pages = int(match.group(1)) if match else 0
    result.seconds = time.perf_counter() - started
    return result


def compile_one(workdir: Path, jobname: str, include: str, *, timeout: float = 600.0) -> LatexResult:
    """One pass over ``workdir/<jobname>.tex`` that typesets, of its ``\\include``d files, ``include`` alone
    (book.tex reads ``\\bookincludeonly``); the others' pages and counters come from their ``.aux``."""
    started = time.perf_counter()
    result = LatexResult(ok=False, passes=1)
    source = f"\\def\\bookincludeonly{{{include}}}\\input{{{jobname}.tex}}"
    try:
        status = run_program([ENGINE, *LATEX_OPTIONS, f"-jobname={jobname}", source], workdir, timeout,
                             f"{jobname}.stdout")
    except TexTimeout:
        status = None
    result.log = read_log(workdir / f"{jobname}.log")
    result.ok = status == 0 and (workdir / f"{jobname}.pdf").is_file()
    result.seconds = time.perf_counter() - started
    return result


def _retry(workdir: Path, jobname: str, timeout: float, max_passes: int, say: Callable[[str], None],
           started: float, indexed: bool) -> LatexResult:
    result = compile_document(workdir, jobname, timeout=timeout, max_passes=max_passes, say=say, retried=True,
                              indexed=indexed)
    result.seconds = time.perf_counter() - started
    return result


def first_error(log: str) -> LatexError | None:
    """The first error of a LaTeX log written with ``-file-line-error``, or its first ``!`` line."""
    lines = log.splitlines()
    for number, text in enumerate(lines):
        match = FILE_LINE_ERROR.match(text)
        if match:
            file, line, message = match.group(1), int(match.group(2)), match.group(3).strip()
            break
        if text.startswith("! "):
            file, line, message = None, None, text[2:].strip()
            break
    else:
        return None
    context = []
    end = number + 1
    for end, row in enumerate(lines[number + 1:number + 30], start=number + 1):
        context.append(row)
        if re.match(r"^l\.\d+", row):
            end += 1  # the rest of the line LaTeX had not read yet
            break
    culprit = _culprit(message, context)
    excerpt = "\n".join(row for row in lines[number:end + 1] if row.strip()).rstrip()
    return LatexError(file, line, message, culprit, excerpt)


def _culprit(message: str, context: list[str]) -> str | None:
    """What LaTeX stopped at: the undefined control sequence, or the last word it read."""
    text_lines = [row for row in context if row.strip() and not row.startswith(("See the", "Type", "You're", "!"))]
    if not text_lines:
        return None
    if "Undefined control sequence" in message:
        for row in text_lines:
            names = re.findall(r"\\[A-Za-z@]+", row)
            if names:
                return names[-1]
    last = re.sub(r"^l\.\d+\s?", "", text_lines[-1] if text_lines[-1].startswith("l.") else text_lines[0]).rstrip()
    words = last.split()
    return words[-1] if words else None


def log_warnings(log: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(missing glyphs as (character, code point), undefined references) in a final log."""
    glyphs = list(dict.fromkeys((m.group(1), m.group(2)) for m in MISSING_GLYPH.finditer(log)))
    references = list(dict.fromkeys(m.group(1) for m in UNDEFINED_REFERENCE.finditer(log)))
    return glyphs, references
