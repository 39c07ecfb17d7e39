"""``bookbuild diff-values REV_A [REV_B]``: what did an edit do to the numbers in the prose?

Each revision is exported from git into a temporary folder (``git archive``,
nothing in the working tree is touched) and checked with the engine of the
working tree. Its cells find their library by the usual rules (their folder,
the revision's own ``_environment``, ``PYTHONPATH``), and an entry of
``PYTHONPATH`` inside the repository points into the exported copy, so the
values are the ones that revision computes with its own library. Values are matched by
chapter, expression and occurrence, and each change lists the constants in the
value's own lineage whose figures differ between the two revisions, and the
hand-typed literals behind it that are new or edited.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, TextIO

from .check import check_book
from .diagnostics import ConfigError, Diagnostic, error, plural
from .ledger import LedgerEntry, chapter_ledger
from .project import display_path, load_book

Key = tuple[str, str, int]  # (chapter path in the project, expression, occurrence)


@dataclass(frozen=True)
class ValueChange:
    """One inline value that reads differently (``before`` or ``after`` is None if added or removed)."""

    chapter: str
    expr: str
    before: LedgerEntry | None
    after: LedgerEntry | None

    @property
    def changed_constants(self) -> list[str]:
        """``NAME: old → new`` for the constants behind the value whose figures differ."""
        if not self.before or not self.after:
            return []
        old = {c.name: c for c in self.before.constants}
        out = []
        for constant in self.after.constants:
            previous = old.get(constant.name)
            if previous and (previous.value, previous.unit) != (constant.value, constant.unit):
                out.append(f"{constant.name}: {previous.value} {previous.unit} → {constant.value} {constant.unit}".strip())
        return out

    @property
    def changed_literals(self) -> list[str]:
        """The hand-typed literals behind the value that are new or edited (``cell x:12: 3600``)."""
        if not self.before or not self.after:
            return []
        old = {(l.cell, l.text) for l in self.before.literals}
        return [f"{literal} (typed in the cell)" for literal in self.after.literals if (literal.cell, literal.text) not in old]


def git(args: list[str], cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise ConfigError(error("git", str(cwd), 1, f"git {' '.join(args)} failed: {done.stderr.strip()}",
                                hint="give two revisions of the repository that holds the book"))
    return done.stdout


def export_revision(repo: Path, revision: str, target: Path) -> None:
    """Write the tree of ``revision`` into ``target`` (no checkout, no change to the repository).

    The revision goes after ``--end-of-options``: one that looks like an option
    (``--output=FILE``) is a name git cannot find, never an option it obeys.
    """
    verify_revision(repo, revision)
    archive = target / ".revision.tar"
    git(["archive", "--format=tar", "-o", str(archive), "--end-of-options", revision], repo)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()


def rebased_environment(repo: Path, tree: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with each ``PYTHONPATH`` entry inside ``repo`` moved to the same place in ``tree``."""
    moved = dict(environ)
    if "PYTHONPATH" in environ:
        entries = []
        for entry in environ["PYTHONPATH"].split(os.pathsep):
            absolute = Path(entry).resolve() if entry else None
            if absolute is not None and absolute.is_relative_to(repo.resolve()):
                absolute = tree / absolute.relative_to(repo.resolve())
            entries.append(str(absolute) if absolute is not None else entry)
        moved["PYTHONPATH"] = os.pathsep.join(entries)
    return moved


def verify_revision(repo: Path, revision: str) -> None:
    """Raise ConfigError unless ``revision`` names a commit of the repository."""
    done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"],
                          cwd=repo, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise ConfigError(error("git", display_path(repo), 1, f"'{revision}' is not a revision of this repository",
                                hint="give a commit, branch or tag, e.g. HEAD~1 (see git log)"))


def revision_ledger(tree: Path, project: Path, log: TextIO, environ: Mapping[str, str] | None = None,
                    problems: list[Diagnostic] | None = None) -> dict[Key, LedgerEntry]:
    """The ledger of the book at ``tree/project``, keyed for matching across revisions;
    the check's errors are logged and added to ``problems``."""
    book = load_book(tree / project)
    result = check_book(book, figure_formats=("svg",), environ=environ)
    for diagnostic in result.diagnostics:
        if diagnostic.is_error:
            log.write(diagnostic.format_text() + "\n")
            if problems is not None:
                problems.append(diagnostic)
    keyed: dict[Key, LedgerEntry] = {}
    for loaded, executed in result.executed_chapters():
        seen: Counter[str] = Counter()
        for entry in chapter_ledger(executed):
            keyed[(loaded.entry.path, entry.expr, seen[entry.expr])] = entry
            seen[entry.expr] += 1
    return keyed


def diff_revisions(project: Path, rev_a: str, rev_b: str | None, log: TextIO,
                   problems: list[Diagnostic] | None = None) -> list[ValueChange]:
    """The inline values whose text differs between two revisions (``rev_b`` None: the working tree).

    The errors of either revision's check go to ``problems``: their values are missing or wrong.
    """
    repo = Path(git(["rev-parse", "--show-toplevel"], project).strip())
    relative = project.resolve().relative_to(repo)
    with tempfile.TemporaryDirectory(prefix="bookbuild-diff-") as scratch:
        ledgers = []
        for n, revision in enumerate((rev_a, rev_b)):
            if revision is None:
                tree = repo
            else:
                tree = Path(scratch) / f"rev{n}"
                tree.mkdir()
                export_revision(repo, revision, tree)
            log.write(f"  checking {revision or 'the working tree'}…\n")
            ledgers.append(revision_ledger(tree, relative, log, rebased_environment(repo, tree, os.environ), problems))
    before, after = ledgers
    changes = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[0], (after.get(k) or before[k]).line)):
        old, new = before.get(key), after.get(key)
        if old is None or new is None or old.text != new.text:
            changes.append(ValueChange(key[0], key[1], old, new))
    return changes


def format_changes(changes: list[ValueChange], rev_a: str, rev_b: str) -> str:
    """One line per change, then the constants behind it."""
    if not changes:
        return f"no inline value differs between {rev_a} and {rev_b}\n"
    verb = "differs" if len(changes) == 1 else "differ"
    lines = [f"{plural(len(changes), 'inline value')} {verb} between {rev_a} and {rev_b}:"]
    for change in changes:
        where = change.after or change.before
        assert where is not None
        old = repr(change.before.text) if change.before else "(absent)"
        new = repr(change.after.text) if change.after else "(removed)"
        lines.append(f"{change.chapter}:{where.line}:{where.col}: `{change.expr}` {old} → {new}")
        for because in [*change.changed_constants, *change.changed_literals]:
            lines.append(f"    because {because}")
        if change.after is not None and change.after.approximate:
            lines.append("    (its lineage is approximate: see `bookbuild values`)")
    return "\n".join(lines) + "\n"
