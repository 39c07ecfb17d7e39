"""How a cell's code is shown, as Quarto shows it: pure Markdown text for Pandoc.

A cell is a ``div.cell`` (with its ``classes`` and ``panel-*``), its code a
``cell-code`` block: with ``echo: fenced`` the cell as written (fence and ``#|``
lines), numbered lines with ``code-line-numbers``, wrapped long lines with
``code-overflow: wrap``, a numbered listing with ``lst-label``/``lst-cap``, and,
on the website, a ``<details class="code-fold">`` with ``code-fold`` (``show``:
open), its ``<summary>`` the ``code-summary`` text. The PDF shows folded code
unfolded, as Quarto does.
"""

from __future__ import annotations

import html
import re

from ..celloptions import CellOptions
from ..qmd import Cell

OPTION_LINE = re.compile(r"^#\|")
BACKTICK_RUN = re.compile(r"`{3,}")
# Pandoc puts a code block's classes on its <pre>; Quarto's markup has them on the div around it too.
PANDOC_CODE_DIV = re.compile(r'<div class="sourceCode" (id="[^"]*")><pre\s+class="sourceCode ([^"]*\bcell-code\b[^"]*)"')


def code_markdown(cell: Cell, options: CellOptions, output_format: str) -> str | None:
    """The cell's code as a Markdown code block (None when it is not shown)."""
    if not options.shows_code:
        return None
    if options.echo == "fenced":
        body, language = f"```{{python}}\n{cell.code.rstrip()}\n```", "markdown"
    else:
        body = "".join(row for row in cell.code.splitlines(keepends=True) if not OPTION_LINE.match(row)).strip("\n")
        language = "python"
    attrs = [f".{language}", ".cell-code"]
    if options.code_line_numbers is not False:
        attrs.append(".numberLines")
    if options.code_overflow == "wrap":
        attrs.append(".code-overflow-wrap")
    if options.lst_label:  # a numbered listing (bookbuild/render/filters/crossref.lua captions it)
        attrs.insert(0, f"#{options.lst_label}")
        if options.lst_cap:
            attrs.append(f'lst-cap="{_attr(options.lst_cap)}"')
    fence = _fence(body)
    block = f"{fence}{{{' '.join(attrs)}}}\n{body}\n{fence}"
    if options.code_fold is not False and output_format == "html":
        opened = " open" if options.code_fold == "show" else ""
        summary = html.escape(options.code_summary)
        block = f'<details class="code-fold"{opened}>\n<summary>{summary}</summary>\n\n{block}\n\n</details>'
    return block


def wraps(options: CellOptions) -> bool:
    """Whether the cell is a ``div.cell``: always, as in Quarto, except an ``output: asis`` cell that shows
    only its output (raw Markdown "with no enclosing containers") and names no classes or panel."""
    if options.classes or options.panel is not None:
        return True
    return not (options.output == "asis" and not options.shows_code)


def cell_div(blocks: list[str], options: CellOptions) -> str:
    """The cell's blocks inside ``:::: {.cell …}``, with the cell's ``classes`` and ``panel-*`` class."""
    classes = ["cell", *options.classes, *([f"panel-{options.panel}"] if options.panel else [])]
    attrs = " ".join(f".{name}" for name in classes)
    return f":::: {{{attrs}}}\n" + "\n\n".join(blocks) + "\n::::"


def quarto_code_divs(page: str) -> str:
    """Pandoc's HTML for a ``cell-code`` block with Quarto's ``div.sourceCode.cell-code`` around the ``<pre>``."""
    return PANDOC_CODE_DIV.sub(lambda m: f'<div class="sourceCode cell-code" {m[1]}><pre class="sourceCode {m[2]}"', page)


def _fence(body: str) -> str:
    longest = max((len(run) for run in BACKTICK_RUN.findall(body)), default=0)
    return "`" * max(3, longest + 1)


def _attr(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
