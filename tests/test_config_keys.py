"""The book's TikZ preamble (``diagram: engine: tikz: header-includes:``) in HTML and PDF, a TikZ
failure in the PDF reported per figure, and the warning for configuration keys bookbuild ignores."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bookbuild.cli import main
from bookbuild.configkeys import unsupported_keys
from bookbuild.project import load_book
from bookbuild.render.tikz import compile_tikz
from conftest import FIXTURE, REPO

# Sepia and VioletLine2 are defined only in the book's diagram header, as the real textbook does.
DIAGRAM = """diagram:
  engine:
    tikz:
      execpath: lualatex
      header-includes:
        - '\\definecolor{Sepia}{rgb}{0.44, 0.26, 0.08}'
        - '\\definecolor{VioletLine2}{RGB}{169,136,229}'
"""
SEPIA = "#704214"  # rgb(0.44, 0.26, 0.08) as dvisvgm writes it

GOOD = """
::: {#fig-good}
```{.tikz}
\\begin{tikzpicture}
\\draw[Sepia, fill=VioletLine2] (0,0) rectangle (3,1) node[midway] {SEPIABOX};
\\end{tikzpicture}
```
A figure in the book's own colours.
:::
"""
BAD = """
::: {{#{label}}}
```{{.tikz}}
\\begin{{tikzpicture}}
\\draw {code};
\\end{{tikzpicture}}
```
A figure that cannot compile.
:::
"""


def run(*args: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(list(args), out=stdout, err=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def build(command: str, root: Path, tmp_path: Path) -> tuple[int, str]:
    status, stdout, stderr = run(command, "--project", str(root), "--output-dir", str(tmp_path / command),
                                 "--cache-dir", str(tmp_path / "cache"))
    return status, stdout + stderr


def line_of(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_a_colour_from_the_diagram_header_compiles_in_html(book_factory, tmp_path: Path) -> None:
    root = book_factory({"index.qmd": "# Figures\n" + GOOD}, DIAGRAM + "comments: hypothesis\n")
    status, output = build("html", root, tmp_path)
    assert status == 0, output
    # A build warns about an unsupported key as the check does, once.
    assert output.count("_quarto.yml:14:1: warning[config-unsupported]: not supported by bookbuild: comments") == 1, output
    page = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    src = re.search(r'<img src="([^"]+\.svg)"[^>]*class="tikz"', page) or re.search(r'<img[^>]+src="([^"]+tikz[^"]+\.svg)"', page)
    assert src, page
    svg = (tmp_path / "html" / src.group(1)).read_text(encoding="utf-8")
    assert SEPIA in svg.lower()  # the colour of the header, not a stand-in


def test_a_colour_from_the_diagram_header_is_in_the_pdf(book_factory, tmp_path: Path) -> None:
    root = book_factory({"index.qmd": "# Figures\n" + GOOD}, DIAGRAM)
    status, output = build("pdf", root, tmp_path)
    assert status == 0, output
    assert "error[" not in output
    (document,) = (tmp_path / "cache").glob("pdf/*/book.tex")
    assert "\\definecolor{Sepia}{rgb}{0.44, 0.26, 0.08}" in document.read_text(encoding="utf-8")
    (pdf,) = (tmp_path / "pdf").glob("*.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "SEPIABOX" in text


def test_the_header_is_part_of_every_figures_cache_key(tmp_path: Path) -> None:
    palette = load_book(REPO).palette
    code = "\\begin{tikzpicture}\\draw[Sepia] (0,0) -- (1,1);\\end{tikzpicture}\n"
    first = compile_tikz(code, tmp_path, palette, header=["\\definecolor{Sepia}{HTML}{704214}"])
    second = compile_tikz(code, tmp_path, palette, header=["\\definecolor{Sepia}{HTML}{102030}"])
    assert first != second
    assert "#102030" in second.read_text(encoding="utf-8").lower()


def test_bad_tikz_figures_in_the_pdf_are_each_reported_and_the_good_one_renders(book_factory, tmp_path: Path) -> None:
    text = ("# Figures\n" + GOOD + BAD.format(label="fig-colour", code="[NoSuchColour] (0,0) -- (1,1)")
            + BAD.format(label="fig-macro", code="(0,0) node {\\undefinedmacro}") + "\nSee @fig-good.\n")
    root = book_factory({"index.qmd": text}, DIAGRAM)
    chapter = root / "index.qmd"
    fences = [n for n, row in enumerate(chapter.read_text(encoding="utf-8").splitlines(), start=1) if row == "```{.tikz}"]
    status, output = build("pdf", root, tmp_path)
    assert status == 1, output
    errors = [row for row in output.splitlines() if "error[" in row]
    assert len(errors) == 2, output
    assert errors[0].startswith(f"{chapter}:{fences[1]}:1: error[tikz-failed]: TikZ figure fig-colour failed to compile: "
                                "! Package pgfkeys Error: I do not know the key '/tikz/NoSuchColour'"), errors
    assert errors[1].startswith(f"{chapter}:{fences[2]}:1: error[tikz-failed]: TikZ figure fig-macro failed to compile: "
                                "! Undefined control sequence."), errors
    (pdf,) = (tmp_path / "pdf").glob("*.pdf")  # the rest of the book is typeset
    reading = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "SEPIABOX" in reading
    assert reading.count("TikZ figure failed to compile") == 2


def test_a_header_that_is_not_latex_lines_is_an_error_at_its_line(book_factory, tmp_path: Path) -> None:
    root = book_factory({"index.qmd": "# One\n"}, "diagram:\n  engine:\n    tikz:\n      header-includes: {a: 1}\n")
    status, stdout, stderr = run("check", "--project", str(root))
    assert status == 2
    assert (f"{root / '_quarto.yml'}:10:7: error[config-type]: 'diagram: engine: tikz: header-includes:' "
            "must be a LaTeX line or a list of them, not a mapping") in stdout + stderr


def test_unsupported_keys_are_warnings_at_their_line_in_the_file_that_set_them(book_factory, tmp_path: Path) -> None:
    root = book_factory({"index.qmd": "# One\n\nEdition {{< meta edition >}}.\n"},
                        "comments: hypothesis\nedition: 2\nformat:\n  html:\n    toc: true\n    fancy-thing: true\n"
                        "  pdf:\n    documentclass: scrbook\n  docx: default\n" + DIAGRAM + "profile:\n  default: extra\n")
    (root / "_quarto-extra.yml").write_text("book:\n  titel: Typo\nexecute:\n  echo: false\n  cache: true\n",
                                            encoding="utf-8")
    status, stdout, stderr = run("check", "--project", str(root))
    assert status == 0, stdout + stderr
    config, profile = root / "_quarto.yml", root / "_quarto-extra.yml"
    found = re.findall(r"^(\S+): warning\[config-unsupported\]: (.*)$", stdout, re.M)
    assert sorted(found) == sorted([(f"{config}:7:1", "not supported by bookbuild: comments"),
                     (f"{config}:12:5", "not supported by bookbuild: format.html.fancy-thing"),
                     (f"{config}:15:3", "not supported by bookbuild: format.docx"),
                     (f"{profile}:2:3", "not supported by bookbuild: book.titel"),
                     (f"{profile}:5:3", "not supported by bookbuild: execute.cache")]), stdout
    assert "help: did you mean 'title'?" in stdout
    assert stdout.count("warning[config-unsupported]") == 5  # once each, though the check reads every chapter


def test_a_value_bookbuild_does_not_honour_is_a_warning_at_the_value(book_factory) -> None:
    root = book_factory({"index.qmd": "# One\n"}, "format:\n  html:\n    toc: false\n")
    found = [(d.line, d.col, d.message) for d in unsupported_keys(load_book(root).config_node)]
    assert found == [(9, 10, "not supported by bookbuild: format.html.toc: false")]


@pytest.mark.parametrize("project", [REPO, FIXTURE], ids=["this-book", "fixture"])
def test_this_books_and_the_fixtures_configuration_use_supported_keys_only(project: Path) -> None:
    if not (project / "_quarto.yml").is_file():
        pytest.skip(f"no {project}")
    assert unsupported_keys(load_book(project).config_node) == []


@pytest.mark.parametrize("text, expected", [
    ("format: html", []),
    ("format: docx", ["format: docx"]),
    ("format: {html: default, pdf: default}", []),
    ("diagram: 5", ["diagram: 5"]),
    ("diagram: {engine: {tikz: true, dot: {mime-type: x}, mermaid: false}}", ["diagram.engine.dot: a mapping"]),
    ("diagram: {engine: {tikz: {execpath: /opt/bin/mytex, output-format: png}}}",
     ["diagram.engine.tikz.execpath: /opt/bin/mytex", "diagram.engine.tikz.output-format: png"]),
    ("execute: {echo: true, freeze: true}", ["execute.freeze: true"]),
    ("format: {html: {toc: 1}}", ["format.html.toc: 1"]),
    # Numbering and cross-reference words are read, book-wide and per format; crossref.sec-labels is not.
    ("number-sections: false\nformat: {pdf: {number-depth: 2}}\n"
     "crossref: {fig-prefix: Fig., tbl-labels: alpha A, custom: [], chapters: true, sec-labels: alpha a}",
     ["crossref.sec-labels"]),
    # The language, its words (a mapping or a file), the contents' depth and the notes' place are read.
    ("lang: de\nlanguage: {callout-note-title: Hinweis, crossref-fig-prefix: Abb.}\ntoc-depth: 2\n"
     "format: {html: {language: de.yml, citation-location: margin}, pdf: {reference-location: document, "
     "citation-location: margin}}", ["format.pdf.citation-location"]),
    # Callouts configured in either shape (see test_callout_config.py) are read.
    ("filter-metadata: {custom-numbered-blocks: {groups: {q: {collapse: true}}}}\n"
     "bookbuild: {callouts: {kinds: {tip: {label: Hint}}}}", []),
])
def test_what_each_value_is_taken_for(text: str, expected: list[str]) -> None:
    found = [d.message for d in unsupported_keys(yaml.compose(text))]
    assert found == [f"not supported by bookbuild: {what}" for what in expected]
