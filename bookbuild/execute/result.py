"""What execution produces: values, figures and diagnostics for one chapter."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Diagnostic
from ..qmd import Chapter


#: Every figure is saved in each format a renderer needs, so one execution
#: feeds HTML (SVG) and PDF alike.
FIGURE_FORMATS: tuple[str, ...] = ("svg", "pdf")


@dataclass(frozen=True)
class ConstantUse:
    """A sourced constant a cell used (reported by the library's provenance protocol)."""

    name: str
    value: str
    unit: str
    source: str


@dataclass(frozen=True)
class LiteralUse:
    """A number typed in a chapter's cell that a value rests on (an unsourced assumption)."""

    cell: str  # the cell's label, or "#N" (its number in the chapter) when it has none
    line: int  # the chapter's line (chapter.locate maps it into an included file)
    text: str  # as typed: ``"100-500"``, ``3600``


@dataclass(frozen=True)
class Lineage:
    """What one inline value's text is computed from, followed value by value (execute/lineage.py).

    ``approximate`` says the analysis could not follow every step exactly (``reasons`` say
    which); otherwise the lists are exact: no constant is missing, none is extra.
    """

    constants: tuple[ConstantUse, ...] = ()
    formulas: tuple[str, ...] = ()  # library functions on the way, as module.name
    literals: tuple[LiteralUse, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def approximate(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class InlineValue:
    """The text an inline expression evaluated to; ``text`` is None when it failed.

    ``markdown`` is True when the value came from an object that displays as
    Markdown (``_repr_markdown_``), so the renderer parses it instead of escaping it.
    """

    index: int
    text: str | None
    markdown: bool = False
    cells: tuple[int, ...] = ()  # the cells that last defined the names the expression reads
    lineage: Lineage | None = None  # None: not traced (the Jupyter engine)


@dataclass(frozen=True)
class Figure:
    """An image a cell showed (a matplotlib figure or a displayed image), in each format it has.

    ``width`` is the width to show it at in CSS pixels when that is not its own
    (a ``retina`` PNG has twice the pixels it is shown with).
    """

    cell_index: int
    number: int
    svg: str | None = None
    pdf: bytes | None = None
    png: bytes | None = None
    jpeg: bytes | None = None
    width: int | None = None

    @property
    def mimes(self) -> tuple[str, ...]:
        """The image types it has, as Jupyter names them."""
        return tuple(mime for mime, data in ((SVG, self.svg), (PDF, self.pdf), (PNG, self.png), (JPEG, self.jpeg))
                     if data is not None)


SVG, PDF, PNG, JPEG = "image/svg+xml", "application/pdf", "image/png", "image/jpeg"
STREAM, DISPLAY, RESULT, ERROR = "stream", "display_data", "execute_result", "error"


@dataclass(frozen=True)
class CellOutput:
    """One output of a cell, in the order it happened, as Jupyter records them.

    ``kind`` is ``stream`` (``name`` stdout or stderr, the text under ``text/plain``),
    ``display_data`` (a ``display()`` or a figure shown), ``execute_result`` (the
    value of the cell's last expression) or ``error`` (``name`` the exception's type,
    the traceback under ``text/plain``). ``data`` maps mime types to the text
    representations; an image's bytes live in the cell's ``figures``, and ``figure``
    is the number of the one this output shows (0: none).
    """

    kind: str
    name: str = ""
    data: dict[str, str] = field(default_factory=dict)
    figure: int = 0

    @property
    def text(self) -> str:
        return self.data.get("text/plain", "")


@dataclass(frozen=True)
class CellResult:
    """How one cell ran: its outputs in order, its figures, and whether it raised.

    ``stdout`` (everything it printed) and ``markdown`` (its Markdown displays)
    are views of ``outputs`` kept for the checks that read them.
    """

    index: int
    ok: bool
    ran: bool = True
    stdout: str = ""
    markdown: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    seconds: float = 0.0
    depends_on: tuple[int, ...] = ()  # earlier cells whose names this cell read
    constants: tuple[ConstantUse, ...] = ()  # sourced constants this cell used directly
    outputs: tuple[CellOutput, ...] = ()


@dataclass(frozen=True)
class ExecutionResult:
    """What a worker sends back for a chapter (the parsed chapter stays with the caller)."""

    values: tuple[InlineValue, ...]
    cells: tuple[CellResult, ...]
    diagnostics: tuple[Diagnostic, ...]
    seconds: float
    opened: tuple[str, ...] = ()  # files the cells opened or imported (absolute paths), for cache validation


@dataclass(frozen=True)
class ExecutedChapter:
    """A chapter after execution: the input of every renderer and of the book checks."""

    chapter: Chapter
    values: tuple[InlineValue, ...]
    cells: tuple[CellResult, ...]
    diagnostics: tuple[Diagnostic, ...]
    seconds: float
    engine: str
    reused: bool = field(default=False)
    opened: tuple[str, ...] = ()
    content: str = ""  # reused: the digest of the cache entry it was read from (what it is made of)
    dependencies: tuple[str, ...] = ()  # the local modules its execution key covers (absolute paths)

    def value_of(self, inline_index: int) -> InlineValue | None:
        for value in self.values:
            if value.index == inline_index:
                return value
        return None


def cell_result(index: int, outputs: tuple[CellOutput, ...], figures: tuple[Figure, ...], *, ok: bool,
                seconds: float = 0.0) -> CellResult:
    """A ran cell's result from its outputs (``stdout`` and ``markdown`` derived from them)."""
    stdout = "".join(o.text for o in outputs if o.kind == STREAM and o.name == "stdout")
    markdown = tuple(o.data["text/markdown"] for o in outputs if o.kind in (DISPLAY, RESULT) and "text/markdown" in o.data)
    return CellResult(index, ok=ok, stdout=stdout, markdown=markdown, figures=figures, seconds=seconds,
                      outputs=outputs)
