"""Quarto shortcodes in prose, ``{{< name args >}}``: found, expanded, reported.

Expanded as Quarto does:

- ``{{< meta key >}}``: the chapter's front matter, then ``_quarto.yml`` (its
  ``book:`` section first); dotted keys reach into mappings (``book.title``);
- ``{{< var key >}}``: ``_variables.yml`` beside ``_quarto.yml``;
- ``{{< pagebreak >}}``: a new page in the PDF, nothing on the website;
- ``{{< kbd Ctrl-C >}}``: a key, as ``<kbd>`` on the website.

A shortcode may break across lines (not across a blank line). A key's dots
reach into mappings and, as a number from 1, into lists (``authors.1``); ``\\.``
is a dot inside a key (``{{< meta nested.a\\.b.key >}}``).

``{{< include >}}`` is expanded before the chapter is read (see includes.py).
Any other shortcode (``video``, ``embed``, …) is left as written,
and ``make check`` warns about it, as about a key ``meta``/``var`` cannot find.
An escaped shortcode, ``{{</* name */>}}``, shows as written without the escape.
As in Quarto, raw content is expanded too, as plain text: a ```` ```{=html} ````
block, a `` `…`{=html} `` span, and the book's ``include-*`` texts and files
(:func:`expand_in_text`). Shortcodes inside other code (fenced blocks, code
spans) are text, as the prose mask leaves them out.
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
from .qmd import Chapter, LineIndex, Span, code_spans, load_yaml, yaml_error_line, yaml_error_message

# The arguments may go on over single line breaks (Quarto reads a shortcode within one paragraph).
SHORTCODE = re.compile(r"\{\{<[ \t]*(?P<escaped>/\*)?[ \t]*(?P<name>[A-Za-z][\w-]*)"
                       r"(?P<args>(?:[^\n]|\n(?![ \t]*\n))*?)[ \t]*(?(escaped)\*/[ \t]*)>\}\}")
RAW_INFO = re.compile(r"^\{=[A-Za-z0-9_+-]+\}$")
RAW_SUFFIX = re.compile(r"\{=[A-Za-z0-9_+-]+\}")
KEY_PART = re.compile(r"(?:\\.|[^.\\])+")
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
    raw: bool = False  # in raw content (a ```{=html} block, a `…`{=html} span): expands to plain text


@dataclass(frozen=True)
class ShortcodeContext:
    """What expansion reads: the chapter's metadata, the book's configuration and variables."""

    front_matter: Mapping[str, Any]
    config: Mapping[str, Any]
    variables: Mapping[str, Any]
    output_format: str = "html"


def find_shortcodes(chapter: Chapter) -> list[Shortcode]:
    """The shortcodes in the chapter's prose and raw content, in document order."""
    if "{{<" not in chapter.text:  # every shortcode starts so: most chapters need no prose mask at all
        return []
    index = LineIndex(chapter.text)
    found = [_shortcode(chapter.text, match, index) for match in SHORTCODE.finditer(chapter.prose)]
    for start, end in raw_regions(chapter):
        found += [_shortcode(chapter.text, match, index, raw=True)
                  for match in SHORTCODE.finditer(chapter.text, start, end)]
    return sorted(found, key=lambda s: s.span.start)


def _shortcode(text: str, match: re.Match[str], index: LineIndex, raw: bool = False) -> Shortcode:
    try:
        args = tuple(shlex.split(match["args"]))
    except ValueError:  # an unbalanced quote: the words as they are
        args = tuple(match["args"].split())
    line, col = index.position(match.start())
    return Shortcode(match["name"], args, bool(match["escaped"]), text[match.start():match.end()], line, col,
                     Span(match.start(), match.end()), raw)


def raw_regions(chapter: Chapter) -> list[tuple[int, int]]:
    """Where raw content stands: the bodies of ```` ```{=format} ```` blocks, and `` `…`{=format} `` spans."""
    text = chapter.text
    regions = [(b.span.start, b.span.end) for b in chapter.blocks if RAW_INFO.match(b.info)]
    fenced = sorted([c.span for c in chapter.cells] + [b.span for b in chapter.blocks], key=lambda s: s.start)
    start = chapter.front_matter_span.end if chapter.front_matter_span else 0
    for span in [*fenced, Span(len(text), len(text))]:
        regions += [(a, b) for a, b, _ in code_spans(text, start, span.start) if RAW_SUFFIX.match(text, b)]
        start = span.end
    return sorted(regions)


def expand(shortcode: Shortcode, context: ShortcodeContext) -> tuple[str | None, str | None]:
    """(the Markdown that replaces it, or None to leave it as written; what is wrong, or None)."""
    if shortcode.escaped:
        inner = " ".join([shortcode.name, *shortcode.args])
        return f"{{{{< {inner} >}}}}", None
    name, args = shortcode.name, shortcode.args
    if shortcode.raw and name in ("pagebreak", "kbd"):  # their text: nothing, the key
        return (args[0].split("=", 1)[-1] if name == "kbd" and args else ""), None
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


def expand_in_text(text: str, context: ShortcodeContext, raw: bool = True) -> str:
    """Text outside the chapter's body with each shortcode that expands replaced: by its plain text in raw
    content (an include's ``text:`` or file), by its Markdown in Markdown (``raw=False``: a ``subtitle:``)."""
    if "{{<" not in text:
        return text
    index, pieces, position = LineIndex(text), [], 0
    for match in SHORTCODE.finditer(text):
        replacement, _ = expand(_shortcode(text, match, index, raw=raw), context)
        if replacement is not None:
            pieces += [text[position:match.start()], replacement]
            position = match.end()
    return "".join(pieces) + text[position:]


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
    """The value at a dotted key: ``a.b`` into mappings, ``a.1`` the first of a list, ``a\\.b`` the key "a.b"."""
    value: Any = source
    for part in (re.sub(r"\\(.)", r"\1", p) for p in KEY_PART.findall(dotted)):
        if isinstance(value, list) and part.isdigit() and 1 <= int(part) <= len(value):
            value = value[int(part) - 1]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return None
    return value


def _hint(shortcode: Shortcode) -> str:
    if shortcode.name == "meta":
        return "add the key to the chapter's front matter or to _quarto.yml, or fix its name"
    if shortcode.name == "var":
        return f"add the key to {VARIABLES_FILE} beside _quarto.yml, or fix its name"
    if shortcode.name == "include":
        return "paste the included file's text into the chapter"
    return "write what it should show in Markdown instead"
