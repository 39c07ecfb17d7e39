"""Limits everywhere: time limits that cover imports, tools and kernels; no process outlives the
build; a stopped or crashed chapter names its cell; captured output is capped.

Process tests run the real command line and real programs (LaTeX, Pandoc, forked workers)
and look for processes in /proc. They wait by polling with generous deadlines (a loaded CI
machine is slow to start things) and never assert on elapsed time.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Callable

import pytest

from bookbuild.check import check_book
from bookbuild.project import load_book
from conftest import REPO

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc")


# --------------------------------------------------------------------------- processes, via /proc

def _stat(pid: int) -> tuple[str, int, str] | None:
    """(state, parent pid, start time) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), fields[19]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def descendants(root: int) -> dict[int, str]:
    """Every live descendant of ``root``: pid -> start time (to tell a reused pid apart)."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None and stat[0] != "Z":
                children.setdefault(stat[1], []).append((int(entry), stat[2]))
    found: dict[int, str] = {}
    queue = [root]
    while queue:
        for pid, started in children.get(queue.pop(), []):
            if pid not in found:
                found[pid] = started
                queue.append(pid)
    return found


def alive(processes: dict[int, str]) -> list[int]:
    """Those of ``processes`` still running (a zombie has ended: only its exit status is left)."""
    return [pid for pid, started in processes.items()
            if (stat := _stat(pid)) is not None and stat[0] != "Z" and stat[2] == started]


def working_in(folder: Path) -> list[str]:
    """The command lines of the processes whose working folder is ``folder`` (a chapter's, say)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(os.readlink(f"/proc/{entry}/cwd")) == folder and (stat := _stat(int(entry))) and stat[0] != "Z":
                    found.append(_cmdline(int(entry)))
            except OSError:
                continue
    return found


def wait_until(condition: Callable[[], object], deadline: float, what: str) -> object:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting (after {deadline:g} s) for {what}")


def kill_all(processes: dict[int, str]) -> None:
    """Clean-up after a failed test: never leave a looping program on a shared machine."""
    for pid in alive(processes):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_cli(*args: str, output: Path) -> subprocess.Popen:
    """``python -m bookbuild ARGS`` as a real process (its own signal handling), output to files."""
    return subprocess.Popen([sys.executable, "-m", "bookbuild", *args], cwd=REPO, stdin=subprocess.DEVNULL,
                            stdout=open(output.with_suffix(".out"), "wb"), stderr=open(output.with_suffix(".err"), "wb"))


def running_program(main: subprocess.Popen, needle: str) -> Callable[[], dict[int, str] | None]:
    """A condition: the descendants of ``main`` once one of them has ``needle`` in its command line."""
    def check() -> dict[int, str] | None:
        found = descendants(main.pid)
        return found if any(needle in _cmdline(pid) for pid in found) else None
    return check


def stop_and_watch(main: subprocess.Popen, needle: str, signum: int, within: float) -> tuple[dict[int, str], int]:
    """Wait for a descendant running ``needle``, send ``signum`` to the main process, and wait
    (up to ``within`` s) for every descendant seen to end; (those descendants, main's status)."""
    seen: dict[int, str] = {}
    try:
        seen = wait_until(running_program(main, needle), 240, f"a process running {needle!r}")  # type: ignore[assignment]
        seen.update(descendants(main.pid))
        os.kill(main.pid, signum)
        status = main.wait(timeout=60)
        wait_until(lambda: not alive(seen), within, f"the build's processes to end: {[_cmdline(p) for p in alive(seen)]}")
        return seen, status
    finally:
        kill_all(seen)
        if main.poll() is None:
            main.kill()
            main.wait()


def write(root: Path, files: dict[str, str], config: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    chapters = [name for name in files if name.endswith(".qmd")]
    listing = "\n".join(f"    - {name}" for name in chapters)
    (root / "_quarto.yml").write_text(f"project:\n  type: book\nbook:\n  title: T\n  chapters:\n{listing}\n{config}",
                                      encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


# --------------------------------------------------------------------------- time limits

LOOPING_IMPORT = {
    "loopy.py": "while True:\n    pass\n",
    "ch.qmd": """
        # Chapter

        ```{python}
        #| label: setup
        x = 1
        import loopy
        ```
        """,
}


def test_an_import_that_loops_is_stopped_at_the_limit_and_named(tmp_path: Path) -> None:
    """The warm-up imports the chapters' modules: it too is under the chapter's limit."""
    root = write(tmp_path / "book", LOOPING_IMPORT)
    done = subprocess.run([sys.executable, "-m", "bookbuild", "check", "--project", str(root), "--timeout", "2"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    shown = f"{root}/ch.qmd"
    assert done.stdout.splitlines()[:2] == [
        f"{shown}:6:1: error[timeout]: importing 'loopy' in the cell at lines 3-7 took longer than the 2 s limit "
        "and was stopped (cell setup)",
        "    help: does 'loopy' loop or wait when it is imported? make it faster, or raise the limit with "
        "--timeout SECONDS (or 'bookbuild: timeout:' in _quarto.yml)",
    ]


def test_other_chapters_still_run_when_the_warm_up_is_stopped(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {**LOOPING_IMPORT, "fine.qmd": """
        ```{python}
        import json
        y = json.dumps("ok")
        ```

        `{python} y`
        """})
    result = check_book(load_book(root), timeout=2)
    assert [(d.code, d.file.rsplit("/", 1)[-1], d.line) for d in result.diagnostics] == [("timeout", "ch.qmd", 6)]
    assert result.executed[1].values[0].text == '"ok"'


def test_a_slow_warm_up_blames_no_chapter_whose_own_imports_fit(tmp_path: Path) -> None:
    """Two modules that take 2.5 s each to import: together past the 4 s limit, each within it."""
    files = {}
    for name in ("one", "two"):
        files[f"slow_{name}.py"] = "import time\ntime.sleep(2.5)\nVALUE = 'ok'\n"
        files[f"{name}.qmd"] = f"```{{python}}\nimport slow_{name}\n```\n\n`{{python}} slow_{name}.VALUE`\n"
    root = write(tmp_path / "book", files)
    result = check_book(load_book(root), timeout=4)
    assert result.diagnostics == []
    assert [e.values[0].text for e in result.executed] == ["ok", "ok"]


@pytest.mark.parametrize("value, problem", [
    ("nan", "nan is not a finite number of seconds"),
    ("inf", "inf is not a finite number of seconds"),
    ("0", "0 is not a positive number of seconds"),
    ("-1", "-1 is not a positive number of seconds"),
])
def test_a_limit_must_be_positive_and_finite(tmp_path: Path, value: str, problem: str) -> None:
    root = write(tmp_path / "book", {"ch.qmd": "# C\n"})
    for command in ("check", "html"):
        done = subprocess.run([sys.executable, "-m", "bookbuild", command, "--project", str(root), "--timeout", value],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert done.stderr.splitlines()[-1] == (f"python -m bookbuild {command}: error: argument --timeout: {problem} "
                                                "(give a positive, finite limit, e.g. --timeout 300)")


def test_the_book_config_sets_the_limit_and_it_is_validated(tmp_path: Path) -> None:
    slow = {"slow.qmd": """
        ```{python}
        #| label: nap
        import time
        time.sleep(60)
        ```
        """}
    root = write(tmp_path / "ok", slow, "bookbuild:\n  timeout: 1.5\n")
    (problem,) = check_book(load_book(root)).diagnostics
    assert (problem.code, problem.line, problem.cell) == ("timeout", 1, "nap")
    assert problem.message == "the chapter ran longer than its 1.5 s limit and was stopped in the cell at lines 1-5"

    bad = write(tmp_path / "bad", slow, "bookbuild:\n  timeout: .nan\n")
    done = subprocess.run([sys.executable, "-m", "bookbuild", "check", "--project", str(bad)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (f"{bad}/_quarto.yml:8:1: error[config]: 'bookbuild: timeout:' must be a "
                                           "positive, finite number of seconds: nan is not a finite number of seconds")


def test_a_pandoc_run_that_never_ends_is_stopped(tmp_path: Path) -> None:
    from bookbuild.render.pandoc import PandocError, run_pandoc

    endless = tmp_path / "endless.lua"
    endless.write_text("function Pandoc(doc)\n  while true do end\nend\n", encoding="utf-8")
    with pytest.raises(PandocError, match=r"^pandoc did not finish within 2 s and was stopped$"):
        run_pandoc(["--from", "markdown", "--to", "html", "--lua-filter", str(endless)], "text", timeout=2)
    assert not [pid for pid in descendants(os.getpid()) if "pandoc" in _cmdline(pid)]


def test_timeout_sets_the_limit_of_a_tikz_figure(tmp_path: Path) -> None:
    from bookbuild.render.html import build_html

    root = write(tmp_path / "book", {"fig.qmd": """
        # Figure

        ```{.tikz}
        \\begin{tikzpicture}\\loop\\iftrue\\repeat\\end{tikzpicture}
        ```
        """})
    build = build_html(load_book(root), tmp_path / "out", tmp_path / "cache", timeout=3, log=io.StringIO())
    (problem,) = [d for d in build.all_diagnostics if d.code == "tikz-failed"]
    assert problem.line == 3 and problem.file.endswith("fig.qmd")
    assert "LaTeX timed out after 3 s" in problem.message


# --------------------------------------------------------------------------- what was running

def _one_error(root: Path, **options) -> object:
    (problem,) = [d for d in check_book(load_book(root), **options).diagnostics if d.is_error]
    return problem


def test_a_timeout_names_the_cell_that_was_running(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"ch.qmd": """
        # Chapter

        ```{python}
        x = 1
        ```

        ```{python}
        #| label: slow-one
        import time
        while True:
            time.sleep(0.01)
        ```
        """})
    problem = _one_error(root, timeout=2)
    assert (problem.code, problem.line, problem.cell) == ("timeout", 7, "slow-one")
    assert problem.message == "the chapter ran longer than its 2 s limit and was stopped in the cell at lines 7-12"


def test_a_timeout_in_an_inline_expression_names_it(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"ch.qmd": """
        ```{python}
        import time
        def forever():
            while True:
                time.sleep(0.01)
        ```

        Value: `{python} forever()`.
        """})
    problem = _one_error(root, timeout=2)
    assert (problem.code, problem.line, problem.col) == ("timeout", 8, 8)
    assert problem.message == ("the chapter ran longer than its 2 s limit and was stopped in inline expression "
                               "`forever()` (line 8)")


def test_a_jupyter_cell_past_the_limit_is_named(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"ch.qmd": """
        ```{python}
        #| label: nap
        import time
        time.sleep(600)
        ```
        """})
    # The limit leaves the kernel time to start on a loaded machine (it counts from the chapter's start).
    problem = _one_error(root, timeout=20, engine="jupyter")
    assert (problem.code, problem.line, problem.cell) == ("timeout", 1, "nap")
    assert problem.message == "the chapter ran longer than its 20 s limit and was stopped in the cell at lines 1-5"
    wait_until(lambda: not working_in(root), 10, f"the kernel to end: {working_in(root)}")


def test_a_jupyter_kernel_and_its_programs_end_with_their_worker(tmp_path: Path) -> None:
    """The kernel runs in a session of its own: the worker reports it, and when the worker dies
    the kernel's whole group (here with a program the cell started) is ended with it."""
    root = write(tmp_path / "book", {"ch.qmd": """
        ```{python}
        #| label: parricide
        import os, signal, subprocess, time
        child = subprocess.Popen(["sleep", "302"])
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(60)
        ```
        """})
    try:
        problem = _one_error(root, engine="jupyter")
        assert (problem.code, problem.line, problem.cell) == ("worker-crashed", 1, "parricide")
        assert problem.message == ("the process running this chapter died (killed by SIGKILL) during the cell "
                                   "at lines 1-7")
        wait_until(lambda: not working_in(root), 10, f"the kernel and its program to end: {working_in(root)}")
    finally:
        for entry in os.listdir("/proc"):  # never leave them behind on a shared machine
            try:
                if entry.isdigit() and Path(os.readlink(f"/proc/{entry}/cwd")) == root:
                    os.kill(int(entry), signal.SIGKILL)
            except OSError:
                continue


@pytest.mark.parametrize("code, status", [
    ("import os\nos._exit(3)", "exit status 3"),
    ("import ctypes\nctypes.string_at(0)", "killed by SIGSEGV"),
])
def test_a_crash_names_the_cell_that_was_running(tmp_path: Path, code: str, status: str) -> None:
    root = write(tmp_path / "book", {"ch.qmd": "# Chapter\n\n```{python}\nx = 1\n```\n\n```{python}\n" + code + "\n```\n"})
    problem = _one_error(root)
    assert (problem.code, problem.line, problem.cell) == ("worker-crashed", 7, None)
    assert problem.message == f"the process running this chapter died ({status}) during cell 2 (lines 7-10)"


# --------------------------------------------------------------------------- no process outlives the build

TEX = pytest.mark.skipif(not all(map(__import__("shutil").which, ("lualatex", "latex", "dvisvgm"))),
                         reason="needs TeX Live (lualatex, latex, dvisvgm): see scripts/debian-packages.txt")


@TEX
def test_sigterm_during_latex_ends_every_child(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"loop.qmd": """
        # Loop

        ```{=latex}
        \\loop\\iftrue\\repeat
        ```
        """})
    main = start_cli("pdf", "--project", str(root), "--output-dir", str(tmp_path / "out"), "--no-install",
                     output=tmp_path / "log")
    seen, status = stop_and_watch(main, "book.tex", signal.SIGTERM, within=10)
    assert status == 128 + signal.SIGTERM
    assert (tmp_path / "log.err").read_text().splitlines()[-1] == "bookbuild: stopped by SIGTERM; ended 1 running program(s)"


@TEX
def test_sigterm_during_a_tikz_figure_ends_every_child(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"fig.qmd": """
        # Figure

        ```{.tikz}
        \\begin{tikzpicture}\\loop\\iftrue\\repeat\\end{tikzpicture}
        ```
        """})
    main = start_cli("html", "--project", str(root), "--output-dir", str(tmp_path / "out"), output=tmp_path / "log")
    _, status = stop_and_watch(main, "main.tex", signal.SIGTERM, within=10)
    assert status == 128 + signal.SIGTERM
    assert (tmp_path / "log.err").read_text().splitlines()[-1].startswith("bookbuild: stopped by SIGTERM; ended ")


def test_kill_9_of_the_build_ends_its_workers_and_what_their_cells_started(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"a.qmd": """
        ```{python}
        import subprocess, time
        child = subprocess.Popen(["sleep", "301"])
        time.sleep(300)
        ```
        """, "b.qmd": """
        ```{python}
        while True:
            pass
        ```
        """})
    main = start_cli("check", "--project", str(root), "--jobs", "2", output=tmp_path / "log")
    seen, status = stop_and_watch(main, "sleep 301", signal.SIGKILL, within=15)
    assert status == -signal.SIGKILL
    assert len(seen) >= 4  # the zygote, two workers, and the cell's own program


def _pids(file: Path) -> list[int]:
    return [int(word) for word in file.read_text().split()] if file.exists() else []


def _gone(pids: list[int]) -> bool:
    return all((stat := _stat(pid)) is None or stat[0] == "Z" for pid in pids)


def _end(pids: list[int]) -> None:
    for pid in pids:  # never leave them behind on a shared machine
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("engine", ["inprocess", "jupyter"])
def test_a_program_a_cell_starts_in_a_session_of_its_own_is_ended_and_named(tmp_path: Path, engine: str) -> None:
    """A new session escapes the worker's process group; the worker still finds it and ends it."""
    pids = tmp_path / "pids"
    root = write(tmp_path / "book", {"ch.qmd": f"""
        # Chapter

        ```{{python}}
        x = 1
        ```

        ```{{python}}
        #| label: server
        import subprocess
        server = subprocess.Popen(["sleep", "303"], start_new_session=True)
        open({str(pids)!r}, "w").write(str(server.pid))
        ```
        """})
    try:
        result = check_book(load_book(root), engine=engine)
        (left,) = [d for d in result.diagnostics if d.code == "cell-process"]
        (pid,) = _pids(pids)
        assert (left.file, left.line, left.cell, left.is_error) == (str(root / "ch.qmd"), 7, "server", False)
        assert left.message == (f"`sleep 303` (pid {pid}), started by the cell at lines 7-12, was still running "
                                "when the chapter finished; the build ended it")
        assert _gone([pid])
    finally:
        _end(_pids(pids))


def test_a_daemon_a_cell_forks_away_is_ended_too(tmp_path: Path) -> None:
    """The shell that starts it exits at once: the orphan is adopted by the worker, not by init."""
    pids = tmp_path / "pids"
    root = write(tmp_path / "book", {"ch.qmd": f"""
        ```{{python}}
        import subprocess
        subprocess.run("setsid sleep 304 >/dev/null 2>&1 & echo $! > {pids}", shell=True, check=True)
        ```
        """})
    try:
        result = check_book(load_book(root))
        (pid,) = _pids(pids)
        (left,) = [d for d in result.diagnostics if d.code == "cell-process"]
        assert left.message == (f"`sleep 304` (pid {pid}), started by cell 1 (lines 1-4), was still running "
                                "when the chapter finished; the build ended it")
        assert _gone([pid])
    finally:
        _end(_pids(pids))


def test_a_chapter_stopped_at_its_limit_leaves_no_program_of_its_own_session(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    root = write(tmp_path / "book", {"ch.qmd": f"""
        ```{{python}}
        import subprocess, time
        server = subprocess.Popen(["sleep", "305"], start_new_session=True)
        open({str(pids)!r}, "w").write(str(server.pid))
        while True:
            time.sleep(0.01)
        ```
        """})
    try:
        problem = _one_error(root, timeout=3)
        assert problem.code == "timeout"
        wait_until(lambda: _gone(_pids(pids)), 10, "the cell's program to end")
        assert _pids(pids)
    finally:
        _end(_pids(pids))


def test_sigterm_ends_a_program_a_cell_started_in_its_own_session(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"ch.qmd": """
        ```{python}
        import subprocess, time
        server = subprocess.Popen(["sleep", "306"], start_new_session=True)
        time.sleep(300)
        ```
        """})
    main = start_cli("check", "--project", str(root), output=tmp_path / "log")
    seen, status = stop_and_watch(main, "sleep 306", signal.SIGTERM, within=10)
    assert status == 128 + signal.SIGTERM
    assert len(seen) >= 3  # the zygote, the worker and the cell's program, all ended (stop_and_watch)


def test_the_process_table_is_read_whatever_a_program_calls_itself() -> None:
    from bookbuild.execute.strays import Stray, blame
    from bookbuild.procs import parse_stat
    info = parse_stat("4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 98765 0 0")
    assert (info.pid, info.parent, info.state, info.started) == (4242, 17, "S", 98765)
    starts = [(100, ("cell", 0)), (150, ("inline", 0)), (150, ("cell", 1)), (400, ("cell", 2))]
    assert blame(Stray(1, "x", 99), starts) is None
    assert blame(Stray(1, "x", 100), starts) == ("cell", 0)
    assert blame(Stray(1, "x", 399), starts) == ("cell", 1)
    assert blame(Stray(1, "x", 10_000), starts) == ("cell", 2)


# --------------------------------------------------------------------------- output

def test_output_is_capped_per_cell_with_a_warning(tmp_path: Path) -> None:
    from bookbuild.render.html import build_html

    root = write(tmp_path / "book", {"ch.qmd": """
        # Chapter

        ```{python}
        #| label: chatty
        print("x" * 20_000_000)
        ```
        """})
    build = build_html(load_book(root), tmp_path / "out", tmp_path / "cache", log=io.StringIO())
    (warning,) = build.all_diagnostics
    assert (warning.code, warning.line, warning.cell) == ("output-truncated", 3, "chatty")
    assert warning.message == "the cell wrote 20.0 MB of output; only the first 1.0 MB are kept (19.0 MB cut)"
    assert warning.hint == ("print less, or raise the cap (characters per cell) with 'output-limit: 20000001' "
                            "under 'bookbuild:' in _quarto.yml")
    page = (tmp_path / "out" / "ch.html").read_text(encoding="utf-8")
    assert 900_000 < page.count("x") < 1_000_000 + 5_000  # the kept output, and the page's own letters


def test_the_cap_comes_from_the_book_config(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"ch.qmd": """
        ```{python}
        for _ in range(10):
            print("y" * 999)
        display("z" * 5000)
        ```
        """}, "bookbuild:\n  output-limit: 3000\n")
    result = check_book(load_book(root))
    (cell,) = result.executed[0].cells
    assert len(cell.stdout) + sum(map(len, cell.markdown)) == 3000 and cell.markdown == ()
    (warning,) = result.diagnostics
    assert warning.message == "cell 1 wrote 15 kB of output; only the first 3 kB are kept (12 kB cut)"


def test_the_jupyter_engine_caps_output_too(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"ch.qmd": """
        ```{python}
        for _ in range(10):
            print("y" * 999)
        ```
        """}, "bookbuild:\n  output-limit: 3000\n")
    result = check_book(load_book(root), engine="jupyter")
    (cell,) = result.executed[0].cells
    assert cell.stdout == ("y" * 999 + "\n") * 3
    (warning,) = result.diagnostics
    assert warning.message == "cell 1 wrote 10 kB of output; only the first 3 kB are kept (7 kB cut)"


def test_a_cell_printing_200_mb_does_not_hold_it(tmp_path: Path) -> None:
    root = write(tmp_path / "book", {"ch.qmd": """
        ```{python}
        line = "x" * 1_000_000
        for _ in range(200):
            print(line)
        ```
        """})
    # Peak memory of the build's processes, measured in a process of its own.
    probe = ("import resource, subprocess, sys\n"
             f"subprocess.run([sys.executable, '-m', 'bookbuild', 'check', '--project', {str(root)!r}],"
             " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=600)
    peak_kb = int(done.stdout.strip())
    assert peak_kb < 300_000, f"peak {peak_kb / 1000:.0f} MB"
