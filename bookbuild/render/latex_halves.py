"""A long book's last LaTeX pass in two halves at once, their pages put together into one PDF.

Once a pass over the whole book has written every chapter's ``.aux``, the pass
that settles the book (the one that writes what it read) can be split: two
LuaLaTeX runs, in two copies of the working folder, each typeset the front and
back matter and half of the chapters (``\\includeonly``; the other half's
pages, counters and anchor names come from their ``.aux``, as for a chapter
typeset alone, :mod:`bookbuild.render.latex_splice`). Each half's chapters
must come out exactly as the whole book last wrote them (their ``.aux``,
bookmarks, index entries and pages), and what the front and back matter wrote
must be as before: then every page is the page a whole pass would make, and the
second half's chapter pages go into the first half's PDF in their places (the
named destinations, which links and bookmarks point to, with them). Otherwise
the caller runs the whole pass.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Callable

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from ..files import write_atomic
from .book import parallel
from .latex_run import READ_BACK, RERUN, UNREAD, WIDTHS, LatexResult, compile_one
from .latex_splice import BOOKMARK, INDEX_ENTRY, chapter_layout, destination_array, destination_page, name_tree_leaves

#: Below this many pages a whole pass is cheap: not worth two runs' start-up and a merge.
LONG_BOOK = 300
HALVES = ("half-1", "half-2")
BOOKMARK_ID = re.compile(r"^(\\BKM@entry\{id=)\d+", re.M)
ROMAN = (("m", 1000), ("cm", 900), ("d", 500), ("cd", 400), ("c", 100), ("xc", 90), ("l", 50), ("xl", 40),
         ("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))


def typeset_in_halves(workdir: Path, jobname: str, stems: list[str], timeout: float,
                      say: Callable[[str], None]) -> LatexResult | None:
    """The settling pass over ``workdir/<jobname>.tex`` as two runs at once, each typesetting half of
    the ``\\include``d ``stems`` (in book order); None when the book is short, a run fails, or anything
    it wrote differs from what the last whole pass wrote (the caller then runs the whole pass)."""
    layouts = {stem: chapter_layout(workdir, jobname, stem) for stem in stems}
    if len(stems) < 2 or any(layout is None for layout in layouts.values()):
        return None
    sizes = [len(layouts[stem][3]) for stem in stems]  # type: ignore[index]
    if sum(sizes) < LONG_BOOK:
        return None
    cut = _balanced_cut(sizes)
    groups = [stems[:cut], stems[cut:]]
    folders = [workdir / name for name in HALVES]
    for folder in folders:
        _copy_state(workdir, folder, jobname, stems)
    say(f"LaTeX pass in two halves at once ({len(groups[0])} and {len(groups[1])} chapters)…")
    results = parallel(2, [lambda f=f, g=g: compile_one(f, jobname, ",".join(g), timeout=timeout)
                           for f, g in zip(folders, groups)])
    try:
        merged = None
        # The second half's PDF is the base: its back matter follows the book's last chapter, as in a whole pass.
        if all(r.ok and not RERUN.search(r.log) for r in results) \
                and all(_settled(workdir, folder, jobname, group, layouts, outside=n == 1)
                        for n, (folder, group) in enumerate(zip(folders, groups))):
            chapter_pages = [str(n) for stem in groups[0] for n in layouts[stem][3]]  # type: ignore[index]
            merged = merge((folders[1] / f"{jobname}.pdf").read_bytes(), (folders[0] / f"{jobname}.pdf").read_bytes(),
                           chapter_pages)
        if merged is None:
            say("the halves did not come out as the whole book: typesetting it whole")
            return None
        write_atomic(workdir / f"{jobname}.pdf", merged)
        log = results[0].log + "\n" + results[1].log
        write_atomic(workdir / f"{jobname}.log", log)
        pages = len(PdfReader(io.BytesIO(merged)).pages)
        return LatexResult(ok=True, passes=1, seconds=max(r.seconds for r in results), pages=pages, log=log)
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _balanced_cut(sizes: list[int]) -> int:
    """Where to cut the chapters (their page counts) so the two halves have about as many pages."""
    total, run = sum(sizes), 0
    best, where = None, 1
    for n, size in enumerate(sizes[:-1], start=1):
        run += size
        gap = abs(total - 2 * run)
        if best is None or gap < best:
            best, where = gap, n
    return where


def _copy_state(workdir: Path, folder: Path, jobname: str, stems: list[str]) -> None:
    """The document's own files (the top-level .tex, the chapters) and what the last pass wrote, into ``folder``
    (images and figures are named by absolute paths: they stay where they are)."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "chapters").mkdir(parents=True)
    names = [p.name for p in workdir.glob("*.tex")] + [f"{jobname}{s}" for s in (*READ_BACK, ".idx")]
    names += [f"{stem}{suffix}" for stem in stems for suffix in (".tex", ".aux")]
    for name in names:
        source = workdir / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)


def _outside_chapters(workdir: Path, jobname: str, chapter_files: set[str]) -> tuple[str, list[str]]:
    """What the front and back matter wrote: the main .aux without the chapters' bookmarks (their ids
    are counted across the book) and the lines no pass reads; the index entries outside every chapter."""
    aux = (workdir / f"{jobname}.aux").read_text(encoding="utf-8", errors="replace")
    aux = "".join(line for line in aux.splitlines(keepends=True)
                  if not ((m := BOOKMARK.match(line)) and m.group(2) in chapter_files))
    aux = UNREAD.sub(b"", WIDTHS.sub(b"", aux.encode("utf-8"))).decode("utf-8")
    index = workdir / f"{jobname}.idx"
    entries = index.read_text(encoding="utf-8", errors="replace").splitlines() if index.is_file() else []
    return BOOKMARK_ID.sub(r"\1", aux), entries


def _settled(workdir: Path, folder: Path, jobname: str, group: list[str], layouts: dict[str, object], *,
             outside: bool) -> bool:
    """The half in ``folder`` wrote, for its chapters (and ``outside`` them), what the whole pass in ``workdir`` wrote.

    (The first half's back matter follows its last chapter, not the book's: its labels there differ, its
    pages are not used.)"""
    if any(chapter_layout(folder, jobname, stem) != layouts[stem] for stem in group):
        return False
    for suffix in (".toc", ".lof", ".lot"):
        before, after = workdir / f"{jobname}{suffix}", folder / f"{jobname}{suffix}"
        if before.is_file() != after.is_file() or (before.is_file() and before.read_bytes() != after.read_bytes()):
            return False
    files = {f"./{stem}.tex".encode("utf-8").hex().upper() for stem in layouts}
    pages = {str(n) for layout in layouts.values() for n in layout[3]}  # type: ignore[index]
    (aux_before, index_before), (aux_after, index_after) = (_outside_chapters(w, jobname, files) for w in (workdir, folder))

    def outside_entries(entries: list[str]) -> list[str]:
        return sorted(e for e in entries if not ((m := INDEX_ENTRY.match(e)) and m.group(1) in pages))
    return not outside or (aux_before == aux_after and outside_entries(index_before) == outside_entries(index_after))


def merge(first: bytes, second: bytes, chapter_pages: list[str]) -> bytes | None:
    """``first`` (front and back matter, one half's chapters) with the pages labelled ``chapter_pages`` taken
    from ``second`` and put in their places (after the page numbered one less, or before the one numbered
    one more), the named destinations on them too.
    None when the pages do not fit one to one (the caller then typesets the whole book)."""
    try:
        return _merge(first, second, chapter_pages)
    except (PyPdfError, KeyError, AttributeError, TypeError, ValueError, IndexError):
        return None


def _merge(first: bytes, second: bytes, chapter_pages: list[str]) -> bytes | None:
    base, other = PdfReader(io.BytesIO(first)), PdfReader(io.BytesIO(second))
    labels, theirs = list(base.page_labels), list(other.page_labels)
    wanted = set(chapter_pages)
    if len(set(labels)) != len(labels) or len(set(theirs)) != len(theirs) or wanted & set(labels) \
            or not wanted <= set(theirs) or not all(label.isdigit() for label in chapter_pages):
        return None
    writer = PdfWriter(clone_from=base)
    moved: dict[int, int] = {}  # the second PDF's page object number -> its index in the result
    for run in _runs(sorted(int(label) for label in chapter_pages)):
        # After the page numbered one less (a part's page), or else before the one numbered one more.
        if str(run[0] - 1) in labels:
            at = labels.index(str(run[0] - 1)) + 1
        elif str(run[-1] + 1) in labels:
            at = labels.index(str(run[-1] + 1))
        else:
            return None
        for number in run:
            page = other.pages[theirs.index(str(number))]
            writer.insert_page(page, at)
            labels.insert(at, str(number))
            moved = {ref: (n + 1 if n >= at else n) for ref, n in moved.items()}
            moved[page.indirect_reference.idnum] = at
            at += 1
    placed = {ref: writer.pages[n].indirect_reference for ref, n in moved.items()}
    root = writer._root_object
    names = dict(name_tree_leaves(root["/Names"].get_object()["/Dests"].get_object()))
    # LuaTeX points a name the document links to but does not define (here: the other half's) at its last page.
    last = writer.pages[-1].indirect_reference.idnum
    for name, dest in name_tree_leaves(other.trailer["/Root"]["/Names"].get_object()["/Dests"].get_object()):
        array = destination_array(dest)
        if array[0].idnum not in placed:
            continue  # on a page both halves typeset: the first's stands
        if name in names and destination_page(names[name]) != last:
            return None
        names[name] = ArrayObject([placed[array[0].idnum], *list(array)[1:]])
    flat = ArrayObject()
    for name in sorted(names):
        flat += [TextStringObject(name), names[name]]
    root["/Names"].get_object()[NameObject("/Dests")] = writer._add_object(DictionaryObject({NameObject("/Names"): flat}))
    # Each half's outline has only the chapters it typeset: the book's is both, in page order.
    pages = {page.indirect_reference.idnum: n for n, page in enumerate(writer.pages)}
    base_items, other_items = _outline_items(base), _outline_items(other)
    placed_pages = {r.idnum for r in placed.values()}
    kept = []
    for order, (depth, title, action, is_open) in enumerate([*base_items, *other_items]):
        name = action.get("/D")
        dest = names.get(str(name)) if isinstance(name, (str, bytes)) else None
        page = pages.get(destination_page(dest)) if dest is not None else None
        if page is None:
            return None
        from_other = order >= len(base_items)
        if from_other == (destination_page(dest) in placed_pages):
            kept.append((page, order, depth, title, action, is_open))
    kept.sort(key=lambda item: item[:2])
    _write_outline(writer, [item[2:] for item in kept])
    numbers = _page_label_ranges(labels)
    if numbers is None:
        return None
    root[NameObject("/PageLabels")] = DictionaryObject({NameObject("/Nums"): numbers})
    identifier = base.trailer.get("/ID")
    if identifier:
        writer._ID = ArrayObject([ByteStringObject(getattr(i, "original_bytes", None) or bytes(i)) for i in identifier])
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    return data if list(PdfReader(io.BytesIO(data)).page_labels) == labels else None


def _outline_items(reader: PdfReader) -> list[tuple[int, str, dict, bool]]:
    """(depth, title, action, open) of every outline item, in order."""
    found: list[tuple[int, str, dict, bool]] = []

    def walk(node: DictionaryObject | None, depth: int) -> None:
        while node is not None:
            found.append((depth, str(node["/Title"]), dict(node["/A"].get_object()), int(node.get("/Count", 0)) > 0))
            if "/First" in node:
                walk(node["/First"].get_object(), depth + 1)
            node = node["/Next"].get_object() if "/Next" in node else None

    outlines = reader.trailer["/Root"].get("/Outlines")
    if outlines is not None and "/First" in outlines.get_object():
        walk(outlines.get_object()["/First"].get_object(), 0)
    return found


def _write_outline(writer: PdfWriter, items: list[tuple[int, str, dict, bool]]) -> None:
    """The writer's outline made of ``items`` (depth, title, action, open), each a child of the last shallower one."""
    root = DictionaryObject({NameObject("/Type"): NameObject("/Outlines")})
    root_ref = writer._add_object(root)
    top: list = []
    stack: list[tuple[int, list, object]] = [(-1, top, root_ref)]
    for depth, title, action, is_open in items:
        while stack[-1][0] >= depth:
            stack.pop()
        item = DictionaryObject({NameObject("/Title"): TextStringObject(title),
                                 NameObject("/A"): DictionaryObject({NameObject(k): v for k, v in action.items()}),
                                 NameObject("/Parent"): stack[-1][2]})
        ref = writer._add_object(item)
        children: list = []
        stack[-1][1].append((item, ref, is_open, children))
        stack.append((depth, children, ref))

    def link(parent: DictionaryObject, children: list) -> int:
        """Link the children under ``parent``; the number of items visible under it when it is open."""
        visible = 0
        for n, (item, ref, is_open, grand) in enumerate(children):
            if n:
                item[NameObject("/Prev")] = children[n - 1][1]
            if n + 1 < len(children):
                item[NameObject("/Next")] = children[n + 1][1]
            below = link(item, grand)
            if grand:
                item[NameObject("/Count")] = NumberObject(below if is_open else -below)
            visible += 1 + (below if is_open else 0)
        if children:
            parent[NameObject("/First")], parent[NameObject("/Last")] = children[0][1], children[-1][1]
        return visible

    root[NameObject("/Count")] = NumberObject(link(root, top))
    writer._root_object[NameObject("/Outlines")] = root_ref


def _runs(numbers: list[int]) -> list[list[int]]:
    """Sorted numbers in runs of consecutive ones."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return runs


def _page_label_ranges(labels: list[str]) -> ArrayObject | None:
    """A /PageLabels number tree for pages labelled arabic or lower-case roman (None for any other label)."""
    numbers = ArrayObject()
    last: tuple[str, int] | None = None
    for n, label in enumerate(labels):
        kind, value = ("/D", int(label)) if label.isdigit() else ("/r", _roman_value(label))
        if value is None:
            return None
        if last is None or last != (kind, value - 1):
            style = DictionaryObject({NameObject("/S"): NameObject(kind)})
            if value != 1:
                style[NameObject("/St")] = NumberObject(value)
            numbers += [NumberObject(n), style]
        last = (kind, value)
    return numbers


def _roman_value(text: str) -> int | None:
    value, rest = 0, text
    for symbol, amount in ROMAN:
        while rest.startswith(symbol):
            value, rest = value + amount, rest[len(symbol):]
    return value if value and not rest else None
