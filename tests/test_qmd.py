"""The .qmd reader: front matter, cells with options and lines, inline expressions, fences."""

from __future__ import annotations

import textwrap

import pytest

from bookbuild.cache import Cache
from bookbuild.chapterfacts import parsed_chapter
from bookbuild.qmd import parse_chapter, prose_mask
from conftest import FIXTURE, FIXTURE_CHAPTER


def parse(text: str):
    return parse_chapter("ch.qmd", textwrap.dedent(text).lstrip("\n"))


def test_front_matter_cells_and_inline_positions():
    chapter = parse(
        """
        ---
        title: Hello
        quiz: q.json
        ---

        # Intro {#sec-intro}

        ```{python}
        #| label: setup
        #| echo: false
        x = 1
        ```

        The value is `{python} x_str` and `{python} y` here.
        """
    )
    assert chapter.front_matter == {"title": "Hello", "quiz": "q.json"}
    assert chapter.diagnostics == ()
    (cell,) = chapter.cells
    assert cell.line == 8 and cell.code_line == 9
    assert cell.options == {"label": "setup", "echo": False}
    assert cell.label == "setup"
    assert cell.code.splitlines()[2] == "x = 1"
    first, second = chapter.inlines
    assert (first.expr, first.line, first.col) == ("x_str", 14, 14)
    assert (second.expr, second.line, second.col) == ("y", 14, 35)
    assert chapter.text[first.span.start:first.span.end] == "`{python} x_str`"
    assert [type(item).__name__ for item in chapter.items] == ["Cell", "InlineExpr", "InlineExpr"]


def test_inline_expression_is_never_found_inside_code_blocks():
    chapter = parse(
        """
        ````markdown
        Write `{python} not_me` to inline a value.
        ````

        ```{.tikz}
        \\node {`{python} nor_me`};
        ```

        But `{python} me` counts, and ``{python} me_too`` too; `` `{python} quoted` `` does not.
        """
    )
    assert [i.expr for i in chapter.inlines] == ["me", "me_too"]
    assert [b.info for b in chapter.blocks] == ["markdown", "{.tikz}"]


def test_unclosed_fence_is_reported_where_it_opens():
    chapter = parse(
        """
        Text `{python} a`.

        ```{python}
        x = 1

        More `{python} b`.
        """
    )
    (diag,) = chapter.diagnostics
    assert (diag.code, diag.line, diag.severity.value) == ("unclosed-fence", 3, "error")
    assert "never closed" in diag.message
    # Everything after the open fence is code, as Pandoc reads it.
    assert [i.expr for i in chapter.inlines] == ["a"]


def test_malformed_front_matter_reports_the_yaml_line():
    chapter = parse(
        """
        ---
        title: ok
        quiz: [unclosed
        other: 1
        ---
        Body
        """
    )
    (diag,) = chapter.diagnostics
    assert diag.code == "yaml"
    assert diag.line in (4, 5)  # the parser notices at the next line
    assert diag.message.startswith("malformed YAML front matter")


def test_malformed_cell_option_reports_its_line():
    chapter = parse(
        """
        Intro.

        ```{python}
        #| label: ok
        #| fig-cap: [broken
        x = 1
        ```
        """
    )
    (diag,) = chapter.diagnostics
    assert (diag.code, diag.line) == ("yaml", 5)


def test_misspelt_or_mistyped_cell_options_are_warnings_at_their_line():
    chapter = parse(
        """
        ```{python}
        #| lable: fig-x
        #| echo: flase
        #| output: asis
        #| custom-thing: 1
        x = 1
        ```
        """
    )
    assert [(d.code, d.line, d.message) for d in chapter.diagnostics] == [
        ("cell-option", 2, "unknown cell option 'lable'; did you mean 'label'?"),
        ("cell-option", 3, "cell option 'echo' is 'flase'; it must be true, false or fenced"),
    ]  # 'asis' is a valid output; an option unlike any Quarto knows is left alone


def test_prose_mask_keeps_offsets_and_hides_code():
    chapter = parse(
        """
        ---
        a: 1
        ---
        See @fig-x and `@fig-hidden`.

        ```{python}
        # @fig-in-code
        ```
        """
    )
    masked = prose_mask(chapter)
    assert len(masked) == len(chapter.text)
    assert masked.count("\n") == chapter.text.count("\n")
    assert "@fig-x" in masked and "@fig-hidden" not in masked and "@fig-in-code" not in masked


def test_fixture_chapter_parses_cleanly():
    text = (FIXTURE / FIXTURE_CHAPTER).read_text(encoding="utf-8")
    chapter = parse_chapter(FIXTURE_CHAPTER, text)
    assert chapter.diagnostics == ()
    assert len(chapter.cells) == 24
    assert len(chapter.inlines) > 250
    assert sum(1 for b in chapter.blocks if b.info == "{.tikz}") == 9
    assert chapter.cells[0].label == "chapter-start"
    labelled = [c for c in chapter.cells if c.label == "fig-energy-per-inference"]
    assert labelled and "fig-cap" in labelled[0].options
    # Every inline expression's span is exactly its source text.
    for inline in chapter.inlines:
        assert text[inline.span.start:inline.span.end].startswith("`{python} ")
        assert text.splitlines()[inline.line - 1][inline.col - 1] == "`"


PARSED_AGAIN = """\
---
title: "Cached"
date: 2026-12-01
---

Inline `{python} rate_str` and `{python} other`.

```{python}
#| label: setup
#| fig-cap: "A caption"
#| lable: typo
rate_str = "1 GB/s"
```

```{python}
#| label: dated
#| since: 2026-12-01
other = 2
```

```{.tikz}
\\draw (0,0) -- (1,1);
```

```{python}
never_closed = True
"""


@pytest.mark.parametrize("text", [PARSED_AGAIN, PARSED_AGAIN.replace("#| since: 2026-12-01\n", ""),
                                  (FIXTURE / FIXTURE_CHAPTER).read_text(encoding="utf-8")],
                         ids=["date-option", "json-options", "fixture"])
def test_a_parse_from_the_cache_is_the_parse(tmp_path, text):
    """The cached parse (chapterfacts.parsed_chapter) gives back exactly what parse_chapter gives: cells with
    their options, inline expressions, blocks and every diagnostic (front matter's and fences' too); a cell
    option JSON cannot hold (a YAML date) is parsed afresh each time instead of stored."""
    cache = Cache(tmp_path / "cache")
    fresh = parse_chapter("ch.qmd", text)
    assert parsed_chapter(cache, "ch.qmd", text) == fresh  # computed (and stored when it can be)
    again = parsed_chapter(cache, "ch.qmd", text)
    assert again == fresh
    assert cache.stats["facts-chapter.hit"] == (0 if text == PARSED_AGAIN else 1)
    if "never_closed" in text:
        assert [d.code for d in again.diagnostics][-1] == "unclosed-fence"
        assert "cell-option" in [d.code for d in again.diagnostics]
