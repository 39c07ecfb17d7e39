"""The book's numbering (``number-sections``, ``number-depth``) and cross-reference words (``crossref:``).

Each test builds a small book and reads what a reader sees: the HTML page's
text, or the PDF's text (one PDF build covers every PDF assertion).
"""

from __future__ import annotations

import io
import re

from bookbuild.cli import main
from conftest import tiny_png
from test_html import built_page, visible_text
from test_pdf import built_pdf_text

CHAPTER = """
    # Methods {#sec-methods}

    ## Background {#sec-background}

    ### Detail {#sec-detail}

    ![Scaling curve](curve.png){#fig-curve}

    | a | b |
    |---|---|
    | 1 | 2 |

    : Sizes {#tbl-sizes}

    $$ E = mc^2 $$ {#eq-energy}

    ```{.python #lst-loop lst-cap="A loop"}
    for i in range(3): pass
    ```

    See @fig-curve, @tbl-sizes, @eq-energy, @lst-loop and @sec-background.
    """

VIDEO = """
crossref:
  custom:
    - kind: float
      key: vid
      reference-prefix: Video
      caption-prefix: Clip
      latex-env: video
"""
VIDEO_CHAPTER = """
    # Media

    ::: {#vid-demo}
    ![](curve.png)

    A short demo.
    :::

    ::: {#vid-second}
    ![](curve.png)

    Another one.
    :::

    As @vid-demo and @Vid-second show.
    """

WORDS = """
crossref:
  fig-prefix: Fig.
  tbl-prefix: Tab.
  eq-prefix: Eq.
  sec-prefix: §
  lst-prefix: Code
  fig-title: Fig
  tbl-title: Tbl
  lst-title: Code listing
  title-delim: "."
"""


def book_with(book_factory, tmp_path, extra_config: str = "", front: str = "") -> tuple[str, str]:
    chapters = {"intro.qmd": f"{front}# Intro\n\n## First section\n\nText.\n", "methods.qmd": CHAPTER}
    root = book_factory(chapters, extra_config)
    (root / "curve.png").write_bytes(tiny_png())
    return built_page(root, tmp_path, "methods")


def test_sections_and_items_are_numbered_by_default(book_factory, tmp_path):
    page, text = book_with(book_factory, tmp_path)
    assert "2 Methods" in text and "2.1 Background" in text and "2.1.1 Detail" in text
    assert "Figure 2.1: Scaling curve" in text and "Table 2.1: Sizes" in text and "Listing 2.1: A loop" in text
    assert "See Figure 2.1, Table 2.1, Equation 2.1, Listing 2.1 and Section 2.1." in text


def test_number_sections_false_book_wide_leaves_every_heading_unnumbered(book_factory, tmp_path):
    page, text = book_with(book_factory, tmp_path, "format:\n  html:\n    number-sections: false\n")
    assert 'class="header-section-number"' not in page and 'class="chapter-number"' not in page
    assert "Methods Background Detail" in text  # no numbers between the headings
    # Items are numbered within their chapter; a section is referred to by its title.
    assert "Figure 1: Scaling curve" in text
    assert "See Figure 1, Table 1, Equation 1, Listing 1 and Background." in text


def test_a_chapter_can_turn_its_numbering_off(book_factory, tmp_path):
    page, text = book_with(book_factory, tmp_path, front="---\nnumber-sections: false\n---\n\n")
    # The introduction takes no number, so the methods chapter is the first.
    assert "1 Methods" in text and "1.1 Background" in text
    assert "See Figure 1.1, Table 1.1, Equation 1.1, Listing 1.1 and Section 1.1." in text
    intro = (tmp_path / "site" / "intro.html").read_text(encoding="utf-8")
    assert 'class="header-section-number"' not in intro


def test_number_depth_one_numbers_chapters_only(book_factory, tmp_path):
    page, text = book_with(book_factory, tmp_path, "number-depth: 1\n")
    assert "2 Methods" in text and "2.1 Background" not in text and "Background Detail" in text
    assert "Figure 2.1: Scaling curve" in text
    assert "and Background." in text


def test_crossref_words_in_captions_and_references(book_factory, tmp_path):
    page, text = book_with(book_factory, tmp_path, WORDS)
    assert "Fig 2.1. Scaling curve" in text and "Tbl 2.1. Sizes" in text and "Code listing 2.1. A loop" in text
    assert "See Fig. 2.1, Tab. 2.1, Eq. 2.1, Code 2.1 and § 2.1." in text
    assert "Figure" not in text and "Table 2" not in text


def test_changing_the_words_rebuilds_the_pages_that_show_them(book_factory, tmp_path):
    """The settings are part of the Pandoc cache key: a second build with the same cache shows the new words."""
    root = book_factory({"intro.qmd": "# Intro\n\n![Pic](curve.png){#fig-pic}\n\nSee @fig-pic.\n"})
    (root / "curve.png").write_bytes(tiny_png())
    _, text = built_page(root, tmp_path / "one", "intro")
    assert "See Figure 1.1." in text
    config = root / "_quarto.yml"
    config.write_text(config.read_text(encoding="utf-8") + "crossref:\n  fig-prefix: Abb.\n", encoding="utf-8")
    _, text = built_page(root, tmp_path / "two", "intro")
    assert "See Abb. 1.1." in text and "Figure 1.1: Pic" in text


def test_a_theorem_is_headed_by_its_title_word_and_referenced_by_its_prefix(book_factory, tmp_path):
    root = book_factory({"intro.qmd": "# Intro\n\n::: {#def-cache}\nA cache keeps copies.\n:::\n\nSee @def-cache.\n"},
                        "crossref:\n  def-title: Begriff\n  def-prefix: Def.\n")
    _, text = built_page(root, tmp_path, "intro")
    assert "Begriff 1.1. A cache keeps copies." in text and "See Def. 1.1." in text


def test_labels_set_the_numbering_scheme_of_each_kind(book_factory, tmp_path):
    page, text = book_with(book_factory, tmp_path, "crossref:\n  labels: roman i\n  tbl-labels: alpha A\n")
    assert "Figure 2.i: Scaling curve" in text and "Table 2.A: Sizes" in text and "Listing 2.i: A loop" in text
    assert "See Figure 2.i, Table 2.A, Equation 2.i, Listing 2.i and Section 2.1." in text  # sections stay arabic


def test_a_labels_value_quarto_does_not_know_is_an_error_at_its_line(book_factory, tmp_path):
    root = book_factory({"intro.qmd": "# Intro\n"}, "crossref:\n  fig-labels: greek\n")
    out, err = io.StringIO(), io.StringIO()
    status = main(["html", "--project", str(root), "--output-dir", str(tmp_path / "site")], out=out, err=err)
    assert status == 2
    assert "_quarto.yml:8:3: error[config]: 'fig-labels' must be arabic, roman" in err.getvalue()


def test_appendix_title_and_delim(book_factory, tmp_path):
    chapters = {"intro.qmd": "# Intro\n\nSee @sec-extra.\n"}
    root = book_factory(chapters, "  appendices:\n    - extra.qmd\n"
                                  "crossref:\n  appendix-title: Annex\n  appendix-delim: \":\"\n")
    (root / "extra.qmd").write_text("# More tables {#sec-extra}\n\n## Part one\n", encoding="utf-8")
    page, text = built_page(root, tmp_path, "extra")
    assert "Annex A: More tables" in text and "A.1 Part one" in text
    assert 'class="header-section-number appendix-number"' in page
    intro = (tmp_path / "site" / "intro.html").read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
    assert ">Annex A</a>" in intro


def test_a_custom_float_kind_is_numbered_and_referenced_like_figures(book_factory, tmp_path):
    root = book_factory({"media.qmd": VIDEO_CHAPTER}, VIDEO)
    (root / "curve.png").write_bytes(tiny_png())
    page, text = built_page(root, tmp_path, "media")  # no warnings: @vid-… is a cross-reference, not a citation
    assert "Clip 1.1: A short demo." in text and "Clip 1.2: Another one." in text
    assert "As Video 1.1 and Video 1.2 show." in text
    assert '<a href="#vid-demo" class="quarto-xref">' in page.replace("\n", " ")


def test_check_knows_a_custom_kind_reference_from_a_citation(book_factory):
    root = book_factory({"media.qmd": VIDEO_CHAPTER + "\nAnd @vid-missing.\n"}, VIDEO)
    out, err = io.StringIO(), io.StringIO()
    main(["check", "--project", str(root)], out=out, err=err)
    said = out.getvalue() + err.getvalue()
    assert "cross-reference '@vid-missing' has no target in this book" in said
    assert "citation" not in said and "@vid-demo" not in said


def test_a_setting_of_the_wrong_type_is_an_error_at_its_line(book_factory, tmp_path):
    root = book_factory({"intro.qmd": "# Intro\n"}, "format:\n  html:\n    number-sections: 5\n")
    out, err = io.StringIO(), io.StringIO()
    status = main(["html", "--project", str(root), "--output-dir", str(tmp_path / "site")], out=out, err=err)
    assert status == 2
    assert "_quarto.yml:9:5: error[config]" in err.getvalue() + out.getvalue()
    assert "'number-sections' must be true or false" in err.getvalue() + out.getvalue()


def test_pdf_numbering_and_words(book_factory, tmp_path):
    """One PDF: an unnumbered first chapter (its own front matter), number-depth 2, the book's words,
    a custom float kind."""
    chapters = {"intro.qmd": "---\nnumber-sections: false\n---\n\n# Intro\n\n## First section\n\n"
                             "![Intro picture](curve.png){#fig-intro}\n\nSee @fig-intro.\n",
                "methods.qmd": CHAPTER, "media.qmd": VIDEO_CHAPTER}
    root = book_factory(chapters, WORDS + "  fig-labels: roman i\n" + VIDEO.replace("crossref:\n", "") + "number-depth: 2\n")
    (root / "curve.png").write_bytes(tiny_png())
    text = built_pdf_text(root, tmp_path)
    assert "Fig i. Intro picture" in text and "See Fig. i." in text  # the unnumbered chapter's figure
    assert "1 Methods" in text and "1.1 Background" in text and "1.1.1 Detail" not in text
    assert "Fig 1.i. Scaling curve" in text and "Tbl 1.1. Sizes" in text and "Code listing 1.1. A loop" in text
    assert "See Fig. 1.i, Tab. 1.1, Eq. 1.1, Code 1.1 and § 1.1." in text
    assert "1 First section" not in text and "0.1" not in text
    assert "Clip 2.1. A short demo." in text and "Clip 2.2. Another one." in text
    assert "As Video 2.1 and Video 2.2 show." in text


PARTS = """
    # Parts

    ::: {#fig-pair layout-ncol=2}
    ![Left picture](curve.png){#fig-left}

    ![Right picture](curve.png){#fig-right}

    Two pictures.
    :::

    See @fig-pair, @fig-left and @fig-right; also @fig-curve.
    """


def parts_book(book_factory, config: str):
    root = book_factory({"methods.qmd": CHAPTER, "parts.qmd": PARTS}, config)
    (root / "curve.png").write_bytes(tiny_png())
    return root


def test_chapters_false_numbers_items_through_the_book_without_the_chapter(book_factory, tmp_path):
    root = parts_book(book_factory, "crossref:\n  chapters: false\n")
    _, text = built_page(root, tmp_path, "parts")
    assert "(a) Left picture (b) Right picture Figure 2: Two pictures." in text  # the book's second figure
    assert "See Figure 2, Figure 2 (a) and Figure 2 (b); also Figure 1." in text
    methods = " ".join(visible_text((tmp_path / "site" / "methods.html").read_text(encoding="utf-8")).split())
    assert "Table 1: Sizes" in methods and "1.1 Background" in methods  # sections keep their chapter's number


def test_subref_labels_set_the_parts_scheme(book_factory, tmp_path):
    root = parts_book(book_factory, "crossref:\n  subref-labels: roman i\n")
    _, text = built_page(root, tmp_path, "parts")
    assert "(i) Left picture (ii) Right picture Figure 2.1: Two pictures." in text
    assert "See Figure 2.1, Figure 2.1 (i) and Figure 2.1 (ii); also Figure 1.1." in text


def test_chapters_and_subref_labels_of_the_wrong_kind_are_errors_at_their_lines(book_factory, tmp_path):
    for value, message in (("chapters: 2", "'chapters' must be true or false"),
                           ("subref-labels: greek", "'subref-labels' must be arabic, roman")):
        root = book_factory({"intro.qmd": "# Intro\n"}, f"crossref:\n  {value}\n")
        out, err = io.StringIO(), io.StringIO()
        assert main(["html", "--project", str(root), "--output-dir", str(tmp_path / "site")], out=out, err=err) == 2
        assert f"_quarto.yml:8:3: error[config]: {message}" in err.getvalue()


def test_pdf_chapters_false_and_subref_labels(book_factory, tmp_path):
    root = parts_book(book_factory, "crossref:\n  chapters: false\n  subref-labels: alpha A\n")
    text = built_pdf_text(root, tmp_path)
    assert "Figure 1: Scaling curve" in text and "Table 1: Sizes" in text
    assert "(A) Left picture" in text and "(B) Right picture" in text and "Figure 2: Two pictures." in text
    assert "See Figure 2, Figure 2 (A) and Figure 2 (B); also Figure 1." in text


CHAPTER_OWN = """---
crossref:
  fig-prefix: F.
  fig-title: Fig
  title-delim: "—"
  fig-labels: alpha x
  subref-labels: roman i
  ref-hyperlink: false
language:
  crossref-tbl-prefix: Tab.
---

# Own words

![Elephant](curve.png){#fig-one}

::: {#fig-pair layout-ncol=2}
![Surus](curve.png){#fig-surus}

![Abbas](curve.png){#fig-abbas}

Famous elephants
:::

| a | b |
|---|---|
| 1 | 2 |

: Sizes {#tbl-own}

See @fig-one, @fig-abbas, @tbl-own and @fig-curve.
"""


def test_a_chapters_own_crossref_words_and_schemes_apply_to_its_page(book_factory, tmp_path):
    """As Quarto renders each chapter with its own metadata: the chapter's `crossref:` words, delimiter, label
    schemes and `ref-hyperlink`, and its `language:` crossref words, on its page; the other chapters keep the book's."""
    root = book_factory({"methods.qmd": CHAPTER, "own.qmd": CHAPTER_OWN})
    (root / "curve.png").write_bytes(tiny_png())
    page, text = built_page(root, tmp_path, "own")
    assert "Fig 2.x— Elephant" in text and "(i) Surus (ii) Abbas Fig 2.y— Famous elephants" in text
    assert "Table 2.1— Sizes" in text
    assert "See F. 2.x, F. 2.y (ii), Tab. 2.1 and F. 1.1." in text
    assert 'class="quarto-xref"' not in page.split("<article")[1]  # ref-hyperlink: false
    assert "See F.&nbsp;2.x" in (tmp_path / "site" / "own.html").read_text(encoding="utf-8")
    methods = (tmp_path / "site" / "methods.html").read_text(encoding="utf-8")
    assert "Figure 1.1: Scaling curve" in " ".join(visible_text(methods).split())
    assert 'See <a href="#fig-curve" class="quarto-xref">Figure&nbsp;1.1</a>, <a href="#tbl-sizes" ' in methods


def test_a_chapters_crossref_setting_that_cannot_apply_is_a_warning_at_its_line(book_factory, tmp_path):
    root = book_factory({"intro.qmd": "---\ncrossref:\n  chapters: false\n  fig-labels: greek\n---\n\n# Intro\n"})
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--project", str(root)], out=out, err=err) == 0
    said = out.getvalue() + err.getvalue()
    assert ("intro.qmd:3:1: warning[config]: 'chapters' is set for the whole book (in _quarto.yml), not per chapter: "
            "the chapter keeps the book's") in said
    assert "intro.qmd:4:1: warning[config]: 'fig-labels' must be arabic, roman, roman i, alpha a or alpha A" in said


KINDS_INTRO = """---
number-sections: false
---

# Intro

::: {#thm-first}
## Sum
Every sum is finite.
:::

::: {#tip-first .callout-tip}
Read the proof.
:::

See @thm-first, @tip-first, @lst-div and @lem-later.
"""

KINDS_METHODS = """
    # Methods

    ::: {#lem-later}
    A lemma.
    :::

    ::: {#tip-second .callout-tip}
    Another tip.
    :::

    ```{.python #lst-block lst-cap="A loop"}
    for i in range(3): pass
    ```

    ::: {#lst-div}
    ```python
    x = 1
    ```

    Setting x.
    :::

    See @thm-first, @lem-later, @tip-first, @tip-second, @lst-block and @lst-div.
    """


def test_pdf_references_to_every_kind_are_quarto_s_kind_ref_and_read_the_build_s_numbers(book_factory, tmp_path):
    """Listings, theorems and callouts are referenced as Quarto writes it (`Kind~\\ref{label}`), in
    the chapter and across chapters, and the compiled PDF reads the build's numbers (an unnumbered
    chapter's 1, a numbered one's 1.1); listings are Quarto's `codelisting` with its caption form."""
    root = book_factory({"intro.qmd": KINDS_INTRO, "methods.qmd": KINDS_METHODS})
    text = built_pdf_text(root, tmp_path)
    latex = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "cache").glob("pdf/*/chapters/*.tex"))
    assert "See Theorem~\\ref{thm-first}, Tip~\\ref{tip-first}, Listing~\\ref{lst-div} and Lemma~\\ref{lem-later}." in latex
    assert "\\begin{codelisting}[1.1]\n\n\\caption{\\label{lst-block}A loop}" in latex
    assert "\\begin{codelisting}[1.2]\n\n\\caption{\\label{lst-div}Setting x.}" in latex
    assert "\\hyperref[" not in latex
    assert "See Theorem 1, Tip 1, Listing 1.2 and Lemma 1.1." in text
    assert "See Theorem 1, Lemma 1.1, Tip 1, Tip 1.1, Listing 1.1 and Listing 1.2." in text
    assert "Listing 1.1: A loop" in text and "Listing 1.2: Setting x." in text


def test_pdf_table_floats_of_a_picture_or_text_are_numbered_tables(book_factory, tmp_path):
    """`![…](x.png){#tbl-x}` and `::: {#tbl-x}` around something other than a table are table floats in
    the PDF too (Quarto's `\\begin{table}` with `\\caption{\\label{tbl-x}…}`), numbered in sequence with
    the book's other tables, so their references read the right number. A figure's label stands in its
    caption too, and only a caption with a bold lead-in has a short form for the list of figures."""
    root = book_factory({"intro.qmd": """
        # Intro

        ![A plain caption.](curve.png){#fig-plain}

        ![**Lead in**: and the rest.](curve.png){#fig-lead}

        | a | b |
        |---|---|
        | 1 | 2 |

        : Real table {#tbl-real}

        ![A pictured table](curve.png){#tbl-picture}

        ::: {#tbl-text}
        Some text standing for a table.

        A table of text.
        :::

        See @tbl-real, @tbl-picture and @tbl-text. See @fig-plain and @fig-lead.
        """})
    (root / "curve.png").write_bytes(tiny_png())
    text = built_pdf_text(root, tmp_path)
    (tex,) = (tmp_path / "cache").glob("pdf/*/chapters/*intro.tex")
    latex = tex.read_text(encoding="utf-8")
    assert "\\begin{table}[H]\n\\centering\n\n\\caption{\\label{tbl-picture}A pictured table}" in latex
    assert "\\caption{\\label{tbl-text}A table of text.}\n\nSome text standing for a table." in latex
    assert "Table 1.2: A pictured table" in text and "Table 1.3: A table of text." in text
    assert "See Table 1.1, Table 1.2 and Table 1.3." in text
    assert "\\caption{\\label{fig-plain}A plain caption.}" in latex
    assert "\\caption[Lead in]{\\label{fig-lead}\\textbf{Lead in}: and the rest.}" in latex
    assert re.search(r"List of Figures 1\.1 1\.2 A plain caption\. [ .]+ Lead in \.", text), text  # the list's entries
    assert "See Figure 1.1 and Figure 1.2." in text
