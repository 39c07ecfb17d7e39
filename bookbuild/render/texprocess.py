"""Running TeX programs (latex, lualatex, dvisvgm, makeindex) safely: one place for both the
TikZ compiler and the PDF build.

No standard input, output to a file in the working folder, an environment that
keeps LaTeX writing only below that folder and its log lines whole, and a time
limit enforced by killing the program's whole process group (which also
ends with the build: :mod:`bookbuild.procs`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Sequence

from ..procs import reap, spawn

LOG_LIMIT = 8_000_000  # characters of a log worth reading


class TexTimeout(Exception):
    """A program ran past its time limit and was killed."""


def tex_environment() -> dict[str, str]:
    """The environment for TeX programs."""
    env = dict(os.environ)
    env.update({
        "openout_any": "p",         # LaTeX may write only below its working folder
        "max_print_line": "10000",  # unwrapped log lines: whole error messages
        "error_line": "254",
        "half_error_line": "238",
    })
    return env


def run_program(args: Sequence[str], cwd: Path, timeout: float, output: str) -> int:
    """Run ``args`` in ``cwd`` (stdout and stderr to ``cwd/output``); return its exit status.

    Raises TexTimeout when it runs longer than ``timeout`` seconds (or has no time left).
    """
    if timeout <= 0:
        raise TexTimeout()
    with open(cwd / output, "wb") as out:
        process = spawn(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                        env=tex_environment())
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TexTimeout() from None
        finally:
            reap(process)


def read_log(path: Path) -> str:
    """A log or output file's text ('' if it is missing), at most LOG_LIMIT characters."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(LOG_LIMIT)
    except OSError:
        return ""
