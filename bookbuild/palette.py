"""The book's colour palette: one file shared by TikZ, the HTML theme and the LaTeX preamble.

A book names its palette in ``_quarto.yml`` (``bookbuild: palette: path.yml``,
relative to the project); its colours are laid over the engine's default
palette (``bookbuild/theme/palette.yml``), so every colour the theme itself
uses (callouts, the brand ``primary``) exists whatever the book defines. A book
that names none gets the default. The book's own library may read the same
file for its matplotlib figures (this repository's ``mlsys.viz`` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from .diagnostics import ConfigError, error

DEFAULT_PALETTE = Path(__file__).resolve().parent / "theme" / "palette.yml"

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")  # usable as a LaTeX colour name
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class Palette:
    """Colour name -> ``#RRGGBB``, in file order (the engine's defaults first), and where it came from."""

    colours: tuple[tuple[str, str], ...]
    source: Path = DEFAULT_PALETTE

    def as_dict(self) -> dict[str, str]:
        return dict(self.colours)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.as_dict().get(name, default)


def parse_palette(text: str, shown: str) -> tuple[tuple[str, str], ...]:
    """The colours of a palette file's text. Raises ConfigError at the offending line of ``shown``."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(error("palette", shown, line, f"the palette is not valid YAML: {exc}")) from exc
    if not isinstance(node, yaml.MappingNode) or not node.value:
        raise ConfigError(error("palette", shown, 1, "a palette must be a mapping of colour names to '#RRGGBB'",
                                hint="write one line per colour, e.g. primary: \"#A51C30\""))
    colours: dict[str, str] = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(error("palette", shown, line, f"colour name {name!r} is not usable in LaTeX",
                                    hint="use letters and digits only, starting with a letter"))
        hex_value = value.value if isinstance(value, yaml.ScalarNode) else None
        if not isinstance(hex_value, str) or not _HEX.match(hex_value):
            raise ConfigError(error("palette", shown, line, f"colour '{name}' must be '#RRGGBB', got {hex_value!r}",
                                    hint="quote the value: a bare # starts a YAML comment"))
        colours[name] = hex_value.upper()
    return tuple(colours.items())


def default_palette() -> Palette:
    """The engine's own palette (a book that names none gets it)."""
    return Palette(parse_palette(DEFAULT_PALETTE.read_text(encoding="utf-8"), str(DEFAULT_PALETTE)))


def load_palette(root: Path, setting: str | None, config_shown: str, line: int,
                 display: Callable[[Path], str] = str) -> Palette:
    """The book's palette: the file ``setting`` names (relative to ``root``) over the default.

    ``config_shown``/``line`` are where the setting stands, for a file that does not exist;
    ``display`` names the palette file in diagnostics about its content.
    """
    default = default_palette().colours
    if setting is None:
        return Palette(default)
    path = (root / setting).resolve()
    if not path.is_file():
        raise ConfigError(error("palette-missing", config_shown, line, f"palette '{setting}' does not exist",
                                hint="the path under 'bookbuild: palette:' is relative to the project folder"))
    own = parse_palette(path.read_text(encoding="utf-8"), display(path))
    return Palette(tuple({**dict(default), **dict(own)}.items()), path)
