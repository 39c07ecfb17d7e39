"""The per-chapter findings of a check that depend only on the chapter's text (and its values), kept in the cache.

Scanning a chapter for labels, references and images, finding its unclosed divs
and unbalanced TikZ figures, and linting its prose claims cost a large chapter
tens of milliseconds each; a book of twenty chapters pays them on every build.
Each result is stored as JSON under a digest of exactly what it is computed
from (the chapter's text and path, its values' text for the lint, and the code
that computes it), checked by the cache's checksum and by its shape when read
back; an entry that does not read back is recomputed. The book-wide checks
(references between chapters, files that exist) always run afresh.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable, Iterable

from .cache import Cache, digest, file_digest
from .diagnostics import Diagnostic, Severity
from .qmd import Cell, Chapter, FencedBlock, InlineExpr, Span, parse_chapter, read_front_matter
from .references import ChapterScan, Located

HERE = Path(__file__).resolve().parent
#: The code the findings are computed by: a change to any of it recomputes them.
CODE_FILES = ("chapterfacts.py", "qmd.py", "references.py", "structure.py", "lint.py", "literals.py",
              "shortcodes.py", "callouts.py", "render/tikz.py", "render/cells.py", "render/markdown.py")
STAGE = "facts-chapter"


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    return digest(*[file_digest(HERE / name) for name in CODE_FILES])


def cached(cache: Cache | None, what: str, chapter: Chapter, extra: str, compute: Callable[[], Any],
           to_json: Callable[[Any], Any], from_json: Callable[[Any], Any]) -> Any:
    """``compute()``, or its result stored by an earlier build for the same chapter text, path and ``extra``."""
    return _cached(cache, what, chapter.path, chapter.text, extra, compute, to_json, from_json)


def _cached(cache: Cache | None, what: str, path: str, text: str, extra: str, compute: Callable[[], Any],
            to_json: Callable[[Any], Any], from_json: Callable[[Any], Any]) -> Any:
    if cache is None:
        return compute()
    key = digest(f"{what}/1", code_digest(), path, text, extra)
    payload = cache.get(STAGE, key)
    if payload is not None:
        try:
            return from_json(json.loads(payload))
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):  # a valid checksum over data of another shape
            cache.discard(STAGE, key, counted_hit=True)
    result = compute()
    try:
        stored = json.dumps(to_json(result)).encode("utf-8")
    except NotStorable:
        return result
    cache.put(STAGE, key, stored)
    return result


class NotStorable(TypeError):
    """A result that JSON would not give back as it is (then it is recomputed each time)."""


def parsed_chapter(cache: Cache | None, path: str, text: str) -> Chapter:
    """:func:`bookbuild.qmd.parse_chapter`, from the cache when an earlier build parsed the same text.

    The front matter is read again from the text (it is small, and YAML may hold what JSON cannot);
    the cells, inline expressions, fenced blocks and their diagnostics come from the cache."""
    return _cached(cache, "parse", path, text, "", lambda: parse_chapter(path, text), _parsed_json,
                   lambda data: _parsed_from_json(path, text, data))


def _parsed_json(chapter: Chapter) -> dict[str, Any]:
    options = [c.options for c in chapter.cells]
    if json.loads(json.dumps(options, default=_refuse)) != options:
        raise NotStorable("cell options JSON does not give back")
    own = chapter.diagnostics[len(read_front_matter(chapter.path, chapter.text)[2]):]
    return {"cells": [[c.index, c.code, c.options, c.line, c.code_line, c.span.start, c.span.end] for c in chapter.cells],
            "inlines": [[i.index, i.expr, i.line, i.col, i.span.start, i.span.end] for i in chapter.inlines],
            "blocks": [[b.info, b.code, b.line, b.span.start, b.span.end] for b in chapter.blocks],
            "diagnostics": diagnostics_json(own)}


def _refuse(value: Any) -> Any:
    raise NotStorable(f"{type(value).__name__} in cell options")


def _parsed_from_json(path: str, text: str, data: dict[str, Any]) -> Chapter:
    front_matter, span, front_problems = read_front_matter(path, text)
    cells = tuple(Cell(_int(n), _str(code), _dict(options), _int(line), _int(code_line), Span(_int(a), _int(b)))
                  for n, code, options, line, code_line, a, b in data["cells"])
    inlines = tuple(InlineExpr(_int(n), _str(expr), _int(line), _int(col), Span(_int(a), _int(b)))
                    for n, expr, line, col, a, b in data["inlines"])
    blocks = tuple(FencedBlock(_str(info), _str(code), _int(line), Span(_int(a), _int(b)))
                   for info, code, line, a, b in data["blocks"])
    return Chapter(path, text, front_matter, span, cells, inlines, blocks,
                   (*front_problems, *diagnostics_from_json(data["diagnostics"])))


def scan_json(scan: ChapterScan) -> dict[str, Any]:
    return {name: [[x.name, x.line, x.col] for x in getattr(scan, name)]
            for name in ("labels", "xrefs", "citations", "images", "links")}


def scan_from_json(data: dict[str, Any]) -> ChapterScan:
    def located(rows: Any) -> tuple[Located, ...]:
        return tuple(Located(_str(name), _int(line), _int(col)) for name, line, col in rows)
    return ChapterScan(*(located(data[name]) for name in ("labels", "xrefs", "citations", "images", "links")))


def diagnostics_json(found: Iterable[Diagnostic]) -> list[dict[str, Any]]:
    return [d.to_json() for d in found]


def diagnostics_from_json(rows: Any) -> list[Diagnostic]:
    if not isinstance(rows, list):
        raise TypeError("diagnostics must be a list")
    return [Diagnostic(Severity(row["severity"]), _str(row["code"]), _str(row["file"]), _int(row["line"]),
                       _str(row["message"]), col=_int(row.get("col", 1)), hint=_opt(row.get("hint")),
                       cell=_opt(row.get("cell")), detail=_opt(row.get("detail"))) for row in rows]


def strings_from_json(rows: Any) -> list[str]:
    if not isinstance(rows, list):
        raise TypeError("expected a list")
    return [_str(row) for row in rows]


def values_text(values: Iterable[Any]) -> str:
    """What of a chapter's values the lint reads: each one's index and text."""
    return json.dumps([[v.index, v.text] for v in values])


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected a mapping")
    return value


def _opt(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value
