"""`bookbuild html`: the fixture and this book rendered to a site, checked in its HTML."""

from __future__ import annotations

import html
import json
import re

from bookbuild.check import check_book
from bookbuild.project import load_book
from conftest import FIXTURE, REPO, build_site as build, tiny_png

TAG = re.compile(r"<[^>]+>")


def visible_text(page: str) -> str:
    body = re.sub(r"<(script|style|svg|math)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(TAG.sub(" ", body))


def built_page(root, tmp_path, name: str) -> tuple[str, str]:
    """Build the site (with no warnings) and return a page's HTML and the text a reader sees on it."""
    status, stdout, _ = build(root, tmp_path / "site")
    assert status == 0 and "0 warnings" in stdout, stdout
    page = (tmp_path / "site" / f"{name}.html").read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
    return page, re.sub(r" ([,.;])", r"\1", " ".join(visible_text(page).split()))


def test_fixture_site_builds_with_expected_warnings(fixture_site):
    out, status, stdout = fixture_site
    assert status == 0
    assert (out / "index.html").is_file() and (out / "ml_systems.html").is_file()
    assert (out / "assets" / "book.css").is_file() and (out / "assets" / "book.js").is_file()
    assert "warning[xref-unresolved]" in stdout and "error[" not in stdout
    assert re.search(r"built 2 pages into .* 0 errors, \d+ warnings", stdout)


def test_no_source_syntax_leaks_into_the_page(fixture_site):
    out, _, _ = fixture_site
    text = visible_text((out / "ml_systems.html").read_text(encoding="utf-8"))
    for literal in ("{python}", "\\index", "\\begin", "$$", ":::", "\\mlsysstack", "\\chapterminitoc", "\\noindent", "[^fn-"):
        assert literal not in text, literal


def test_every_computed_value_is_in_the_page(fixture_site):
    out, _, _ = fixture_site
    text = " ".join(visible_text((out / "ml_systems.html").read_text(encoding="utf-8")).split())
    executed = check_book(load_book(FIXTURE), ["ml_systems"]).executed[0]
    plain = [v.text for v in executed.values if not v.markdown]
    assert len(plain) > 250
    missing = [value for value in plain if " ".join(value.replace("--", "–").split()) not in text]
    assert missing == []
    # Markdown values (fractions from md_frac) render as MathML, not as TeX source.
    page = (out / "ml_systems.html").read_text(encoding="utf-8")
    assert page.count("<math") > 20 and "\\frac" not in visible_text(page)


def test_figures_tables_equations_are_numbered(fixture_site):
    out, _, _ = fixture_site
    page = (out / "ml_systems.html").read_text(encoding="utf-8")
    numbers = re.findall(r'<figcaption class="quarto-float-caption-bottom quarto-float-caption quarto-float-fig" id="fig-[^"]+-caption">\s*Figure&nbsp;(1\.\d+):', page)
    assert numbers == [f"1.{k}" for k in range(1, 13)]
    figures = re.findall(r'<div id="(fig-[^"]+)" class="quarto-float quarto-figure quarto-figure-center">\s*<figure class="quarto-float quarto-float-fig figure">(.*?)</figure>', page, flags=re.S)
    assert len(figures) == 12
    sources = [re.search(r'<img src="([^"]+)"', body).group(1) for _, body in figures]
    assert sum(1 for s in sources if "/tikz-" in s) == 9
    assert sum(1 for s in sources if s.endswith("fig-energy-per-inference-1.svg")) == 1
    assert sum(1 for s in sources if s.startswith("images/")) == 2
    for source in sources:
        assert (out / source).is_file(), source
    assert all('alt="' in body and 'alt=""' not in body for _, body in figures)
    tables = re.findall(r'<figcaption class="quarto-float-caption-top quarto-float-caption quarto-float-tbl" id="tbl-[^"]+-caption">\s*Table&nbsp;(1\.\d+):', page)
    assert tables == [f"1.{k}" for k in range(1, 7)]
    equations = re.findall(r'<span id="(eq-[^"]+)" class="equation"><span class="math display">.*?<span class="equation-number">\((1\.\d+)\)</span>', page, re.S)
    source = (FIXTURE / "ml_systems.qmd").read_text(encoding="utf-8")
    assert [label for label, _ in equations] == re.findall(r"\{#(eq-[^}\s]+)\}", source)
    assert [n for _, n in equations] == [f"1.{k}" for k in range(1, len(equations) + 1)]


def test_cross_references_link_to_numbered_targets(fixture_site):
    out, _, _ = fixture_site
    page = (out / "ml_systems.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="#([^"]+)" class="quarto-xref">([^<]+)</a>', page)
    assert len(links) > 30
    ids = set(re.findall(r'id="([^"]+)"', page))
    for target, text in links:
        assert target in ids
        assert re.match(r"(Figure|Table|Equation|Section|Chapter)\s1(\.\d+)*$", text) or not text[0].isdigit(), text
    assert ("fig-energy-per-inference", "Figure 1.5") in [(t, x.replace("\xa0", " ").replace("&nbsp;", " ")) for t, x in links]
    assert '<span class="xref-unresolved">?@sec-introduction</span>' in page


def test_callouts_citations_sidenotes_and_numbered_sections(fixture_site):
    out, _, _ = fixture_site
    page = (out / "ml_systems.html").read_text(encoding="utf-8")
    assert len(re.findall(r'class="callout callout-style-default callout-notebook[ "]', page)) == 11
    assert '<details class="callout callout-style-default callout-checkpoint' in page
    assert "quiz-end" not in page
    assert len(re.findall(r'class="csl-entry"', page)) == 19
    assert "???" not in visible_text(page)
    assert page.count('class="sidenote"') >= 20
    assert re.search(r'<section id="sec-ml-systems-deployment-paradigm-framework-0d25" class="level2">\s*'
                     r'<h2 class="anchored" data-anchor-id="sec-ml-systems-deployment-paradigm-framework-0d25"><span class="header-section-number">1\.1</span>', page)
    assert '<nav class="chapter-minitoc"' in page and '<figure class="mlsys-stack">' in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="ml_systems.html" rel="next"' in index
    assert re.search(r'<a href="ml_systems.html#sec-ml-systems" class="quarto-xref">Chapter(?:\xa0|&nbsp;|\s)1</a>', index)


def test_search_index_covers_the_sections(fixture_site):
    out, _, _ = fixture_site
    script = (out / "search-index.js").read_text(encoding="utf-8")
    records = json.loads(script.removeprefix("window.BOOK_SEARCH_INDEX = ").rstrip().rstrip(";"))
    urls = {r["url"] for r in records}
    assert "ml_systems.html#sec-ml-systems-deployment-paradigm-framework-0d25" in urls
    assert any("speed of light" in r["text"].lower() for r in records)


def test_one_chapter_build_keeps_cross_references(tmp_path):
    status, stdout, _ = build(FIXTURE, tmp_path / "site", "ml_systems")
    assert status == 0
    assert (tmp_path / "site" / "ml_systems.html").is_file()
    assert not (tmp_path / "site" / "index.html").exists() or "ml_systems" in (tmp_path / "site" / "index.html").read_text()
    assert "built 1 page" in stdout


def test_this_books_site(tmp_path):
    status, stdout, _ = build(REPO, tmp_path / "site")
    assert status == 0, stdout
    site = tmp_path / "site"
    landing = (site / "index.html").read_text(encoding="utf-8")
    assert "Reading the Weights" in landing and 'href="book/bandwidth.html"' in landing
    chapter = (site / "book" / "bandwidth.html").read_text(encoding="utf-8")
    text = visible_text(chapter)
    assert "performs 312 TFLOP/s" in " ".join(text.split())
    assert 'href="../assets/book.css"' in chapter
    preface = (site / "book" / "index.html").read_text(encoding="utf-8")
    assert 'href="bandwidth.html#sec-bandwidth"' in preface


def test_broken_tikz_is_an_error_naming_the_figure(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Chapter

        ::: {#fig-broken fig-cap="Broken."}
        ```{.tikz}
        \\begin{tikzpicture}\\undefinedmacro\\end{tikzpicture}
        ```
        :::
        """})
    status, stdout, _ = build(root, tmp_path / "site", "--cache-dir", str(tmp_path / "cache"))
    assert status == 1
    assert re.search(r"ch\.qmd:4:1: error\[tikz-failed\]: TikZ figure fig-broken failed to compile: .*Undefined control sequence", stdout)


def test_prose_pandoc_cannot_read_is_an_error_not_a_crash(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Chapter

        A runaway macro: \\def\\x{\\x}\\x here.
        """, "ok.qmd": """
        # Fine
        """})
    status, stdout, _ = build(root, tmp_path / "site")
    assert status == 1
    assert re.search(r"ch\.qmd:1:1: error\[pandoc\]: pandoc could not read the chapter", stdout)
    assert (tmp_path / "site" / "ok.html").is_file()


def test_a_callout_title_is_no_section_and_notes_stay_out_of_titles(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Chapter with a note[^t]

        ## First {#sec-first}

        ::: {.callout-tip}
        ## A titled callout

        Inside.
        :::

        ## Second {#sec-second}

        ![A picture[^p]](picture.png){#fig-pic}

        See @sec-second.

        [^t]: Title note.
        [^p]: Picture note.
        """})
    (root / "picture.png").write_bytes(tiny_png())
    status, stdout, _ = build(root, tmp_path / "site")
    assert status == 0, stdout
    page = (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")
    numbers = re.findall(r'class="header-section-number">([^<]+)</span> ([^<]+)<', page)
    assert numbers == [("1", "Chapter with a note"), ("1.1", "First"), ("1.2", "Second")]
    assert 'class="quarto-xref">Section&nbsp;1.2</a>' in page
    assert re.search(r"<title>Chapter with a note – ", page)
    assert 'alt="A picture"' in page
    assert "Title note." in page and "Picture note." in page  # still shown, as side notes


def test_labelled_items_show_their_numbers_without_a_reference_in_their_chapter(book_factory, tmp_path):
    """A chapter's own figures, tables and equations are numbered even when only another chapter cites them."""
    root = book_factory({"one.qmd": """
        # One

        See @fig-two-plot, @tbl-two-data and @eq-two-law.
        """, "two.qmd": """
        # Two

        ```{python}
        #| label: fig-two-plot
        #| fig-cap: "A plot."
        import matplotlib.pyplot as plt
        plt.plot([1, 2], [2, 1])
        plt.show()
        ```

        | a |
        |---|
        | 1 |

        : Data {#tbl-two-data}

        $$
        y = x
        $$ {#eq-two-law}
        """})
    status, stdout, _ = build(root, tmp_path / "site")
    assert status == 0, stdout
    page = (tmp_path / "site" / "two.html").read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
    assert re.search(r'quarto-float-fig" id="fig-[^"]+-caption">\s*Figure 2\.1: A plot\.', page)
    assert re.search(r'quarto-float-tbl" id="tbl-[^"]+-caption">\s*Table 2\.1: Data', page)
    assert '<span class="equation-number">(2.1)</span>' in page


PARTS_AND_APPENDICES = {
    "index.qmd": """
        # Preface {.unnumbered}

        See @sec-app-detail, @tbl-app and @sec-app.
        """,
    "intro.qmd": """
        # The First Part

        What this part is about.
        """,
    "one.qmd": """
        # One {#sec-one}

        ## Sub

        See @sec-app.
        """,
    "app.qmd": """
        # Extra material {#sec-app}

        ## Detail {#sec-app-detail}

        | a |
        |---|
        | 1 |

        : Appendix table {#tbl-app}
        """,
}
PARTS_CONFIG_LIST = "    - index.qmd\n    - part: intro.qmd\n      chapters:\n        - one.qmd\n  appendices:\n    - app.qmd\n"


def parts_and_appendices_book(book_factory):
    """A book with a part that has a page of its own, and an appendix (written to _quarto.yml by hand)."""
    root = book_factory(PARTS_AND_APPENDICES)
    config = (root / "_quarto.yml").read_text(encoding="utf-8")
    (root / "_quarto.yml").write_text(config.split("  chapters:\n")[0] + "  chapters:\n" + PARTS_CONFIG_LIST)
    return root


def test_part_pages_and_lettered_appendices(book_factory, tmp_path):
    root = parts_and_appendices_book(book_factory)
    status, stdout, _ = build(root, tmp_path / "site")
    assert status == 0, stdout
    site = tmp_path / "site"
    index = (site / "index.html").read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
    nav = index[index.index('<nav class="sidebar"'):index.index("</nav>")]
    assert [" ".join(TAG.sub(" ", item).split()) for item in re.findall(r"<li.*?</li>", nav)] == [
        "Preface", "The First Part", "1 One", "Appendices", "A Extra material"]
    assert '<li class="part-title"><a href="intro.html">The First Part</a></li>' in nav
    assert 'class="quarto-xref">Section A.1</a>' in index and 'class="quarto-xref">Table A.1</a>' in index
    assert 'class="quarto-xref">Appendix A</a>' in index
    part = (site / "intro.html").read_text(encoding="utf-8")
    assert "What this part is about." in part and "header-section-number" not in part  # a part takes no number
    appendix = (site / "app.html").read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
    # Headed "Appendix A" (crossref: appendix-title), not "Chapter A".
    assert re.search(r'class="header-section-number appendix-number">Appendix A</span> Extra material', appendix)
    assert re.search(r'quarto-float-tbl" id="tbl-[^"]+-caption">\s*Table A\.1:', appendix)


SUBFIGURES_AND_CELL_TABLES = {"ch.qmd": """
    # Parts

    ```{python}
    #| label: tbl-made
    #| tbl-cap: "A table a cell prints."
    #| output: asis
    #| echo: false
    print("| k | v |\\n|---|---|\\n| a | 1 |")
    ```

    ::: {#fig-pair layout-ncol=2}
    ![Left picture](a.png){#fig-left}

    ![Right picture](a.png){#fig-right}

    Two pictures.
    :::

    ![After them](a.png){#fig-after}

    See @tbl-made, @fig-pair, @fig-left, @fig-right and @fig-after.
    """}


def subfigures_and_cell_tables_book(book_factory):
    root = book_factory(SUBFIGURES_AND_CELL_TABLES)
    (root / "a.png").write_bytes(tiny_png())
    return root


def test_figure_parts_and_tables_printed_by_cells_are_numbered(book_factory, tmp_path):
    root = subfigures_and_cell_tables_book(book_factory)
    _, text = built_page(root, tmp_path, "ch")
    assert "See Table 1.1, Figure 1.1, Figure 1.1 (a), Figure 1.1 (b) and Figure 1.2." in text
    assert "Table 1.1: A table a cell prints." in text
    assert "(a) Left picture (b) Right picture Figure 1.1: Two pictures." in text
    assert "Figure 1.2: After them" in text


def test_a_citation_style_applies_per_page(book_factory, tmp_path):
    from test_pdf import numeric_style_book

    root = numeric_style_book(book_factory)
    status, stdout, _ = build(root, tmp_path / "site")
    assert status == 0, stdout
    two = " ".join(visible_text((tmp_path / "site" / "two.html").read_text(encoding="utf-8")).split())
    assert "Second [ 1 ]" in two and "[1] Alpha book." in two  # each page its own list, as Quarto does


def test_capitalised_references_and_reference_prefixes(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Refs

        ![A picture](a.png){#fig-pic}

        @Fig-pic starts a sentence; [Fig. -@fig-pic] is short; [see @fig-pic, left] has both.
        """})
    (root / "a.png").write_bytes(tiny_png())
    page, text = built_page(root, tmp_path, "ch")
    assert "Figure 1.1 starts a sentence; Fig. 1.1 is short; see Figure 1.1, left has both." in text
    assert page.count('href="#fig-pic" class="quarto-xref"') == 3


def test_callout_icon_and_appearance_attributes(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Callouts

        ::: {.callout-note icon="false"}
        No icon.
        :::

        ::: {.callout-tip appearance="simple"}
        Simple.
        :::

        ::: {.callout-warning appearance="minimal" icon=false}
        Minimal.
        :::
        """})
    status, stdout, _ = build(root, tmp_path / "site")
    assert status == 0, stdout
    page = (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")
    callouts = re.findall(r'<div class="(callout [^"]*)"[^>]*>\s*<div class="callout-header">(.*?)</div>', page, re.S)
    assert [(classes, "callout-icon" in header) for classes, header in callouts] == [
        ("callout callout-style-default callout-note callout-no-icon", False),
        ("callout callout-style-simple callout-tip", True),
        ("callout callout-style-minimal callout-warning callout-no-icon", False),
    ]


LISTINGS = {"ch.qmd": """
    # Listings

    ```{.python #lst-loop lst-cap="A loop over **tokens**."}
    for token in tokens:
        step(token)
    ```

    ```{python}
    #| echo: true
    #| lst-label: lst-cell
    #| lst-cap: "The cell that computes it."
    answer = 6 * 7
    ```

    See @lst-loop and @lst-cell.
    """}


def test_code_listings_are_numbered_captioned_and_referenced(book_factory, tmp_path):
    root = book_factory(LISTINGS)
    page, text = built_page(root, tmp_path, "ch")
    assert "Listing 1.1: A loop over tokens. for token in tokens:" in text
    assert "Listing 1.2: The cell that computes it. answer = 6 * 7" in text
    assert "See Listing 1.1 and Listing 1.2." in text
    assert '<div id="lst-loop" class="quarto-float quarto-figure quarto-figure-left listing">' in page and 'href="#lst-cell" class="quarto-xref"' in page


def test_a_cell_with_subcaptions_makes_one_figure_with_parts(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Parts

        ```{python}
        #| label: fig-two
        #| fig-cap: "Two plots."
        #| fig-subcap: ["Rising", "Falling"]
        #| layout-ncol: 2
        #| echo: false
        import matplotlib.pyplot as plt
        plt.figure(figsize=(3, 2)); plt.plot([1, 2, 3]); plt.show()
        plt.figure(figsize=(3, 2)); plt.plot([3, 2, 1]); plt.show()
        ```

        See @fig-two, @fig-two-1 and @fig-two-2.
        """})
    page, text = built_page(root, tmp_path, "ch")
    assert "(a) Rising (b) Falling Figure 1.1: Two plots." in text
    assert "See Figure 1.1, Figure 1.1 (a) and Figure 1.1 (b)." in text
    assert '<div id="fig-two" class="quarto-float quarto-figure quarto-figure-center">' in page
    assert re.search(r'<div class="quarto-layout-panel">\s*<div class="quarto-layout-row">\s*'
                     r'<div class="quarto-layout-cell quarto-layout-cell-subref" style="flex-basis: 50.0%;'
                     r'justify-content: center;" data-ref-parent="fig-two">', page)


THEOREMS = {
    "one.qmd": """
        # One

        ## First {#sec-first}

        ::: {#def-ridge}
        ## Ridge point
        The arithmetic intensity at which a kernel stops being memory-bound.
        :::

        ::: {#def-roof name="Roofline"}
        A bound on attainable throughput.
        :::

        ::: {#thm-bound}
        Attainable throughput never exceeds the roofline.
        :::

        ## Second {#sec-second}

        See @def-ridge, @def-roof and @thm-bound.
        """,
    "two.qmd": """
        # Two

        Back to @def-roof.
        """,
}


def test_theorem_like_blocks_are_numbered_per_kind_and_referenced(book_factory, tmp_path):
    root = book_factory(THEOREMS)
    _, text = built_page(root, tmp_path, "one")
    assert "1.1 First Definition 1.1 (Ridge point). The arithmetic intensity" in text
    assert "Definition 1.2 (Roofline). A bound" in text and "Theorem 1.1. Attainable" in text
    assert "1.2 Second See Definition 1.1, Definition 1.2 and Theorem 1.1." in text  # the name is no section
    two = (tmp_path / "site" / "two.html").read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
    assert '<a href="one.html#def-roof" class="quarto-xref">Definition 1.2</a>' in two


CROSS_REFERENCED_CALLOUTS = {"ch.qmd": """
    # Callouts

    ::: {#tip-cache .callout-tip}
    ## Cache it
    Reuse what you computed.
    :::

    ::: {#tip-batch .callout-tip title="Batch it"}
    Amortise the overhead.
    :::

    ::: {#wrn-stale .callout-warning}
    Never show a stale number.
    :::

    ::: {#def-ridge .callout-definition}
    ## Ridge point
    Where memory stops being the limit.
    :::

    See @tip-cache, @tip-batch, @wrn-stale and @def-ridge.
    """}


def test_callouts_with_an_id_are_numbered_and_referenced(book_factory, tmp_path):
    root = book_factory(CROSS_REFERENCED_CALLOUTS)
    status, stdout, _ = build(root, tmp_path / "site")
    assert status == 0 and "0 warnings" in stdout, stdout
    page = (tmp_path / "site" / "ch.html").read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
    labels = re.findall(r'<div id="([^"]+)" class="callout[^>]*>\s*<div class="callout-header">.*?'
                        r'<span class="callout-label">([^<]+)</span>', page, re.S)
    assert labels == [("tip-cache", "Tip 1.1"), ("tip-batch", "Tip 1.2"), ("wrn-stale", "Warning 1.1"),
                      ("def-ridge", "Definition 1.1")]  # a callout of our own kind with a theorem-like id
    text = re.sub(r" ([,.;])", r"\1", " ".join(visible_text(page).split()))
    assert "See Tip 1.1, Tip 1.2, Warning 1.1 and Definition 1.1." in text


def test_escaped_cells_show_their_fence_with_one_pair_of_braces_less(book_factory, tmp_path):
    """Quarto's ```{{python}}: a cell shown, never run, as ```{python}; inside code, ```{{{julia}}} reads
    ```{{julia}} and `{{python}} 1 + 2` reads `{python} 1 + 2`."""
    root = book_factory({"esc.qmd": """
        # Escapes

        ```{{python}}
        raise SystemExit("never run")
        ```

        ````markdown
        ```{{{julia}}}
        1 + 2
        ```
        ````

        Inline `{{python}} 1 + 2`, ``` ``{{python}} x`` ```.
        """})
    page, seen = built_page(root, tmp_path, "esc")
    assert re.search(r'<pre class="sourceCode markdown"><code class="sourceCode markdown">.*?'
                     r'<span class="in">```\{python\}</span>.*?<span class="in">raise SystemExit', page, re.S)
    assert '<span class="in">```{{julia}}</span>' in page
    assert "Inline {python} 1 + 2, ``{python} x``." in seen


def test_an_image_without_an_extension_is_given_png_as_in_quarto(book_factory, tmp_path):
    """Quarto's website default-image-extension: `images/plot` is `images/plot.png`, copied and linked, and the
    check finds it; a data URI, a path with an extension and a URL naming no file keep theirs."""
    root = book_factory({"img.qmd": """
        # Images

        ![plot](images/plot)

        ![chart](images/chart.svg)

        ![embed](https://example.com/)

        ![dot](data:image/png;base64,iVBORw0KGgo=)
        """})
    (root / "images").mkdir()
    (root / "images" / "plot.png").write_bytes(tiny_png())
    (root / "images" / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    page, _ = built_page(root, tmp_path, "img")  # and no image-missing warning for images/plot
    assert re.findall(r'<img src="([^"]+)"', page) == ["images/plot.png", "images/chart.svg", "https://example.com/",
                                                      "data:image/png;base64,iVBORw0KGgo="]
    assert (tmp_path / "site" / "images" / "plot.png").read_bytes() == tiny_png()


def test_a_chapters_subtitle_stands_under_its_title_with_its_markup(book_factory, tmp_path):
    root = book_factory({"sub.qmd": """
        ---
        subtitle: The {{< meta kind >}} *chapter*
        kind: "[first]{.tag}"
        ---
        # Subtitled

        Body text.
        """, "plain.qmd": "# Plain\n\nNo subtitle.\n"})
    page, _ = built_page(root, tmp_path, "sub")
    assert re.search(r'<h1 [^>]*>.*?Subtitled.*?</h1>\n<p class="subtitle lead">The <span class="tag">first</span> '
                     r'<em>chapter</em></p>\n<p>Body text.</p>', page, re.S)
    assert "class=\"subtitle" not in (tmp_path / "site" / "plain.html").read_text(encoding="utf-8")


def test_list_tables_become_numbered_tables(book_factory, tmp_path):
    """Quarto's list tables: a div of rows of cells is a table, its caption the first or last paragraph."""
    root = book_factory({"ch.qmd": """
        # Lists

        ::: {#tbl-rows .list-table}
        * - Name
          - Year

        * - Markdown
          - 2004

        Markup languages. {tbl-colwidths="[25,75]"}
        :::

        ::: {.list-table header-rows=0 aligns=l,r}
        * - []{colspan=2} Both
        * - Left
          - Right
        :::

        See @tbl-rows.
        """})
    page, text = built_page(root, tmp_path, "ch")
    assert re.search(r'<div id="tbl-rows" class="quarto-float[^"]*">\s*<figure class="quarto-float quarto-float-tbl">\s*'
                     r'<figcaption[^>]*>\s*Table 1\.1: Markup languages\.\s*</figcaption>', page)
    assert '<col style="width: 25%" />\n<col style="width: 75%" />' in page
    assert re.search(r'<thead>\s*<tr>\s*<th>Name</th>\s*<th>Year</th>', page)
    assert '<td colspan="2" style="text-align: left;">Both</td>' in page
    assert '<td style="text-align: right;">Right</td>' in page
    assert "<thead>" not in page.split("Both")[0].split("</figure>")[-1]
    assert "See Table 1.1." in text and "tbl-colwidths" not in text


def test_layouts_put_blocks_in_rows_of_cells(book_factory, tmp_path):
    """Quarto's layout panels: `layout` gives each row's relative widths, `layout-ncol` divides a row by the
    pictures' widths; on any div, not only a figure; a picture's height gives way to the panel."""
    root = book_factory({"ch.qmd": """
        # Layouts

        ::: {#fig-wide layout="[[3,1],[1]]"}
        ![](a.png)

        ![](a.png)

        ![](a.png){height=300}

        Three pictures.
        :::

        ::: {.gallery layout-ncol=3 layout-valign="top"}
        ![](a.png){width=200 height=450}

        ![](a.png){width=100}

        Some words.
        :::

        See @fig-wide.
        """})
    (root / "a.png").write_bytes(tiny_png())
    page, text = built_page(root, tmp_path, "ch")
    cells = re.findall(r'<div class="quarto-layout-cell" style="flex-basis: ([\d.]+%);justify-content: (\w+(?:-\w+)?);">',
                       page)
    assert cells == [("75.0%", "center"), ("25.0%", "center"), ("100.0%", "center"),
                     ("40.0%", "center"), ("20.0%", "center"), ("40.0%", "flex-start")]
    assert page.count('<div class="quarto-layout-row">') == 2
    assert '<div class="quarto-layout-panel gallery">\n<div class="quarto-layout-row quarto-layout-valign-top">' in page
    assert 'height=' not in page.split('<article')[1]
    assert '<img src="a.png" width="200" />' in page
    assert "Figure 1.1: Three pictures." in text and "See Figure 1.1." in text


def test_fig_align_places_a_float_as_quarto_does(book_factory, tmp_path):
    """`fig-align` on a float's picture names its alignment class; a listing is left-aligned; the default centres."""
    root = book_factory({"ch.qmd": """
        # Aligned

        ![Leftwards](a.png){#fig-left fig-align="left"}

        ![Rightwards](a.png){fig-align="right"}

        ![Centred](a.png){#fig-mid}

        ```{#lst-x .python lst-cap="Code"}
        x = 1
        ```
        """})
    (root / "a.png").write_bytes(tiny_png())
    page, _ = built_page(root, tmp_path, "ch")
    assert '<div id="fig-left" class="quarto-float quarto-figure quarto-figure-left">' in page
    assert '<div class="quarto-figure quarto-figure-right">' in page
    assert '<div id="fig-mid" class="quarto-float quarto-figure quarto-figure-center">' in page
    assert '<div id="lst-x" class="quarto-float quarto-figure quarto-figure-left listing">' in page
    assert "fig-align" not in page


def test_solutions_and_remarks_are_headed_as_quarto_heads_proofs(book_factory, tmp_path):
    """"*Solution* (name)." as for a proof, the name from `name=` or the block's heading; the div is a `.proof` too."""
    root = book_factory({"ch.qmd": """
        # Exercises

        ::: {.solution name="Short"}
        The answer.
        :::

        ::: {.remark}
        ## A **bold** aside

        Worth saying.
        :::
        """})
    page, _ = built_page(root, tmp_path, "ch")
    assert ('<div class="solution proof">\n<p><span class="proof-title"><em>Solution</em> (Short). </span>'
            'The answer.</p>') in page
    assert ('<div class="remark proof">\n<p><span class="proof-title"><em>Remark</em> (A <strong>bold</strong> aside). '
            '</span>Worth saying.</p>') in page


def test_a_titled_callout_names_its_kind_to_screen_readers(book_factory, tmp_path):
    """Quarto's `span.screen-reader-only` with the kind before a callout's own title; the visible label is then
    hidden from screen readers (read once); an untitled or numbered callout's label is already what they read."""
    root = book_factory({"ch.qmd": """
        # Callouts

        ::: {.callout-note}
        ## Mind the gap
        Text.
        :::

        ::: {.callout-tip}
        Untitled.
        :::

        ::: {#tip-n .callout-tip title="Numbered"}
        Text.
        :::
        """})
    page, _ = built_page(root, tmp_path, "ch")
    assert ('<div class="callout-title-container"><span class="screen-reader-only">Note</span>'
            '<span class="callout-label" aria-hidden="true">Note</span><span class="callout-title">Mind the gap') in page
    assert page.count("screen-reader-only") == 1
    assert '<span class="callout-label">Tip</span></div>' in page and '<span class="callout-label">Tip 1.1</span>' in page


def test_a_chapter_without_a_title_heading_numbers_its_sections_when_it_asks(book_factory, tmp_path):
    """No level-1 heading: no chapter number; its own `number-sections: true` numbers its sections 1, 1.1, as Quarto
    numbers a document whose headings start at level 2. Without that setting they stay unnumbered."""
    root = book_factory({"ch.qmd": """
        ---
        number-sections: true
        ---

        ## Section

        ### Sub Section {#sec-sub}

        See @sec-sub.
        """, "two.qmd": """
        ## Plain
        """})
    page, text = built_page(root, tmp_path, "ch")
    assert '<h2 class="anchored" data-anchor-id="section"><span class="header-section-number">1</span> Section</h2>' in page
    assert '<span class="header-section-number">1.1</span> Sub Section</h3>' in page
    assert "See Section 1.1." in text
    two = (tmp_path / "site" / "two.html").read_text(encoding="utf-8")
    assert "header-section-number" not in two.split("<article")[1]


def test_algorithms_are_numbered_and_referenced_as_theorem_like_blocks(book_factory, tmp_path):
    """Quarto's `alg-` kind: "Algorithm 1.1 (Name)." heads the block; `@alg-x` links to it."""
    root = book_factory({"ch.qmd": """
        # Methods

        ::: {#alg-gcd}
        ## Euclid

        Divide, keep the remainder.
        :::

        See @alg-gcd.
        """})
    page, text = built_page(root, tmp_path, "ch")
    assert ('<div id="alg-gcd" class="theorem">\n<p><span class="theorem-title"><strong>Algorithm 1.1 (Euclid).'
            '</strong></span> Divide') in page
    assert '<a href="#alg-gcd" class="quarto-xref">Algorithm 1.1</a>' in page and "1.1 Euclid" not in text


def test_a_cells_layout_option_sizes_its_figures_parts(book_factory, tmp_path):
    """`#| layout: [[1, 2]]` on a cell with subcaptions: its parts in one row, a third and two thirds wide."""
    root = book_factory({"ch.qmd": """
        # Parts

        ```{python}
        #| label: fig-uneven
        #| fig-cap: "Two plots."
        #| fig-subcap: ["Narrow", "Wide"]
        #| layout: [[1, 2]]
        #| layout-valign: bottom
        #| echo: false
        import matplotlib.pyplot as plt
        plt.figure(figsize=(3, 2)); plt.plot([1, 2, 3]); plt.show()
        plt.figure(figsize=(3, 2)); plt.plot([3, 2, 1]); plt.show()
        ```
        """})
    page, _ = built_page(root, tmp_path, "ch")
    assert re.findall(r'class="quarto-layout-cell quarto-layout-cell-subref" style="flex-basis: ([\d.]+%);', page) == \
        ["33.3%", "66.7%"]
    assert '<div class="quarto-layout-row quarto-layout-valign-bottom">' in page
