"""Quarto's own smoke tests: the expectations that pass keep passing.

../shared/quarto-conformance holds documents from Quarto's test suite, each carrying the
output Quarto must produce for it, and a runner that renders them with this engine.
tests/quarto-must-pass.txt lists the expectation IDs that pass now; this test renders only
the documents those IDs name (in one run of the runner, several at a time) and fails,
naming the IDs, when one of them no longer passes. `make conformance` measures the whole
suite; grow the list when a change makes more expectations pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE, REPO

SUITE = FIXTURE.parent / "quarto-conformance"
MUST_PASS = REPO / "tests" / "quarto-must-pass.txt"
pytestmark = pytest.mark.needs_fixture


def listed_ids(text: str) -> list[str]:
    """The IDs of a must-pass file: one a line, `#` starting a comment."""
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def suite_subset(ids: list[str], manifest: str) -> tuple[str, bool]:
    """The manifest rows of the documents the IDs name (their other rows dropped), and
    whether any ID is a PDF one (the run then needs --pdf)."""
    docs = {i.split("::", 1)[0] for i in ids}
    rows = [r for r in manifest.splitlines() if r.startswith("#") or (r.split("\t")[1:2] and r.split("\t")[1] in docs)]
    return "\n".join(rows) + "\n", any("::pdf::" in i for i in ids)


def test_must_pass_list_names_documents_of_the_suite():
    ids = listed_ids(MUST_PASS.read_text(encoding="utf-8"))
    assert ids, "the must-pass list is empty"
    manifest = (SUITE / "manifest.tsv").read_text(encoding="utf-8") if SUITE.is_dir() else ""
    if not manifest:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the conformance suite is missing: {SUITE}")
        pytest.skip(f"needs the conformance suite, absent here: {SUITE}")
    known = {r.split("\t")[1] for r in manifest.splitlines() if not r.startswith("#") and "\t" in r}
    assert sorted({i.split("::", 1)[0] for i in ids} - known) == []


def test_listed_expectations_still_pass(tmp_path: Path):
    if not (SUITE / "run.py").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the conformance suite is missing: {SUITE}")
        pytest.skip(f"needs the conformance suite, absent here: {SUITE}")
    # A copy of the runner beside a manifest of only the listed documents (the runner reads
    # its manifest and documents from its own folder; the documents are linked, not copied).
    ids = listed_ids(MUST_PASS.read_text(encoding="utf-8"))
    manifest, pdf = suite_subset(ids, (SUITE / "manifest.tsv").read_text(encoding="utf-8"))
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy2(SUITE / "run.py", suite / "run.py")
    (suite / "docs").symlink_to(SUITE / "docs", target_is_directory=True)
    (suite / "manifest.tsv").write_text(manifest, encoding="utf-8")
    command = [sys.executable, str(suite / "run.py"), "--project-root", str(REPO), "--jobs", "2",
               "--must-pass", str(MUST_PASS)] + (["--pdf"] if pdf else [])
    run = subprocess.run(command, capture_output=True, text=True, timeout=1200, cwd=tmp_path)
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAIL") and line.split(" ", 2)[1].rstrip(":") in set(ids)]
    assert run.returncode == 0, "\n".join(failed) or (run.stdout[-3000:] + run.stderr[-3000:])
