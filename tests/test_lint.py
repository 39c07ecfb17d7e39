"""Prose-claim lint on small chapters of our own: each warning fires where it should, and only there."""

from __future__ import annotations

from bookbuild.check import check_book
from bookbuild.project import load_book


def lint(book_factory, text: str) -> list[tuple[str, int, int, str]]:
    root = book_factory({"ch.qmd": text})
    result = check_book(load_book(root))
    return [(d.code, d.line, d.col, d.message) for d in result.diagnostics]


def test_inline_value_inside_math(book_factory):
    found = lint(book_factory, """
        ```{python}
        n_str = "1,024"
        ```

        The sum $x = `{python} n_str`$ is wrong, but $y$ and `{python} n_str` are fine.
        A price of $`{python} n_str` and of $`{python} n_str` is no math either.
        """)
    assert [(c, line, col) for c, line, col, _ in found] == [("inline-in-math", 5, 14)]


def test_hand_written_result_in_a_worked_example(book_factory):
    found = lint(book_factory, """
        ```{python}
        total_str = "300"
        ```

        ::: {.callout-notebook title="Throughput"}

        At 30 FPS, 10 GFLOPs per frame = 300 GFLOPs/s sustained.

        With the value inline: 10 GFLOPs per frame = `{python} total_str` GFLOPs/s.

        A setting like batch=64 is not a result.

        :::

        Outside a worked example, 2 + 2 = 4 is not checked.
        """)
    assert [(c, line, col, m.split("'")[1]) for c, line, col, m in found] == [
        ("hand-number", 7, 32, "= 300 GFLOPs/s")]


def test_comparison_contradicted_by_the_values(book_factory):
    found = lint(book_factory, """
        ```{python}
        small_str = "~$1,200/year"
        big_str = "$15,000"
        ```

        Edge costs `{python} small_str`, more than `{python} big_str` for cloud.
        Edge costs `{python} small_str`, less than `{python} big_str` for cloud.
        """)
    assert [(c, line, col) for c, line, col, _ in found] == [("claim-contradiction", 6, 12)]
    assert "'~$1,200/year' is more than '$15,000'" in found[0][3]


def test_a_table_label_on_a_cell_that_prints_no_table(book_factory):
    found = lint(book_factory, """
        ```{python}
        #| label: tbl-good
        #| output: asis
        print("| a |\\n|---|\\n| 1 |")
        ```

        ```{python}
        #| label: tbl-text
        print("just words")
        ```

        See @tbl-good and @tbl-text.
        """)
    assert found == [("table-output", 7, 1, "cell 'tbl-text' has a table label but does not show a table last, "
                      "so the table gets no caption or number and references to it do not resolve")]


def test_a_figure_label_on_a_cell_that_draws_nothing(book_factory):
    found = lint(book_factory, """
        ```{python}
        #| label: fig-empty
        #| fig-cap: "Nothing."
        total = 1 + 1
        ```

        See @fig-empty.
        """)
    assert found == [("figure-output", 1, 1, "cell 'fig-empty' has a figure label but draws no figure, so nothing "
                      "is captioned or numbered and references to it do not resolve")]
