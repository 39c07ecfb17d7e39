"""A chapter as LaTeX, and the way back from LaTeX to the ``.qmd``.

Before Pandoc converts a chapter, a ``% bookbuild: LINE FILE`` marker is put
before each of its blocks (:func:`with_markers`, which finds each block's line
in the chapter's text). When LuaLaTeX stops, :func:`latex_diagnostic` reads the
marker before the failing ``.tex`` line to report the error at the chapter's own
line (and column, when LaTeX named the culprit); :func:`log_diagnostics` turns
the final log's warnings into diagnostics at the first use of what they name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..check import LoadedChapter
from ..diagnostics import Diagnostic, error, warning
from ..project import Book
from .latex_run import LatexError, LatexResult, log_warnings

SOURCE_MARKER = "% bookbuild: "
SOURCE_MARKER_LINE = re.compile(r"^% bookbuild: (\d+) (.+)$")


@dataclass(frozen=True)
class ChapterTex:
    """One chapter as LaTeX: its file in the working folder and where it goes in the book."""

    loaded: LoadedChapter
    file: str  # relative to the working folder, e.g. chapters/01-ml_systems.tex
    number: str | None
    part: str | None  # the part's title
    highlighting: str
    part_page: bool = False  # the part's own page: its text follows \part, without a chapter heading
    appendix: bool = False


# --------------------------------------------------------------------------- source markers

class _Anchors:
    """Finds blocks of the AST in the chapter's text, in order, to say on which line each begins."""

    # A block's text is looked for this far ahead of the last one found (blocks made by the
    # build, such as a cell's output, are in no source, and a search of the whole rest of
    # the text for each made a long chapter quadratic); after a run of misses, once in the whole rest.
    WINDOW = 256_000
    MISSES_BEFORE_FULL_SEARCH = 8

    def __init__(self, loaded: LoadedChapter) -> None:
        self.text = loaded.chapter.text
        self.position = loaded.chapter.front_matter_span.end if loaded.chapter.front_matter_span else 0
        self.shown = loaded.shown
        self._line = self.text.count("\n", 0, self.position) + 1  # the line of ``position``
        self._misses = 0

    def line(self, block: dict[str, Any]) -> int | None:
        for needle in _needles(block):
            found = self._find(needle)
            if found is not None:
                # Found text never lies before ``position``: count the lines in between only.
                self._line += self.text.count("\n", self.position, found)
                self.position = found
                self._misses = 0
                return self._line
        self._misses += 1
        return None

    def _find(self, needle: str) -> int | None:
        pattern = r"\s+".join(re.sub(r"['’]", "['’]", re.escape(word)) for word in needle.split())
        if not pattern:
            return None
        search = re.compile(pattern).search
        match = search(self.text, self.position, self.position + self.WINDOW)
        if match is None and self._misses >= self.MISSES_BEFORE_FULL_SEARCH:
            match = search(self.text, self.position)
        return match.start() if match else None


def _needles(block: dict[str, Any]) -> list[str]:
    """Text that should appear in the source where the block begins, most specific first."""
    kind, content = block.get("t"), block.get("c")
    if kind in ("Para", "Plain"):
        return _inline_needles(content)
    if kind == "Header":
        ident = content[1][0]
        return [f"#{ident}", *_inline_needles(content[2])]
    if kind in ("RawBlock", "CodeBlock"):
        code = content[1]
        first = next((row.strip() for row in code.splitlines() if row.strip()), "")
        return [first[:80]] if first else []
    if kind == "Table":
        # The header row comes first in the source; the caption (with the label) after the table.
        head_rows = content[3][1]
        cells = [cell[4] for row in head_rows for cell in row[1]]
        first = next((blocks[0] for blocks in cells if blocks), None)
        needles = _needles(first) if first else []
        return needles + ([f"#{content[0][0]}"] if content[0][0] else [])
    if kind in ("Div", "Figure"):
        ident = content[0][0]
        needles = [f"#{ident}"] if ident else []
        if kind == "Div" and content[1]:
            needles.extend(_needles(content[1][0]))
        return needles
    if kind in ("BulletList", "OrderedList"):
        items = content if kind == "BulletList" else content[1]
        return _needles(items[0][0]) if items and items[0] else []
    if kind == "BlockQuote" and content:
        return _needles(content[0])
    return []


def _inline_needles(inlines: list[Any]) -> list[str]:
    """The block's leading raw LaTeX, or its first run of plain words (6, then 3 of them)."""
    if not inlines:
        return []
    first = inlines[0]
    if first.get("t") == "RawInline":
        return [first["c"][1].strip()[:80]]
    if first.get("t") == "Cite":
        return [f"@{first['c'][0][0]['citationId']}"]
    if first.get("t") == "Math":
        return [first["c"][1].strip()[:60]]
    words: list[str] = []
    for element in inlines:
        kind = element.get("t")
        if kind == "Str":
            if words and not words[-1].endswith(" "):
                words[-1] += element["c"]
            else:
                words.append(element["c"])
        elif kind in ("Space", "SoftBreak"):
            if words:
                words[-1] += " "
        elif kind in ("Emph", "Strong") and not words:
            return _inline_needles(element["c"])
        else:
            break
        if len(words) >= 6:
            break
    words = [w.strip() for w in words if w.strip()]
    needles = [" ".join(words[:6]), " ".join(words[:3])] if len(words) >= 3 else []
    return [n for n in dict.fromkeys(needles) if len(n) >= 12]


def with_markers(loaded: LoadedChapter, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put ``% bookbuild: LINE FILE`` before each block whose source line is found (and inside plain divs)."""
    anchors = _Anchors(loaded)

    def mark(items: list[dict[str, Any]], first: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for n, block in enumerate(items):
            line = anchors.line(block)
            if line is not None and (first or n > 0):
                out.append({"t": "RawBlock", "c": ["latex", f"{SOURCE_MARKER}{line} {loaded.shown}"]})
            if block.get("t") == "Div" and not block["c"][0][0].startswith("fig-"):
                # Inside a div (a callout, a conditional block), but never before its
                # first block: a callout may take its title from a first heading.
                block = {"t": "Div", "c": [block["c"][0], mark(block["c"][1], False)]}
            out.append(block)
        return out

    return mark(blocks, True)


# --------------------------------------------------------------------------- diagnostics

def _marker_before(path: Path, line: int) -> tuple[int, str, int] | None:
    """(qmd line, chapter file, tex line of the marker) of the last marker at or before ``line`` of a .tex file."""
    try:
        rows = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for number in range(min(line, len(rows)), 0, -1):
        match = SOURCE_MARKER_LINE.match(rows[number - 1])
        if match:
            return int(match.group(1)), match.group(2), number
    return None


def _next_marker_line(text: str, start: int) -> int | None:
    """The qmd line of the first marker after tex line ``start`` (to bound the search for the culprit)."""
    for row in text.splitlines()[start:]:
        match = SOURCE_MARKER_LINE.match(row)
        if match:
            return int(match.group(1))
    return None


def locate(workdir: Path, chapters: list[ChapterTex], error_: LatexError) -> tuple[ChapterTex | None, int, int]:
    """The chapter and (line, column) in its .qmd nearest to where LaTeX stopped."""
    if not error_.file or error_.line is None:
        return None, 1, 1
    relative = os.path.normpath(error_.file)
    chapter = next((c for c in chapters if os.path.normpath(c.file) == relative), None)
    if chapter is None:
        return None, 1, 1
    tex_path = workdir / chapter.file
    found = _marker_before(tex_path, error_.line)
    if found is None:
        return chapter, 1, 1
    qmd_line, _, marker_tex_line = found
    source = chapter.loaded.chapter.text.splitlines()
    if error_.culprit:
        following = _next_marker_line(tex_path.read_text(encoding="utf-8", errors="replace"), error_.line)
        end = max(following, qmd_line) if following else len(source)
        for number in range(qmd_line, min(end, len(source)) + 1):
            col = source[number - 1].find(error_.culprit)
            if col >= 0:
                return chapter, number, col + 1
    return chapter, qmd_line, 1


def latex_diagnostic(book: Book, workdir: Path, chapters: list[ChapterTex], result: LatexResult, jobname: str) -> Diagnostic:
    """An ``error[latex]`` at the chapter line nearest to where LaTeX stopped, with an excerpt of the log
    (``jobname``: the document's name in ``workdir``)."""
    failure = result.error or LatexError(None, None, "LaTeX failed", None, "")
    chapter, line, col = locate(workdir, chapters, failure)
    if chapter is None and result.timed_out:
        # Stopped in a loop: blame the last chapter file LaTeX had opened.
        reached = (workdir / f"{jobname}.progress").read_text(encoding="utf-8", errors="replace").split() \
            if (workdir / f"{jobname}.progress").is_file() else []
        chapter = next((c for c in chapters if reached and c.file == reached[-1]), None)
    message = failure.message.rstrip(".")
    if failure.culprit and failure.culprit not in message:
        message += f": {failure.culprit}"
    where = f"{workdir / failure.file}:{failure.line}" if failure.file and failure.line else str(workdir / f"{jobname}.log")
    hint = (f"the LaTeX source is {where}; fix the raw LaTeX, math or TikZ at this line of the chapter "
            "(if the line is plain Markdown, the LaTeX is bookbuild's: report it with that file)"
            if chapter else f"see {workdir / (jobname + '.log')}")
    file = chapter.loaded.shown if chapter else book.display_config
    return error("latex", file, line, f"LaTeX failed: {message}", col=col, detail=failure.excerpt or None, hint=hint)


def _first_use(chapters: list[ChapterTex], needle: str) -> tuple[str, int, int] | None:
    for chapter in chapters:
        text = chapter.loaded.chapter.text
        offset = text.find(needle)
        if offset >= 0:
            line = text.count("\n", 0, offset) + 1
            return chapter.loaded.shown, line, offset - (text.rfind("\n", 0, offset) + 1) + 1
    return None


def log_diagnostics(book: Book, chapters: list[ChapterTex], result: LatexResult) -> list[Diagnostic]:
    """Warnings from the final LaTeX log: glyphs no font has, references that stayed undefined, unsettled passes."""
    found = []
    glyphs, references = log_warnings(result.log)
    for char, code in glyphs:
        where = _first_use(chapters, char) or (book.display_config, 1, 1)
        found.append(warning("latex-glyph", where[0], where[1], f"no font of the PDF has the character {char!r} (U+{code}); "
                             "it is missing from the PDF", col=where[2],
                             hint="use another character, or add a font with it to the fallbacks in theme/latex-preamble.tex"))
    for label in references:
        where = _first_use(chapters, label) or (book.display_config, 1, 1)
        found.append(warning("latex-reference", where[0], where[1], f"LaTeX reference '{label}' is undefined in the PDF",
                             col=where[2]))
    if not result.settled:
        found.append(warning("latex-passes", book.display_config, 1,
                             f"references had not settled after {result.passes} LaTeX passes: some page numbers may be off"))
    return found
