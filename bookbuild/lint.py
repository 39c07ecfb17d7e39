"""Prose-claim lint: places where the prose and its computed values may disagree (warnings).

- ``inline-in-math``: an inline value inside ``$…$`` math is typeset as math
  (a thousands comma becomes punctuation, units italic); the value belongs outside.
- ``hand-number``: in a ``callout-notebook`` calculation, a result written by hand
  (``= 36 ms``) with no inline value near it will go stale when its inputs change.
- ``claim-contradiction``: "A is more/less than B" where A and B are computed
  values whose numbers say otherwise.

Pure functions over a parsed chapter and its values.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterable

from .diagnostics import Diagnostic, warning
from .execute import CellResult, InlineValue
from .qmd import Cell, Chapter, LineIndex

DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])(?:[^$\\\n]|\\.)+?(?<![\s\\])\$(?!\d)")
NOTEBOOK_OPEN = re.compile(r"^:{3,}\s*\{[^}\n]*\.callout-notebook\b[^}\n]*\}\s*$", re.M)
DIV_FENCE = re.compile(r"^(:{3,})(.*)$", re.M)
HAND_RESULT = re.compile(r"(?:(?<=\s)=|≈)\s*~?\$?\d[\d,]*(?:\.\d+)?\s*(?:[A-Za-zµ%][A-Za-z/%]*)?")
COMPARISON = re.compile(r"\b(more|greater|larger|higher|bigger|faster|longer|less|fewer|smaller|lower|slower|shorter)\s+than\b",
                        re.I)
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
NEAR = 80  # characters: how close an inline value must be to count as "near"


TABLE_ROW = re.compile(r"^\s*[|+]")


def ends_with_table(markdown: str) -> bool:
    """True when a cell's Markdown output ends with a pipe or grid table (a caption can follow it)."""
    lines = markdown.strip().splitlines()
    return bool(lines) and TABLE_ROW.match(lines[-1]) is not None and len(lines) >= 2


def prints_table_last(cell: Cell, result: CellResult) -> bool:
    """True when what a cell leaves in the document last is a table: an HTML table (a pandas
    DataFrame), a Markdown display or, with ``output: asis``, printed output that ends with one."""
    from .render.cells import last_shown_table  # the renderer's own rule, so the check and the page agree

    return last_shown_table(cell, result)


def lint_chapter(chapter: Chapter, values: Iterable[InlineValue]) -> list[Diagnostic]:
    """All prose-claim warnings of one executed chapter."""
    texts = {v.index: v.text for v in values}
    prose = _with_placeholders(chapter, chapter.prose, texts)
    index = LineIndex(chapter.text)
    return [*_inline_in_math(chapter, prose), *_hand_numbers(chapter, prose, index),
            *_contradictions(chapter, texts)]


def _with_placeholders(chapter: Chapter, prose: str, texts: dict[int, str | None]) -> str:
    """The masked prose with each inline expression as a run of one character standing for
    its value (a digit if the value starts with one), so that ``$`` around values pairs up
    as Pandoc pairs it: ``costs $`{python} x` and $`{python} y``` is no math."""
    pieces, position = [], 0
    for inline in chapter.inlines:
        text = texts.get(inline.index) or "V"
        pieces += [prose[position:inline.span.start], ("0" if text[0].isdigit() else "V") * (inline.span.end - inline.span.start)]
        position = inline.span.end
    pieces.append(prose[position:])
    return "".join(pieces)


def math_spans(prose: str) -> list[tuple[int, int]]:
    """Offsets of ``$$…$$`` and ``$…$`` math (Pandoc's rules, roughly) in masked prose."""
    spans = [(m.start(), m.end()) for m in DISPLAY_MATH.finditer(prose)]
    rest = DISPLAY_MATH.sub(lambda m: " " * len(m.group()), prose)
    spans += [(m.start(), m.end()) for m in INLINE_MATH.finditer(rest)]
    return spans


def inlines_in_math(chapter: Chapter, texts: dict[int, str | None], prose: str | None = None) -> set[int]:
    """Indices of the inline expressions that stand inside math (``prose``: the placeholder
    prose when the caller has it already)."""
    if prose is None:
        prose = _with_placeholders(chapter, chapter.prose, texts)
    spans = sorted(math_spans(prose))
    starts = [start for start, _ in spans]
    inside = set()
    for inline in chapter.inlines:
        k = bisect.bisect_left(starts, inline.span.start) - 1
        if k >= 0 and inline.span.end < spans[k][1]:
            inside.add(inline.index)
    return inside


def _inline_in_math(chapter: Chapter, prose: str) -> list[Diagnostic]:
    inside = inlines_in_math(chapter, {}, prose)
    found = []
    for inline in chapter.inlines:
        if inline.index in inside:
            found.append(warning("inline-in-math", chapter.path, inline.line,
                                 f"inline value `{inline.expr}` sits inside $…$ math, where its text is typeset as math",
                                 col=inline.col, hint="move the value out of the math, or produce LaTeX for it (e.g. with sci_latex)"))
    return found


def notebook_regions(text: str) -> list[tuple[int, int]]:
    """Offsets of the bodies of ``.callout-notebook`` divs (nested divs included)."""
    regions = []
    for opening in NOTEBOOK_OPEN.finditer(text):
        depth, position = 1, opening.end()
        for fence in DIV_FENCE.finditer(text, opening.end()):
            depth += 1 if fence.group(2).strip() else -1
            position = fence.start()
            if depth == 0:
                break
        regions.append((opening.end(), position))
    return regions


def _hand_numbers(chapter: Chapter, prose: str, index: LineIndex) -> list[Diagnostic]:
    math = math_spans(prose)
    found = []
    for start, end in notebook_regions(prose):
        for match in HAND_RESULT.finditer(prose, start, end):
            if any(a <= match.start() < b for a, b in math):
                continue
            if any(_near(chapter.text, match.start(), i.span.start, i.span.end) for i in chapter.inlines):
                continue
            line, col = index.position(match.start())
            found.append(warning("hand-number", chapter.path, line,
                                 f"'{match.group().strip()}' is a result written by hand in a worked calculation",
                                 col=col, hint="compute it in a cell and inline it, so it cannot go stale"))
    return found


def _near(text: str, offset: int, start: int, end: int) -> bool:
    """An inline span within NEAR characters of ``offset``, in the same paragraph."""
    low, high = (min(offset, start), max(offset, end))
    return min(abs(start - offset), abs(end - offset)) <= NEAR and "\n\n" not in text[low:high]


def leading_number(text: str | None) -> float | None:
    """The first number in a value's text (``~$1,234/year`` -> 1234.0), or None."""
    if not text:
        return None
    match = NUMBER.search(text)
    return float(match.group().replace(",", "")) if match else None


def _contradictions(chapter: Chapter, texts: dict[int, str | None]) -> list[Diagnostic]:
    found = []
    inlines = chapter.inlines
    for left, right in zip(inlines, inlines[1:]):
        between = chapter.text[left.span.end:right.span.start]
        if len(between) > 60 or "\n\n" in between:
            continue
        claim = COMPARISON.search(between)
        a, b = leading_number(texts.get(left.index)), leading_number(texts.get(right.index))
        if not claim or a is None or b is None:
            continue
        bigger = claim.group(1).lower() in ("more", "greater", "larger", "higher", "bigger", "faster", "longer")
        if (bigger and a <= b) or (not bigger and a >= b):
            found.append(warning("claim-contradiction", chapter.path, left.line,
                                 f"the prose says {texts[left.index]!r} is {claim.group(0)} {texts[right.index]!r}",
                                 col=left.col, hint="the computed values no longer support the comparison: fix the inputs or the sentence"))
    return found
