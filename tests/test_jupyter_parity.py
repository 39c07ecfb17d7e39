"""The in-process engine shows what a Jupyter kernel shows: the same outputs, in the same order.

Every cell below runs in one chapter per engine (one kernel for the lot) and each
cell's outputs are compared, kind by kind and mime type by mime type, normalised
only for memory addresses, file paths in warnings and the text of tracebacks
(each engine formats its own; the exception's type and message must agree). The
kernel is the oracle: a cell whose expected outputs are written out checks both.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from bookbuild.check import check_book
from bookbuild.execute.figures import png_width
from bookbuild.project import load_book
from conftest import tiny_png, write_book

pandas = pytest.importorskip("pandas")

PNG_DATA = tiny_png(8, 6)

#: (name, options, code). The name is the cell's label (fig-/tbl- ones are captioned).
CELLS: list[tuple[str, str, str]] = [
    ("result-int", "", "x = 6\nx * 7"),
    ("result-quiet", "", "x * 7;"),
    ("result-quiet-comment", "", "x * 7;  # no result"),
    ("result-comment", "", "x * 7  # a result"),
    ("result-none", "", "None"),
    ("result-call-none", "", "def f():\n    pass\nf()"),
    ("result-assignment", "", "y = 3"),
    ("result-in-block", "", "if True:\n    5"),
    ("result-str", "", "'text'"),
    ("result-pretty", "", "{n: 'abcdefghij' * 2 for n in range(6)}"),
    ("result-long-list", "", "list(range(1200))"),
    ("print-lines", "", "print('a')\nprint('b')"),
    ("print-then-result", "", "print('before')\n40 + 2"),
    ("stderr", "", "import sys\nprint('to stderr', file=sys.stderr)"),
    ("display-two", "", "display(1, 'two')"),
    ("display-between-prints", "", "print('one')\ndisplay(2)\nprint('three')"),
    ("ipython-markdown", "", "from IPython.display import Markdown, display\ndisplay(Markdown('**bold**'))"),
    ("ipython-html", "", "from IPython.display import HTML\nHTML('<b>bold</b>')"),
    ("ipython-latex", "", "from IPython.display import Latex\nLatex(r'\\begin{equation}x=1\\end{equation}')"),
    ("ipython-math", "", "from IPython.display import Math\nMath('x^2')"),
    ("ipython-image", "", f"from IPython.display import Image\nImage(data={PNG_DATA!r})"),
    ("ipython-svg", "", "from IPython.display import SVG\n"
                        "SVG('<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"><rect width=\"4\" "
                        "height=\"4\"/></svg>')"),
    ("ipython-json", "", "from IPython.display import JSON\nJSON({'b': [1, 2], 'a': None})"),
    ("ipython-display-markdown", "", "from IPython.display import display_markdown\ndisplay_markdown('*it*', raw=True)"),
    ("ipython-display-html", "", "from IPython.display import display_html\ndisplay_html('<i>it</i>', raw=True)"),
    ("repr-markdown", "", "class M:\n    def _repr_markdown_(self):\n        return '# M'\nM()"),
    ("repr-html-latex", "", "class H:\n    def _repr_html_(self):\n        return '<p>h</p>'\n"
                            "    def _repr_latex_(self):\n        return r'\\textbf{h}'\nH()"),
    ("repr-mimebundle", "", "class B:\n    def _repr_mimebundle_(self, include=None, exclude=None):\n"
                            "        return {'text/plain': 'plain B', 'text/markdown': '*B*'}\nB()"),
    ("repr-mimebundle-metadata", "", "class T:\n    def _repr_mimebundle_(self, include=None, exclude=None):\n"
                                     "        return {'text/html': '<b>T</b>'}, {}\nT()"),
    ("repr-svg", "", "class S:\n    def _repr_svg_(self):\n"
                     "        return '<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"2\" height=\"2\"/>'\nS()"),
    ("repr-png", "", f"class P:\n    def _repr_png_(self):\n        return {PNG_DATA!r}\nP()"),
    ("repr-jpeg", "", "class J:\n    def _repr_jpeg_(self):\n        return b'\\xff\\xd8\\xff\\xe0fake'\nJ()"),
    ("repr-json", "", "class D:\n    def _repr_json_(self):\n        return {'k': 1}\nD()"),
    ("repr-declines", "", "class N:\n    def _repr_markdown_(self):\n        return None\n"
                          "    def _repr_html_(self):\n        raise NotImplementedError\n"
                          "    def __repr__(self):\n        return 'N()'\nN()"),
    ("own-display", "", "class O:\n    def _ipython_display_(self):\n        print('shown by itself')\nO()"),
    ("dataframe", "", "import pandas as pd\nframe = pd.DataFrame({'a': [1, 2], 'b': [0.5, 0.25]})\nframe"),
    ("display-dataframe", "", "display(frame)\nframe['a']"),
    ("tbl-frame", "#| tbl-cap: A frame.\n", "frame"),
    ("plt-show", "", "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\nprint('after')\n"
                     "plt.plot([2, 1]);"),
    ("figures-open", "", "plt.figure()\nplt.plot([1, 3])\nplt.figure()\nplt.plot([3, 1]);"),
    ("figure-empty", "", "plt.figure();"),
    ("figure-size", "#| fig-width: 3\n#| fig-height: 2\n#| fig-dpi: 50\n#| fig-format: png\n",
     "plt.plot([1, 2]);\nprint(plt.gcf())"),
    ("figure-retina", "#| fig-format: retina\n", "plt.plot([1, 2]);"),
    ("figure-pdf", "#| fig-format: pdf\n", "plt.plot([1, 2]);"),
    ("figure-last-expression", "", "fig, ax = plt.subplots()\nax.plot([1, 2])\nfig"),
    ("figure-defaults-back", "", "plt.plot([1, 2]);\nprint(plt.gcf())"),
    ("fig-plots", "#| fig-cap: Two plots.\n#| fig-subcap: [First, Second]\n",
     "plt.plot([1, 2]); plt.show()\nplt.plot([2, 1]); plt.show()"),
    ("error-shown", "#| error: true\n", "print('before')\n1 / 0"),
    ("error-after-figure", "#| error: true\n", "plt.plot([1, 2])\nraise ValueError('late')"),
    ("error-in-repr", "#| error: true\n", "class Bad:\n    def _repr_html_(self):\n        raise KeyError('html')\n"
                                          "    def __repr__(self):\n        return 'Bad()'\nBad()"),
    ("after-errors", "", "print('the chapter goes on')"),
    ("warning", "", "import warnings\nwarnings.warn('careful')"),
]

ADDRESS = re.compile(r"0x[0-9a-f]+")
WARNING_PLACE = re.compile(r"^\S+:\d+: (\w+Warning)", re.M)


def chapter_text() -> str:
    cells = "\n".join(f"```{{python}}\n#| label: {name}\n{options}{code}\n```\n" for name, options, code in CELLS)
    return f"# Parity\n\n{cells}\nSee @fig-plots-2 and @tbl-frame.\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Any]:
    root = write_book(tmp_path_factory.mktemp("parity"), {"index.qmd": "# Home\n", "parity.qmd": chapter_text()})
    book = load_book(root)
    return {engine: check_book(book, engine=engine) for engine in ("inprocess", "jupyter")}


def cells_of(run: Any) -> dict[str, Any]:
    (executed,) = [e for e in run.executed if e.chapter.path.endswith("parity.qmd")]
    return {executed.chapter.cells[c.index].label: c for c in executed.cells}


def normalised(cell: Any) -> list[tuple[Any, ...]]:
    """A cell's outputs as comparable data: kinds, names, mime types and contents."""
    figures = {f.number: f for f in cell.figures}
    out = []
    for output in cell.outputs:
        data = {mime: ADDRESS.sub("0x…", WARNING_PLACE.sub(r"…: \1", text)) for mime, text in output.data.items()}
        if output.kind == "error":
            data = {"text/plain": output.text.strip().splitlines()[-1]}  # each engine formats its own traceback
        figure = figures.get(output.figure)
        image = None
        if figure is not None:
            image = (figure.mimes, png_width(figure.png) if figure.png else None, figure.width, figure.jpeg)
        out.append((output.kind, output.name, data, image))
    return out


@pytest.mark.parametrize("name", [name for name, _, _ in CELLS])
def test_both_engines_record_the_same_outputs(runs: dict[str, Any], name: str) -> None:
    inprocess, jupyter = cells_of(runs["inprocess"])[name], cells_of(runs["jupyter"])[name]
    assert jupyter.ran and inprocess.ran
    assert normalised(inprocess) == normalised(jupyter)


EXPECTED = {  # what the kernel shows, written out: both engines must give exactly this
    "result-int": [("execute_result", "", {"text/plain": "42"}, None)],
    "result-quiet": [], "result-quiet-comment": [], "result-none": [], "result-call-none": [],
    "result-assignment": [], "result-in-block": [],
    "result-comment": [("execute_result", "", {"text/plain": "42"}, None)],
    "print-then-result": [("stream", "stdout", {"text/plain": "before\n"}, None),
                          ("execute_result", "", {"text/plain": "42"}, None)],
    "display-between-prints": [("stream", "stdout", {"text/plain": "one\n"}, None),
                               ("display_data", "", {"text/plain": "2"}, None),
                               ("stream", "stdout", {"text/plain": "three\n"}, None)],
    "ipython-markdown": [("display_data", "", {"text/plain": "<IPython.core.display.Markdown object>",
                                               "text/markdown": "**bold**"}, None)],
    "own-display": [("stream", "stdout", {"text/plain": "shown by itself\n"}, None)],
    "error-shown": [("stream", "stdout", {"text/plain": "before\n"}, None),
                    ("error", "ZeroDivisionError", {"text/plain": "ZeroDivisionError: division by zero"}, None)],
    "after-errors": [("stream", "stdout", {"text/plain": "the chapter goes on\n"}, None)],
}


@pytest.mark.parametrize("engine", ["inprocess", "jupyter"])
def test_the_outputs_are_those_a_kernel_shows(runs: dict[str, Any], engine: str) -> None:
    cells = cells_of(runs[engine])
    assert {name: normalised(cells[name]) for name in EXPECTED} == EXPECTED


@pytest.mark.parametrize("engine", ["inprocess", "jupyter"])
def test_figures_are_shown_where_and_as_the_cell_says(runs: dict[str, Any], engine: str) -> None:
    cells = cells_of(runs[engine])
    kinds = [(o.kind, o.figure, o.text) for o in cells["plt-show"].outputs]
    assert kinds == [("display_data", 1, "<Figure size 640x480 with 1 Axes>"), ("stream", 0, "after\n"),
                     ("display_data", 2, "<Figure size 640x480 with 1 Axes>")]
    assert [f.number for f in cells["figures-open"].figures] == [1, 2]
    assert cells["figure-empty"].figures == () and cells["figure-empty"].outputs[0].text.endswith("with 0 Axes>")
    (small,) = cells["figure-size"].figures
    assert cells["figure-size"].stdout == "Figure(150x100)\n" and small.mimes == ("image/png",)
    assert cells["figure-defaults-back"].stdout == "Figure(640x480)\n"  # the options end with their cell
    (retina,) = cells["figure-retina"].figures
    assert retina.mimes == ("image/png",) and retina.width == png_width(retina.png) // 2
    assert cells["figure-pdf"].figures[0].mimes == ("image/svg+xml", "application/pdf")
    assert [o.kind for o in cells["error-after-figure"].outputs] == ["error", "display_data"]  # as the kernel's hook


@pytest.mark.parametrize("engine", ["inprocess", "jupyter"])
def test_a_shown_error_is_a_warning_and_the_chapter_goes_on(runs: dict[str, Any], engine: str) -> None:
    found = [(d.severity.value, d.code, d.message) for d in runs[engine].diagnostics if d.file.endswith("parity.qmd")]
    assert found == [("warning", "cell-error", "ZeroDivisionError: division by zero"),
                     ("warning", "cell-error", "ValueError: late"),
                     ("warning", "cell-error", "KeyError: 'html'")]
    assert cells_of(runs[engine])["after-errors"].ran


# --------------------------------------------------------------------------- rendered


RENDERED = """
# Rendered

```{python}
#| echo: false
import sys
import pandas as pd
import matplotlib.pyplot as plt
from IPython.display import Markdown, HTML, Math
print("printed")
print("warned", file=sys.stderr)
pd.DataFrame({"a": [1, 2], "b": [0.5, 0.25]})
```

```{python}
#| echo: false
#| label: tbl-frame
#| tbl-cap: "A frame."
pd.DataFrame({"c": [3]})
```

```{python}
#| echo: false
#| label: fig-plots
#| fig-cap: "Two plots."
#| fig-subcap: ["First", "Second"]
plt.plot([1, 2]); plt.show()
plt.plot([2, 1]); plt.show()
```

```{python}
#| echo: false
#| error: true
display(Markdown("**bold** md"))
display(HTML("<b>raw html</b>"))
display(Math("x^2"))
1 / 0
```

See @fig-plots-2 and @tbl-frame.
"""


@pytest.fixture(scope="module")
def rendered_book(tmp_path_factory) -> Path:
    return write_book(tmp_path_factory.mktemp("rendered"), {"index.qmd": "# Home\n", "rendered.qmd": RENDERED})


def test_html_shows_each_output_in_quartos_markup(rendered_book: Path, tmp_path: Path) -> None:
    from bookbuild.cli import main

    assert main(["html", "--project", str(rendered_book), "--output-dir", str(tmp_path / "site")]) == 0
    page = (tmp_path / "site" / "rendered.html").read_text(encoding="utf-8")
    body = page[page.index('<h1'):]
    order = [m.group(1) for m in re.finditer(r'<div class="cell-output (cell-output-\w+)"', body)]
    assert order == ["cell-output-stdout", "cell-output-stderr", "cell-output-display",  # first cell
                     "cell-output-display",  # the captioned table
                     "cell-output-display",  # the figure and its parts
                     "cell-output-display", "cell-output-display", "cell-output-display", "cell-output-error"]
    assert body.count('<div class="cell">') == 4
    assert '<pre><code>printed</code></pre>' in body and 'class="dataframe"' in body
    # A table float, as Quarto makes one of a `tbl-` cell: the caption, then the DataFrame's own table.
    assert re.search(r'<div id="tbl-frame" class="quarto-float[^"]*">\s*<figure class="quarto-float quarto-float-tbl[^"]*">'
                     r'\s*<figcaption[^>]*>\s*Table&nbsp;2\.1: A frame\.\s*</figcaption>\s*<div aria-describedby="tbl-frame-caption">'
                     r'\s*<div>\s*<style scoped>.*?<table border="1" class="dataframe">', body, re.S)
    assert '<a href="#fig-plots-2" class="quarto-xref">Figure&nbsp;2.1 (b)</a>' in body
    assert '<a href="#tbl-frame" class="quarto-xref">Table&nbsp;2.1</a>' in body
    assert "<strong>bold</strong> md" in body and "<b>raw html</b>" in body and "<math" in body
    assert "ZeroDivisionError: division by zero" in body
    assert len(re.findall(r'<img src="rendered_files/fig-plots-\d\.svg"', body)) == 2


def test_latex_shows_tables_and_figures_not_html(rendered_book: Path, tmp_path: Path) -> None:
    from bookbuild.cli import main

    cache = tmp_path / "cache"
    assert main(["pdf", "--project", str(rendered_book), "--output-dir", str(tmp_path / "out"),
                 "--cache-dir", str(cache)]) == 0
    (tex,) = cache.glob("pdf/*/chapters/*rendered.tex")
    latex = tex.read_text(encoding="utf-8")
    assert "dataframe" not in latex and "<table" not in latex and "raw html" not in latex  # no HTML source
    assert latex.count("\\toprule") >= 2  # both DataFrames are real tables
    assert re.search(r"\\caption\{[^\n]*A frame\.[^\n]*\\label\{tbl-frame\}|\\label\{tbl-frame\}", latex)
    assert len(re.findall(r"\\includegraphics[^\n]*fig-plots-\d\.pdf", latex)) == 2
    assert "\\textbf{bold} md" in latex and "x^2" in latex
    assert "<IPython.core.display.HTML object>" in latex  # HTML has no LaTeX form: its text, as Quarto shows it
    assert "ZeroDivisionError: division by zero" in latex


# --------------------------------------------------------------------------- without a kernel's help


def _run_inprocess(text: str) -> Any:
    from bookbuild.execute.runner import run_chapter
    from bookbuild.qmd import parse_chapter

    return run_chapter(parse_chapter("/nowhere/ch.qmd", textwrap.dedent(text).lstrip()), "/nowhere/ch.qmd", "ch.qmd")


def test_the_front_matters_execute_error_lets_every_cell_show_its_traceback() -> None:
    result = _run_inprocess("""
        ---
        execute:
          error: true
        ---

        ```{python}
        raise KeyError("first")
        ```

        ```{python}
        #| error: false
        raise KeyError("second")
        ```

        ```{python}
        print("never")
        ```
        """)
    assert [(d.severity.value, d.line, d.message) for d in result.diagnostics] == [
        ("warning", 7, "KeyError: 'first'"), ("error", 12, "KeyError: 'second'")]
    assert [c.ran for c in result.cells] == [True, True, False]  # the cell's own error: false stops the chapter
    assert result.cells[0].outputs[0].text.splitlines() == [
        "Traceback (most recent call last):", "ch.qmd:7 in <module>", "KeyError: 'first'"]


def test_rich_display_needs_no_ipython() -> None:
    import subprocess
    import sys

    script = textwrap.dedent('''
        import sys
        sys.modules["IPython"] = None  # as if IPython were not installed: importing it fails
        from bookbuild.execute.runner import run_chapter
        from bookbuild.qmd import parse_chapter
        text = "```{python}\\nclass M:\\n    def _repr_markdown_(self):\\n        return '*m*'\\ndisplay(M())\\n[1, 2]\\n```\\n"
        result = run_chapter(parse_chapter("/nowhere/ch.qmd", text), "/nowhere/ch.qmd", "ch.qmd")
        print([(o.kind, sorted(o.data)) for o in result.cells[0].outputs], result.cells[0].outputs[1].text)
        ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == ("[('display_data', ['text/markdown', 'text/plain']), "
                                   "('execute_result', ['text/plain'])] [1, 2]"), done.stderr


def test_captions_and_alt_texts_go_to_the_figures_in_order() -> None:
    from bookbuild.execute.result import Figure
    from bookbuild.qmd import parse_chapter
    from bookbuild.render.cells import figure_markdown

    chapter = parse_chapter("ch.qmd", "```{python}\n#| label: fig-pair\n#| fig-cap: [One, Two]\n"
                                      "#| fig-alt: [First alt, Second alt]\npass\n```\n")
    (cell,) = chapter.cells
    figures = {1: Figure(0, 1, svg="<svg/>"), 2: Figure(0, 2, png=PNG_DATA, width=4)}
    out = figure_markdown(cell, [1, 2], figures, {(0, 1): "a.svg", (0, 2): "b.png"})
    assert out == {1: '::: {#fig-pair-1}\n![](a.svg){.cell-figure fig-alt="First alt"}\n\nOne\n:::',
                   2: '::: {#fig-pair-2}\n![](b.png){.cell-figure fig-alt="Second alt" width="4px"}\n\nTwo\n:::'}


def test_asis_output_interleaves_printed_markdown_and_figures() -> None:
    from bookbuild.qmd import parse_chapter
    from bookbuild.render.cells import cell_blocks

    result = _run_inprocess("""
        ```{python}
        #| output: asis
        import matplotlib.pyplot as plt
        print("**before**")
        plt.plot([1, 2]); plt.show()
        print("| a |\\n|---|\\n| 1 |")
        ```
        """)
    (cell,) = result.cells
    (source,) = parse_chapter("ch.qmd", "```{python}\n#| output: asis\npass\n```\n").cells
    blocks = cell_blocks(source, cell, {(0, 1): "f.svg"}, "html", asis=True)
    assert blocks == ["**before**\n", "::: {.cell-output .cell-output-display}\n![](f.svg){.cell-figure}\n:::",
                      "| a |\n|---|\n| 1 |\n"]
