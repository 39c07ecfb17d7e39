"""`bookbuild pdf`: the fixture and this book typeset by LuaLaTeX, checked in the PDF's text.

The fixture's PDF is built once per session (cold: its own cache folder); the
other builds are small books. Text comes from ``pdftotext``: ``-layout`` for
what must read in place, the default reading order (which keeps side notes and
table columns apart) for the computed values.
"""

from __future__ import annotations

import io
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bookbuild.check import check_book
from bookbuild.cli import main
from bookbuild.project import load_book
from bookbuild.render import latex_setup
from bookbuild.render.latex_run import compile_document, first_error
from conftest import FIXTURE, REPO, forget_build_records, snapshot, tiny_png

FIXTURE_PDF = "machine-learning-systems.pdf"
SCREENSHOTS = REPO / "_build" / "screenshots"


def build(project: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    """Run ``bookbuild pdf`` in-process; return (status, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(["pdf", "--project", str(project), "--output-dir", str(out), *extra], out=stdout, err=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def pdf_text(pdf: Path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def flat(text: str) -> str:
    """Whitespace (line breaks included) as single spaces."""
    return " ".join(text.split())


def built_pdf_text(root: Path, tmp_path: Path) -> str:
    """Build the book's PDF (it must succeed) and return its text in reading order, whitespace flattened."""
    status, stdout, stderr = build(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout + stderr
    return flat(pdf_text(next((tmp_path / "out").glob("*.pdf"))))


@dataclass
class BuiltPdf:
    pdf: Path
    status: int
    stdout: str
    stderr: str
    layout: str  # pdftotext -layout, pages separated by form feeds
    reading: str  # pdftotext in reading order
    seconds: float
    root: Path  # holds out/ and cache/

    @property
    def pages(self) -> list[str]:
        return self.layout.split("\f")[:-1]


@pytest.fixture(scope="session")
def fixture_pdf(tmp_path_factory: pytest.TempPathFactory) -> BuiltPdf:
    root = tmp_path_factory.mktemp("fixture-pdf")
    before = snapshot(FIXTURE)
    started = time.perf_counter()
    status, stdout, stderr = build(FIXTURE, root / "out", "--cache-dir", str(root / "cache"))
    seconds = time.perf_counter() - started
    assert snapshot(FIXTURE) == before, "the build wrote into the fixture folder"
    pdf = root / "out" / FIXTURE_PDF
    assert status == 0 and pdf.is_file(), stdout + stderr
    return BuiltPdf(pdf, status, stdout, stderr, pdf_text(pdf, "-layout"), pdf_text(pdf), seconds, root)


def test_fixture_pdf_builds_with_the_checks_warnings_only(fixture_pdf: BuiltPdf) -> None:
    assert "error[" not in fixture_pdf.stdout
    assert "warning[xref-unresolved]" in fixture_pdf.stdout
    assert not re.search(r"warning\[(latex|pdf)-", fixture_pdf.stdout), fixture_pdf.stdout
    match = re.search(r"built .*machine-learning-systems\.pdf \((\d+) pages, (\d) LaTeX pass(?:es)?\) in [\d.]+ s: "
                      r"0 errors, \d+ warnings", fixture_pdf.stdout)
    assert match, fixture_pdf.stdout
    assert int(match.group(2)) <= 4
    assert "typesetting with lualatex" in fixture_pdf.stderr
    assert fixture_pdf.pdf.read_bytes().startswith(b"%PDF")


def test_an_unchanged_book_is_not_typeset_again(fixture_pdf: BuiltPdf) -> None:
    before = fixture_pdf.pdf.stat().st_mtime_ns
    cache = fixture_pdf.root / "cache"
    status, stdout, stderr = build(FIXTURE, fixture_pdf.root / "out", "--cache-dir", str(cache))
    assert status == 0
    assert re.search(r"\(\d+ pages, 0 LaTeX passes\)", stdout), stdout
    assert "nothing changed since the last build" in stderr  # the whole build replayed (test_build_record.py)
    # A real build whose LaTeX input is the same does not typeset either.
    forget_build_records(cache)
    status, stdout, stderr = build(FIXTURE, fixture_pdf.root / "out", "--cache-dir", str(cache))
    assert status == 0
    assert re.search(r"\(\d+ pages, 0 LaTeX passes\)", stdout), stdout
    assert "unchanged since the last build" in stderr
    assert fixture_pdf.pdf.stat().st_mtime_ns == before  # same bytes: the file is left alone


def test_page_count_is_sensible(fixture_pdf: BuiltPdf) -> None:
    # Title, contents, lists, preface, a ~45-page chapter, references, index.
    assert 40 <= len(fixture_pdf.pages) <= 90


def test_every_computed_value_reads_as_in_html(fixture_pdf: BuiltPdf) -> None:
    """Every plain inline value of the chapter is in the PDF, as the HTML test checks it in the page.

    Allowances, for typesetting only: line breaks and hyphenation (a word split
    at a line end is joined again, as is a slash and the line break after it),
    "--" typeset as an en dash, and values in narrow table cells, which LaTeX
    wraps over several lines: pdftotext then interleaves the columns, so such a
    value counts as present when its words appear in order, each within a few
    lines of the previous one (a hyphen where the cell broke the line may be gone).
    No value is excluded.
    """
    executed = check_book(load_book(FIXTURE), ["ml_systems"]).executed[0]
    values = [v.text for v in executed.values if not v.markdown]
    assert len(values) > 250

    def clean(text: str) -> str:
        return flat(text.replace("--", "–").replace("∼", "~"))

    # A table cell may also break a line after a slash ("$35,136/" / "year").
    raw = re.sub(r"/\s+", "/", fixture_pdf.reading.replace("∼", "~"))
    texts = (clean(raw), clean(re.sub(r"(?<=\w)-\n", "", raw)))
    in_line = [v for v in values if any(clean(v) in text for text in texts)]
    wrapped = [v for v in values if v not in in_line]

    def near(value: str) -> bool:
        # pdftotext drops the hyphen where a cell breaks a line after one ("kilobytes-" / "megabytes").
        words = [re.escape(word).replace("\\-", "-?") for word in clean(value).split()]
        return re.search(r"[\s\S]{0,120}?".join(words), raw) is not None

    assert [v for v in wrapped if not near(v)] == []
    assert len(wrapped) <= 10, wrapped  # only table cells wrap
    # Markdown values (fractions from md_frac) are typeset as math, never as TeX source.
    assert "\\frac" not in fixture_pdf.reading


def test_no_source_syntax_or_unresolved_latex_references(fixture_pdf: BuiltPdf) -> None:
    text = fixture_pdf.layout
    assert "??" not in text
    for literal in ("{python}", "\\index", "\\mlsysstack", "\\chapterminitoc", "\\begin", "\\noindent", ":::"):
        assert literal not in text, literal


def test_figures_tables_and_equations_are_numbered_as_in_html(fixture_pdf: BuiltPdf) -> None:
    text = fixture_pdf.layout
    # Captions start a line ("… appears in Table 1.6:" in the prose does not).
    assert [int(n) for n in re.findall(r"^\s*Figure 1\.(\d+):", text, re.M)] == list(range(1, 13))
    assert [int(n) for n in re.findall(r"^\s*Table 1\.(\d+):", text, re.M)] == list(range(1, 7))
    equations = re.findall(r"\{#(eq-[^}\s]+)\}", (FIXTURE / "ml_systems.qmd").read_text(encoding="utf-8"))
    for k in range(1, len(equations) + 1):
        assert f"(1.{k})" in text
    # References read like their targets: "Figure 1.5" is cited in the prose, besides its caption.
    assert flat(text).count("Figure 1.5") >= 2
    assert "Section 1.3.1" in flat(text)
    # Sections are numbered N.k, the preface is not.
    assert re.search(r"^\s*1\.1\s+Deployment Paradigm Framework", text, re.M)
    assert not re.search(r"\d\s+Preface", text)


def test_unresolved_cross_references_read_as_in_html(fixture_pdf: BuiltPdf) -> None:
    assert "?@sec-introduction" in fixture_pdf.layout


def test_contents_bibliography_and_index(fixture_pdf: BuiltPdf) -> None:
    pages = fixture_pdf.pages
    contents = next(page for page in pages if page.strip().startswith("Contents"))
    for entry in ("Preface", "ML Systems", "References", "Index"):
        assert entry in contents
    assert any(page.strip().startswith("List of Figures") for page in pages)
    assert any(page.strip().startswith("List of Tables") for page in pages)
    references = flat("".join(page for page in pages if page.strip().startswith("References")
                              or "References" in page.splitlines()[0]))
    assert "Sculley" in references and "Hidden Technical Debt" in references
    assert "(Sculley et al. 2015)" in flat(fixture_pdf.reading)
    index = flat("".join(page for page in pages if page.strip().startswith("Index") or "INDEX" in page.split("\n", 1)[0]))
    assert "Power Wall" in index and "Memory Wall" in index


def test_screenshot_of_the_first_chapter_page(fixture_pdf: BuiltPdf) -> None:
    """Render the chapter's first page to _build/screenshots/ for people to look at."""
    number = next(n for n, page in enumerate(fixture_pdf.pages, start=1)
                  if re.search(r"^\s*1\s+ML Systems\s*$", page, re.M) and "In this chapter" in page)
    # The margin holds the chapter's own table of contents (numbered sections only) and its stack diagram.
    page = fixture_pdf.pages[number - 1]
    assert re.search(r"1\.1\s+Deployment Paradigm", page) and re.search(r"1\.12\s+Summary", page)
    assert "Where this chapter sits in the ML" in page and "Purpose" in page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = SCREENSHOTS / "pdf-fixture-chapter-1"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(number), "-l", str(number), "-singlefile",
                    str(fixture_pdf.pdf), str(stem)], check=True, capture_output=True)
    png = stem.with_suffix(".png")
    assert png.is_file() and png.stat().st_size > 20_000


def test_this_books_pdf(tmp_path: Path) -> None:
    status, stdout, stderr = build(REPO, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout + stderr
    pdf = tmp_path / "out" / "machine-learning-systems-computed.pdf"
    text = flat(pdf_text(pdf, "-layout"))
    assert "Part I" in text and "Foundations" in text
    assert "1 Reading the Weights" in text and "1.1 The accelerator" in text
    assert "performs 312 TFLOP/s" in text and "Table 1.1:" in text and "(1.1)" in text
    assert "Brown, Tom" in text  # the bibliography
    # The generated appendix lists the constants behind the values, with sources.
    appendix = text[text.rindex("Assumptions"):]
    assert "A100_MEM_BW" in appendix and "2,039" in appendix and "datasheet" in appendix


def test_one_chapter_build_keeps_the_books_numbering(tmp_path: Path) -> None:
    status, stdout, stderr = build(REPO, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"), "bandwidth")
    assert status == 0, stdout + stderr
    pdf = tmp_path / "out" / "machine-learning-systems-computed-bandwidth.pdf"
    text = flat(pdf_text(pdf, "-layout"))
    assert "1 Reading the Weights" in text and "This book computes its numbers" not in text


def test_a_latex_error_names_the_chapter_line_and_does_not_hang(book_factory, tmp_path: Path) -> None:
    root = book_factory({
        "index.qmd": """
            # Preface {.unnumbered}

            Fine.
            """,
        "broken.qmd": """
            # Broken {#sec-broken}

            A first paragraph that is fine, long enough to be found again.

            ## A section

            ::: {.callout-note title="A callout"}
            Inside the callout, nothing wrong either.
            :::

            Here the author wrote \\undefinedcommand{x} in the middle of a
            sentence that goes on.
            """,
    })
    line = (root / "broken.qmd").read_text(encoding="utf-8").splitlines().index(
        "Here the author wrote \\undefinedcommand{x} in the middle of a") + 1
    started = time.perf_counter()
    status, stdout, _ = build(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert time.perf_counter() - started < 60
    assert status == 1
    assert re.search(rf"broken\.qmd:{line}:23: error\[latex\]: LaTeX failed: Undefined control sequence: \\undefinedcommand",
                     stdout), stdout
    assert re.search(r"^\s+l\.\d+ Here the author wrote", stdout, re.M)  # an excerpt of the LaTeX log
    assert "no PDF built" in stdout
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


def test_latex_that_never_finishes_is_stopped(book_factory, tmp_path: Path) -> None:
    """The limit is set from a probe build of the same book on this machine, now: on a loaded
    machine a fixed few seconds can run out before LaTeX even reaches the chapter."""
    from bookbuild.render.pdf import build_pdf

    root = book_factory({"loop.qmd": """
        # Loop

        Text before the loop.
        """})
    probe = build_pdf(load_book(root), tmp_path / "out", tmp_path / "cache", log=io.StringIO())
    assert probe.pdf is not None, probe.all_diagnostics
    # The probe ran every stage and at least two LaTeX passes: one pass reaches the chapter sooner.
    assert probe.passes >= 2
    limit = max(4, round(probe.seconds))
    chapter = root / "loop.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n```{=latex}\n\\loop\\iftrue\\repeat\n```\n",
                       encoding="utf-8")
    result = build_pdf(load_book(root), tmp_path / "out", tmp_path / "cache", latex_timeout=limit, log=io.StringIO())
    assert result.pdf is None
    problem = next(d for d in result.diagnostics if d.code == "latex")
    assert f"did not finish within {limit:g} s" in problem.message and problem.file.endswith("loop.qmd")


def test_first_error_reads_file_line_and_culprit() -> None:
    log = ("(./chapters/01-x.tex\n./chapters/01-x.tex:7: Undefined control sequence.\n"
           "l.7 Some text \\nosuch\n                    {x} more\n\nHere is how much\n")
    found = first_error(log)
    assert found is not None
    assert (found.file, found.line, found.culprit) == ("./chapters/01-x.tex", 7, "\\nosuch")


def test_files_left_by_an_earlier_run_do_not_break_the_next(tmp_path: Path) -> None:
    """A .toc written for another document (here: a command this one lacks) is dropped, and the run redone."""
    (tmp_path / "book.tex").write_text("\\documentclass{article}\\begin{document}\\tableofcontents\n"
                                       "\\section{One}Text.\\end{document}\n", encoding="utf-8")
    (tmp_path / "book.toc").write_text("\\contentsline{section}{\\staleonlyinanotherclass One}{1}\n", encoding="utf-8")
    (tmp_path / "book.aux").write_text("\\relax\n", encoding="utf-8")
    messages: list[str] = []
    result = compile_document(tmp_path, "book", timeout=60, say=messages.append)
    assert result.ok and result.pages == 1, result.error
    assert any("starting afresh" in m for m in messages)
    assert "staleonlyinanotherclass" not in (tmp_path / "book.toc").read_text(encoding="utf-8")


def test_missing_packages_give_the_exact_install_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    absent_files = {"tcolorbox.sty", "etoc.sty", "lmroman10-regular.otf"}

    def fake_kpsewhich(names):
        return {name: None if name in absent_files else f"/texmf/{name}" for name in names}

    def fake_which(program):
        return None if program == "lualatex" else f"/usr/bin/{program}"

    absent = latex_setup.missing(fake_kpsewhich, fake_which)
    assert [r.name for r in absent] == ["lualatex", "tcolorbox.sty", "etoc.sty", "lmroman10-regular.otf"]
    assert (latex_setup.install_command(absent, root=True)
            == "apt-get install -y --no-install-recommends texlive-latex-base texlive-latex-extra fonts-lmodern")
    assert latex_setup.install_command(absent, root=False).startswith("sudo apt-get install -y ")

    # Through the CLI: nothing is executed or compiled, exit status 2, the line to run.
    monkeypatch.setattr(latex_setup, "kpsewhich_lookup", fake_kpsewhich)
    monkeypatch.setattr(latex_setup.shutil, "which", fake_which)
    started = time.perf_counter()
    status, stdout, stderr = build(REPO, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"), "--no-install")
    assert status == 2
    assert "error[latex-setup]" in stderr and latex_setup.install_command(absent) in stderr
    assert time.perf_counter() - started < 5
    assert not (tmp_path / "cache").exists()


def test_missing_packages_are_installed_when_possible(monkeypatch: pytest.MonkeyPatch) -> None:
    installed: list[list[str]] = []

    def fake_kpsewhich(names):
        return {name: None if name == "etoc.sty" and not installed else f"/texmf/{name}" for name in names}

    def fake_apt(args, log):
        installed.append(args)
        return True

    monkeypatch.setattr(latex_setup, "can_install", lambda: True)
    monkeypatch.setattr(latex_setup, "_apt", fake_apt)
    log = io.StringIO()
    assert latex_setup.ensure(log, find_files=fake_kpsewhich, find_program=lambda p: f"/usr/bin/{p}") == []
    assert installed == [["apt-get", "install", "-y", "--no-install-recommends", "texlive-latex-extra"]]
    assert "installing from Debian for the PDF: texlive-latex-extra" in log.getvalue()
    # Not allowed to: nothing is run, the missing file is reported.
    installed.clear()
    missing = latex_setup.ensure(log, allow_install=False, find_files=fake_kpsewhich,
                                 find_program=lambda p: f"/usr/bin/{p}")
    assert [r.name for r in missing] == ["etoc.sty"] and installed == []


def test_every_package_the_pdf_needs_is_in_the_ci_list() -> None:
    listed = set((REPO / "scripts" / "debian-packages.txt").read_text(encoding="utf-8").split())
    assert set(latex_setup.packages()) <= listed
    assert set(latex_setup.packages(latex_setup.TIKZ_REQUIREMENTS)) <= listed
    assert set(latex_setup.packages(latex_setup.OPTIONAL_REQUIREMENTS)) <= listed
    assert latex_setup.missing(requirements=latex_setup.TIKZ_REQUIREMENTS) == []


def test_same_book_same_bytes_wherever_it_is_built(book_factory, tmp_path: Path, monkeypatch) -> None:
    """Reproducible output: with SOURCE_DATE_EPOCH set, two cold builds in two cache folders are identical."""
    from bookbuild.render.pdf import build_pdf

    root = book_factory({"ch.qmd": """
        # Same bytes

        ```{python}
        answer_str = str(6 * 7)
        ```

        The answer is `{python} answer_str`.
        """})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764115200")
    pdfs = []
    for name in ("first", "second"):
        result = build_pdf(load_book(root), tmp_path / name / "out", tmp_path / name / "cache", log=io.StringIO())
        assert result.pdf is not None, result.diagnostics
        pdfs.append(result.pdf.read_bytes())
    assert b"/CreationDate (D:20251126" in pdfs[0]
    assert pdfs[0] == pdfs[1]


def test_notes_in_captions_are_kept_and_numbered_in_sequence(book_factory, tmp_path: Path) -> None:
    """LaTeX drops a \\footnote in a float or a longtable caption; each note must reach the page."""
    root = book_factory({"notes.qmd": """
        # Notes

        Before the table.[^a]

        | x | y |
        |---|---|
        | 1 | 2 |

        : Labelled table caption[^b] {#tbl-one}

        ![Figure caption[^c] with two[^d]](figure.png){#fig-one}

        ::: {.callout-note}
        ## Boxed

        | u | v |
        |---|---|
        | 3 | 4 |

        : Boxed table caption[^e] {#tbl-two}
        :::

        | p | q |
        |---|---|
        | 5 | 6 |

        : Unlabelled table caption[^f]

        See @tbl-one, @tbl-two and @fig-one.

        [^a]: Note alpha.
        [^b]: Note bravo.
        [^c]: Note charlie.
        [^d]: Note delta.
        [^e]: Note echo.
        [^f]: Note foxtrot.
        """})
    (root / "figure.png").write_bytes(tiny_png())
    text = built_pdf_text(root, tmp_path)
    marks = {
        "bravo": r"Labelled table caption\s?(\d+)",
        "charlie": r"Figure caption\s?(\d+) with two",
        "delta": r"with two\s?(\d+)",
        "echo": r"Boxed table caption\s?(\d+)",
        "foxtrot": r"Unlabelled table caption\s?(\d+)",
    }
    numbers = {}
    for name, caption in marks.items():
        mark = re.search(caption, text)
        note = re.search(rf"(\d+)\s?Note {name}\.", text)
        assert mark and note, (name, text)
        assert mark.group(1) == note.group(1), (name, mark.group(1), note.group(1))
        numbers[name] = int(note.group(1))
    assert re.search(r"(\d+)\s?Note alpha\.", text).group(1) == "1"
    assert sorted(numbers.values()) == [2, 3, 4, 5, 6]
    assert numbers["delta"] == numbers["charlie"] + 1


def test_svg_images_are_converted_and_a_broken_one_is_a_warning(book_factory, tmp_path: Path) -> None:
    root = book_factory({"pictures.qmd": """
        # Pictures

        ![A vector diagram](diagram.svg){#fig-diagram}

        ![Broken](broken.svg)

        See @fig-diagram.
        """})
    (root / "diagram.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80">'
        '<rect x="5" y="5" width="190" height="70" fill="#cfe2f3"/>'
        '<text x="20" y="48" font-family="DejaVu Sans" font-size="16">Vector marker text</text></svg>\n')
    (root / "broken.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect')
    status, stdout, stderr = build(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout + stderr
    text = flat(pdf_text(next((tmp_path / "out").glob("*.pdf"))))
    assert "Vector marker text" in text  # the SVG's own text, drawn in the PDF
    assert "Figure 1.1: A vector diagram" in text
    assert "image not available: broken.svg" in text
    assert re.search(r"pictures\.qmd:5:1: warning\[pdf-image\]: SVG image 'broken.svg' cannot be put in the PDF: "
                     r"rsvg-convert could not read it: .*XML parse error", stdout), stdout
    assert "diagram.svg" not in stdout  # the good one converted without a word


def test_part_pages_and_lettered_appendices(book_factory, tmp_path: Path) -> None:
    from test_html import parts_and_appendices_book

    root = parts_and_appendices_book(book_factory)
    status, stdout, stderr = build(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout + stderr
    pages = pdf_text(next((tmp_path / "out").glob("*.pdf")), "-layout").split("\f")
    contents = flat(next(page for page in pages if "Contents" in page))
    assert re.search(r"I The First Part 1 1 One \d+ 1\.1 Sub .* Appendices \d+ A Extra material \d+ A\.1 Detail", contents), contents
    body = flat(" ".join(pages))
    assert "See Section A.1, Table A.1 and Appendix A." in body
    assert "Table A.1: Appendix table" in body
    assert "What this part is about." in body
    assert body.count("The First Part") == 2  # the contents and the part's page: no chapter heading of its own


def test_figure_parts_and_tables_printed_by_cells_are_numbered(book_factory, tmp_path: Path) -> None:
    from test_html import subfigures_and_cell_tables_book

    root = subfigures_and_cell_tables_book(book_factory)
    text = built_pdf_text(root, tmp_path)
    assert "See Table 1.1, Figure 1.1, Figure 1.1 (a), Figure 1.1 (b) and Figure 1.2." in text
    assert "Table 1.1: A table a cell prints." in text
    assert "(a) Left picture (b) Right picture Figure 1.1: Two pictures." in text
    assert "Figure 1.2: After them" in text


def test_tabset_panels_follow_one_another_under_unnumbered_titles(book_factory, tmp_path: Path) -> None:
    root = book_factory({"tabs.qmd": """
        # Tabs

        ## Before

        ::: {.panel-tabset}
        ## Python tab

        Python panel.

        ## Rust tab

        Rust panel.
        :::

        ## After
        """})
    status, stdout, stderr = build(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout + stderr
    pages = [flat(page) for page in pdf_text(next((tmp_path / "out").glob("*.pdf")), "-layout").split("\f")]
    contents = next(page for page in pages if page.startswith("Contents"))
    assert re.search(r"1\.1 Before .* 1\.2 After", contents) and "tab" not in contents
    body = " ".join(pages)
    assert "Python tab Python panel. Rust tab Rust panel. 1.2 After" in body


NUMERIC_CSL = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>Bracketed numbers</title><id>bookbuild-test-numeric</id><updated>2026-11-26T00:00:00+00:00</updated></info>
  <citation collapse="citation-number">
    <sort><key variable="citation-number"/></sort>
    <layout prefix="[" suffix="]" delimiter=", "><text variable="citation-number"/></layout>
  </citation>
  <bibliography>
    <layout suffix="."><text variable="citation-number" prefix="[" suffix="] "/><text variable="title"/></layout>
  </bibliography>
</style>
"""


def numeric_style_book(book_factory) -> Path:
    """Two chapters, each citing one work; the .bib lists them in the other order."""
    root = book_factory({"one.qmd": "# One\n\nFirst [@zeta2020].\n", "two.qmd": "# Two\n\nSecond [@alpha1999].\n"},
                        extra_config="bibliography: refs.bib\ncsl: numeric.csl\n")
    (root / "refs.bib").write_text("@book{alpha1999, title={Alpha Book}, author={A. Author}, year={1999}}\n"
                                   "@book{zeta2020, title={Zeta Book}, author={Z. Author}, year={2020}}\n")
    (root / "numeric.csl").write_text(NUMERIC_CSL)
    return root


def test_a_numeric_citation_style_numbers_works_book_wide(book_factory, tmp_path: Path) -> None:
    root = numeric_style_book(book_factory)
    text = built_pdf_text(root, tmp_path)
    assert "First [1]." in text and "Second [2]." in text
    assert "[1] Zeta book. [2] Alpha book." in text  # (the style sets titles in sentence case)


def test_a_missing_citation_style_is_an_error_in_the_config(book_factory) -> None:
    root = numeric_style_book(book_factory)
    (root / "numeric.csl").unlink()
    result = check_book(load_book(root))
    (problem,) = [d for d in result.diagnostics if d.code == "csl-missing"]
    assert (problem.file.endswith("_quarto.yml"), problem.line, problem.message) == (
        True, 9, "citation style 'numeric.csl' does not exist")


def test_callouts_carry_their_icons_unless_told_not_to(book_factory, tmp_path: Path) -> None:
    root = book_factory({"boxes.qmd": """
        # Boxes

        ::: {.callout-tip}
        With its icon.
        :::

        ::: {.callout-note icon="false"}
        Without.
        :::
        """})
    status, stdout, stderr = build(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout + stderr
    (tex,) = (tmp_path / "cache" / "pdf").glob("*/chapters/*boxes.tex")
    latex = tex.read_text(encoding="utf-8")
    openings = re.findall(r"\\begin\{bookcallout\}(\[[^\]]*\])?\{([\w-]+)\}", latex)
    # Quarto's colour names, each the kind's palette colour unless the book's LaTeX defines it.
    assert [(bool(icon), color) for icon, color in openings] == [(True, "quarto-callout-tip-color"),
                                                                 (False, "quarto-callout-note-color")]
    assert "\\bookcalloutcolorname{quarto-callout-tip-color}{GreenLine}" in latex
    assert "\\bookcalloutcolorname{quarto-callout-note-color}{BlueLine}" in latex
    icon = Path(openings[0][0][1:-1])
    assert icon.read_bytes().startswith(b"%PDF")  # the tip's SVG icon, drawn in the callout's colour
    assert "Without." in pdf_text(next((tmp_path / "out").glob("*.pdf")))


def test_without_rsvg_convert_an_svg_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    from bookbuild.render import svg

    (tmp_path / "a.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    monkeypatch.setattr(svg.shutil, "which", lambda name: None)
    with pytest.raises(svg.SvgError) as raised:
        svg.svg_to_pdf(tmp_path / "a.svg", tmp_path / "out")
    assert str(raised.value) == "rsvg-convert is not installed; install it with: apt-get install librsvg2-bin"


def test_code_listings_are_numbered_in_the_pdf(book_factory, tmp_path: Path) -> None:
    from test_html import LISTINGS

    root = book_factory(LISTINGS)
    text = built_pdf_text(root, tmp_path)
    assert "Listing 1.1: A loop over tokens. for token in tokens:" in text
    assert "Listing 1.2: The cell that computes it. answer = 6 * 7" in text
    assert "See Listing 1.1 and Listing 1.2." in text


def test_theorem_like_blocks_in_the_pdf(book_factory, tmp_path: Path) -> None:
    from test_html import THEOREMS

    root = book_factory(THEOREMS)
    text = built_pdf_text(root, tmp_path)
    assert "Definition 1.1 (Ridge point). The arithmetic intensity" in text
    assert "Definition 1.2 (Roofline). A bound on attainable throughput. Theorem 1.1. Attainable" in text
    assert "See Definition 1.1, Definition 1.2 and Theorem 1.1." in text and "Back to Definition 1.2." in text


def test_callouts_with_an_id_are_numbered_and_linked_in_the_pdf(book_factory, tmp_path: Path) -> None:
    from test_html import CROSS_REFERENCED_CALLOUTS

    root = book_factory(CROSS_REFERENCED_CALLOUTS)
    status, stdout, stderr = build(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0 and "0 warnings" in stdout, stdout + stderr  # every reference has its anchor
    text = flat(pdf_text(next((tmp_path / "out").glob("*.pdf"))))
    assert "TIP 1.1 · Cache it" in text and "TIP 1.2 · Batch it" in text and "WARNING 1.1" in text
    assert "DEFINITION 1.1 · Ridge point" in text
    assert "See Tip 1.1, Tip 1.2, Warning 1.1 and Definition 1.1." in text


def test_notes_in_a_callout_are_marks_with_their_texts_after_the_box(book_factory, tmp_path: Path) -> None:
    """A footnote inside a breakable box is lost: as Quarto does, the box holds \\footnotemark{} and the texts
    follow it (a nested callout's after the outermost), each numbered as its mark; `::: {.callout}` is a callout."""
    root = book_factory({"boxed.qmd": """
        # Boxed

        Before.[^a]

        ::: {.callout}
        ## Plain callout
        First boxed.[^b] Second boxed.[^c]

        ::: {.callout-tip}
        Nested.[^d]
        :::

        ![Boxed figure[^g]](figure.png){#fig-boxed}

        | x | y |
        |---|---|
        | cell[^e] | 2 |

        : Boxed table {#tbl-boxed}
        :::

        After.[^f] See @fig-boxed and @tbl-boxed.

        [^a]: Note alpha.
        [^b]: Note bravo.
        [^c]: Note charlie.
        [^d]: Note delta.
        [^e]: Note echo.
        [^f]: Note foxtrot.
        [^g]: Note golf.
        """})
    (root / "figure.png").write_bytes(tiny_png())
    text = built_pdf_text(root, tmp_path)
    latex = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "cache").glob("pdf/*/*.tex"))
    latex += "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "cache").glob("pdf/*/chapters/*.tex"))
    assert "First boxed.\\footnotemark{} Second boxed.\\footnotemark{}" in latex and "Nested.\\footnotemark{}" in latex
    assert "\\footnote{" not in latex  # not even in the preamble's side-note macro
    assert "\\addtocounter{footnote}{-5}\\stepcounter{footnote}\\footnotetext{Note bravo.}" in latex
    assert "PLAIN CALLOUT" in text.upper()
    marks = {"alpha": r"Before\.\s?(\d+)", "bravo": r"First boxed\.\s?(\d+)", "charlie": r"Second boxed\.\s?(\d+)",
             "delta": r"Nested\.\s?(\d+)", "golf": r"Boxed figure\s?(\d+)", "echo": r"cell\s?(\d+)",
             "foxtrot": r"After\.\s?(\d+)"}
    for n, (name, mark) in enumerate(marks.items(), start=1):
        found = re.search(mark, text)
        assert found and found.group(1) == str(n), (name, text)
        assert re.search(rf"{n}\s?Note {name}\.", text), (name, text)


def test_a_note_holding_a_code_block_typesets_in_the_margin_and_in_a_callout(book_factory, tmp_path: Path) -> None:
    # Verbatim cannot stand in a macro's argument: the note's code is set as inline code, line by line.
    root = book_factory({"notes.qmd": """
        # Notes

        Text with a side note.[^side]

        ::: {.callout-note}
        A note in a box.[^boxed]
        :::

        [^side]: Run it:

            ```
            make pdf_side
            ```

        [^boxed]: Or this:

            ```
            make pdf_boxed
            ```
        """})
    text = built_pdf_text(root, tmp_path)
    assert "make pdf_side" in text and "make pdf_boxed" in text


def test_passes_are_compared_without_the_lines_no_pass_reads(tmp_path: Path) -> None:
    """The page count and KOMA-Script's widest entry numbers do not make another pass, unless a list sizes
    its numbers by them (the log says so); any other line of the .aux does."""
    from bookbuild.render.latex_run import _snapshot

    base = "\\relax\n\\newlabel{a}{{1}{2}}\n"
    (tmp_path / "book.aux").write_text(base, encoding="utf-8")
    bare = _snapshot(tmp_path, "book")
    (tmp_path / "book.aux").write_text(base + "\\global\\@namedef{scr@dte@section@lastmaxnumwidth}{21.77994pt}\n"
                                       "\\gdef \\@abspage@last{53}\n", encoding="utf-8")
    assert _snapshot(tmp_path, "book") == bare
    assert _snapshot(tmp_path, "book", widths_read=True) != bare
    (tmp_path / "book.aux").write_text(base.replace("{2}", "{3}"), encoding="utf-8")
    assert _snapshot(tmp_path, "book") != bare


def test_a_chapter_build_after_the_whole_book_reads_the_other_chapters_from_its_cache(book_factory, tmp_path: Path) -> None:
    """The first CHAPTER= PDF after a whole-book PDF assembles the chapters it does not build as the book did
    (their values, their figures' paths), so Pandoc does not parse them again; and it is the PDF a CHAPTER=
    build from an empty cache makes (same pages, numbered as in the book)."""
    from bookbuild.render.pdf import build_pdf

    root = book_factory({
        "one.qmd": "# One {#sec-one}\n\n```{python}\nvalue_str = str(6 * 7)\n```\n\nThe value is `{python} value_str`.\n",
        "two.qmd": "# Two {#sec-two}\n\nSee @sec-one.\\index{two}\n\n## A section {#sec-a}\n\nText, and @sec-a.\n",
    })
    whole = build_pdf(load_book(root), tmp_path / "out", tmp_path / "cache", log=io.StringIO())
    assert whole.pdf is not None, whole.diagnostics
    after = build_pdf(load_book(root), tmp_path / "out", tmp_path / "cache", ["two"], log=io.StringIO())
    assert after.pdf is not None and after.pdf != whole.pdf, after.diagnostics
    assert "pandoc-ast: 2 reused, 0 computed" in after.cache.summary(), after.cache.summary()
    alone = build_pdf(load_book(root), tmp_path / "alone" / "out", tmp_path / "alone" / "cache", ["two"],
                      log=io.StringIO())
    assert alone.pdf is not None, alone.diagnostics
    texts = [pdf_text(p, "-layout").split("\f") for p in (after.pdf, alone.pdf)]
    assert texts[0] == texts[1]
    assert "2 Two" in "".join(texts[0]) and "The value is" not in "".join(texts[0]) and "??" not in "".join(texts[0])
