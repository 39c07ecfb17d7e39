"""Matplotlib figures in the in-process engine, shown when Jupyter's inline backend shows them.

``plt.show()`` shows every open figure and closes them; figures still open when
the cell ends are shown then (after its error, if it raised), as the inline
backend's end-of-cell hook does. A figure with nothing drawn shows only its text.
The cell's ``fig-width``, ``fig-height`` and ``fig-dpi`` set matplotlib's defaults
while it runs; ``fig-format`` chooses the files saved (``FigureSpec``).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import io
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..qmd import Cell

PYPLOT = "matplotlib.pyplot"
#: fig-format -> what is saved; None: the formats the build asked for (SVG for HTML, PDF for LaTeX).
FORMATS: dict[str, tuple[str, ...] | None] = {"svg": None, "pdf": None, "png": ("png",), "retina": ("retina",),
                                               "jpeg": ("jpeg",)}


@dataclass(frozen=True)
class FigureSpec:
    """How a cell's figures are drawn and saved: the files' formats and matplotlib's size and resolution."""

    formats: tuple[str, ...]
    width: float | None = None  # inches
    height: float | None = None
    dpi: float | None = None

    @property
    def rc(self) -> dict[str, Any]:
        """The matplotlib settings the cell's options change (empty: none)."""
        rc: dict[str, Any] = {}
        if self.width is not None or self.height is not None:
            rc["figure.figsize"] = (self.width, self.height)  # a missing one is filled from the default
        if self.dpi is not None:
            rc["figure.dpi"] = self.dpi
        return rc


def figure_spec(cell: Cell, default_formats: tuple[str, ...]) -> FigureSpec:
    """The cell's figure options (``fig-format``, ``fig-width``, ``fig-height``, ``fig-dpi``)."""
    chosen = FORMATS.get(str(cell.option("fig-format", "")).lower())
    return FigureSpec(formats=chosen or default_formats, width=_number(cell.option("fig-width")),
                      height=_number(cell.option("fig-height")), dpi=_number(cell.option("fig-dpi")))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


@contextlib.contextmanager
def figure_settings(spec: FigureSpec) -> Iterator[None]:
    """Matplotlib's defaults as the cell's options set them, restored after the cell."""
    rc = spec.rc
    if not rc:
        yield
        return
    import matplotlib

    saved = {key: matplotlib.rcParams[key] for key in rc}
    if "figure.figsize" in rc:
        width, height = rc["figure.figsize"]
        default_w, default_h = saved["figure.figsize"]
        rc["figure.figsize"] = (width or default_w, height or default_h)
    matplotlib.rcParams.update(rc)
    try:
        yield
    finally:
        matplotlib.rcParams.update(saved)


def open_figures() -> list[Any]:
    """The open figures in the order the inline backend shows them (pyplot's managers)."""
    if PYPLOT not in sys.modules:
        return []
    from matplotlib._pylab_helpers import Gcf

    return [manager.canvas.figure for manager in Gcf.get_all_fig_managers()]


def close_all() -> None:
    pyplot = sys.modules.get(PYPLOT)
    if pyplot is not None and pyplot.get_fignums():
        pyplot.close("all")


def is_figure(obj: Any) -> bool:
    """Whether ``obj`` is a matplotlib Figure (without importing matplotlib)."""
    figure_module = sys.modules.get("matplotlib.figure")
    return figure_module is not None and isinstance(obj, figure_module.Figure)


def has_drawing(fig: Any) -> bool:
    """The inline backend shows only the text of a figure with no axes and no lines."""
    return bool(fig.axes or fig.lines)


def save(fig: Any, formats: tuple[str, ...]) -> dict[str, Any]:
    """The figure in each format: ``svg`` (text), ``pdf``, ``png``, ``jpeg`` (bytes); ``retina`` is a
    PNG at twice the figure's resolution, with ``width`` the width to show it at."""
    saved: dict[str, Any] = {}
    matplotlib = sys.modules["matplotlib"]
    for name in formats:
        if name == "svg":
            buffer = io.StringIO()
            # A fixed salt keeps element ids, and so the page, identical across builds.
            with matplotlib.rc_context({"svg.hashsalt": "bookbuild"}):
                fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
            saved["svg"] = buffer.getvalue()
        elif name == "pdf":
            saved["pdf"] = _binary(fig, "pdf", metadata={"CreationDate": None})
        elif name in ("png", "retina", "jpeg"):
            scale = 2 if name == "retina" else 1
            data = _binary(fig, "jpeg" if name == "jpeg" else "png", dpi=fig.dpi * scale)
            saved["jpeg" if name == "jpeg" else "png"] = data
            if name == "retina":
                saved["width"] = png_width(data) // 2
    return saved


def _binary(fig: Any, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight", facecolor=fig.get_facecolor(),
                edgecolor=fig.get_edgecolor(), **options)
    return buffer.getvalue()


def png_width(data: bytes) -> int:
    """A PNG's width in pixels, from its header."""
    return int.from_bytes(data[16:20], "big") if data[:8] == b"\x89PNG\r\n\x1a\n" else 0


# --------------------------------------------------------------------------- plt.show()

_show: Callable[[], None] | None = None


def install_show(show: Callable[[], None]) -> None:
    """Make ``plt.show()`` call ``show``: now if pyplot is loaded, else when it is imported."""
    global _show
    _show = show
    module = sys.modules.get(PYPLOT)
    if module is not None:
        module.show = _forward_show
    elif not any(isinstance(finder, _PyplotFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PyplotFinder())


def _forward_show(*args: Any, **kwargs: Any) -> None:
    if _show is not None:
        _show()


class _PyplotFinder(importlib.abc.MetaPathFinder):
    """Points ``pyplot.show`` at the engine right after pyplot is first executed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != PYPLOT:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            module.show = _forward_show

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
