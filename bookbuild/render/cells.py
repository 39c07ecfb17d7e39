"""A cell's outputs as Markdown, in Quarto's markup: one block per output, in the order they happened.

Each output is a ``cell-output`` div (``cell-output-stdout``, ``-stderr``,
``-display``, ``-error``) inside the cell's ``cell`` div, as Quarto writes them.
A displayed value shows the one representation the format prefers (Quarto's
order: HTML first in HTML; Markdown, then LaTeX, PDF and PNG in LaTeX; plain text
last). An HTML table is kept in LaTeX too: the crossref filter reads it into a
real table. ``output: asis`` writes text and Markdown as they are, without divs.
Figures take ``fig-cap``/``fig-subcap``/``fig-alt`` in order, as Quarto applies them.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from ..execute import CellResult
from ..execute.result import DISPLAY, ERROR, JPEG, PDF, PNG, RESULT, STREAM, SVG, CellOutput, Figure
from ..lint import ends_with_table
from ..qmd import Cell

PLAIN, HTML, MARKDOWN, LATEX = "text/plain", "text/html", "text/markdown", "text/latex"
IMAGE_MIMES = (SVG, PDF, PNG, JPEG)
#: Quarto's preference per format (its display-data rules); text/plain is always last.
PREFERENCE = {
    "html": (HTML, MARKDOWN, SVG, PNG, JPEG),
    "latex": (MARKDOWN, LATEX, PDF, PNG, JPEG),
}
TABLE_OPEN, TABLE_CLOSE = re.compile(r"<table\b", re.I), re.compile(r"</table>", re.I)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def has_html_table(data: Mapping[str, str]) -> bool:
    """A display whose HTML holds a table (a pandas DataFrame): Pandoc can read it into a real table."""
    html = data.get(HTML, "")
    return bool(TABLE_OPEN.search(html) and TABLE_CLOSE.search(html))


def _latex_is_math(latex: str) -> bool:
    text = latex.strip()
    return (text.startswith("$") and text.endswith("$")) or (text.startswith("\\begin{") and "\\end{" in text)


def choose_mime(output: CellOutput, figure: Figure | None, output_format: str) -> str | None:
    """The representation of a displayed value the format shows, or None when it has none to show."""
    available = {*output.data, *(figure.mimes if figure else ())}
    if LATEX in output.data and MARKDOWN not in output.data and _latex_is_math(output.data[LATEX]):
        available.add(MARKDOWN)  # math in LaTeX is Markdown math in every format, as in Quarto
    order = list(PREFERENCE["html" if output_format == "html" else "latex"])
    if HTML not in order and has_html_table(output.data):
        order.append(HTML)
    for mime in (*order, PLAIN):
        if mime in available:
            return mime
    return None


def markdown_of(output: CellOutput, mime: str) -> str:
    """The text of a chosen representation that Pandoc reads as Markdown."""
    if mime == MARKDOWN and MARKDOWN not in output.data:
        return output.data[LATEX].strip()
    return output.data[mime]


def cell_blocks(cell: Cell, result: CellResult, figure_paths: Mapping[tuple[int, int], str],
                output_format: str, asis: bool) -> list[str]:
    """The Markdown blocks of a cell's outputs, in order (a ``tbl-`` cell's last table captioned)."""
    figures = {f.number: f for f in result.figures}
    chosen = [(o, choose_mime(o, figures.get(o.figure), output_format) if o.kind in (DISPLAY, RESULT) else None)
              for o in result.outputs]
    shown = [o.figure for o, mime in chosen if mime in IMAGE_MIMES and (cell.index, o.figure) in figure_paths]
    images = figure_markdown(cell, shown, figures, figure_paths)
    table = _table_output(cell, chosen, asis)
    blocks: list[str] = []
    for position, (output, mime) in enumerate(chosen):
        block = _output_block(cell, output, mime, images, asis, captioned=position == table)
        if block:
            blocks.append(block)
    return blocks


def _output_block(cell: Cell, output: CellOutput, mime: str | None, images: dict[int, str], asis: bool,
                  captioned: bool = False) -> str:
    if output.kind == STREAM:
        text = output.text
        if not text.strip():
            return ""
        if asis and output.name == "stdout":
            return _with_caption(cell, text) if captioned else text
        return _div(f"cell-output-{output.name}", _code_block(text))
    if output.kind == ERROR:
        return _div("cell-output-error", _code_block(ANSI.sub("", output.text)))
    if mime is None:
        return ""
    if mime in IMAGE_MIMES:
        body = images.get(output.figure, "")
    elif mime == MARKDOWN:
        body = markdown_of(output, mime).strip("\n")
        body = _with_caption(cell, body) if captioned else body
    elif mime == HTML and captioned:
        # One numbered table: the crossref filter reads the HTML into a table and gives it the div's caption.
        body = f"::: {{#{cell.label}}}\n{_raw_block(output.data[HTML], 'html')}\n\n{cell.option('tbl-cap') or ''}\n:::"
    elif mime in (HTML, LATEX):
        body = _raw_block(output.data[mime], "html" if mime == HTML else "latex")
    else:
        body = _code_block(output.data[PLAIN])
    if not body:
        return ""
    return body if asis and mime in (MARKDOWN, HTML, LATEX) else _div("cell-output-display", body)


def _table_output(cell: Cell, chosen: list[tuple[CellOutput, str | None]], asis: bool,
                  labelled: bool = True) -> int | None:
    """Which output a ``tbl-`` cell's caption goes with: the last one shown, when it is a table
    (an HTML table, or Markdown, or with ``output: asis`` printed text, that ends with one)."""
    if labelled and not (cell.label or "").startswith("tbl-"):
        return None
    for position in range(len(chosen) - 1, -1, -1):
        output, mime = chosen[position]
        if output.kind == STREAM and asis and output.name == "stdout" and output.text.strip():
            return position if ends_with_table(output.text) else None
        if output.kind in (DISPLAY, RESULT) and mime is not None:
            if mime == HTML:
                return position if has_html_table(output.data) else None
            return position if mime == MARKDOWN and ends_with_table(markdown_of(output, mime)) else None
    return None


def last_shown_table(cell: Cell, result: CellResult) -> bool:
    """Whether the last output a cell shows (in HTML) is a table its ``tbl-`` caption can go with."""
    chosen = [(o, choose_mime(o, None, "html") if o.kind in (DISPLAY, RESULT) else None) for o in result.outputs]
    return _table_output(cell, chosen, cell.option("output", True) == "asis", labelled=False) is not None


def _with_caption(cell: Cell, text: str) -> str:
    """The caption and label right after the table, as a reader writes them."""
    return f"{text.rstrip()}\n\n: {cell.option('tbl-cap') or ''} {{#{cell.label}}}"


# --------------------------------------------------------------------------- figures

def figure_markdown(cell: Cell, shown: list[int], figures: Mapping[int, Figure],
                    paths: Mapping[tuple[int, int], str]) -> dict[int, str]:
    """The Markdown of each figure shown (by number), captions and alt text applied in order.

    With a ``fig-`` label: ``fig-subcap`` makes one figure of all of them (parts
    ``label-1``, ``label-2``, … placed where the first is shown); a list ``fig-cap``
    makes each its own figure, ``label-1``, ``label-2``…; else the first is the
    labelled figure. A list ``fig-alt`` gives each figure its own alt text.
    """
    label = cell.label if cell.label and cell.label.startswith("fig-") else None
    caption, alt, subcaptions = cell.option("fig-cap"), cell.option("fig-alt"), cell.option("fig-subcap")
    out: dict[int, str] = {}
    if label and isinstance(subcaptions, list) and len(shown) > 1:
        parts = []
        for n, number in enumerate(shown):
            sub = subcaptions[n] if n < len(subcaptions) else ""
            parts.append(f"![{sub}]({paths[(cell.index, number)]}){{#{label}-{n + 1} "
                         f".cell-figure{_image_attrs(_nth(alt, n), figures.get(number))}}}")
        layout = _layout_attrs(cell)
        tail = f"\n\n{caption}" if caption and not isinstance(caption, list) else ""
        out[shown[0]] = f"::: {{#{label}{layout}}}\n" + "\n\n".join(parts) + f"{tail}\n:::"
        for number in shown[1:]:
            out[number] = ""
        return out
    for n, number in enumerate(shown):
        image = f"![]({paths[(cell.index, number)]}){{.cell-figure{_image_attrs(_nth(alt, n), figures.get(number))}}}"
        if label and isinstance(caption, list):
            cap = f"\n\n{caption[n]}" if n < len(caption) and caption[n] else ""
            out[number] = f"::: {{#{label}-{n + 1}}}\n{image}{cap}\n:::"
        elif label and n == 0:
            cap = f"\n\n{caption}" if caption else ""
            out[number] = f"::: {{#{label}}}\n{image}{cap}\n:::"
        else:
            out[number] = image
    return out


def _nth(value: Any, n: int) -> Any:
    """The n-th of a list option, or the option itself for every figure."""
    if isinstance(value, list):
        return value[n] if n < len(value) else None
    return value


def _layout_attrs(cell: Cell) -> str:
    """The figure's layout options as its div's attributes (``layout-ncol``, ``layout-nrow``, ``layout``, …)."""
    out = ""
    for key in ("layout-ncol", "layout-nrow"):
        value = cell.option(key)
        if isinstance(value, int) and not isinstance(value, bool):
            out += f" {key}={value}"
    spec = cell.option("layout")
    if isinstance(spec, list):
        out += f' layout="{_attr(json.dumps(spec, separators=(",", ":")))}"'
    for key in ("layout-align", "layout-valign"):
        value = cell.option(key)
        if isinstance(value, str):
            out += f' {key}="{_attr(value)}"'
    return out


def _image_attrs(alt: Any, figure: Figure | None) -> str:
    attrs = f' fig-alt="{_attr(alt)}"' if isinstance(alt, str) and alt else ""
    if figure is not None and figure.width:
        attrs += f' width="{figure.width}px"'  # a retina image shows at half its pixels
    return attrs


# --------------------------------------------------------------------------- markup

def _div(kind: str, body: str) -> str:
    return f"::: {{.cell-output .{kind}}}\n{body}\n:::"


def _code_block(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text.rstrip()}\n{fence}"


def _raw_block(text: str, raw_format: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{{={raw_format}}}\n{text.strip()}\n{fence}"


def _attr(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"')
