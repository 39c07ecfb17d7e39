"""Run Pandoc (the binary shipped by the ``pypandoc-binary`` wheel), with a timeout.

Two calls per chapter: Markdown -> JSON AST (so the build can number things
from what Pandoc actually parsed), then AST -> HTML or LaTeX through the Lua
filters. Each call is a plain subprocess: no shell, stdin fed, time-limited.
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from ..procs import run_tool

FILTERS_DIR = Path(__file__).parent / "filters"
MARKDOWN_FORMAT = "markdown"
DEFAULT_TIMEOUT = 120.0


class PandocError(Exception):
    """Pandoc failed or timed out; the message says which and why."""


@lru_cache(maxsize=1)
def pandoc_binary() -> str:
    """The pandoc executable from the pypandoc-binary wheel (or PATH as a fallback)."""
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on the install
        import shutil

        found = shutil.which("pandoc")
        if found:
            return found
        raise PandocError("pandoc not found: install the project (pip install -e .) to get pypandoc-binary") from exc


@lru_cache(maxsize=1)
def pandoc_version() -> str:
    """``pandoc 3.x.y``, part of every cache key that depends on Pandoc's output."""
    return run_pandoc(["--version"], "").splitlines()[0]


def run_pandoc(args: list[str], stdin: str, *, cwd: Path | None = None, timeout: float = DEFAULT_TIMEOUT,
               stderr: list[str] | None = None, env: Mapping[str, str] | None = None) -> str:
    """Run pandoc with ``args`` on ``stdin``; return its standard output (its stderr into ``stderr`` when given).

    It is stopped after ``timeout`` seconds (a build passes its limit, ``--timeout``, for chapters).
    ``env``: variables added to this process's environment for it (the filters read ``BOOKBUILD_FORMAT``).
    """
    command = [pandoc_binary(), *args]
    extra = {"env": {**os.environ, **env}} if env else {}
    try:
        status, stdout, errors = run_tool(command, input=stdin.encode("utf-8"), cwd=cwd, timeout=timeout, **extra)
    except subprocess.TimeoutExpired as exc:
        raise PandocError(f"pandoc did not finish within {timeout:g} s and was stopped") from exc
    said = errors.decode("utf-8", errors="replace")
    if status != 0:
        raise PandocError(said.strip() or f"pandoc exited with status {status}")
    if stderr is not None:
        stderr.append(said)
    return stdout.decode("utf-8", errors="replace")


def markdown_to_ast(markdown: str, *, cwd: Path, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Parse Markdown into Pandoc's JSON AST."""
    return json.loads(markdown_to_json(markdown, cwd=cwd, timeout=timeout))


def markdown_to_json(markdown: str, *, cwd: Path, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Pandoc's JSON AST of some Markdown, as the text Pandoc wrote (to keep it without encoding it again)."""
    return run_pandoc(["--from", MARKDOWN_FORMAT, "--to", "json"], markdown, cwd=cwd, timeout=timeout)


def filter_args(names: list[str | Path]) -> list[str]:
    """``--lua-filter`` arguments for the engine's filters, by file stem, in order (a Path: that file).

    ``citeproc`` in the list places Pandoc's citation processor at that point.
    """
    args: list[str] = []
    for name in names:
        if isinstance(name, Path):
            args += ["--lua-filter", str(name)]
        elif name == "citeproc":
            args.append("--citeproc")
        else:
            args += ["--lua-filter", str(FILTERS_DIR / f"{name}.lua")]
    return args
