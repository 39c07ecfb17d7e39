"""Find what a chapter defines and points at: labels, cross-references, citations, images.

Scans run over the prose only (see :func:`bookbuild.qmd.prose_mask`), so code
and inline expressions never count. Pandoc's citation-key syntax is followed:
a key starts with a letter, digit or underscore and may hold inner punctuation,
but not trailing punctuation (``@sec-intro.`` refers to ``sec-intro``).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .qmd import Chapter, LineIndex

#: Quarto's numbered theorem-like blocks, ``::: {#def-x}``: prefix -> what a reference calls one.
THEOREM_KINDS = {"thm": "Theorem", "lem": "Lemma", "cor": "Corollary", "prp": "Proposition", "cnj": "Conjecture",
                 "def": "Definition", "exm": "Example", "exr": "Exercise", "alg": "Algorithm"}
#: Cross-referenceable callouts, ``::: {#tip-x .callout-tip}``: prefix -> what a reference calls one.
CALLOUT_KINDS = {"nte": "Note", "tip": "Tip", "wrn": "Warning", "imp": "Important", "cau": "Caution"}
XREF_KINDS = ("fig", "tbl", "eq", "sec", "lst", *THEOREM_KINDS, *CALLOUT_KINDS)
LISTING_ID = re.compile(r"^\{[^}]*#(?P<label>lst-[^\s}]+)")
LABEL_ATTR = re.compile(r"\{#(?P<label>(?:" + "|".join(XREF_KINDS) + r")-[^\s}]+)")


def _label_attr(extra: tuple[str, ...]) -> re.Pattern[str]:
    """LABEL_ATTR with the book's own kinds (``crossref: custom:``) too."""
    if not extra:
        return LABEL_ATTR
    return re.compile(r"\{#(?P<label>(?:" + "|".join([*XREF_KINDS, *map(re.escape, extra)]) + r")-[^\s}]+)")
AT_KEY = re.compile(r"(?<![\w@\\])@(?P<key>[\w][\w:.#$%&+?<>~/-]*)")
TRAILING_PUNCT = re.compile(r"[:.#$%&+?<>~/-]+$")
IMAGE = re.compile(r"!\[(?:[^\]\[]|\[[^\]]*\])*\]\((?P<src><[^>]+>|[^)\s]+)")
LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\((?P<href><[^>]+>|[^)\s]+)")
BIB_KEY = re.compile(r"^\s*@\w+\s*\{\s*(?P<key>[^,\s]+)\s*,", re.M)


@dataclass(frozen=True)
class Located:
    """Something found in a chapter at ``line:col``."""

    name: str
    line: int
    col: int


def xref_kind(key: str, extra: tuple[str, ...] = ()) -> str | None:
    """``fig`` for ``fig-foo`` (or ``Fig-foo``, which starts a sentence); None for a key that is a citation.

    ``extra``: the book's own kinds (``crossref: custom:``)."""
    prefix = xref_label(key, extra).split("-", 1)[0]
    return prefix if (prefix in XREF_KINDS or prefix in extra) and "-" in key else None


def xref_label(key: str, extra: tuple[str, ...] = ()) -> str:
    """The label a reference key points at: ``@Fig-foo`` (capitalised, as Quarto allows) means ``fig-foo``."""
    prefix = key.split("-", 1)[0]
    lowered = prefix[:1].lower() + prefix[1:]
    if prefix[:1].isupper() and (lowered in XREF_KINDS or lowered in extra):
        return key[:1].lower() + key[1:]
    return key


@dataclass(frozen=True)
class ChapterScan:
    """Labels defined, keys referenced and images used by one chapter."""

    labels: tuple[Located, ...]
    xrefs: tuple[Located, ...]
    citations: tuple[Located, ...]
    images: tuple[Located, ...]
    links: tuple[Located, ...] = ()  # link targets, ``[text](target)``


def scan_chapter(chapter: Chapter, extra_kinds: tuple[str, ...] = ()) -> ChapterScan:
    """Everything the book-wide checks and the cross-referencer need from one chapter
    (``extra_kinds``: the book's own float kinds, ``crossref: custom:``)."""
    prose = chapter.prose
    index = LineIndex(chapter.text)

    def at(offset: int, name: str) -> Located:
        line, col = index.position(offset)
        return Located(name, line, col)

    labels = [at(m.start(), m["label"]) for m in _label_attr(extra_kinds).finditer(prose)]
    for block in chapter.blocks:  # ```{.python #lst-x lst-cap="…"}: the label is in the fence's attributes
        listing = LISTING_ID.search(block.info)
        if listing:
            labels.append(Located(listing["label"], block.line, 1))
    for cell in chapter.cells:
        for label in (cell.label, cell.option("lst-label")):
            if isinstance(label, str) and xref_kind(label, extra_kinds):
                labels.append(Located(label, cell.line, 1))
        subcaptions = cell.option("fig-subcap")
        if cell.label and cell.label.startswith("fig-") and isinstance(subcaptions, list):
            # The parts of a cell's figure are label-1, label-2, … (render/markdown.py), as in Quarto.
            labels += [Located(f"{cell.label}-{n}", cell.line, 1) for n in range(1, len(subcaptions) + 1)]
    labels.sort(key=lambda item: (item.line, item.col))

    xrefs, citations = [], []
    for match in AT_KEY.finditer(prose):
        key = TRAILING_PUNCT.sub("", match["key"])
        if xref_kind(key, extra_kinds):
            xrefs.append(at(match.start(), xref_label(key, extra_kinds)))
        else:
            citations.append(at(match.start(), key))
    images = [at(m.start(), m["src"].strip("<>")) for m in IMAGE.finditer(prose)]
    links = [at(m.start(), m["href"].strip("<>")) for m in LINK.finditer(prose)]
    return ChapterScan(tuple(labels), tuple(xrefs), tuple(citations), tuple(images), tuple(links))


def bibliography_keys(text: str) -> set[str]:
    """The entry keys of a BibTeX file."""
    return {m["key"] for m in BIB_KEY.finditer(text)}


def is_local_path(src: str) -> bool:
    """False for URLs and data URIs, which a build does not check."""
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src)


#: Quarto's ``default-image-extension`` on the website: what an image path without an extension is given.
DEFAULT_IMAGE_EXTENSION = "png"


def with_default_extension(src: str, extension: str) -> str:
    """An image path or URL with no extension given ``extension``, as Quarto's ``default-image-extension``
    (``png`` on the website) does: ``images/plot`` -> ``images/plot.png``; a data URI, a path that has an
    extension and a URL naming no file (``https://example.com/``) stay as they are."""
    if src.startswith("data:"):
        return src
    path = re.split(r"[?#]", src, maxsplit=1)[0]
    name = path.rsplit("/", 1)[-1]
    if not name or "." in name:
        return src
    return path + "." + extension + src[len(path):]


def local_path(chapter_file: Path, src: str) -> Path:
    """An image or data path as the chapter names it, relative to the chapter's folder (not resolved)."""
    return chapter_file.parent / src.split("#", 1)[0]


def resolve_local(chapter_file: Path, src: str) -> Path:
    """:func:`local_path`, resolved (symlinks followed)."""
    return local_path(chapter_file, src).resolve()


def chapter_source(from_path: str, url: str) -> tuple[str, str] | None:
    """(project path of the linked ``.qmd``, fragment) for a relative link to a ``.qmd``, else None."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    path = unquote(parts.path)
    if not path.endswith(".qmd"):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), path))
    return joined, parts.fragment
