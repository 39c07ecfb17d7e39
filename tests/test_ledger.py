"""The value ledger, `values`, `diff-values` and the assumptions appendix."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bookbuild.check import check_book
from bookbuild.cli import main
from bookbuild.ledger import book_ledger
from bookbuild.project import load_book
from bookbuild.valuediff import diff_revisions
from conftest import FIXTURE, REPO, build_site


def test_fixture_ledger_traces_every_value():
    result = check_book(load_book(FIXTURE), ["ml_systems"])
    entries = book_ledger(result.executed)
    chapter = result.executed[0].chapter
    assert len(entries) == len(chapter.inlines)
    assert all(e.text is not None and e.cell_label and e.cell_line for e in entries)
    assert all(c.source.strip() and c.value for e in entries for c in e.constants)
    by_expr = {e.expr: e for e in entries}
    light = by_expr["sol_kms_str"]
    assert (light.text, light.cell_label, light.cell_line) == ("200,000", "distance-penalty", 1200)
    assert [c.name for c in light.constants] == ["SPEED_OF_LIGHT_FIBER_KM_S"]
    # Only the constant the value is computed from, not every constant its cell touched.
    assert [c.name for c in by_expr["a100_tflops_str"].constants] == ["A100_FLOPS_FP16_TENSOR"]
    # A value computed from an earlier cell's result carries that cell's constants too.
    mobile = {c.name for c in by_expr["inference_speed_x_str"].constants}
    assert "A100_MEM_BW" in mobile and "MOBILE_NPU_MEM_BW" in mobile


def test_values_command_text_and_json():
    out, err = io.StringIO(), io.StringIO()
    assert main(["values", "--project", str(REPO), "bandwidth"], out=out, err=err) == 0
    table = out.getvalue()
    assert table.splitlines()[0].split() == ["where", "expression", "value", "cell", "lineage"]
    assert any(line.startswith("book/bandwidth.qmd:") and "peak_tflops_str" in line and "A100_FLOPS_FP16_TENSOR" in line
               for line in table.splitlines())
    out = io.StringIO()
    assert main(["values", "--project", str(REPO), "--format", "json"], out=out, err=err) == 0
    values = json.loads(out.getvalue())["values"]
    assert {v["expr"] for v in values} >= {"peak_tflops_str", "memory_ms_str"}


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def commit_library_edit(fixture_copy: Path, old: str, new: str, message: str) -> None:
    """Give the fixture copy this repository's library in a git repository, then commit one edit of
    ``mlsys/constants.py`` (``old``, found exactly once, becomes ``new``)."""
    shutil.copytree(REPO / "mlsys", fixture_copy / "mlsys", ignore=shutil.ignore_patterns("__pycache__"))
    git("init", "-q", cwd=fixture_copy)
    git("add", "-A", cwd=fixture_copy)
    git("commit", "-qm", "before", cwd=fixture_copy)
    constants = fixture_copy / "mlsys" / "constants.py"
    text = constants.read_text()
    assert text.count(old) == 1
    constants.write_text(text.replace(old, new))
    git("commit", "-qam", message, cwd=fixture_copy)


def test_diff_values_lists_exactly_the_values_behind_a_changed_constant(fixture_copy):
    commit_library_edit(fixture_copy, 'Q_(200_000, "km/s")', 'Q_(204_000, "km/s")', "faster light")

    changes = diff_revisions(fixture_copy, "HEAD~1", "HEAD", log=io.StringIO())
    assert changes, "a changed constant must change some value"
    dependent = {e.expr for e in book_ledger(check_book(load_book(fixture_copy), ["ml_systems"]).executed)
                 if any(c.name == "SPEED_OF_LIGHT_FIBER_KM_S" for c in e.constants)}
    assert {c.expr for c in changes} <= dependent
    by_expr = {c.expr: c for c in changes}
    assert (by_expr["sol_kms_str"].before.text, by_expr["sol_kms_str"].after.text) == ("200,000", "204,000")
    for change in changes:
        assert change.changed_constants == ["SPEED_OF_LIGHT_FIBER_KM_S: 200,000 km / s → 204,000 km / s"]

    out = io.StringIO()
    assert main(["diff-values", "HEAD~1", "HEAD", "--project", str(fixture_copy)], out=out, err=io.StringIO()) == 0
    report = out.getvalue()
    assert f"{len(changes)} inline values differ between HEAD~1 and HEAD" in report
    assert "ml_systems.qmd:1238:" in report and "`sol_kms_str` '200,000' → '204,000'" in report
    assert "because SPEED_OF_LIGHT_FIBER_KM_S: 200,000 km / s → 204,000 km / s" in report


def test_assumptions_appendix_in_the_site(tmp_path):
    status, stdout, _ = build_site(REPO, tmp_path / "site")
    assert status == 0, stdout
    page = (tmp_path / "site" / "assumptions.html").read_text(encoding="utf-8")
    assert "<code>A100_MEM_BW</code>" in page and "HBM2e bandwidth 2,039 GB/s" in page
    assert '<a href="book/bandwidth.html#sec-bandwidth" class="quarto-xref">Chapter&nbsp;1</a>' in page
    landing = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="assumptions.html"' in landing
    ledger = json.loads((tmp_path / "site" / "values.json").read_text(encoding="utf-8"))["values"]
    assert {v["expr"] for v in ledger} >= {"peak_tflops_str", "memory_ms_str"}


def test_ledgers_known_to_be_ledgers_join_as_checked_ones_do():
    from bookbuild.ledger import EMPTY_LEDGER, LedgerEntry, joined_ledgers, ledger_json

    def entry(index: int, text: str) -> LedgerEntry:
        return LedgerEntry(file="ch.qmd", index=index, line=3, col=1, expr="x", text=text, markdown=False,
                           cell_label="c", cell_line=1, constants=())

    texts = [ledger_json([entry(0, "1"), entry(1, "é")]), EMPTY_LEDGER, ledger_json([entry(0, "</x>")])]
    assert joined_ledgers(texts, checked=True) == joined_ledgers(texts)
    assert joined_ledgers([EMPTY_LEDGER], checked=True) == EMPTY_LEDGER
    with pytest.raises(ValueError):
        joined_ledgers(['{"values": [1]}\n'])  # unless known, a text is read and checked
