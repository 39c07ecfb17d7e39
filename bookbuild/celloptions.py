"""Cell options at every level, resolved as Quarto resolves them: one pure function and its types.

A cell's option comes from the first level that sets it (Quarto's precedence):

1. the cell's own ``#|`` lines;
2. the chapter's front matter: under ``format: <f>:`` (its ``execute:`` or a bare key), then at its top level
   (``execute:`` or a bare key such as ``echo: false``);
3. ``_quarto.yml`` (with its profiles and metadata files merged): ``format: <f>:``, then the top level, the same way.

Within one scope a key under ``execute:`` wins over the same bare key. Only the options Quarto allows
above the cell (:data:`DOCUMENT_OPTIONS`) are inherited; ``lst-label``, ``classes``, ``panel``, … belong
to a cell. A value that is not one the option takes is reported at its line (see :func:`value_problem`)
and the level below it applies.

Execution options (``eval``, ``warning``, ``error``, the figure ones) are part of the execution's cache
key; the ones that only change how a cell is shown (:data:`RENDER_ONLY`) are not, so changing them never
re-executes a chapter.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # a runtime import would be circular: qmd validates options with this module
    from .qmd import Chapter

#: The options a chapter's front matter or ``_quarto.yml`` may set for every cell.
DOCUMENT_OPTIONS = ("eval", "echo", "output", "include", "warning", "error", "code-fold", "code-summary",
                    "code-overflow", "code-line-numbers", "fig-width", "fig-height", "fig-dpi",
                    "fig-format")
#: Options that change only how a cell is shown: they stay out of the execution's cache key.
RENDER_ONLY = frozenset({"echo", "output", "include", "code-fold", "code-summary", "code-overflow",
                         "code-line-numbers", "lst-label", "lst-cap", "classes", "panel"})
#: The engine's output formats and the ``format:`` key each is configured under.
FORMAT_KEYS = {"html": "html", "latex": "pdf", "pdf": "pdf"}
PANELS = ("tabset", "input", "sidebar", "fill", "center")
FIG_FORMATS = ("retina", "png", "jpeg", "svg", "pdf")
LINE_SPEC = re.compile(r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")


def _words(*words: str) -> str:
    return f"{', '.join(words[:-1])} or {words[-1]}"


#: Option -> (test of a value, what it must be). A value that fails is reported and ignored.
_RULES: dict[str, tuple[Any, str]] = {
    "eval": (lambda v: isinstance(v, bool), _words("true", "false")),
    "echo": (lambda v: isinstance(v, bool) or v == "fenced", _words("true", "false", "fenced")),
    "output": (lambda v: isinstance(v, bool) or v == "asis", _words("true", "false", "asis")),
    "include": (lambda v: isinstance(v, bool), _words("true", "false")),
    "warning": (lambda v: isinstance(v, bool), _words("true", "false")),
    "error": (lambda v: isinstance(v, bool), _words("true", "false")),
    "code-fold": (lambda v: isinstance(v, bool) or v == "show", _words("true", "false", "show")),
    "code-summary": (lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool), "text"),
    "code-overflow": (lambda v: v in ("scroll", "wrap"), _words("scroll", "wrap")),
    "code-line-numbers": (lambda v: isinstance(v, bool) or (isinstance(v, str) and bool(LINE_SPEC.match(v))),
                          "true, false or lines to highlight ('1,3-4')"),
    "lst-label": (lambda v: isinstance(v, str) and v.startswith("lst-"), "a label starting with 'lst-'"),
    "lst-cap": (lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool), "text"),
    "classes": (lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(c, str) for c in v)),
                "class names (text, or a list of them)"),
    "panel": (lambda v: v in PANELS, _words(*PANELS)),
    "fig-width": (lambda v: _positive(v), "a positive number (inches)"),
    "fig-height": (lambda v: _positive(v), "a positive number (inches)"),
    "fig-dpi": (lambda v: _positive(v) and isinstance(v, int), "a positive whole number"),
    "fig-format": (lambda v: v in FIG_FORMATS, _words(*FIG_FORMATS)),
}


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def value_problem(name: str, value: Any) -> str | None:
    """What ``value`` must be for option ``name`` ("true, false or fenced"), or None when it is valid
    (or the option is not one this module checks)."""
    rule = _RULES.get(name)
    if rule is None or rule[0](value):
        return None
    return rule[1]


@dataclass(frozen=True)
class Setting:
    """An option set above the cell: its value and the key path that set it (``("format", "html", "execute", "echo")``)."""

    value: Any
    path: tuple[str, ...]


def scope_settings(scope: Mapping[str, Any], format_key: str) -> dict[str, Setting]:
    """The document options a front matter or configuration sets for one format (``html`` or ``pdf``),
    valid or not: top level, then ``format: <f>:`` over it; ``execute:`` over a bare key in each."""
    found: dict[str, Setting] = {}
    formats = scope.get("format")
    own = formats.get(format_key) if isinstance(formats, dict) else None
    for prefix, node in (((), scope), (("format", format_key), own)):
        if not isinstance(node, dict):
            continue
        execute = node.get("execute")
        for where, keys in ((prefix, node), ((*prefix, "execute"), execute if isinstance(execute, dict) else {})):
            for name in DOCUMENT_OPTIONS:
                if name in keys:
                    found[name] = Setting(keys[name], (*where, name))
    return found


def document_defaults(book_config: Mapping[str, Any], front_matter: Mapping[str, Any],
                      output_format: str) -> dict[str, Any]:
    """The options every cell of a chapter inherits for one output format (``html`` or ``latex``):
    the book's, the chapter's over them. Invalid values are left out (they are reported elsewhere)."""
    format_key = FORMAT_KEYS.get(output_format, output_format)
    merged: dict[str, Any] = {}
    for scope in (book_config, front_matter):
        for name, setting in scope_settings(scope, format_key).items():
            if value_problem(name, setting.value) is None:
                merged[name] = setting.value
    return merged


def effective(options: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """A cell's options with the inherited ones under them (the cell's own win)."""
    return {**defaults, **options}


def with_defaults(chapter: "Chapter", defaults: Mapping[str, Any]) -> "Chapter":
    """The chapter with each cell's options completed by ``defaults``: what the engines run and
    the renderers show, so ``cell.option(...)`` and ``cell.evaluates`` follow Quarto's precedence."""
    if not defaults or not chapter.cells:
        return chapter
    cells = tuple(dataclasses.replace(cell, options=effective(cell.options, defaults)) for cell in chapter.cells)
    return dataclasses.replace(chapter, cells=cells)


def execution_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options that can change what a cell's execution gives (everything but :data:`RENDER_ONLY`)."""
    return {name: value for name, value in options.items() if name not in RENDER_ONLY}


@dataclass(frozen=True)
class CellOptions:
    """A cell's options, resolved and typed, with Quarto's defaults."""

    eval: bool = True
    echo: bool | str = True  # True, False or "fenced"
    output: bool | str = True  # True, False or "asis"
    include: bool = True
    warning: bool = True
    error: bool = False
    code_fold: bool | str = False  # True, False or "show" (folded, open)
    code_summary: str = "Code"
    code_overflow: str = "scroll"
    code_line_numbers: bool | str = False
    lst_label: str | None = None
    lst_cap: str | None = None
    classes: tuple[str, ...] = ()
    panel: str | None = None
    fig_width: float | None = None
    fig_height: float | None = None
    fig_dpi: int | None = None
    fig_format: str | None = None

    @property
    def shows_code(self) -> bool:
        return self.include and self.echo is not False

    @property
    def shows_output(self) -> bool:
        return self.include and self.output is not False


def resolve(options: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> CellOptions:
    """A cell's :class:`CellOptions`: its own options over ``defaults`` over Quarto's; invalid values skipped."""
    merged = effective(options, defaults or {})
    fields = {}
    for name in _RULES:
        attr = name.replace("-", "_")
        if name in merged and value_problem(name, merged[name]) is None and hasattr(CellOptions, attr):
            value = merged[name]
            if name == "classes":
                value = tuple(value.split()) if isinstance(value, str) else tuple(value)
            elif name in ("code-summary", "lst-cap"):
                value = str(value)
            fields[attr] = value
    return CellOptions(**fields)


# --------------------------------------------------------------------------- bad values, at their line

def _message(path: tuple[str, ...], value: Any, expected: str) -> str:
    return f"'{': '.join(path)}:' is {value!r}; it must be {expected}"


def check_book_options(book: Any) -> None:
    """Raise a ConfigError at the first document option of ``_quarto.yml`` (its profiles, metadata
    files) whose value the option does not take, for either format."""
    from .diagnostics import ConfigError, error  # here: diagnostics are no concern of the pure resolver

    for format_key in ("html", "pdf"):
        for name, setting in scope_settings(book.config, format_key).items():
            expected = value_problem(name, setting.value)
            if expected is not None:
                file, line, col = book.locate(*setting.path)
                raise ConfigError(error("config-type", file, line, _message(setting.path, setting.value, expected),
                                        col=col, hint=f"fix '{': '.join(setting.path)}:' in {file}"))


def front_matter_problems(chapter: "Chapter") -> list[Any]:
    """A warning at each document option of the chapter's front matter whose value the option does not take
    (the book's value, or Quarto's default, applies instead)."""
    import yaml

    from .config import located
    from .diagnostics import warning

    found, seen = [], set()
    node = None
    for format_key in ("html", "pdf"):
        for name, setting in scope_settings(chapter.front_matter, format_key).items():
            expected = value_problem(name, setting.value)
            if expected is None or setting.path in seen:
                continue
            seen.add(setting.path)
            if node is None and chapter.front_matter_span is not None:
                rows = chapter.text[:chapter.front_matter_span.end].splitlines()[1:-1]
                try:
                    node = yaml.compose("\n".join(rows) + "\n")
                except yaml.YAMLError:
                    node = None
            at = located(node, setting.path)
            line, col = (at[0].start_mark.line + 2, at[0].start_mark.column + 1) if at else (1, 1)
            found.append(warning("cell-option", chapter.path, line, _message(setting.path, setting.value, expected),
                                 col=col, hint=f"write '{setting.path[-1]}: false' (or another value it takes); "
                                               "until then the book's value or Quarto's default applies"))
    return found
