"""The zero-literal policy check: inline values that rest on numbers typed by hand in a cell.

``check --strict-literals`` (or ``bookbuild: strict-literals: true``) warns at
each such literal's line, naming the values that rest on it, so a book can move
its assumptions into sourced constants one at a time. What counts as a literal,
and what is formatting or structure instead, is the rule of execute/lineage.py.
Values the engine did not trace (the Jupyter engine) are not checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from .diagnostics import ConfigError, Diagnostic, error, warning
from .execute import InlineValue
from .qmd import Chapter

if TYPE_CHECKING:
    from .project import Book

KEY = "strict-literals"
SHOWN = 3  # values named in one warning; the rest are counted


def strict_literals(book: "Book", asked: bool | None = None) -> bool:
    """Whether the policy applies: ``asked`` (the command line) if given, else ``bookbuild: strict-literals:``."""
    if asked:
        return True
    options = book.config.get("bookbuild") or {}
    configured = options.get(KEY, False) if isinstance(options, dict) else False
    if not isinstance(configured, bool):
        file, line, _ = book.locate("bookbuild", KEY)
        raise ConfigError(error("config", file, line, f"'bookbuild: {KEY}:' must be true or false, not {configured!r}",
                                hint=f"e.g. '{KEY}: true' under 'bookbuild:'"))
    return configured


def literal_diagnostics(chapter: Chapter, shown: str, values: Iterable[InlineValue]) -> list[Diagnostic]:
    """One warning per hand-typed literal that inline values rest on, at the literal's line."""
    users: dict[tuple[int, str, str], list[str]] = {}
    for value in values:
        if value.lineage is None:
            continue
        expr = chapter.inlines[value.index].expr
        for literal in value.lineage.literals:
            names = users.setdefault((literal.line, literal.cell, literal.text), [])
            if expr not in names:
                names.append(expr)
    out = []
    for (line, cell, text), names in sorted(users.items()):
        named = ", ".join(f"`{n}`" for n in names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
        verb = "rests" if len(names) == 1 else "rest"
        out.append(warning("unsourced-literal", shown, line,
                           f"{named} {verb} on the literal {text}, typed by hand with no source", cell=cell,
                           hint="make it a named constant with its source in the book's library (or state it there "
                                "as an assumption), and use that name here"))
    return out
