"""Layouts of real books: chapters in nested folders, images beside each chapter, bibliographies
deep in the tree (and a chapter's own), an index.qmd at the root. Pages, links between chapters,
cross-references, figures and search work on the website, and the PDF finds every image."""

from __future__ import annotations

import html
import io
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bookbuild.cli import main
from browser import Browser, find_chromium
from two_volumes import IMAGES, write_two_volume_book

LOCAL_REF = re.compile(r'(?:href|src)="([^"]+)"')


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return write_two_volume_book(tmp_path_factory.mktemp("layout") / "book")


def build(command: str, book: Path, profile: str, out: Path) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main([command, "--project", str(book), "--profile", profile, "--output-dir", str(out),
                   "--cache-dir", str(out.parent / f"{out.name}-cache")], out=stdout, err=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def vol1_site(book, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("vol1") / "site"
    status, stdout, stderr = build("html", book, "vol1", out)
    assert status == 0, stdout + stderr
    assert "0 errors, 0 warnings" in stdout
    return out


def article(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return text[text.index('<article class="chapter">'):text.index("</article>")]


def test_pages_mirror_the_source_tree(vol1_site):
    pages = sorted(str(p.relative_to(vol1_site)) for p in vol1_site.rglob("*.html"))
    assert pages == ["contents/vol1/frame/frame.html", "contents/vol1/intro/intro.html", "index.html"]


def test_every_link_and_picture_on_every_page_resolves(vol1_site):
    """Sidebar, previous/next, assets, links between chapters, cross-references and images, from nested pages."""
    for page in vol1_site.rglob("*.html"):
        for ref in LOCAL_REF.findall(page.read_text(encoding="utf-8")):
            parts = urlsplit(html.unescape(ref))
            if parts.scheme or not parts.path:
                continue
            target = (page.parent / parts.path).resolve()
            assert target.is_file(), f"{page.relative_to(vol1_site)}: {ref} leads nowhere"
            if parts.fragment and target.suffix == ".html":
                assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8"), f"{ref}: no #{parts.fragment}"


def test_links_to_chapters_point_at_their_pages(vol1_site):
    intro = article(vol1_site / "contents/vol1/intro/intro.html")
    assert '<a href="../frame/frame.html">the frameworks chapter</a>' in intro
    assert '<a href="../frame/frame.html#sec-frame-more">its second section</a>' in intro
    assert '<a href="../frame/frame.html#sec-frame" class="quarto-xref">Chapter&nbsp;2</a>' in intro
    assert ".qmd" not in intro
    frame = article(vol1_site / "contents/vol1/frame/frame.html")
    assert '<a href="../intro/intro.html">the introduction</a>' in frame
    assert '<a href="../intro/intro.html#fig-intro-diagram" class="quarto-xref">Figure&nbsp;1.1</a>' in frame


def test_each_chapter_shows_its_own_picture_of_the_same_name(book, vol1_site):
    for name in ("contents/vol1/intro/images/diagram.png", "contents/vol1/frame/images/diagram.png"):
        assert (vol1_site / name).read_bytes() == (book / name).read_bytes()
    assert '<img src="images/diagram.png" class="figure-img" alt="The intro diagram" />' in article(vol1_site / "contents/vol1/intro/intro.html")


def test_citations_from_a_deep_bibliography_and_a_chapters_own(book, tmp_path):
    out = tmp_path / "vol2"
    status, stdout, stderr = build("html", book, "vol2", out)
    assert status == 0 and "0 errors, 0 warnings" in stdout, stdout + stderr
    scale = article(out / "contents/vol2/scale/scale.html")
    assert "Jones, Bo. 2021." in scale  # contents/shared/backmatter/references.bib, named by config/shared.yml
    assert "Lee, Cy. 2022." in scale  # scale.bib beside the chapter, named in its front matter
    assert (out / "contents/vol2/scale/assets/scale.png").read_bytes() == (book / "contents/vol2/scale/assets/scale.png").read_bytes()
    intro = article(out / "index.html")
    assert "Lee, Cy" not in intro  # the chapter's own bibliography is its own


def test_a_link_to_a_chapter_outside_this_volume_is_a_warning(book, tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "book"
    shutil.copytree(book, copy)
    monkeypatch.chdir(copy)
    scale = copy / "contents/vol2/scale/scale.qmd"
    scale.write_text(scale.read_text() + "\nSee [the introduction](../../vol1/intro/intro.qmd) and [x](../gone.qmd).\n")
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(["check", "--project", ".", "--profile", "vol2"], out=stdout, err=stderr)
    assert status == 0
    lines = stdout.getvalue().splitlines()
    assert ("contents/vol2/scale/scale.qmd:15:5: warning[link-not-in-book]: link to '../../vol1/intro/intro.qmd': "
            "contents/vol1/intro/intro.qmd is not a chapter of this book (profile vol2)") in lines
    assert ("contents/vol2/scale/scale.qmd:15:56: warning[link-not-in-book]: link to '../gone.qmd': "
            "contents/vol2/gone.qmd does not exist") in lines


@pytest.mark.skipif(find_chromium() is None, reason="needs Chromium (scripts/debian-packages.txt)")
def test_search_from_a_nested_page_lands_on_the_result(vol1_site):
    with Browser(1280, 800) as browser:
        browser.open(vol1_site / "contents/vol1/intro/intro.html")
        browser.wait_for("document.readyState === 'complete'")
        browser.click("#search-input")
        browser.type_text("Quokkaframe")
        hits = browser.wait_for("Array.from(document.querySelectorAll('#search-results a')).map(a => a.href)")
        expected = (vol1_site / "contents/vol1/frame/frame.html").as_uri() + "#sec-frame-more"
        assert expected in hits, hits
        assert browser.errors == [], browser.errors


# --------------------------------------------------------------------------- PDF (slow: one per volume)


def included_graphics(workdir: Path) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((workdir / "chapters").glob("*.tex"))]
    return [m for text in texts for m in re.findall(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]*)\}", text)]


def test_pdf_of_each_volume(book, tmp_path):
    out = tmp_path / "vol1"
    status, stdout, stderr = build("pdf", book, "vol1", out)
    assert status == 0 and "0 errors, 0 warnings" in stdout, stdout + stderr
    (pdf,) = out.glob("*.pdf")
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "1 Introduction The intro speedup is 42x, as Smith (2020) measured." in text
    assert "Frameworks build on Figure 1.1 from the introduction." in text
    assert "Scale" not in text
    (workdir,) = (tmp_path / "vol1-cache" / "pdf").iterdir()
    # Each chapter's own picture, found relative to the chapter.
    assert sorted(Path(p).resolve() for p in included_graphics(workdir)) == sorted(
        (book / name).resolve() for name in IMAGES if "/vol1/" in name)
    chapters = "".join(p.read_text(encoding="utf-8") for p in (workdir / "chapters").glob("*.tex"))
    # Links between chapters land on the chapter (its title's label) or the section they name.
    assert r"\hyperref[sec-frame]{the frameworks chapter}" in chapters
    assert r"\hyperref[sec-frame-more]{its second section}" in chapters
    assert r"\hyperref[sec-intro]{the introduction}" in chapters

    out = tmp_path / "vol2"
    status, stdout, stderr = build("pdf", book, "vol2", out)
    assert status == 0 and "0 errors, 0 warnings" in stdout, stdout + stderr
    (pdf,) = out.glob("*.pdf")
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "Scaling to 1024 nodes follows Jones (2021) and Lee (2022)." in text
    assert "Jones, Bo. 2021. Scaling Out. Press." in text and "Lee, Cy. 2022. Wide Clusters." in text
    assert "Introduction" not in text and "Smith" not in text
