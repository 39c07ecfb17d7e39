"""Callouts from the book's configuration: the custom-numbered-blocks shape, the native shape, unknown kinds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bookbuild.check import check_book
from bookbuild.diagnostics import ConfigError
from bookbuild.project import load_book
from browser import Browser, find_chromium
from conftest import build_site
from test_html import built_page
from test_pdf import build, pdf_text

#: The real textbook's shape: groups with colours (no '#'), collapse and numbering; classes with a label and a group.
EXTENSION_CONFIG = """\
filter-metadata:
  mlsysbook-ext/custom-numbered-blocks:
    icon-path: "assets/icons"
    groups:
      quiz-question:
        colors: ["F0F0F8", "5B4B8A"]
        collapse: true
      resource-slides:
        colors: ["E0F2F1", "#20B2AA"]
        collapse: false
        numbered: false
        boxstyle: foldbox.simple
    classes:
      callout-quiz-question:
        label: "Self-Check: Question"
        group: quiz-question
      callout-resource-slides:
        label: "Slides"
        group: resource-slides
"""

QUIZ = {"quiz.qmd": """
    # Quiz

    ::: {.callout-quiz-question title="Bandwidth"}
    Why is decoding memory-bound?
    :::

    ::: {.callout-resource-slides}
    The slides.
    :::

    ::: {.callout-note}
    A plain note.
    :::
    """}


def _opening(page: str, kind: str) -> str:
    """The opening tag of the page's (first) callout of ``kind``."""
    match = re.search(r"<(?:div|details)[^>]*class=\"callout callout-style-\w+ callout-" + re.escape(kind) + r"\b[^>]*>", page)
    assert match, f"no callout-{kind} in the page"
    return match.group(0)


def test_filter_metadata_sets_label_colour_and_collapse_in_html(book_factory, tmp_path: Path) -> None:
    root = book_factory(QUIZ, EXTENSION_CONFIG)
    page, text = built_page(root, tmp_path, "quiz")
    question = _opening(page, "quiz-question")
    assert question.startswith("<details") and " open" not in question  # collapse: true: a closed disclosure
    assert "--callout-color: #5B4B8A" in question  # the group's frame colour, given without '#'
    assert "Self-Check: Question Bandwidth" in text  # the class's label, then the callout's title
    slides = _opening(page, "resource-slides")
    assert slides.startswith("<details") and slides.endswith(" open>")  # collapse: false: open
    assert "callout-style-simple" in slides and "--callout-color: #20B2AA" in slides  # boxstyle: foldbox.simple
    assert "Slides The slides." in text
    note = _opening(page, "note")  # Quarto's own kinds keep the engine's defaults
    assert note.startswith("<div") and "--callout-color: #006395" in note and "Note A plain note." in text


@pytest.mark.skipif(find_chromium() is None, reason="needs Chromium")
def test_a_configured_collapse_is_closed_in_chromium(book_factory, tmp_path: Path) -> None:
    root = book_factory(QUIZ, EXTENSION_CONFIG)
    status, stdout, _ = build_site(root, tmp_path / "site")
    assert status == 0, stdout
    with Browser(1200, 800) as browser:
        browser.open(str(tmp_path / "site" / "quiz.html"))
        state = browser.evaluate("""(() => {
            const q = document.querySelector('.callout-quiz-question');
            const body = q.querySelector('.callout-body');
            const before = [q.open, body.checkVisibility(), q.getBoundingClientRect().height];
            q.querySelector('summary').click();
            return [...before, q.open, body.checkVisibility(), q.getBoundingClientRect().height];
        })()""")
    closed, hidden, closed_height, opened, shown, open_height = state
    # Closed, its body hidden; a click on the title opens it and the box grows.
    assert (closed, hidden, opened, shown) == (False, False, True, True) and open_height > closed_height, state


def test_filter_metadata_label_and_colour_in_the_pdf(book_factory, tmp_path: Path) -> None:
    root = book_factory(QUIZ, EXTENSION_CONFIG)
    status, stdout, stderr = build(root, tmp_path / "out", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout + stderr
    (tex,) = (tmp_path / "cache" / "pdf").glob("*/chapters/*quiz.tex")
    source = tex.read_text(encoding="utf-8")
    # The book's hex colour is defined where the box uses it (it is no palette name), under Quarto's name.
    assert re.search(r"\\definecolor\{(\w+)\}\{HTML\}\{5B4B8A\}\\bookcalloutcolorname\{quarto-callout-quiz-question-color\}\{\1\}"
                     r"\\begin\{bookcallout\}(\[[^\]]*\])?\{quarto-callout-quiz-question-color\}"
                     r"\{Self-Check: Question\}\{Bandwidth\}", source), source
    text = " ".join(pdf_text(next((tmp_path / "out").glob("*.pdf"))).split())
    assert "SELF-CHECK: QUESTION · Bandwidth" in text  # the box's title line sets its label in capitals
    assert "SLIDES" in text and "Why is decoding memory-bound?" in text


def test_the_native_shape_overrides_one_default_kind(book_factory, tmp_path: Path) -> None:
    root = book_factory({"n.qmd": """
        # N

        ::: {.callout-tip}
        Tipped.
        :::

        ::: {.callout-warning}
        Warned.
        :::

        ::: {.callout-recipe title="Bread"}
        Knead.
        :::
        """}, """\
bookbuild:
  callouts:
    kinds:
      tip:
        label: Hint
        collapse: true
      recipe:
        label: Recipe
        color: "#123456"
""")
    page, text = built_page(root, tmp_path, "n")
    tip = _opening(page, "tip")
    # Only the label and collapse change: the default colour (GreenLine) and icon stay.
    assert tip.startswith("<details") and "--callout-color: #008F45" in tip, tip
    assert "Hint Tipped." in text and "Tip Tipped." not in text
    assert "Warning Warned." in text and "--callout-color: #E67817" in _opening(page, "warning")
    assert "Recipe Bread Knead." in text and "--callout-color: #123456" in _opening(page, "recipe")


def test_an_unknown_callout_kind_is_a_warning_at_its_line(book_factory, tmp_path: Path) -> None:
    root = book_factory({"u.qmd": """
        # U

        Text.

        ::: {.callout-xyz title="Odd"}
        Shown with the default style.
        :::

        ::: {.callout-quiz-question}
        Configured.
        :::
        """}, EXTENSION_CONFIG)
    problems = [d for d in check_book(load_book(root)).diagnostics if d.code == "callout-kind"]
    assert [(d.severity.value, Path(d.file).name, d.line, d.col, d.message) for d in problems] == [
        ("warning", "u.qmd", 5, 6, "unknown callout kind 'callout-xyz'")]
    status, stdout, _ = build_site(root, tmp_path / "site")
    assert status == 0 and "u.qmd:5:6: warning[callout-kind]: unknown callout kind 'callout-xyz'" in stdout, stdout
    page = (tmp_path / "site" / "u.html").read_text(encoding="utf-8")
    xyz = _opening(page, "xyz")
    # The default style: its colour (TextColor) and label.
    assert "--callout-color: #F7F7F2" in xyz and 'class="callout-label" aria-hidden="true">Note</span><span class="callout-title">Odd' in page


def test_a_colour_that_is_neither_hex_nor_in_the_palette_is_an_error_at_its_line(book_factory) -> None:
    root = book_factory({"a.qmd": "# A\n"}, EXTENSION_CONFIG.replace('"5B4B8A"', "Purpleish"))
    with pytest.raises(ConfigError) as raised:
        load_book(root)
    problem = raised.value.diagnostic
    assert (Path(problem.file).name, problem.line, problem.col, problem.message) == (
        "_quarto.yml", 12, 28, "callout colour 'Purpleish' is neither '#RRGGBB' nor a colour of the book's palette")


def test_the_styles_are_part_of_the_page_cache_key(book_factory, tmp_path: Path) -> None:
    root = book_factory(QUIZ, EXTENSION_CONFIG)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert build_site(root, tmp_path / "site", *cache)[0] == 0
    config = root / "_quarto.yml"
    config.write_text(config.read_text(encoding="utf-8").replace('"Slides"', '"Decks"'), encoding="utf-8")
    assert build_site(root, tmp_path / "site", *cache)[0] == 0
    page = (tmp_path / "site" / "quiz.html").read_text(encoding="utf-8")
    assert 'class="callout-label">Decks<' in page and ">Slides<" not in page


def test_icons_from_the_native_shape_and_the_extensions_icon_path(book_factory, tmp_path: Path) -> None:
    root = book_factory({"i.qmd": """
        # I

        ::: {.callout-tip}
        Tipped.
        :::

        ::: {.callout-quiz-question}
        Asked.
        :::
        """}, EXTENSION_CONFIG.replace("filter-metadata:\n  mlsysbook-ext/", "") + """\
bookbuild:
  callouts:
    kinds:
      tip:
        icon: art/hint.svg
""")
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle id="{}" cx="12" cy="12" r="9"/></svg>'
    (root / "art").mkdir()
    (root / "art" / "hint.svg").write_text(svg.format("own-hint"), encoding="utf-8")
    (root / "assets" / "icons").mkdir(parents=True)
    (root / "assets" / "icons" / "icon_callout_quiz_question.svg").write_text(svg.format("own-quiz"), encoding="utf-8")
    page, _ = built_page(root, tmp_path, "i")
    # Each icon inside its own callout's header (a top-level `custom-numbered-blocks:` is read too).
    assert re.search(r'callout-tip\b.*?class="callout-icon"[^>]*><svg[^>]*><circle id="own-hint"', page, re.S)
    assert re.search(r'callout-quiz-question\b.*?class="callout-icon"[^>]*><svg[^>]*><circle id="own-quiz"', page, re.S)


def test_a_missing_icon_file_is_an_error_at_its_line(book_factory) -> None:
    root = book_factory({"a.qmd": "# A\n"}, "bookbuild:\n  callouts:\n    kinds:\n      tip:\n        icon: nowhere.svg\n")
    with pytest.raises(ConfigError) as raised:
        load_book(root)
    problem = raised.value.diagnostic
    assert (Path(problem.file).name, problem.line, problem.message) == (
        "_quarto.yml", 11, "callout icon 'nowhere.svg' does not exist")
