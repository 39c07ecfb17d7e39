"""``theme:`` SCSS files, Quarto style, compiled by libsass and layered over the engine's theme.

A theme file has sections marked ``/*-- scss:functions --*/``, ``/*-- scss:defaults --*/``,
``/*-- scss:mixins --*/`` and ``/*-- scss:rules --*/`` (a file without markers is all
rules). The sections of every file are put together in that order; after the
defaults, the variables Quarto themes set for Bootstrap (``$primary``, ``$body-bg``,
``$link-color``, ``$font-family-sans-serif``, …) are carried onto the custom
properties ``theme/book.css`` is built on, so they restyle the whole site; the rules
follow. A ``{light:, dark:}`` theme's dark half applies in dark mode (the system's
or the reader's choice), the light half otherwise. The CSS is one file linked after
the engine's CSS and before ``css:`` files, as Quarto orders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import ConfigError, Diagnostic, error
from ..project import display_path
from ..useroptions import Theme

SECTION = re.compile(r"^[ \t]*/\*--[ \t]*scss:(functions|defaults|mixins|rules|uses)[ \t]*--\*/[ \t]*$", re.M)
ORDER = ("uses", "functions", "defaults", "mixins", "rules")
OUTPUT = "site_libs/bookbuild/theme.css"
#: Sass variable -> the custom properties of theme/book.css it sets (later variables override earlier ones).
BRIDGE = (
    ("primary", ("--brand", "--link")),
    ("link-color", ("--link",)),
    ("link-hover-color", ("--link-hover",)),
    ("body-bg", ("--bg",)),
    ("body-color", ("--text",)),
    ("text-muted", ("--text-muted",)),
    ("headings-color", ("--heading",)),
    ("border-color", ("--border",)),
    ("code-bg", ("--code-bg",)),
    ("font-family-base", ("--font-body",)),
    ("font-family-sans-serif", ("--font-ui",)),
    ("font-family-monospace", ("--font-mono",)),
)
LIGHT = (':root[data-theme="light"]', '@media not all and (prefers-color-scheme: dark)', ':root:not([data-theme="dark"])')
DARK = (':root[data-theme="dark"]', '@media (prefers-color-scheme: dark)', ':root:not([data-theme="light"])')


@dataclass(frozen=True)
class Source:
    """The SCSS put together for the compiler, and which file line each of its lines came from."""

    text: str
    origin: list[tuple[Path, int] | None]  # per line of ``text`` (None: generated)


def _pieces(path: Path) -> dict[str, list[tuple[str, int]]]:
    """Each section's text with the file line it starts at."""
    text = path.read_text(encoding="utf-8")
    marks = list(SECTION.finditer(text))
    pieces: dict[str, list[tuple[str, int]]] = {name: [] for name in ORDER}
    if not marks:
        pieces["rules"].append((text, 1))
        return pieces
    if text[: marks[0].start()].strip():
        pieces["rules"].append((text[: marks[0].start()], 1))
    for n, mark in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(text)
        pieces[mark.group(1)].append((text[mark.end():end], text.count("\n", 0, mark.end()) + 1))
    return pieces


def source(files: tuple[Path, ...], selectors: tuple[str, str, str] | None) -> Source:
    """The SCSS of one half of a theme: sections in order, the bridge onto book.css's properties after the
    defaults, the rules (inside ``selectors`` for a light/dark pair)."""
    rows: list[str] = []
    origin: list[tuple[Path, int] | None] = []

    def add(text: str, where: tuple[Path, int] | None) -> None:
        for n, row in enumerate(text.split("\n")):
            rows.append(row)
            origin.append((where[0], where[1] + n) if where else None)

    pieces = [(path, _pieces(path)) for path in files]
    for name in ORDER:
        if name == "mixins":
            add(_bridge(selectors), None)
        if name == "rules" and selectors:
            add(f"{selectors[0]} {{", None)
        for path, parts in pieces:
            for text, line in parts[name]:
                add(text, (path, line))
        if name == "rules" and selectors:
            add(f"}}\n{selectors[1]} {{ {selectors[2]} {{", None)
            for path, parts in pieces:
                for text, line in parts[name]:
                    add(text, (path, line))
            add("} }", None)
    return Source("\n".join(rows) + "\n", origin)


def _bridge(selectors: tuple[str, str, str] | None) -> str:
    body = "\n".join(f"  @if variable-exists({name}) {{ {' '.join(f'{prop}: #{{${name}}};' for prop in props)} }}"
                     for name, props in BRIDGE)
    if selectors is None:
        return f":root {{\n{body}\n}}"
    return f"{selectors[0]} {{\n{body}\n}}\n{selectors[1]} {{ {selectors[2]} {{\n{body}\n}} }}"


def compile_theme(theme: Theme) -> tuple[str, list[Diagnostic]]:
    """The theme's CSS (empty on error), and the compiler's error at its theme file line."""
    try:
        import sass
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError(error("theme", str(theme.light[0] if theme.light else theme.dark[0]), 1,
                                "an SCSS theme needs the libsass package",
                                hint="install the project (pip install -e .) to get libsass")) from exc
    paired = bool(theme.dark)
    halves = [(theme.light, LIGHT if paired else None)] + ([(theme.dark, DARK)] if paired else [])
    css: list[str] = []
    for files, selectors in halves:
        if not files:
            continue
        built = source(files, selectors)
        try:
            css.append(sass.compile(string=built.text, output_style="expanded",
                                    include_paths=[str(path.parent) for path in files]))
        except sass.CompileError as exc:
            return "", [_compile_error(str(exc), built, files)]
    return "\n".join(css), []


def _compile_error(message: str, built: Source, files: tuple[Path, ...]) -> Diagnostic:
    """libsass's message at the theme file and line it points into."""
    first = next((row.strip() for row in message.splitlines() if row.strip()), message).removeprefix("Error: ")
    where = re.search(r"on line (\d+)(?::(\d+))?", message)
    origin = built.origin[int(where.group(1)) - 1] if where and int(where.group(1)) <= len(built.origin) else None
    file, line = origin if origin else (files[0], 1)
    col = int(where.group(2)) if where and where.group(2) and origin else 1
    return error("theme-scss", display_path(file), line, f"SCSS theme does not compile: {first}", col=col,
                 hint="fix the SCSS at this line (libsass, Sass 3 syntax)")


def write_theme(theme: Theme, out_dir: Path) -> tuple[str | None, list[Diagnostic]]:
    """Compile the theme into the site; return its site path (None without a theme or on error) and any error."""
    from ..files import write_atomic

    if not theme:
        return None, []
    css, problems = compile_theme(theme)
    if problems:
        return None, problems
    write_atomic(out_dir / OUTPUT, css)
    return OUTPUT, []
