"""Quarto shortcodes in prose, ``{{< name args >}}``: found, expanded, reported.

Expanded as Quarto does:

- ``{{< meta key >}}``: the chapter's front matter, then ``_quarto.yml`` (its
  ``book:`` section first); dotted keys reach into mappings (``book.title``);
- ``{{< var key >}}``: ``_variables.yml`` beside ``_quarto.yml``;
- ``{{< pagebreak >}}``: a new page in the PDF, nothing on the website;
- ``{{< kbd Ctrl-C >}}``: a key, as ``<kbd>`` on the website.

``{{< include >}}`` is expanded before the chapter is read (see includes.py).
Any other shortcode (``video``, ``embed``, …) is left as written,
and ``make check`` warns about it, as about a key ``meta``/``var`` cannot find.
An escaped shortcode, ``{{</* name */>}}``, shows as written without the escape.
Shortcodes inside code (fenced blocks, code spans) are text, as the prose mask
leaves them out.
"""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from .diagnostics import Diagnostic, error, warning
from .files import UnreadableSource, read_source
from .project import display_path
from .qmd import Chapter, LineIndex, Span, load_yaml, yaml_error_line, yaml_error_message

SHORTCODE = re.compile(r"\{\{<[ \t]*(?P<escaped>/\*)?[ \t]*(?P<name>[A-Za-z][\w-]*)(?P<args>[^\n]*?)[ \t]*"
                       r"(?(escaped)\*/[ \t]*)>\}\}")
VARIABLES_FILE = "_variables.yml"
SUPPORTED = ("meta", "var", "pagebreak", "kbd")


@dataclass(frozen=True)
class Shortcode:
    """One ``{{< … >}}`` in a chapter's prose; ``line``/``col`` locate its first brace."""

    name: str
    args: tuple[str, ...]
    escaped: bool
    source: str
    line: int
    col: int
    span: Span


@dataclass(frozen=True)
class ShortcodeContext:
    """What expansion reads: the chapter's metadata, the book's configuration and variables."""

    front_matter: Mapping[str, Any]
    config: Mapping[str, Any]
    variables: Mapping[str, Any]
    output_format: str = "html"


def find_shortcodes(chapter: Chapter) -> list[Shortcode]:
    """The shortcodes in the chapter's prose, in document order."""
    index = LineIndex(chapter.text)
    found = []
    for match in SHORTCODE.finditer(chapter.prose):
        source = chapter.text[match.start():match.end()]
        try:
            args = tuple(shlex.split(match["args"]))
        except ValueError:  # an unbalanced quote: the words as they are
            args = tuple(match["args"].split())
        line, col = index.position(match.start())
        found.append(Shortcode(match["name"], args, bool(match["escaped"]), source, line, col,
                               Span(match.start(), match.end())))
    return found


def expand(shortcode: Shortcode, context: ShortcodeContext) -> tuple[str | None, str | None]:
    """(the Markdown that replaces it, or None to leave it as written; what is wrong, or None)."""
    if shortcode.escaped:
        inner = " ".join([shortcode.name, *shortcode.args])
        return f"{{{{< {inner} >}}}}", None
    name, args = shortcode.name, shortcode.args
    if name in ("meta", "var"):
        if len(args) != 1:
            return None, f"'{{{{< {name} >}}}}' takes one key, e.g. {{{{< {name} title >}}}}"
        sources = ([context.front_matter, context.config.get("book") or {}, context.config] if name == "meta"
                   else [context.variables])
        for source in sources:
            value = _lookup(source, args[0])
            if value is not None:
                if isinstance(value, (dict, list)):
                    return None, f"'{args[0]}' is a {type(value).__name__}, not a text to show"
                return str(value), None
        where = "the front matter or _quarto.yml" if name == "meta" else VARIABLES_FILE
        return None, f"'{args[0]}' is not in {where}"
    if name == "pagebreak":
        return ("`\\newpage{}`{=latex}" if context.output_format == "latex" else ""), None
    if name == "kbd":
        keys = [a.split("=", 1)[-1] for a in args] if args else []
        if not keys:
            return None, "'{{< kbd >}}' needs a key, e.g. {{< kbd Ctrl-C >}}"
        named = dict(a.split("=", 1) for a in args if "=" in a)
        plain = [a for a in args if "=" not in a]
        systems = {os: named[short] for short, os in (("linux", "linux"), ("mac", "mac"), ("win", "windows")) if short in named}
        key = plain[0] if plain else keys[0]
        if context.output_format == "latex":
            return "`" + key.replace("`", "") + "`", None  # code: Pandoc sets and escapes it
        return _kbd_html(key, systems, named.get("mode", "default")), None
    if name == "include":
        return None, None  # expanded before the chapter is read; includes.py reports what went wrong
    return None, (f"the '{name}' shortcode is not supported (only {', '.join(SUPPORTED)}, and include); "
                  "it is shown as written")


def _kbd_html(key: str, systems: dict[str, str], mode: str) -> str:
    """Quarto's ``<kbd>``: the key shown, its per-system forms in the title (``linux: …, mac: …,
    windows: …``), and the key again for screen readers."""
    title = ", ".join(f"{os}: {keys}" for os, keys in systems.items()) if systems and key in systems.values() else key
    attrs = f' aria-hidden="true" data-mode="{html.escape(mode)}" title="{html.escape(title)}"'
    attrs += "".join(f' data-{os}="{html.escape(keys)}"' for os, keys in systems.items())
    return (f"`<kbd{attrs}>{html.escape(key)}</kbd>"
            f"<span class=\"visually-hidden\">{html.escape(key)}</span>`{{=html}}")


def expansions(chapter: Chapter, context: ShortcodeContext) -> dict[Span, str]:
    """Where each shortcode of the chapter that expands stands -> its replacement."""
    result = {}
    for shortcode in find_shortcodes(chapter):
        text, _ = expand(shortcode, context)
        if text is not None:
            result[shortcode.span] = text
    return result


def shortcode_diagnostics(chapter: Chapter, shown: str, context: ShortcodeContext) -> list[Diagnostic]:
    """A warning for each shortcode that cannot be expanded."""
    found = []
    for shortcode in find_shortcodes(chapter):
        _, problem = expand(shortcode, context)
        if problem:
            found.append(warning("shortcode", shown, shortcode.line, f"{shortcode.source}: {problem}",
                                 col=shortcode.col, hint=_hint(shortcode)))
    return found


def load_variables(root: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
    """``_variables.yml`` of the project ({} when there is none), and what is wrong with it."""
    path = root / VARIABLES_FILE
    if not path.is_file():
        return {}, []
    shown = display_path(path)
    try:
        data = load_yaml(read_source(path, shown))
    except UnreadableSource as exc:
        return {}, [exc.diagnostic]
    except yaml.YAMLError as exc:
        line, col = yaml_error_line(exc, 1)
        return {}, [error("yaml", shown, line, yaml_error_message(exc), col=col)]
    if data is not None and not isinstance(data, dict):
        return {}, [error("yaml", shown, 1, f"{VARIABLES_FILE} must be a mapping of names to values")]
    return data or {}, []


def _lookup(source: Mapping[str, Any], dotted: str) -> Any:
    value: Any = source
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _hint(shortcode: Shortcode) -> str:
    if shortcode.name == "meta":
        return "add the key to the chapter's front matter or to _quarto.yml, or fix its name"
    if shortcode.name == "var":
        return f"add the key to {VARIABLES_FILE} beside _quarto.yml, or fix its name"
    if shortcode.name == "include":
        return "paste the included file's text into the chapter"
    return "write what it should show in Markdown instead"
