"""Read a ``.qmd`` chapter into a :class:`Chapter`: pure parsing, no side effects.

The reader finds what execution and rendering need, each with its place in the
file: the YAML front matter, the Python cells (with their ``#|`` options), the
inline `` `{python} expr` `` expressions, and every other fenced block, which is
left alone. Like Quarto, an inline expression is never looked for inside a code
block, and a fence that is never closed swallows the rest of the file.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml

from .celloptions import value_problem
from .diagnostics import Diagnostic, error, warning
from .includes import SourceMap

FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*?)[ \t]*$")
PYTHON_INFO = re.compile(r"^\{\s*python\b(?P<attrs>[^}]*)\}$")
CELL_OPTION = re.compile(r"^#\|\s?(?P<body>.*)$")
BACKTICKS = re.compile(r"`+")
INLINE_PREFIX = re.compile(r"^\{python\}[ \t]+")


@dataclass(frozen=True)
class Span:
    """Character offsets ``[start, end)`` into the chapter text."""

    start: int
    end: int


@dataclass(frozen=True)
class Cell:
    """A ```` ```{python} ```` cell.

    ``line`` is the file line of the opening fence; ``code_line`` the file line of
    the first line of ``code``, so line ``k`` (1-based) of ``code`` is file line
    ``code_line + k - 1``. ``code`` keeps the ``#|`` option lines (as comments they
    are harmless, and keeping them keeps the line arithmetic trivial).
    """

    index: int
    code: str
    options: dict[str, Any]
    line: int
    code_line: int
    span: Span

    @property
    def label(self) -> str | None:
        value = self.options.get("label")
        return str(value) if value is not None else None

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    @property
    def evaluates(self) -> bool:
        """False for ``eval: false`` cells (their own, or inherited: :func:`bookbuild.celloptions.with_defaults`),
        which are shown but never run."""
        return self.options.get("eval", True) is not False


@dataclass(frozen=True)
class InlineExpr:
    """An inline `` `{python} expr` ``; ``line``/``col`` locate its first backtick."""

    index: int
    expr: str
    line: int
    col: int
    span: Span


@dataclass(frozen=True)
class FencedBlock:
    """Any other fenced code block (```` ```{.tikz} ````, plain code, …)."""

    info: str
    code: str
    line: int
    span: Span


@dataclass(frozen=True)
class Chapter:
    """A parsed chapter. ``items`` holds cells and inline expressions in document order."""

    path: str
    text: str
    front_matter: dict[str, Any]
    front_matter_span: Span | None
    cells: tuple[Cell, ...]
    inlines: tuple[InlineExpr, ...]
    blocks: tuple[FencedBlock, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    source_map: SourceMap | None = None  # where the lines came from, when the chapter includes files

    def locate(self, line: int) -> tuple[str, int]:
        """(file, line) of a line of the text: the chapter's own, or an included file's."""
        return self.source_map.locate(line) if self.source_map else (self.path, line)

    @property
    def items(self) -> list[Cell | InlineExpr]:
        """Cells and inline expressions sorted by position: the order Quarto evaluates them."""
        return sorted([*self.cells, *self.inlines], key=lambda item: item.span.start)

    def line_of(self, offset: int) -> int:
        """1-based file line of a character offset."""
        return self.text.count("\n", 0, offset) + 1

    @functools.cached_property
    def prose(self) -> str:
        """The text with everything but prose blanked (see :func:`prose_mask`), computed once."""
        return prose_mask(self)


class LineIndex:
    """Maps character offsets to 1-based (line, column) quickly."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.starts[lo] + 1


def parse_chapter(path: str, text: str) -> Chapter:
    """Parse the text of a ``.qmd`` file; ``path`` is only used to label diagnostics."""
    diagnostics: list[Diagnostic] = []
    index = LineIndex(text)
    front_matter, fm_span, fm_diags = _front_matter(path, text)
    diagnostics.extend(fm_diags)
    body_start = fm_span.end if fm_span else 0

    cells: list[Cell] = []
    inlines: list[InlineExpr] = []
    blocks: list[FencedBlock] = []
    prose_start = body_start
    for fence in _fences(text, body_start):
        inlines.extend(_inline_exprs(text, prose_start, fence.start, index, len(inlines)))
        prose_start = fence.end
        if not fence.closed:
            diagnostics.append(
                error(
                    "unclosed-fence",
                    path,
                    fence.line,
                    f"code fence '{fence.marker}' opened here is never closed",
                    hint=f"add a line '{fence.marker}' where the block ends; everything after this line is treated as code",
                )
            )
        info_match = PYTHON_INFO.match(fence.info)
        if info_match:
            options, option_diags = _cell_options(path, fence.code, fence.line + 1)
            diagnostics.extend(option_diags)
            cells.append(
                Cell(
                    index=len(cells),
                    code=fence.code,
                    options=options,
                    line=fence.line,
                    code_line=fence.line + 1,
                    span=Span(fence.start, fence.end),
                )
            )
        else:
            blocks.append(FencedBlock(fence.info, fence.code, fence.line, Span(fence.start, fence.end)))
    inlines.extend(_inline_exprs(text, prose_start, len(text), index, len(inlines)))
    return Chapter(
        path=path,
        text=text,
        front_matter=front_matter,
        front_matter_span=fm_span,
        cells=tuple(cells),
        inlines=tuple(inlines),
        blocks=tuple(blocks),
        diagnostics=tuple(diagnostics),
    )


# libyaml's loader when PyYAML was built with it: the pure-Python one costs ~0.4 ms a cell.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Parse YAML safely (plain data only), with the fast loader when there is one.

    On an error the pure-Python loader parses again: its error marks are the precise ones.
    Raises yaml.YAMLError, also for aliases that expand too far (see :func:`guard_aliases`).
    """
    try:
        guard_aliases(text)
        return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        guard_aliases(text, yaml.SafeLoader)
        return yaml.safe_load(text)


#: How many values YAML aliases may expand to. Loading shares an aliased value, but whatever
#: later prints or walks the data copies it: nested aliases (a "billion laughs") explode.
MAX_ALIAS_EXPANSION = 100_000


def guard_aliases(text: str, loader: type = _SAFE_LOADER) -> None:
    """Raise a yaml.YAMLError at the alias that makes the document expand past :data:`MAX_ALIAS_EXPANSION` values.

    Reads the event stream (cheap, nothing is built), counting each alias as the size of what it names.
    """
    if "*" not in text:  # no alias, nothing to expand
        return
    sizes: dict[str, int] = {}
    stack: list[tuple[str | None, int]] = []  # open collections: (anchor, values counted before it)
    total = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            total += sizes.get(event.anchor, 1)
            if total > MAX_ALIAS_EXPANSION:
                raise yaml.MarkedYAMLError(problem=f"aliases expand to more than {MAX_ALIAS_EXPANSION} values "
                                                   f"(at *{event.anchor}; nested aliases multiply)",
                                           problem_mark=event.start_mark)
        elif isinstance(event, yaml.ScalarEvent):
            total += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            stack.append((event.anchor, total))
            total += 1
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)) and stack:
            anchor, before = stack.pop()
            if anchor:
                sizes[anchor] = total - before


def yaml_error_line(exc: yaml.YAMLError, first_line: int) -> tuple[int, int]:
    """File (line, col) of a YAML error, given the file line of the YAML text's first line."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return first_line, 1
    return first_line + mark.line, mark.column + 1


def yaml_error_message(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    parts = [part for part in (context, problem) if part]
    return ", ".join(parts) if parts else str(exc).splitlines()[0]


def read_front_matter(path: str, text: str) -> tuple[dict[str, Any], Span | None, list[Diagnostic]]:
    """The chapter's front matter (``{}`` without one), where it stands, and what is wrong with it."""
    return _front_matter(path, text)


def _front_matter(path: str, text: str) -> tuple[dict[str, Any], Span | None, list[Diagnostic]]:
    if not (text.startswith("---\n") or text.startswith("---\r\n")):
        return {}, None, []
    first_newline = text.index("\n") + 1
    closing = re.compile(r"^(---|\.\.\.)[ \t]*\r?$", re.M).search(text, first_newline)
    if closing is None:
        return {}, None, [
            error("yaml", path, 1, "front matter opened with '---' is never closed", hint="end the front matter with a line '---'")
        ]
    end = closing.end() + (1 if closing.end() < len(text) and text[closing.end()] == "\n" else 0)
    span = Span(0, end)
    try:
        data = load_yaml(text[first_newline:closing.start()]) or {}
    except yaml.YAMLError as exc:
        line, col = yaml_error_line(exc, 2)
        return {}, span, [
            error("yaml", path, line, f"malformed YAML front matter: {yaml_error_message(exc)}", col=col)
        ]
    if not isinstance(data, dict):
        return {}, span, [error("yaml", path, 2, "front matter must be a YAML mapping (key: value lines)")]
    return data, span, []


@dataclass(frozen=True)
class _Fence:
    marker: str
    info: str
    code: str
    line: int
    start: int
    end: int
    closed: bool


def _fences(text: str, start: int) -> Iterator[_Fence]:
    """Yield the fenced code blocks of ``text`` from offset ``start`` (CommonMark rules)."""
    offset = start
    line_no = text.count("\n", 0, start) + 1
    lines = text[start:].splitlines(keepends=True)
    i = 0
    while i < len(lines):
        match = FENCE_OPEN.match(lines[i].rstrip("\r\n"))
        # A backtick fence's info string may not contain backticks (CommonMark).
        if not match or (match["fence"][0] == "`" and "`" in match["info"]):
            offset += len(lines[i])
            i += 1
            continue
        fence = match["fence"]
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        open_offset, open_line = offset, line_no + i
        j = i + 1
        while j < len(lines) and not close.match(lines[j].rstrip("\r\n")):
            j += 1
        closed = j < len(lines)
        code = "".join(lines[i + 1 : j])
        end_index = j + 1 if closed else j
        block_len = sum(len(row) for row in lines[i:end_index])
        yield _Fence(fence, match["info"], code, open_line, open_offset, open_offset + block_len, closed)
        offset = open_offset + block_len
        i = end_index


def _cell_options(path: str, code: str, first_line: int) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Parse the leading ``#|`` lines of a cell as YAML."""
    option_lines: list[str] = []
    for row in code.splitlines():
        match = CELL_OPTION.match(row)
        if not match:
            break
        option_lines.append(match["body"])
    if not option_lines:
        return {}, []
    try:
        options = load_yaml("\n".join(option_lines)) or {}
    except yaml.YAMLError as exc:
        line, col = yaml_error_line(exc, first_line)
        return {}, [error("yaml", path, line, f"malformed cell option: {yaml_error_message(exc)}", col=col + 3)]
    if not isinstance(options, dict):
        return {}, [error("yaml", path, first_line, "cell options must be '#| key: value' lines")]
    return options, _option_problems(path, options, option_lines, first_line)


#: Cell options Quarto reads (a subset): a name close to one of these is taken for a typo.
KNOWN_CELL_OPTIONS = (
    "label", "echo", "eval", "output", "include", "warning", "error", "message", "classes",
    "fig-cap", "fig-alt", "fig-subcap", "fig-width", "fig-height", "fig-align", "fig-pos", "fig-env", "fig-column",
    "fig-cap-location", "fig-dpi", "fig-format", "tbl-cap", "tbl-subcap", "tbl-colwidths", "tbl-column",
    "tbl-cap-location", "lst-label", "lst-cap", "code-fold", "code-summary", "code-overflow", "code-line-numbers",
    "layout", "layout-ncol", "layout-nrow", "layout-align", "layout-valign", "column", "cap-location", "panel", "cache", "freeze",
)


def _option_problems(path: str, options: dict[str, Any], lines: list[str], first_line: int) -> list[Diagnostic]:
    """Warnings for a misspelt option name and a value the option does not take (see :mod:`bookbuild.celloptions`)."""
    found = []
    for name, value in options.items():
        line = first_line + next((n for n, row in enumerate(lines) if row.lstrip().startswith(f"{name}:")), 0)
        if name not in KNOWN_CELL_OPTIONS:
            close = difflib.get_close_matches(str(name), KNOWN_CELL_OPTIONS, n=1, cutoff=0.75)
            if close:
                found.append(warning("cell-option", path, line, f"unknown cell option '{name}'; did you mean '{close[0]}'?",
                                     hint=f"write '#| {close[0]}: …'; Quarto ignores an option it does not know"))
        elif (allowed := value_problem(name, value)) is not None:
            found.append(warning("cell-option", path, line, f"cell option '{name}' is {value!r}; it must be {allowed}",
                                 hint=f"write '#| {name}: …' with a value it takes; until then the chapter's, "
                                      "the book's or Quarto's default applies"))
    return found


def code_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, content)`` of the inline code spans between two offsets.

    Matched the CommonMark way: a run of N backticks closes at the next run of
    exactly N backticks; one leading and trailing space is stripped from content.
    """
    pos = start
    while True:
        opener = BACKTICKS.search(text, pos, end)
        if opener is None:
            return
        run = opener.group()
        closer = None
        search_at = opener.end()
        while closer is None:
            candidate = BACKTICKS.search(text, search_at, end)
            if candidate is None:
                break
            if candidate.group() == run:
                closer = candidate
            search_at = candidate.end()
        if closer is None:
            pos = opener.end()
            continue
        content = text[opener.end() : closer.start()]
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        yield opener.start(), closer.end(), content
        pos = closer.end()


def _inline_exprs(text: str, start: int, end: int, index: LineIndex, first_index: int) -> list[InlineExpr]:
    """The `` `{python} expr` `` code spans in prose between two offsets."""
    found: list[InlineExpr] = []
    for span_start, span_end, content in code_spans(text, start, end):
        prefix = INLINE_PREFIX.match(content)
        if prefix:
            line, col = index.position(span_start)
            found.append(InlineExpr(first_index + len(found), content[prefix.end():].strip(), line, col,
                                    Span(span_start, span_end)))
    return found


HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
NOT_NEWLINE = re.compile(r"[^\n]")


def prose_mask(chapter: Chapter) -> str:
    """The chapter text with everything that is not prose blanked out.

    Front matter, fenced blocks, code spans and HTML comments become spaces
    (newlines kept), so offsets, lines and columns still match the file while
    scans for labels, references and images see only prose.
    """
    text = chapter.text
    hidden: list[tuple[int, int]] = []
    if chapter.front_matter_span:
        hidden.append((chapter.front_matter_span.start, chapter.front_matter_span.end))
    fenced = sorted([c.span for c in chapter.cells] + [b.span for b in chapter.blocks], key=lambda s: s.start)
    prose_start = chapter.front_matter_span.end if chapter.front_matter_span else 0
    for span in fenced:
        hidden += [(a, b) for a, b, _ in code_spans(text, prose_start, span.start)]
        hidden.append((span.start, span.end))
        prose_start = span.end
    hidden += [(a, b) for a, b, _ in code_spans(text, prose_start, len(text))]
    hidden += [(m.start(), m.end()) for m in HTML_COMMENT.finditer(text)]
    pieces, position = [], 0
    for start, end in sorted(hidden):
        if end <= position:
            continue
        start = max(start, position)
        pieces.append(text[position:start])
        pieces.append(NOT_NEWLINE.sub(" ", text[start:end]))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
