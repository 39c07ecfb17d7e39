"""Where a chapter's cells run: what a Jupyter kernel started for the chapter would see.

- working directory: the chapter's folder, or the project folder with
  ``project: execute-dir: project`` (as in Quarto);
- ``sys.path``: that directory, then the entries of ``PYTHONPATH``, then the
  interpreter's own (standard library, site-packages), nothing else: neither
  where ``bookbuild`` is installed nor where the command was started from,
  unless ``PYTHONPATH`` names them;
- environment: the command's, with the book's ``_environment`` variables added
  (never overriding one already set) and Quarto's ``QUARTO_PROJECT_ROOT``,
  ``QUARTO_DOCUMENT_PATH``, ``QUARTO_DOCUMENT_FILE`` (and ``QUARTO_PROFILE``).

Both engines use one :class:`CellContext`: the in-process worker enters it
(:func:`enter`), the Jupyter worker starts its kernel in it.
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from ..cache import digest
from .fingerprint import is_local


@dataclass(frozen=True)
class CellContext:
    """The working directory, first import path entries and environment of a chapter's cells."""

    cwd: str
    pythonpath: tuple[str, ...] = ()  # absolute, in order: on sys.path right after ``cwd``
    environment: tuple[tuple[str, str], ...] = ()  # set over the command's environment

    @property
    def search_path(self) -> tuple[str, ...]:
        """The entries the book decides, in order: ``cwd``, then ``PYTHONPATH``."""
        return (self.cwd, *self.pythonpath)

    def sys_path(self) -> list[str]:
        """The cells' whole ``sys.path``."""
        return list(dict.fromkeys([*self.search_path, *interpreter_path()]))

    def fingerprint(self) -> str:
        return digest("context", self.cwd, *self.pythonpath, *[f"{k}={v}" for k, v in self.environment])


def chapter_context(root: Path, chapter_file: Path, *, execute_dir: str = "file",
                    book_environment: tuple[tuple[str, str], ...] = (),
                    external: Mapping[str, str] | None = None, started_in: Path | None = None,
                    profiles: tuple[str, ...] = ()) -> CellContext:
    """The context of one chapter's cells.

    ``book_environment`` is what the ``_environment`` files set (``Book.environment``;
    their ``PYTHONPATH`` is already absolute); ``external`` the command's environment
    (default: this process's), whose relative ``PYTHONPATH`` entries are relative to
    ``started_in`` (default: the current directory), as for any Python started there.
    """
    external = os.environ if external is None else external
    cwd = (root if execute_dir == "project" else chapter_file.parent).resolve()
    variables = dict(book_environment)
    raw = external.get("PYTHONPATH") if "PYTHONPATH" in external else variables.get("PYTHONPATH", "")
    base = Path(started_in or Path.cwd()) if "PYTHONPATH" in external else root
    pythonpath = tuple(dict.fromkeys(str((base / entry).resolve()) for entry in (raw or "").split(os.pathsep) if entry))
    if pythonpath:
        variables["PYTHONPATH"] = os.pathsep.join(pythonpath)
    variables |= {"QUARTO_PROJECT_ROOT": str(root.resolve()), "QUARTO_DOCUMENT_PATH": str(chapter_file.parent.resolve()),
                  "QUARTO_DOCUMENT_FILE": chapter_file.name}
    if profiles:  # as Quarto exports the active profiles to the engine
        variables["QUARTO_PROFILE"] = ",".join(profiles)
    return CellContext(str(cwd), pythonpath, tuple(sorted(variables.items())))


@lru_cache(maxsize=1)
def interpreter_path() -> tuple[str, ...]:
    """``sys.path`` of a fresh interpreter, without the script folder and ``PYTHONPATH``.

    Asked of the interpreter itself (``-E`` ignores ``PYTHONPATH``), so ``.pth``
    files and the user's site-packages count as they would in a kernel.
    """
    try:
        done = subprocess.run([sys.executable, "-E", "-c", "import sys, json; print(json.dumps(sys.path[1:]))"],
                              capture_output=True, text=True, timeout=60, cwd="/", stdin=subprocess.DEVNULL)
        return tuple(json.loads(done.stdout))
    except (OSError, subprocess.SubprocessError, ValueError):
        return tuple(p for p in sys.path if p and Path(p).resolve().is_relative_to(Path(sys.base_prefix).resolve()))


def enter(context: CellContext) -> None:
    """Make this process the cells' (a worker, before the chapter runs): cwd, sys.path, environment."""
    os.chdir(context.cwd)
    os.environ.update(dict(context.environment))
    sys.path[:] = context.sys_path()
    importlib.invalidate_caches()
    _check_at_first_import(_forget_shadowed_modules())


def _forget_shadowed_modules() -> set[str]:
    """Drop modules this process holds that the cells' path would find elsewhere (or not at all);
    the names of the book's own modules it keeps.

    The worker was forked with modules its parent imported along other paths
    (another chapter's folder, the command's own): an ``import`` must find what
    the cells' own path gives, as in a fresh kernel.
    """
    tops = {name for name in sys.modules if "." not in name and name != "__main__" and name != "bookbuild"}
    kept = set()
    for name in tops:
        where = getattr(sys.modules.get(name), "__file__", None)
        if where and is_local(Path(where)) and not _forget_if_shadowed(name, where):
            kept.add(name)
    return kept


def _forget_if_shadowed(name: str, where: str) -> bool:
    """Drop module ``name`` (loaded from ``where``) and its submodules when a fresh import would load
    another file, or none; whether it did."""
    found = found_origin(name)
    if found is not None and Path(found).resolve() == Path(where).resolve():
        return False
    for loaded in [n for n in sys.modules if n == name or n.startswith(name + ".")]:
        del sys.modules[loaded]
    return True


def _check_at_first_import(names: set[str]) -> None:
    """Until the cells first import one of ``names`` (the book's modules this worker inherited), it
    is theirs only if the path *then* finds the same file: a cell that puts a folder on ``sys.path``
    and then imports ``mlsys`` gets that folder's ``mlsys``, as in a fresh kernel (the worker's own
    was loaded along the path the chapter starts with)."""
    if not names:
        return
    pending, path_at_start, load = set(names), list(sys.path), builtins.__import__

    def first_checked(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if pending and level == 0:
            top = name.partition(".")[0]
            if top in pending:
                pending.discard(top)
                where = getattr(sys.modules.get(top), "__file__", None)
                if where and sys.path != path_at_start:
                    _forget_if_shadowed(top, where)
        return load(name, globals, locals, fromlist, level)

    builtins.__import__ = first_checked


def found_origin(name: str) -> str | None:
    """The file a fresh ``import name`` would load on the current path: asked of every finder on
    ``sys.meta_path`` (an editable install's finder too, which is no ``sys.path`` entry), not of the
    modules already loaded. None when nothing finds it, or it is not a file."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        try:
            spec = find_spec(name, None)
        except (ImportError, ValueError, AttributeError):  # a finder that cannot answer for this name
            continue
        if spec is not None:
            return spec.origin if spec.has_location else None
    return None
