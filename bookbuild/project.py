"""Read ``_quarto.yml`` into a :class:`Book`: chapters (with parts) in order, bibliography, formats.

The file keeps Quarto's schema, so authors who have Quarto can still render the
book with it. The configuration (with its metadata files and profiles, merged by
:mod:`bookbuild.config`) stays a tree of YAML nodes, so every chapter entry and
key keeps its file and line: a listed chapter that does not exist, or a key of
the wrong type, is reported there.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .callouts import Callouts, default_callouts, load_callouts
from .config import CONFIG_NAME, NULL_TAG, MergedConfig, child, construct, describe, load_config, located, where
from .diagnostics import ConfigError, Diagnostic, error
from .environment import load_environment
from .palette import Palette, default_palette, load_palette
from .paths import OUTSIDE_HINT, outside_reason


@dataclass(frozen=True)
class ChapterEntry:
    """One chapter listed in ``_quarto.yml``: its path relative to the project, and its place."""

    path: str
    line: int
    part: str | None = None  # the part's title, or the path of its page (``part: intro.qmd``)
    appendix: bool = False
    part_page: bool = False  # this file is a part's own page, not a chapter (it takes no number)
    file: str = CONFIG_NAME  # the configuration file (as diagnostics show it) that lists this entry
    col: int = 1

    @property
    def name(self) -> str:
        """The chapter's name as authors type it on the command line (file stem)."""
        return Path(self.path).stem


@dataclass(frozen=True)
class Book:
    """The project configuration: what to build, in which order."""

    root: Path
    config_file: Path
    title: str
    subtitle: str | None
    author: Any
    chapters: tuple[ChapterEntry, ...]
    bibliography: tuple[str, ...]
    formats: dict[str, Any]
    execute: dict[str, Any]
    output_dir: str
    config: dict[str, Any]
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    assumptions_title: str | None = None  # generate the assumptions appendix under this title
    profiles: tuple[str, ...] = ()  # the active profiles, in order (the first-listed wins)
    config_node: yaml.MappingNode | None = field(default=None, compare=False, repr=False)  # merged, with file marks
    config_files: tuple[Path, ...] = ()  # every configuration file read, in merge order

    def locate(self, *keys: str) -> tuple[str, int, int]:
        """(file, line, column) of a key path in the merged configuration (``locate("format", "pdf", "csl")``):
        the file that set it last. ``(_quarto.yml, 1, 1)`` when the key is absent."""
        found = located(self.config_node, keys) if keys else None
        return where(found[0]) if found is not None else (self.display_config, 1, 1)

    def locate_item(self, key: str, value: str) -> tuple[str, int, int]:
        """(file, line, column) of the list item ``value`` under top-level ``key`` (e.g. one bibliography file)."""
        found = child(self.config_node, key)
        if found is None:
            return self.display_config, 1, 1
        items = found[1].value if isinstance(found[1], yaml.SequenceNode) else [found[1]]
        for item in items:
            if isinstance(item, yaml.ScalarNode) and str(item.value) == value:
                return where(item)
        return where(found[0])
    palette: Palette = field(default_factory=default_palette)
    environment: tuple[tuple[str, str], ...] = ()  # variables the _environment files set for execution
    execute_dir: str = "file"  # `project: execute-dir:` (file: the chapter's folder; project: the project's)
    callouts: Callouts = field(default_factory=default_callouts, repr=False)  # see :mod:`bookbuild.callouts`
    tikz_header: tuple[str, ...] = ()  # `diagram: engine: tikz: header-includes:` lines, for every TikZ figure

    def csl(self, output_format: str) -> Path | None:
        """The citation style file (``csl:``, the format's own first), or None for Pandoc's default."""
        own = self.formats.get(output_format)
        name = (own.get("csl") if isinstance(own, dict) else None) or self.config.get("csl")
        return (self.root / str(name)).resolve() if name else None

    @property
    def display_config(self) -> str:
        return display_path(self.config_file)

    def select(self, names: list[str]) -> tuple[ChapterEntry, ...]:
        """The chapters named on the command line (by stem or path), in book order.

        Raises ConfigError for a name that is not a chapter of the book.
        """
        if not names:
            return self.chapters
        wanted: list[ChapterEntry] = []
        for name in names:
            stem = Path(name).stem
            matches = [c for c in self.chapters if c.name == stem or c.path == name]
            if not matches:
                known = ", ".join(c.name for c in self.chapters)
                raise ConfigError(
                    error("unknown-chapter", self.display_config, 1, f"'{name}' is not a chapter of this book",
                          hint=f"chapters are: {known}")
                )
            wanted.extend(m for m in matches if m not in wanted)
        return tuple(c for c in self.chapters if c in wanted)


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when near it
    (``book/ch.qmd``, ``../shared/ch.qmd``), absolute when far away."""
    absolute = path.resolve()
    try:
        relative = os.path.relpath(absolute, Path.cwd().resolve())
    except ValueError:  # another drive on Windows
        return str(absolute)
    return str(absolute) if relative.startswith(os.path.join(os.pardir, os.pardir)) else relative


def load_book(root: Path, profile: str | None = None, environ: dict[str, str] | None = None) -> Book:
    """Read ``root/_quarto.yml`` with its metadata files and active profiles (``profile``: the
    ``--profile`` names; else ``QUARTO_PROFILE``; else ``profile: default:``).

    Raises ConfigError when a file is missing, unreadable or not valid YAML, or a
    key has the wrong type; each names the file and line it is about.
    """
    # Each file is checked on its own, as Quarto validates each against its schema: merged, a
    # scalar would join a list and hide the mistake.
    merged = load_config(root, display_path, profile, environ, validate=_check_types)
    config_file = root / CONFIG_NAME
    shown = display_path(config_file)
    node, config = merged.node, merged.data

    book_cfg = config.get("book") or {}
    book_node = _value(node, "book")
    chapters: list[ChapterEntry] = []
    diagnostics: list[Diagnostic] = []
    for key, appendix in (("chapters", False), ("appendices", True)):
        list_node = _value(book_node, key)
        if list_node is not None and not _is_null(list_node):
            chapters.extend(_entries(list_node, appendix))
    if not chapters:
        raise ConfigError(error("config", shown, 1, "the book lists no chapters",
                                hint="add 'book: chapters: [index.qmd, …]' to _quarto.yml"))

    present: list[ChapterEntry] = []
    for entry in [_normalized(e, root) for e in chapters]:
        outside = outside_reason(root / entry.path, root, entry.path)
        if outside:
            diagnostics.append(error("outside-project", entry.file, entry.line, f"chapter {outside}",
                                     col=entry.col, hint=OUTSIDE_HINT))
        elif (root / entry.path).is_file():
            present.append(entry)
        else:
            diagnostics.append(error("chapter-missing", entry.file, entry.line, f"chapter '{entry.path}' is listed but does not exist",
                                     col=entry.col, hint=f"create {entry.path} or remove it from the chapter list"))

    bibliography = config.get("bibliography") or []
    if isinstance(bibliography, str):
        bibliography = [bibliography]
    formats = config.get("format") or {}
    return Book(
        root=root,
        config_file=config_file,
        title=str(book_cfg.get("title") or config.get("title") or "Untitled book"),
        subtitle=book_cfg.get("subtitle"),
        author=book_cfg.get("author"),
        chapters=tuple(present),
        bibliography=tuple(str(b) for b in bibliography),
        formats=formats if isinstance(formats, dict) else {str(formats): {}},
        execute=config.get("execute") or {},
        output_dir=_output_dir(node, merged),
        config=config,
        assumptions_title=_assumptions_title(config),
        diagnostics=tuple(diagnostics),
        profiles=merged.profiles,
        config_node=node,
        config_files=merged.files,
        palette=(palette := _palette(root, config, node)),
        callouts=load_callouts(node, palette, root),
        environment=load_environment(root, merged.profiles, external=environ, display=display_path),
        execute_dir=_execute_dir(config, node),
        tikz_header=_tikz_header(node),
    )


#: Where the pandoc-ext/diagram filter (and Quarto books using it) keep TikZ's own preamble.
TIKZ_HEADER_KEYS = (("diagram", "engine", "tikz", "header-includes"), ("diagram", "engine", "tikz", "additional-packages"))


def _tikz_header(node: yaml.Node) -> tuple[str, ...]:
    """The LaTeX lines of ``diagram: engine: tikz: header-includes:`` (and ``additional-packages:``):
    one text or a list of texts, each TeX code. Raises ConfigError at the key for another value."""
    lines: list[str] = []
    for path in TIKZ_HEADER_KEYS:
        found = located(node, path)
        if found is None or _is_null(found[1]):
            continue
        items = found[1].value if isinstance(found[1], yaml.SequenceNode) else [found[1]]
        if not all(isinstance(item, yaml.ScalarNode) and item.tag != NULL_TAG for item in items):
            _type_error(found, path, "a LaTeX line or a list of them", "e.g. header-includes: ['\\usetikzlibrary{calc}']")
        lines += [str(item.value) for item in items]
    return tuple(lines)


def _palette(root: Path, config: dict[str, Any], node: yaml.Node) -> Palette:
    """``bookbuild: palette: file.yml`` (relative to the project), or the engine's default."""
    options = config.get("bookbuild")
    setting = options.get("palette") if isinstance(options, dict) else None
    file, line, _ = _where_set(root, node, ("bookbuild", "palette"))
    if setting is not None and (not isinstance(setting, str) or not setting.strip()):
        raise ConfigError(error("config", file, line, "'bookbuild: palette:' must be the path of a YAML file",
                                hint="e.g. palette: assets/palette.yml (relative to the project folder)"))
    return load_palette(root, setting, file, line, display_path)


def _execute_dir(config: dict[str, Any], node: yaml.Node) -> str:
    """``project: execute-dir: file | project``, as in Quarto (default: file)."""
    project_cfg = config.get("project")
    value = project_cfg.get("execute-dir", "file") if isinstance(project_cfg, dict) else "file"
    if value not in ("file", "project"):
        file, line, col = _where_set(Path("."), node, ("project", "execute-dir"))
        raise ConfigError(error("config", file, line, f"'execute-dir' must be 'file' or 'project', not {value!r}",
                                col=col, hint="file: cells run in their chapter's folder; project: in the project folder"))
    return str(value)


def _where_set(root: Path, node: yaml.Node, path: tuple[str, ...]) -> tuple[str, int, int]:
    """(file, line, column) of the value at a key path: the configuration file that set it."""
    found = located(node, path)
    return where(found[1]) if found is not None else (display_path(root / CONFIG_NAME), 1, 1)


def _normalized(entry: ChapterEntry, root: Path) -> ChapterEntry:
    """The entry with its path relative to the project, as a page path is made from it
    (``/abs/book/ch.qmd`` or ``a/../ch.qmd`` would otherwise name a page outside the site)."""
    if not os.path.isabs(entry.path) and ".." not in Path(entry.path).parts:
        return entry
    inside = os.path.relpath(os.path.abspath(root / entry.path), os.path.abspath(root))
    return entry if inside.startswith(os.pardir) else dataclasses.replace(entry, path=Path(inside).as_posix())
def _output_dir(node: yaml.MappingNode, merged: MergedConfig) -> str:
    """``project: output-dir`` (default ``_build``), with the profiles' names below it unless a
    profile's own file chose the folder: two profiles never share an output folder by default."""
    chosen = _child(_value(node, "project"), "output-dir")
    base = str(construct(chosen[1])) if chosen is not None and not _is_null(chosen[1]) else "_build"
    if not merged.profiles or (chosen is not None and where(chosen[1])[0] in merged.profile_files):
        return base
    return os.path.join(base, "+".join(merged.profiles))


#: Keys whose value must be a mapping, a list of text (or one text), or text, and the hint for each.
MAPPING_KEYS = {("project",): "e.g. project: {type: book, output-dir: _build}",
                ("book",): "e.g. book: {title: My book, chapters: [index.qmd]}",
                ("execute",): "e.g. execute: {echo: false}",
                ("bookbuild",): "e.g. bookbuild: {assumptions-appendix: true}"}
TEXT_LIST_KEYS = {("bibliography",): "e.g. bibliography: references.bib, or a list of .bib files"}
TEXT_KEYS = {("project", "output-dir"): "e.g. output-dir: _build", ("csl",): "e.g. csl: ieee.csl",
             ("book", "title"): 'e.g. title: "My book"'}


def _check_types(node: yaml.MappingNode) -> None:
    """A ConfigError at the key's line for a value of the wrong kind (a traceback otherwise, later)."""
    for key in ("chapters", "appendices"):
        found = located(node, ("book", key))
        if found and not _is_null(found[1]):
            _entries(found[1], False)
    for path, hint in MAPPING_KEYS.items():
        found = located(node, path)
        if found and not isinstance(found[1], yaml.MappingNode) and not _is_null(found[1]):
            _type_error(found, path, "a mapping", hint)
    for path, hint in TEXT_LIST_KEYS.items():
        found = located(node, path)
        if found and not _is_null(found[1]):
            value = found[1]
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            if not all(_is_text(item) for item in items):
                _type_error(found, path, "a file name or a list of file names", hint)
    for path, hint in TEXT_KEYS.items():
        found = located(node, path)
        if found and not isinstance(found[1], yaml.ScalarNode):  # a number is text enough (title: 1984)
            _type_error(found, path, "text", hint)
    found = located(node, ("format",))
    if found and not _is_null(found[1]):
        value = found[1]
        if not (isinstance(value, yaml.MappingNode) or _is_text(value)):
            _type_error(found, ("format",), "a format name or a mapping of formats", "e.g. format: {html: {toc: true}}")
        for key, options in value.value if isinstance(value, yaml.MappingNode) else ():
            if not (isinstance(options, yaml.MappingNode) or _is_null(options) or _is_text(options)):
                _type_error((key, options), ("format", key.value), "a mapping of options (or 'default')",
                            "e.g. html: {toc: true}")


def _type_error(found: tuple[yaml.Node, yaml.Node], path: tuple[str, ...], expected: str, hint: str) -> None:
    key, value = found
    file, line, col = where(key)
    name = ": ".join(path)
    raise ConfigError(error("config-type", file, line, f"'{name}:' must be {expected}, not {describe(value)}",
                            col=col, hint=hint))


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    found = _child(node, key)
    return found[1] if found is not None else None


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG


def _is_text(node: yaml.Node) -> bool:
    """A scalar that is not empty, true/false, or a number (YAML ``5`` is not a file name)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str"


def _assumptions_title(config: dict[str, Any]) -> str | None:
    """``bookbuild: {assumptions-appendix: true | "Title"}`` asks for the generated appendix."""
    options = config.get("bookbuild") or {}
    wanted = options.get("assumptions-appendix") if isinstance(options, dict) else None
    if wanted is True:
        return "Assumptions"
    return str(wanted) if isinstance(wanted, str) and wanted.strip() else None


def _entries(list_node: yaml.Node, appendix: bool, part: str | None = None) -> list[ChapterEntry]:
    """Flatten a chapter list; ``- part: Title`` groups carry their title to their chapters.

    Each entry keeps the file and line it was listed at (a profile or metadata file, maybe)."""
    if not isinstance(list_node, yaml.SequenceNode):
        file, line, col = where(list_node)
        raise ConfigError(error("config-type", file, line, f"the chapter list must be a YAML list, not {describe(list_node)}",
                                col=col, hint="e.g. chapters: [index.qmd, intro.qmd], or one '- file.qmd' per line"))
    entries: list[ChapterEntry] = []
    for item in list_node.value:
        file, line, col = where(item)
        if _is_text(item):
            entries.append(ChapterEntry(item.value, line, part, appendix, file=file, col=col))
        elif isinstance(item, yaml.MappingNode):
            found = _child(item, "part")
            part_node = found[1] if found else None
            inner = _value(item, "chapters")
            title = str(part_node.value) if isinstance(part_node, yaml.ScalarNode) and not _is_null(part_node) else None
            if title and title.endswith(".qmd"):
                # A part may be a page of its own (Quarto allows `part: intro.qmd`).
                part_file, part_line, part_col = where(part_node)
                entries.append(ChapterEntry(title, part_line, title, appendix, part_page=True, file=part_file, col=part_col))
            if inner is not None:
                entries.extend(_entries(inner, appendix, title or part))
            elif title is None:
                raise ConfigError(error("config-type", file, line, "a chapter entry must be a file name or a 'part:' group",
                                        col=col, hint="e.g. '- part: Foundations' with its own 'chapters:' list"))
        else:
            raise ConfigError(error("config-type", file, line, f"a chapter entry must be a file name or a 'part:' group, "
                                    f"not {describe(item)}", col=col, hint="e.g. '- intro.qmd'"))
    return entries


def _child(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    return child(node, key)
