"""Where each value comes from: which cell defined it, and which sourced constants stand behind it.

Tracked while a chapter runs (in-process engine):

- after each cell, the names it (re)bound, so an inline expression can be traced
  to the cell that last defined each name it uses, and a cell to the earlier
  cells whose names it read;
- the constants a cell used, found through a small *provenance protocol* that
  the book's library implements (the engine knows no library by name): a module
  may define ``__provenance__(name)`` describing a name imported from it, and an
  object (a hardware or model twin) may define ``__provenance__()`` describing
  the constants behind it. Each description is a list of
  ``{"name", "value", "unit", "source"}`` dicts.
"""

from __future__ import annotations

import ast
import itertools
import sys
import types
from typing import Any, Iterable

from ..qmd import Cell
from .result import ConstantUse

SKIPPED_NAMES = {"__builtins__", "__name__", "display"}
# Names through which code can bind or delete globals without naming them in its syntax.
DYNAMIC_NAMESPACE = {"globals", "vars", "locals", "exec", "eval", "setattr", "delattr", "__dict__", "modules",
                     "__builtins__", "builtins"}


def loaded_names(tree: ast.AST) -> set[str]:
    """Names read by some code."""
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


class ProvenanceTracker:
    """Follows one chapter's namespace from cell to cell."""

    def __init__(self) -> None:
        self.defined_by: dict[str, int] = {}
        self.imported_from: dict[str, tuple[str, str]] = {}  # name -> (module, attribute)
        self._snapshot: dict[str, Any] = {}
        self._declared_global: set[str] = set()  # names functions defined so far may rebind
        self._scan_all = False  # once a function may delete globals, every cell scans the whole namespace
        self.last_changed: list[str] = []  # the names the last cell (re)bound

    def after_cell(self, cell: Cell, namespace: dict[str, Any],
                   tree: ast.AST | None) -> tuple[tuple[int, ...], tuple[ConstantUse, ...]]:
        """Record what the cell (parsed as ``tree``; None if it did not parse) defined;
        return (earlier cells it read from, constants it used)."""
        if tree is None:
            return (), ()
        reads: set[str] = set()
        imported_here: set[str] = set()
        chains: list[ast.Attribute] = []
        bound: set[str] = set()  # names the cell's code may bind, read from its syntax
        dynamic = False
        for node in ast.walk(tree):  # one pass collects everything below
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    reads.add(node.id)
                    dynamic = dynamic or node.id in DYNAMIC_NAMESPACE
                elif isinstance(node.ctx, ast.Del):
                    dynamic = True
                else:
                    bound.add(node.id)
            elif isinstance(node, ast.Attribute):
                chains.append(node)
                dynamic = dynamic or node.attr in DYNAMIC_NAMESPACE
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    imported_here.add(alias.asname or alias.name)
                    bound.add((alias.asname or alias.name).split(".")[0])
                    dynamic = dynamic or alias.name == "*"
                    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                        self.imported_from[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
                # A function that reaches the namespace dynamically may be called by any later cell.
                self._scan_all = self._scan_all or any(_dynamic(inner) for inner in ast.walk(node))
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self._declared_global.update(node.names)
                self._scan_all = self._scan_all or any(isinstance(n, ast.Delete) for n in ast.walk(tree))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                dynamic = True  # ``except E as name`` deletes the name when the block ends
            elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                bound.add(node.rest)
        # Imported names (functions, units, constants) are not values a cell computed:
        # they make no dependency between cells (constants are traced separately).
        computed = reads - imported_here - set(self.imported_from)
        depends = tuple(sorted({self.defined_by[n] for n in computed if n in self.defined_by} - {cell.index}))
        changed = self._changed(namespace, bound | self._declared_global, whole=dynamic or self._scan_all)
        self.last_changed = changed
        for name in changed:
            self.defined_by[name] = cell.index
        records: list[ConstantUse] = []
        for name in sorted(reads):
            if name in self.imported_from:
                records += _from_module(*self.imported_from[name])
        records += _from_attribute_chains(chains, namespace)
        for name in changed:
            records += _from_object_and_members(namespace.get(name))
        return depends, _unique(records)

    def _changed(self, namespace: dict[str, Any], candidates: set[str], *, whole: bool) -> list[str]:
        """The names the cell (re)bound: those among ``candidates`` whose object changed, and
        any new name. Looking only at the candidates keeps a cell's cost independent of
        how many names the cells above it defined; code that reaches the namespace
        dynamically (``globals()``, ``exec``, ``del``, ``import *``) makes it look at every name.
        """
        snapshot = self._snapshot
        if not whole and len(namespace) >= len(snapshot):
            # Without deletions (those are in ``whole``), new names are the last ones inserted.
            fresh = len(namespace) - len(snapshot)
            tail = list(itertools.islice(reversed(namespace), fresh)) if fresh else []
            if all(name not in snapshot for name in tail):
                names = dict.fromkeys([*sorted(n for n in candidates if n in namespace), *reversed(tail)])
                changed = [name for name in names if name not in SKIPPED_NAMES
                           and (name not in snapshot or snapshot[name] is not namespace[name])]
                for name in names:
                    snapshot[name] = namespace[name]
                return changed
        changed = [name for name, value in namespace.items()
                   if name not in SKIPPED_NAMES and (name not in snapshot or snapshot[name] is not value)]
        self._snapshot = dict(namespace)
        return changed

    def inline_cells(self, expr: str, tree: ast.AST | None = None) -> tuple[int, ...]:
        """The cells that last defined the names an inline expression reads (``tree``: it parsed, if it was)."""
        if tree is None:
            try:
                tree = ast.parse(expr, mode="eval")
            except SyntaxError:
                return ()
        return tuple(sorted({self.defined_by[n] for n in loaded_names(tree) if n in self.defined_by}))


def _dynamic(node: ast.AST) -> bool:
    """Whether a node reaches the namespace without naming what it binds (see DYNAMIC_NAMESPACE)."""
    return (isinstance(node, ast.Name) and node.id in DYNAMIC_NAMESPACE) \
        or (isinstance(node, ast.Attribute) and node.attr in DYNAMIC_NAMESPACE)


def _from_module(module: str, attribute: str) -> list[ConstantUse]:
    describe = getattr(sys.modules.get(module), "__provenance__", None)
    if not callable(describe):
        return []
    try:
        return protocol_records(describe(attribute))
    except Exception:  # noqa: BLE001 - provenance is best effort; it never fails a build
        return []


def _from_attribute_chains(nodes: list[ast.Attribute], namespace: dict[str, Any]) -> list[ConstantUse]:
    """Twins reached through dotted names, e.g. ``Hardware.Edge.Coral.tdp``."""
    records: list[ConstantUse] = []
    inner = {id(node.value) for node in nodes if isinstance(node.value, ast.Attribute)}
    for node in nodes:
        if id(node) in inner:
            continue  # the outermost attribute of a chain walks the whole chain
        chain: list[str] = []
        current: ast.AST = node
        while isinstance(current, ast.Attribute):
            chain.append(current.attr)
            current = current.value
        if not isinstance(current, ast.Name) or current.id not in namespace:
            continue
        obj = namespace[current.id]
        for attribute in reversed(chain):
            records += object_constants(obj)
            try:
                obj = getattr(obj, attribute)
            except Exception:  # noqa: BLE001
                break
        else:
            records += object_constants(obj)
    return records


def object_constants(obj: Any) -> list[ConstantUse]:
    """The constants a twin says stand behind it (its type's ``__provenance__()``); [] for other objects."""
    if obj is None or isinstance(obj, (type, types.ModuleType)):
        return []
    describe = getattr(type(obj), "__provenance__", None)
    if not callable(describe):
        return []
    try:
        return protocol_records(describe(obj))
    except Exception:  # noqa: BLE001
        return []


def _from_object_and_members(obj: Any) -> list[ConstantUse]:
    """A value the cell bound; for a class the cell defined, also its attributes."""
    records = object_constants(obj)
    if isinstance(obj, type) and obj.__module__ == "__main__":
        for member in vars(obj).values():
            records += object_constants(member)
    return records


def protocol_records(described: Iterable[Any] | None) -> list[ConstantUse]:
    """The protocol's dicts as ConstantUse (malformed entries ignored)."""
    out = []
    for record in described or []:
        if isinstance(record, dict) and record.get("name"):
            out.append(ConstantUse(str(record["name"]), str(record.get("value", "")), str(record.get("unit", "")),
                                   str(record.get("source", ""))))
    return out


def _unique(records: list[ConstantUse]) -> tuple[ConstantUse, ...]:
    return tuple({record.name: record for record in records}.values())
