"""The value ledger: for every inline value, where it stands, what it reads, and what it rests on.

One entry per inline expression: the chapter file, line and column, the
expression, the text it rendered, the cell that defined it (label and line),
and its lineage (execute/lineage.py): the sourced constants, library formulas
and hand-typed literals its text is computed from. When the engine did not
trace values (Jupyter), the constants are the per-cell ones (those the defining
cell used and those of the earlier cells it read from, transitively) and the
entry says it is approximate.
"""

from __future__ import annotations

import functools
import json
import operator
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any, Callable, Iterable

from .execute import ExecutedChapter
from .execute.result import ConstantUse, Lineage, LiteralUse

PER_CELL = "per-cell provenance: the engine did not trace this value (every constant of its cells counted)"


@dataclass(frozen=True)
class LiteralEntry:
    """A hand-typed literal a value rests on, where it is typed (an included file's own line)."""

    file: str
    line: int
    cell: str
    text: str

    def __str__(self) -> str:
        return f"cell {self.cell}:{self.line}: {self.text}"


@dataclass(frozen=True)
class LedgerEntry:
    """One inline value and its provenance."""

    file: str
    index: int  # the inline expression's index in its chapter
    line: int
    col: int
    expr: str
    text: str | None
    markdown: bool
    cell_label: str | None
    cell_line: int | None
    constants: tuple[ConstantUse, ...]
    formulas: tuple[str, ...] = ()
    literals: tuple[LiteralEntry, ...] = ()
    reasons: tuple[str, ...] = ()  # why the lineage is approximate (empty: it is exact)

    @property
    def approximate(self) -> bool:
        return bool(self.reasons)

    def to_json(self) -> dict[str, object]:
        # Built by hand: dataclasses.asdict deep-copies, and a book has thousands of entries.
        return {
            "file": self.file, "index": self.index, "line": self.line, "col": self.col, "expr": self.expr,
            "text": self.text, "markdown": self.markdown, "cell_label": self.cell_label, "cell_line": self.cell_line,
            "constants": [{"name": c.name, "value": c.value, "unit": c.unit, "source": c.source} for c in self.constants],
            "formulas": list(self.formulas),
            "literals": [{"file": l.file, "line": l.line, "cell": l.cell, "text": l.text} for l in self.literals],
            "approximate": self.approximate, "reasons": list(self.reasons),
        }

    @staticmethod
    def from_json(data: dict) -> "LedgerEntry":
        fields = dict(data)
        fields.pop("approximate", None)
        fields["constants"] = tuple(ConstantUse(**c) for c in data.get("constants", []))
        fields["formulas"] = tuple(data.get("formulas", []))
        fields["literals"] = tuple(LiteralEntry(**l) for l in data.get("literals", []))
        fields["reasons"] = tuple(data.get("reasons", []))
        return LedgerEntry(**fields)


def chapter_ledger(executed: ExecutedChapter) -> list[LedgerEntry]:
    """The entries of one executed chapter, in document order."""
    chapter = executed.chapter
    cells = {c.index: c for c in executed.cells}
    # Values of one cell's lineage share lines and literals: locate each line, and make each
    # literal (and each list of them) once. Shared entries are frozen, so sharing is not seen.
    locate = functools.lru_cache(maxsize=None)(chapter.locate)
    literals = _LiteralEntries(locate)
    entries = []
    for value in executed.values:
        inline = chapter.inlines[value.index]
        defining = max(value.cells) if value.cells else None
        cell = chapter.cells[defining] if defining is not None else None
        file, line = locate(inline.line)  # an included file's own line, when it came from one
        lineage = value.lineage
        if lineage is None:
            lineage = Lineage(_constants_behind(value.cells, cells), reasons=(PER_CELL,) if value.cells else ())
        entries.append(_unchecked_entry(
            file=file, index=inline.index, line=line, col=inline.col, expr=inline.expr, text=value.text,
            markdown=value.markdown, cell_label=cell.label if cell else None,
            cell_line=locate(cell.line)[1] if cell else None,
            constants=lineage.constants, formulas=lineage.formulas,
            literals=literals(lineage.literals), reasons=lineage.reasons,
        ))
    return entries


def _unchecked_entry(**fields: Any) -> LedgerEntry:
    """``LedgerEntry(**fields)``, given every field in order, without the frozen dataclass's ``__init__``
    (an ``object.__setattr__`` per field: a sixth of a big chapter's ledger). The same object, as the
    class has no ``__post_init__``; tests/test_ledger_speed.py checks that it stays so."""
    entry = object.__new__(LedgerEntry)
    vars(entry).update(fields)
    return entry


#: What makes two literal uses equal (their dataclass fields), as one tuple: hashed and compared in C.
_LITERAL_KEY = operator.attrgetter("cell", "line", "text")


class _LiteralEntries:
    """The :class:`LiteralEntry` tuple of a lineage's literals, each distinct one made once.

    Keyed by the uses' fields, not the uses (whose dataclass ``__hash__``/``__eq__`` run in Python)
    nor their ids (a chapter read from the cache has a fresh object per value).
    """

    def __init__(self, locate: Callable[[int], tuple[str, int]]) -> None:
        self.locate = locate
        self.tuples: dict[tuple, tuple[LiteralEntry, ...]] = {}
        self.entries: dict[tuple, LiteralEntry] = {}

    def __call__(self, uses: tuple[LiteralUse, ...]) -> tuple[LiteralEntry, ...]:
        if not uses:
            return ()
        key = tuple(map(_LITERAL_KEY, uses))
        found = self.tuples.get(key)
        if found is None:
            found = self.tuples[key] = tuple(map(self.entry, key))
        return found

    def entry(self, key: tuple[str, int, str]) -> LiteralEntry:
        found = self.entries.get(key)
        if found is None:
            cell, line, text = key
            found = self.entries[key] = LiteralEntry(*self.locate(line), cell, text)
        return found


def _constants_behind(start: Iterable[int], cells: dict) -> tuple[ConstantUse, ...]:
    """Constants of the given cells and, transitively, of the cells they read from."""
    seen: set[int] = set()
    pending = list(start)
    found: dict[str, ConstantUse] = {}
    while pending:
        index = pending.pop()
        if index in seen or index not in cells:
            continue
        seen.add(index)
        for constant in cells[index].constants:
            found.setdefault(constant.name, constant)
        pending.extend(cells[index].depends_on)
    return tuple(sorted(found.values(), key=lambda c: c.name))


def book_ledger(executed: Iterable[ExecutedChapter]) -> list[LedgerEntry]:
    """Every chapter's entries, in book order."""
    return [entry for chapter in executed for entry in chapter_ledger(chapter)]


def ledger_json(entries: list[LedgerEntry]) -> str:
    """``{"values": [...]}`` with one entry per line: readable in a diff. Each line is exactly
    ``json.dumps(entry.to_json(), ensure_ascii=False)``, written by :class:`_EntryLines` (``indent``
    would switch json to its pure-Python encoder, seconds for a big chapter)."""
    rows = ",\n".join(map(_EntryLines(), entries))
    return '{"values": [\n' + rows + "\n]}\n" if rows else '{"values": []}\n'


#: ``json.dumps(value, ensure_ascii=False)`` of anything :func:`json_value` does not write itself
#: (json.dumps would build a new encoder for each call).
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def json_value(value: object) -> str:
    """``json.dumps(value, ensure_ascii=False)``, faster: strings, ints, None and booleans as json's C
    encoder writes them in a container (the same function for strings, ``int.__repr__`` for ints),
    anything else (floats, subclasses, containers) by json itself."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    return _ENCODER.encode(value)


class _EntryLines:
    """Writes entries as ``json.dumps(entry.to_json(), ensure_ascii=False)`` does, by hand: the same
    keys in the same order, json's default separators (``", "``, ``": "``), each value by :func:`json_value`.

    Each list of an entry is written once per tuple object (the values of one lineage share them,
    see :func:`chapter_ledger`), memoized by id; the tuples are kept with their text so that no id
    is reused while this lives.
    """

    def __init__(self) -> None:
        self.lists: dict[int, tuple[tuple, str]] = {}

    def __call__(self, e: LedgerEntry) -> str:
        j, listed = json_value, self.list
        return (f'{{"file": {j(e.file)}, "index": {j(e.index)}, "line": {j(e.line)}, "col": {j(e.col)}, '
                f'"expr": {j(e.expr)}, "text": {j(e.text)}, "markdown": {j(e.markdown)}, '
                f'"cell_label": {j(e.cell_label)}, "cell_line": {j(e.cell_line)}, '
                f'"constants": {listed(e.constants, _constant_json)}, "formulas": {listed(e.formulas, j)}, '
                f'"literals": {listed(e.literals, _literal_json)}, "approximate": {j(e.approximate)}, '
                f'"reasons": {listed(e.reasons, j)}}}')

    def list(self, items: tuple, write: Callable[[Any], str]) -> str:
        found = self.lists.get(id(items))
        if found is None:
            found = self.lists[id(items)] = (items, "[" + ", ".join(map(write, items)) + "]")
        return found[1]


def _constant_json(c: ConstantUse) -> str:
    j = json_value
    return f'{{"name": {j(c.name)}, "value": {j(c.value)}, "unit": {j(c.unit)}, "source": {j(c.source)}}}'


def _literal_json(l: LiteralEntry) -> str:
    j = json_value
    return f'{{"file": {j(l.file)}, "line": {j(l.line)}, "cell": {j(l.cell)}, "text": {j(l.text)}}}'


#: The fields of an entry as :meth:`LedgerEntry.to_json` writes them.
ENTRY_FIELDS = {"file", "index", "line", "col", "expr", "text", "markdown", "cell_label", "cell_line", "constants",
                "formulas", "literals", "approximate", "reasons"}
LEDGER_HEAD, LEDGER_TAIL, EMPTY_LEDGER = '{"values": [\n', "\n]}\n", '{"values": []}\n'


def ledger_rows(text: str) -> str:
    """The entry lines of a :func:`ledger_json` text ('' when it has none), checked to be one: its
    JSON read, each entry with exactly an entry's fields. ValueError when it is not."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("values"), list) or set(data) != {"values"}:
        raise ValueError("a ledger is {\"values\": [...]}")
    if not data["values"] and text == EMPTY_LEDGER:
        return ""
    if not (text.startswith(LEDGER_HEAD) and text.endswith(LEDGER_TAIL)) \
            or any(not isinstance(item, dict) or item.keys() != ENTRY_FIELDS for item in data["values"]):
        raise ValueError("not a ledger written by ledger_json")
    return text[len(LEDGER_HEAD):-len(LEDGER_TAIL)]


def joined_ledgers(texts: Iterable[str], *, checked: bool = False) -> str:
    """The ledger of several :func:`ledger_json` texts, in order, as :func:`ledger_json` writes the whole
    (their lines joined, not read into entries and written again). ValueError as :func:`ledger_rows`.
    ``checked``: each text is known to be one (made by :func:`ledger_json`, or read back with
    :func:`ledger_rows`), so it is not read again (a large chapter's takes a second)."""
    rows = [row for row in map(_rows_of_checked if checked else ledger_rows, texts) if row]
    return LEDGER_HEAD + ",\n".join(rows) + LEDGER_TAIL if rows else EMPTY_LEDGER


def _rows_of_checked(text: str) -> str:
    """The entry lines of a ledger text known to be one (see :func:`joined_ledgers`)."""
    return "" if text == EMPTY_LEDGER else text[len(LEDGER_HEAD):-len(LEDGER_TAIL)]


def load_ledger(text: str) -> list[LedgerEntry]:
    return [LedgerEntry.from_json(item) for item in json.loads(text)["values"]]


def constant_values(entries: list[LedgerEntry]) -> list[tuple[ConstantUse, list[LedgerEntry]]]:
    """Each constant the book's values rest on, with the entries (values) that rest on it, by name."""
    usage: dict[str, tuple[ConstantUse, list[LedgerEntry]]] = {}
    for entry in entries:
        for constant in entry.constants:
            usage.setdefault(constant.name, (constant, []))[1].append(entry)
    return [usage[name] for name in sorted(usage)]


def lineage_text(entry: LedgerEntry) -> str:
    """The constants, formulas and literals of one value, on one line (``-``: nothing)."""
    parts = [c.name for c in entry.constants] + [f"{f}()" for f in entry.formulas] + [str(l) for l in entry.literals]
    return ", ".join(parts) + (" (approximate)" if entry.approximate else "") if parts or entry.approximate else "-"


def format_table(entries: list[LedgerEntry], width: int = 38) -> str:
    """A plain-text table: location, expression, text, defining cell, constants."""
    def clip(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= width else text[: width - 1] + "…"

    rows = [("where", "expression", "value", "cell", "lineage")]
    for e in entries:
        cell = f"{e.cell_label or '?'}:{e.cell_line}" if e.cell_line else "-"
        rows.append((f"{e.file}:{e.line}:{e.col}", clip(e.expr), clip(e.text if e.text is not None else "(failed)"),
                     cell, lineage_text(e)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4] for row in rows]
    lines.insert(1, "-" * min(160, max(len(line) for line in lines)))
    return "\n".join(lines) + "\n"
