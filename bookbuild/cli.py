"""``python -m bookbuild``: the commands authors and CI type (the Makefile wraps them).

Exit status: 0 success, 1 the book has errors (or warnings under --strict),
2 the command or the configuration is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TextIO

from .buildrecord import InputWatch, build_identity, find_record, store_record
from .cache import Cache, open_default_cache, project_cache_dirs
from .check import CheckResult, check_book, locate
from .collector import collect_cycles_rarely
from .diagnostics import ConfigError, Diagnostic, error, exit_status, format_json, plural
from .files import unwritable_folder
from .execute import DEFAULT_TIMEOUT, ENGINES, FIGURE_FORMATS, ChapterJob, ExecutionResult
from .limits import LATEX_FACTOR, parse_seconds
from .procs import stop_on_signals
from .project import Book, display_path, load_book

if TYPE_CHECKING:  # the renderers load Pandoc's wrapper: import them only when building
    from .render.book import Build


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bookbuild", description="Build and check a computed-prose book.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="run every cell, resolve every inline value, check references")
    _project_arguments(check)
    check.add_argument("--format", choices=("text", "json"), default="text", help="diagnostics as text lines or one JSON document")
    check.add_argument("--strict", action="store_true", help="fail (exit 1) on warnings too")
    check.add_argument("--strict-literals", action="store_true",
                       help="warn at each number typed by hand in a cell that an inline value rests on "
                            "(default: 'bookbuild: strict-literals:' in _quarto.yml)")
    check.add_argument("--engine", choices=ENGINES, default="inprocess", help="in-process workers (fast) or a Jupyter kernel per chapter")
    check.add_argument("--timeout", type=parse_seconds, default=None, metavar="SECONDS",
                       help=f"stop a chapter that runs longer than this, imports included "
                            f"(default: 'bookbuild: timeout:' in _quarto.yml, else {DEFAULT_TIMEOUT:g})")
    check.add_argument("--jobs", type=int, default=None, metavar="N", help="chapters run in parallel (default: the number of cores)")
    check.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                       help="reuse execution results cached here (off by default: check writes nothing unless told)")
    check.set_defaults(handler=run_check)

    html = commands.add_parser("html", help="render the book to a website")
    _project_arguments(html)
    _build_arguments(html)
    html.set_defaults(handler=run_html)

    pdf = commands.add_parser("pdf", help="typeset the book as one PDF with LuaLaTeX")
    _project_arguments(pdf)
    _build_arguments(pdf)
    pdf.add_argument("--no-install", action="store_true", help="never apt-get install missing TeX packages; just say what to run")
    pdf.set_defaults(handler=run_pdf)

    epub = commands.add_parser("epub", help="write the book as one EPUB 3 and check it with epubcheck")
    _project_arguments(epub)
    _build_arguments(epub)
    epub.add_argument("--no-install", action="store_true", help="never apt-get install epubcheck; just say what to run")
    epub.set_defaults(handler=run_epub)

    preview = commands.add_parser("preview", help="serve the site on 127.0.0.1 and rebuild it on every save")
    _project_arguments(preview)
    preview.add_argument("--output-dir", type=Path, default=None, metavar="DIR", help="where to build the site")
    preview.add_argument("--cache-dir", type=Path, default=None, metavar="DIR", help="where to keep build caches")
    preview.add_argument("--port", type=int, default=4848, help="port on 127.0.0.1 (0 picks a free one; default 4848)")
    preview.set_defaults(handler=run_preview)

    values = commands.add_parser("values", help="print every inline value with its cell and the constants behind it")
    _project_arguments(values)
    values.add_argument("--format", choices=("text", "json"), default="text", help="a table, or the ledger as JSON")
    values.add_argument("--cache-dir", type=Path, default=None, metavar="DIR", help="reuse execution results cached here")
    values.set_defaults(handler=run_values)

    diff = commands.add_parser("diff-values", help="list the inline values whose text differs between two git revisions")
    diff.add_argument("rev_a", metavar="REV_A", help="the older revision (e.g. HEAD~1)")
    diff.add_argument("rev_b", metavar="REV_B", nargs="?", default=None,
                      help="the newer revision (default: the working tree)")
    diff.add_argument("--project", type=Path, default=Path("."), metavar="DIR", help="the book's folder in the repository")
    diff.set_defaults(handler=run_diff_values)

    clean = commands.add_parser("clean", help="remove the build outputs and caches of a project")
    clean.add_argument("--project", type=Path, default=Path("."), metavar="DIR", help="the book's folder")
    clean.set_defaults(handler=run_clean)
    return parser


def _build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output-dir", type=Path, default=None, metavar="DIR",
                        help="where to write the output (default: _build/<format> in the project)")
    parser.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                        help="where to keep build caches (default: a folder of this project under $XDG_CACHE_HOME or ~/.cache, "
                             "bookbuild/<digest of the project's path>)")
    parser.add_argument("--engine", choices=ENGINES, default="inprocess", help="how to execute chapters")
    parser.add_argument("--timeout", type=parse_seconds, default=None, metavar="SECONDS",
                        help=f"stop a chapter, a Pandoc run or a TikZ figure that runs longer than this, and a LaTeX "
                             f"pass after {LATEX_FACTOR} times as long (default: 'bookbuild: timeout:' in _quarto.yml, "
                             f"else {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help="parallel workers (default: the number of cores)")
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) on warnings too")


def output_dirs(args: argparse.Namespace, book: Book, fmt: str, log: TextIO) -> tuple[Path, Path]:
    """(output folder, cache folder) from the arguments and their defaults (see :func:`open_default_cache`).

    The default output folder is ``<output-dir>/<format>`` in the project, with the
    active profiles' names in between (``_build/vol2/html``, see ``Book.output_dir``);
    each set of profiles has a cache folder of its own too."""
    out = (args.output_dir or book.root / book.output_dir / fmt).resolve()
    cache = args.cache_dir.resolve() if args.cache_dir else open_default_cache(book.root, log, "+".join(book.profiles))
    return out, cache


def _project_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=Path("."), metavar="DIR", help="the book's folder (with _quarto.yml)")
    _profile_argument(parser)
    parser.add_argument("chapters", nargs="*", metavar="CHAPTER", help="only these chapters (file name, with or without .qmd)")


def _profile_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=None, metavar="NAME[,NAME]",
                        help="the project profiles to use: _quarto-NAME.yml merged over _quarto.yml "
                             "(default: $QUARTO_PROFILE, else 'profile: default:')")


def run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    started = time.perf_counter()
    book = load_book(args.project, args.profile)

    def progress(job: ChapterJob, result: ExecutionResult) -> None:
        if args.format == "text":
            errors = sum(1 for d in result.diagnostics if d.is_error)
            mark = "ok" if not errors else f"{plural(errors, 'error')}"
            err.write(f"  ran {job.shown_file} ({len(job.chapter.cells)} cells, {len(job.chapter.inlines)} inline values) "
                      f"in {result.seconds:.2f} s: {mark}\n")
            err.flush()

    cache = Cache(args.cache_dir.resolve()) if args.cache_dir else None
    # Figures are drawn (a figure that fails to draw is an error) but, with no cache
    # to share them with a later build, in one format only.
    formats = FIGURE_FORMATS if cache else ("svg",)
    result = check_book(book, args.chapters, engine=args.engine, timeout=args.timeout, workers=args.jobs, cache=cache,
                        figure_formats=formats, literals=args.strict_literals or None, on_done=progress)
    elapsed = time.perf_counter() - started
    diagnostics = result.diagnostics
    if args.format == "json":
        out.write(format_json(diagnostics, chapters=len(result.executed), seconds=round(elapsed, 3), engine=args.engine) + "\n")
    else:
        write_text_report(result, out)
        values = sum(len(e.values) for e in result.executed)
        out.write(f"checked {plural(len(result.executed), 'chapter')} ({plural(values, 'inline value')}) in {elapsed:.2f} s "
                  f"with the {args.engine} engine: {counts(diagnostics)}\n")
    return exit_status(diagnostics, strict=args.strict)


def counts(diagnostics: list[Diagnostic]) -> str:
    """``2 errors, 1 warning``."""
    errors = sum(1 for d in diagnostics if d.is_error)
    return f"{plural(errors, 'error')}, {plural(len(diagnostics) - errors, 'warning')}"


def report_build(build: "Build", outcome: str, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The closing lines of an HTML, PDF or EPUB build; return its exit status."""
    extra = locate(build.prepared.diagnostics + build.diagnostics, build.prepared.chapters)
    write_text_report(build.prepared.check, out, extra=extra)
    if build.cache is not None and build.cache.stats:
        err.write(f"  cache: {build.cache.summary()}\n")
    out.write(f"{outcome} in {build.seconds:.1f} s: {counts(build.all_diagnostics)}\n")
    return exit_status(build.all_diagnostics, strict=args.strict)


def run_html(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .render.html import build_html

    book = load_book(args.project, args.profile)
    out_dir, cache_dir = output_dirs(args, book, "html", err)

    def build() -> tuple["Build", str, str]:
        with output_errors(out_dir):
            made = build_html(book, out_dir, cache_dir, args.chapters, engine=args.engine, timeout=args.timeout,
                              workers=args.jobs, log=err)
        said = f"built {plural(len(made.pages), 'page')} into {display_path(out_dir)}"
        return made, said, said
    return build_or_replay("html", book, out_dir, cache_dir, build, args, out, err)


def run_pdf(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .render.pdf import build_pdf

    book = load_book(args.project, args.profile)
    out_dir, cache_dir = output_dirs(args, book, "pdf", err)

    def build() -> tuple["Build", str, str]:
        with output_errors(out_dir):
            made = build_pdf(book, out_dir, cache_dir, args.chapters, engine=args.engine, timeout=args.timeout,
                             workers=args.jobs, allow_install=not args.no_install, log=err)
        if not made.pdf:
            said = f"no PDF built ({plural(made.chapters, 'chapter')} prepared)"
            return made, said, said

        def said_with(passes: int) -> str:
            return (f"built {display_path(made.pdf)} ({plural(made.pages, 'page')}, "
                    f"{passes} LaTeX pass{'' if passes == 1 else 'es'})")
        return made, said_with(made.passes), said_with(0)  # a replayed build typesets nothing
    return build_or_replay("pdf", book, out_dir, cache_dir, build, args, out, err)


def run_epub(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .render.epub import build_epub

    book = load_book(args.project, args.profile)
    out_dir, cache_dir = output_dirs(args, book, "epub", err)

    def build() -> tuple["Build", str, str]:
        with output_errors(out_dir):
            made = build_epub(book, out_dir, cache_dir, args.chapters, engine=args.engine, timeout=args.timeout,
                              workers=args.jobs, allow_install=not args.no_install, log=err)
        checked = ", checked by epubcheck" if made.validated else ", not validated (no epubcheck)"
        said = (f"built {display_path(made.epub)} ({plural(made.chapters, 'chapter')}{checked})" if made.epub
                else f"no EPUB built ({plural(made.chapters, 'chapter')} prepared)")
        return made, said, said
    return build_or_replay("epub", book, out_dir, cache_dir, build, args, out, err)


def build_or_replay(command: str, book: Book, out_dir: Path, cache_dir: Path,
                    build: Callable[[], tuple["Build", str, str]], args: argparse.Namespace, out: TextIO,
                    err: TextIO) -> int:
    """Run ``build`` and report it; or, when nothing it read or wrote changed since the last sound build
    with the same identity (see :mod:`bookbuild.buildrecord`), print that build's report instead.

    ``build`` returns the build, what its closing line says it made, and what a replay of it says."""
    started = time.perf_counter()
    cache = Cache(cache_dir, log=err)
    identity = build_identity(command, root=book.root, names=args.chapters, profiles=book.profiles, engine=args.engine,
                              timeout=args.timeout, out_dir=out_dir, environment=book.environment)
    skipped = [out_dir, cache_dir, (book.root / book.output_dir).resolve()]
    # Whole-book builds only: a chapter's build reads the others' cached results, which its record would not cover.
    recorded = args.engine == "inprocess" and not args.chapters
    record = find_record(cache, identity, book.root, skipped) if recorded else None
    if record is not None:
        out.write(record.report)
        err.write("  nothing changed since the last build: its outputs are up to date\n")
        out.write(f"{record.outcome} in {time.perf_counter() - started:.1f} s: "
                  f"{plural(0, 'error')}, {plural(record.warnings, 'warning')}\n")
        return 1 if args.strict and record.warnings else 0
    with InputWatch() as watch:
        made, outcome, replayed = build()
    report = io.StringIO()
    status = report_build(made, outcome, args, report, err)
    text = report.getvalue()
    out.write(text)
    diagnostics = made.all_diagnostics
    if recorded and made.cache is not None and not any(d.is_error for d in diagnostics):
        from .render.pandoc import pandoc_binary

        executed = made.prepared.executed.values() if made.prepared else ()
        # Pandoc itself too: its version is asked once per process, so a build may not have started it.
        read = {*map(str, book.config_files), pandoc_binary(),
                *(p for e in executed for p in (*e.opened, *e.dependencies))}
        store_record(made.cache, identity, watch, root=book.root, skipped=skipped, read=read, out_dir=out_dir,
                     wrote=made.written(),
                     report=text[:text.rstrip("\n").rfind("\n") + 1], outcome=replayed, warnings=len(diagnostics))
    return status


@contextlib.contextmanager
def output_errors(out_dir: Path) -> Iterator[None]:
    """An output folder that cannot be written (read-only, full) is a ConfigError naming the path and the
    reason, found before the build when it can be, and never a traceback when it shows up during it."""
    problem = unwritable_folder(out_dir)
    if problem is not None:
        raise _output_error(out_dir, problem)
    try:
        yield
    except OSError as exc:
        # A copy's error names the source and then the target: the target is what could not be written.
        written = [Path(name) for name in (exc.filename2, exc.filename) if isinstance(name, str)]
        inside = [path for path in written if path.is_relative_to(out_dir) or out_dir.is_relative_to(path)]
        if not inside:
            raise
        raise _output_error(out_dir, exc, inside[0]) from exc


def _output_error(out_dir: Path, exc: OSError, path: Path | None = None) -> ConfigError:
    return ConfigError(error(
        "output-not-writable", display_path(out_dir), 1,
        f"cannot write the output folder: {path or exc.filename}: {exc.strerror or exc}",
        hint="free some space or make the folder writable, or build elsewhere with OUT= / --output-dir"))


def run_preview(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .preview import serve

    book = load_book(args.project, args.profile)
    out_dir, cache_dir = output_dirs(args, book, "html", err)
    profile = ["--profile", ",".join(book.profiles)] if book.profiles else []
    serve(book.root, out_dir, cache_dir, args.port, out, [*profile, *args.chapters])
    return 0


def run_values(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .ledger import book_ledger, format_table, ledger_json

    book = load_book(args.project, args.profile)
    cache = Cache(args.cache_dir.resolve()) if args.cache_dir else None
    result = check_book(book, args.chapters, cache=cache, figure_formats=FIGURE_FORMATS if cache else ("svg",))
    entries = book_ledger(result.executed)
    out.write(ledger_json(entries) if args.format == "json" else format_table(entries))
    errors = [d for d in result.diagnostics if d.is_error]
    for diagnostic in errors:
        err.write(diagnostic.format_text() + "\n")
    return 1 if errors else 0


def run_diff_values(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .valuediff import diff_revisions, format_changes

    problems: list[Diagnostic] = []
    changes = diff_revisions(args.project, args.rev_a, args.rev_b, log=err, problems=problems)
    out.write(format_changes(changes, args.rev_a, args.rev_b or "the working tree"))
    if problems:
        # The values of a revision that does not check are missing or wrong: not a diff to trust.
        out.write(f"{plural(len(problems), 'error')} in the checks above: the values they touch are not comparable\n")
        return 1
    return 0


def run_clean(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Delete ``_build`` (outputs) and the project's default cache folders; nothing else."""
    import shutil

    removed = 0
    for target in [(args.project / "_build").resolve(), *project_cache_dirs(args.project)]:
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
            out.write(f"removed {display_path(target)}\n")
            removed += 1
    if not removed:
        out.write(f"nothing to remove: {display_path((args.project / '_build').resolve())} does not exist\n")
    return 0


def write_text_report(result: CheckResult, out: TextIO, extra: list[Diagnostic] | None = None) -> None:
    """Diagnostics grouped per file, each group closed by a one-line summary."""
    groups = {shown: list(group) for shown, group in result.groups.items()}
    for diagnostic in extra or []:
        groups.setdefault(diagnostic.file, []).append(diagnostic)
    for shown, group in groups.items():
        if not group:
            continue
        for diagnostic in group:
            out.write(diagnostic.format_text() + "\n")
        out.write(f"{shown}: {counts(group)}\n\n")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    keep_bytecode_out_of_the_source()
    if argv is None:  # the command line itself, not a caller in-process: a stop signal ends every child
        stop_on_signals(err)
        collect_cycles_rarely()
    try:
        return args.handler(args, out, err)
    except ConfigError as exc:
        _report_config_error(exc.diagnostic, err)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line for the author, the traceback on request
        _report_internal_error(args.command, exc, err)
        return 1


def _report_internal_error(command: str, exc: Exception, err: TextIO) -> None:
    """One ``error[internal]`` line naming the command; the traceback only with BOOKBUILD_DEBUG=1."""
    import os
    import traceback

    if os.environ.get("BOOKBUILD_DEBUG", "") not in ("", "0"):
        traceback.print_exception(exc, file=err)
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    err.write(f"error[internal]: 'bookbuild {command}' stopped on an unexpected {type(exc).__name__}"
              f"{': ' + reason if reason else ''}\n"
              "    help: this is a bug in bookbuild, not in the book: please report it with the command and this "
              "line (run again with BOOKBUILD_DEBUG=1 for the traceback)\n")


def keep_bytecode_out_of_the_source() -> None:
    """No ``__pycache__`` beside the book's modules: not from this process (the theme, the
    fingerprints), nor from the workers and Jupyter kernels it starts (they inherit the variable)."""
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"


def _report_config_error(diagnostic: Diagnostic, err: TextIO) -> None:
    err.write(diagnostic.format_text() + "\n")
