"""One edited chapter typeset alone and put into the book's last PDF in place of its old pages.

Each chapter of ``book.tex`` is ``\\include``d: it keeps its own ``.aux``, whose
checkpoint holds the counters (the page's among them) the next chapter starts
from, and ``\\bookchapterend`` adds hyperref's anchor counter to it. When only
one chapter's LaTeX changed since the last settled build, one LuaLaTeX pass
typesets the book with ``\\includeonly{that chapter}``: the other chapters are
skipped, their counters restored from their ``.aux``, so the chapter's pages are
numbered, and its anchors named, as in the whole book.

Its pages replace the old ones only when the whole book's layout is unchanged:
the chapter wrote the same ``.aux`` (labels, numbers, pages, contents entries,
the counters the next chapter starts from), the same bookmarks and the same index
entries as before, on the same number of pages. Then every other page of the
book is exactly as a full pass would make it, and the PDF's links, bookmarks and
page labels (all by name) still hold; the chapter's named destinations are
pointed at its new pages. Otherwise the caller typesets the whole book.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Callable

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, NameObject, TextStringObject

from ..cache import file_digest
from ..files import write_atomic
from .latex_run import READ_BACK, LatexResult, compile_one

#: Lines of a chapter's .aux that do not describe its layout (a package's one-time definition).
NOT_LAYOUT = re.compile(r"^\\providecommand.*$\n?", re.M)
BOOKMARK = re.compile(r"^\\BKM@entry\{id=\d+,dest=\{([0-9A-F]*)\},srcline=\{\d+\},srcfile=\{([0-9A-F]*)\}\}(.*)$", re.M)
INDEX_ENTRY = re.compile(r"^\\indexentry\{.*\}\{(\d+)\}$", re.M)
CHAPTER_START = re.compile(r"\\contentsline \{chapter\}.*?\}\{(\d+)\}\{[^{}]*\}\\protected@file@percent")
CHECKPOINT_PAGE = re.compile(r"\\@setckpt\{[^{}]*\}\{.*?\\setcounter ?\{page\}\{(\d+)\}", re.S)
#: What a one-chapter pass backs up and puts back: the whole book's read-back files.
KEPT = (*READ_BACK, ".idx", ".log")


def typeset_alone(workdir: Path, jobname: str, stamp_name: str, files: dict[str, str], images: list[tuple[str, str]],
                  identifier: str, timeout: float, say: Callable[[str], None]) -> LatexResult | None:
    """When only one chapter's LaTeX changed since the last settled build (``stamp_name``: its record of
    ``files``' digests, ``images`` and the PDF's digest): one pass that typesets that chapter alone, its
    pages put into the last PDF; None when that cannot be, or the chapter's layout changed (its labels,
    pages, bookmarks or index entries): then the caller typesets the whole book."""
    try:
        stamp = json.loads((workdir / stamp_name).read_text(encoding="utf-8"))
        pdf = workdir / f"{jobname}.pdf"
        if not isinstance(stamp, dict) or stamp.get("pdf") != file_digest(pdf) \
                or [list(i) for i in images] != stamp.get("images") or set(files) != set(stamp.get("files") or {}):
            return None
    except (OSError, ValueError):
        return None
    changed = [name for name, text_digest in files.items() if stamp["files"][name] != text_digest]
    if len(changed) != 1 or not changed[0].startswith("chapters/"):
        return None
    stem = changed[0].removesuffix(".tex")
    before = chapter_layout(workdir, jobname, stem)
    if before is None:
        return None
    saved = workdir / "one-chapter"
    old_log = (workdir / f"{jobname}.log").read_text(encoding="utf-8", errors="replace")
    back_up(workdir, jobname, stem, saved)
    say(f"typesetting {changed[0]} alone (the rest of the book is as it was)…")
    result = compile_one(workdir, jobname, stem, timeout=timeout)
    spliced = None
    if result.ok and chapter_layout(workdir, jobname, stem) == before:
        spliced = splice((saved / pdf.name).read_bytes(), pdf.read_bytes(), before[3], identifier)
    restore(workdir, jobname, stem, saved, pdf=spliced is None)
    if spliced is None:
        say("the chapter's layout changed (or it did not typeset alone): typesetting the whole book")
        return None
    write_atomic(pdf, spliced)
    pages = stamp.get("pages")
    # The one pass's log (this chapter's warnings) and the last whole book's (the other chapters').
    return LatexResult(ok=True, passes=1, seconds=result.seconds, pages=pages if isinstance(pages, int) else 0,
                       log=result.log + "\n" + old_log)


def chapter_layout(workdir: Path, jobname: str, stem: str) -> tuple[str, list[tuple[str, str]], Counter[str], range] | None:
    """What the chapter ``stem`` (``chapters/03-x``) wrote: its .aux (less :data:`NOT_LAYOUT`), its
    bookmarks (destination, title), its index entries, and its pages (a range of page numbers)."""
    try:
        aux = (workdir / f"{stem}.aux").read_text(encoding="utf-8", errors="replace")
        main = (workdir / f"{jobname}.aux").read_text(encoding="utf-8", errors="replace")
        index = (workdir / f"{jobname}.idx").read_text(encoding="utf-8", errors="replace") \
            if (workdir / f"{jobname}.idx").is_file() else ""
    except OSError:
        return None
    start, end = CHAPTER_START.search(aux), CHECKPOINT_PAGE.search(aux)
    if start is None or end is None:
        return None
    pages = range(int(start.group(1)), int(end.group(1)))
    source = f"./{stem}.tex".encode("utf-8").hex().upper()
    marks = [(m.group(1), m.group(3)) for m in BOOKMARK.finditer(main) if m.group(2) == source]
    entries = Counter(m.group(0) for m in INDEX_ENTRY.finditer(index) if int(m.group(1)) in pages)
    return NOT_LAYOUT.sub("", aux), marks, entries, pages


def back_up(workdir: Path, jobname: str, stem: str, folder: Path) -> None:
    """Copy the whole book's read-back files, the chapter's .aux and the PDF into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in [*(workdir / f"{jobname}{s}" for s in (*KEPT, ".pdf")), workdir / f"{stem}.aux"]:
        if path.is_file():
            shutil.copy2(path, folder / path.name)


def restore(workdir: Path, jobname: str, stem: str, folder: Path, *, pdf: bool) -> None:
    """Put the backed-up files back (the PDF too when ``pdf``)."""
    for suffix in (*KEPT, *((".pdf",) if pdf else ())):
        saved = folder / f"{jobname}{suffix}"
        if saved.is_file():
            shutil.copy2(saved, workdir / saved.name)
        else:
            (workdir / f"{jobname}{suffix}").unlink(missing_ok=True)
    saved = folder / f"{Path(stem).name}.aux"
    if saved.is_file():
        shutil.copy2(saved, workdir / f"{stem}.aux")


def _numbered_pages(reader: PdfReader, pages: range) -> list[int] | None:
    """Indices of the pages labelled with the numbers in ``pages`` (each exactly once), in order."""
    labels = reader.page_labels
    found = {label: n for n, label in enumerate(labels) if labels.count(label) == 1}
    indices = [found.get(str(number)) for number in pages]
    return None if None in indices else indices  # type: ignore[return-value]


def name_tree_leaves(tree: DictionaryObject) -> list[tuple[str, object]]:
    """(name, destination) of a name tree, in order."""
    found: list[tuple[str, object]] = []
    if "/Names" in tree:
        items = tree["/Names"]
        found += [(str(items[n]), items[n + 1]) for n in range(0, len(items) - 1, 2)]
    for kid in tree.get("/Kids", []):
        found += name_tree_leaves(kid.get_object())
    return found


def destination_array(dest: object) -> ArrayObject:
    """A named destination's array (its page first), whether it is given as the array or as a ``/D`` entry."""
    target = dest.get_object()  # type: ignore[attr-defined]
    return target["/D"] if isinstance(target, DictionaryObject) else target


def destination_page(dest: object) -> int | None:
    """The object number of the page a named destination is on."""
    return getattr(destination_array(dest)[0], "idnum", None)


def splice(old_pdf: bytes, new_pdf: bytes, pages: range, identifier: str) -> bytes | None:
    """``old_pdf`` with the pages numbered ``pages`` taken from ``new_pdf`` (a pass that typeset only that
    chapter), the named destinations on them pointed at the new pages, and the /ID ``identifier``;
    None when the pages or their destinations cannot be matched one to one (or a PDF is not as LuaTeX
    writes it: the caller then typesets the whole book)."""
    try:
        return _splice(old_pdf, new_pdf, pages, identifier)
    except (PyPdfError, KeyError, AttributeError, TypeError, ValueError, IndexError):
        return None


def _splice(old_pdf: bytes, new_pdf: bytes, pages: range, identifier: str) -> bytes | None:
    old, new = PdfReader(io.BytesIO(old_pdf)), PdfReader(io.BytesIO(new_pdf))
    before, after = _numbered_pages(old, pages), _numbered_pages(new, pages)
    if before is None or after is None or len(before) != len(after) or before != list(range(before[0], before[0] + len(before))):
        return None
    writer = PdfWriter(clone_from=old)
    new_refs = {new.pages[n].indirect_reference.idnum: k for k, n in enumerate(after)}
    old_refs = {writer.pages[n].indirect_reference.idnum for n in before}
    first = before[0]
    for k, n in enumerate(after):
        writer.insert_page(new.pages[n], first + len(before) + k)  # after the old ones, then drop those
    for _ in before:
        writer.remove_page(first)
    placed = [writer.pages[first + k].indirect_reference for k in range(len(after))]
    # Every named destination: the chapter's (they point at its pages) from the new PDF, the others as they were.
    root = writer._root_object
    dests_tree = root["/Names"].get_object()["/Dests"].get_object()
    olds = name_tree_leaves(dests_tree)
    news = dict(name_tree_leaves(new.trailer["/Root"]["/Names"].get_object()["/Dests"].get_object()))
    on_new_pages = {name for name, dest in news.items() if destination_page(dest) in new_refs}
    if not on_new_pages <= {name for name, _ in olds}:
        return None  # an anchor the book's other pages do not know of: not the same layout
    names = ArrayObject()
    for name, dest in olds:
        array = destination_array(dest)
        if array[0].idnum in old_refs:
            fresh = news.get(name)
            if fresh is None:
                return None
            fresh = fresh.get_object()
            fresh = fresh["/D"] if isinstance(fresh, DictionaryObject) else fresh
            if fresh[0].idnum not in new_refs:
                return None
            array = ArrayObject([placed[new_refs[fresh[0].idnum]], *[item for item in list(fresh)[1:]]])
        names += [TextStringObject(name), array]
    flat = DictionaryObject({NameObject("/Names"): names})
    root["/Names"].get_object()[NameObject("/Dests")] = writer._add_object(flat)
    id_bytes = ByteStringObject(bytes.fromhex(identifier))
    writer._ID = ArrayObject([id_bytes, id_bytes])
    writer.compress_identical_objects()  # and drops the old pages' objects that nothing uses now
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
