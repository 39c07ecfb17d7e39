"""Lineage per value: the exact constants, formulas and hand-typed literals behind each inline value."""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import pytest

from bookbuild.check import check_book
from bookbuild.cli import main
from bookbuild.diagnostics import ConfigError
from bookbuild.ledger import book_ledger
from bookbuild.project import load_book
from bookbuild.valuediff import diff_revisions
from conftest import FIXTURE, build_site
from test_ledger import commit_library_edit, git

SETUP = "ml-systems-setup"


@pytest.fixture(scope="module")
def fixture_ledger():
    """The fixture's entries, each expression's first occurrence (read from the real chapter run)."""
    entries = book_ledger(check_book(load_book(FIXTURE), ["ml_systems"]).executed)
    first: dict[str, object] = {}
    for entry in entries:
        first.setdefault(entry.expr, entry)
    return first


def lit(cell: str, line: int, text: str) -> str:
    return f"cell {cell}:{line}: {text}"


# Written by hand from the fixture's cells (line numbers are the .qmd's):
# (constants, formulas, literals, approximate)
EXPECTED = {
    # Typed in a P.I.C.O. class, exported through `X.name`: a literal, no constant at all.
    "cloud_latency_range_str": ((), (), (lit(SETUP, 104, '"100-500"'),), False),
    # A twin's field (h_phone.memory_bw is MOBILE_NPU_MEM_BW) in an f-string; `/2` is structure.
    "mobile_bw_range_str": (("MOBILE_NPU_MEM_BW",), (), (), False),
    # Class-body arithmetic with a twin field and a library conversion factor; PFLOPs is a unit.
    "gpt3_petaflop_days_str": (("GPT3_TRAINING_FLOPs", "SEC_PER_DAY"), (), (), False),
    # An integer typed in a class, formatted: `precision=0, commas=True` are formatting.
    "gpt3_v100_count_str": ((), (), (lit(SETUP, 114, "10000"),), False),
    # f"{fps_start}" in another class of the same cell.
    "fps_start_str": ((), (), (lit(SETUP, 153, "60"),), False),
    # A 1 assigned on its own is an assumption, not structure.
    "duration_min_str": ((), (), (lit(SETUP, 155, "1"),), False),
    # (distance_km * 2) / SPEED_OF_LIGHT_FIBER_KM_S: the doubling is structure, 3600 km is typed.
    "min_latency_str": (("SPEED_OF_LIGHT_FIBER_KM_S",), (), (lit("light-barrier-calc", 409, "3600"),), False),
    "distance_str": ((), (), (lit("light-barrier-calc", 409, "3600"),), False),
    # Integer division of two literals in a class body (jetson_cost // coral_cost).
    "cost_ratio_str": ((), (), (lit("edge-sizing", 1900, "150"), lit("edge-sizing", 1901, "600")), False),
    # Two twins' fields divided.
    "power_ratio_str": (("CORAL_POWER", "JETSON_ORIN_NX_POWER"), (), (), False),
    "et_energy_ratio_str": ((), (), (lit("energy-transmission-calc", 548, "1.0"), lit("energy-transmission-calc", 549, "100.0"),
                                     lit("energy-transmission-calc", 550, "0.1")), False),
    # A twin's method (size_in_bytes reads self.parameters) with a typed 4 bytes per parameter.
    "resnet_fp32_mb_str": (("RESNET50_PARAMS",), ("mlsys.twins.specs.ModelSpec.size_in_bytes",),
                           (lit("lighthouse-setup", 679, "4"),), False),
    # Module-level code: only the constant the value reads, not the cell's others (A100_MEM_BW).
    "a100_tflops_str": (("A100_FLOPS_FP16_TENSOR",), (), (), False),
    # Module-level constant formatted in an f-string with a format spec.
    "sol_kms_str": (("SPEED_OF_LIGHT_FIBER_KM_S",), (), (), False),
    # A formula credited with the constant it reads (its default speed), and its typed argument.
    "rtt_formatted_str": (("SPEED_OF_LIGHT_FIBER_KM_S",), ("mlsys.formulas.calc_network_latency_ms",),
                          (lit("distance-penalty", 1219, "1500"),), False),
    "deficit_str": (("SPEED_OF_LIGHT_FIBER_KM_S",), ("mlsys.formulas.calc_network_latency_ms",),
                    (lit("distance-penalty", 1219, "1500"), lit("distance-penalty", 1220, "10")), False),
    # calc_fleet_tco reads HOURS_PER_YEAR itself; coral.tdp is CORAL_POWER; `/ 1000` is typed.
    "coral_tco_k_str": (("CLOUD_ELECTRICITY_PER_KWH", "CORAL_POWER", "HOURS_PER_YEAR"), ("mlsys.formulas.calc_fleet_tco",),
                        (lit("edge-sizing", 1889, "500"), lit("edge-sizing", 1900, "150"), lit("edge-sizing", 1903, "3"),
                         lit("edge-sizing", 1941, "1000")), False),
    # `x if model.inference_flops else y`: the test is read from the twin, one branch counts.
    "yolo_gflops_str": (("YOLOV8_NANO_FLOPs",), (), (), False),
    # An element of a formula's result dict: every input of the formula, flagged approximate.
    "cloud_ratio_x_str": (("A100_FLOPS_FP16_TENSOR", "A100_MEM_BW", "RESNET50_FLOPs", "RESNET50_PARAMS"),
                          ("mlsys.formulas.calc_bottleneck",), (), True),
    # Battery tax: a twin's field over a constant, times a typed 100.
    "budget_pct_str": (("OBJECT_DETECTOR_POWER_W", "PHONE_BATTERY_WH"), (), (lit("battery-tax", 2176, "100"),), False),
    "hours_per_year_str": (("HOURS_PER_YEAR",), (), (), False),
}


@pytest.mark.parametrize("expr", sorted(EXPECTED))
def test_fixture_value_lineage_is_exact(fixture_ledger, expr):
    entry = fixture_ledger[expr]
    constants, formulas, literals, approximate = EXPECTED[expr]
    assert tuple(c.name for c in entry.constants) == constants
    assert entry.formulas == formulas
    assert tuple(str(l) for l in entry.literals) == literals
    assert entry.approximate is approximate
    assert all(c.source.strip() for c in entry.constants)


def test_values_command_names_the_literal_and_no_constant_for_cloud_latency():
    out = io.StringIO()
    assert main(["values", "--project", str(FIXTURE), "ml_systems"], out=out, err=io.StringIO()) == 0
    row = next(line for line in out.getvalue().splitlines() if " cloud_latency_range_str " in line)
    assert row.rstrip().endswith('ml-systems-setup:59             cell ml-systems-setup:104: "100-500"')
    out = io.StringIO()
    assert main(["values", "--project", str(FIXTURE), "--format", "json", "ml_systems"], out=out, err=io.StringIO()) == 0
    value = next(v for v in json.loads(out.getvalue())["values"] if v["expr"] == "cloud_latency_range_str")
    assert value["constants"] == [] and value["formulas"] == [] and value["approximate"] is False
    (literal,) = value["literals"]
    assert Path(literal.pop("file")).resolve() == (FIXTURE / "ml_systems.qmd").resolve()  # as the command names it
    assert literal == {"line": 104, "cell": SETUP, "text": '"100-500"'}


def test_diff_values_after_editing_one_constant_lists_exactly_the_values_it_changes(fixture_copy):
    commit_library_edit(fixture_copy, '"PHONE_BATTERY_WH", Q_(15, "Wh")', '"PHONE_BATTERY_WH", Q_(18, "Wh")', "bigger battery")

    changes = diff_revisions(fixture_copy, "HEAD~1", "HEAD", log=io.StringIO())
    # By hand: the phone's battery as typed in prose, the battery-tax figures built on it; the
    # share of the budget is 100% whatever the battery holds, so it rests on it and does not change.
    changed = [(c.expr, c.after.line, c.before.text, c.after.text) for c in changes]
    assert changed == [
        ("batt_wh_str", 2195, "15", "18"),
        ("runtime_frac", 2199, "$\\frac{\\text{15 Wh}}{\\text{2 W}}$ = **7.5 hours**",
         "$\\frac{\\text{18 Wh}}{\\text{2 W}}$ = **9.0 hours**"),
        ("phone_battery_str", 2253, "15", "18"),
        ("phone_battery_str", 3155, "15", "18"),
    ]
    for change in changes:
        assert change.changed_constants == ["PHONE_BATTERY_WH: 15 Wh → 18 Wh"]
    # The lineage predicted exactly these, and one more whose arithmetic cancels the battery out.
    after = book_ledger(check_book(load_book(fixture_copy), ["ml_systems"]).executed)
    resting = [(e.expr, e.line) for e in after if "PHONE_BATTERY_WH" in {c.name for c in e.constants}]
    assert sorted(resting) == sorted([(expr, line) for expr, line, _, _ in changed] + [("budget_pct_str", 2200)])
    out = io.StringIO()
    assert main(["diff-values", "HEAD~1", "HEAD", "--project", str(fixture_copy)], out=out, err=io.StringIO()) == 0
    assert out.getvalue().count("    because PHONE_BATTERY_WH: 15 Wh → 18 Wh\n") == 4


LIBRARY = '''\
"""A tiny library that speaks the provenance protocol (not mlsys: the engine knows none by name)."""
RATE = 2.5
SECONDS = 3600
_SOURCES = {"RATE": "Datasheet of the widget, table 2", "SECONDS": "Definition: one hour"}


def __provenance__(name):
    if name in _SOURCES:
        return [{"name": name, "value": str(globals()[name]), "unit": "", "source": _SOURCES[name]}]
    return None
'''

CHAPTER = """\
# Widgets {#sec-widgets}

```{python}
#| label: widgets
from widgetlib import RATE, SECONDS
sourced_str = f"{RATE * SECONDS:,.0f}"
typed = 3600 * 2.5
typed_str = f"{typed:,.0f}"
```

Sourced: `{python} sourced_str`. Typed: `{python} typed_str`.
"""


def literal_book(tmp_path: Path, config: str = "") -> Path:
    root = tmp_path / "widgets"
    root.mkdir()
    (root / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  title: W\n  chapters:\n    - widgets.qmd\n" + config)
    (root / "widgets.qmd").write_text(CHAPTER)
    (root / "widgetlib.py").write_text(LIBRARY)
    return root


def run_check(root: Path, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(["check", "--project", str(root), *extra], out=out, err=io.StringIO())
    return status, out.getvalue()


def test_strict_literals_warns_at_a_hand_typed_literal_and_not_at_a_sourced_value(tmp_path):
    root = literal_book(tmp_path)
    status, report = run_check(root)
    assert status == 0 and "unsourced-literal" not in report  # off unless asked for
    status, report = run_check(root, "--strict-literals")
    assert status == 0
    warnings = [line for line in report.splitlines() if "unsourced-literal" in line]
    shown = str(root / "widgets.qmd")
    assert warnings == [
        f"{shown}:7:1: warning[unsourced-literal]: `typed_str` rests on the literal 2.5, typed by hand with no source (cell widgets)",
        f"{shown}:7:1: warning[unsourced-literal]: `typed_str` rests on the literal 3600, typed by hand with no source (cell widgets)",
    ]
    assert "sourced_str" not in "\n".join(warnings)
    assert run_check(root, "--strict-literals", "--strict")[0] == 1


def test_strict_literals_config_key(tmp_path):
    root = literal_book(tmp_path, "bookbuild:\n  strict-literals: true\n")
    status, report = run_check(root)
    assert report.count("warning[unsourced-literal]") == 2 and "config-unsupported" not in report
    (root / "_quarto.yml").write_text((root / "_quarto.yml").read_text().replace("true", "sometimes"))
    with pytest.raises(ConfigError) as caught:
        check_book(load_book(root))
    problem = caught.value.diagnostic
    assert (Path(problem.file), problem.line, problem.message) == (
        root / "_quarto.yml", 8, "'bookbuild: strict-literals:' must be true or false, not 'sometimes'")


def test_hover_and_appendix_show_the_exact_lineage(tmp_path):
    root = literal_book(tmp_path, "bookbuild:\n  assumptions-appendix: true\n")
    status, stdout, stderr = build_site(root, tmp_path / "site")
    assert status == 0, stdout + stderr
    page = (tmp_path / "site" / "widgets.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="value-provenance">(.*?)</script>', page, re.S).group(1))
    sourced, typed = data["0"], data["1"]
    assert [c["name"] for c in sourced["constants"]] == ["RATE", "SECONDS"] and sourced["literals"] == []
    assert typed["constants"] == [] and typed["literals"] == ["cell widgets:7: 2.5", "cell widgets:7: 3600"]
    assert typed["approximate"] == []
    appendix = (tmp_path / "site" / "assumptions.html").read_text(encoding="utf-8")
    row = next(r for r in appendix.split("<tr")[1:] if "<code>RATE</code>" in r)
    assert "<code>sourced_str</code>" in row and "typed_str" not in row


def test_lineage_follows_cells_functions_and_containers(tmp_path):
    """Across cells, through a cell's own function and a literal dict; a run-time test is approximate."""
    root = literal_book(tmp_path)
    (root / "widgets.qmd").write_text(textwrap.dedent("""\
        # Widgets

        ```{python}
        from widgetlib import RATE, SECONDS
        def per_hour(rate, hours=1):
            return rate * SECONDS * hours
        table = {"rate": RATE, "typed": 42}
        ```

        ```{python}
        from_function_str = f"{per_hour(table['rate']):.0f}"
        from_dict_str = str(table["typed"])
        import random
        either_str = str(RATE if random.random() < 2 else 7)
        items = []
        items.append(SECONDS)
        appended_str = str(sum(items))
        class Meter:
            def __init__(self, rate):
                self.rate = rate
            def hourly(self, hours):
                return hours * SECONDS * self.rate
        method_str = str(Meter(RATE).hourly(hours=3))
        ```

        `{python} from_function_str` `{python} from_dict_str` `{python} either_str`
        `{python} appended_str` `{python} method_str`
        """))
    entries = {e.expr: e for e in book_ledger(check_book(load_book(root)).executed)}
    function = entries["from_function_str"]
    assert [c.name for c in function.constants] == ["RATE", "SECONDS"]
    assert [str(l) for l in function.literals] == ["cell #1:5: 1"]  # the default, in the cell that typed it
    assert not function.approximate
    assert [str(l) for l in entries["from_dict_str"].literals] == ["cell #1:7: 42"]
    assert entries["from_dict_str"].constants == ()
    either = entries["either_str"]
    assert [c.name for c in either.constants] == ["RATE"] and [str(l) for l in either.literals] == ["cell #2:14: 7"]
    assert either.approximate
    appended = entries["appended_str"]  # a list fed by append()
    assert [c.name for c in appended.constants] == ["SECONDS"] and not appended.approximate
    method = entries["method_str"]  # a method of a cell's class, `self` bound: the class as a whole, flagged
    assert [c.name for c in method.constants] == ["RATE", "SECONDS"] and [str(l) for l in method.literals] == ["cell #2:23: 3"]
    assert method.reasons == ("an instance of a cell's class: credited with the whole class",)


def test_a_name_bound_by_exec_is_marked_approximate_not_guessed(tmp_path):
    root = literal_book(tmp_path)
    (root / "widgets.qmd").write_text('# W\n\n```{python}\nexec("hidden_str = \'5\'")\n```\n\n`{python} hidden_str`\n')
    entries = book_ledger(check_book(load_book(root)).executed)
    assert [(e.text, e.constants, e.literals) for e in entries] == [("5", (), ())]
    assert entries[0].reasons == ("names bound by code the analysis does not follow (exec, globals(), setattr, del)",)


def test_diff_values_names_the_edited_literal_behind_a_value(fixture_copy):
    git("init", "-q", cwd=fixture_copy)
    git("add", "-A", cwd=fixture_copy)
    git("commit", "-qm", "before", cwd=fixture_copy)
    chapter = fixture_copy / "ml_systems.qmd"
    text = chapter.read_text(encoding="utf-8")
    assert text.count('cloud_latency_range = "100-500"') == 1
    chapter.write_text(text.replace('cloud_latency_range = "100-500"', 'cloud_latency_range = "100-600"'), encoding="utf-8")
    git("commit", "-qam", "slower cloud", cwd=fixture_copy)
    out = io.StringIO()
    assert main(["diff-values", "HEAD~1", "HEAD", "--project", str(fixture_copy)], out=out, err=io.StringIO()) == 0
    assert out.getvalue().splitlines() == [
        "1 inline value differs between HEAD~1 and HEAD:",
        "ml_systems.qmd:366:33: `cloud_latency_range_str` '100-500' → '100-600'",
        '    because cell ml-systems-setup:104: "100-600" (typed in the cell)',
    ]
