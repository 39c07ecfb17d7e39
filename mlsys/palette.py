"""The book's colour palette, loaded from ``mlsys/palette.yml``."""

from __future__ import annotations

import functools
import importlib.resources
import re
from types import MappingProxyType
from typing import Mapping

__all__ = ["PaletteError", "load_palette", "palette_text"]

_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


class PaletteError(ValueError):
    """palette.yml is malformed."""


def palette_text() -> str:
    """The raw text of ``palette.yml``."""
    return (importlib.resources.files("mlsys") / "palette.yml").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def load_palette() -> Mapping[str, str]:
    """Colour name -> ``#RRGGBB``, validated, in file order (read-only)."""
    import yaml  # local: only the palette needs YAML

    data = yaml.safe_load(palette_text())
    if not isinstance(data, dict) or not data:
        raise PaletteError("palette.yml must be a non-empty mapping of name -> hex colour")
    for name, value in data.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise PaletteError(f"palette.yml: bad colour name {name!r} (letters and digits only)")
        if not isinstance(value, str) or not _HEX.match(value):
            raise PaletteError(f"palette.yml: colour {name!r} must be '#RRGGBB', got {value!r}")
    return MappingProxyType(dict(data))
