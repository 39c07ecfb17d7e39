"""A book's own filters, styles and includes, as ``_quarto.yml`` and chapter front matter give them.

Each key is read where Quarto reads it: book-wide at the top of ``_quarto.yml``
and under ``format: html:`` / ``format: pdf:``, and in a chapter's front matter
(top level and under its ``format:``). Every value keeps the file and line it
was written at, so a missing file is reported there. Paths are relative to the
project folder (``_quarto.yml``) or to the chapter's folder (front matter), and
must stay inside the project. Pure reading: nothing here runs or writes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, error, warning
from .project import Book, display_path
from .qmd import Chapter

#: The engine's output formats and the ``format:`` key each is configured under.
FORMAT_KEYS = {"html": "html", "latex": "pdf", "epub": "epub"}
#: Where a filter may run (Quarto's entry points, in chain order).
ENTRY_POINTS = ("pre-ast", "post-ast", "pre-quarto", "post-quarto", "pre-render", "post-render",
                "pre-finalize", "post-finalize")
QUARTO_MARKER = "quarto"
#: Filters whose work the engine does itself (extensions, from their configuration; Pandoc's citeproc):
#: listing them runs nothing more.
ENGINE_EXTENSIONS = frozenset({"custom-numbered-blocks", "diagram", "citeproc"})
INCLUDE_KEYS = ("include-in-header", "include-before-body", "include-after-body")


@dataclass(frozen=True)
class Entry:
    """One value of a key (a list's item), with where it is written."""

    key: str
    value: Any
    file: str  # as diagnostics show it
    line: int
    base: Path  # the folder its relative paths start from
    chapter_level: bool = False


@dataclass(frozen=True)
class FilterSpec:
    """A user Lua filter and the entry point it runs at."""

    path: Path
    at: str
    entry: Entry


@dataclass(frozen=True)
class IncludeSpec:
    """One include: a file's content or ``text:``, for the head, before or after the body."""

    key: str  # one of INCLUDE_KEYS, "header-includes" or "css"
    entry: Entry
    text: str | None = None  # given inline (``text:``, header-includes)
    path: Path | None = None  # a file


# --------------------------------------------------------------------------- reading

def entries(book: Book, key: str, output_format: str, chapter: Chapter | None = None,
            chapter_file: Path | None = None) -> list[Entry]:
    """The values of ``key`` for one format, book-wide first, then the chapter's (when given)."""
    found: list[Entry] = []
    config = _compose(book.config_file.read_text(encoding="utf-8"))
    for node in _scopes(config, output_format):
        found += _values(node, key, book.display_config, 1, book.root)
    if chapter is not None and chapter_file is not None:
        front = _front_matter_node(chapter.text, chapter.front_matter_span.end if chapter.front_matter_span else 0)
        for node in _scopes(front, output_format):
            found += _values(node, key, chapter.path, 2, chapter_file.parent, chapter_level=True)
    return found


def _scopes(root: yaml.Node | None, output_format: str) -> list[yaml.Node]:
    formats = _child(root, "format")
    return [node for node in (root, _child(formats, FORMAT_KEYS[output_format])) if isinstance(node, yaml.MappingNode)]


def _values(node: yaml.Node, key: str, file: str, first_line: int, base: Path, chapter_level: bool = False) -> list[Entry]:
    value = _child(node, key)
    if value is None:
        return []
    items = value.value if isinstance(value, yaml.SequenceNode) else [value]
    return [Entry(key, _python(item), file, item.start_mark.line + first_line, base, chapter_level) for item in items]


@functools.lru_cache(maxsize=8)
def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text)
    except yaml.YAMLError:
        return None  # reported where the file is loaded


def _front_matter_node(text: str, end: int) -> yaml.Node | None:
    """The front matter's YAML node; its lines count from the file's line 2."""
    if not end:
        return None
    rows = text[:end].splitlines()[1:-1]
    return _compose("\n".join(rows) + "\n")


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _python(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


# --------------------------------------------------------------------------- filters

def filters(book: Book, output_format: str, chapter: Chapter | None = None, chapter_file: Path | None = None,
            ) -> tuple[list[FilterSpec], list[Diagnostic]]:
    """The user filters for one format (and chapter), each with its entry point, and the problems found.

    As in Quarto: a plain entry runs before the engine's own filters, unless it
    comes after a ``quarto`` entry (then after them); ``{path:, at:}`` names
    the entry point.
    """
    specs: list[FilterSpec] = []
    problems: list[Diagnostic] = []
    after_engine = False
    for entry in entries(book, "filters", output_format, chapter, chapter_file):
        value = entry.value
        if value == QUARTO_MARKER:
            after_engine = True
            continue
        at = "post-render" if after_engine else "pre-quarto"
        if isinstance(value, dict) and isinstance(value.get("path"), str):
            at = str(value.get("at") or at)
            name = value["path"]
            if at not in ENTRY_POINTS:
                problems.append(error("filter-entry-point", entry.file, entry.line,
                                      f"filter '{name}': unknown entry point 'at: {at}'",
                                      hint=f"use one of {', '.join(ENTRY_POINTS)}"))
                continue
        elif isinstance(value, str):
            name = value
        else:
            problems.append(error("config", entry.file, entry.line, "a filter entry must be a file path or {path: …, at: …}"))
            continue
        if _is_extension_name(name):
            found, problem = _extension_filters(book, entry, name)
            problems += [problem] if problem else []
            specs += [FilterSpec(path, at, entry) for path in found]
            continue
        path, problem = resolve_file(book, entry, name, "filter", "filters")
        if problem is not None:
            problems.append(problem)
        elif path.suffix != ".lua":
            problems.append(error("filter-kind", entry.file, entry.line, f"filter '{name}' is not a Lua filter",
                                  hint="bookbuild runs Pandoc Lua filters (.lua files)"))
        else:
            specs.append(FilterSpec(path, at, entry))
    return specs, problems


def _is_extension_name(name: str) -> bool:
    """``fontawesome`` or ``quarto-ext/fontawesome`` names an extension; ``x.lua`` or ``dir/x.lua`` a file."""
    return not name.endswith(".lua") and name.count("/") <= 1 and not name.startswith(".")


def _extension_filters(book: Book, entry: Entry, name: str) -> tuple[list[Path], Diagnostic | None]:
    """The Lua filters an extension in ``_extensions/`` contributes (none for those the engine provides itself)."""
    if name.rsplit("/", 1)[-1] in ENGINE_EXTENSIONS:
        return [], None
    folder = book.root.resolve() / "_extensions"
    manifests = sorted([*folder.glob(f"{name}/_extension.y*ml"), *folder.glob(f"*/{name}/_extension.y*ml")])
    if not manifests:
        return [], error("filter-missing", entry.file, entry.line,
                         f"filter '{name}' is neither a file nor an extension installed in _extensions/",
                         hint="give the filter's path (with .lua), or install the extension (quarto add …)")
    manifest = manifests[0]
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        return [], error("config", display_path(manifest), 1, f"malformed extension manifest: {exc}")
    listed = ((data.get("contributes") or {}).get("filters") or []) if isinstance(data, dict) else []
    paths = []
    for item in listed:
        path = item.get("path") if isinstance(item, dict) else item
        if isinstance(path, str) and path.endswith(".lua"):
            paths.append((manifest.parent / path).resolve())
    missing = next((p for p in paths if not p.is_file()), None)
    if missing is not None:
        return [], error("filter-missing", display_path(manifest), 1,
                         f"extension '{name}' lists filter '{display_path(missing)}', which does not exist")
    return paths, None


def resolve_file(book: Book, entry: Entry, name: str, what: str, key: str) -> tuple[Path, Diagnostic | None]:
    """The file a config value names, or the error saying why it cannot be used (outside the project, missing)."""
    path = (entry.base / name).resolve()
    where = "the chapter's folder" if entry.chapter_level else "the project folder"
    if not path.is_relative_to(book.root.resolve()):
        return path, error(f"{what}-outside", entry.file, entry.line, f"{what} '{name}' is outside the project",
                           hint=f"{what} files must be inside the project folder")
    if not path.is_file():
        return path, error(f"{what}-missing", entry.file, entry.line, f"{what} '{name}' does not exist",
                           hint=f"fix the path under '{key}:' (relative to {where}: {display_path(entry.base)})")
    return path, None


# --------------------------------------------------------------------------- styles and includes

def includes(book: Book, output_format: str, chapter: Chapter | None = None, chapter_file: Path | None = None,
             ) -> tuple[list[IncludeSpec], list[Diagnostic]]:
    """``css:`` (HTML), the three ``include-*`` keys and ``header-includes``, in that order, with the problems found."""
    specs: list[IncludeSpec] = []
    problems: list[Diagnostic] = []
    keys = (("css",) if output_format == "html" else ()) + INCLUDE_KEYS + ("header-includes",)
    for key in keys:
        for entry in entries(book, key, output_format, chapter, chapter_file):
            spec, problem = _include(book, entry)
            if problem is not None:
                problems.append(problem)
            elif spec is not None:
                specs.append(spec)
    return specs, problems


def _include(book: Book, entry: Entry) -> tuple[IncludeSpec | None, Diagnostic | None]:
    value = entry.value
    if value is None:
        return None, None
    if entry.key == "header-includes":
        return IncludeSpec(entry.key, entry, text=str(value)), None
    if isinstance(value, dict) and entry.key != "css":
        if "text" in value:
            return IncludeSpec(entry.key, entry, text=str(value["text"])), None
        value = value.get("file")
    if not isinstance(value, str):
        shape = "a file path" if entry.key == "css" else "a file path, {text: …} or {file: …}"
        return None, error("config", entry.file, entry.line, f"'{entry.key}' entries must be {shape}")
    what = "stylesheet" if entry.key == "css" else "include"
    path, problem = resolve_file(book, entry, value, what, entry.key)
    return (None, problem) if problem else (IncludeSpec(entry.key, entry, path=path), None)


# --------------------------------------------------------------------------- theme

@dataclass(frozen=True)
class Theme:
    """The SCSS files of ``theme:`` (HTML), for the light look and the dark one (empty: no dark theme)."""

    light: tuple[Path, ...] = ()
    dark: tuple[Path, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.light or self.dark)


def theme(book: Book) -> tuple[Theme, list[Diagnostic]]:
    """``theme:`` (a file, a list, or ``{light:, dark:}``) book-wide, its ``.scss`` files resolved.

    A built-in Quarto theme name (``cosmo``) is a warning: the engine's own theme stands in for it.
    """
    modes: dict[str, list[Path]] = {"light": [], "dark": []}
    problems: list[Diagnostic] = []
    config = _compose(book.config_file.read_text(encoding="utf-8"))
    for scope in _scopes(config, "html"):
        value = _child(scope, "theme")
        if isinstance(value, yaml.MappingNode):
            parts = [(mode, _child(value, mode)) for mode in modes]
        else:
            parts = [("light", value)]
        for mode, node in parts:
            for entry in _values_of(node, "theme", book):
                path = _theme_file(book, entry, problems)
                if path is not None:
                    modes[mode].append(path)
    return Theme(tuple(modes["light"]), tuple(modes["dark"])), problems


def _values_of(node: yaml.Node | None, key: str, book: Book) -> list[Entry]:
    if node is None:
        return []
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    return [Entry(key, _python(item), book.display_config, item.start_mark.line + 1, book.root) for item in items]


def _theme_file(book: Book, entry: Entry, problems: list[Diagnostic]) -> Path | None:
    name = entry.value
    if not isinstance(name, str):
        problems.append(error("config", entry.file, entry.line, "a theme entry must be a theme name or an .scss file"))
        return None
    if not name.endswith((".scss", ".css")):
        problems.append(warning("theme-builtin", entry.file, entry.line,
                                f"built-in theme '{name}' is not supported by bookbuild; the engine's own theme is used",
                                hint="give .scss files with /*-- scss:defaults --*/ and /*-- scss:rules --*/ sections"))
        return None
    path, problem = resolve_file(book, entry, name, "theme", "theme")
    if problem is not None:
        problems.append(problem)
        return None
    return path


# --------------------------------------------------------------------------- the check

def option_diagnostics(book: Book, chapter: tuple[Chapter, Path] | None = None) -> list[Diagnostic]:
    """Every problem with the book-wide filters, theme, styles and includes, or (given ``chapter``, its
    parsed text and file) with that chapter's own, each once: for ``make check`` and the builds."""
    found: list[Diagnostic] = [] if chapter else theme(book)[1]
    for output_format in FORMAT_KEYS:
        for reader in (filters, includes):
            _, problems = reader(book, output_format, *(chapter or (None, None)))
            own = [p for p in problems if chapter is None or p.file == chapter[0].path]
            found += [p for p in own if p not in found]
    return found
