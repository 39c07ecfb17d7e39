"""Matplotlib figures in the book's style and palette.

Matplotlib is imported only when :func:`setup_plot` is called.  If no backend
has been chosen (no ``MPLBACKEND``, no earlier ``matplotlib.use``), the
non-interactive Agg backend is selected so figures render headless.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from mlsys.palette import load_palette

__all__ = ["setup_plot", "colors"]


def colors() -> dict[str, str]:
    """A fresh copy of the palette (name -> hex)."""
    return dict(load_palette())


def _ensure_backend() -> None:
    import matplotlib

    if "matplotlib.pyplot" in sys.modules or os.environ.get("MPLBACKEND"):
        return
    get_backend_or_none = getattr(matplotlib.rcParams, "_get_backend_or_none", None)
    if get_backend_or_none is not None and get_backend_or_none() is None:
        matplotlib.use("Agg")


def setup_plot(figsize: tuple[float, float] = (8.0, 4.5)) -> tuple[Any, Any, dict[str, str], Any]:
    """Create a styled figure with one axes.

    Args:
        figsize: (width, height) in inches.

    Returns:
        ``(fig, ax, COLORS, plt)``: the Figure, its Axes, the palette
        (name -> hex), and the ``matplotlib.pyplot`` module.
    """
    _ensure_backend()
    import matplotlib.pyplot as plt

    palette = colors()
    fig, ax = plt.subplots(figsize=figsize)
    text = palette["InkColor"]
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(text)
    ax.tick_params(colors=text, labelsize=9)
    ax.xaxis.label.set_color(text)
    ax.yaxis.label.set_color(text)
    ax.title.set_color(text)
    ax.grid(True, alpha=0.3)
    ax.set_axisbelow(True)
    return fig, ax, palette, plt
