"""``python -m bookbuild``: the commands authors and CI type (the Makefile wraps them).

Exit status: 0 success, 1 the book has errors (or warnings under --strict),
2 the command or the configuration is wrong.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence, TextIO

from .check import CheckResult, check_book
from .diagnostics import ConfigError, Diagnostic, exit_status, format_json, plural
from .execute import ENGINES, DEFAULT_TIMEOUT, ChapterJob, ExecutionResult
from .project import load_book


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bookbuild", description="Build and check a computed-prose book.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="run every cell, resolve every inline value, check references")
    _project_arguments(check)
    check.add_argument("--format", choices=("text", "json"), default="text", help="diagnostics as text lines or one JSON document")
    check.add_argument("--strict", action="store_true", help="fail (exit 1) on warnings too")
    check.add_argument("--engine", choices=ENGINES, default="inprocess", help="in-process workers (fast) or a Jupyter kernel per chapter")
    check.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                       help=f"stop a chapter that runs longer than this (default {DEFAULT_TIMEOUT:g})")
    check.add_argument("--jobs", type=int, default=None, metavar="N", help="chapters run in parallel (default: the number of cores)")
    check.set_defaults(handler=run_check)
    return parser


def _project_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=Path("."), metavar="DIR", help="the book's folder (with _quarto.yml)")
    parser.add_argument("chapters", nargs="*", metavar="CHAPTER", help="only these chapters (file name, with or without .qmd)")


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    started = time.perf_counter()
    book = load_book(args.project)

    def progress(job: ChapterJob, result: ExecutionResult) -> None:
        if args.format == "text":
            errors = sum(1 for d in result.diagnostics if d.is_error)
            mark = "ok" if not errors else f"{plural(errors, 'error')}"
            err.write(f"  ran {job.shown_file} ({len(job.chapter.cells)} cells, {len(job.chapter.inlines)} inline values) "
                      f"in {result.seconds:.2f} s: {mark}\n")
            err.flush()

    result = check_book(book, args.chapters, engine=args.engine, timeout=args.timeout, workers=args.jobs, on_done=progress)
    elapsed = time.perf_counter() - started
    diagnostics = result.diagnostics
    if args.format == "json":
        out.write(format_json(diagnostics, chapters=len(result.executed), seconds=round(elapsed, 3), engine=args.engine) + "\n")
    else:
        write_text_report(result, out)
        errors = sum(1 for d in diagnostics if d.is_error)
        values = sum(len(e.values) for e in result.executed)
        out.write(f"checked {plural(len(result.executed), 'chapter')} ({plural(values, 'inline value')}) in {elapsed:.2f} s "
                  f"with the {args.engine} engine: {plural(errors, 'error')}, {plural(len(diagnostics) - errors, 'warning')}\n")
    return exit_status(diagnostics, strict=args.strict)


def write_text_report(result: CheckResult, out: TextIO) -> None:
    """Diagnostics grouped per file, each group closed by a one-line summary."""
    for shown, group in result.groups.items():
        if not group:
            continue
        for diagnostic in group:
            out.write(diagnostic.format_text() + "\n")
        errors = sum(1 for d in group if d.is_error)
        out.write(f"{shown}: {plural(errors, 'error')}, {plural(len(group) - errors, 'warning')}\n\n")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, out, err)
    except ConfigError as exc:
        _report_config_error(exc.diagnostic, err)
        return 2


def _report_config_error(diagnostic: Diagnostic, err: TextIO) -> None:
    err.write(diagnostic.format_text() + "\n")
