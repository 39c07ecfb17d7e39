"""The PDF's TikZ figures typeset once each, outside the book's LaTeX passes.

A TikZ picture costs LaTeX as much as pages of text, and the book is typeset
two or three times: so each figure that stands in a figure float is typeset on
its own page by LuaLaTeX with the book's own preamble (same class, page
geometry, fonts, palette, ``\\linewidth``, float context), its box measured,
and the chapter includes that page at exactly that box's width, height and
depth (``\\bookexternal``, theme/latex-preamble.tex). The pages look the same
and break the same: the book sees a box of the same size.

Figures are compiled in a few batches (one LuaLaTeX run each, one page per
figure, the batches in parallel), and each figure is cached by a digest of its
code, the preamble and the TeX engine: an unchanged figure is never typeset
again. A figure whose code may reach outside its box (labels, references,
citations, index entries, notes, global definitions, ``remember picture``,
files it reads) stays inline, as do a ``[H]`` figure (it takes the font and width
of where it stands), the figures of a chapter whose own LaTeX defines styles or
commands (a figure may use them), and every figure of a batch that fails:
LaTeX then typesets it in the book and reports any error at its line, as
without this step.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..cache import Cache, digest
from ..files import write_atomic
from .book import parallel
from .latex_setup import ENGINE, engine_identity
from .texprocess import TexTimeout, run_program

VERSION = "bookbuild-tikz-pdf/2"
STAGE = "tikz-pdf"            # one record per figure: its batch, page and box
BATCH_STAGE = "tikz-pdf-batch"  # the batches' PDFs
#: A TikZ figure as the LaTeX filters put it in a float: the float's opening, the code, the end of ``bookfit``.
#: Not ``[H]``: a figure placed there (in a callout, a list) takes the font and width of where it stands.
FLOAT_FIGURE = re.compile(r"(\\begin\{figure\}(?:\[[^\]\nH]*\])?\n\\centering\n\\begin\{bookfit\}(?:\[wide\])?\n)"
                          r"(.*?)(\n\\end\{bookfit\})", re.S)
#: Code that may act outside the figure's box, or read files: such a figure stays in the book.
REACHES_OUT = re.compile(
    r"\\(?:label|ref|eqref|pageref|autoref|[cC]ref|nameref|cite\w*|citeproc|index|footnote(?:mark|text)?|margin(?:par|note)|booksidenote"
    r"|href|url|hyperlink|hypertarget|hyperref|phantomsection|global|gdef|xdef|write|immediate|openout|mark(?:both|right)?"
    r"|input|include\w*|directlua|luaexec|luadirect|the(?:page|chapter|section|figure|table)\b|value|arabic|roman"
    r"|[aA]lph|stepcounter|addtocounter|setcounter|refstepcounter|newcounter|AtBegin\w+|AtEnd\w+|shipout|special"
    r"|pdfvariable|pdfextension|tikzexternal\w*|pgfmathsetseed|bookexternal)(?![A-Za-z@])"
    r"|remember picture|overlay")
#: A definition in a chapter's own LaTeX (outside its figures) that a later figure may use: the
#: chapter's figures then stay in the book. Pandoc's local list and table settings are not such.
DEFINES = re.compile(
    r"\\(?:tikzset|tikzstyle|pgfplotsset|pgfkeys|usetikzlibrary|usepgfplotslibrary|definecolor|colorlet"
    r"|(?:re|provide)?newcommand|DeclareRobustCommand|(?:New|Renew|Provide|Declare)DocumentCommand"
    r"|[egx]?def(?!\\label(?:enum|item)|\\LTcaptype)|let|newlength|setlength|addtolength|makeatletter|newif"
    r"|newsavebox|newenvironment|renewenvironment)(?![A-Za-z@])")
DOCUMENT_LINE = re.compile(r"^\\begin\{document\}", re.M)


@dataclass(frozen=True)
class Placed:
    """A compiled figure: its page in a batch PDF and the box LaTeX made of it (in sp)."""

    batch: str
    page: int
    width: int
    height: int
    depth: int


def externalizable(code: str) -> bool:
    """A TikZ picture that draws only inside its box (see :data:`REACHES_OUT`)."""
    return "\\begin{tikzpicture}" in code and not REACHES_OUT.search(code)


def figure_codes(body: str) -> list[str]:
    """The code of every TikZ figure in a chapter's LaTeX that can be typeset on its own (none when
    the chapter's own LaTeX defines something a figure may use)."""
    if DEFINES.search(FLOAT_FIGURE.sub(lambda m: m.group(1) + m.group(3), body)):
        return []
    return [m.group(2) for m in FLOAT_FIGURE.finditer(body) if externalizable(m.group(2))]


def figure_preamble(document: str) -> str:
    """The book's preamble (``book.tex`` up to ``\\begin{document}``), without its PDF /ID file."""
    match = DOCUMENT_LINE.search(document)
    head = document[:match.start()] if match else document
    return "\n".join(row for row in head.splitlines() if not row.startswith("\\input{pdf-id.tex}")) + "\n"


def figure_key(preamble: str, code: str, engine_identity: str) -> str:
    return digest(VERSION, engine_identity, preamble, code)


def batch_document(preamble: str, codes: list[str]) -> str:
    """One page per figure, each exactly the size of the box the book makes of it; ``dims.txt`` gets the boxes."""
    rows = [preamble, "\\makeatletter", "\\newsavebox\\bookexternalbox", "\\newwrite\\bookexternaldims",
            # No /ID, dates or banner: the same figures make the same bytes (the book's /ID hashes them).
            "\\pdfvariable suppressoptionalinfo 1023",
            "\\begin{document}", "\\immediate\\openout\\bookexternaldims=dims.txt",
            "\\hoffset=0pt\\voffset=0pt\\pdfvariable horigin=0pt\\pdfvariable vorigin=0pt"]
    for code in codes:
        # As in the book: a figure float's context (\@floatboxreset, \centering), then bookfit's lrbox.
        rows += ["\\begingroup\\def\\@captype{figure}\\@floatboxreset\\centering",
                 "\\begin{lrbox}{\\bookexternalbox}", code, "\\end{lrbox}%",
                 "\\immediate\\write\\bookexternaldims{\\number\\wd\\bookexternalbox\\space"
                 "\\number\\ht\\bookexternalbox\\space\\number\\dp\\bookexternalbox}%",
                 "\\pagewidth=\\wd\\bookexternalbox\\pageheight=\\dimexpr\\ht\\bookexternalbox+\\dp\\bookexternalbox\\relax",
                 "\\shipout\\box\\bookexternalbox\\endgroup"]
    rows += ["\\immediate\\closeout\\bookexternaldims", "\\end{document}", ""]
    return "\n".join(rows)


def compile_batch(preamble: str, codes: list[str], timeout: float) -> tuple[bytes, list[tuple[int, int, int]]] | None:
    """(the PDF, each figure's box) of one batch, or None when LaTeX fails, times out or the pages do not add up."""
    with tempfile.TemporaryDirectory(prefix="bookbuild-tikzpdf-") as tmp:
        work = Path(tmp)
        (work / "figures.tex").write_text(batch_document(preamble, codes), encoding="utf-8")
        try:
            status = run_program([ENGINE, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                                  "figures.tex"], work, timeout, "figures.stdout")
        except TexTimeout:
            return None
        pdf, dims = work / "figures.pdf", work / "dims.txt"
        if status != 0 or not pdf.is_file() or not dims.is_file():
            return None
        boxes = []
        for row in dims.read_text(encoding="ascii", errors="replace").splitlines():
            parts = row.split()
            if len(parts) != 3 or not all(re.fullmatch(r"-?\d+", p) for p in parts):
                return None
            boxes.append((int(parts[0]), int(parts[1]), int(parts[2])))
        pages = re.search(r"Output written on .*?\((\d+) pages?", (work / "figures.log").read_text(errors="replace"))
        if len(boxes) != len(codes) or not pages or int(pages.group(1)) != len(codes):
            return None
        return pdf.read_bytes(), boxes


def place_figures(preamble: str, codes: list[str], cache: Cache, folder: Path, *, workers: int, timeout: float,
                  say: Callable[[str], None] = lambda message: None) -> dict[str, tuple[Path, Placed]]:
    """Code -> (batch PDF in ``folder``, its place) for every figure that compiled: cached ones first,
    the others typeset in up to ``workers`` batches in parallel (each batch within ``timeout``)."""
    identity = engine_identity()
    placed: dict[str, Placed] = {}
    missing = []
    for code in dict.fromkeys(codes):
        known = _record(cache, figure_key(preamble, code, identity))
        if known is None:
            missing.append(code)
        else:
            placed[code] = known
    if missing:
        count = max(1, min(workers, len(missing)))
        batches = [missing[n::count] for n in range(count)]
        say(f"typesetting {len(missing)} TikZ figure(s) on their own pages…")
        results = parallel(count, [lambda b=b: compile_batch(preamble, b, timeout) for b in batches])
        for batch, result in zip(batches, results):
            if result is None:
                # These stay inline: LaTeX typesets them in the book and reports an error there.
                say(f"{len(batch)} TikZ figure(s) did not typeset on their own pages: LaTeX typesets them in the book")
                continue
            data, boxes = result
            name = digest(VERSION, identity, preamble, *batch)[:32]
            cache.put(BATCH_STAGE, name, data)
            write_atomic(folder / f"{name}.pdf", data)
            for page, (code, (width, height, depth)) in enumerate(zip(batch, boxes), start=1):
                placed[code] = Placed(name, page, width, height, depth)
                cache.put(STAGE, figure_key(preamble, code, identity), json.dumps(dataclasses.asdict(placed[code])).encode())
    found: dict[str, tuple[Path, Placed]] = {}
    for code, where in placed.items():
        path = folder / f"{where.batch}.pdf"
        if not path.is_file():
            data = cache.get(BATCH_STAGE, where.batch)
            if data is None:
                continue  # the batch is gone from the cache: inline this time
            write_atomic(path, data)
        found[code] = (path, where)
    used = {path for path, _ in found.values()}
    for old in folder.glob("*.pdf"):  # batches of figures the book no longer has
        if old not in used:
            old.unlink(missing_ok=True)
    return found


def _record(cache: Cache, key: str) -> Placed | None:
    """A figure's cached place, or None (none, or not one this version wrote)."""
    record = cache.get(STAGE, key)
    if record is None:
        return None
    try:
        fields = json.loads(record)
        return Placed(str(fields["batch"]), *(int(fields[k]) for k in ("page", "width", "height", "depth")))
    except (ValueError, TypeError, KeyError):
        cache.discard(STAGE, key, counted_hit=True)
        return None


def with_placed(body: str, found: dict[str, tuple[Path, Placed]]) -> str:
    """The chapter's LaTeX with each compiled figure's code replaced by its page."""
    def put(match: re.Match[str]) -> str:
        hit = found.get(match.group(2))
        if hit is None:
            return match.group(0)
        path, where = hit
        return (f"{match.group(1)}\\bookexternal{{{where.width}}}{{{where.height}}}{{{where.depth}}}"
                f"{{{where.page}}}{{{path.as_posix()}}}{match.group(3)}")
    return FLOAT_FIGURE.sub(put, body)


def place_in_chapters(document: str, files: list[str], workdir: Path, cache: Cache, *, workers: int,
                      timeout: float, say: Callable[[str], None]) -> None:
    """Put each TikZ figure float of the chapters' LaTeX ``files`` (in ``workdir``) in as its page typeset
    once, with the preamble of ``document``."""
    bodies = {name: (workdir / name).read_text(encoding="utf-8") for name in files}
    codes = [code for body in bodies.values() for code in figure_codes(body)]
    if not codes:
        return
    found = place_figures(figure_preamble(document), codes, cache, workdir / "tikz", workers=workers,
                          timeout=timeout, say=say)
    for name, body in bodies.items():
        placed = with_placed(body, found)
        if placed != body:
            write_atomic(workdir / name, placed)
