"""The test suite on a machine laid out otherwise: without ../shared/fixtures, and in CI.

Each case runs pytest itself on one small test module, with BOOKBUILD_FIXTURES
pointing at a folder that does not exist (a clone outside this layout).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def run_pytest(tmp_path: Path, *args: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["BOOKBUILD_FIXTURES"] = str(tmp_path / "absent")
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def test_without_the_fixture_its_tests_are_skipped_with_the_reason(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, "tests/test_project.py", "tests/test_tikz.py::test_fixture_has_nine_tikz_blocks", ci=False)
    assert done.returncode == 0, done.stdout + done.stderr
    absent = tmp_path / "absent"
    # test_fixture_config names FIXTURE; the TikZ test reads it through a helper of its module.
    assert f"SKIPPED [1] tests/test_project.py: needs the shared fixture, absent here: {absent}" in done.stdout
    assert f"SKIPPED [1] tests/test_tikz.py: needs the shared fixture, absent here: {absent}" in done.stdout
    # The tests that do not need it still ran.
    assert re.match(r"\d+ passed, 2 skipped", done.stdout.splitlines()[-1])


def test_in_ci_a_missing_fixture_fails_the_run(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, "tests/test_project.py", ci=True)
    assert done.returncode != 0
    assert f"the shared fixture is missing: {tmp_path / 'absent' / 'ml_systems.qmd'}" in done.stderr


def test_make_test_says_exactly_which_debian_packages_to_install(tmp_path: Path) -> None:
    packages = tmp_path / "packages.txt"
    packages.write_text("# what the tests need\nbash\nbookbuild-no-such-package\n\n", encoding="utf-8")
    done = subprocess.run(["bash", str(REPO / "scripts" / "install-test-packages.sh"), str(packages)],
                          env=dict(os.environ, BOOKBUILD_NO_INSTALL="1"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: the tests need Debian packages that are not installed: bookbuild-no-such-package",
        "    help: run  sudo apt-get install -y --no-install-recommends bookbuild-no-such-package  then make test again",
    ]
    packages.write_text("bash\n", encoding="utf-8")
    installed = subprocess.run(["bash", str(REPO / "scripts" / "install-test-packages.sh"), str(packages)],
                               capture_output=True, text=True, timeout=60)
    assert (installed.returncode, installed.stderr) == (0, "")
