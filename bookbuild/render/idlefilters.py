"""Which of the engine's Lua filters would change nothing in a document, told from its JSON text.

Every filter costs a walk over the whole document (about half a second per MB of
chapter), even where the chapter holds nothing it handles. A filter listed here
acts only on elements that name one of its words (a class, a format), and the
filters before it never make such elements, so a document whose JSON holds none of
them is given to Pandoc without it: the output is the same. Not with the book's own
filters (they may make anything), which the caller checks.
"""

from __future__ import annotations

from typing import Sequence

#: filter -> words one of which is in any document it changes (as they appear in the JSON).
TRIGGERS: dict[str, tuple[str, ...]] = {
    "conditional": ("content-visible", "content-hidden", "quiz-end"),
    "codeescape": ("{{",),  # ```{{python}} and `{{python}} x`
    "list-table": ("list-table",),
    # Raw LaTeX in the chapter; entries of a bibliography may hold some too (citeproc adds them before it).
    "latex-commands": ('"tex"', '"latex"'),
}
#: Filters that run after citeproc: a page citing its bibliography keeps them.
AFTER_CITEPROC = frozenset({"latex-commands"})


def needed(filters: Sequence[str], source: str, *, bibliography: bool) -> list[str]:
    """``filters`` without those that would change nothing in the document whose JSON is ``source``
    (``bibliography``: whether Pandoc is given a bibliography, whose entries citeproc adds)."""
    def idle(name: str) -> bool:
        words = TRIGGERS.get(name)
        if words is None or (bibliography and name in AFTER_CITEPROC):
            return False
        return not any(word in source for word in words)

    return [name for name in filters if not idle(name)]
