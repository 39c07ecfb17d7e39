"""A very large chapter's page rendered by Pandoc in pieces, joined into exactly the page one run makes.

Pandoc's cost grows faster than a document: its JSON reader holds about 16 bytes per
byte of input, so a 10 MB chapter (60 MB of JSON) needs 2.5 GB in one process. A page
whose AST is larger than :data:`CHUNK_FROM` is cut before level-2 headings into pieces
of about :data:`CHUNK_SIZE`, each rendered with the same options and filters (two at a
time), and the pieces' contents and bodies are joined. What Pandoc and the filters
count through a document is carried across the cuts: code blocks' ids (``cb12``, their
count per piece said by ``codecount.lua``) and the margin notes' numbers
(``layout.lua``). What needs the whole document at once is not cut: citations of the
bibliography (citeproc numbers and lists them), notes at the end of the page, tabsets,
``\\chapterminitoc``, the book's own filters. Any piece whose output does not have the
expected shape makes the caller render the page in one run instead.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from ..references import xref_label
from .tree import RewrittenTree

#: Pages whose AST's JSON is at least this long are rendered in pieces (about 2 MB of Markdown).
CHUNK_FROM = 10_000_000
#: About how much JSON each piece holds.
CHUNK_SIZE = 5_000_000
#: What a piece's input must not contain: text the joining rewrites or a filter that counts through
#: the document (tabsets) or reads all of it (the chapter's contents, the bibliography's place).
UNSAFE_WORDS = ("sidenote", "fnref", "panel-tabset", "chapterminitoc", '"refs"', '"nocite"')
CODE_NAME = re.compile(r"cb\d")  # (one pattern per kind of text: a regex with a literal start scans fast)
CITATION = re.compile(r'"citationId": "((?:[^"\\]|\\.)*)"')
#: Where a piece names what the filters look up in their data: an element's id (``["id", [classes…``),
#: a label in text (``{#eq-x}``), a citation's key, an id in raw HTML.
NAMES = tuple(re.compile(pattern) for pattern in (r'\["((?:[^"\\]|\\.)*)", \[', r'\{#([^\s}"\\]+)',
                                                   r'"citationId": "((?:[^"\\]|\\.)*)"', r'id=\\"([^"\\]+)\\"',
                                                   r"id='([^'\\]+)'"))
#: A citation's key anywhere in a piece's text (a caption's or title's attribute too).
AT_KEY = re.compile(r"@([\w:.#$%&+?<>~/-]+)")
KIND = re.compile(r"^([A-Za-z]+)-")
CODE_COUNT = re.compile(r"^bookbuild-code-blocks: (\d+)$", re.M)
CODE_ID = re.compile(r'(?<=["#])cb(\d+)(?=[-"])')
NOTE = re.compile(r'<span class="sidenote-ref" id="fnref(\d+)">\1</span><span class="sidenote" role="note" '
                  r'id="fn\1"><span class="sidenote-number">\1</span>')
NESTED_TOC_END = "</ul></li>\n</ul>\n"


@dataclass(frozen=True)
class Piece:
    """One piece of a page: the JSON Pandoc reads and the filters' data for it."""

    source: str
    data: dict[str, Any]


class Uncuttable(Exception):
    """Raised by the pieces of a page (:func:`pieces`) found, once cutting began, to need one run."""


def pieces(tree: RewrittenTree, data: dict[str, Any], *, notes: str, bibliography: bool,
           chunk_from: int = CHUNK_FROM, chunk_size: int = CHUNK_SIZE) -> Iterator[Piece] | None:
    """The pieces a page is rendered in, each made (its blocks rewritten and written as JSON) as it is
    needed, so the first are rendered while the later ones are cut; None when the page's outline or
    options keep it whole. The iterator raises :class:`Uncuttable` when the page proves small, or a
    piece holds what needs the whole document. ``data``: the filters' data for the whole page;
    ``notes``: its ``reference-location``; ``bibliography``: whether Pandoc is given one (then a key
    that is no cross-reference's anywhere, a caption's attribute too, keeps the page whole)."""
    if notes != "margin":
        return None
    allowed = _cut_places(tree.blocks)
    if allowed is None:
        return None
    rest = {key: value for key, value in tree.tree.items() if key != "blocks"}
    head = json.dumps(rest, sort_keys=True, ensure_ascii=False)
    if _unsafe(head):
        return None
    return _cut(tree, head, data, allowed, bibliography, chunk_from, chunk_size)


def _cut_places(blocks: list[Any]) -> set[int] | None:
    """The top-level blocks a piece may start at: each level-2 heading but the first; None when there
    are none, or a level-1 heading follows one (or there are several)."""
    seconds = [n for n, block in enumerate(blocks) if block.get("t") == "Header" and block["c"][0] == 2]
    if len(seconds) < 2:
        return None
    firsts = [n for n, block in enumerate(blocks) if block.get("t") == "Header" and block["c"][0] == 1]
    if any(n > seconds[0] for n in firsts) or len(firsts) > 1:
        return None
    return set(seconds[1:])


def _cut(tree: RewrittenTree, head: str, data: dict[str, Any], allowed: set[int], bibliography: bool,
         chunk_from: int, chunk_size: int) -> Iterator[Piece]:
    """The pieces: cut before an allowed heading once a piece is ``chunk_size`` long, held back until
    the page is known to be ``chunk_from`` long (see :func:`pieces`)."""
    kinds = set(data.get("xref_kinds", []))
    held: list[Piece] = []
    texts: list[str] = []
    total = size = count = 0

    def piece(body_texts: list[str]) -> Piece:
        body = ", ".join(body_texts)
        keys = [json.loads(f'"{key}"') for key in CITATION.findall(body)] + (AT_KEY.findall(body) if bibliography else [])
        if _unsafe(body) or _cites_bibliography(keys, kinds):
            raise Uncuttable("a piece holds what needs the whole page")
        source = head[:-1] + (", " if len(head) > 2 else "") + f'"blocks": [{body}]}}'
        return Piece(source, _piece_data(data, body, first=count == 0))

    for n, block in enumerate(tree.blocks):
        if n in allowed and size >= chunk_size:
            held.append(piece(texts))
            count += 1
            texts, size = [], 0
            if total >= chunk_from:
                yield from held
                held = []
        text = json.dumps(tree.block(block), sort_keys=True, ensure_ascii=False)
        texts.append(text)
        size += len(text) + 2
        total += len(text)
    if total < chunk_from or count == 0:
        raise Uncuttable("the page is rendered in one run")
    held.append(piece(texts))
    yield from held


def _unsafe(text: str) -> bool:
    """Whether a piece holds text the joining rewrites or what a filter needs the whole page for."""
    return CODE_NAME.search(text) is not None or any(word in text for word in UNSAFE_WORDS)


def _cites_bibliography(keys: list[str], kinds: set[str]) -> bool:
    """Whether one of the keys a piece cites is an entry of the bibliography (no cross-reference's)."""
    for key in keys:
        kind = KIND.match(xref_label(key, tuple(kinds)))
        if kind is None or kind.group(1) not in kinds:
            return True
    return False


def _piece_data(data: dict[str, Any], text: str, *, first: bool) -> dict[str, Any]:
    """The filters' data for one piece: only the numbers and targets it can name (every filter
    reads its data whole, once per piece), the subtitle only in the first (it follows the title)."""
    names = {json.loads(f'"{name}"') if "\\" in name else name
             for pattern in NAMES for name in set(pattern.findall(text)) if name}
    names |= {name[:1].lower() + name[1:] for name in names if name[:1].isupper()}  # `@Fig-x` means fig-x
    return {**data,
            "headers": {key: value for key, value in data.get("headers", {}).items() if key in names},
            "targets": {key: value for key, value in data.get("targets", {}).items() if key in names},
            **({} if first else {"subtitle": ""})}


def joined(outputs: Iterable[tuple[str, str]], marker: str, nested: str | None) -> str | None:
    """The page's output (``contents marker body``, as the parts template writes it) from its pieces'
    outputs and what Pandoc said while making each; None when a piece does not have the expected shape.
    ``nested``: the id of the chapter's level-1 heading, whose section and entry hold the others."""
    tocs, bodies, offset_code, offset_notes = [], [], 0, 0
    for output, said in outputs:
        counted = CODE_COUNT.findall(said)
        toc, found, body = output.partition(marker)
        if len(counted) != 1 or not found or not body.startswith("\n") or not body.endswith("\n"):
            return None
        if offset_code:
            body = CODE_ID.sub(lambda m, o=offset_code: f"cb{int(m.group(1)) + o}", body)
        notes = 0

        def renumbered(match: re.Match[str], base: int = offset_notes) -> str:
            nonlocal notes
            notes += 1
            if int(match.group(1)) != notes:
                raise ValueError("margin notes out of order")
            return match.group(0).replace(match.group(1), str(base + notes))

        try:
            body = NOTE.sub(renumbered, body)
        except ValueError:
            return None
        offset_code += int(counted[0])
        offset_notes += notes
        tocs.append(toc)
        bodies.append(body[1:-1])
    toc, body = _joined_toc(tocs, nested), _joined_body(bodies, nested)
    if toc is None or body is None:
        return None
    return f"{toc}{marker}\n{body}\n"


def _joined_toc(tocs: list[str], nested: str | None) -> str | None:
    """One table of contents from the pieces': the later pieces' entries are the first's last ones'
    siblings (under the chapter's title when it has one)."""
    first, rest = tocs[0], tocs[1:]
    if not all(t.startswith("<ul>\n") and t.endswith("</ul>\n") for t in tocs):
        return None
    end = "</ul>\n"
    if nested is not None:
        if not first.startswith(f'<ul>\n<li><a href="#{nested}"') or not first.endswith(NESTED_TOC_END):
            return None
        end = NESTED_TOC_END
    return first[:-len(end)] + "".join(t[len("<ul>\n"):-len("</ul>\n")] for t in rest) + end


def _joined_body(bodies: list[str], nested: str | None) -> str | None:
    """One body from the pieces': the later pieces' sections go inside the first's chapter
    section when it has one (closed at its end)."""
    first, rest = bodies[0], bodies[1:]
    if not all(b.startswith("<section") for b in rest):
        return None
    if nested is not None:
        if f'<section id="{nested}" class="level1' not in first or not first.endswith("</section>\n</section>"):
            return None
        return first[:-len("\n</section>")] + "\n" + "\n".join(rest) + "\n</section>"
    return "\n".join([first, *rest])


#: Renders one piece: (its JSON, its filter data as JSON) -> (Pandoc's output, what it said on stderr).
Run = Callable[[str, str], tuple[str, str]]


def render_pieces(tree: RewrittenTree, data: dict[str, Any], run: Run, bibliography: bool, *, notes: str,
                  marker: str, workers: int = 2, chunk_from: int | None = None,
                  chunk_size: int | None = None) -> str | None:
    """The page's output rendered in pieces (``workers`` at a time, each started as soon as it is cut),
    or None when it is not to be cut or its pieces do not join (the caller renders it in one run). The
    sizes default to the module's :data:`CHUNK_FROM` and :data:`CHUNK_SIZE` as they are when it is called."""
    cut = pieces(tree, data, notes=notes, bibliography=bibliography, chunk_from=chunk_from or CHUNK_FROM,
                 chunk_size=chunk_size or CHUNK_SIZE)
    if cut is None:
        return None
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        running: list[Future[tuple[str, str]]] = []
        try:
            for piece in cut:
                running.append(pool.submit(run, piece.source, json.dumps(piece.data, sort_keys=True)))
        except Uncuttable:
            for future in running:
                future.cancel()
            return None
        # Each piece's output is taken in as it comes, while the later pieces render.
        return joined((future.result() for future in running), marker, nested=_has_title(tree.blocks))


def _has_title(blocks: list[Any]) -> str | None:
    """The id of the page's level-1 heading among its top-level blocks (its section holds the others), if any."""
    return next((block["c"][1][0] for block in blocks if block.get("t") == "Header" and block["c"][0] == 1), None)
