"""The build's limits: how long a chapter or a tool may run, how much output a cell keeps.

``--timeout SECONDS`` (or ``bookbuild: timeout:`` in ``_quarto.yml``; Quarto has
no key for it) limits each chapter's execution (its imports included), each
Pandoc run, each TikZ figure and each Jupyter cell; each LaTeX pass of the PDF
gets ``LATEX_FACTOR`` times as long. ``bookbuild: output-limit:`` caps the
characters of output each cell keeps. Every limit must be a positive, finite number.
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .diagnostics import ConfigError, error
from .execute import DEFAULT_OUTPUT_LIMIT, DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from .project import Book

LATEX_FACTOR = 5  # a LaTeX pass typesets every chapter: 600 s at the default 120 s
TIMEOUT_KEY = "timeout"
OUTPUT_LIMIT_KEY = "output-limit"


@dataclass(frozen=True)
class Limits:
    timeout: float
    output_limit: int

    @property
    def latex_timeout(self) -> float:
        return self.timeout * LATEX_FACTOR


def seconds_problem(value: Any) -> str | None:
    """Why ``value`` is not a usable time limit, or None when it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not a number of seconds"
    if math.isnan(value) or math.isinf(value):
        return f"{value} is not a finite number of seconds"
    if value <= 0:
        return f"{value:g} is not a positive number of seconds"
    return None


def parse_seconds(text: str) -> float:
    """An argparse type for ``--timeout``: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    problem = seconds_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem} (give a positive, finite limit, e.g. --timeout 300)")
    return value


def book_limits(book: "Book", timeout: float | None = None) -> Limits:
    """The limits for a build of ``book``: ``timeout`` if given, else the book's config, else the defaults.

    Raises ConfigError at the config's line for a value that is not a positive, finite number.
    """
    options = book.config.get("bookbuild") or {}
    options = options if isinstance(options, dict) else {}
    configured = options.get(TIMEOUT_KEY, DEFAULT_TIMEOUT)
    problem = seconds_problem(configured)
    if problem:
        _bad(book, TIMEOUT_KEY, f"'bookbuild: {TIMEOUT_KEY}:' must be a positive, finite number of seconds: {problem}")
    output_limit = options.get(OUTPUT_LIMIT_KEY, DEFAULT_OUTPUT_LIMIT)
    if isinstance(output_limit, bool) or not isinstance(output_limit, int) or output_limit <= 0:
        _bad(book, OUTPUT_LIMIT_KEY, f"'bookbuild: {OUTPUT_LIMIT_KEY}:' must be a positive whole number of characters, "
                                     f"not {output_limit!r}")
    return Limits(float(timeout if timeout is not None else configured), output_limit)


def _bad(book: "Book", key: str, message: str) -> None:
    line = 1
    text = book.config_file.read_text(encoding="utf-8", errors="replace")
    match = re.search(rf"^\s+{re.escape(key)}\s*:", text, re.M)
    if match:
        line = text.count("\n", 0, match.start()) + 1
    raise ConfigError(error("config", book.display_config, line, message,
                            hint=f"e.g. '{TIMEOUT_KEY}: 300' or '{OUTPUT_LIMIT_KEY}: 5000000' under 'bookbuild:'"))
