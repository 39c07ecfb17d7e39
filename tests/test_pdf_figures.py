"""The PDF's TikZ figures typeset once each on their own page (render/latex_figures.py), and PDF
rebuilds after an edit against cold builds: a small two-chapter book, checked in the PDF's text and
in the positions of its words (pdftotext -bbox)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest

from bookbuild.project import load_book
from bookbuild.render import latex_figures
from bookbuild.render.latex_run import compile_document
from bookbuild.render.pdf import build_pdf

FIGURE = """
::: {{#fig-{name} fig-env="figure" fig-pos="t" fig-cap="A picture of {name}."}}

```{{.tikz}}
\\begin{{tikzpicture}}[font=\\small\\usefont{{T1}}{{phv}}{{m}}{{n}}]
\\node[draw=BlueLine, fill=BlueL, text width=3cm] (a) {{Node {name} with text that wraps}};
\\node[draw, right=2cm of a] (b) {{$x^2$ {name}}};
\\draw[->] (a) -- (b);
\\end{{tikzpicture}}
```
:::
"""


def chapter(title: str, name: str, sentence: str) -> str:
    return (f"# {title} {{#sec-{name}}}\n\n{sentence} See @fig-{name} and @sec-one.\\index{{{name}}}\n\n"
            + FIGURE.format(name=name) + "\nMore text after the figure.\n")


def pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def words(pdf: Path) -> list[tuple[str, str, float, float]]:
    """Every word with its page and position (pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        for match in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page):
            found.append((str(number), match.group(3), float(match.group(1)), float(match.group(2))))
    return found


def destinations(pdf: Path) -> dict[str, int]:
    """Named destination -> the index of its page."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    return {name: reader.get_destination_page_number(dest) for name, dest in reader.named_destinations.items()}


@pytest.fixture
def two_chapters(book_factory) -> Path:
    return book_factory({"one.qmd": chapter("One", "one", "The first chapter's sentence."),
                         "two.qmd": chapter("Two", "two", "The second chapter's sentence.")})


def test_figures_are_typeset_once_and_placed_where_latex_put_them(two_chapters: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Each figure float's picture comes from its own page, and every word of the PDF (the figures'
    too) stands where it stands when LaTeX typesets the pictures in the book."""
    book = load_book(two_chapters)
    placed = build_pdf(book, tmp_path / "a" / "out", tmp_path / "a" / "cache", log=io.StringIO())
    assert placed.pdf is not None, placed.diagnostics
    tex = "".join(p.read_text(encoding="utf-8") for p in sorted((placed.workdir / "chapters").glob("*.tex")))
    assert tex.count("\\bookexternal{") == 2 and "\\begin{tikzpicture}" not in tex

    monkeypatch.setattr(latex_figures, "externalizable", lambda code: False)
    inline = build_pdf(book, tmp_path / "b" / "out", tmp_path / "b" / "cache", log=io.StringIO())
    assert inline.pdf is not None, inline.diagnostics
    assert "\\begin{tikzpicture}" in "".join(p.read_text(encoding="utf-8")
                                             for p in (inline.workdir / "chapters").glob("*.tex"))

    assert placed.pages == inline.pages
    mine, theirs = words(placed.pdf), words(inline.pdf)
    assert [w[:2] for w in mine] == [w[:2] for w in theirs]
    assert {"wraps", "Node", "two"} <= {w[1] for w in mine}
    assert max(abs(a[2] - b[2]) + abs(a[3] - b[3]) for a, b in zip(mine, theirs)) < 0.05


def test_a_figure_that_reaches_outside_its_box_or_stands_in_place_stays_in_the_book() -> None:
    picture = "\\begin{tikzpicture}\\node {a};\\end{tikzpicture}"
    floating = f"\\begin{{figure}}[t]\n\\centering\n\\begin{{bookfit}}[wide]\n{picture}\n\\end{{bookfit}}\n"
    assert latex_figures.figure_codes(floating) == [picture]
    # [H]: in a callout or a list, where the font and the line's width are those of the place.
    assert latex_figures.figure_codes(floating.replace("[t]", "[H]")) == []
    # The chapter's own LaTeX defines a style or a command a figure may use.
    assert latex_figures.figure_codes("\\tikzset{every node/.style={red}}\n" + floating) == []
    assert latex_figures.figure_codes("\\newcommand\\mine{x}\n" + floating) == []
    assert latex_figures.figure_codes("\\def\\labelenumi{\\arabic{enumi}.}\n" + floating) == [picture]
    assert latex_figures.externalizable("\\begin{tikzpicture}\\node {a};\\end{tikzpicture}")
    assert latex_figures.externalizable("\\begin{tikzpicture}[font=\\footnotesize]\\node {a};\\end{tikzpicture}")
    for inside in ("\\node {see \\ref{fig-x}};", "\\node {\\cite{k}};", "\\node {a\\footnote{n}};",
                   "\\node {a\\index{x}};", "\\global\\def\\x{1}", "\\node[remember picture] {a};"):
        assert not latex_figures.externalizable(f"\\begin{{tikzpicture}}{inside}\\end{{tikzpicture}}"), inside


def test_an_edit_rebuilds_the_pdf_a_cold_build_would_make(two_chapters: Path, tmp_path: Path) -> None:
    """One sentence edited in one chapter: the rebuilt PDF has the pages (count, numbering, text,
    references) of a cold build of the edited book, and reuses every figure."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = build_pdf(load_book(two_chapters), out, cache, log=io.StringIO())
    assert first.pdf is not None, first.diagnostics
    path = two_chapters / "two.qmd"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "The second chapter's sentence.", "The second chapter's sentence, edited to read longer than before."),
        encoding="utf-8")
    log = io.StringIO()
    again = build_pdf(load_book(two_chapters), out, cache, log=log)
    assert again.pdf is not None, again.diagnostics
    said = log.getvalue()
    assert again.passes == 1 and "TikZ figure" not in said
    # That chapter alone was typeset, its pages put into the last PDF.
    assert "two.tex alone" in said and "typesetting the whole book" not in said, said
    assert "tikz-pdf: 2 reused, 0 computed" in again.cache.summary()
    cold = build_pdf(load_book(two_chapters), tmp_path / "cold" / "out", tmp_path / "cold" / "cache",
                     log=io.StringIO())
    # Two passes: the first (draft) starts from an empty index, so its contents list the index as the second's do.
    assert cold.pdf is not None and cold.passes == 2
    assert "Index" in pages(cold.pdf)[1]
    rebuilt = pages(again.pdf)
    assert rebuilt == pages(cold.pdf)
    # The cold build's state is settled: one more pass reads back what it wrote and typesets the same pages.
    assert cold.workdir is not None
    more = compile_document(cold.workdir, "book", timeout=120)
    assert more.ok and more.passes == 1 and pages(cold.workdir / "book.pdf") == rebuilt
    # Every link target (named destination) is on the page it is on in the cold build.
    assert destinations(again.pdf) == destinations(cold.pdf)
    from pypdf import PdfReader
    assert PdfReader(again.pdf).trailer["/ID"] == PdfReader(cold.pdf).trailer["/ID"]
    assert "edited to read longer" in "".join(rebuilt) and "??" not in "".join(rebuilt)

    # An edit that moves the chapter's pages (here: adds one) is typeset as the whole book.
    path.write_text(path.read_text(encoding="utf-8") + "\n" + "\n\n".join(["A paragraph added at the end."] * 200),
                    encoding="utf-8")
    log = io.StringIO()
    longer = build_pdf(load_book(two_chapters), out, cache, log=log)
    assert longer.pdf is not None and longer.pages > again.pages, log.getvalue()
    assert "the chapter's layout changed" in log.getvalue() and longer.passes >= 1


def test_a_figure_that_fails_on_its_own_page_is_left_to_the_book(tmp_path: Path) -> None:
    """Of two batches, the one whose figure fails is not placed (LaTeX typesets it in the book and reports
    its error there); the other's figure is cached with its box, and a second build typesets nothing."""
    from bookbuild.cache import Cache

    preamble = "\\documentclass{article}\n\\usepackage{tikz}\n"
    good = "\\begin{tikzpicture}\\draw (0,0) rectangle (2,1);\\node at (1,.5) {box};\\end{tikzpicture}"
    bad = "\\begin{tikzpicture}\\undefinedinthisbook\\end{tikzpicture}"
    said: list[str] = []
    cache = Cache(tmp_path / "cache")
    found = latex_figures.place_figures(preamble, [good, bad], cache, tmp_path / "work", workers=2, timeout=120,
                                        say=said.append)
    assert set(found) == {good}
    path, where = found[good]
    assert path.is_file() and where.page == 1 and where.depth == 0
    # 2 cm plus the line's half width on each side (0.4 pt), in sp; 1 cm high likewise.
    assert abs(where.width - round((2 / 2.54 * 72.27 + 0.4) * 65536)) < 2 * 65536
    assert any("1 TikZ figure(s) did not typeset" in line for line in said)
    said.clear()
    again = latex_figures.place_figures(preamble, [good], cache, tmp_path / "work2", workers=2, timeout=120,
                                        say=said.append)
    assert again[good][1] == where and said == []


def test_figures_typeset_apart_keep_the_pdf_the_same_wherever_it_is_built(two_chapters: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With SOURCE_DATE_EPOCH set, two cold builds in two cache folders give the same bytes: the figures'
    pages carry no path, date or /ID of the run that typeset them."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764115200")
    pdfs = []
    for name in ("first", "second"):
        result = build_pdf(load_book(two_chapters), tmp_path / name / "out", tmp_path / name / "cache", log=io.StringIO())
        assert result.pdf is not None, result.diagnostics
        pdfs.append(result.pdf.read_bytes())
    assert b"/PTEX.FileName" not in pdfs[0]
    assert pdfs[0] == pdfs[1]


def outline(pdf: Path) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    found: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))
    walk(reader.outline, 0)
    return found


def test_the_last_pass_in_two_halves_makes_the_whole_passs_pdf(two_chapters: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A book's settling pass typeset as two halves at once (each one chapter here) gives the PDF of the
    whole pass: pages, their labels, link targets, bookmarks and /ID; a half whose chapter comes out
    otherwise than the whole pass wrote it is not used."""
    from pypdf import PdfReader
    from bookbuild.render import latex_halves

    whole = build_pdf(load_book(two_chapters), tmp_path / "a" / "out", tmp_path / "a" / "cache", workers=2,
                      log=io.StringIO())
    assert whole.pdf is not None, whole.diagnostics
    monkeypatch.setattr(latex_halves, "LONG_BOOK", 0)  # this book is short: split it all the same
    log = io.StringIO()
    halves = build_pdf(load_book(two_chapters), tmp_path / "b" / "out", tmp_path / "b" / "cache", workers=2, log=log)
    assert halves.pdf is not None, halves.diagnostics
    said = log.getvalue()
    assert "two halves at once (1 and 1 chapters)" in said and "did not come out" not in said, said
    assert halves.pages == whole.pages and halves.passes == whole.passes
    assert pages(halves.pdf) == pages(whole.pdf)
    assert destinations(halves.pdf) == destinations(whole.pdf)
    assert outline(halves.pdf) == outline(whole.pdf) and [t for _, t, _ in outline(whole.pdf)] == ["1 One", "2 Two", "Index"]
    mine, theirs = PdfReader(halves.pdf), PdfReader(whole.pdf)
    assert mine.page_labels == theirs.page_labels and mine.trailer["/ID"] == theirs.trailer["/ID"]
    assert not any((halves.workdir / name).exists() for name in latex_halves.HALVES)

    # A chapter whose layout differs from what the last whole pass wrote (here: a label's page): not used.
    workdir = halves.workdir
    aux = workdir / "chapters" / "01-two.aux"
    text = aux.read_text(encoding="utf-8")
    changed = re.sub(r"(\\newlabel\{sec-two\}\{\{[^{}]*\}\{)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 5), text)
    assert changed != text
    aux.write_text(changed, encoding="utf-8")
    before = (workdir / "book.pdf").read_bytes()
    said_again: list[str] = []
    stems = ["chapters/00-one", "chapters/01-two"]
    assert latex_halves.typeset_in_halves(workdir, "book", stems, 120, said_again.append) is None
    assert any("did not come out" in line for line in said_again)
    assert (workdir / "book.pdf").read_bytes() == before
