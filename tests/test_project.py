"""Reading _quarto.yml: chapter order with parts, missing chapters, malformed YAML."""

from __future__ import annotations

import pytest

from bookbuild.diagnostics import ConfigError
from bookbuild.project import load_book
from conftest import FIXTURE


def test_fixture_config():
    book = load_book(FIXTURE)
    assert [c.path for c in book.chapters] == ["index.qmd", "ml_systems.qmd"]
    assert book.bibliography == ("references.bib",)
    assert book.title == "Machine Learning Systems"
    assert set(book.formats) == {"html", "pdf"}
    assert book.diagnostics == ()


def test_parts_and_missing_chapter(tmp_path):
    (tmp_path / "index.qmd").write_text("# Preface\n")
    (tmp_path / "a.qmd").write_text("# A\n")
    (tmp_path / "_quarto.yml").write_text(
        "book:\n"
        "  title: T\n"
        "  chapters:\n"
        "    - index.qmd\n"
        "    - part: Foundations\n"
        "      chapters:\n"
        "        - a.qmd\n"
        "        - gone.qmd\n"
    )
    book = load_book(tmp_path)
    assert [(c.path, c.part) for c in book.chapters] == [("index.qmd", None), ("a.qmd", "Foundations")]
    (diag,) = book.diagnostics
    assert (diag.code, diag.line, diag.file.endswith("_quarto.yml")) == ("chapter-missing", 8, True)
    assert "gone.qmd" in diag.message


def test_malformed_config_is_a_config_error_at_its_line(tmp_path):
    (tmp_path / "_quarto.yml").write_text("book:\n  title: T\n  chapters: [a.qmd\n  other: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_book(tmp_path)
    diag = caught.value.diagnostic
    assert diag.code == "yaml"
    assert diag.line == 4
    assert "_quarto.yml" in diag.file


def test_select_unknown_chapter(tmp_path):
    (tmp_path / "a.qmd").write_text("# A\n")
    (tmp_path / "_quarto.yml").write_text("book:\n  chapters: [a.qmd]\n")
    book = load_book(tmp_path)
    assert [c.name for c in book.select(["a"])] == ["a"]
    with pytest.raises(ConfigError) as caught:
        book.select(["nope"])
    assert "'nope' is not a chapter" in caught.value.diagnostic.message


def test_part_pages_and_appendices(tmp_path):
    for name in ("index", "intro", "a", "app"):
        (tmp_path / f"{name}.qmd").write_text(f"# {name}\n")
    (tmp_path / "_quarto.yml").write_text(
        "book:\n  title: T\n  chapters:\n    - index.qmd\n    - part: intro.qmd\n      chapters:\n        - a.qmd\n"
        "  appendices:\n    - app.qmd\n")
    book = load_book(tmp_path)
    assert [(c.path, c.part, c.part_page, c.appendix) for c in book.chapters] == [
        ("index.qmd", None, False, False), ("intro.qmd", "intro.qmd", True, False),
        ("a.qmd", "intro.qmd", False, False), ("app.qmd", None, False, True)]


def test_appendix_letters():
    from bookbuild.render.numbering import appendix_letter

    assert [appendix_letter(n) for n in (1, 2, 26, 27, 28, 52, 53)] == ["A", "B", "Z", "AA", "AB", "AZ", "BA"]
