"""Number chapters, sections, figures, tables and equations from Pandoc's AST.

Numbers are computed from the parsed document (Pandoc's JSON AST), not from the
Markdown text, so they agree with what Pandoc will render. The book-wide table
built from every chapter lets a reference in one chapter link to a figure in
another ("Figure 2.3" pointing at ``chapter2.html#fig-…``).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..crossrefconfig import CrossrefConfig
from ..references import CALLOUT_KINDS, THEOREM_KINDS

EQ_LABEL = re.compile(r"^\{#(eq-[^\s}]+)(?:\}|$)")  # `{#eq-x}`, or `{#eq-x alt="…"}` starting so
DEFAULT_CONFIG = CrossrefConfig()


@dataclass
class ChapterNumbers:
    """The numbers of one chapter: its own, each header's (by id), and each label's."""

    chapter: str | None
    headers: dict[str, str | None] = field(default_factory=dict)  # header id -> number
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (kind, number)
    section_titles: dict[str, str] = field(default_factory=dict)
    title: str = ""
    appendix: bool = False


@dataclass(frozen=True)
class Target:
    """Where a label points in the built book."""

    kind: str
    number: str
    page: str
    label: str
    title: str = ""

    def href_from(self, page: str) -> str:
        """The link to this target from another page of the site."""
        if page == self.page:
            return f"#{self.label}"
        relative = posixpath.relpath(self.page, posixpath.dirname(page) or ".")
        return f"{relative}#{self.label}"

    @property
    def text(self) -> str:
        """``Figure 2.3`` in Quarto's default words (see :meth:`text_in`)."""
        return self.text_in(DEFAULT_CONFIG)

    def text_in(self, config: CrossrefConfig) -> str:
        """``Figure 2.3``, with the book's word for the kind (``fig-prefix``); an unnumbered
        section is referred to by its title."""
        if not self.number:
            return self.title
        word = config.reference_word(self.kind)
        return f"{word} {self.number}" if word else self.number


def walk(node: Any, skip: frozenset[str] = frozenset()) -> Iterator[dict[str, Any]]:
    """Every AST element (a dict with a ``t`` key), in document order; not inside ``skip`` kinds."""
    # (Exact types and bound methods: a large chapter's tree is millions of elements, walked more than once.)
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        current = pop()
        kind = type(current)
        if kind is dict:
            if "t" in current:
                if current["t"] in skip:
                    continue
                yield current
                children = current.get("c")  # an element's content is all under "c"
                if type(children) is list:
                    extend(reversed(children))
                elif type(children) is dict:
                    push(children)
            else:  # e.g. a citation: its prefix and suffix hold elements
                extend(reversed(list(current.values())))
        elif kind is list:
            extend(reversed(current))


def stringify(inlines: Any) -> str:
    """Plain text of a list of inlines (enough for titles); notes are not part of it."""
    parts: list[str] = []
    for element in walk(inlines, skip=frozenset({"Note"})):
        kind = element["t"]
        if kind == "Str":
            parts.append(element["c"])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Code", "Math"):
            parts.append(element["c"][1])
    return "".join(parts).strip()


PROOF_CLASSES = frozenset({"proof", "remark", "solution"})


def non_section_headers(div: dict[str, Any]) -> list[dict[str, Any]]:
    """The headers of a Div that are not sections: a callout's title (its first block,
    when it has no ``title`` attribute; filters/callouts.lua), a theorem's or proof's name, and the
    tab titles of a ``.panel-tabset`` (its headers of the first heading level; filters/layout.lua)."""
    (_, classes, attributes), content = div["c"]
    if any(c.startswith("callout-") for c in classes) and "title" not in dict(attributes) \
            and content and content[0]["t"] == "Header":
        return [content[0]]
    if div["c"][0][0].split("-", 1)[0] in THEOREM_KINDS and content and content[0]["t"] == "Header":
        return [content[0]]  # a theorem's name (filters/crossref.lua)
    if PROOF_CLASSES & set(classes) and "name" not in dict(attributes) and content and content[0]["t"] == "Header":
        return [content[0]]  # a proof's, remark's or solution's name (filters/crossref.lua)
    if "panel-tabset" in classes:
        headers = [block for block in content if block["t"] == "Header"]
        return [h for h in headers if h["c"][0] == headers[0]["c"][0]]
    return []


def number_chapter(ast: dict[str, Any], chapter_number: str | None, *, appendix: bool = False,
                   config: CrossrefConfig = DEFAULT_CONFIG, counts: dict[str, int] | None = None,
                   sections_alone: bool = False) -> ChapterNumbers:
    """Number the headers and labelled elements of one chapter's AST.

    The first level-1 header is the chapter title; level-2 headers are sections
    ``N.1``, level-3 ``N.1.1``, and so on. ``.unnumbered`` headers get no number.
    Figures, tables, equations, code listings and the book's own float kinds are numbered ``N.k`` in document order (just
    ``k`` in an unnumbered chapter). An appendix's number is a letter, and a
    reference to its title reads "Appendix A". Headers deeper than ``config.number_depth``
    are counted but show no number. With ``crossref: chapters: false`` items take no chapter
    prefix and ``counts`` (shared by the book's chapters) carries their count on.
    ``sections_alone``: a chapter with no number (no level-1 title) that asks for
    ``number-sections: true`` numbers its sections from its top heading level,
    "1", "1.1", as Quarto numbers a document whose headings start below level 1.
    """
    numbers = ChapterNumbers(chapter_number, appendix=appendix)
    counters = [0] * 7
    counts = counts if counts is not None else {}
    seen_title = False

    def item_number(kind: str) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        label = config.item_label(kind, counts[kind])  # 3, iii, c, … (crossref: labels)
        return f"{chapter_number}.{label}" if chapter_number and config.chapters else label

    titles: set[int] = set()  # ids of headers that are not sections (a Div comes before its content)
    for element in walk(ast.get("blocks", [])):
        kind = element["t"]
        if kind == "Div":
            titles.update(id(header) for header in non_section_headers(element))
        if kind == "Header" and id(element) in titles:
            continue
        if kind == "Header":
            level, (ident, classes, _), inlines = element["c"]
            if level == 1 and not seen_title:
                seen_title = True
                numbers.title = stringify(inlines)
                number = chapter_number if "unnumbered" not in classes else None
            elif "unnumbered" in classes or (chapter_number is None and not sections_alone):
                number = None
            else:
                depth = max(level, 2)
                counters[depth] += 1
                for deeper in range(depth + 1, 7):
                    counters[deeper] = 0
                lead = [chapter_number] if chapter_number is not None else []
                number = ".".join(lead + [str(counters[d]) for d in range(2, depth + 1)])
                if not config.section_numbered(level):
                    number = None
            if ident:
                numbers.headers[ident] = number
            if ident.startswith("sec-"):
                # A reference to a chapter's own title reads "Chapter 2", as in Quarto.
                kind = ("appendix" if appendix else "chapter") if level == 1 and number == chapter_number else "sec"
                numbers.labels[ident] = (kind, number or "")
                numbers.section_titles[ident] = stringify(inlines)
        elif kind in ("Div", "Figure", "Table", "Image"):
            ident = element["c"][0][0]
            prefix = ident.split("-", 1)[0]
            if kind == "Div" and (prefix in THEOREM_KINDS or prefix in CALLOUT_KINDS) and ident not in numbers.labels:
                numbers.labels[ident] = (prefix, item_number(prefix))  # each kind counted on its own, as in Quarto
            elif kind == "Div" and prefix == "lst" and ident not in numbers.labels:
                numbers.labels[ident] = ("lst", item_number("lst"))  # `::: {#lst-x}` around the code
            elif kind in ("Div", "Figure") and prefix in config.custom_keys and ident not in numbers.labels:
                numbers.labels[ident] = (prefix, item_number(prefix))  # the book's own float kind
            elif prefix in ("fig", "tbl") and ident not in numbers.labels:
                number = item_number(prefix)
                numbers.labels[ident] = (prefix, number)
                if prefix == "fig" and kind in ("Div", "Figure"):
                    _number_subfigures(element, number, numbers, config)
        elif kind == "CodeBlock" and element["c"][0][0].startswith("lst-"):
            numbers.labels.setdefault(element["c"][0][0], ("lst", item_number("lst")))
        elif kind == "Para":
            for label in _equation_labels(element["c"]):
                numbers.labels[label] = ("eq", item_number("eq"))
    return numbers


def _number_subfigures(figure: dict[str, Any], number: str, numbers: ChapterNumbers, config: CrossrefConfig) -> None:
    """Figures inside a figure are its parts, as in Quarto: "Figure 1.2 (a)", "(b)", … (``subref-labels``)"""
    parts = 0
    for element in walk(figure["c"][1:]):
        if element["t"] in ("Div", "Figure", "Image"):
            ident = element["c"][0][0]
            if ident.startswith("fig-") and ident not in numbers.labels:
                parts += 1
                numbers.labels[ident] = ("fig", f"{number} ({config.subref_label(parts)})")


def _equation_labels(inlines: list[dict[str, Any]]) -> Iterator[str]:
    """Labels written right after display math: ``$$ … $$ {#eq-x}``."""
    previous_math = False
    for element in inlines:
        kind = element["t"]
        if kind == "Math" and element["c"][0]["t"] == "DisplayMath":
            previous_math = True
            continue
        if kind in ("Space", "SoftBreak") and previous_math:
            continue
        if kind == "Str" and previous_math:
            match = EQ_LABEL.match(element["c"])
            if match:
                yield match.group(1)
        previous_math = False


def appendix_letter(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA: the number of the n-th appendix."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def book_targets(chapters: list[tuple[str, ChapterNumbers]]) -> dict[str, Target]:
    """Label -> Target across the book; ``chapters`` pairs each page path with its numbers.

    The first definition of a label wins (the checker reports duplicates).
    """
    targets: dict[str, Target] = {}
    for page, numbers in chapters:
        for label, (kind, number) in numbers.labels.items():
            title = numbers.section_titles.get(label, "")
            targets.setdefault(label, Target(kind, number, page, label, title))
    return targets
