"""The book's language: ``lang:`` and ``language:`` words, in HTML and PDF (bookbuild/language.py).

Each test builds a small book and reads what a reader sees (the page's text and
attributes, or the PDF's text), or the exact diagnostic for a bad value.
"""

from __future__ import annotations

import io
import json
import re

from bookbuild.cli import main
from bookbuild.language import DEFAULTS, Language
from bookbuild.render import latex_setup
from conftest import tiny_png
from test_html import built_page
from test_pdf import build as build_pdf, flat, pdf_text

INTRO = """
    # Intro

    ![Pic](curve.png){#fig-pic}

    ::: {.callout-note}
    Remember this.
    :::

    ::: {.callout-tip}
    A hint.
    :::

    See @fig-pic and @knuth84.
    """
EXTRA = "# More\n\nDetail.\n"
NOTES = "# Notes\n\nA claim.[^a] Another [@knuth84].\n\n## Later\n\nMore.[^b]\n\n[^a]: The first note.\n[^b]: The second note.\n"
BIB = "@book{knuth84, author = {Donald Knuth}, title = {The TeXbook}, year = {1984}, publisher = {Addison-Wesley}}\n"

GERMAN = """lang: de
language:
  callout-note-title: Hinweis
  crossref-fig-title: Abbildung
  toc-title-website: Auf dieser Seite
  toc-title-document: Inhalt
  search-text-placeholder: Im Buch suchen
  search-no-results-text: Keine Treffer
  section-title-references: Literatur
  section-title-appendices: Anhänge
  page-nav-next: Weiter
  toggle-dark-mode: Dunkler Modus
"""


def make_book(book_factory, config: str, chapters: dict[str, str] | None = None):
    root = book_factory(chapters or {"intro.qmd": INTRO}, "  appendices:\n    - extra.qmd\nbibliography: refs.bib\n" + config)
    (root / "curve.png").write_bytes(tiny_png())
    (root / "refs.bib").write_text(BIB, encoding="utf-8")
    (root / "extra.qmd").write_text(EXTRA, encoding="utf-8")
    return root


def run(command: str, root, tmp_path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([command, "--project", str(root), *(["--output-dir", str(tmp_path / "out")] if command != "check" else [])],
                  out=out, err=err)
    return status, out.getvalue() + err.getvalue()


def test_the_default_words_are_quartos_english_ones():
    language = Language()
    assert language.lang == "en" and not language.lang_set
    assert language["callout-note-title"] == "Note" and language["crossref-fig-title"] == "Figure"
    assert language["toc-title-website"] == "On this page" and language["section-title-references"] == "References"
    assert language.own("callout-note-title") is None
    assert set(language.script_json()) <= set(DEFAULTS)


def test_lang_and_language_words_in_the_html(book_factory, tmp_path):
    root = make_book(book_factory, GERMAN)
    page, text = built_page(root, tmp_path, "intro")
    assert '<html lang="de">' in page
    assert "Abbildung 1.1: Pic" in text and "See Abbildung 1.1" in text  # caption and reference
    assert "Hinweis Remember this." in text and "Tip A hint." in text  # a word not set keeps Quarto's
    assert '<aside class="page-toc" aria-label="Auf dieser Seite"><h2>Auf dieser Seite</h2>' in page
    assert 'placeholder="Im Buch suchen"' in page and 'aria-label="Dunkler Modus"' in page
    assert "Literatur" in text and "References" not in text
    assert '<li class="part-title">Anhänge</li>' in page and "Appendices" not in page
    assert '<span class="page-nav-label">Weiter</span>' in page
    words = json.loads(re.search(r'<script type="application/json" id="book-language">(.*?)</script>', page).group(1))
    assert words["search-no-results-text"] == "Keine Treffer" and words["sidenote-title"] == "Note"
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="contents">Inhalt</h2>' in index


def test_without_language_the_page_keeps_the_engine_words(book_factory, tmp_path):
    root = make_book(book_factory, "")
    page, text = built_page(root, tmp_path, "intro")
    assert '<html lang="en">' in page and "Figure 1.1: Pic" in text and "Note Remember this." in text
    assert 'placeholder="Search the book"' in page and "<h2>On this page</h2>" in page and "References" in text


def test_crossref_words_win_over_language_words(book_factory, tmp_path):
    root = make_book(book_factory, "language:\n  crossref-fig-title: Abbildung\n  crossref-fig-prefix: Abb.\n"
                                   "crossref:\n  fig-title: Bild\n")
    _, text = built_page(root, tmp_path, "intro")
    assert "Bild 1.1: Pic" in text and "See Abb. 1.1" in text and "Abbildung" not in text


def test_language_may_name_a_yaml_file_of_words(book_factory, tmp_path):
    root = make_book(book_factory, "language: words/de.yml\n")
    (root / "words").mkdir()
    (root / "words" / "de.yml").write_text("callout-note-title: Hinweis\ncallout-tip-title: Tipp\n", encoding="utf-8")
    _, text = built_page(root, tmp_path, "intro")
    assert "Hinweis Remember this." in text and "Tipp A hint." in text


def test_the_formats_own_language_wins_and_a_callout_label_the_book_sets_stays(book_factory, tmp_path):
    root = make_book(book_factory, "language:\n  callout-note-title: Hinweis\n  callout-tip-title: Tipp\n"
                                   "format:\n  html:\n    lang: de-CH\n    language:\n      callout-note-title: Merke\n"
                                   "bookbuild:\n  callouts:\n    kinds:\n      tip: {label: Ratschlag}\n")
    page, text = built_page(root, tmp_path, "intro")
    assert '<html lang="de-CH">' in page
    assert "Merke Remember this." in text and "Ratschlag A hint." in text


def test_a_chapter_sets_its_own_pages_lang(book_factory, tmp_path):
    chapters = {"intro.qmd": INTRO, "other.qmd": "---\nlang: fr\n---\n\n# Autre\n\nTexte.\n"}
    root = make_book(book_factory, "lang: de\n", chapters)
    page, _ = built_page(root, tmp_path, "other")
    assert '<html lang="fr">' in page
    assert '<html lang="de">' in (tmp_path / "site" / "intro.html").read_text(encoding="utf-8")


def test_a_chapter_sets_its_own_words_for_its_page_and_callouts(book_factory, tmp_path):
    chapters = {"intro.qmd": INTRO, "other.qmd": "---\nlanguage:\n  callout-note-title: Remarque\n"
                "  toc-title-website: Sur cette page\n---\n\n# Autre\n\n::: {.callout-note}\nTexte.\n:::\n"}
    root = make_book(book_factory, "language:\n  callout-note-title: Hinweis\n", chapters)
    page, text = built_page(root, tmp_path, "other")
    assert "Remarque Texte." in text and "<h2>Sur cette page</h2>" in page
    intro = (tmp_path / "site" / "intro.html").read_text(encoding="utf-8")
    assert "Hinweis" in intro and "Remarque" not in intro and "<h2>On this page</h2>" in intro


def test_a_chapters_words_of_the_wrong_kind_are_warnings_at_their_lines(book_factory, tmp_path):
    chapters = {"intro.qmd": INTRO,
                "other.qmd": "---\ntitle: x\nlanguage:\n  callout-note-title: [a]\n  crossref-fig-title: Bild\n---\n\n# Autre\n",
                "third.qmd": "---\nlanguage: words.yml\n---\n\n# Third\n"}
    root = make_book(book_factory, "", chapters)
    status, said = run("check", root, tmp_path)
    assert status == 0
    assert "other.qmd:4:1: warning[config]: 'callout-note-title' must be text: the chapter keeps the book's word" in said
    assert "crossref-fig-title" not in said  # a chapter's own caption word (bookbuild.crossrefconfig.chapter_crossref)
    assert ("third.qmd:2:1: warning[config]: a chapter's 'language' must be a mapping of words (callout-note-title: …): "
            "the chapter keeps the book's words") in said


def test_lang_that_is_not_a_language_tag_is_an_error_at_its_line(book_factory, tmp_path):
    root = make_book(book_factory, "lang: 5\n")
    status, said = run("html", root, tmp_path)
    assert status == 2
    assert "_quarto.yml:10:1: error[config]: 'lang' must be a language tag such as en, de, fr-CA or pt-BR" in said


def test_a_word_that_is_not_text_is_an_error_at_its_line(book_factory, tmp_path):
    root = make_book(book_factory, "format:\n  pdf:\n    language:\n      callout-note-title: [a, b]\n")
    status, said = run("check", root, tmp_path)
    assert status == 2
    assert "_quarto.yml:13:7: error[config]: 'callout-note-title' must be text" in said


def test_a_missing_language_file_and_a_bad_word_in_one_are_errors_at_their_lines(book_factory, tmp_path):
    root = make_book(book_factory, "language: nowhere.yml\n")
    status, said = run("html", root, tmp_path)
    assert status == 2
    assert "_quarto.yml:10:1: error[config]: the language file 'nowhere.yml' does not exist" in said
    (root / "nowhere.yml").write_text("callout-note-title: Hinweis\ncallout-tip-title:\n", encoding="utf-8")
    status, said = run("html", root, tmp_path)
    assert status == 2
    assert "nowhere.yml:2:1: error[config]: 'callout-tip-title' must be text" in said


def test_lang_and_language_are_supported_keys_and_an_unknown_word_is_reported(book_factory, tmp_path):
    root = make_book(book_factory, "lang: de\nlanguage:\n  callout-note-title: Hinweis\n  no-such-word: x\n"
                                   "format:\n  pdf:\n    language: words.yml\n")
    (root / "words.yml").write_text("toc-title-document: Inhalt\n", encoding="utf-8")
    status, said = run("check", root, tmp_path)
    assert "_quarto.yml:13:3: warning[config-unsupported]: not supported by bookbuild: language.no-such-word" in said
    assert said.count("config-unsupported") == 1  # lang, the known word and the file's path are not reported


def test_pdf_lang_and_words(book_factory, tmp_path):
    """One PDF: babel's French for lang: fr (its own word for the list of figures), the book's words
    for the contents, appendices, references and figure captions."""
    config = ("lang: fr\nlanguage:\n  toc-title-document: Sommaire\n"
              "  section-title-appendices: Annexes\n  section-title-references: Bibliographie\n"
              "  crossref-fig-title: Illustration\nformat:\n  pdf:\n    toc-depth: 1\n    reference-location: document\n")
    root = make_book(book_factory, config, {"intro.qmd": INTRO, "notes.qmd": NOTES})
    status, stdout, stderr = build_pdf(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"), "--no-install")
    assert status == 0, stdout + stderr
    text = flat(pdf_text(next((tmp_path / "out").glob("*.pdf"))))
    assert "Sommaire" in text and "Contents" not in text
    assert "Table des figures" in text  # babel's word: the book does not set crossref-lof-title
    assert "Annexes" in text and "Appendices" not in text
    assert "Bibliographie" in text and "References" not in text
    assert "Illustration 1.1: Pic" in text and "See Illustration 1.1" in text
    tex = next((tmp_path / "cache").rglob("book.tex")).read_text(encoding="utf-8")
    assert "\\babelprovide[main, import=fr]{booklang}" in tex
    assert "\\setcounter{tocdepth}{0}" in tex  # toc-depth: 1, chapters only
    notes = next(p for p in (tmp_path / "cache").rglob("*.tex") if "The first note." in p.read_text(encoding="utf-8"))
    assert "\\footnote{The first note.}" in notes.read_text(encoding="utf-8")  # reference-location: document
    assert "\\booksidenote" not in notes.read_text(encoding="utf-8")
    patterns = latex_setup.kpsewhich_lookup(["hyph-fr.tex"])["hyph-fr.tex"]
    said = stdout + stderr
    if patterns is None:  # TeX Live's French patterns are not installed here: the build says so, at lang:
        assert ("_quarto.yml:11:1: warning[hyphenation-missing]: no hyphenation patterns for 'fr' are installed" in said
                and "apt-get install texlive-lang-french" in said)
    else:
        assert "hyphenation-missing" not in said


def test_pdf_without_lang_loads_no_babel(book_factory, tmp_path):
    from bookbuild.render.latex_language import language_preamble
    assert "babel" not in language_preamble(Language(), None)
    own = language_preamble(Language(words={**DEFAULTS, "toc-title-document": "Inhalt"},
                                      set_keys=frozenset({"toc-title-document"})), "de")
    assert "\\babelprovide[main, import=de]{booklang}" in own and "\\renewcommand\\contentsname{Inhalt}" in own


def test_a_chapters_lang_that_is_not_a_tag_is_a_warning_at_its_line(book_factory, tmp_path):
    chapters = {"intro.qmd": INTRO, "other.qmd": "---\ntitle: x\nlang: [fr]\n---\n\n# Autre\n"}
    root = make_book(book_factory, "", chapters)
    status, said = run("html", root, tmp_path)
    assert status == 0
    assert "other.qmd:3:1: warning[config]: 'lang' must be a language tag" in said
    assert '<html lang="en">' in (tmp_path / "out" / "other.html").read_text(encoding="utf-8")


DEEP = "# Deep\n\n## Two {#sec-two}\n\n### Three {#sec-three}\n\n#### Four {#sec-four}\n\nText.\n"


def toc_of(page: str) -> str:
    return re.search(r'<nav id="TOC">(.*?)</nav>', page, re.S).group(1)


def test_toc_depth_sets_how_deep_each_pages_contents_go(book_factory, tmp_path):
    root = make_book(book_factory, "", {"intro.qmd": INTRO, "deep.qmd": DEEP})
    page, _ = built_page(root, tmp_path / "default", "deep")
    assert "#sec-three" in toc_of(page) and "#sec-four" not in toc_of(page)  # Quarto's default: 3
    root = make_book(book_factory, "toc-depth: 1\nformat:\n  html:\n    toc-depth: 2\n", {"intro.qmd": INTRO, "deep.qmd": DEEP})
    page, _ = built_page(root, tmp_path / "two", "deep")
    assert "#sec-two" in toc_of(page) and "#sec-three" not in toc_of(page)  # the format's own wins
    deeper = {"intro.qmd": INTRO, "deep.qmd": "---\ntoc-depth: 4\n---\n\n" + DEEP}
    page, _ = built_page(make_book(book_factory, "toc-depth: 2\n", deeper), tmp_path / "chapter", "deep")
    assert "#sec-four" in toc_of(page)  # the chapter's own


def test_a_toc_depth_of_the_wrong_type_is_an_error_at_its_line(book_factory, tmp_path):
    root = make_book(book_factory, "format:\n  pdf:\n    toc-depth: deep\n")
    status, said = run("check", root, tmp_path)
    assert status == 2
    assert "_quarto.yml:12:5: error[config]: 'toc-depth' must be a whole number from 1 to 6" in said


def test_toc_depth_in_the_pdf_is_latex_tocdepth():
    from bookbuild.pageoptions import latex_tocdepth
    assert latex_tocdepth(None) == "" and latex_tocdepth(3) == "\\setcounter{tocdepth}{2}\n"



def test_reference_location_places_footnotes_as_quarto_does(book_factory, tmp_path):
    chapters = {"intro.qmd": INTRO, "notes.qmd": NOTES}
    page, _ = built_page(make_book(book_factory, "", chapters), tmp_path / "margin", "notes")
    assert '<span class="sidenote" role="note" id="fn1">' in page and "footnotes" not in page  # the default: margin
    page, text = built_page(make_book(book_factory, "reference-location: document\nlanguage:\n"
                                                    "  section-title-footnotes: Anmerkungen\n", chapters),
                            tmp_path / "document", "notes")
    assert 'class="sidenote"' not in page and 'class="footnotes footnotes-end-of-document"' in page
    assert '<h2 class="footnotes-title">Anmerkungen</h2>' in page
    assert text.index("More.") < text.index("Anmerkungen") < text.index("The first note.")
    block = {"intro.qmd": INTRO, "notes.qmd": "---\nreference-location: block\n---\n\n" + NOTES}
    page, text = built_page(make_book(book_factory, "", block), tmp_path / "block", "notes")  # the chapter's own
    assert "footnotes-end-of-block" in page and text.index("The first note.") < text.index("Later")
    section = {"intro.qmd": INTRO, "notes.qmd": NOTES}
    page, text = built_page(make_book(book_factory, "format:\n  html:\n    reference-location: section\n", section),
                            tmp_path / "section", "notes")
    assert "footnotes-end-of-section" in page and "footnotes-title" not in page


def test_citation_location_margin_shows_the_entry_beside_the_citation(book_factory, tmp_path):
    chapters = {"intro.qmd": INTRO, "notes.qmd": NOTES}
    page, _ = built_page(make_book(book_factory, "format:\n  html:\n    citation-location: margin\n", chapters),
                         tmp_path, "notes")
    note = re.search(r'<span class="sidenote margin-citation" role="note">(.*?)</span>', page, re.S)
    assert note is not None and "The TeXbook" in note.group(1)
    assert page.index('class="citation"') < note.start()  # right after the citation
    assert 'id="ref-knuth84"' in page  # the references list stays


def test_a_location_quarto_does_not_allow_is_an_error_at_its_line(book_factory, tmp_path):
    root = make_book(book_factory, "reference-location: bottom\n")
    status, said = run("html", root, tmp_path)
    assert status == 2
    assert "_quarto.yml:10:1: error[config]: 'reference-location' must be one of document, section, block, margin" in said
    chapters = {"intro.qmd": INTRO, "notes.qmd": "---\ncitation-location: side\n---\n\n" + NOTES}
    status, said = run("check", make_book(book_factory, "", chapters), tmp_path)
    assert "notes.qmd:2:1: warning[config]: 'citation-location' must be one of document, margin" in said


def test_the_page_scripts_fallback_words_are_the_tables():
    """book.js keeps English words for a page without #book-language (the theme's specimen): they must be
    the table's, so the table stays the one source."""
    from bookbuild.language import SCRIPT_KEYS
    from bookbuild.render.theme import THEME_DIR
    script = (THEME_DIR / "book.js").read_text(encoding="utf-8")
    block = re.search(r"var WORDS = (\{.*?\});", script, re.S).group(1)
    assert json.loads(block) == {key: DEFAULTS[key] for key in SCRIPT_KEYS}


def test_babel_locale_falls_back_to_the_language_and_an_unknown_one_is_none():
    from bookbuild.render.latex_language import babel_locale
    known = {"babel-de.ini", "babel-fr-CA.ini"}
    lookup = lambda names: {name: f"/tex/{name}" if name in known else None for name in names}  # noqa: E731
    assert babel_locale("de-AT", lookup) == "de" and babel_locale("fr-CA", lookup) == "fr-CA"
    assert babel_locale("xx", lookup) is None
    assert babel_locale("pt-BR", latex_setup.kpsewhich_lookup) == "pt-BR"  # TeX Live's babel has it


def test_lang_babel_does_not_know_is_a_warning_at_its_line(book_factory, tmp_path):
    root = make_book(book_factory, "lang: qq\n")
    status, stdout, stderr = build_pdf(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"), "--no-install")
    assert status == 0, stdout + stderr
    assert "_quarto.yml:10:1: warning[lang-unknown]: babel knows no language 'qq'" in stdout + stderr
    tex = next((tmp_path / "cache").rglob("book.tex")).read_text(encoding="utf-8")
    assert "babel" not in tex
