"""A chapter's Markdown read by Pandoc in pieces (bookbuild/render/readpieces.py) is the JSON one run writes.

Real Pandoc reads every document here twice, whole and in pieces (the sizes lowered so
that a small document is cut at most of its sections), and the texts must be equal byte
for byte. The document holds what the reader counts or resolves through a document:
citations and notes (``citationNoteNum``), footnotes, headings' ids, cross-references,
divs, code fences, tables, equations. Then each thing that must keep a document whole is
added to it, and the reading must not cut it (or must give up), with the same result.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bookbuild.render import readpieces
from bookbuild.render.pandoc import markdown_to_json

SECTION = """
## Part {n} {{#sec-part-{n}}}

:::: {{.cell}}
```{{.python .cell-code}}
value_{n} = {n} * 3
```

::: {{.cell-output .cell-output-stdout}}
```
part {n}
```
:::
::::

Part {n} holds [{n}]{{.computed data-value="{n}"}} units, as @sec-part-{p} said and [@key{n}; @sec-part-{p}] show.[^n{n}]
An inline note^[With @inline{n} in it.] and *emphasis*, "quotes" and @key{n} [p. {n}].

[^n{n}]: A note of part {n}, citing @note{n}.

    Its second paragraph.

$$ x_{n} = {n} $$ {{#eq-part-{n}}}

::: {{.callout-tip}}
## Tip of part {n}

Text of tip {n}, after @eq-part-{n}.
:::

### Detail of part {n}

| a | b |
|---|---|
| {n} | [{n}]{{.computed}} |

: Table of part {n} {{#tbl-part-{n}}}

- a list item
- another, before the next part
"""


def document(sections: int = 8, extra: str = "", early: str = "") -> str:
    head = f"# Pieces {{#sec-pieces}}\n\nAn introduction @intro.{early}\n\n## Part 0 {{#sec-part-0}}\n\nText.\n"
    body = "".join(SECTION.format(n=n, p=n - 1) for n in range(1, sections + 1))
    return head + body + f"\n## Last part\n\nThe end.{extra}\n"


def read(text: str) -> str:
    return markdown_to_json(text, cwd=Path.cwd())


def in_pieces(text: str, size: int | None = None) -> str | None:
    """The JSON of ``text`` read in pieces (of a tenth of it, or ``size``), or None; the document read
    with it, each piece's blocks as they came, must be the JSON's."""
    found = readpieces.read_in_pieces(text, read, read_from=0, size=size or len(text) // 10, load=json.loads)
    if found is None:
        return None
    assert found[1] == json.loads(found[0])
    return found[0]


def test_a_document_read_in_pieces_is_the_json_of_one_run():
    text = document()
    cuts = readpieces.cut_points(text, len(text) // 10)
    assert cuts is not None and len(cuts) >= 5
    assert all(text[cut - 2:].startswith(("\n\n## ", "\n\n### ")) for cut in cuts[1:])
    whole = read(text)
    assert '"citationNoteNum":40' in whole  # the count runs through the document: pieces carry it on
    assert in_pieces(text) == whole
    assert readpieces.markdown_document(text, read, json.loads) == (whole, json.loads(whole))  # (small: read in one run)


def test_the_first_piece_keeps_the_metadata_and_a_document_with_many_pieces_joins():
    text = "---\ntitle: A title\nsubtitle: sub\n---\n\n" + document(sections=12)
    cuts = readpieces.cut_points(text, 1)
    assert cuts is not None and len(cuts) > 20 and text[cuts[1]:].startswith("# Pieces")  # the metadata alone
    assert in_pieces(text, size=1) == read(text)


@pytest.mark.parametrize("name, early, extra", [
    ("reference link defined late", " See [the site].", "\n\n[the site]: https://example.org\n"),
    ("note defined in another piece", " A note.[^late]", "\n\n[^late]: Defined at the end.\n"),
    ("implicit heading reference", " See [Last part].", ""),
    ("implicit heading reference, other case and spacing", " See [last\npart].", ""),
    ("LaTeX macro", " $\\newcommand{\\R}{\\mathbb{R}}$", " $\\R$"),
    ("example list", "\n\n(@first) An example.\n", " As (@first) shows."),
    ("raw HTML block", "\n\n<div class=\"x\">\n\n## Inside\n\n</div>\n", ""),
    ("unclosed fence", "", "\n\n```\nnever closed\n"),
    ("fence Pandoc does not open", "\n\n```{python}\nx = 1\n```\n", ""),
    ("indented fence", "\n\n  ```\n  x\n  ```\n", ""),
    ("indented closing fence", "\n\n```\nx\n  ```\n\n## In code?\n```\n", ""),
    ("text of a fence in prose", " Three ``` ticks.", ""),
    ("a LaTeX command over lines", "\n\n\\textbf{bold\n\n## Inside}\n", ""),
])
def test_what_keeps_a_document_whole_is_not_cut(name, early, extra):
    text = document(extra=extra, early=early)
    assert in_pieces(text) is None, name


@pytest.mark.parametrize("name, early", [
    ("fenced code", "\n\n````\ncode\n\n## Not a heading\n\n```\nstill code\n```\n````\n"),
    ("div", "\n\n::: {.note}\nA note.\n\n## A heading in the div\n\nMore.\n:::\n"),
    ("HTML comment", "\n\n<!-- hidden\n\n## Not shown\n\n-->\n"),
    ("LaTeX environment", "\n\n\\begin{figure}\nx\n\n## Not a heading\n\\end{figure}\n"),
    ("YAML block", "\n\n---\nkey: value\n# a comment\n\n# another\nother: 1\n---\n"),
    ("multiline table", "\n\n-------------------\nCell one\n\n# Cell two\n-------------------\n\n: A table\n"),
])
def test_no_piece_starts_inside_what_spans_a_blank_line(name, early):
    text = document(early=early)
    inside = text.index(early) + len(early) - 1
    cuts = readpieces.cut_points(text, 1)
    assert cuts is not None, name
    assert not [cut for cut in cuts if text.index(early) < cut < inside], name
    # Cut at every other heading, the pieces still read as one run does.
    assert in_pieces(text, size=1) == read(text), name


def test_metadata_in_a_later_piece_keeps_the_document_whole():
    text = document().replace("## Part 5 {#sec-part-5}\n", "## Part 5 {#sec-part-5}\n\n---\nkey: value\n---\n")
    whole = read(text)
    assert '"meta":{"key"' in whole
    assert readpieces.cut_points(text, 1) is not None
    assert in_pieces(text, size=1) is None


def test_headings_with_the_same_title_in_two_pieces_are_read_in_one_run():
    # Pandoc gives the second heading "summary-1": a piece alone would give it "summary".
    text = re.sub(r"### Detail of part \d+", "### Summary", document(sections=6))
    whole = read(text)
    assert '"summary-1"' in whole
    assert in_pieces(text) is None
    assert readpieces.markdown_document(text, read, json.loads) == (whole, json.loads(whole))


@pytest.mark.parametrize("info", ["", "   ", "python", " python ", "c++", ".python", "{.python .cell-code}",
                                  "{=html}", ' {#id .a key="v v" k2=v2}', "{#a:b .c-d data-x=1/2}",
                                  '{.python .cell-code code-fold="true" code-summary="Show the code"}'])
def test_each_fence_the_scan_opens_is_one_pandoc_opens(info):
    text = f"```{info}\nx\n```\n"
    assert readpieces.FENCE_INFO.match(info)
    assert read(text).split('"blocks":[', 1)[1].startswith(('{"t":"CodeBlock"', '{"t":"RawBlock"'))


@pytest.mark.parametrize("info", ["{python}", "py thon", "{.a b}", "{.a b=}", "{.a", "x`y"])
def test_a_fence_the_scan_cannot_read_keeps_the_document_whole(info):
    assert not readpieces.FENCE_INFO.match(info)
    assert readpieces.cut_points(f"# A\n\nx\n\n```{info}\ny\n```\n\n## B\n\ntext\n", 1) is None
