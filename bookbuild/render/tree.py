"""Rewriting Pandoc's JSON AST without copying it: a changed tree shares every part it did not change.

A large chapter's AST is tens of megabytes of dicts and lists; a deep copy of it
cost more than rendering it. Each format's stage (links, images, raw HTML) is a
rewrite of a few kinds of element, so it copies only the elements on the way
from the root to a replaced one and leaves the tree it was given as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ..collector import no_cycle_collection

#: Elements that hold no other element (their content is text): never looked into.
LEAVES = frozenset({"Str", "Space", "SoftBreak", "LineBreak", "Math", "Code", "RawInline", "RawBlock",
                    "CodeBlock", "HorizontalRule"})

Rewrite = Callable[[dict[str, Any]], "dict[str, Any] | None"]


def replaced(node: Any, kinds: frozenset[str], rewrite: Rewrite) -> Any:
    """``node`` with each element of one of ``kinds`` replaced by ``rewrite(element)`` (None: kept),
    sharing every part of the tree that holds no replaced element; ``node`` itself is not changed.

    ``rewrite`` must return a new element rather than change the one it is given. A replacement
    is not looked into.
    """
    if isinstance(node, list):
        copied = None
        for position, item in enumerate(node):
            if isinstance(item, (list, dict)) and (new := replaced(item, kinds, rewrite)) is not item:
                if copied is None:
                    copied = list(node)
                copied[position] = new
        return node if copied is None else copied
    if not isinstance(node, dict):
        return node
    kind = node.get("t")
    if kind in kinds and (new_element := rewrite(node)) is not None:
        return new_element
    if kind in LEAVES:
        return node
    content = node.get("c")  # an element's children are all under "c"
    if isinstance(content, (list, dict)) and (new := replaced(content, kinds, rewrite)) is not content:
        return {**node, "c": new}
    return node


def with_blocks(ast: dict[str, Any], kinds: frozenset[str], rewrite: Rewrite) -> dict[str, Any]:
    """A document (``{"blocks": …, "meta": …}``) with ``replaced`` applied to its blocks; ``ast`` unchanged."""
    blocks = ast.get("blocks", [])
    new = replaced(blocks, kinds, rewrite)
    return ast if new is blocks else {**ast, "blocks": new}


@dataclass(frozen=True)
class RewrittenTree:
    """A document and the rewrites to make of it, made block by block when asked for: what a large
    page is rendered from in pieces (render/chunks.py), each piece's blocks rewritten as it is cut.

    Each step is ``(kinds, rewrite)`` for :func:`replaced`, in order; a rewrite only ever replaces
    elements, so rewriting each top-level block is rewriting the document (:meth:`whole`)."""

    tree: dict[str, Any]
    steps: tuple[tuple[frozenset[str], Rewrite], ...] = ()

    @property
    def blocks(self) -> list[Any]:
        """The document's top-level blocks as they are, not rewritten (their kinds and levels are the rewritten ones')."""
        return self.tree.get("blocks", [])

    def block(self, block: Any) -> Any:
        """One top-level block, rewritten."""
        for kinds, rewrite in self.steps:
            block = replaced(block, kinds, rewrite)
        return block

    def whole(self) -> dict[str, Any]:
        """The document rewritten (sharing what no rewrite changed)."""
        tree = self.tree
        for kinds, rewrite in self.steps:
            tree = with_blocks(tree, kinds, rewrite)
        return tree


IMAGES = frozenset({"Image"})
RAW = frozenset({"RawInline", "RawBlock"})


def with_target(image: dict[str, Any], url: str) -> dict[str, Any]:
    """A copy of an ``Image`` (or ``Link``) element pointing at ``url``, its title kept."""
    attr, content, (_, title) = image["c"]
    return {**image, "c": [attr, content, [url, title]]}


#: The elements that are the same wherever they stand: one instance of each serves a whole tree.
SHARED = {kind: {"t": kind} for kind in ("Space", "SoftBreak", "LineBreak")}


def _shared(element: dict[str, Any]) -> dict[str, Any]:
    return SHARED.get(element.get("t", ""), element) if len(element) == 1 else element


def load_ast(text: str | bytes) -> dict[str, Any]:
    """Pandoc's JSON AST read with one instance of each element that holds nothing (a space, a soft
    or hard line break), so a large chapter's tree takes a quarter less memory: safe, as the tree is
    never changed in place (see ``replaced``)."""
    with no_cycle_collection():
        return json.loads(text, object_hook=_shared)
