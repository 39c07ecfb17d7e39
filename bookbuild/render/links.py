"""Links from one chapter to another, as authors write them (``[x](../frame/frame.qmd#sec-more)``),
pointed at the other chapter's output: its page on the website, its anchor in the PDF.

A link is resolved against the linking chapter's folder, as Quarto does; one to a
``.qmd`` that is not a chapter of this book (another volume's, say) is left as
written (the check warns about it).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from ..references import chapter_source
from .site import relative
from .tree import Rewrite, with_blocks

LINKS = frozenset({"Link"})


@dataclass(frozen=True)
class ChapterTarget:
    """Where a chapter ends up: its page, and the id of its title (the PDF's anchor for it)."""

    page: str
    anchor: str | None


def title_anchor(ast: dict[str, Any]) -> str | None:
    """The id of the chapter's first level-1 heading."""
    for block in ast.get("blocks", []):
        if block.get("t") == "Header" and block["c"][0] == 1:
            return block["c"][1][0] or None
    return None


def with_chapter_links(ast: dict[str, Any], from_path: str, from_page: str, chapters: dict[str, ChapterTarget], *,
                       single_document: bool) -> dict[str, Any]:
    """``ast`` with its links to chapters of the book pointed at their pages (HTML) or anchors (PDF).

    ``chapters`` maps each chapter's normalised project path to its target. In a
    single document a link to a chapter without a title id keeps only its text.
    ``ast`` is left as it is: only the elements on the way to a changed link are
    copied (a deep copy of a large chapter's tree cost more than its rendering).
    """
    return with_blocks(ast, LINKS, chapter_link_rewrite(from_path, from_page, chapters, single_document=single_document))


def chapter_link_rewrite(from_path: str, from_page: str, chapters: dict[str, ChapterTarget], *,
                         single_document: bool) -> Rewrite:
    """The rewrite of a ``Link`` (render/tree.py) :func:`with_chapter_links` makes."""
    def relinked(element: dict[str, Any]) -> dict[str, Any] | None:
        found = chapter_source(from_path, element["c"][2][0])
        target = chapters.get(found[0]) if found else None
        if target is None:
            return None
        fragment = found[1]
        attr, text, (_, title) = element["c"]
        if not single_document:
            return {"t": "Link", "c": [attr, text, [relative(from_page, target.page) + (f"#{fragment}" if fragment else ""), title]]}
        if fragment or target.anchor:
            return {"t": "Link", "c": [attr, text, [f"#{fragment or target.anchor}", title]]}
        return {"t": "Span", "c": [["", [], []], text]}  # nowhere to land in the PDF: the words stay, the link goes

    return relinked


def book_chapter_targets(paths: list[str], pages: list[str], asts: list[dict[str, Any]]) -> dict[str, ChapterTarget]:
    """Normalised chapter path -> its target, for every chapter of the book."""
    return chapter_targets(paths, pages, [title_anchor(ast) for ast in asts])


def chapter_targets(paths: list[str], pages: list[str], anchors: list[str | None]) -> dict[str, ChapterTarget]:
    """Normalised chapter path -> its target, from each chapter's page and title id."""
    return {posixpath.normpath(path): ChapterTarget(page, anchor) for path, page, anchor in zip(paths, pages, anchors)}
