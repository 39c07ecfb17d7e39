"""ExecutedChapter -> the Markdown Pandoc reads: values substituted, cells replaced by their output.

Pure text assembly: every input (values, figure files, TikZ results) is given;
nothing runs here. The chapter's own text is copied through untouched between
the spans the parser recorded, so whatever Pandoc does with the rest of the
Markdown is exactly what it would do with the author's file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..cache import Cache
from ..celloptions import resolve
from ..chapterfacts import cached, values_text
from ..execute import CellResult, ExecutedChapter
from ..lint import inlines_in_math
from ..qmd import Cell, FencedBlock, InlineExpr, Span
from .cellcode import cell_div, code_markdown, wraps
from .cells import cell_blocks
from .tikz import unbalanced
from . import valuemarks

TIKZ_INFO = re.compile(r"^\{?\s*\.tikz\b")
# Quarto's escaped cell, ```{{python}}: shown, fence and all, as ```{python} (never run).
ESCAPED_CELL_INFO = re.compile(r"^\{(\{+[^<}]+\}+)\}$")
# A line of only LaTeX index entries glued to the footnote definition below it.
INDEX_BEFORE_NOTE = re.compile(r"^((?:\\index\{[^\n]*\}\s*)+)\n(?=\[\^[^\]\n]+\]:)", re.M)


@dataclass(frozen=True)
class AssemblyInputs:
    """What the assembler substitutes, besides the executed chapter itself.

    ``figure_paths`` maps (cell index, figure number) to the image's URL as the
    page will reference it; ``tikz_paths`` maps a TikZ block's start offset to its
    SVG URL, or to None when it failed to compile (in LaTeX, only the failed ones are
    given: the others are typeset as they are).
    """

    figure_paths: Mapping[tuple[int, int], str]
    tikz_paths: Mapping[int, str | None]
    output_format: str = "html"
    mark_values: bool = False  # wrap each value in a span of class "computed", data-value=N (HTML provenance)
    shortcodes: Mapping[Span, str] = field(default_factory=dict)  # where -> expansion (see shortcodes.py)
    unmarkable: frozenset[int] | None = None  # :func:`unmarkable_values`, when the caller has it (from the cache)


def assemble(executed: ExecutedChapter, inputs: AssemblyInputs) -> str:
    """The chapter's Markdown with every computed piece in place.

    Marked values (``inputs.mark_values``) are written as :mod:`valuemarks` marks where they
    can be, unless the chapter or its outputs hold the marks' characters themselves."""
    cheap = inputs.mark_values and not valuemarks.holds_mark_chars(executed.chapter.text)
    markdown, marks = _assembled(executed, inputs, cheap_marks=cheap)
    if cheap and len(valuemarks.MARK_CHARS.findall(markdown)) != marks:  # an output or value holds them
        markdown, _ = _assembled(executed, inputs, cheap_marks=False)
    return markdown


def _assembled(executed: ExecutedChapter, inputs: AssemblyInputs, *, cheap_marks: bool) -> tuple[str, int]:
    """The chapter's Markdown, and how many characters the value marks in it take."""
    chapter = executed.chapter
    text = chapter.text
    values = {v.index: v for v in executed.values}
    results = {c.index: c for c in executed.cells}
    unmarkable = (inputs.unmarkable if inputs.unmarkable is not None else unmarkable_values(executed)) \
        if inputs.mark_values else frozenset()
    pieces: list[str] = []
    marks = 0
    position = chapter.front_matter_span.end if chapter.front_matter_span else 0
    outside, inside = _place_expansions(chapter.blocks, inputs.shortcodes)
    spans: list[Cell | InlineExpr | FencedBlock | _Expansion] = sorted(
        [*chapter.cells, *chapter.inlines, *chapter.blocks, *outside],
        key=lambda item: item.span.start,
    )
    for item in spans:
        pieces.append(text[position : item.span.start])
        if isinstance(item, _Expansion):
            pieces.append(item.text)
        elif isinstance(item, InlineExpr):
            value = _inline_text(item, values.get(item.index))
            if inputs.mark_values and item.index not in unmarkable:
                before, after = text[max(0, item.span.start - 2):item.span.start], text[item.span.end:item.span.end + 1]
                if cheap_marks and valuemarks.can_mark(value, before, after):
                    marked = valuemarks.marked(value, item.index)
                    marks += len(marked) - len(value)
                    value = marked
                else:
                    value = marked_value(value, item.index, before=before[-1:])
            pieces.append(value)
        elif isinstance(item, Cell):
            pieces.append(_cell_markdown(item, results.get(item.index), inputs))
        elif TIKZ_INFO.match(item.info):
            pieces.append(_tikz_markdown(item, inputs))
        elif ESCAPED_CELL_INFO.match(item.info):
            pieces.append(_escaped_cell_markdown(item))
        else:
            pieces.append(_replaced(text, item.span, inside.get(item.span.start, [])))
        position = item.span.end
    pieces.append(text[position:])
    return separate_note_definitions("".join(pieces)), marks


@dataclass(frozen=True)
class _Expansion:
    """A shortcode's place in the text and what replaces it."""

    span: Span
    text: str


def _place_expansions(blocks: tuple[FencedBlock, ...], shortcodes: Mapping[Span, str]
                      ) -> tuple[list[_Expansion], dict[int, list[_Expansion]]]:
    """The expansions in the prose, and those inside a fenced block (a raw ```{=html} one), by the block's start."""
    starts = sorted(b.span.start for b in blocks)
    ends = {b.span.start: b.span.end for b in blocks}
    outside: list[_Expansion] = []
    inside: dict[int, list[_Expansion]] = {}
    for span, replacement in sorted(shortcodes.items(), key=lambda item: item[0].start):
        at = bisect.bisect_right(starts, span.start) - 1
        if at >= 0 and span.end <= ends[starts[at]]:
            inside.setdefault(starts[at], []).append(_Expansion(span, replacement))
        else:
            outside.append(_Expansion(span, replacement))
    return outside, inside


def _replaced(text: str, span: Span, expansions: list[_Expansion]) -> str:
    """The text of ``span`` with the expansions (in order, inside it) in place."""
    pieces, position = [], span.start
    for expansion in expansions:
        pieces += [text[position:expansion.span.start], expansion.text]
        position = expansion.span.end
    return "".join(pieces) + text[position:span.end]


def separate_note_definitions(markdown: str) -> str:
    """Put a blank line between an ``\\index{…}`` line and a footnote definition right below it.

    Pandoc would read the two lines as one paragraph, leaving the definition as
    literal ``[^label]:`` text; the author plainly meant the index entry to sit
    beside the note (it is a LaTeX command with nothing to show in the text).
    """
    return INDEX_BEFORE_NOTE.sub(lambda m: m.group(1).rstrip() + "\n\n", markdown)


def marked_value(text: str, index: int, before: str = "") -> str:
    """A value wrapped in a ``computed`` span that says which inline it is (``data-value``).

    A native Markdown span, ``[text]{.computed data-value="N"}``: Pandoc reads it
    into the same Span as the raw HTML ``<span class="computed" …>`` would be, in
    linear time, where each raw HTML span costs it a search ahead for its closing
    tag (a chapter of 2.5 MB took 7 GB). Text whose brackets would end the span
    early, or a value right after ``!``, ``^`` or ``\\`` (``![``, ``^[`` and ``\\[``
    mean something else), keeps the raw HTML form.
    """
    if before not in ("!", "^", "\\") and _brackets_balanced(text):
        return f'[{text}]{{.computed data-value="{index}"}}'
    return f'<span class="computed" data-value="{index}">{text}</span>'


def _brackets_balanced(text: str) -> bool:
    """Whether every ``]`` in the text closes a ``[`` of its own (backslash escapes skipped)."""
    depth, escaped = 0, False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not escaped


def cached_unmarkable(cache: Cache | None, executed: ExecutedChapter) -> frozenset[int]:
    """:func:`unmarkable_values`, from the cache when an earlier build computed it for the same text and values."""
    def read(rows: Any) -> frozenset[int]:
        if not isinstance(rows, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in rows):
            raise TypeError("expected a list of integers")
        return frozenset(rows)
    return cached(cache, "unmarkable", executed.chapter, values_text(executed.values),
                  lambda: unmarkable_values(executed), sorted, read)


def unmarkable_values(executed: ExecutedChapter) -> frozenset[int]:
    """Values that cannot take a wrapper: inside math, or inside an attribute's quotes.

    A function of the chapter's text and its values' text only (kept in the cache: see book.py)."""
    chapter = executed.chapter
    texts = {v.index: v.text for v in executed.values}
    inside = inlines_in_math(chapter, texts)
    for inline in chapter.inlines:
        line_start = chapter.text.rfind("\n", 0, inline.span.start) + 1
        before = chapter.text[line_start:inline.span.start]
        brace = before.rfind("{")
        if brace >= 0 and "}" not in before[brace:] and before[brace:].count('"') % 2 == 1:
            inside.add(inline.index)
    return frozenset(inside)


def _inline_text(inline: InlineExpr, value: Any) -> str:
    if value is not None and value.text is not None:
        return value.text
    # A failed value stays visible in the page (the build reports it as an error too).
    return f"[⚠ `{inline.expr}`]{{.inline-error}}"


def _cell_markdown(cell: Cell, result: CellResult | None, inputs: AssemblyInputs) -> str:
    """What a cell leaves in the document: its code if echoed, its output, its figures.

    ``cell`` carries the options it inherits (see :mod:`bookbuild.celloptions`)."""
    options = resolve(cell.options)
    blocks: list[str] = []
    code = code_markdown(cell, options, inputs.output_format)
    if code is not None:
        blocks.append(code)
    if result is not None and options.shows_output:
        blocks.extend(cell_outputs(cell, result, inputs))
    if not blocks:
        return ""
    body = cell_div(blocks, options) if wraps(options) else "\n\n".join(blocks)
    return "\n\n" + body + "\n\n"


def cell_outputs(cell: Cell, result: CellResult, inputs: AssemblyInputs) -> list[str]:
    """A cell's outputs in order, each in Quarto's markup for the format (render/cells.py)."""
    return cell_blocks(cell, result, inputs.figure_paths, inputs.output_format,
                       asis=cell.option("output", True) == "asis")


def _escaped_cell_markdown(block: FencedBlock) -> str:
    """```` ```{{python}} ```` as Quarto shows it: a Markdown code block holding the cell as ```` ```{python} ````."""
    opening = "```" + ESCAPED_CELL_INFO.match(block.info).group(1)  # type: ignore[union-attr]
    body = f"{opening}\n{block.code.rstrip(chr(10))}\n```"
    fence = "`" * max(4, max((len(run) for run in re.findall("`+", body)), default=0) + 1)
    return f"{fence}{{.markdown}}\n{body}\n{fence}\n"


def _tikz_markdown(block: FencedBlock, inputs: AssemblyInputs) -> str:
    """LaTeX typesets TikZ natively; other formats show the compiled SVG."""
    if unbalanced(block.code) is not None:
        return "[⚠ TikZ figure left out: its braces do not pair up]{.tikz-error}\n"  # the check's error says where
    if inputs.output_format == "latex" and inputs.tikz_paths.get(block.span.start, "") is not None:
        fence = "```"
        while fence in block.code:
            fence += "`"
        return f"{fence}{{=latex}}\n{block.code.rstrip()}\n{fence}\n"
    path = inputs.tikz_paths.get(block.span.start)
    if path is None:
        return "[⚠ TikZ figure failed to compile]{.tikz-error}\n"
    return f"![]({path}){{.tikz}}\n"
