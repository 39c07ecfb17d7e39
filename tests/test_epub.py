"""``make epub``: the book and the fixture as EPUB 3, validated by the real epubcheck."""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURE, REPO, build_site, replace_once, tiny_png

from bookbuild.cli import main
from bookbuild.project import load_book
from bookbuild.render import epubcheck
from bookbuild.render.epub import build_epub, document_svg
from bookbuild.render.epub_document import book_identifier, join_chapters
from bookbuild.render.site import ChapterPage

EPOCH = "1700000000"
# `make test` installs epubcheck (scripts/debian-packages.txt): under CI its absence fails these tests.
needs_epubcheck = pytest.mark.skipif(shutil.which("epubcheck") is None and os.environ.get("CI") != "true",
                                     reason="epubcheck is not installed (scripts/debian-packages.txt lists it)")


def run_epub(project: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    """``bookbuild epub`` in-process: (status, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(["epub", "--project", str(project), "--output-dir", str(out), *extra], out=stdout, err=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def epub_files(out: Path) -> tuple[Path, dict[str, str]]:
    """The one EPUB in ``out`` and its text files by name."""
    [epub] = list(out.glob("*.epub"))
    with zipfile.ZipFile(epub) as archive:
        texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()
                 if name.endswith((".xhtml", ".opf", ".css", ".ncx"))}
    return epub, texts


def chapters_text(texts: dict[str, str]) -> str:
    return "\n".join(text for name, text in sorted(texts.items()) if re.search(r"/ch\d+\.xhtml$", name))


def visible(xhtml: str) -> str:
    """What a reader sees: tags dropped, whitespace folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", xhtml)).replace("\u00a0", " ")


def epubcheck_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "[epubcheck]" in line]


@pytest.fixture(scope="module")
def epoch():
    """SOURCE_DATE_EPOCH set for the module's builds (reproducible bytes)."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    yield EPOCH
    if before is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = before


@pytest.fixture(scope="module")
def repo_epub(tmp_path_factory, epoch):
    """This repository's book as EPUB (the default project), once: (out, status, stdout, stderr)."""
    out = tmp_path_factory.mktemp("repo-epub") / "epub"
    cache = tmp_path_factory.mktemp("repo-epub-cache")
    status, stdout, stderr = run_epub(REPO, out, "--cache-dir", str(cache))
    return out, status, stdout, stderr


@pytest.fixture(scope="module")
def fixture_epub(tmp_path_factory, epoch):
    """The shared fixture as EPUB (PROJECT=, OUT= a temporary folder), once."""
    out = tmp_path_factory.mktemp("fixture-epub") / "epub"
    cache = tmp_path_factory.mktemp("fixture-epub-cache")
    status, stdout, stderr = run_epub(FIXTURE, out, "--cache-dir", str(cache))
    return out, status, stdout, stderr


# --------------------------------------------------------------------------- this repository's book

@needs_epubcheck
def test_repo_book_is_a_valid_epub_with_its_values_math_and_references(repo_epub):
    out, status, stdout, stderr = repo_epub
    assert status == 0, stdout + stderr
    assert "checked by epubcheck" in stdout and "epubcheck: 0 errors, 0 warnings" in stderr
    assert epubcheck_lines(stdout) == []
    epub, texts = epub_files(out)
    assert epub.name == "machine-learning-systems-computed.epub"
    body = chapters_text(texts)
    seen = visible(body)
    assert "312 TFLOP/s" in seen and "172 ms" in seen  # computed values, as the reader sees them
    assert re.search(r'<a href="ch\d+\.xhtml#tbl-token-time" class="quarto-xref">Table(?:&nbsp;|\xa0|&#160;)1\.1</a>', body)
    assert re.search(r'class="quarto-xref">Equation(?:&nbsp;|\xa0|&#160;)1\.1</a>', body)
    assert "<math" in body and 'properties="mathml' in texts["EPUB/content.opf"]
    assert re.search(r'class="callout callout-style-default callout-notebook[ "]', body) and "Memory or arithmetic?" in seen
    # Citations link to the one bibliography, in a file of its own at the end.
    assert re.search(r'href="ch\d+\.xhtml#ref-brown2020language"', body)
    assert body.count('id="ref-brown2020language"') == 1


def test_repo_book_contents_nest_parts_chapters_and_the_appendix(repo_epub):
    out, status, stdout, stderr = repo_epub
    assert status in (0, 1), stdout + stderr
    _, texts = epub_files(out)
    nav = visible(texts["EPUB/nav.xhtml"])
    assert re.search(r"Preface Foundations 1 Reading the Weights 1\.1 .* Appendices .*Assumptions.* References", nav)
    toc = texts["EPUB/nav.xhtml"]
    # "Foundations" holds its chapter: a nested list right after the part's entry.
    assert re.search(r">Foundations</a><ol class=\"toc\"><li[^>]*><a href=\"text/ch\d+\.xhtml#sec-bandwidth\"", toc)
    opf = texts["EPUB/content.opf"]
    assert "<dc:title id=\"epub-title-1\">Machine Learning Systems, Computed</dc:title>" in opf
    assert ">The mlsys-book authors</dc:creator>" in opf and "<dc:language>en</dc:language>" in opf
    identifier = book_identifier("Machine Learning Systems, Computed", ["The mlsys-book authors"])
    assert f">{identifier}</dc:identifier>" in opf
    assert "2023-11-14T22:13:20Z" in opf  # dated by SOURCE_DATE_EPOCH
    assert "Assumptions" in visible(chapters_text(texts))


def test_repo_book_builds_the_same_bytes_twice(repo_epub, tmp_path, epoch):
    """With SOURCE_DATE_EPOCH, a second cold build (another cache, another folder) gives the same bytes."""
    out, status, stdout, stderr = repo_epub
    first, _ = epub_files(out)
    again = build_epub(load_book(REPO), tmp_path / "out", tmp_path / "cache", validate=False, log=io.StringIO())
    assert again.epub is not None and again.epub.read_bytes() == first.read_bytes()


# --------------------------------------------------------------------------- the shared fixture

@needs_epubcheck
def test_fixture_is_a_valid_epub(fixture_epub):
    out, status, stdout, stderr = fixture_epub
    assert status == 0, stdout + stderr
    assert "checked by epubcheck" in stdout and "epubcheck: 0 errors, 0 warnings" in stderr
    assert epubcheck_lines(stdout) == []
    assert not [line for line in stdout.splitlines() if "error[" in line]


def test_fixture_shows_values_figures_callouts_notes_and_math(fixture_epub):
    out, status, stdout, stderr = fixture_epub
    _, texts = epub_files(out)
    body = chapters_text(texts)
    seen = visible(body)
    assert "36 ms" in seen
    assert re.search(r'<a href="ch\d+\.xhtml#fig-[^"]+" class="quarto-xref">Figure(?:&nbsp;|\xa0|&#160;)1\.1</a>', body)
    assert re.search(r"Figure 1\.1: ", seen)  # the caption's number
    assert re.search(r'<div id="fig-[^"]+" class="figure-anchor">\s*<figure', body)
    assert "<math" in body
    assert re.search(r'class="callout callout-style-default callout-tip[^"]*" data-callout="tip" role="note"', body) and "Learning Objectives" in seen
    assert '<span class="callout-label">Tip</span>' in body  # the kind in words, not only a colour
    assert 'epub:type="footnote"' in body and 'epub:type="noteref"' in body
    # TikZ and matplotlib figures as SVG (a core media type: no fallback needed), the pictures as they are.
    opf = texts["EPUB/content.opf"]
    assert len(re.findall(r'media-type="image/svg\+xml"', opf)) >= 10
    assert 'media-type="image/png"' in opf and 'media-type="image/jpeg"' in opf


def test_fixture_chapter_build_unlinks_what_it_leaves_out(tmp_path, epoch):
    """CHAPTER=: only that chapter, its references to others kept as words (no link to a file not there)."""
    build = build_epub(load_book(FIXTURE), tmp_path / "out", tmp_path / "cache", ["index"], validate=False,
                       log=io.StringIO())
    assert build.epub is not None and build.epub.name == "machine-learning-systems-index.epub"
    _, texts = epub_files(tmp_path / "out")
    assert "36 ms" not in visible(chapters_text(texts))
    ids = set(re.findall(r'id="([^"]+)"', chapters_text(texts)))
    for name, text in texts.items():
        for target in re.findall(r'href="(?:ch\d+\.xhtml)?#([^"]+)"', text):
            assert target in ids | {"toc"}, (name, target)


# --------------------------------------------------------------------------- rebuilds

def small_book(book_factory, **extra):
    return book_factory({
        "a.qmd": """
            # Alpha {#sec-alpha}

            ```{python}
            speed_str = f"{200_000:,}"
            ```

            Light in fibre covers `{python} speed_str` km/s.

            ::: {.content-visible when-format="epub"}
            Only in the EPUB.
            :::

            ::: {.content-visible when-format="pdf"}
            Only in the PDF.
            :::
            """,
        "b.qmd": """
            # Beta

            See @sec-alpha.
            """,
    }, **extra)


def test_prose_edit_rebuilds_without_running_a_cell(book_factory, tmp_path):
    root = small_book(book_factory)

    def build() -> tuple[str, str]:
        done = build_epub(load_book(root), tmp_path / "out", tmp_path / "cache", validate=False, log=io.StringIO())
        assert done.epub is not None and not [d for d in done.all_diagnostics if d.is_error]
        return done.cache.summary(), chapters_text(epub_files(tmp_path / "out")[1])

    summary, body = build()
    assert "execute: 0 reused, 2 computed" in summary
    seen = visible(body)
    assert "200,000 km/s" in seen and "Only in the EPUB." in seen and "Only in the PDF." not in seen
    assert re.search(r'<a href="ch\d+\.xhtml#sec-alpha" class="quarto-xref">Chapter(?:&nbsp;|\xa0|&#160;)1</a>', body)
    replace_once(root / "a.qmd", "Light in fibre covers", "Light in glass fibre covers")
    summary, body = build()
    assert "execute: 2 reused, 0 computed" in summary
    assert "pandoc-epub: 1 reused, 1 computed" in summary  # only the edited chapter went through Pandoc again
    assert "Light in glass fibre covers 200,000 km/s" in visible(body)


def test_html_js_content_is_on_the_website_and_not_in_the_epub(book_factory, tmp_path):
    """Quarto's "html:js" is the HTML formats that run JavaScript: the website, not the EPUB (where "html" still holds),
    for conditional content and for a filter's quarto.doc.is_format."""
    root = book_factory({"a.qmd": """
        # Alpha

        ::: {.content-visible when-format="html"}
        For every HTML format.
        :::

        ::: {.content-visible when-format="html:js"}
        Only where scripts run.
        :::
        """}, "filters:\n  - js.lua\n")
    (root / "js.lua").write_text("function Pandoc(doc)\n  if quarto.doc.is_format('html:js') then\n"
                                 "    doc.blocks:insert(pandoc.Para({pandoc.Str('filter-saw-html-js')}))\n  end\n"
                                 "  return doc\nend\n")
    status, stdout, _ = build_site(root, tmp_path / "site")
    assert status == 0, stdout
    page = visible((tmp_path / "site" / "a.html").read_text(encoding="utf-8"))
    assert "For every HTML format." in page and "Only where scripts run." in page and "filter-saw-html-js" in page
    done = build_epub(load_book(root), tmp_path / "out", tmp_path / "cache", validate=False, log=io.StringIO())
    assert done.epub is not None and not [d for d in done.all_diagnostics if d.is_error]
    body = visible(chapters_text(epub_files(tmp_path / "out")[1]))
    assert "For every HTML format." in body
    assert "Only where scripts run." not in body and "filter-saw-html-js" not in body


# --------------------------------------------------------------------------- problems, at their lines

@needs_epubcheck
def test_problems_are_reported_at_the_chapter_line(book_factory, tmp_path):
    """Raw HTML that EPUB forbids (epubcheck's error), an SVG with a DOCTYPE, a remote and a PDF image;
    a bare <br> and a comment holding "--" are written as XHTML takes them (no message)."""
    root = book_factory({"a.qmd": """
        # Alpha

        Some text first.

        ```{=html}
        <center>old markup</center>
        ```

        ![A remote picture](https://example.org/x.png)

        ![A PDF picture](pic.pdf)

        ![A drawing](drawing.svg)

        First line<br>second line.

        <!-- a draft -- note -->
        """}, "  cover-image: cover.png\n")
    (root / "pic.pdf").write_bytes(b"%PDF-1.4\n")
    (root / "cover.png").write_bytes(tiny_png())
    (root / "drawing.svg").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n')
    status, stdout, stderr = run_epub(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert status == 1, stdout + stderr
    shown = str(root / "a.qmd")
    assert (f"{shown}:6:1: error[epubcheck]: epubcheck RSC-005: Error while parsing file: "
            'element "center" not allowed here') in stdout
    # The SVG's DOCTYPE brings in a few dozen entities: one message for them, at the image's line.
    assert re.search(re.escape(f"{shown}:13:1: error[epubcheck]: epubcheck HTM-003: External entities are not "
                               "allowed in EPUB v3 documents.") + r".*\(and \d+ more like it here\)", stdout)
    assert (f"{shown}:9:1: warning[epub-image]: image 'https://example.org/x.png' is not a local file: "
            "an EPUB holds its images, so it shows the image's name instead") in stdout
    assert (f"{shown}:11:1: warning[epub-image]: image 'pic.pdf' is a .pdf file, which EPUB readers need not "
            "show: the EPUB shows the image's name instead") in stdout
    assert {int(line.split(":")[1]) for line in epubcheck_lines(stdout)} == {6, 13}, stdout
    _, texts = epub_files(tmp_path / "out")
    assert "First line<br />" in chapters_text(texts) and "a draft" not in chapters_text(texts)
    assert re.search(r'<item properties="cover-image" [^>]*href="media/[^"]+\.png"', texts["EPUB/content.opf"])
    assert "[image: pic.pdf]" in visible(chapters_text(texts))


def test_a_missing_cover_is_a_warning_at_its_line_and_lang_and_date_are_the_books(book_factory, tmp_path):
    root = book_factory({"a.qmd": "# Alpha\n\nText.\n"}, "  cover-image: covers/none.png\nlang: de\ndate: 2024-05-01\n")
    build = build_epub(load_book(root), tmp_path / "out", tmp_path / "cache", validate=False, log=io.StringIO())
    assert build.epub is not None
    assert [d.format_text().splitlines()[0] for d in build.diagnostics] == [
        f"{root / '_quarto.yml'}:7:3: warning[epub-cover]: cover image 'covers/none.png' is left out: no such file"]
    _, texts = epub_files(tmp_path / "out")
    assert "cover-image" not in texts["EPUB/content.opf"]
    assert "<dc:language>de</dc:language>" in texts["EPUB/content.opf"]
    assert ">2024-05-01</dc:date>" in texts["EPUB/content.opf"]


# --------------------------------------------------------------------------- pure parts

def test_matplotlib_svg_loses_only_its_doctype_and_gains_empty_outlines():
    svg = ('<?xml version="1.0" encoding="utf-8" standalone="no"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n'
           '  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg xmlns="http://www.w3.org/2000/svg">'
           '<path id="DejaVuSans-20" transform="scale(0.015625)"/><path d="M 0 0 L 1 1"/></svg>\n')
    assert document_svg(svg) == ('<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
                                 '<svg xmlns="http://www.w3.org/2000/svg"><path id="DejaVuSans-20" '
                                 'transform="scale(0.015625)" d=""/><path d="M 0 0 L 1 1"/></svg>\n')


def test_identifier_is_derived_from_the_book():
    one = book_identifier("A book", ["Ann"])
    assert one == book_identifier("A book", ["Ann"]) and re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", one)
    assert one != book_identifier("A book", ["Bob"])


def test_epubcheck_runs_debians_jar_with_java(tmp_path):
    jar = tmp_path / "epubcheck"
    jar.write_bytes(b"PK\x03\x04rest")
    assert epubcheck.command(str(jar))[-2:] == ["-jar", str(jar)]
    assert Path(epubcheck.command(str(jar))[0]).name == "java"
    script = tmp_path / "epubcheck.sh"
    script.write_text("#!/bin/sh\n")
    assert epubcheck.command(str(script)) == [str(script)]


def test_epubcheck_is_in_the_ci_list():
    listed = set((REPO / "scripts" / "debian-packages.txt").read_text(encoding="utf-8").split())
    assert epubcheck.REQUIREMENT.package in listed


def test_the_books_filters_run_and_know_the_format(book_factory, tmp_path):
    """`filters:` (top level and `format: epub:`) run on every chapter; `quarto.doc.is_format` says
    epub, and html (Quarto's alias takes EPUB in), but not pdf."""
    root = book_factory({"a.qmd": "# Alpha\n\n[placeholder]{.fmt}\n"},
                        "filters:\n  - fmt.lua\nformat:\n  epub:\n    filters:\n      - stamp.lua\n")
    (root / "fmt.lua").write_text(
        "return {{Span = function(el)\n  if el.classes:includes('fmt') then\n"
        "    local seen = {}\n"
        "    for _, name in ipairs({'epub', 'html', 'pdf', 'latex'}) do\n"
        "      if quarto.doc.is_format(name) then seen[#seen + 1] = 'is-' .. name end\n"
        "    end\n"
        "    return pandoc.Str(table.concat(seen, ','))\n  end\nend}}\n", encoding="utf-8")
    (root / "stamp.lua").write_text("function Para(p) p.content:insert(pandoc.Str(' [epub-only]')) return p end\n",
                                    encoding="utf-8")
    build = build_epub(load_book(root), tmp_path / "out", tmp_path / "cache", validate=False, log=io.StringIO())
    assert build.epub is not None and build.diagnostics == [], build.diagnostics
    seen = visible(chapters_text(epub_files(tmp_path / "out")[1]))
    assert "is-epub,is-html [epub-only]" in seen


def test_parts_and_appendices_head_their_chapters_one_level_up():
    def chapter(title: str, ident: str) -> dict:
        return {"blocks": [{"t": "Header", "c": [1, [ident, [], []], [{"t": "Str", "c": title}]]},
                           {"t": "Header", "c": [2, [f"{ident}-s", [], []], [{"t": "Str", "c": "Section"}]]},
                           {"t": "Para", "c": [{"t": "Link", "c": [["", [], []], [{"t": "Str", "c": "gone"}],
                                                                   ["#sec-elsewhere", ""]]}]}]}
    pages = [ChapterPage("index.html", "Preface", None, None),
             ChapterPage("intro.html", "Basics", None, "Basics", part_page=True),
             ChapterPage("a.html", "Alpha", "1", "Basics"),
             ChapterPage("b.html", "Beta", "A", None, appendix=True)]
    asts = [chapter("Preface", "pre"), chapter("Basics", "basics"), chapter("Alpha", "alpha"), chapter("Beta", "beta")]
    blocks = join_chapters(list(zip(pages, asts)), [])
    heads = [(b["c"][0], b["c"][1][0]) for b in blocks if b["t"] == "Header"]
    assert heads == [(1, "pre"), (3, "pre-s"), (1, "basics"), (3, "basics-s"), (2, "alpha"), (3, "alpha-s"),
                     (1, "bookbuild-appendices"), (2, "beta"), (3, "beta-s")]
    assert all(b["c"][0]["t"] == "Span" for b in blocks if b["t"] == "Para")  # no link to an id not in the book
