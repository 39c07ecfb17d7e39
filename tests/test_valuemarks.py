"""Values marked for Pandoc's reader (bookbuild/render/valuemarks.py) read as the Markdown span would.

Real Pandoc reads each document twice: with every value written as the Markdown span
``[text]{.computed data-value="N"}``, and with the values that can be marked written
between the marks; after :func:`spans_from_marks` the two JSON texts must be equal byte
for byte. Where the span's own length changes what Pandoc makes (a pipe table's column
widths), the marked reading must agree with the bare values instead, as Quarto has them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bookbuild.render import valuemarks
from bookbuild.render.markdown import marked_value
from bookbuild.render.pandoc import markdown_to_json
from conftest import build_site

#: Each ``{v:TEXT}`` is an inline value whose text is TEXT.
VALUE = re.compile(r"\{v:([^}]*)\}")
DOCUMENT = """
# A chapter {#sec-ch}

The link carries {v:125 Gb/s} of traffic ({v:3.2%} of it overhead), about {v:1,024} frames.
{v:42} starts this line, and e.g. {v:7 µs} follows an abbreviation; a ratio of {v:2.5×} ends it.

## What {v:1.0 ms} means {#sec-means}

*About {v:12} steps* and **{v:64} samples**, [a link with {v:9 GB/s} in it](#sec-ch), [see {v:3}].[^a]

[^a]: A note holding {v:100 W}, then {v:0.5}; a last one: {v:−3 dB}.

- an item of {v:8} cores
- {v:16} at the start of an item

| part | value |
|------|-------|
| link | {v:400 Gb/s} |

Values glued to words: x{v:5}y, {v:5}% and {v:6}–{v:7}, or {v:Fig. 2} and {v:a--b} kept as spans.
A value {v:1} in `code` and one in an address: [x](https://example.org/{v:page}).
"""


def _document(template: str, mode: str) -> str:
    """The document with its values as spans ("span"), marks where they can be ("marks"), or bare ("bare")."""
    pieces, position = [], 0
    for index, match in enumerate(VALUE.finditer(template)):
        start, end, text = match.start(), match.end(), match.group(1)
        pieces.append(template[position:start])
        before, after = template[max(0, start - 2):start], template[end:end + 1]
        if mode == "bare":
            pieces.append(text)
        elif mode == "marks" and valuemarks.can_mark(text, before, after):
            pieces.append(valuemarks.marked(text, index))
        else:
            pieces.append(marked_value(text, index, before=before[-1:]))
        position = end
    return "".join(pieces) + template[position:]


def _read(markdown: str, folder: Path) -> str:
    return valuemarks.spans_from_marks(markdown_to_json(markdown, cwd=folder))


def test_marked_values_read_as_their_spans(tmp_path):
    marked = _document(DOCUMENT, "marks")
    # 18 of the 25 are marked; glued to a word or a mark of emphasis, before a bracket, after a dash or in
    # an address, or with an abbreviation or a double dash in it, the other 7 keep the span.
    assert marked.count(valuemarks.START) == 18
    assert _read(marked, tmp_path) == _read(_document(DOCUMENT, "span"), tmp_path)


def test_spans_carry_the_value_index_and_text(tmp_path):
    ast = json.loads(_read(_document(DOCUMENT, "marks"), tmp_path))
    spans = []

    def visit(node):
        if isinstance(node, dict):
            if node.get("t") == "Span" and "computed" in node["c"][0][1]:
                spans.append((dict(node["c"][0][2])["data-value"], _text(node["c"][1])))
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(ast["blocks"])
    texts = [match.group(1) for match in VALUE.finditer(DOCUMENT)]
    expected = [(str(n), text) for n, text in enumerate(texts) if text != "page"]  # (the address holds no span)
    assert spans == expected
    assert valuemarks.MARK_CHARS.search(json.dumps(ast, ensure_ascii=False)) is None


def _text(inlines):
    return "".join(" " if i["t"] == "Space" else i.get("c", "") for i in inlines).replace("\u2013", "--")


def test_a_heading_holding_a_marked_value_keeps_its_id(tmp_path):
    doc = "## Time of {v:1.0 ms} here\n\nText.\n"
    ids = [json.loads(_read(_document(doc, mode), tmp_path))["blocks"][0]["c"][1][0] for mode in ("marks", "span")]
    assert ids == ["time-of-1.0-ms-here"] * 2


def test_a_pipe_table_is_sized_as_with_the_bare_values(tmp_path):
    # The row is 64 characters with bare values: a span (30 more) would take it past Pandoc's 72
    # columns, and the table would get relative widths, which Quarto's does not have.
    doc = "| quantity | first | second |\n|---|---|---|\n| a long-named quantity | {v:125 Gb/s} | {v:1.0 ms} |\n"
    widths = {mode: re.findall(r'"ColWidth[^}]*\}', markdown_to_json(_document(doc, mode), cwd=tmp_path))
              for mode in ("marks", "bare", "span")}
    assert widths["marks"] == widths["bare"] == ['"ColWidthDefault"}'] * 3
    assert widths["span"] != widths["bare"]


def test_a_mark_where_no_span_can_go_leaves_the_bare_value(tmp_path):
    doc = "See [the page](https://example.org/ {v:page}) and <!-- {v:42} -->\n"
    text = _read(_document(doc, "marks"), tmp_path)
    assert valuemarks.MARK_CHARS.search(text) is None
    inlines = json.loads(text)["blocks"][0]["c"]
    assert inlines[2]["c"][2][0] == "https://example.org/%20page"
    assert inlines[-1] == {"t": "RawInline", "c": ["html", "<!-- 42 -->"]}


@pytest.mark.parametrize(("text", "before", "after", "expected"), [
    ("125 Gb/s", "a ", " ", True), ("3.2%", " (", ")", True), ("−3 dB", "", "", True), ("7 µs", "\n", ".", True),
    ("5", "x", "y", False),  # glued to a word
    ("Fig. 2", " ", " ", False),  # Pandoc puts a no-break space after an abbreviation
    ("a--b", " ", " ", False), ("a...", " ", " ", False), ("two  spaces", " ", " ", False),
    ("*5*", " ", " ", False), ("[5]", " ", " ", False), ("5 ", " ", " ", False), ("", " ", " ", False),
    ("page", "](", ")", False),  # a link's address
    ("it's", " ", " ", False), ("a_b", " ", " ", False), ("$x$", " ", " ", False),
])
def test_what_may_be_marked(text, before, after, expected):
    assert valuemarks.can_mark(text, before, after) is expected


def test_a_chapter_holding_tag_characters_is_written_with_spans(book_factory, tmp_path):
    flag = "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"  # England's flag: tags inside
    root = book_factory({"ch.qmd": f"""
        # Flags

        ```{{python}}
        n = "12"
        ```

        The flag {flag} flies over `{{python}} n` towers.
        """})
    status, stdout, _ = build_site(root, tmp_path / "site", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout
    page = (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")
    assert f'The flag {flag} flies over <span class="computed" data-value="0">12</span> towers.' in page


def test_a_marked_page_shows_each_value_in_its_span(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Values

        ```{python}
        rate = "125 Gb/s"
        share = "3.2"
        ```

        A link of `{python} rate` (`{python} share`% of it spare).

        | link | rate |
        |------|------|
        | one  | `{python} rate` |
        """})
    status, stdout, _ = build_site(root, tmp_path / "site", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout
    page = (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")
    assert ('A link of <span class="computed" data-value="0">125 Gb/s</span> '
            '(<span class="computed" data-value="1">3.2</span>% of it spare).') in page
    assert '<td><span class="computed" data-value="2">125 Gb/s</span></td>' in page
    assert valuemarks.MARK_CHARS.search(page) is None
