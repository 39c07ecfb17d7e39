"""What a build needs from each chapter's Pandoc AST besides rendering it, without reading the AST again.

A chapter's AST is named by the digest of what Pandoc parsed (its Markdown and
Pandoc's version: :func:`ast_key`). Its *facts* (whether its first heading is a
numbered title, that heading's id, the keys it cites) and its *numbers*
(:class:`ChapterNumbers`, for the numbering arguments it was given) are kept in
the cache as JSON under that digest and this module's code, so a rebuild of an
unchanged chapter neither loads its AST (megabytes of JSON) nor walks it; the
AST is read only when a chapter is rendered anew. Entries are verified by the
cache's checksum and by their shape; one that does not read back is recomputed.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

from ..cache import Cache, digest, file_digest
from ..crossrefconfig import CrossrefConfig
from ..project import ChapterEntry
from ..references import xref_label
from .links import title_anchor
from .numbering import ChapterNumbers, appendix_letter, number_chapter, walk
from .pandoc import pandoc_version

HERE = Path(__file__).resolve().parent
#: The code the facts and numbers are computed by: a change to it recomputes them.
CODE = tuple(HERE / name for name in ("outline.py", "numbering.py", "links.py"))
FACTS, NUMBERS = "facts-ast", "facts-numbers"  # after "execute" in the summary line


def ast_key(markdown: str) -> str:
    """The digest naming the AST Pandoc makes of ``markdown``, its value marks made spans (the key of its cache entry)."""
    return digest("ast", pandoc_version(), _marks_code(), markdown)


@functools.lru_cache(maxsize=1)
def _marks_code() -> str:
    return file_digest(HERE / "valuemarks.py")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    return digest(*[file_digest(path) for path in CODE])


class ChapterAst:
    """One chapter's AST, read (from the cache, or from Pandoc) only when first asked for.

    ``key`` is :func:`ast_key` of what ``load`` parses, or ``""`` when nothing may be
    kept under it (an empty page standing in for a chapter Pandoc cannot read).
    """

    def __init__(self, key: str, load: Callable[[], dict[str, Any]], cache: Cache | None) -> None:
        self.key = key
        self._load = load
        self.cache = cache if key else None
        self._ast: dict[str, Any] | None = None
        self._facts: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def get(self) -> dict[str, Any]:
        """The AST (read once, and shared: callers rewrite it with render/tree.py, never in place)."""
        with self._lock:
            if self._ast is None:
                self._ast = self._load()
            return self._ast

    def release(self) -> None:
        """Forget the AST read (a page rendered needs it no more: a large chapter's is hundreds of MB);
        :meth:`get` reads it again if asked."""
        with self._lock:
            self._ast = None

    def facts(self) -> dict[str, Any]:
        """``first`` (None: no level-1 heading; else whether it is ``.unnumbered``), ``anchor``
        (its id) and ``cited`` (the keys cited or referred to, in order), from the cache when it can."""
        if self._facts is None:
            key = digest("facts/1", code_digest(), self.key)
            found = _read(self.cache, FACTS, key, _valid_facts)
            if found is None:
                found = facts_of(self.get())
                _write(self.cache, FACTS, key, found)
            self._facts = found
        return self._facts

    def cited(self, kinds: tuple[str, ...] = ()) -> set[str]:
        """Every key the chapter cites and label it refers to (see :func:`bookbuild.render.book.cited_keys`)."""
        return {xref_label(key, kinds) for key in self.facts()["cited"]}


def facts_of(ast: dict[str, Any]) -> dict[str, Any]:
    """The facts of an AST (see :meth:`ChapterAst.facts`)."""
    first = next((b for b in ast.get("blocks", []) if b.get("t") == "Header" and b["c"][0] == 1), None)
    return {"first": None if first is None else {"unnumbered": "unnumbered" in first["c"][1][1]},
            "anchor": title_anchor(ast), "cited": cited_in_order(ast)}


def cited_in_order(ast: dict[str, Any]) -> list[str]:
    """The keys the chapter cites or cross-references, each once, in the order they first appear."""
    keys = [citation["citationId"] for element in walk(ast.get("blocks", [])) if element["t"] == "Cite"
            for citation in element["c"][0]]
    return list(dict.fromkeys(keys))


def number_sources(sources: Sequence[ChapterAst], entries: Sequence[ChapterEntry], config: CrossrefConfig,
                   own: Sequence[bool | None], cache: Cache | None,
                   configs: Sequence[CrossrefConfig] = ()) -> list[ChapterNumbers]:
    """Chapter numbers in book order, as :func:`bookbuild.render.book.number_book` gives them, each
    chapter's from the cache when its AST and its numbering arguments are those of an earlier build.
    ``configs``: each chapter's numbering schemes (its own ``crossref:`` over the book's), else ``config``."""
    numbers, chapters, appendices = [], 0, 0
    through_book: dict[str, int] = {}  # `crossref: chapters: false`: items counted through the book
    code = code_digest()
    for n, (source, entry) in enumerate(zip(sources, entries)):
        first = source.facts()["first"]
        number = None
        numbered = own[n] if n < len(own) and own[n] is not None else config.number_sections
        if first is not None and numbered and not first["unnumbered"] and not entry.part_page:
            if entry.appendix:
                appendices += 1
                number = appendix_letter(appendices)
            else:
                chapters += 1
                number = str(chapters)
        # A chapter with no level-1 title whose own front matter says `number-sections: true`
        # numbers its sections 1, 1.1, … on their own.
        alone = first is None and n < len(own) and own[n] is True and not entry.part_page
        chapter_config = configs[n] if n < len(configs) else config
        counts = None if config.chapters else through_book
        key = digest("numbers/2", code, source.key, repr(chapter_config),
                     json.dumps([number, entry.appendix, counts, alone], sort_keys=True))
        found = _read(source.cache, NUMBERS, key, _valid_numbers)
        if found is None:
            result = number_chapter(source.get(), number, appendix=entry.appendix, config=chapter_config, counts=counts,
                                    sections_alone=alone)
            found = {"numbers": numbers_json(result), "counts": counts}
            _write(source.cache, NUMBERS, key, found)
        elif counts is not None:
            counts.clear()
            counts.update(found["counts"])
        numbers.append(numbers_from_json(found["numbers"]))
    return numbers


def numbers_json(numbers: ChapterNumbers) -> dict[str, Any]:
    return {"chapter": numbers.chapter, "headers": numbers.headers,
            "labels": [[label, kind, number] for label, (kind, number) in numbers.labels.items()],
            "section_titles": numbers.section_titles, "title": numbers.title, "appendix": numbers.appendix}


def numbers_from_json(data: dict[str, Any]) -> ChapterNumbers:
    return ChapterNumbers(data["chapter"], dict(data["headers"]),
                          {label: (kind, number) for label, kind, number in data["labels"]},
                          dict(data["section_titles"]), data["title"], data["appendix"])


def _valid_facts(data: Any) -> bool:
    return (isinstance(data, dict) and (data.get("first") is None or isinstance(data["first"].get("unnumbered"), bool))
            and (data.get("anchor") is None or isinstance(data["anchor"], str))
            and isinstance(data.get("cited"), list) and all(isinstance(k, str) for k in data["cited"]))


def _valid_numbers(data: Any) -> bool:
    try:
        numbers_from_json(data["numbers"])
    except (KeyError, TypeError, ValueError):
        return False
    return data["counts"] is None or isinstance(data["counts"], dict)


def _read(cache: Cache | None, stage: str, key: str, valid: Callable[[Any], bool]) -> Any:
    """A cached JSON entry that reads back in the expected shape, else None (a bad one is discarded)."""
    if cache is None:
        return None
    payload = cache.get(stage, key)
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        if valid(data):
            return data
    except (ValueError, AttributeError):
        pass
    cache.discard(stage, key, counted_hit=True)
    return None


def _write(cache: Cache | None, stage: str, key: str, data: Any) -> None:
    if cache is not None:
        cache.put(stage, key, json.dumps(data).encode("utf-8"))  # dicts keep their order
