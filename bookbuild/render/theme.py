"""The book's look, from one place: palette, callout styles, CSS/JS assets, LaTeX preamble.

The palette is the book's (``Book.palette``: the file ``bookbuild: palette:``
names, over the engine's default, see :mod:`bookbuild.palette`); callout kinds
(label, colour, icon) are ``Book.callouts``: ``theme/callouts.yml`` with the
book's configuration over it (see :mod:`bookbuild.callouts`). HTML and LaTeX
both read them from the Book, so a colour changes everywhere at once.
"""

from __future__ import annotations

from pathlib import Path

from ..callouts import CalloutStyle

THEME_DIR = Path(__file__).resolve().parent.parent / "theme"
HTML_ASSETS = ("book.css", "book.js")


def asset_files() -> list[Path]:
    """The theme files every HTML page loads."""
    return [THEME_DIR / name for name in HTML_ASSETS]


def icon_svg_in_color(style: CalloutStyle) -> str:
    """The style's icon with its ``currentColor`` made the callout's colour, as a file needs it."""
    return style.icon_svg.replace("currentColor", style.color)
