"""The ledger's fast paths write exactly what the straightforward code writes.

``ledger_json`` and ``site.provenance_script`` write JSON by hand (with lists memoized per tuple),
and ``chapter_ledger`` shares literal entries between values: each is checked here against the
plain ``json.dumps`` / dataclass construction it replaces, so the equivalence is tested, not assumed.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math

import pytest

from bookbuild.check import check_book
from bookbuild.execute.result import ConstantUse, Lineage, LiteralUse
from bookbuild.ledger import (PER_CELL, LedgerEntry, LiteralEntry, _constants_behind, _unchecked_entry, chapter_ledger,
                              json_value, ledger_json, load_ledger)
from bookbuild.project import load_book
from bookbuild.render import site
from conftest import FIXTURE


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    pass


AWKWARD_STRINGS = ["", "plain", "naïve café – 10 µs", "日本語", 'say "hi"', "back\\slash", "\\u0041",
                   "tab\there", "new\nline", "\x00\x1f\x7f", "\u2028\u2029", "emoji 🚀", "</script>", "<\\/",
                   "\ud800 lone surrogate"]
AWKWARD_VALUES = [*AWKWARD_STRINGS, 0, -1, 7, 2**70, -(2**70), True, False, None, 0.1, -0.0, 1e300, 1e-300,
                  3.0, math.nan, math.inf, -math.inf, Level.HIGH, Text('sub "class"'), [1, "a", None],
                  {"k": [1.5, "é"]}, (1, 2)]


@pytest.mark.parametrize("value", AWKWARD_VALUES, ids=repr)
def test_json_value_is_json_dumps(value):
    assert json_value(value) == json.dumps(value, ensure_ascii=False)


def test_json_value_refuses_what_json_refuses():
    with pytest.raises(TypeError):
        json_value(object())


def _constant(name: str, value: object, unit: object = "", source: object = "a source") -> ConstantUse:
    return ConstantUse(name, value, unit, source)  # type: ignore[arg-type]  # values beyond str on purpose


def awkward_entries() -> list[LedgerEntry]:
    """Entries with every kind of field value, some sharing their tuples (as one lineage's values do)."""
    constants = (_constant("A100_FLOPS", "312", "TFLOP/s", 'NVIDIA A100 datasheet, "Table 1"'),
                 _constant("RATIO", 0.1, "", "by hand\\derived"), _constant("COUNT", 42, "µs", "naïve"),
                 _constant("MISSING", None, None, None), _constant("BIG", 1e300, "km/s", "</script>"),
                 _constant("NAN", math.nan, "—", "x"), _constant("INF", -math.inf, "", ""))
    literals = (LiteralEntry("book/ch.qmd", 12, "setup", '"100-500"'), LiteralEntry("parts/é.qmd", 3, "#2", "3600"),
                LiteralEntry("book/ch.qmd", 13, 'cell "q"', "0.5\\n"))
    entries = []
    for index, text in enumerate(AWKWARD_STRINGS):
        entries.append(LedgerEntry(
            file="book/ch.qmd" if index % 2 else "parts/日本.qmd", index=index, line=index + 1, col=index % 5 + 1,
            expr=f'fmt(x["{text}"])' if index % 3 else text, text=None if index % 4 == 0 else text,
            markdown=index % 2 == 0, cell_label=None if index % 5 == 0 else f"cell-{text}",
            cell_line=None if index % 5 == 0 else 100 + index,
            constants=constants if index % 2 else constants[index % len(constants):],
            formulas=("mlsys.formulas.ratio", f"mod.{text}") if index % 3 == 0 else (),
            literals=literals if index % 2 else tuple(literals[: index % 4]),
            reasons=(PER_CELL, text) if index % 3 == 1 else (),
        ))
    entries.append(dataclasses.replace(entries[3], index=3, expr="again: a second value of index 3"))
    # Beyond the declared types on purpose: json's own writing of them must be kept.
    entries.append(dataclasses.replace(entries[1], index=Level.HIGH, line=True, col=2.5))
    return entries


def plain_ledger_json(entries: list[LedgerEntry]) -> str:
    """What ledger_json wrote before it was written by hand."""
    rows = ",\n".join(json.dumps(e.to_json(), ensure_ascii=False) for e in entries)
    return '{"values": [\n' + rows + "\n]}\n" if rows else '{"values": []}\n'


def plain_provenance_script(entries: list[LedgerEntry]) -> str:
    """What site.provenance_script wrote before it was written by hand."""
    data = {}
    for entry in entries:
        data[str(entry.index)] = {
            "expr": entry.expr, "cell": entry.cell_label, "line": entry.cell_line,
            "constants": [{"name": c.name, "value": c.value, "unit": c.unit, "source": c.source} for c in entry.constants],
            "formulas": list(entry.formulas), "literals": [str(literal) for literal in entry.literals],
            "approximate": list(entry.reasons),
        }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f'\n<script type="application/json" id="value-provenance">{text}</script>\n'


def test_ledger_json_lines_are_json_dumps_of_each_entry():
    entries = awkward_entries()
    text = ledger_json(entries)
    lines = text.split("\n")
    assert lines[0] == '{"values": [' and lines[-2:] == ["]}", ""]
    assert lines[1:-2] == [json.dumps(e.to_json(), ensure_ascii=False) + ("," if i < len(entries) - 1 else "")
                           for i, e in enumerate(entries)]
    assert text == plain_ledger_json(entries)
    assert ledger_json([]) == plain_ledger_json([]) == '{"values": []}\n'


def test_ledger_json_of_entries_read_back_is_the_text_again():
    entries = awkward_entries()[:-1]  # (the last one's odd types do not survive JSON)
    text = ledger_json(entries)
    again = load_ledger(text)  # fresh tuples for every entry: nothing shared
    assert ledger_json(again) == text == plain_ledger_json(again)


def test_provenance_script_is_json_dumps_of_the_entries():
    entries = awkward_entries()
    assert site.provenance_script(entries) == plain_provenance_script(entries)
    assert site.provenance_script([]) == plain_provenance_script([])
    assert "</" not in site.provenance_script(entries).split(">", 1)[1].rsplit("<", 1)[0]


def plain_chapter_ledger(executed) -> list[LedgerEntry]:
    """What chapter_ledger made before it shared literals and located each line once."""
    chapter = executed.chapter
    cells = {c.index: c for c in executed.cells}
    entries = []
    for value in executed.values:
        inline = chapter.inlines[value.index]
        defining = max(value.cells) if value.cells else None
        cell = chapter.cells[defining] if defining is not None else None
        file, line = chapter.locate(inline.line)
        lineage = value.lineage
        if lineage is None:
            lineage = Lineage(_constants_behind(value.cells, cells), reasons=(PER_CELL,) if value.cells else ())
        entries.append(LedgerEntry(
            file=file, index=inline.index, line=line, col=inline.col, expr=inline.expr, text=value.text,
            markdown=value.markdown, cell_label=cell.label if cell else None,
            cell_line=chapter.locate(cell.line)[1] if cell else None,
            constants=lineage.constants, formulas=lineage.formulas,
            literals=tuple(LiteralEntry(*chapter.locate(l.line), l.cell, l.text) for l in lineage.literals),
            reasons=lineage.reasons,
        ))
    return entries


def assert_same_ledger(executed) -> None:
    fast, plain = chapter_ledger(executed), plain_chapter_ledger(executed)
    assert fast == plain
    assert [vars(e) for e in fast] == [vars(e) for e in plain]
    assert [list(vars(e)) for e in fast] == [list(vars(e)) for e in plain]  # the same attributes, in the same order
    assert repr(fast) == repr(plain)
    assert ledger_json(fast) == plain_ledger_json(plain)
    assert site.provenance_script(fast) == plain_provenance_script(plain)


def test_fixture_chapter_ledger_is_the_plain_one():
    result = check_book(load_book(FIXTURE))
    assert any(chapter.values for chapter in result.executed)
    for executed in result.executed:
        assert_same_ledger(executed)


INCLUDED = """\
```{python}
#| label: typed
rate = 3600 * 2.5
rate_str = f"{rate:,.0f}"
other_str = f"{rate * 2:,.0f}"
```

Rate: `{python} rate_str`, twice: `{python} other_str`.
"""


def test_chapter_ledger_with_an_included_file_is_the_plain_one(book_factory):
    root = book_factory({"index.qmd": "# Intro\n\n```{python}\nbase = 7\n```\n\n{{< include _part.qmd >}}\n\n"
                                      "Base: `{python} base`, rate again: `{python} rate_str`.\n"})
    (root / "_part.qmd").write_text(INCLUDED, encoding="utf-8")
    (executed,) = check_book(load_book(root)).executed
    entries = chapter_ledger(executed)
    assert any(e.literals and e.literals[0].file.endswith("_part.qmd") for e in entries)
    first, second = [e for e in entries if e.expr == "rate_str"]
    assert first.literals and first.literals is second.literals  # made once: ledger_json writes them once
    assert_same_ledger(executed)


def test_unchecked_entry_is_the_dataclass_one():
    # _unchecked_entry skips LedgerEntry.__init__: right only while there is nothing else it would do.
    assert not hasattr(LedgerEntry, "__post_init__")
    entry = awkward_entries()[1]
    fields = {f.name: getattr(entry, f.name) for f in dataclasses.fields(LedgerEntry)}
    made = _unchecked_entry(**fields)
    assert type(made) is LedgerEntry and made == entry and hash(made) == hash(entry) and repr(made) == repr(entry)
    assert list(vars(made).items()) == list(vars(LedgerEntry(**fields)).items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.text = "changed"  # type: ignore[misc]


def test_literal_key_is_every_field_of_a_literal_use():
    # chapter_ledger shares the entries of literal uses with equal (cell, line, text): all that makes them equal.
    assert [f.name for f in dataclasses.fields(LiteralUse)] == ["cell", "line", "text"]
