"""`bookbuild check` on the acceptance fixture, and on copies of it with one thing broken.

Each mutation asserts the diagnostic's code and the exact .qmd line (and column
for inline expressions), as an author would need to find it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from bookbuild.cli import main
from conftest import FIXTURE, FIXTURE_CHAPTER, replace_once


def run_check(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["check", *args], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def check_json(project: Path, *extra: str) -> tuple[int, list[dict]]:
    status, out, _ = run_check("--project", str(project), "--format", "json", *extra)
    return status, json.loads(out)["diagnostics"]


def find(diagnostics: list[dict], code: str) -> list[dict]:
    return [d for d in diagnostics if d["code"] == code]


def test_fixture_checks_clean_with_only_expected_warnings():
    status, diagnostics = check_json(FIXTURE)
    assert status == 0
    assert not [d for d in diagnostics if d["severity"] == "error"]
    assert {d["code"] for d in diagnostics} == {"xref-unresolved", "data-file-missing", "hand-number"}
    # Two results computed by hand inside worked examples (10 GFLOPs x 30 FPS, and a cost).
    assert [(d["line"], d["message"].split("'")[1]) for d in find(diagnostics, "hand-number")] == [
        (2818, "= 300 GFLOPs/s"), (2824, "= $50")]
    missing = find(diagnostics, "data-file-missing")
    assert [(d["line"], d["message"].split(" file ")[0]) for d in missing] == [(2, "quiz"), (3, "concepts"), (4, "glossary")]
    introduction = [d for d in find(diagnostics, "xref-unresolved") if "'@sec-introduction'" in d["message"]]
    assert (introduction[0]["line"], introduction[0]["col"]) == (191, 655)
    for d in diagnostics:
        assert d["file"].endswith(FIXTURE_CHAPTER) and d["severity"] == "warning"


def test_strict_turns_warnings_into_failure():
    status, out, _ = run_check("--project", str(FIXTURE), "--strict")
    assert status == 1
    assert "warning[xref-unresolved]" in out


def test_failing_check_is_reported_at_the_check_call(fixture_copy):
    chapter = fixture_copy / FIXTURE_CHAPTER
    replace_once(chapter, "    safety_budget_ms = 10\n", "    safety_budget_ms = 100\n")
    status, diagnostics = check_json(fixture_copy)
    assert status == 1
    (failed,) = find(diagnostics, "check-failed")
    assert failed["line"] == 416
    assert failed["cell"] == "light-barrier-calc"
    assert failed["message"].startswith("Physics allows cloud (36.0ms) within 100ms budget")


def test_exception_in_a_cell_names_the_qmd_line(fixture_copy):
    chapter = fixture_copy / FIXTURE_CHAPTER
    line = replace_once(chapter, "    divergence_ratio = compute_growth_annual / mem_bw_growth_annual\n",
                        "    divergence_ratio = compute_growth_annual / undefined_rate\n")
    status, out, _ = run_check("--project", str(fixture_copy))
    assert status == 1
    assert f"ml_systems.qmd:{line}:1: error[cell-error]: NameError: name 'undefined_rate' is not defined (cell memory-wall-calc)" in out
    assert f"ml_systems.qmd:{line} in MemoryWall:" in out


def test_syntax_error_in_a_cell(fixture_copy):
    chapter = fixture_copy / FIXTURE_CHAPTER
    line = replace_once(chapter, "    compute_growth_annual = 1.6 # 60% increase/year\n", "    compute_growth_annual = (1.6 +)\n")
    status, diagnostics = check_json(fixture_copy)
    assert status == 1
    (syntax,) = find(diagnostics, "cell-syntax")
    assert (syntax["line"], syntax["col"]) == (line, 35)
    assert syntax["message"] == "syntax error: invalid syntax"


def test_inline_expression_problems(fixture_copy):
    chapter = fixture_copy / FIXTURE_CHAPTER
    undefined = replace_once(chapter, "| **Cloud ML** | Data centers | `{python} cloud_latency_range_str` ms",
                             "| **Cloud ML** | Data centers | `{python} cloud_latency_rnage_str` ms")
    text = chapter.read_text(encoding="utf-8")
    # Append expressions after the last cell, where everything is defined.
    chapter.write_text(text + "\nRaise `{python} 1 / 0`. Float `{python} MemoryWall.divergence_ratio`. Empty `{python} ''`.\n",
                       encoding="utf-8")
    last = text.count("\n") + 2
    status, diagnostics = check_json(fixture_copy)
    assert status == 1
    (name,) = find(diagnostics, "inline-undefined")
    assert (name["line"], name["col"]) == (undefined, 33)
    assert "cloud_latency_rnage_str" in name["message"]
    (raised,) = find(diagnostics, "inline-error")
    assert (raised["line"], raised["col"]) == (last, 7)
    assert "ZeroDivisionError" in raised["message"]
    (not_text,) = find(diagnostics, "inline-not-text")
    assert (not_text["line"], not_text["col"]) == (last, 31)
    assert "float" in not_text["message"] and "fmt" in not_text["hint"]
    (empty,) = find(diagnostics, "inline-empty")
    assert (empty["line"], empty["severity"]) == (last, "warning")


def test_unclosed_fence_and_bad_front_matter(fixture_copy):
    chapter = fixture_copy / FIXTURE_CHAPTER
    replace_once(chapter, "quiz: ml_systems_quizzes.json\n", "quiz: [ml_systems_quizzes.json\n")
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text + "\n```{python}\nx = 1\n", encoding="utf-8")
    status, diagnostics = check_json(fixture_copy)
    assert status == 1
    (fence,) = find(diagnostics, "unclosed-fence")
    assert fence["line"] == text.count("\n") + 2
    (yaml_error,) = find(diagnostics, "yaml")
    assert yaml_error["line"] == 3 and yaml_error["message"].startswith("malformed YAML front matter")


def test_malformed_quarto_yml_is_a_config_error(fixture_copy):
    config = fixture_copy / "_quarto.yml"
    line = replace_once(config, "  chapters:\n", "  chapters: [\n")
    status, out, err = run_check("--project", str(fixture_copy))
    assert status == 2
    assert "_quarto.yml:" in err and "error[yaml]: malformed _quarto.yml" in err
    reported = int(err.split("_quarto.yml:")[1].split(":")[0])
    assert line <= reported <= line + 3


def test_missing_chapter_points_at_quarto_yml(fixture_copy):
    listed = replace_once(fixture_copy / "_quarto.yml", "    - ml_systems.qmd\n", "    - ml_systems.qmd\n    - gone.qmd\n")
    status, diagnostics = check_json(fixture_copy)
    assert status == 1
    (missing,) = find(diagnostics, "chapter-missing")
    assert missing["file"].endswith("_quarto.yml") and missing["line"] == listed + 1


def test_references_citations_images_and_duplicate_labels(fixture_copy):
    chapter = fixture_copy / FIXTURE_CHAPTER
    cite = replace_once(chapter, "The Memory Wall [@wulf1995memory]", "The Memory Wall [@wulf1995memroy]")
    image = replace_once(chapter, "](images/png/tiny_ml.png)", "](images/png/tiny_ml_gone.png)")
    duplicate = replace_once(chapter, "{#tbl-dam-phase}", "{#tbl-latency-numbers}")
    status, diagnostics = check_json(fixture_copy)
    assert status == 1
    (missing_cite,) = find(diagnostics, "citation-missing")
    assert missing_cite["line"] == cite and "wulf1995memroy" in missing_cite["message"]
    (missing_image,) = find(diagnostics, "image-missing")
    assert missing_image["line"] == image and "tiny_ml_gone.png" in missing_image["message"]
    (dup,) = find(diagnostics, "label-duplicate")
    assert dup["line"] == duplicate and dup["severity"] == "error"
    assert "already defined at" in dup["message"] and ":806" in dup["message"]


def test_chapter_time_limit_on_the_fixture(fixture_copy):
    chapter = fixture_copy / FIXTURE_CHAPTER
    replace_once(chapter, "start_chapter(\"vol1:ml_systems\")\n", "start_chapter(\"vol1:ml_systems\")\nimport time; time.sleep(60)\n")
    status, diagnostics = check_json(fixture_copy, "--timeout", "3")
    assert status == 1
    (timeout,) = find(diagnostics, "timeout")
    assert timeout["file"].endswith(FIXTURE_CHAPTER) and "3 s limit" in timeout["message"]


def test_bad_command_line_exits_2(capsys):
    try:
        main(["check", "--engine", "nope"])
    except SystemExit as exc:
        assert exc.code == 2
    else:  # pragma: no cover
        raise AssertionError("argparse should have exited")
    status, _, err = run_check("--project", str(FIXTURE), "no_such_chapter")
    assert status == 2 and "'no_such_chapter' is not a chapter" in err
