"""The book's callout kinds: the engine's defaults with the book's own configuration laid over them.

``bookbuild/theme/callouts.yml`` is the default. A book overrides it per kind,
key by key, in two shapes (the later wins):

* the ``custom-numbered-blocks`` extension's, as Quarto books configure it
  (``filter-metadata: custom-numbered-blocks:`` or any ``…/custom-numbered-blocks``
  key under it, or a top-level ``custom-numbered-blocks:``)::

      groups:  {NAME: {colors: [BACKGROUND, FRAME], collapse: true, numbered: false, boxstyle: foldbox.simple}}
      classes: {callout-KIND: {label: "…", group: NAME, collapse: …}}

* the engine's own, in the format of ``callouts.yml``::

      bookbuild: {callouts: {kinds: {KIND: {label: …, color: …, icon: …, collapse: …, numbered: …}}}}

Colours are palette names, ``#RRGGBB`` or ``RRGGBB``. Everything is read from
the merged configuration's YAML nodes, so a value of the wrong type is a
:class:`ConfigError` at its line.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from .config import NULL_TAG, child, construct, describe, located, where
from .diagnostics import ConfigError, Diagnostic, error, warning
from .palette import Palette, default_palette
from .qmd import Chapter

THEME_DIR = Path(__file__).resolve().parent / "theme"
DEFAULTS_FILE = THEME_DIR / "callouts.yml"
#: Quarto's own callout kinds: always known, whatever the configuration says.
QUARTO_KINDS = ("note", "tip", "warning", "important", "caution")
EXTENSION = "custom-numbered-blocks"
#: Keys a kind may set (the engine's shape); the extension's are mapped onto them.
KIND_KEYS = ("label", "color", "icon", "collapse", "numbered", "appearance")
_HEX = re.compile(r"^#?([0-9A-Fa-f]{6})$")
_CALLOUT_CLASS = re.compile(r"(?<![\w-])\.callout-(?P<kind>[A-Za-z0-9_-]+)")
_FENCE = re.compile(r"^[ \t]*:{3,}[ \t]*\{(?P<attrs>[^}]*)\}")


@dataclass(frozen=True)
class CalloutStyle:
    """How one kind of callout looks: its label, colour (LaTeX name and hex), icon, and behaviour."""

    label: str
    color_name: str  # a LaTeX colour name: a palette colour, or one the callout defines from ``color``
    color: str  # #RRGGBB
    icon_svg: str
    collapse: bool | None = None  # None: not a disclosure unless the callout says so
    numbered: bool = True
    appearance: str | None = None  # Quarto's "simple" / "minimal"
    define_color: bool = False  # the colour is the book's hex, not a palette name: LaTeX defines it

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label, "color": self.color, "latex_color": self.color_name,
                                "icon_svg": self.icon_svg, "numbered": self.numbered}
        if self.collapse is not None:
            data["collapse"] = "true" if self.collapse else "false"
        if self.appearance:
            data["appearance"] = self.appearance
        if self.define_color:
            data["latex_define"] = self.color.lstrip("#")
        return data


@dataclass(frozen=True)
class Callouts:
    """Every configured kind's style (without the ``callout-`` prefix) and the style of any other kind."""

    kinds: tuple[tuple[str, CalloutStyle], ...]
    default: CalloutStyle
    labelled: frozenset[str] = frozenset()  # kinds (and "default") whose label the book's configuration sets

    def as_dict(self) -> dict[str, CalloutStyle]:
        return dict(self.kinds)

    def style(self, kind: str) -> CalloutStyle:
        """The kind's style, or the default one."""
        return self.as_dict().get(kind, self.default)

    def known(self, kind: str) -> bool:
        return kind in QUARTO_KINDS or kind in self.as_dict()

    def with_titles(self, titles: Mapping[str, str]) -> "Callouts":
        """Quarto's kinds titled with the book's words (``language: callout-note-title`` …, by kind), except
        those the book's callout configuration labels itself; the default style takes the note's."""
        def titled(kind: str, style: CalloutStyle) -> CalloutStyle:
            word = titles.get("note" if kind == "default" else kind)
            return dataclasses.replace(style, label=word) if word is not None and kind not in self.labelled else style
        return dataclasses.replace(self, kinds=tuple((kind, titled(kind, s)) for kind, s in self.kinds),
                                   default=titled("default", self.default))

    def to_json(self) -> dict[str, Any]:
        """The styles as the Lua filters read them (part of every chapter's filter data, so of its cache key)."""
        return {"kinds": {kind: s.to_json() for kind, s in self.kinds}, "default": self.default.to_json()}


# --------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class _Setting:
    """One key of one kind, with the node it was written at (None for the engine's defaults)."""

    value: Any
    node: yaml.Node | None = None


def load_callouts(config_node: yaml.Node | None, palette: Palette, root: Path) -> Callouts:
    """The book's callout styles: ``theme/callouts.yml`` overridden by the book's configuration.

    Raises ConfigError at the line of a value of the wrong type or a colour that is
    neither hex nor a palette name.
    """
    entries: dict[str, dict[str, _Setting]] = {}
    defaults = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8")) or {}
    for kind, entry in defaults.items():
        entries[str(kind)] = {key: _Setting(value) for key, value in (entry or {}).items()}
    for kind, settings in [*_extension_entries(config_node), *_native_entries(config_node)]:
        entries.setdefault(kind, {}).update(settings)
    labelled = frozenset(kind for kind, settings in entries.items()
                         if "label" in settings and settings["label"].node is not None)
    default = entries.pop("default", {})
    styles = {kind: _style(kind, {**_default_fallback(default), **settings}, palette, root)
              for kind, settings in entries.items()}
    return Callouts(tuple(styles.items()), _style("default", default, palette, root), labelled)


def default_callouts() -> Callouts:
    """The engine's own callout kinds, coloured from its default palette."""
    return load_callouts(None, default_palette(), THEME_DIR)


def _default_fallback(default: dict[str, _Setting]) -> dict[str, _Setting]:
    """What a configured kind takes from the default kind when it does not say: colour and icon (its
    label is its own name)."""
    return {key: value for key, value in default.items() if key in ("color", "icon")}


def _native_entries(config_node: yaml.Node | None) -> list[tuple[str, dict[str, _Setting]]]:
    """``bookbuild: callouts: kinds: {KIND: {...}}`` (and ``default:`` beside ``kinds:``)."""
    found = located(config_node, ("bookbuild", "callouts"))
    if found is None:
        return []
    node = _mapping(found, "bookbuild: callouts:", "e.g. callouts: {kinds: {recipe: {label: Recipe, color: OrangeLine}}}")
    out: list[tuple[str, dict[str, _Setting]]] = []
    kinds = child(node, "kinds")
    if kinds is not None:
        for key, value in _mapping(kinds, "bookbuild: callouts: kinds:", "one entry per kind").value:
            out.append((_kind_name(key), _kind_settings(key, value)))
    default = child(node, "default")
    if default is not None:
        out.append(("default", _kind_settings(*default)))
    return out


def _extension_entries(config_node: yaml.Node | None) -> list[tuple[str, dict[str, _Setting]]]:
    """The ``custom-numbered-blocks`` configuration's classes, each with its group's options under its own."""
    out: list[tuple[str, dict[str, _Setting]]] = []
    for found in _extension_blocks(config_node):
        node = _mapping(found, EXTENSION, "e.g. custom-numbered-blocks: {groups: {…}, classes: {callout-x: {…}}}")
        groups: dict[str, yaml.MappingNode] = {}
        group_pairs = child(node, "groups")
        if group_pairs is not None:
            for key, value in _mapping(group_pairs, f"{EXTENSION}: groups:", "one entry per group").value:
                groups[str(key.value)] = _mapping((key, value), f"group '{key.value}'",
                                                  "e.g. {colors: [F0F4F8, 1B4F72], collapse: false}")
        class_pairs = child(node, "classes")
        icons = child(node, "icon-path")
        for key, value in (_mapping(class_pairs, f"{EXTENSION}: classes:", "one entry per class").value
                           if class_pairs is not None else []):
            name = str(key.value)
            if not name.startswith("callout-"):
                continue  # a numbered block that is not a callout: not rendered by the engine (see check)
            options = value if isinstance(value, yaml.MappingNode) else None  # `Example: default` names a style
            settings: dict[str, _Setting] = {}
            group = child(options, "group") if options is not None else None
            if group is not None:
                group_node = groups.get(str(group[1].value))
                if group_node is None:
                    file, line, col = where(group[1])
                    raise ConfigError(error("config", file, line, f"class '{name}' names group '{group[1].value}', "
                                            f"which '{EXTENSION}: groups:' does not define", col=col,
                                            hint=f"define it under groups:, or remove 'group:' from {name}"))
                settings.update(_extension_options(group_node))
            if options is not None:
                settings.update(_extension_options(options))
            if icons is not None and isinstance(icons[1], yaml.ScalarNode):
                settings.setdefault("icon", _Setting(_IconInFolder(str(icons[1].value), name), icons[1]))
            out.append((name.removeprefix("callout-"), settings))
    return out


@dataclass(frozen=True)
class _IconInFolder:
    """The extension's ``icon-path``: ``icon_<class with _ for ->.svg`` in that folder, used when it exists."""

    folder: str
    name: str


def _extension_blocks(config_node: yaml.Node | None) -> Iterable[tuple[yaml.Node, yaml.Node]]:
    top = child(config_node, EXTENSION)
    if top is not None:
        yield top
    meta = child(config_node, "filter-metadata")
    if meta is not None and isinstance(meta[1], yaml.MappingNode):
        for key, value in meta[1].value:
            if isinstance(key, yaml.ScalarNode) and (key.value == EXTENSION or str(key.value).endswith("/" + EXTENSION)):
                yield key, value


def _extension_options(node: yaml.MappingNode) -> dict[str, _Setting]:
    """A group's or class's options in the engine's terms (``colors`` -> ``color``: the frame colour)."""
    settings: dict[str, _Setting] = {}
    for key, value in node.value:
        name = str(key.value)
        if name == "label":
            settings["label"] = _Setting(_text(key, value), value)
        elif name == "colors":
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            if not items or not all(isinstance(i, yaml.ScalarNode) for i in items):
                _wrong(key, value, "a list of one or two hex colours", "e.g. colors: [F0F4F8, 1B4F72]")
            settings["color"] = _Setting(str(items[-1].value), items[-1])  # the frame's: the callout's accent
        elif name in ("collapse", "numbered"):
            settings[name] = _Setting(_boolean(key, value), value)
        elif name == "boxstyle":
            if str(value.value) == "foldbox.simple":
                settings["appearance"] = _Setting("simple", value)
    return settings


def _kind_settings(key: yaml.Node, value: yaml.Node) -> dict[str, _Setting]:
    """One kind of the engine's shape: label, color, icon, collapse, numbered, appearance."""
    node = _mapping((key, value), f"callout kind '{key.value}'", "e.g. {label: Recipe, color: OrangeLine}")
    settings: dict[str, _Setting] = {}
    for k, v in node.value:
        name = str(k.value)
        if name in ("collapse", "numbered"):
            settings[name] = _Setting(_boolean(k, v), v)
        elif name in KIND_KEYS:
            settings[name] = _Setting(_text(k, v), v)
    return settings


def _style(kind: str, settings: dict[str, _Setting], palette: Palette, root: Path) -> CalloutStyle:
    label = settings.get("label", _Setting(kind.replace("-", " ").title())).value
    colour = settings.get("color", _Setting("primary"))
    name, hex_value, define = _colour(kind, colour, palette)
    collapse = settings.get("collapse", _Setting(None)).value
    appearance = settings.get("appearance", _Setting(None)).value
    return CalloutStyle(str(label), name, hex_value, _icon(kind, settings.get("icon"), root),
                        collapse=collapse, numbered=settings.get("numbered", _Setting(True)).value is not False,
                        appearance=str(appearance) if appearance in ("simple", "minimal") else None,
                        define_color=define)


def _colour(kind: str, setting: _Setting, palette: Palette) -> tuple[str, str, bool]:
    """(LaTeX name, #RRGGBB, whether LaTeX must define it) of a palette name or a hex value."""
    text = str(setting.value)
    colours = palette.as_dict()
    if text in colours:
        return text, colours[text], False
    match = _HEX.match(text)
    if match:
        return "bookcallout" + re.sub(r"[^A-Za-z]", "", kind.title()), "#" + match.group(1).upper(), True
    if setting.node is None:  # the engine's own defaults name palette colours the default palette has
        return text, text, False
    file, line, col = where(setting.node)
    raise ConfigError(error("config", file, line, f"callout colour '{text}' is neither '#RRGGBB' nor a colour of "
                            "the book's palette", col=col,
                            hint="write a hex colour (quoted: a bare # starts a YAML comment) or a palette name"))


def _icon(kind: str, setting: _Setting | None, root: Path) -> str:
    """The icon's SVG text (empty for none): the book's file, else the engine's of that name."""
    if setting is None:
        path = THEME_DIR / "icons" / f"{kind}.svg"
    elif isinstance(setting.value, _IconInFolder):
        stem = setting.value.name
        candidates = [root / setting.value.folder / f"icon_{stem.replace('-', '_')}.svg",
                      root / setting.value.folder / f"icon_{stem}.svg"]
        path = next((p for p in candidates if p.is_file()), THEME_DIR / "icons" / f"{kind}.svg")
        if not path.is_file():
            path = THEME_DIR / "icons" / "default.svg"
    else:
        own, engine = root / str(setting.value), THEME_DIR / "icons" / str(setting.value)
        path = own if setting.node is not None and own.is_file() else engine
        if setting.node is not None and not path.is_file():
            file, line, col = where(setting.node)
            raise ConfigError(error("config", file, line, f"callout icon '{setting.value}' does not exist", col=col,
                                    hint="name an SVG file relative to the project folder (24x24, drawn in currentColor)"))
    icon = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    return icon.split("?>", 1)[1].strip() if icon.startswith("<?xml") else icon


# --------------------------------------------------------------------------- node helpers

def _mapping(found: tuple[yaml.Node, yaml.Node], what: str, hint: str) -> yaml.MappingNode:
    key, value = found
    if isinstance(value, yaml.MappingNode):
        return value
    if value.tag == NULL_TAG:
        return yaml.MappingNode("tag:yaml.org,2002:map", [], value.start_mark, value.end_mark)
    _wrong(key, value, "a mapping", hint, what)
    raise AssertionError  # unreachable: _wrong raises


def _text(key: yaml.Node, value: yaml.Node) -> str:
    if not isinstance(value, yaml.ScalarNode) or value.tag == NULL_TAG:
        _wrong(key, value, "a text", f"e.g. {key.value}: Recipe")
    return str(value.value)


def _boolean(key: yaml.Node, value: yaml.Node) -> bool:
    plain = construct(value) if isinstance(value, yaml.ScalarNode) else None
    if not isinstance(plain, bool):
        _wrong(key, value, "true or false", f"e.g. {key.value}: false")
    return bool(plain)


def _wrong(key: yaml.Node, value: yaml.Node, expected: str, hint: str, what: str | None = None) -> None:
    file, line, col = where(value if value.tag != NULL_TAG else key)
    raise ConfigError(error("config", file, line, f"'{what or key.value}' must be {expected}, not {describe(value)}",
                            col=col, hint=hint))


def _kind_name(key: yaml.Node) -> str:
    return str(key.value).removeprefix("callout-")


# --------------------------------------------------------------------------- chapters

def callout_diagnostics(chapter: Chapter, callouts: Callouts) -> list[Diagnostic]:
    """A warning at each ``:::`` fence whose ``callout-*`` class is neither Quarto's nor configured."""
    found: list[Diagnostic] = []
    for number, row in enumerate(chapter.prose.split("\n"), start=1):
        fence = _FENCE.match(row)
        if fence is None:
            continue
        for match in _CALLOUT_CLASS.finditer(fence.group("attrs")):
            kind = match.group("kind")
            if not callouts.known(kind):
                found.append(warning(
                    "callout-kind", chapter.path, number, f"unknown callout kind 'callout-{kind}'",
                    col=fence.start("attrs") + match.start() + 1,
                    hint=f"it is shown as '{callouts.default.label}'; use one of Quarto's ({', '.join(QUARTO_KINDS)}) or "
                         "configure it (bookbuild: callouts: kinds:, or custom-numbered-blocks classes:)"))
    return found

