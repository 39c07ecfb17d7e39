"""What a chapter's execution depends on, so a cached result is reused exactly when it is still right.

The key of a chapter's execution hashes:

- its code: every cell's source and the options that change what it gives
  (``eval``, ``warning``, ``error``, the figure ones, inherited or its own: not
  ``echo``, ``code-fold`` and the others that only change how it is shown), and
  every inline expression, in document order (not the prose: a prose-only edit
  never re-executes);
- the source of every local module its cells import, transitively (all files
  of a local package such as the book's library; a local module's own local
  imports), found along the cells' own import path (their folder, then
  ``PYTHONPATH``: see :mod:`bookbuild.execute.context`);
- where the cells run: working directory, import path, ``_environment`` variables;
- the interpreter, the versions of the key packages and the executor's own code.

Data files the cells open, and local modules they import in ways the static
scan cannot see (``importlib.import_module``), are recorded while they run and
checked on reuse.
Local means not part of the Python installation: the book's own library
(wherever its ``PYTHONPATH`` puts it, or installed in editable mode) and
modules beside the chapter.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.metadata
import json
import re
import sys
import sysconfig
from functools import lru_cache
from pathlib import Path

from ..cache import Cache, digest, file_digest
from ..celloptions import execution_options
from ..qmd import Cell, Chapter

KEY_PACKAGES = ("pint", "numpy", "matplotlib", "pyyaml", "ipykernel", "nbclient")
PACKAGE_DATA_SUFFIXES = {".py", ".yml", ".yaml", ".json", ".csv", ".toml", ".txt"}
EXECUTOR_DIR = Path(__file__).resolve().parent
OPTION_TEXT = re.compile(r"^#\|.*$", re.M)
IMPORTS_STAGE = "facts-imports"


def code_fingerprint(chapter: Chapter) -> str:
    """Hash of what executes: cells (code and execution options) and inline expressions, in order."""
    parts: list[str] = []
    for item in chapter.items:
        if isinstance(item, Cell):
            # The option lines count (they move the code's lines), their text only through the execution options.
            code = OPTION_TEXT.sub("#|", item.code)
            parts += ["cell", code, json.dumps(execution_options(item.options), sort_keys=True, default=str)]
        else:
            parts += ["inline", item.expr]
    return digest(*parts)


def position_signature(chapter: Chapter) -> str:
    """Hash of where cells and expressions stand: cached diagnostics carry these lines."""
    return digest(*[f"{item.line}:{getattr(item, 'col', 1)}:{getattr(item, 'code_line', 0)}" for item in chapter.items])


@lru_cache(maxsize=1)
def installation_roots() -> tuple[Path, ...]:
    """Folders that hold the Python installation and its packages (not the book's code)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(name)
        if path:
            roots.add(path)
    return tuple(Path(r).resolve() for r in roots)


def is_local(path: Path) -> bool:
    """True for a file outside the Python installation."""
    resolved = path.resolve()
    return not any(resolved.is_relative_to(root) for root in installation_roots())


def imported_names(code: str) -> set[str]:
    """Top-level names of the absolute imports in some Python source."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def local_dependencies(chapter: Chapter, import_path: list[str], scan: "DependencyScan | None" = None) -> list[Path]:
    """The local files the chapter's cells import, transitively, sorted.

    ``import_path`` is the cells' whole ``sys.path`` (``CellContext.sys_path()``):
    a module is found where the cells would find it, and nowhere else. ``scan``
    remembers, for one build, where each module was found and what each file
    imports, so the chapters of a book that share a library search it once.
    """
    scan = scan or DependencyScan()
    path = tuple(import_path)
    return sorted(set().union(*(scan.reachable(name, path) for name in scan.cell_imports(chapter))))


class DependencyScan:
    """What :func:`local_dependencies` found, for one build: module files by (name, import path), and
    the names each file imports. Made afresh per build, so an edit between builds is always seen.

    With a ``cache``, the names a chapter's cells import are kept there under a digest of their code
    (parsing every cell of a large book is most of the scan's time)."""

    def __init__(self, cache: Cache | None = None) -> None:
        self._cache = cache
        self._files: dict[tuple[str, tuple[str, ...]], list[Path]] = {}
        self._imports: dict[Path, set[str]] = {}
        self._reachable: dict[tuple[str, tuple[str, ...]], frozenset[Path]] = {}

    def cell_imports(self, chapter: Chapter) -> set[str]:
        """The top-level names the chapter's cells import."""
        codes = [cell.code for cell in chapter.cells]
        key = digest("cell-imports/1", file_digest(Path(__file__)), *codes)
        payload = self._cache.get(IMPORTS_STAGE, key) if self._cache is not None else None
        if payload is not None:
            try:
                names = json.loads(payload)
                if isinstance(names, list) and all(isinstance(name, str) for name in names):
                    return set(names)
            except ValueError:
                pass
            self._cache.discard(IMPORTS_STAGE, key, counted_hit=True)
        found = set().union(*(imported_names(code) for code in codes if "import" in code))
        if self._cache is not None:
            self._cache.put(IMPORTS_STAGE, key, json.dumps(sorted(found)).encode("utf-8"))
        return found

    def reachable(self, name: str, import_path: tuple[str, ...]) -> frozenset[Path]:
        """The local files importing ``name`` brings in, transitively (one search per build and name:
        the chapters of a book that import the same library share it)."""
        key = (name, import_path)
        if key not in self._reachable:
            pending, seen_names, files = {name}, set(), set()
            while pending:
                current = pending.pop()
                if current in seen_names or current in sys.builtin_module_names:
                    continue
                seen_names.add(current)
                for path in self.module_files(current, import_path):
                    if path not in files:
                        files.add(path)
                        if path.suffix == ".py":
                            pending |= self.imports_of(path) - seen_names
            self._reachable[key] = frozenset(files)
        return self._reachable[key]

    def module_files(self, name: str, import_path: tuple[str, ...]) -> list[Path]:
        key = (name, import_path)
        if key not in self._files:
            saved = list(sys.path)
            sys.path[:] = import_path
            importlib.invalidate_caches()
            try:
                self._files[key] = _module_files(name)
            finally:
                sys.path[:] = saved
        return self._files[key]

    def imports_of(self, path: Path) -> set[str]:
        if path not in self._imports:
            self._imports[path] = imported_names(path.read_text(encoding="utf-8", errors="replace"))
        return self._imports[path]


def _module_files(name: str) -> list[Path]:
    """A local module's file, or every source/data file of a local package."""
    try:
        # The import path first, then the other finders (an editable install's); never
        # sys.modules: this process may hold another copy, which the cells would not see.
        spec = importlib.machinery.PathFinder.find_spec(name) or next(
            (found for finder in sys.meta_path if finder is not importlib.machinery.PathFinder
             and hasattr(finder, "find_spec") and (found := finder.find_spec(name, None)) is not None), None)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        files = []
        for location in spec.submodule_search_locations:
            folder = Path(location)
            if folder.is_dir() and is_local(folder):
                files += [p.resolve() for p in folder.rglob("*") if p.suffix in PACKAGE_DATA_SUFFIXES
                          and "__pycache__" not in p.parts and p.is_file()]
        return files
    if spec.origin and spec.has_location and is_local(Path(spec.origin)):
        return [Path(spec.origin).resolve()]
    return []


@lru_cache(maxsize=1)
def environment_fingerprint() -> str:
    """The interpreter, key package versions and this executor's own source."""
    parts = [sys.version]
    for package in KEY_PACKAGES:
        try:
            parts.append(f"{package}=={importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{package} absent")
    parts += [file_digest(path) for path in sorted(EXECUTOR_DIR.glob("*.py"))]
    return digest(*parts)


def execution_key(chapter: Chapter, source_file: str, engine: str, dependencies: list[Path], context: str = "") -> str:
    """The cache key of one chapter's execution (``context``: ``CellContext.fingerprint()``)."""
    return digest("execution", environment_fingerprint(), engine, source_file, chapter.path, code_fingerprint(chapter),
                  context, *[f"{path}={file_digest(path)}" for path in dependencies])


def opened_data_files(paths: list[str], exclude: set[Path]) -> list[str]:
    """Of the files a chapter read, the local ones its key does not already cover."""
    found = []
    for raw in dict.fromkeys(paths):
        path = Path(raw)
        try:
            if not path.is_file() or not is_local(path):
                continue
        except OSError:
            continue
        resolved = path.resolve()
        if resolved in exclude or any(part in ("__pycache__",) for part in resolved.parts):
            continue
        if str(resolved).startswith(("/proc/", "/sys/", "/dev/", "/etc/", "/usr/")) or "/.cache/" in str(resolved) \
                or "/.config/" in str(resolved):
            continue
        found.append(str(resolved))
    return found
