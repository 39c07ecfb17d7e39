"""Read ``_quarto.yml`` into a :class:`Book`: chapters (with parts) in order, bibliography, formats.

The file keeps Quarto's schema, so authors who have Quarto can still render the
book with it. YAML is composed into nodes first so that every chapter entry
keeps its line: a listed chapter that does not exist is reported at that line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import ConfigError, Diagnostic, error
from .files import UnreadableSource, read_source
from .qmd import guard_aliases, yaml_error_line, yaml_error_message

CONFIG_NAME = "_quarto.yml"


@dataclass(frozen=True)
class ChapterEntry:
    """One chapter listed in ``_quarto.yml``: its path relative to the project, and its place."""

    path: str
    line: int
    part: str | None = None  # the part's title, or the path of its page (``part: intro.qmd``)
    appendix: bool = False
    part_page: bool = False  # this file is a part's own page, not a chapter (it takes no number)

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


def load_book(root: Path) -> Book:
    """Read ``root/_quarto.yml``. Raises ConfigError when it is missing or not valid YAML."""
    config_file = root / CONFIG_NAME
    shown = display_path(config_file)
    if not config_file.is_file():
        raise ConfigError(error("config", shown, 1, f"no {CONFIG_NAME} in {display_path(root)}",
                                hint="pass --project DIR pointing at a folder with a Quarto book config"))
    try:
        text = read_source(config_file, shown)
    except UnreadableSource as exc:
        raise ConfigError(exc.diagnostic) from exc
    try:
        guard_aliases(text, yaml.SafeLoader)
        node = yaml.compose(text)
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        line, col = yaml_error_line(exc, 1)
        raise ConfigError(error("yaml", shown, line, f"malformed {CONFIG_NAME}: {yaml_error_message(exc)}", col=col)) from exc
    if not isinstance(config, dict) or node is None:
        raise ConfigError(error("config", shown, 1, f"{CONFIG_NAME} must be a YAML mapping"))

    book_cfg = config.get("book") or {}
    book_node = _child(node, "book")
    chapters: list[ChapterEntry] = []
    diagnostics: list[Diagnostic] = []
    for key, appendix in (("chapters", False), ("appendices", True)):
        list_node = _child(book_node, key)
        if list_node is not None:
            chapters.extend(_entries(list_node, appendix, shown, diagnostics))
    if not chapters and not diagnostics:
        raise ConfigError(error("config", shown, 1, "the book lists no chapters",
                                hint="add 'book: chapters: [index.qmd, …]' to _quarto.yml"))

    present: list[ChapterEntry] = []
    for entry in chapters:
        if (root / entry.path).is_file():
            present.append(entry)
        else:
            diagnostics.append(error("chapter-missing", shown, entry.line, f"chapter '{entry.path}' is listed but does not exist",
                                     hint=f"create {entry.path} or remove it from the chapter list"))

    bibliography = config.get("bibliography") or []
    if isinstance(bibliography, str):
        bibliography = [bibliography]
    formats = config.get("format") or {}
    project_cfg = config.get("project") or {}
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
        output_dir=str(project_cfg.get("output-dir") or "_build"),
        config=config,
        assumptions_title=_assumptions_title(config),
        diagnostics=tuple(diagnostics),
    )


def _assumptions_title(config: dict[str, Any]) -> str | None:
    """``bookbuild: {assumptions-appendix: true | "Title"}`` asks for the generated appendix."""
    options = config.get("bookbuild") or {}
    wanted = options.get("assumptions-appendix") if isinstance(options, dict) else None
    if wanted is True:
        return "Assumptions"
    return str(wanted) if isinstance(wanted, str) and wanted.strip() else None


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _entries(list_node: yaml.Node, appendix: bool, shown: str, diagnostics: list[Diagnostic],
             part: str | None = None) -> list[ChapterEntry]:
    """Flatten a chapter list; ``- part: Title`` groups carry their title to their chapters."""
    if not isinstance(list_node, yaml.SequenceNode):
        diagnostics.append(error("config", shown, list_node.start_mark.line + 1, "the chapter list must be a YAML list"))
        return []
    entries: list[ChapterEntry] = []
    for item in list_node.value:
        line = item.start_mark.line + 1
        if isinstance(item, yaml.ScalarNode):
            entries.append(ChapterEntry(item.value, line, part, appendix))
        elif isinstance(item, yaml.MappingNode):
            part_node = _child(item, "part")
            inner = _child(item, "chapters")
            title = part_node.value if isinstance(part_node, yaml.ScalarNode) else None
            if title and title.endswith(".qmd"):
                # A part may be a page of its own (Quarto allows `part: intro.qmd`).
                entries.append(ChapterEntry(title, part_node.start_mark.line + 1, title, appendix, part_page=True))
            if inner is not None:
                entries.extend(_entries(inner, appendix, shown, diagnostics, title or part))
            elif title is None:
                diagnostics.append(error("config", shown, line, "a chapter entry must be a file name or a 'part:' group"))
        else:
            diagnostics.append(error("config", shown, line, "a chapter entry must be a file name or a 'part:' group"))
    return entries
