"""Cell options at every level (cell, chapter front matter, format, _quarto.yml), as Quarto resolves them:
what runs (both engines), how the code is shown (HTML and LaTeX), bad values, and the cache."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bookbuild.celloptions import CellOptions, document_defaults, resolve, value_problem
from bookbuild.check import check_book
from bookbuild.cli import main
from bookbuild.project import load_book
from conftest import build_site, write_book

ENGINES = ["inprocess", "jupyter"]


# --------------------------------------------------------------------------- the resolver (pure)

def test_precedence_is_cell_then_chapter_then_format_then_book():
    book = {"execute": {"echo": False, "warning": False, "error": True}, "fig-width": 4,
            "format": {"html": {"execute": {"echo": "fenced", "warning": True}},
                       "pdf": {"execute": {"echo": True}}}}
    chapter = {"execute": {"echo": True}, "format": {"pdf": {"echo": False}}}
    html = document_defaults(book, chapter, "html")
    assert html == {"echo": True, "warning": True, "error": True, "fig-width": 4}
    assert document_defaults(book, {}, "html")["echo"] == "fenced"  # format: html: over the top level
    assert document_defaults(book, chapter, "latex")["echo"] is False  # the chapter's format: pdf:
    assert resolve({"echo": False}, html).echo is False  # the cell's own wins
    assert resolve({}, html) == CellOptions(echo=True, warning=True, error=True, fig_width=4)


def test_execute_key_wins_over_the_bare_key_and_bad_values_fall_through():
    assert document_defaults({"echo": True, "execute": {"echo": False}}, {}, "html") == {"echo": False}
    # A bad chapter value is left out: the book's applies (the check reports the bad one).
    assert document_defaults({"execute": {"eval": False}}, {"execute": {"eval": "maybe"}}, "html") == {"eval": False}
    options = resolve({"echo": "maybe", "code-fold": "show", "classes": "a b", "code-summary": 3, "panel": "input"})
    assert (options.echo, options.code_fold, options.classes, options.code_summary, options.panel) == (
        True, "show", ("a", "b"), "3", "input")
    assert resolve({"include": False}).shows_code is False and resolve({"include": False}).shows_output is False


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("echo", "maybe", "true, false or fenced"),
    ("output", "yes", "true, false or asis"),
    ("eval", "no", "true or false"),
    ("code-fold", "hide", "true, false or show"),
    ("code-overflow", "clip", "scroll or wrap"),
    ("code-line-numbers", "odd", "true, false or lines to highlight ('1,3-4')"),
    ("panel", "box", "tabset, input, sidebar, fill or center"),
    ("fig-format", "gif", "retina, png, jpeg, svg or pdf"),
    ("fig-width", -1, "a positive number (inches)"),
    ("fig-dpi", 7.5, "a positive whole number"),
    ("lst-label", "code-1", "a label starting with 'lst-'"),
])
def test_a_value_an_option_does_not_take_says_what_it_must_be(name, value, expected):
    assert value_problem(name, value) == expected


@pytest.mark.parametrize(("name", "value"), [("echo", "fenced"), ("output", "asis"), ("code-line-numbers", "1,3-4"),
                                             ("fig-dpi", 150), ("fig-width", 6.5), ("classes", ["a", "b"])])
def test_values_an_option_takes_are_accepted(name, value):
    assert value_problem(name, value) is None


# --------------------------------------------------------------------------- execution: eval and warning

RUNS = '''
```{{python}}
{options}print("ran")
1 / 0 if {fails} else None
```
'''


def _chapter(front: str = "", options: str = "", fails: bool = True) -> str:
    head = f"---\n{front}---\n\n" if front else ""
    return head + "# Chapter\n" + RUNS.format(options=options, fails=fails)


@pytest.mark.parametrize("engine", ENGINES)
def test_eval_false_at_every_level_keeps_cells_from_running(engine, book_factory):
    # Each chapter's one cell would fail if it ran: the check is clean only if none runs.
    chapters = {
        "cell.qmd": _chapter(options="#| eval: false\n"),
        "front.qmd": _chapter(front="execute:\n  eval: false\n"),
        "bare.qmd": _chapter(front="eval: false\n"),
        "front-format.qmd": _chapter(front="format:\n  html:\n    execute:\n      eval: false\n"),
        "over.qmd": _chapter(front="execute:\n  eval: true\n", options="#| eval: false\n"),
    }
    result = check_book(load_book(book_factory(chapters)), engine=engine)
    assert [d.code for d in result.diagnostics] == []
    assert [[c.ran for c in e.cells] for e in result.executed] == [[False]] * 5


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("config", ["execute:\n  eval: false\n", "eval: false\n",
                                    "format:\n  html:\n    execute:\n      eval: false\n"])
def test_eval_false_in_quarto_yml_applies_to_every_chapter_and_a_cell_can_override_it(engine, config, book_factory):
    root = book_factory({"one.qmd": _chapter(), "two.qmd": _chapter(options="#| eval: true\n", fails=False)}, config)
    result = check_book(load_book(root), engine=engine)
    assert [d.code for d in result.diagnostics] == []
    one, two = result.executed
    assert (one.cells[0].ran, two.cells[0].ran, two.cells[0].stdout) == (False, True, "ran\n")


def test_format_pdf_eval_applies_to_the_pdf_only(book_factory):
    root = book_factory({"ch.qmd": _chapter(fails=False)}, "format:\n  pdf:\n    execute:\n      eval: false\n")
    book = load_book(root)
    assert check_book(book, output_format="html").executed[0].cells[0].ran is True
    assert check_book(book, output_format="latex").executed[0].cells[0].ran is False


WARNS = '''
```{{python}}
{options}import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.warn("careful")
print(f"caught {{len(caught)}}")
```
'''


@pytest.mark.parametrize("engine", ENGINES)
def test_warning_false_at_every_level_silences_python_warnings(engine, book_factory):
    chapters = {
        "shown.qmd": "# Shown\n" + WARNS.format(options=""),
        "cell.qmd": "# Cell\n" + WARNS.format(options="#| warning: false\n"),
        "front.qmd": "---\nexecute:\n  warning: false\n---\n\n# Front\n" + WARNS.format(options=""),
        "over.qmd": "---\nwarning: false\n---\n\n# Over\n" + WARNS.format(options="#| warning: true\n"),
        "after.qmd": "# After\n" + WARNS.format(options="#| warning: false\n") + WARNS.format(options=""),
    }
    result = check_book(load_book(book_factory(chapters)), engine=engine)
    assert [d.code for d in result.diagnostics] == []
    assert [[c.stdout for c in e.cells] for e in result.executed] == [
        ["caught 1\n"], ["caught 0\n"], ["caught 0\n"], ["caught 1\n"],
        ["caught 0\n", "caught 1\n"],  # the filter ends with its cell
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_warning_false_in_quarto_yml(engine, book_factory):
    root = book_factory({"ch.qmd": "# Ch\n" + WARNS.format(options="")}, "execute:\n  warning: false\n")
    assert check_book(load_book(root), engine=engine).executed[0].cells[0].stdout == "caught 0\n"


# --------------------------------------------------------------------------- how the code is shown

SHOWN = {
    "cells.qmd": """
        # Cells

        ```{python}
        #| echo: true
        # ECHOED
        print("OUT-ECHOED")
        ```

        ```{python}
        #| echo: fenced
        # FENCED
        x = 1
        ```

        ```{python}
        #| echo: true
        #| code-fold: true
        #| code-summary: "Show <the> code"
        # FOLDED
        y = 2
        ```

        ```{python}
        #| echo: true
        #| code-fold: show
        # OPEN
        z = 3
        ```

        ```{python}
        #| echo: true
        #| code-overflow: wrap
        #| code-line-numbers: true
        # WRAPPED
        w = 4
        ```

        ```{python}
        #| echo: true
        #| lst-label: lst-compute
        #| lst-cap: "How it is **computed**."
        # LISTED
        v = 5
        ```

        ```{python}
        #| echo: true
        #| classes: my-cell wide
        #| panel: input
        # CLASSED
        u = 6
        ```

        ```{python}
        #| echo: true
        #| include: false
        # INCLUDED-NOT
        print("OUT-INCLUDED-NOT")
        ```

        ```{python}
        #| echo: true
        #| output: false
        # OUTPUT-NOT
        print("OUT-OUTPUT-NOT")
        ```

        ```{python}
        # HIDDEN-BY-BOOK
        print("OUT-HIDDEN-BY-BOOK")
        ```

        See @lst-compute.

        ```{python}
        #| panel: tabset
        #| output: asis
        print("## First tab\\n\\nOne.\\n\\n## Second tab\\n\\nTwo.\\n")
        ```
        """,
    "front.qmd": """
        ---
        execute:
          echo: true
        code-fold: true
        format:
          html:
            code-summary: Peek
        ---

        # Front

        ```{python}
        # FRONT-FOLDED
        t = 7
        ```

        ```{python}
        #| code-fold: false
        # FRONT-UNFOLDED
        s = 8
        ```
        """,
}


def _page_cells(page: str) -> dict[str, str]:
    """Each marker comment (``# NAME``) -> the HTML from the element holding it back to the previous marker's."""
    found, last = {}, 0
    for match in re.finditer(r"# ([A-Z-]+)<", page):
        found[match[1]] = page[last:match.end() + 400]
        last = match.end()
    return found


@pytest.fixture(scope="module")
def shown_site(tmp_path_factory) -> tuple[dict[str, str], Path]:
    tmp = tmp_path_factory.mktemp("shown")
    root = write_book(tmp / "book", SHOWN, "execute:\n  echo: false\n")
    status, stdout, stderr = build_site(root, tmp / "site", "--cache-dir", str(tmp / "cache"))
    assert status == 0 and "0 warnings" in stdout, stdout + stderr
    return {name: (tmp / "site" / f"{name}.html").read_text(encoding="utf-8") for name in ("cells", "front")}, root


def test_echo_shows_the_code_as_quarto_marks_it_up(shown_site):
    page = shown_site[0]["cells"]
    assert re.search(r'<div class="cell">\s*<div class="sourceCode cell-code" id="cb1"><pre\s+class="sourceCode python '
                     r'cell-code"><code class="sourceCode python">.*# ECHOED', page, re.S)
    assert re.search(r'<div class="cell-output cell-output-stdout">\s*<pre><code>OUT-ECHOED</code></pre>', page)


def test_echo_fenced_shows_the_fence_and_option_lines(shown_site):
    page = shown_site[0]["cells"]
    fenced = _page_cells(page)["FENCED"]
    assert "```{python}</span>" in fenced and "#| echo: fenced</span>" in fenced
    assert re.search(r"#\| echo: true\s*</span>", _page_cells(page)["FOLDED"]) is None  # other cells hide them


def test_code_fold_is_a_details_element_with_its_summary(shown_site):
    cells = _page_cells(shown_site[0]["cells"])
    assert re.search(r'<details class="code-fold">\s*<summary>\s*Show &lt;the&gt; code\s*</summary>\s*'
                     r'<div class="sourceCode cell-code"', cells["FOLDED"])
    assert re.search(r'<details class="code-fold" open>\s*<summary>\s*Code\s*</summary>', cells["OPEN"])
    assert "<details" not in cells["ECHOED"]


def test_code_overflow_and_line_numbers_are_classes_of_the_code(shown_site):
    wrapped = _page_cells(shown_site[0]["cells"])["WRAPPED"]
    assert re.search(r'<pre\s+class="sourceCode numberSource python cell-code numberLines code-overflow-wrap">', wrapped)
    assert "code-overflow-wrap" not in _page_cells(shown_site[0]["cells"])["ECHOED"]


def test_lst_label_makes_a_numbered_listing_that_references_resolve_to(shown_site):
    page = shown_site[0]["cells"]
    assert re.search(r'<div id="lst-compute" class="quarto-float [^"]*listing">\s*<figure class="quarto-float quarto-float-lst">'
                     r'\s*<figcaption [^>]*>\s*Listing&nbsp;1\.1: How it is <strong>computed</strong>\.', page)
    assert re.search(r'See <a href="#lst-compute" class="quarto-xref">Listing(?:&nbsp;|\s)1\.1</a>', page)


def test_classes_and_panel_go_on_the_cell_div(shown_site):
    assert re.search(r'<div class="cell my-cell wide panel-input">\s*<div class="sourceCode cell-code"[^>]*><pre[^>]*>'
                     r'<code[^>]*><span[^>]*><a[^>]*></a><span class="co"># CLASSED', shown_site[0]["cells"])


def test_panel_tabset_makes_tabs_of_the_headings_a_cell_prints(shown_site):
    tabs = re.findall(r'<a class="nav-link[^"]*"[^>]* role="tab"[^>]*>([^<]*)</a>', shown_site[0]["cells"])
    assert tabs == ["First tab", "Second tab"]


def test_include_false_hides_code_and_output_and_output_false_hides_the_output(shown_site):
    page = shown_site[0]["cells"]
    assert "INCLUDED-NOT" not in page
    assert "# OUTPUT-NOT" in page and "<code>OUT-OUTPUT-NOT" not in page
    assert "# HIDDEN-BY-BOOK" not in page  # the book's echo: false
    assert re.search(r'<div class="cell-output cell-output-stdout">\s*<pre><code>OUT-HIDDEN-BY-BOOK</code></pre>', page)


def test_front_matter_options_apply_to_the_chapters_cells(shown_site):
    cells = _page_cells(shown_site[0]["front"])
    assert re.search(r'<details class="code-fold">\s*<summary>\s*Peek\s*</summary>', cells["FRONT-FOLDED"])
    assert "<details" not in cells["FRONT-UNFOLDED"] and '<div class="sourceCode cell-code"' in cells["FRONT-UNFOLDED"]


def test_the_pdf_shows_fenced_numbered_listed_and_folded_code(tmp_path):
    chapter = """
        # Code

        ```{python}
        #| echo: fenced
        #| code-line-numbers: true
        a = 1
        ```

        ```{python}
        #| code-fold: true
        # FOLDED-IN-PDF
        b = 2
        ```

        ```{python}
        #| lst-label: lst-b
        #| lst-cap: "The b cell."
        c = 3
        ```

        ```{python}
        #| include: false
        # NOT-IN-PDF
        d = 4
        ```

        See @lst-b.
        """
    root = write_book(tmp_path / "book", {"ch.qmd": chapter}, "format:\n  pdf:\n    echo: true\n")
    out = io.StringIO()
    status = main(["pdf", "--project", str(root), "--output-dir", str(tmp_path / "out"),
                   "--cache-dir", str(tmp_path / "cache")], out=out, err=io.StringIO())
    assert status == 0, out.getvalue()
    (tex,) = (tmp_path / "cache").glob("pdf/*/chapters/*-ch.tex")
    latex = tex.read_text(encoding="utf-8")
    assert re.search(r"\\begin\{Highlighting\}\[numbers=left,,\]\n\\InformationTok\{\\textasciigrave\{\}"
                     r"\\textasciigrave\{\}\\textasciigrave\{\}\\\{python\\\}\}\n\\InformationTok\{\\#\| echo: fenced\}", latex)
    assert "FOLDED" in latex and "details" not in latex  # folded code is shown unfolded
    assert re.search(r"\\begin\{codelisting\}\[1\.1\]\n\n\\caption\{\\label\{lst-b\}The b cell\.\}", latex)
    assert "See Listing~\\ref{lst-b}." in latex
    assert "NOT-IN-PDF" not in latex


# --------------------------------------------------------------------------- bad values, at their line

def test_bad_values_are_warnings_at_their_line_in_the_cell_and_the_front_matter(book_factory):
    root = book_factory({"ch.qmd": """
        ---
        title: Ch
        execute:
          echo: maybe
        format:
          html:
            code-fold: hide
        ---

        # Ch

        ```{python}
        #| panel: box
        #| fig-dpi: high
        x = 1
        ```
        """})
    result = check_book(load_book(root))
    found = [(d.severity.value, d.code, d.line, d.col, d.message) for d in result.diagnostics]
    assert found == [
        ("warning", "cell-option", 4, 3, "'execute: echo:' is 'maybe'; it must be true, false or fenced"),
        ("warning", "cell-option", 7, 5, "'format: html: code-fold:' is 'hide'; it must be true, false or show"),
        ("warning", "cell-option", 13, 1, "cell option 'panel' is 'box'; it must be tabset, input, sidebar, fill or center"),
        ("warning", "cell-option", 14, 1, "cell option 'fig-dpi' is 'high'; it must be a positive whole number"),
    ]


def test_a_bad_value_in_quarto_yml_is_a_configuration_error_at_its_line(book_factory, capsys):
    root = book_factory({"ch.qmd": "# Ch\n"}, "format:\n  pdf:\n    execute:\n      eval: sometimes\n")
    out = io.StringIO()
    status = main(["check", "--project", str(root)], out=out, err=out)
    assert status == 2
    assert (f"{root / '_quarto.yml'}:10:7: error[config-type]: 'format: pdf: execute: eval:' is 'sometimes'; "
            "it must be true or false") in out.getvalue()


# --------------------------------------------------------------------------- the cache

def _cache_line(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if "cache: execute:" in line)


def test_rendering_options_do_not_re_execute_but_execution_options_do(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Ch

        ```{python}
        #| code-overflow: scroll
        print("RAN")
        ```
        """}, "execute:\n  echo: false\n")
    config = root / "_quarto.yml"

    def build() -> tuple[str, str]:
        status, stdout, stderr = build_site(root, tmp_path / "site", "--cache-dir", str(tmp_path / "cache"))
        assert status == 0, stdout + stderr
        return _cache_line(stderr), (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")

    line, page = build()
    assert "execute: 0 reused, 1 computed" in line and 'print(<span class="st">' not in page
    config.write_text(config.read_text().replace("echo: false", "echo: true\n  code-fold: true"))
    line, page = build()
    assert "execute: 1 reused, 0 computed" in line  # shown differently, not run again
    assert '<details class="code-fold">' in page and "RAN</code>" in page
    (root / "ch.qmd").write_text((root / "ch.qmd").read_text().replace("code-overflow: scroll", "echo: fenced"))
    line, page = build()
    assert "execute: 1 reused, 0 computed" in line and "#| echo: fenced" in page  # nor the cell's own
    config.write_text(config.read_text().replace("echo: true", "echo: true\n  eval: false"))
    line, page = build()
    assert "execute: 0 reused, 1 computed" in line and "RAN</code>" not in page
    config.write_text(config.read_text().replace("eval: false", "warning: false"))
    assert "execute: 0 reused, 1 computed" in build()[0]
