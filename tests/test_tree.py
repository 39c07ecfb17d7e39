"""Rewriting the prepared AST for one format leaves it as it was for the others, copying only what changes."""

from __future__ import annotations

import json
from pathlib import Path

from bookbuild.check import load_chapters
from bookbuild.project import load_book
from bookbuild.render.book import parse_markdown
from bookbuild.render.epub import epub_ast
from bookbuild.render.pdf import latex_ast
from bookbuild.render.tree import IMAGES, RAW, load_ast, replaced

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f9a0000000049454e44ae426082")


def _str(text: str) -> dict:
    return {"t": "Str", "c": text}


def test_a_rewrite_shares_what_it_does_not_change_and_never_changes_its_input() -> None:
    untouched = {"t": "Para", "c": [_str("kept"), {"t": "Emph", "c": [_str("deep")]}]}
    changed = {"t": "Div", "c": [["", [], []], [{"t": "RawBlock", "c": ["html", "<br>"]}]]}
    doc = [untouched, changed, {"t": "CodeBlock", "c": [["", [], []], "<br>"]}]
    before = json.dumps(doc)

    result = replaced(doc, RAW, lambda raw: {"t": "HorizontalRule"} if raw["c"][1] == "<br>" else None)

    assert json.dumps(doc) == before
    assert result[0] is untouched and result[2] is doc[2]
    assert result[1]["c"][1] == [{"t": "HorizontalRule"}]
    assert replaced(doc, IMAGES, lambda image: {"t": "Space"}) is doc  # nothing to replace: the same tree


def test_an_ast_read_shares_its_spaces_and_breaks_and_is_the_same_tree() -> None:
    text = json.dumps({"blocks": [{"t": "Para", "c": [_str("a"), {"t": "Space"}, _str("b"), {"t": "SoftBreak"},
                                                      {"t": "Space"}, {"t": "LineBreak"}, {"t": "Emph", "c": []}]}]})
    tree = load_ast(text)
    assert tree == json.loads(text)
    inlines = tree["blocks"][0]["c"]
    assert inlines[1] is inlines[4] and inlines[0] is not inlines[2] and inlines[6] == {"t": "Emph", "c": []}


def test_the_pdf_and_epub_trees_resolve_images_without_changing_the_prepared_tree(tmp_path: Path) -> None:
    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  title: T\n  chapters:\n    - ch.qmd\n")
    (tmp_path / "ch.qmd").write_text("# One\n\nText <br> more.\n\n![A dot](dot.png)\n")
    (tmp_path / "dot.png").write_bytes(PNG)
    book = load_book(tmp_path)
    [loaded] = load_chapters(book)
    ast = parse_markdown(loaded.chapter.text, tmp_path, None)
    before = json.dumps(ast)

    pdf = latex_ast(loaded, ast, ["knuth84"], [], tmp_path / "out", root=tmp_path)
    epub = epub_ast(loaded, 0, ast, ["knuth84"], [], (), root=tmp_path)
    assert '"LineBreak"' in json.dumps(epub) and '"LineBreak"' not in before  # XHTML's <br>, in the EPUB's tree only
    for ready in (pdf, epub):
        assert json.dumps(ast) == before
        images = [json.dumps(b) for b in ready["blocks"] if '"Image"' in json.dumps(b)]
        assert images and str((tmp_path / "dot.png").resolve()) in images[0]
        assert "nocite" in ready["meta"] and "nocite" not in ast["meta"]



def test_reading_an_ast_pauses_the_cycle_collector_and_leaves_it_as_it_was() -> None:
    import gc

    from bookbuild.collector import no_cycle_collection

    text = json.dumps({"blocks": [{"t": "Para", "c": [_str("a")]}]})
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            with no_cycle_collection():
                assert not gc.isenabled()
            assert gc.isenabled() is enabled
            assert load_ast(text)["blocks"][0]["c"][0]["c"] == "a"
            assert gc.isenabled() is enabled
        gc.enable()
        try:
            with no_cycle_collection():
                raise KeyError("a failure inside")
        except KeyError:
            pass
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
