"""The configuration keys bookbuild supports, and a warning for every other key a book sets.

:data:`SUPPORTED` is the one table of the keys of ``_quarto.yml`` (and of its
metadata files and profiles, merged) that the engine reads. Each entry maps a
key to what is honoured under it:

- :data:`ANY`: the key is read, whatever its value (its own checks report bad values);
- a frozenset: only these values take effect (``project: type: book``);
- a mapping: a table of its own for the keys below it.

Any other key is valid Quarto, perhaps, but has no effect here: ``check`` and
every build warn about it once, at its line in the file that set it
(``warning[config-unsupported]: not supported by bookbuild: format.html.fancy-thing``).
A key that a chapter shows with ``{{< meta key >}}`` has an effect, so it is not
reported. When the engine learns a key, add it here (and to README's list).
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable, Mapping, Union

import yaml

from .celloptions import DOCUMENT_OPTIONS
from .config import NULL_TAG, construct, where
from .crossrefconfig import CROSSREF_KEYS, LANGUAGE_KEYS as CROSSREF_WORDS
from .diagnostics import Diagnostic, warning
from .language import DEFAULTS as LANGUAGE_WORDS

#: The key is read, whatever its value.
ANY = "any"

Spec = Union[str, frozenset, Mapping[str, Any]]

#: Keys every format (and the top level) takes: the book's own filters and includes, its citation style.
_EVERY_FORMAT: dict[str, Spec] = {
    "filters": ANY,
    "include-in-header": ANY,
    "include-before-body": ANY,
    "include-after-body": ANY,
    "header-includes": ANY,
    "csl": ANY,
}
_HTML_ONLY: dict[str, Spec] = {"css": ANY, "theme": ANY, "citation-location": ANY}
#: Numbering and cross-reference words (bookbuild.crossrefconfig), book-wide or per format.
_NUMBERING: dict[str, Spec] = {"number-sections": ANY, "number-depth": ANY,
                               "crossref": {key: ANY for key in sorted(CROSSREF_KEYS)}}
#: The book's language and its words (bookbuild.language; ``language:`` is a mapping of them or a file's path),
#: the depth of its contents and where its footnotes go (bookbuild.pageoptions).
_LANGUAGE: dict[str, Spec] = {"toc-depth": ANY, "reference-location": ANY, "lang": ANY,
                              "language": {key: ANY for key in sorted({*LANGUAGE_WORDS, *CROSSREF_WORDS})}}
#: Cell options every cell inherits (bookbuild.celloptions): at the top level, under ``execute:``, per format.
_CELL_DEFAULTS: dict[str, Spec] = {name: ANY for name in DOCUMENT_OPTIONS}
# freeze: auto is what the engine's cache always does (re-run a chapter only when it changed).
_EXECUTE: dict[str, Spec] = {**_CELL_DEFAULTS, "freeze": frozenset({"auto"})}
#: Other diagram engines are not run by bookbuild: only switching them off is honoured.
_OFF = frozenset({False})

SUPPORTED: dict[str, Spec] = {
    "project": {"type": frozenset({"book"}), "output-dir": ANY, "execute-dir": ANY},
    "book": {"title": ANY, "subtitle": ANY, "author": ANY, "chapters": ANY, "appendices": ANY,
             "date": ANY, "cover-image": ANY},
    "title": ANY,
    # The EPUB's metadata (the site and the PDF do not show them).
    "lang": ANY,
    "date": ANY,
    "bibliography": ANY,
    "metadata-files": ANY,
    "profile": {"default": ANY, "group": ANY},
    "execute": _EXECUTE,
    **_CELL_DEFAULTS,
    **_EVERY_FORMAT,
    **_HTML_ONLY,
    **_NUMBERING,
    **_LANGUAGE,
    "format": {
        # The site always has its table of contents.
        "html": {**_EVERY_FORMAT, **_HTML_ONLY, **_NUMBERING, **_LANGUAGE, **_CELL_DEFAULTS, "execute": _EXECUTE,
                 "toc": frozenset({True})},
        "pdf": {**_EVERY_FORMAT, **_NUMBERING, **_LANGUAGE, **_CELL_DEFAULTS, "execute": _EXECUTE, "documentclass": ANY,
                "fontsize": ANY, "classoption": ANY, "papersize": ANY},
        # The EPUB takes the book's filters and citation style; its includes are not placed.
        "epub": {"filters": ANY, "csl": ANY, **_NUMBERING, "cover-image": ANY, "identifier": ANY, "lang": ANY,
                 "date": ANY},
    },
    "bookbuild": {"assumptions-appendix": ANY, "palette": ANY, "timeout": ANY, "output-limit": ANY, "callouts": ANY,
                  "strict-literals": ANY},
    # Metadata for filters: the book's own Lua filters may read any of it; the engine reads the
    # custom-numbered-blocks extension's callout settings there (or at the top level).
    "filter-metadata": ANY,
    "custom-numbered-blocks": ANY,
    # pandoc-ext/diagram's configuration: TikZ figures get its preamble. The engine compiles them
    # with its own TeX programs (latex + dvisvgm to SVG, LuaLaTeX in the PDF), whichever LaTeX is named.
    "diagram": {"engine": {
        "tikz": {"header-includes": ANY, "additional-packages": ANY, "output-format": frozenset({"svg"}),
                 "execpath": frozenset({"latex", "pdflatex", "lualatex", "xelatex"})},
        "dot": _OFF, "mermaid": _OFF, "asymptote": _OFF, "plantuml": _OFF, "d2": _OFF, "cetz": _OFF,
    }},
}

#: The values ``format:`` may be when it is one format's name.
FORMAT_NAMES = frozenset({"html", "pdf", "epub"})

CODE = "config-unsupported"
HINT = ("bookbuild ignores it (Quarto may not): remove it, or keep it for Quarto; "
        "the supported keys are listed in README.md and bookbuild/configkeys.py")


def unsupported_keys(node: yaml.Node | None, shown: Iterable[str] = ()) -> list[Diagnostic]:
    """A warning for each key (or value) of the merged configuration that the engine does not honour,
    at its line in the file that set it. ``shown``: the keys chapters show with ``{{< meta >}}``
    (dotted, as written), which are not reported."""
    meta = {tuple(key.split(".")) for key in shown}
    meta |= {("book", *key) for key in meta}
    found: list[Diagnostic] = []
    if isinstance(node, yaml.MappingNode):
        _walk(node, SUPPORTED, (), meta, found)
    return found


def _walk(node: yaml.MappingNode, table: Mapping[str, Spec], path: tuple[str, ...], meta: set[tuple[str, ...]],
          found: list[Diagnostic]) -> None:
    for key_node, value in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
            continue
        key = str(key_node.value)
        here = (*path, key)
        spec = table.get(key)
        if spec is None and any(shown[:len(here)] == here for shown in meta):
            continue  # a chapter shows it (or something below it)
        if spec is None:
            close = difflib.get_close_matches(key, list(table), n=1, cutoff=0.8)
            found.append(_warning(key_node, ".".join(here), f"did you mean '{close[0]}'?" if close else None))
        elif isinstance(spec, frozenset):
            if not (isinstance(value, yaml.ScalarNode) and _honoured(construct(value), spec)):
                found.append(_warning(value, f"{'.'.join(here)}: {_shown(value)}"))
        elif isinstance(spec, Mapping):
            if isinstance(value, yaml.MappingNode):
                _walk(value, spec, here, meta, found)
            elif not _null(value) and not _honoured_instead(here, value):
                found.append(_warning(value, f"{'.'.join(here)}: {_shown(value)}"))


def _null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG


def _honoured_instead(path: tuple[str, ...], node: yaml.Node) -> bool:
    """A plain value where the table has keys, honoured as Quarto means it: ``format: html``,
    ``format: {pdf: default}``, ``diagram: engine: tikz: true`` (TikZ figures are always compiled).
    Other kinds of value are type errors (:mod:`bookbuild.project`) or ignored, so reported."""
    if not isinstance(node, yaml.ScalarNode):
        return False
    value = construct(node)
    if path[-1] == "language":
        return isinstance(value, str)  # a YAML file of words (bookbuild.language reads and checks it)
    if path == ("format",):
        return str(value) in FORMAT_NAMES
    if len(path) == 2 and path[0] == "format":
        return value == "default"
    return path == ("diagram", "engine", "tikz") and value is True


def _honoured(value: Any, accepted: frozenset) -> bool:
    # True == 1 in a set: compare types too, so `toc: 1` is not taken for `toc: true`.
    return any(value == a and type(value) is type(a) for a in accepted)


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def _warning(node: yaml.Node, what: str, suggestion: str | None = None) -> Diagnostic:
    file, line, col = where(node)
    hint = f"{suggestion} {HINT}" if suggestion else HINT
    return warning(CODE, file, line, f"not supported by bookbuild: {what}", col=col, hint=hint)
