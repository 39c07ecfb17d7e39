"""The values of the lineage analysis (execute/lineage.py): flows, the scopes that bind them, and
the reasons a flow is approximate."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from .result import ConstantUse, Lineage, LiteralUse

NO_OBJECT: Any = object()  # the run-time object behind a flow is not known
MAX_CALL_DEPTH = 6
STRUCTURAL_INTS = (0, 1, 2)

CONDITIONAL = "a conditional whose branch is only known at run time: both branches counted"
CONTAINER = "an element of a computed container: credited with the whole container"
DERIVED_FIELD = "a twin's figure that is no named constant: credited with all the twin's constants"
UNFOLLOWED = "names bound by code the analysis does not follow (exec, globals(), setattr, del)"
UNPACKED = "a value unpacked from a computed sequence: each name credited with all of it"
INSTANCE = "an instance of a cell's class: credited with the whole class"
DEEP = "calls nested too deep to follow: credited with every argument"
FAILED = "the analysis could not follow this expression"


@dataclass(frozen=True)
class Flow:
    """What one value was computed from (data), plus what the analysis knows of it (obj, members)."""

    constants: frozenset[ConstantUse] = frozenset()
    formulas: frozenset[str] = frozenset()
    literals: frozenset[LiteralUse] = frozenset()
    reasons: frozenset[str] = frozenset()
    obj: Any = field(default=NO_OBJECT, compare=False)
    members: Mapping[Any, "Flow"] | None = field(default=None, compare=False)  # a cell's class, a literal container
    function: Any = field(default=None, compare=False)  # (FunctionDef or Lambda node, defining Scope)
    is_class: bool = field(default=False, compare=False)  # members are a cell's class's attributes

    def __or__(self, other: "Flow") -> "Flow":
        if not (other.constants or other.formulas or other.literals or other.reasons):
            return self.data()
        return Flow(self.constants | other.constants, self.formulas | other.formulas,
                    self.literals | other.literals, self.reasons | other.reasons)

    def data(self) -> "Flow":
        if self.obj is NO_OBJECT and self.members is None and self.function is None:
            return self
        return Flow(self.constants, self.formulas, self.literals, self.reasons)

    def flagged(self, reason: str) -> "Flow":
        return replace(self, reasons=self.reasons | {reason})

    def lineage(self) -> Lineage:
        return Lineage(tuple(sorted(self.constants, key=lambda c: c.name)), tuple(sorted(self.formulas)),
                       tuple(sorted(self.literals, key=lambda l: (l.line, l.cell, l.text))), tuple(sorted(self.reasons)))


EMPTY = Flow()


def union(flows: list[Flow]) -> Flow:
    out = EMPTY
    for flow in flows:
        out = out | flow
    return out


class Scope:
    """Names bound in a module, class body or function call being analysed."""

    def __init__(self, parent: "Scope | None", kind: str, names: dict[str, Flow] | None = None) -> None:
        self.parent = parent
        self.kind = kind
        self.names: dict[str, Flow] = {} if names is None else names
        self.returns: list[Flow] = []
        self.declared_global: set[str] = set()

    def lookup(self, name: str) -> Flow | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def module(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def bind(self, name: str, flow: Flow) -> None:
        (self.module() if name in self.declared_global else self).names[name] = flow


def small_int(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
        return isinstance(node, ast.Constant) and type(node.value) is int and node.value == 1
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value in STRUCTURAL_INTS


def chain(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def constant_key(node: ast.expr | None) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, str)) and not isinstance(node.value, bool):
        return node.value
    return None


def sources(flow: Flow) -> int:
    return len(flow.constants) + len(flow.literals) + len(flow.formulas)
