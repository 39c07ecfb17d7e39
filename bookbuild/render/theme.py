"""The book's look, from one place: palette, callout styles, CSS/JS assets, LaTeX preamble.

The palette is the book's (``Book.palette``: the file ``bookbuild: palette:``
names, over the engine's default, see :mod:`bookbuild.palette`); callout kinds
(label, palette colour, icon) are ``theme/callouts.yml``. HTML and LaTeX both
read them through this module, so a colour changes everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..palette import Palette

THEME_DIR = Path(__file__).resolve().parent.parent / "theme"
HTML_ASSETS = ("book.css", "book.js")


@dataclass(frozen=True)
class CalloutStyle:
    """How one kind of callout looks: its label, colour (name and hex) and icon."""

    label: str
    color_name: str
    color: str
    icon_svg: str

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "color": self.color, "latex_color": self.color_name, "icon_svg": self.icon_svg}


@lru_cache(maxsize=4)
def callout_styles(palette: Palette) -> tuple[dict[str, CalloutStyle], CalloutStyle]:
    """(kind -> style, default style) from ``theme/callouts.yml``, coloured from ``palette``."""
    config = yaml.safe_load((THEME_DIR / "callouts.yml").read_text(encoding="utf-8")) or {}
    kinds_cfg = config.get("kinds", {k: v for k, v in config.items() if k != "default"})
    colours = palette.as_dict()

    def style(kind: str, entry: dict[str, Any]) -> CalloutStyle:
        name = str(entry.get("color", "primary"))
        icon_file = THEME_DIR / "icons" / str(entry.get("icon", f"{kind}.svg"))
        icon = icon_file.read_text(encoding="utf-8").strip() if icon_file.is_file() else ""
        if icon.startswith("<?xml"):
            icon = icon.split("?>", 1)[1].strip()
        return CalloutStyle(str(entry.get("label", kind.replace("-", " ").title())), name, colours.get(name, name), icon)

    kinds = {str(kind): style(str(kind), entry or {}) for kind, entry in kinds_cfg.items()}
    default = style("default", config.get("default") or {"label": "Note"})
    return kinds, default


def callouts_json(palette: Palette) -> dict[str, Any]:
    """The callout styles as the Lua filters read them."""
    kinds, default = callout_styles(palette)
    return {"kinds": {kind: s.to_json() for kind, s in kinds.items()}, "default": default.to_json()}


def asset_files() -> list[Path]:
    """The theme files every HTML page loads."""
    return [THEME_DIR / name for name in HTML_ASSETS]


def icon_svg_in_color(style: CalloutStyle) -> str:
    """The style's icon with its ``currentColor`` made the callout's colour, as a file needs it."""
    return style.icon_svg.replace("currentColor", style.color)
