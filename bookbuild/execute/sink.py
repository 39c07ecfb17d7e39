"""Where a running cell's outputs go, in order, as a Jupyter kernel would record them.

Printed text becomes stream outputs (consecutive writes to one stream merge, as
notebook front ends show them), ``display()`` and the last expression become
display data with their mime bundles, figures are saved when shown. Text is
kept within the cell's :class:`OutputBudget`.
"""

from __future__ import annotations

import io
import traceback
from typing import Any

from .capture import OutputBudget
from .figures import FigureSpec, has_drawing, is_figure, open_figures, close_all, save
from .mime import BINARY, PLAIN, FormatError, binary, json_text, mime_bundle
from .result import DISPLAY, ERROR, JPEG, PDF, PNG, STREAM, SVG, CellOutput, Figure

IMAGES = {SVG: "svg", PNG: "png", JPEG: "jpeg", PDF: "pdf"}


class OutputSink:
    """Collects one cell's outputs and figures."""

    def __init__(self, cell_index: int, budget: OutputBudget, spec: FigureSpec, source_file: str = "",
                 shown_file: str = "") -> None:
        self.cell_index = cell_index
        self.source_file = source_file  # tracebacks start at the chapter's frames, named shown_file
        self.shown_file = shown_file
        self.budget = budget
        self.spec = spec
        self.outputs: list[CellOutput] = []
        self.figures: list[Figure] = []
        self.raised: list[BaseException] = []  # the exceptions shown as error outputs, in order

    # ------------------------------------------------------------------ streams

    def write(self, name: str, text: str) -> None:
        kept = self.budget.take(text)
        if not kept:
            return
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.kind == STREAM and last.name == name:
            self.outputs[-1] = CellOutput(STREAM, name, {PLAIN: last.text + kept})
        else:
            self.outputs.append(CellOutput(STREAM, name, {PLAIN: kept}))

    def stream(self, name: str) -> "SinkStream":
        return SinkStream(self, name)

    # ------------------------------------------------------------------ displays

    def display(self, *objs: Any, include: Any = None, exclude: Any = None, raw: bool = False,
                **_ignored: Any) -> None:
        """``display()`` as IPython's: one output per object (``raw``: each object is a mime bundle)."""
        for obj in objs:
            if raw and isinstance(obj, dict):
                self.show(dict(obj), DISPLAY)
            else:
                self.show_object(obj, DISPLAY, include=include, exclude=exclude)

    def show_object(self, obj: Any, kind: str, include: Any = None, exclude: Any = None) -> None:
        """Display a value (``kind``: display_data, or execute_result for the last expression)."""
        if is_figure(obj):
            self.show_figure(obj, kind)
            return
        errors: list[FormatError] = []
        data = mime_bundle(obj, include=include, exclude=exclude, errors=errors)
        for problem in errors:
            self.error(problem.cause)
        if data:
            self.show(data, kind)

    def show(self, data: dict[str, Any], kind: str) -> None:
        """One display output from a mime bundle; its images become one of the cell's figures."""
        images = {IMAGES[mime]: binary(value) if mime in BINARY else value
                  for mime, value in data.items() if mime in IMAGES}
        figure = self._add_figure(images) if images else 0
        # JSON data (application/json, a widget's or a plot library's own types) as text, as the kernel's is read.
        text = {mime: value if isinstance(value, str) else json_text(value) for mime, value in data.items()
                if mime not in IMAGES and isinstance(value, (str, dict, list))}
        main = text.get("text/markdown", text.get("text/html", text.get(PLAIN, "")))
        kept = self.budget.take(main)
        if len(kept) < len(main):  # past the cap: what is left of its text, nothing richer
            text = {PLAIN: kept} if kept else {}
            if not text and not figure:
                return
        self.outputs.append(CellOutput(kind, "", text, figure))

    def show_figure(self, fig: Any, kind: str = DISPLAY) -> None:
        """A matplotlib figure, saved in the cell's formats (only its text when nothing is drawn)."""
        text = {PLAIN: repr(fig)}
        figure = self._add_figure(save(fig, self.spec.formats)) if has_drawing(fig) else 0
        self.outputs.append(CellOutput(kind, "", text, figure))

    def show_open_figures(self) -> None:
        """What ``plt.show()`` and the end of a cell do: show every open figure, then close them."""
        for fig in open_figures():
            self.show_figure(fig)
        close_all()

    def _add_figure(self, saved: dict[str, Any]) -> int:
        number = len(self.figures) + 1
        self.figures.append(Figure(self.cell_index, number, svg=saved.get("svg"), pdf=saved.get("pdf"),
                                   png=saved.get("png"), jpeg=saved.get("jpeg"), width=saved.get("width")))
        return number

    # ------------------------------------------------------------------ errors

    def error(self, exc: BaseException) -> None:
        """The exception's traceback as an error output, from the chapter's first frame on."""
        self.raised.append(exc)
        frames = traceback.extract_tb(exc.__traceback__)
        source_file, shown_file = self.source_file, self.shown_file
        while frames and frames[0].filename != source_file:
            frames = frames[1:]  # the engine's own frames before the chapter's
        rows = [f"{shown_file if f.filename == source_file else f.filename}:{f.lineno} in {f.name}\n"
                + (f"    {f.line.strip()}\n" if f.line else "") for f in frames]
        text = "".join(["Traceback (most recent call last):\n", *rows,
                        *traceback.format_exception_only(type(exc), exc)]) if rows else \
            "".join(traceback.format_exception_only(type(exc), exc))
        self.outputs.append(CellOutput(ERROR, type(exc).__name__, {PLAIN: text.rstrip("\n")}))


class SinkStream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` while a cell runs."""

    def __init__(self, sink: OutputSink, name: str) -> None:
        self.sink = sink
        self.name_ = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.sink.write(self.name_, text)
        return len(text)
