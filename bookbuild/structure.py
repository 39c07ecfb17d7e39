"""The block structure of a chapter's prose, as Pandoc will read it: what it does not report.

A ``:::`` div that is never closed takes in the rest of the chapter without a
word from Pandoc; blocks nested past what the build's AST readers can follow
(Python's json, our walkers, the Lua filters) would fail the build. Both are
found here, on the prose (code and comments blanked), at their lines.
"""

from __future__ import annotations

import re

from .diagnostics import Diagnostic, error, warning
from .qmd import Chapter

DIV_OPEN = re.compile(r"^[ \t]*(?P<fence>:{3,})[ \t]*(?:\{[^}]*\}|[^\s:{}][^\s{}]*)[ \t]*:*[ \t]*$")
DIV_CLOSE = re.compile(r"^[ \t]*:{3,}[ \t]*$")
#: How deep divs, block quotes and lists may nest (Quarto books need a handful of levels); deeper
#: structures overflow the recursion of the AST's readers (Python's json, the filters).
MAX_NESTING = 100
QUOTE_MARKS = re.compile(r"^(?:[ \t]*>)+")
LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


def structure_diagnostics(chapter: Chapter) -> list[Diagnostic]:
    """Problems of the chapter's block structure that Pandoc does not report.

    A warning at each ``:::`` div fence that no ``:::`` line closes (Pandoc closes
    it at the end of the chapter, so it silently takes in everything after it),
    and an error where divs, quotes and lists nest deeper than :data:`MAX_NESTING`.
    """
    found: list[Diagnostic] = []
    open_fences: list[int] = []
    list_indents: list[int] = []
    for number, row in enumerate(chapter.prose.split("\n"), start=1):
        if DIV_CLOSE.match(row):
            if open_fences:
                open_fences.pop()
        elif DIV_OPEN.match(row):
            open_fences.append(number)
        quotes = QUOTE_MARKS.match(row)
        depth_quotes = quotes.group().count(">") if quotes else 0
        item = LIST_ITEM.match(row[quotes.end():] if quotes else row)
        if item:
            indent = len(item["indent"].expandtabs(4))
            while list_indents and list_indents[-1] >= indent:
                list_indents.pop()
            list_indents.append(indent)
        elif row.strip() and not row[:1].isspace():
            list_indents.clear()  # a paragraph at the margin ends the lists
        depth = len(open_fences) + depth_quotes + len(list_indents)
        if depth > MAX_NESTING and not any(d.code == "nesting" for d in found):
            found.append(error("nesting", chapter.path, number,
                               f"divs, block quotes and lists nest {depth} deep here; the build reads at most "
                               f"{MAX_NESTING} levels", hint="flatten the structure; this chapter is not rendered until then"))
    found += [warning("div-unclosed", chapter.path, line, "div ':::' opened here is never closed, so it takes in "
                      "the rest of the chapter", hint="add a line ':::' where the div ends")
              for line in open_fences]
    return found
