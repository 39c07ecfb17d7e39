"""Links between chapters, pointed at their pages (HTML) or anchors (one PDF document)."""

from __future__ import annotations

import json

from bookbuild.render.links import ChapterTarget, with_chapter_links


def _link(url: str, text: str = "more") -> dict:
    return {"t": "Link", "c": [["", [], []], [{"t": "Str", "c": text}], [url, ""]]}


def _doc(*inlines: dict) -> dict:
    return {"pandoc-api-version": [1, 23], "meta": {},
            "blocks": [{"t": "Para", "c": list(inlines)}, {"t": "BulletList", "c": [[{"t": "Plain", "c": [_link("https://x.org")]}]]}]}


TARGETS = {"frame/frame.qmd": ChapterTarget("frame/frame.html", "sec-frame"),
           "intro.qmd": ChapterTarget("intro.html", None)}


def test_links_to_chapters_point_at_their_pages_and_the_input_is_left_as_it_was() -> None:
    doc = _doc(_link("../frame/frame.qmd#sec-more"), _link("../intro.qmd"), _link("../other-volume/x.qmd"))
    before = json.dumps(doc)
    linked = with_chapter_links(doc, "ml/ml.qmd", "ml/ml.html", TARGETS, single_document=False)
    assert json.dumps(doc) == before  # the prepared tree is shared by every format: never changed in place
    urls = [inline["c"][2][0] for inline in linked["blocks"][0]["c"]]
    assert urls == ["../frame/frame.html#sec-more", "../intro.html", "../other-volume/x.qmd"]
    assert linked["blocks"][1] is doc["blocks"][1]  # untouched parts of the tree are shared, not copied


def test_in_one_document_a_link_goes_to_the_anchor_or_becomes_its_words() -> None:
    doc = _doc(_link("../frame/frame.qmd"), _link("../intro.qmd", "intro"))
    linked = with_chapter_links(doc, "ml/ml.qmd", "ml/ml.html", TARGETS, single_document=True)
    first, second = linked["blocks"][0]["c"]
    assert (first["t"], first["c"][2][0]) == ("Link", "#sec-frame")
    assert second == {"t": "Span", "c": [["", [], []], [{"t": "Str", "c": "intro"}]]}
    assert with_chapter_links(_doc(), "ml/ml.qmd", "ml/ml.html", TARGETS, single_document=True)["blocks"][0]["c"] == []
