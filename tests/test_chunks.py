"""A large page rendered by Pandoc in pieces (bookbuild/render/chunks.py) is the page one run makes, byte for byte.

The pieces are forced on a small chapter by lowering the sizes: every level-2 section
but the first starts a piece. The chapter holds what is counted or gathered through a
page: highlighted code blocks and their outputs (Pandoc's ``cb1``… ids), margin notes
(their numbers), the contents (nested under the chapter's title, with subsections), the
subtitle, section numbers, equations, tables, callouts and cross-references both ways.
"""

from __future__ import annotations

import pytest

from bookbuild.render import chunks
from conftest import build_site, tiny_png

SECTION = """
## Part {n} {{#sec-part-{n}}}

```{{python}}
#| echo: true
value_{n} = {n} * 3
value_str_{n} = str(value_{n})
print(f"part {n}: {{value_{n}}}")
```

Part {n} holds `{{python}} value_str_{n}` units, as @sec-part-{p} and @tbl-part-{p} said before.[^n{n}]
See @eq-part-{n} and [the next part](#sec-part-{q}).

[^n{n}]: A note of part {n}, with `code` in it.

$$ x_{n} = {n} $$ {{#eq-part-{n}}}

::: {{.callout-tip}}
## Tip of part {n}
Text of tip {n}, after @eq-part-{n}.
:::

### Detail of part {n}

| a | b |
|---|---|
| {n} | `{{python}} value_str_{n}` |

: Table of part {n} {{#tbl-part-{n}}}

```python
plain_{n} = True
```
"""


def chapter(sections: int = 6, extra: str = "") -> str:
    head = ("---\nsubtitle: A chapter in pieces\n---\n\n# Pieces {#sec-pieces}\n\nAn introduction.[^intro]\n\n"
            "[^intro]: The first note.\n\n## Part 0 {#sec-part-0}\n\n: Nothing {#tbl-part-0}\n\n| a |\n|---|\n| 0 |\n\n"
            "$$ x_0 = 0 $$ {#eq-part-0}\n")
    body = "".join(SECTION.format(n=n, p=n - 1, q=n + 1) for n in range(1, sections + 1))
    return head + body + f"\n## Part {sections + 1} {{#sec-part-{sections + 1}}}\n\nThe end.{extra}\n"


def build(root, out, cache) -> str:
    status, stdout, stderr = build_site(root, out, "--cache-dir", str(cache))
    assert status == 0 and "0 errors" in stdout, stdout + stderr[-2000:]
    return (out / "ch.html").read_text(encoding="utf-8")


def whole_then_pieces(book_factory, tmp_path, monkeypatch, text: str, config: str = "") -> tuple[str, str, list[int]]:
    """The page built in one run (the default sizes: a small page is never cut), then with pieces forced."""
    root = book_factory({"ch.qmd": text}, config)
    whole = build(root, tmp_path / "whole", tmp_path / "cache-whole")
    with monkeypatch.context() as patch:
        counts = _spy(patch)
        cut = build(root, tmp_path / "cut", tmp_path / "cache-cut")
    return whole, cut, counts


def _spy(patch) -> list[int]:
    """Pieces at every allowed heading; the list gets how many pieces each page was cut into (0: whole)."""
    patch.setattr(chunks, "CHUNK_FROM", 1)
    patch.setattr(chunks, "CHUNK_SIZE", 1)
    counts: list[int] = []
    original = chunks.pieces

    def pieces(*args, **kwargs):
        found = original(*args, **kwargs)
        if found is None:
            counts.append(0)
            return None

        def counted():
            made = []
            try:
                for piece in found:
                    made.append(piece)
                    yield piece
            except chunks.Uncuttable:
                counts.append(0)
                raise
            counts.append(len(made))
        return counted()

    patch.setattr(chunks, "pieces", pieces)
    return counts


def test_a_page_in_pieces_is_the_page_of_one_run(book_factory, tmp_path, monkeypatch):
    whole, cut, counts = whole_then_pieces(book_factory, tmp_path, monkeypatch, chapter())
    assert counts == [8]  # the title with Part 0, then Parts 1-7 a piece each
    # What the pieces carry across: ids of code blocks and notes' numbers run on through the page.
    assert 'id="cb13"' in whole and 'id="fnref7"' in whole and 'class="subtitle lead"' in whole
    assert whole.count('id="toc-sec-part-') == 8 and "Table&nbsp;1.7" in whole
    assert cut == whole


def test_a_page_without_a_title_in_pieces_is_the_page_of_one_run(book_factory, tmp_path, monkeypatch):
    # Its sections are the page's top level, in the contents too.
    text = chapter(3).replace("# Pieces {#sec-pieces}\n\n", "")
    whole, cut, counts = whole_then_pieces(book_factory, tmp_path, monkeypatch, text)
    assert counts == [5] and '<section id="sec-part-0" class="level2' in whole and 'class="level1' not in whole
    assert cut == whole


def test_a_page_whose_pieces_would_not_join_is_rendered_whole(book_factory, tmp_path, monkeypatch):
    monkeypatch.setattr(chunks, "joined", lambda *args, **kwargs: None)
    whole, cut, counts = whole_then_pieces(book_factory, tmp_path, monkeypatch, chapter(3))
    assert counts == [5] and cut == whole


@pytest.mark.parametrize("extra, config", [
    (" As @knuth84 shows.", "bibliography: refs.bib\n"),  # citeproc numbers and lists the whole page's citations
    ('\n\n::: {#fig-k fig-cap="As @knuth84 drew it."}\n![](dot.png)\n:::\n', "bibliography: refs.bib\n"),  # (its caption's)
    ("\n\n::: {.panel-tabset}\n## A\nx\n## B\ny\n:::\n", ""),  # tabsets are counted through the page
    ("", "reference-location: document\n"),  # the notes gather at the end of the page
])
def test_what_needs_the_whole_page_is_not_cut(book_factory, tmp_path, monkeypatch, extra, config):
    root = book_factory({"ch.qmd": chapter(3, extra)}, config)
    (root / "dot.png").write_bytes(tiny_png())
    (root / "refs.bib").write_text("@book{knuth84, title={The TeXbook}, author={Knuth, Donald}, year={1984}}\n",
                                   encoding="utf-8")
    whole = build(root, tmp_path / "whole", tmp_path / "cache-whole")
    with monkeypatch.context() as patch:
        counts = _spy(patch)
        cut = build(root, tmp_path / "cut", tmp_path / "cache-cut")
    assert counts == [0] and cut == whole
