"""Assemble rendered chapters into a website: page shell, sidebar, previous/next, search index.

Pure string building: the caller writes the files. The markup follows the
contract the theme (``theme/book.css``, ``theme/book.js``) styles.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..language import Language
from ..ledger import json_value

# Quarto's sections (Pandoc's --section-divs): <section id="x" class="level2"><h2 class="anchored" …>.
SECTION_HEADING = re.compile(r"<section id=\"([^\"]+)\" class=\"level([1-3])\">\s*<h\2\b[^>]*>(.*?)</h\2>", re.S)
SECTION_OPEN = re.compile(r"<section id=\"([^\"]*)\" class=\"(level\d)[^\"]*\"[^>]*>")
TAG = re.compile(r"<[^>]+>")
DROP_ELEMENTS = re.compile(r"<(svg|math|script|style)\b.*?</\1>", re.S)
SPACES = re.compile(r"\s+")
MAX_SECTION_TEXT = 4000


@dataclass(frozen=True)
class ChapterPage:
    """One chapter's place in the output: its page path, title, number and part."""

    page: str
    title: str
    number: str | None
    part: str | None  # the part's title
    part_page: bool = False  # the part's own page (``part: intro.qmd``), shown as the part's title
    appendix: bool = False

DEFAULT_LANGUAGE = Language()


def relative(from_page: str, to_path: str) -> str:
    """A URL from one page of the site to another file of it."""
    return posixpath.relpath(to_path, posixpath.dirname(from_page) or ".")


def label_html(entry: ChapterPage) -> str:
    number = f'<span class="chapter-number">{html.escape(entry.number)}</span> ' if entry.number else ""
    return number + html.escape(entry.title)


def sidebar(entries: Iterable[ChapterPage], current: str, language: Language = DEFAULT_LANGUAGE) -> str:
    """The chapter list, with part titles before the first chapter of each part (a link when the part
    has a page of its own), and "Appendices" (``section-title-appendices``) before the first appendix."""
    rows = [f'<nav class="sidebar" id="sidebar" aria-label="{_attr(language["sidebar-title"])}">',
            '<ul class="chapter-list">']
    part, in_appendices = None, False
    for entry in entries:
        here = entry.page == current
        attrs = ' aria-current="page"' if here else ""
        if entry.appendix and not in_appendices:
            rows.append(f'<li class="part-title">{html.escape(language["section-title-appendices"])}</li>')
            in_appendices = True
        if entry.part_page:
            rows.append(f'<li class="part-title{" current" if here else ""}"><a href="{relative(current, entry.page)}"{attrs}>'
                        f"{html.escape(entry.title)}</a></li>")
            part = entry.part
            continue
        if entry.part and entry.part != part:
            rows.append(f'<li class="part-title">{html.escape(entry.part)}</li>')
        part = entry.part
        rows.append(f'<li class="chapter{" current" if here else ""}"><a href="{relative(current, entry.page)}"{attrs}>'
                    f"{label_html(entry)}</a></li>")
    rows += ["</ul>", "</nav>"]
    return "\n".join(rows)


def page_nav(entries: list[ChapterPage], current: str, language: Language = DEFAULT_LANGUAGE) -> str:
    """Previous and next chapter links."""
    pages = [e.page for e in entries]
    if current not in pages:
        return ""
    i = pages.index(current)
    links = []
    for rel, label, neighbour in (("prev", html.escape(language["page-nav-previous"]), entries[i - 1] if i > 0 else None),
                                  ("next", html.escape(language["page-nav-next"]),
                                   entries[i + 1] if i + 1 < len(entries) else None)):
        if neighbour:
            links.append(f'<a class="{rel}" href="{relative(current, neighbour.page)}" rel="{rel}">'
                         f'<span class="page-nav-label">{label}</span><span class="page-nav-title">{label_html(neighbour)}</span></a>')
    return f'<nav class="page-nav" aria-label="{_attr(language["page-nav-title"])}">{"".join(links)}</nav>'


def page_html(*, book_title: str, page: str, title: str, entries: list[ChapterPage], article: str, toc: str,
              head: str = "", before_body: str = "", after_body: str = "", language: Language = DEFAULT_LANGUAGE,
              lang: str | None = None) -> str:
    """A complete HTML page in the site's shell; ``head`` (the book's own styles and includes) comes after
    the engine's CSS and scripts, ``before_body`` / ``after_body`` at the start and end of the body.
    Every word it shows is ``language``'s; ``lang``: the page's own language tag (default the book's)."""
    root = relative(page, "index.html")
    assets = posixpath.dirname(relative(page, "assets/book.css"))
    search = relative(page, "search-index.js")
    toc_title = language["toc-title-website"]
    toc_html = (f'<aside class="page-toc" aria-label="{_attr(toc_title)}"><h2>{html.escape(toc_title)}</h2>'
                f'<nav id="TOC">{toc}</nav></aside>' if toc.strip() else "")
    words = json.dumps(language.script_json(), ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    placeholder = _attr(language["search-text-placeholder"])
    full_title = f"{title} – {book_title}" if title and title != book_title else book_title
    return f"""<!DOCTYPE html>
<html lang="{_attr(lang or language.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<script>try{{var t=localStorage.getItem('book-theme');if(t)document.documentElement.dataset.theme=t}}catch(e){{}}</script>
<title>{html.escape(full_title)}</title>
<link rel="stylesheet" href="{assets}/book.css">
<script src="{assets}/book.js" defer></script>
<script src="{search}" defer></script>
<script type="application/json" id="book-language">{words}</script>
{_lines(head)}</head>
<body>
{_lines(before_body)}<header class="topbar">
<button class="sidebar-toggle" type="button" aria-controls="sidebar" aria-expanded="false" aria-label="{_attr(language["toggle-sidebar"])}">☰</button>
<a class="book-title" href="{root}">{html.escape(book_title)}</a>
<div class="search"><input type="search" id="search-input" placeholder="{placeholder}" aria-label="{_attr(language["search-label"])}" autocomplete="off">
<div id="search-results" class="search-results" hidden></div></div>
<button class="theme-toggle" type="button" aria-label="{_attr(language["toggle-dark-mode"])}">◐</button>
</header>
<div class="page">
{sidebar(entries, page, language)}
<main class="content" id="content">
<article class="chapter">
{article}
</article>
{page_nav(entries, page, language)}
</main>
{toc_html}
</div>
{_lines(after_body)}</body>
</html>
"""


def _attr(text: str) -> str:
    """Text as an HTML attribute's value."""
    return html.escape(text, quote=True)


def _lines(markup: str) -> str:
    """Markup on lines of its own in the page (nothing when empty)."""
    return markup.strip("\n") + "\n" if markup.strip() else ""


def landing_article(book_title: str, subtitle: str | None, author: object, entries: list[ChapterPage],
                    language: Language = DEFAULT_LANGUAGE) -> str:
    """The body of a generated index page (when no chapter is the site's index.html), its list of
    chapters headed ``toc-title-document``."""
    authors = author if isinstance(author, list) else [author] if author else []
    parts = [f'<h1 class="book-cover-title">{html.escape(book_title)}</h1>']
    if subtitle:
        parts.append(f'<p class="book-subtitle">{html.escape(str(subtitle))}</p>')
    if authors:
        parts.append(f'<p class="book-author">{html.escape(", ".join(str(a) for a in authors))}</p>')
    parts.append(f'<h2 id="contents">{html.escape(language["toc-title-document"])}</h2><ul class="book-contents">')
    for entry in entries:
        parts.append(f'<li><a href="{relative("index.html", entry.page)}">{label_html(entry)}</a></li>')
    parts.append("</ul>")
    return "\n".join(parts)


def search_entries(page: str, chapter_title: str, body: str) -> list[dict[str, str]]:
    """Search records for a page: one per section (h1–h3 with an id)."""
    records = []
    matches = list(SECTION_HEADING.finditer(body))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
        text = plain_text(body[match.end() : end])
        records.append({
            "title": plain_text(match.group(3)),
            "chapter": chapter_title,
            "url": f"{page}#{match.group(1)}",
            "text": text[:MAX_SECTION_TEXT],
        })
    return records


def quarto_sections(body: str) -> str:
    """Sections as Quarto writes them: the id and ``levelN`` on the section, the heading's other
    classes and attributes (``chapter-title``, ``anchored``) on the heading only."""
    return SECTION_OPEN.sub(r'<section id="\1" class="\2">', body)


def plain_text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace folded (figures and math dropped)."""
    return SPACES.sub(" ", html.unescape(TAG.sub(" ", DROP_ELEMENTS.sub(" ", fragment)))).strip()


def provenance_script(entries: list) -> str:
    """The page's value ledger as JSON for the reader's "where does this number come from?" popover.

    Keyed by inline index (the ``data-value`` of each ``span.computed``): an object of
    ``{"expr", "cell", "line", "constants", "formulas", "literals", "approximate"}``, written as
    ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes it, by hand for speed.
    """
    j = json_value
    # The values of one lineage share its tuples (bookbuild.ledger.chapter_ledger): write each one's
    # list once, by id (the tuples are kept, so no id is reused while this runs).
    lists: dict[int, tuple[tuple, str]] = {}

    def listed(items: tuple, write: Callable[[Any], str]) -> str:
        found = lists.get(id(items))
        if found is None:
            found = lists[id(items)] = (items, "[" + ",".join(map(write, items)) + "]")
        return found[1]

    def constant(c: Any) -> str:
        return f'{{"name":{j(c.name)},"value":{j(c.value)},"unit":{j(c.unit)},"source":{j(c.source)}}}'

    def literal(l: Any) -> str:
        return j(str(l))

    # A dict, as before: a later entry of the same index takes the place of the first.
    data = {}
    for e in entries:
        data[str(e.index)] = (f'{{"expr":{j(e.expr)},"cell":{j(e.cell_label)},"line":{j(e.cell_line)},'
                              f'"constants":{listed(e.constants, constant)},"formulas":{listed(e.formulas, j)},'
                              f'"literals":{listed(e.literals, literal)},"approximate":{listed(e.reasons, j)}}}')
    text = "{" + ",".join([f"{j(key)}:{value}" for key, value in data.items()]) + "}"
    text = text.replace("</", "<\\/")
    return f'\n<script type="application/json" id="value-provenance">{text}</script>\n'


def search_index_js(records: list[dict[str, str]]) -> str:
    """The index as a script, so search works from file:// without fetch."""
    return "window.BOOK_SEARCH_INDEX = " + json.dumps(records, ensure_ascii=False, separators=(",", ":")) + ";\n"
