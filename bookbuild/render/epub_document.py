"""The EPUB's one document: the filtered chapters joined, with parts, appendices, one bibliography and metadata.

Pure functions over Pandoc's JSON AST (:mod:`bookbuild.render.epub` runs Pandoc).
When the book has parts or appendices, each becomes a level-1 heading over its
chapters, whose headings go one level down, so the EPUB's contents nest
parts > chapters > sections (Pandoc's writer makes a file at each level-1 and
level-2 heading then; a document must open with a level-1 heading, or Pandoc adds
the book's title as one). Ids and links are made to work across the files
Pandoc splits the book into.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Sequence

from ..project import Book
from .numbering import walk
from .pdf import CITATION_ORDER_CLASS, _authors
from .site import ChapterPage

RAW_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")
#: Namespace of identifiers derived from a book (uuid5), so the same book keeps its identifier.
BOOK_NAMESPACE = uuid.UUID("6f1d3a52-3c1e-5b8e-9a57-8e0c2f4b7d10")


def join_chapters(chapters: Sequence[tuple[ChapterPage, dict[str, Any]]], bibliography: list[dict[str, Any]], *,
                  appendices_title: str = "Appendices") -> list[dict[str, Any]]:
    """The filtered chapters as one document's blocks, in order, then the bibliography;
    ``appendices_title`` heads the appendices (the book's ``section-title-appendices``).

    When the book has parts or appendices, each becomes a level-1 heading over its
    chapters, whose headings go one level down (a chapter outside any part, and a
    part's own page, keep their title at level 1), so the EPUB's contents nest
    parts > chapters > sections.
    """
    grouped = any(page.part or page.appendix for page, _ in chapters)
    out: list[dict[str, Any]] = []
    part, in_appendices, parts = None, False, 0
    for page, ast in chapters:
        blocks = _without_book_apparatus(ast.get("blocks", []))
        if page.appendix:
            if not in_appendices:
                out.append(_heading(appendices_title, "bookbuild-appendices"))
                in_appendices = True
        elif page.part and page.part != part and not page.part_page:
            parts += 1
            out.append(_heading(page.part, f"bookbuild-part-{parts}"))
        part = page.part
        if grouped:
            in_group = page.appendix or (page.part is not None and not page.part_page)
            blocks = _shifted(blocks, keep_title=not in_group)
        out.extend(blocks)
    out.extend(bibliography)
    _anchor_figures(out)
    _unlink_missing(out)
    return out


def _heading(text: str, ident: str) -> dict[str, Any]:
    words = [w for w in text.split(" ") if w]
    inlines: list[dict[str, Any]] = []
    for n, word in enumerate(words):
        if n:
            inlines.append({"t": "Space"})
        inlines.append({"t": "Str", "c": word})
    return {"t": "Header", "c": [1, [ident, ["unnumbered", "part"], []], inlines]}


def _without_book_apparatus(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks without the citation priming and the chapter's own list of references (the book has one)."""
    out = []
    for block in blocks:
        if block.get("t") == "Div":
            (ident, classes, _), content = block["c"][0], block["c"][1]
            if CITATION_ORDER_CLASS in classes or ident == "refs":
                continue
            block = {"t": "Div", "c": [block["c"][0], _without_book_apparatus(content)]}
        out.append(block)
    return out


def _shifted(blocks: list[dict[str, Any]], *, keep_title: bool) -> list[dict[str, Any]]:
    """Every heading one level down (at most 6), but the chapter's title when ``keep_title``."""
    title = next((b for b in blocks if b.get("t") == "Header" and b["c"][0] == 1), None) if keep_title else None
    for element in walk(blocks):
        if element.get("t") == "Header" and element is not title:
            element["c"][0] = min(6, element["c"][0] + 1)
    return blocks


def _anchor_figures(node: Any) -> None:
    """A figure's id moves to a div around it: Pandoc's EPUB writer points a link at the file
    holding a div's id, not a figure's (the link would otherwise name a fragment of another file)."""
    if isinstance(node, list):
        for n, item in enumerate(node):
            _anchor_figures(item)
            if isinstance(item, dict) and item.get("t") == "Figure" and item["c"][0][0]:
                ident = item["c"][0][0]
                item["c"][0] = ["", *item["c"][0][1:]]
                node[n] = {"t": "Div", "c": [[ident, ["figure-anchor"], []], [item]]}
    elif isinstance(node, dict):
        for value in node.values():
            _anchor_figures(value)


def _identifiers(blocks: list[dict[str, Any]]) -> set[str]:
    """Every id the document defines: elements' attributes and ids in raw HTML."""
    found: set[str] = set()
    for element in walk(blocks):
        kind, content = element.get("t"), element.get("c")
        if kind in ("RawBlock", "RawInline") and content[0] == "html":
            found.update(RAW_ID.findall(content[1]))
        elif kind == "Header":
            found.add(content[1][0])
        elif kind in ("Div", "Span", "Figure", "Table", "CodeBlock", "Image", "Link", "Code"):
            attr = content[0]
            if isinstance(attr, list) and attr and isinstance(attr[0], str):
                found.add(attr[0])
    found.discard("")
    return found


def _unlink_missing(blocks: list[dict[str, Any]]) -> None:
    """A link to an id that is not in this EPUB (a chapter not built this time) keeps its words, unlinked."""
    ids = _identifiers(blocks)
    for element in walk(blocks):
        if element.get("t") == "Link":
            url = element["c"][2][0]
            if url.startswith("#") and url[1:] not in ids:
                element["t"], element["c"] = "Span", [element["c"][0], element["c"][1]]


def book_metadata(book: Book) -> dict[str, Any]:
    """Title, subtitle, authors, date, language and identifier, as Pandoc's EPUB writer reads them."""
    def text(value: str) -> dict[str, Any]:
        return {"t": "MetaString", "c": value}

    config = book.config
    book_cfg = config.get("book") if isinstance(config.get("book"), dict) else {}
    epub_cfg = book.formats.get("epub") if isinstance(book.formats, dict) else None
    epub_cfg = epub_cfg if isinstance(epub_cfg, dict) else {}
    authors = _authors(book.author)
    meta: dict[str, Any] = {"title": text(book.title), "lang": text(str(epub_cfg.get("lang") or config.get("lang") or "en")),
                            "identifier": text(str(epub_cfg.get("identifier") or book_identifier(book.title, authors)))}
    if book.subtitle:
        meta["subtitle"] = text(str(book.subtitle))
    if authors:
        meta["author"] = {"t": "MetaList", "c": [text(a) for a in authors]}
    date = epub_cfg.get("date") or book_cfg.get("date") or config.get("date")
    if date:
        meta["date"] = text(str(date))
    return meta


def book_identifier(title: str, authors: Sequence[str]) -> str:
    """``urn:uuid:…`` derived from the title and authors: the same book keeps it, build after build."""
    return f"urn:uuid:{uuid.uuid5(BOOK_NAMESPACE, json.dumps([title, list(authors)]))}"
