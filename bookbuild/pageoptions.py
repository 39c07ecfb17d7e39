"""How a page lays out its contents, footnotes and citations: ``toc-depth``, ``reference-location``,
``citation-location``.

As in Quarto: each at the top of ``_quarto.yml`` or under ``format: html:`` /
``format: pdf:`` (the format's own wins), and in a chapter's front matter for that
chapter. ``toc-depth`` (Quarto's default 3) is how deep each page's contents go;
in the PDF it sets LaTeX's ``tocdepth`` (a chapter is LaTeX's level 0, so
``toc-depth: 2`` lists chapters and sections); unset, the PDF keeps its own
(chapters and sections). ``reference-location`` places footnotes: ``margin``
(side notes; the engine's default, where Quarto's is ``document``), ``document``,
``section`` or ``block`` (in the PDF these three are footnotes at the foot of the
page). ``citation-location: margin`` (HTML) shows each cited work's entry in the
margin beside the citation, besides the references list (``document``, the default).
Pure reading: a value of the wrong type is a ConfigError at its line (a chapter's, a warning).
"""

from __future__ import annotations

from typing import Any, Mapping

from .diagnostics import ConfigError, Diagnostic, error, warning
from .project import Book
from .qmd import Chapter

#: Quarto's default depth of a page's table of contents.
DEFAULT_TOC_DEPTH = 3
FORMAT_KEYS = {"html": "html", "latex": "pdf"}
EXPECTED = "a whole number from 1 to 6"


def _valid(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 6


def toc_depth(book: Book, output_format: str) -> int | None:
    """The book's ``toc-depth`` for ``output_format`` (``html`` or ``latex``), or None when it sets none.

    Raises ConfigError at the key's line for a value that is not a whole number from 1 to 6."""
    format_key = FORMAT_KEYS.get(output_format, output_format)
    own = book.formats.get(format_key) if isinstance(book.formats, dict) else None
    own = own if isinstance(own, dict) else {}
    value, path = (own["toc-depth"], ("format", format_key, "toc-depth")) if "toc-depth" in own \
        else (book.config.get("toc-depth"), ("toc-depth",))
    if value is not None and not _valid(value):
        file, line, col = book.locate(*path)
        raise ConfigError(error("config", file, line, f"'toc-depth' must be {EXPECTED}", col=col,
                                hint=f"fix '{': '.join(path)}' in {file}"))
    return value


def chapter_toc_depth(front_matter: Mapping[str, Any]) -> int | None:
    """A chapter's own ``toc-depth`` (top level or under ``format: html:``), when it is valid."""
    formats = front_matter.get("format")
    html = formats.get("html") if isinstance(formats, dict) else None
    for scope in (html, front_matter):
        if isinstance(scope, dict) and _valid(scope.get("toc-depth")):
            return scope["toc-depth"]
    return None


def chapter_toc_problems(chapter: Chapter) -> list[Diagnostic]:
    """A warning at a chapter's ``toc-depth:`` line when its value is not valid (the book's applies)."""
    value = chapter.front_matter.get("toc-depth")
    if value is None or _valid(value):
        return []
    end = chapter.front_matter_span.end if chapter.front_matter_span else 0
    offset = chapter.text.find("toc-depth", 0, end)
    line = chapter.text.count("\n", 0, offset) + 1 if offset >= 0 else 1
    return [warning("config", chapter.path, line, f"'toc-depth' must be {EXPECTED}, not {value!r}: the book's applies",
                    hint="fix 'toc-depth' in the front matter")]


#: ``reference-location`` and ``citation-location``: the values Quarto allows, and the engine's defaults.
LOCATIONS = {"reference-location": ("document", "section", "block", "margin"),
             "citation-location": ("document", "margin")}
DEFAULT_LOCATIONS = {"reference-location": "margin", "citation-location": "document"}


def location(book: Book, key: str, output_format: str, front_matter: Mapping[str, Any] | None = None) -> str:
    """``reference-location`` or ``citation-location`` for one format (and chapter, given its front matter):
    the chapter's own (when valid), else the format's, else the book's, else the engine's default.

    Raises ConfigError at the key's line for a book-wide value Quarto does not allow."""
    format_key = FORMAT_KEYS.get(output_format, output_format)
    own = book.formats.get(format_key) if isinstance(book.formats, dict) else None
    own = own if isinstance(own, dict) else {}
    value, path = (own[key], ("format", format_key, key)) if key in own else (book.config.get(key), (key,))
    if value is not None and value not in LOCATIONS[key]:
        file, line, col = book.locate(*path)
        raise ConfigError(error("config", file, line, f"'{key}' must be one of {', '.join(LOCATIONS[key])}",
                                col=col, hint=f"fix '{': '.join(path)}' in {file}"))
    if front_matter is not None:
        formats = front_matter.get("format")
        chapter_own = formats.get(format_key) if isinstance(formats, dict) else None
        for scope in (chapter_own, front_matter):
            if isinstance(scope, dict) and scope.get(key) in LOCATIONS[key]:
                return str(scope[key])
    return str(value or DEFAULT_LOCATIONS[key])


def layout_json(book: Book, output_format: str, front_matter: Mapping[str, Any]) -> dict[str, str]:
    """What the Lua filters need for one chapter: where its footnotes and citations go."""
    return {key: location(book, key, output_format, front_matter) for key in LOCATIONS}


def chapter_location_problems(chapter: Chapter) -> list[Diagnostic]:
    """A warning at a chapter's ``reference-location:`` / ``citation-location:`` line for a value Quarto does not
    allow (the book's applies)."""
    found = []
    end = chapter.front_matter_span.end if chapter.front_matter_span else 0
    for key, allowed in LOCATIONS.items():
        value = chapter.front_matter.get(key)
        if value is None or value in allowed:
            continue
        offset = chapter.text.find(key, 0, end)
        line = chapter.text.count("\n", 0, offset) + 1 if offset >= 0 else 1
        found.append(warning("config", chapter.path, line, f"'{key}' must be one of {', '.join(allowed)}, "
                             f"not {value!r}: the book's applies", hint=f"fix '{key}' in the front matter"))
    return found


def latex_tocdepth(depth: int | None) -> str:
    """The preamble line for the PDF's contents depth (nothing when the book keeps the default)."""
    return "" if depth is None else f"\\setcounter{{tocdepth}}{{{depth - 1}}}\n"
