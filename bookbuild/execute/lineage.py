"""Lineage per value: which sourced constants, library formulas and typed literals each inline value rests on.

Method: static data flow over each cell's syntax tree, run right after the cell
ran, with the objects the cells hold consulted where syntax alone cannot tell
(which twin ``Hardware.Edge.Generic_Phone`` is, which constant its ``memory_bw``
field holds, which constants a library formula reads: see libraryflow.py).
Every name the chapter binds (module level, and each attribute of a class a cell
defines) gets a *flow*: the constants, formulas and literals its value was
computed from. Flows follow assignments (tuples element by element), class bodies
(``class X: a = …; b = f(a)`` and exports ``b_str = X.b_str``), f-strings,
calls (a cell's own function is analysed with its arguments bound; a library
formula is credited with the constants its code reads; a builtin or a method
passes its arguments' and receiver's flows on), containers (an element taken by
a constant index or key keeps its own flow) and cells (a name keeps its flow
until it is rebound).

What counts as a literal (a hand-typed assumption):

- a number typed in a cell, or a string with a digit in it (``"100-500"``);
- except formatting: keyword arguments and parameters named in
  ``FORMATTING_PARAMS`` (``precision=1``, ``commas=True``, ``round``'s
  ``ndigits``) and f-string format specs (``{x:.1f}``);
- except structure: indices and keys (``x[0]``, ``d["k"]``), and the integers 0, 1
  and 2 as an operand of arithmetic with a computed value (``n * 2``, ``x - 1``);
  ``duration = 1`` on its own is an assumption;
- a constant the library names (``SEC_PER_DAY``, ``BILLION``) is a constant, never a literal.

Where the analysis cannot be exact it says so (``Lineage.reasons``, the
constants in flows.py) instead of guessing; the flows then hold every candidate
(they may list too much, never too little):

- a conditional whose test is not a name or attribute chain the analysis can read
  on the object (``x if twin.tdp else 3`` is read; ``a if f() else b`` is not):
  both branches count;
- an element of a computed container (``stats["compute_ms"]`` of a formula's
  result) is credited with the whole container; so is each name unpacked from one;
- a twin's figure that is not itself a named constant (a derived field) is
  credited with all of the twin's constants;
- an instance of a cell's class is credited with the whole class and the
  constructor's arguments.

One case may list too little, and is flagged too: a name bound by code the walk
does not see (``exec``, ``globals()[…] =``, ``setattr``) has no flow at all.
Not flagged, by rule or by nature: control flow (``if`` tests, loop conditions,
``check(...)``) is not data; a 2 next to a computed value is structure even when
it means "2 bytes"; a formula is credited with a constant its code names even on
a branch the call does not take (libraryflow.py). Only the in-process engine
traces values; with the Jupyter engine the ledger keeps per-cell provenance,
marked approximate.
"""

from __future__ import annotations

import ast
import builtins
import sys
import types
from dataclasses import replace
from typing import Any, Mapping

from ..qmd import Cell
from .flows import (CONDITIONAL, CONTAINER, DEEP, DERIVED_FIELD, EMPTY, FAILED, INSTANCE, MAX_CALL_DEPTH, NO_OBJECT,
                    UNFOLLOWED, UNPACKED, Flow, Scope, chain, constant_key, small_int, sources, union)
from .libraryflow import FORMATTING_PARAMS, Library, formats_text, is_library_function, qualified_name
from .provenance import object_constants
from .result import Lineage, LiteralUse


class LineageTracker:
    """Follows one chapter's values from cell to cell (one per chapter run)."""

    def __init__(self) -> None:
        self.library = Library()
        self.globals = Scope(None, "module")

    def after_cell(self, cell: Cell, namespace: dict[str, Any], tree: ast.Module | None,
                   changed: list[str] | tuple[str, ...] = ()) -> None:
        """Bind the flows of what the cell (parsed as ``tree``) defined; ``changed`` are the
        names the cell rebound as the namespace shows them (to catch what the syntax hides)."""
        if tree is None:
            return
        walker = _Walker(self, cell, namespace)
        try:
            walker.block(tree.body, self.globals)
        except Exception:  # noqa: BLE001 - lineage is best effort; it never fails a build
            walker.bound.clear()  # what the cell bound is then known only as "not followed"
        for name in changed:  # bound without an assignment the walk saw (exec, globals()[...] = ...)
            if name not in walker.bound:
                self.globals.names[name] = Flow(reasons=frozenset({UNFOLLOWED}), obj=namespace.get(name, NO_OBJECT))

    def inline(self, expr: str, line: int, namespace: dict[str, Any], tree: ast.Expression | None = None) -> Lineage:
        """The lineage of an inline expression at the point where it stands (``tree``: it parsed, its
        line numbers the ``.qmd``'s, if it was)."""
        if tree is None:
            try:
                tree = ast.parse(expr, mode="eval")
            except SyntaxError:
                return Lineage()
            ast.increment_lineno(tree, line - 1)
        walker = _Walker(self, None, namespace, source=expr)
        try:
            return walker.whole(walker.ev(tree.body, self.globals)).lineage()
        except Exception:  # noqa: BLE001 - e.g. an expression nested too deep to walk
            return Lineage(reasons=(FAILED,))


class _Walker:
    """One cell's (or inline expression's) statements, evaluated over flows."""

    def __init__(self, tracker: LineageTracker, cell: Cell | None, namespace: dict[str, Any],
                 source: str | None = None) -> None:
        self.library = tracker.library
        self.cell = cell
        self.namespace = namespace
        self.cell_name = (cell.label or f"#{cell.index + 1}") if cell is not None else "inline"
        self.first_line = cell.code_line if cell is not None else 0
        self.lines = (cell.code if cell is not None else source or "").splitlines()
        self.bound: set[str] = set()
        self.depth = 0

    # ------------------------------------------------------------------ statements

    def block(self, body: list[ast.stmt], scope: Scope) -> None:
        for statement in body:
            self.statement(statement, scope)

    def statement(self, node: ast.stmt, scope: Scope) -> None:  # noqa: C901 - one branch per statement kind
        if isinstance(node, ast.Assign):
            value = self.ev(node.value, scope)
            for target in node.targets:
                self.assign(target, value, node.value, scope)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.ev(node.value, scope), node.value, scope)
        elif isinstance(node, ast.AugAssign):
            current = self.whole(self.ev(node.target, scope))
            self.assign(node.target, current | self.operand(node.value, node.target, scope), None, scope)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.imports(node, scope)
        elif isinstance(node, ast.ClassDef):
            self.class_def(node, scope)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.bind_name(node.name, Flow(function=self.definition(node, scope)), scope)
        elif isinstance(node, ast.Expr):
            self.expression_statement(node.value, scope)
        elif isinstance(node, ast.If):
            self.branches(node.test, node.body, node.orelse, scope)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.assign(node.target, self.whole(self.ev(node.iter, scope)), None, scope)
            self.block(node.body, scope)
            self.block(node.body, scope)  # a second pass carries values from one iteration to the next
            self.block(node.orelse, scope)
        elif isinstance(node, ast.While):
            self.block(node.body, scope)
            self.block(node.body, scope)
            self.block(node.orelse, scope)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, self.whole(self.ev(item.context_expr, scope)), None, scope)
            self.block(node.body, scope)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.block(node.body, scope)  # type: ignore[attr-defined]
            for handler in node.handlers:  # type: ignore[attr-defined]
                self.block(handler.body, scope)
            self.block(node.orelse, scope)  # type: ignore[attr-defined]
            self.block(node.finalbody, scope)  # type: ignore[attr-defined]
        elif isinstance(node, ast.Match):
            subject = self.whole(self.ev(node.subject, scope))
            for case in node.cases:
                for sub in ast.walk(case.pattern):
                    name = getattr(sub, "name", None) or getattr(sub, "rest", None)
                    if isinstance(name, str):
                        self.bind_name(name, subject.flagged(CONDITIONAL), scope)
                self.block(case.body, scope)
        elif isinstance(node, ast.Return):
            scope.returns.append(self.whole(self.ev(node.value, scope)) if node.value is not None else EMPTY)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            scope.declared_global.update(node.names)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    scope.names.pop(target.id, None)
                    self.bound.add(target.id)

    def branches(self, test: ast.expr, body: list[ast.stmt], orelse: list[ast.stmt], scope: Scope) -> None:
        decided = self.decide(test, scope)
        if decided is not None:
            self.block(body if decided else orelse, scope)
            return
        before = dict(scope.names)
        self.block(body, scope)
        after_body = scope.names
        scope.names = dict(before)
        self.block(orelse, scope)
        after_else = scope.names
        merged = dict(before)
        for name in set(after_body) | set(after_else):
            one, other = after_body.get(name, before.get(name)), after_else.get(name, before.get(name))
            if one is other and one is not None:
                merged[name] = one
            else:
                merged[name] = union([f for f in (one, other) if f is not None]).flagged(CONDITIONAL)
        scope.names = merged

    def expression_statement(self, value: ast.expr, scope: Scope) -> None:
        """``items.append(x)``, ``d.update(...)``: a method call on a cell's own value feeds it."""
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and isinstance(value.func.value, ast.Name):
            owner = scope.lookup(value.func.value.id)
            if owner is not None and (owner.obj is NO_OBJECT or isinstance(owner.obj, (list, dict, set))) \
                    and owner.function is None and not owner.is_class:
                fed = union([self.whole(self.ev(a.value if isinstance(a, ast.Starred) else a, scope))
                             for a in value.args] + [self.whole(self.ev(k.value, scope)) for k in value.keywords])
                self.bind_name(value.func.value.id, self.whole(owner) | fed, scope)  # its elements changed
                return
        self.ev(value, scope)  # nested definitions (walrus) still bind

    def imports(self, node: ast.Import | ast.ImportFrom, scope: Scope) -> None:
        runtime = self.runtime(scope)
        for alias in node.names:
            if alias.name == "*":
                continue
            bound = (alias.asname or alias.name).split(".")[0] if isinstance(node, ast.Import) else (alias.asname or alias.name)
            obj = runtime.get(bound, NO_OBJECT) if runtime is not None else NO_OBJECT
            flow = Flow(obj=obj)
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                use = self.library.module_constant(sys.modules.get(node.module), alias.name)
                if use is not None:
                    flow = Flow(constants=frozenset({use}), obj=obj)
            self.bind_name(bound, flow, scope)

    def runtime(self, scope: Scope) -> Mapping[str, Any] | None:
        """The namespace the cell left behind for names of ``scope`` (module or class body)."""
        if scope.kind == "module":
            return self.namespace
        return getattr(scope, "runtime", None)

    def class_def(self, node: ast.ClassDef, scope: Scope) -> None:
        runtime = self.runtime(scope)
        obj = runtime.get(node.name, NO_OBJECT) if runtime is not None else NO_OBJECT
        own = Scope(scope.module(), "class")
        own.runtime = vars(obj) if isinstance(obj, type) else None  # type: ignore[attr-defined]
        for base in node.bases:  # members a cell's base class gives
            inherited = self.ev(base, scope)
            if inherited.is_class and inherited.members:
                own.names.update(inherited.members)
        self.block(node.body, own)
        self.bind_name(node.name, Flow(obj=obj, members=dict(own.names), is_class=True), scope)

    def assign(self, target: ast.expr, value: Flow, value_node: ast.expr | None, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            self.bind_name(target.id, value, scope)
        elif isinstance(target, (ast.Tuple, ast.List)):
            starred = any(isinstance(e, ast.Starred) for e in target.elts)
            if isinstance(value_node, (ast.Tuple, ast.List)) and not starred and len(value_node.elts) == len(target.elts) \
                    and not any(isinstance(e, ast.Starred) for e in value_node.elts):
                for element, node in zip(target.elts, value_node.elts):
                    self.assign(element, self.ev(node, scope), node, scope)
            elif value.members is not None and not starred and all(i in value.members for i in range(len(target.elts))):
                for i, element in enumerate(target.elts):
                    self.assign(element, value.members[i], None, scope)
            else:
                whole = self.whole(value)
                flagged = whole.flagged(UNPACKED) if len(target.elts) > 1 and sources(whole) > 1 else whole
                for element in target.elts:
                    self.assign(element.value if isinstance(element, ast.Starred) else element, flagged, None, scope)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, None, scope)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            owner = scope.lookup(target.value.id)
            if owner is not None and owner.members is not None:
                members = dict(owner.members)
                members[target.attr] = value
                self.bind_name(target.value.id, replace(owner, members=members), scope)
            elif owner is not None:
                self.bind_name(target.value.id, replace(owner | self.whole(value), obj=owner.obj), scope)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            owner = scope.lookup(target.value.id) or EMPTY
            key = constant_key(target.slice)
            members = dict(owner.members) if owner.members is not None and key is not None else None
            if members is not None:
                members[key] = value
            merged = owner | self.whole(value)
            self.bind_name(target.value.id, replace(merged, obj=owner.obj, members=members), scope)

    def bind_name(self, name: str, flow: Flow, scope: Scope) -> None:
        scope.bind(name, flow)
        if scope.kind == "module" or name in scope.declared_global:
            self.bound.add(name)

    # ------------------------------------------------------------------ expressions

    def whole(self, flow: Flow) -> Flow:
        """A flow used as a value: a twin stands for its constants, a cell's class for all its members."""
        if flow.obj is not NO_OBJECT and not flow.constants and self.library.describes_itself(flow.obj):
            return flow.data() | Flow(constants=frozenset(object_constants(flow.obj)))
        if flow.is_class and flow.members is not None:
            return union([flow.data(), *(self.whole(m) for m in flow.members.values())])
        return flow.data()

    def ev(self, node: ast.expr, scope: Scope) -> Flow:  # noqa: C901 - one branch per expression kind
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            found = scope.lookup(node.id)
            if found is not None:
                return found
            if node.id in self.namespace:  # bound where the analysis did not look
                return Flow(reasons=frozenset({UNFOLLOWED}), obj=self.namespace[node.id])
            return Flow(obj=getattr(builtins, node.id, NO_OBJECT))
        if isinstance(node, ast.Attribute):
            return self.attribute(self.ev(node.value, scope), node.attr)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.BinOp):
            return self.operand(node.left, node.right, scope) | self.operand(node.right, node.left, scope)
        if isinstance(node, ast.UnaryOp):
            return self.whole(self.ev(node.operand, scope))
        if isinstance(node, ast.BoolOp):
            return union([self.whole(self.ev(v, scope)) for v in node.values]).flagged(CONDITIONAL)
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
            return union([self.operand(p, parts[i - 1] if i else parts[1], scope) for i, p in enumerate(parts)])
        if isinstance(node, ast.IfExp):
            decided = self.decide(node.test, scope)
            if decided is not None:
                return self.ev(node.body if decided else node.orelse, scope)
            return (self.whole(self.ev(node.body, scope)) | self.whole(self.ev(node.orelse, scope))).flagged(CONDITIONAL)
        if isinstance(node, ast.JoinedStr):
            return union([self.formatted(v, node, scope) for v in node.values])
        if isinstance(node, ast.FormattedValue):
            return self.whole(self.ev(node.value, scope))
        if isinstance(node, ast.Subscript):
            return self.subscript(node, scope)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            flows = [self.whole(self.ev(e.value if isinstance(e, ast.Starred) else e, scope)) for e in node.elts]
            members = None if isinstance(node, ast.Set) or any(isinstance(e, ast.Starred) for e in node.elts) \
                else dict(enumerate(flows))
            return replace(union(flows), members=members)
        if isinstance(node, ast.Dict):
            flows, members = [], {}
            for key, value in zip(node.keys, node.values):
                flow = self.whole(self.ev(value, scope))
                flows.append(flow)
                typed_key = constant_key(key) if key is not None else None
                if typed_key is not None:
                    members[typed_key] = flow
                elif key is not None:
                    flows.append(self.whole(self.ev(key, scope)))
            return replace(union(flows), members=members if len(members) == len(node.keys) else None)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self.comprehension(node, scope)
        if isinstance(node, ast.NamedExpr):
            value = self.ev(node.value, scope)
            self.assign(node.target, value, node.value, scope)
            return value
        if isinstance(node, ast.Lambda):
            return Flow(function=self.definition(node, scope))
        if isinstance(node, ast.Starred):
            return self.whole(self.ev(node.value, scope))
        if isinstance(node, ast.Slice):
            return union([self.index(p, scope) for p in (node.lower, node.upper, node.step) if p is not None])
        return EMPTY

    def constant(self, node: ast.Constant) -> Flow:
        value = node.value
        typed = (isinstance(value, (int, float, complex)) and not isinstance(value, bool)) \
            or (isinstance(value, str) and any(ch.isdigit() for ch in value))
        if not typed:
            return EMPTY
        text = self.segment(node) or repr(value)
        return Flow(literals=frozenset({LiteralUse(self.cell_name, node.lineno, text)}))

    def segment(self, node: ast.AST) -> str | None:
        """The node's source as typed (column offsets are UTF-8 bytes)."""
        if getattr(node, "end_lineno", None) != node.lineno:  # type: ignore[attr-defined]
            return None
        index = node.lineno - (self.first_line or node.lineno)  # type: ignore[attr-defined]
        if not 0 <= index < len(self.lines):
            return None
        raw = self.lines[index].encode("utf-8")[node.col_offset:node.end_col_offset]  # type: ignore[attr-defined]
        return raw.decode("utf-8", errors="replace") or None

    def operand(self, node: ast.expr, other: ast.expr, scope: Scope) -> Flow:
        """An arithmetic operand: 0, 1 or 2 next to a computed value is structure (``n * 2``)."""
        if small_int(node) and not isinstance(other, ast.Constant) and not small_int(other):
            return EMPTY
        return self.whole(self.ev(node, scope))

    def formatted(self, part: ast.expr, whole: ast.JoinedStr, scope: Scope) -> Flow:
        if isinstance(part, ast.FormattedValue):  # the format spec (``:.1f``) is formatting
            return self.whole(self.ev(part.value, scope))
        if isinstance(part, ast.Constant) and isinstance(part.value, str) and any(ch.isdigit() for ch in part.value):
            return Flow(literals=frozenset({LiteralUse(self.cell_name, whole.lineno, repr(part.value))}))
        return EMPTY

    def index(self, node: ast.expr, scope: Scope) -> Flow:
        """A subscript's index or key: typed ones are structure, computed ones carry their flow."""
        if isinstance(node, ast.Constant) or (isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant)):
            return EMPTY
        if isinstance(node, ast.Tuple):
            return union([self.index(e, scope) for e in node.elts])
        return self.ev(node, scope) if isinstance(node, ast.Slice) else self.whole(self.ev(node, scope))

    def subscript(self, node: ast.Subscript, scope: Scope) -> Flow:
        container = self.ev(node.value, scope)
        key = constant_key(node.slice)
        if container.members is not None and key is not None and key in container.members and not container.is_class:
            return container.members[key]
        whole = self.whole(container)
        result = whole | self.index(node.slice, scope)
        if sources(whole) > 1 and not isinstance(node.slice, ast.Slice):
            result = result.flagged(CONTAINER)
        return result

    def comprehension(self, node: ast.expr, scope: Scope) -> Flow:
        inner = Scope(scope, "function")
        flows = []
        for generator in node.generators:  # type: ignore[attr-defined]
            source = self.whole(self.ev(generator.iter, inner))
            flows.append(source)
            self.assign(generator.target, source, None, inner)
        if isinstance(node, ast.DictComp):
            flows += [self.whole(self.ev(node.key, inner)), self.whole(self.ev(node.value, inner))]
        else:
            flows.append(self.whole(self.ev(node.elt, inner)))  # type: ignore[attr-defined]
        return union(flows)

    def attribute(self, base: Flow, name: str) -> Flow:
        """``base.name``: a cell's class member, a module's constant, a twin's field, or the base's own flow."""
        if base.members is not None and name in base.members:
            return base.members[name]
        obj = base.obj
        if obj is NO_OBJECT or obj is None or not self.inspectable(obj):
            return self.whole(base)
        try:
            child = getattr(obj, name)
        except Exception:  # noqa: BLE001 - an attribute the analysis cannot read is the base's flow
            return self.whole(base)
        if isinstance(obj, types.ModuleType):
            use = self.library.module_constant(obj, name)
            return Flow(constants=frozenset({use}), obj=child) if use is not None else Flow(obj=child)
        use = self.library.constant_of(child, name)
        if use is not None:
            return Flow(constants=frozenset({use}), obj=child)
        structural = child is None or callable(child) or isinstance(child, (str, bool, types.ModuleType, type)) \
            or self.library.describes_itself(child) or self.library.in_library(type(child))
        if self.library.describes_itself(obj) and not structural:  # a figure of the twin no constant holds
            return Flow(constants=frozenset(object_constants(obj)), reasons=frozenset({DERIVED_FIELD}),
                        obj=child)
        if self.library.describes_itself(obj) or isinstance(obj, type) or structural:
            return replace(base.data(), obj=child)  # twins, catalogs, methods, names: what is picked decides
        return replace(self.whole(base), obj=child)

    def inspectable(self, obj: Any) -> bool:
        """Objects whose attributes the analysis reads: modules, classes, and the library's own
        objects (twins, catalogs). Anyone else's properties might compute or change things."""
        return isinstance(obj, (types.ModuleType, type)) or self.library.describes_itself(obj) \
            or self.library.in_library(type(obj))

    def decide(self, test: ast.expr, scope: Scope) -> bool | None:
        """The truth of a test the analysis can read without running code: a name or
        attribute chain (optionally negated, or compared with None) whose object is known."""
        negate = False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, negate = test.operand, True
        none_test = None
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot)) \
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
            none_test, test = isinstance(test.ops[0], ast.IsNot), test.left
        if not chain(test):
            return None
        obj = self.ev(test, scope).obj
        if obj is NO_OBJECT:
            return None
        try:
            truth = (obj is not None) == none_test if none_test is not None else bool(obj)
        except Exception:  # noqa: BLE001
            return None
        return truth != negate

    # ------------------------------------------------------------------ calls

    def call(self, node: ast.Call, scope: Scope) -> Flow:  # noqa: C901
        receiver: Flow | None = None
        if isinstance(node.func, ast.Attribute):
            receiver = self.ev(node.func.value, scope)
            callee = self.attribute(receiver, node.func.attr)
            if isinstance(node.func.value, ast.Constant) and node.func.attr == "format":
                receiver = EMPTY  # "{:.1f}".format(x): the template is formatting
        else:
            callee = self.ev(node.func, scope)
        target = callee.obj
        names = self.library.parameter_names(target) if target is not NO_OBJECT and callable(target) else None
        positional: list[Flow] = []
        keywords: dict[str, Flow] = {}
        rest: list[Flow] = []
        passed: set[str] = set()
        for i, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                rest.append(self.whole(self.ev(arg.value, scope)))
                continue
            parameter = names[i] if names is not None and i < len(names) else None
            if parameter in FORMATTING_PARAMS:
                positional.append(EMPTY)
                continue
            positional.append(self.whole(self.ev(arg, scope)))
            if parameter:
                passed.add(parameter)
        for keyword in node.keywords:
            if keyword.arg is None:
                rest.append(self.whole(self.ev(keyword.value, scope)))
            elif keyword.arg not in FORMATTING_PARAMS:
                keywords[keyword.arg] = self.whole(self.ev(keyword.value, scope))
                passed.add(keyword.arg)
        arguments = union([*positional, *keywords.values(), *rest])
        if callee.function is not None:
            if receiver is not None and receiver.members is not None and not receiver.is_class:
                positional = [self.whole(receiver), *positional]  # a method of an instance: ``self`` first
            return self.call_cell_function(callee.function, positional, keywords, rest, arguments)
        if callee.is_class and callee.members is not None:
            instance = self.whole(callee) | arguments
            return replace(instance.flagged(INSTANCE), members=callee.members)
        receiver_flow = self.whole(receiver) if receiver is not None and not callable(receiver.obj) \
            and not isinstance(receiver.obj, (types.ModuleType, type)) and not self.library.describes_itself(receiver.obj) \
            else EMPTY
        owner = getattr(target, "__self__", None)
        if owner is not None and self.library.describes_itself(owner) and is_library_function(target):
            fields, derived = self.library.method_fields(target)
            flow = arguments | Flow(constants=frozenset(fields) | frozenset(self.library.function_constants(target.__func__))
                                    | frozenset(self.library.default_constants(target, passed)),
                                    formulas=frozenset() if formats_text(target) else frozenset({qualified_name(target)}),
                                    reasons=frozenset({DERIVED_FIELD}) if derived else frozenset())
            return flow
        if is_library_function(target):
            func = getattr(target, "__func__", target)
            constants = frozenset(self.library.function_constants(func)) | frozenset(self.library.default_constants(target, passed))
            formula = owner is None and not formats_text(func) and self.library.in_library(func)
            return arguments | receiver_flow | Flow(constants=constants,
                                                    formulas=frozenset({qualified_name(func)}) if formula else frozenset())
        return arguments | receiver_flow | callee.data()

    def definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: Scope) -> tuple:
        """What a call needs of a cell's function: its node, scope, defaults' flows (evaluated
        where it is defined, as Python does) and the cell it is written in (for its literals)."""
        spec = node.args
        params = [*spec.posonlyargs, *spec.args]
        defaults = {p.arg: self.whole(self.ev(d, scope)) for p, d in zip(params[len(params) - len(spec.defaults):], spec.defaults)}
        defaults.update({p.arg: self.whole(self.ev(d, scope)) for p, d in zip(spec.kwonlyargs, spec.kw_defaults) if d is not None})
        return node, scope, defaults, (self.cell_name, self.first_line, self.lines)

    def call_cell_function(self, function: tuple, positional: list[Flow], keywords: dict[str, Flow],
                           rest: list[Flow], arguments: Flow) -> Flow:
        """A function a cell defined, analysed with its parameters bound to the arguments' flows."""
        node, defining, defaults, written = function
        if self.depth >= MAX_CALL_DEPTH:
            return arguments.flagged(DEEP)
        parent = defining.module() if defining.kind == "class" else defining
        scope = Scope(parent, "function")
        spec = node.args
        params = [*spec.posonlyargs, *spec.args]
        extra = union(rest)
        for i, param in enumerate([*params, *spec.kwonlyargs]):
            if i < len(params) and i < len(positional):
                flow = positional[i]
            elif param.arg in keywords:
                flow = keywords[param.arg]
            elif param.arg in defaults:
                flow = defaults[param.arg]
            else:
                flow = EMPTY
            scope.names[param.arg] = flow | extra
        leftover = union(positional[len(params):] + [f for k, f in keywords.items() if k not in {p.arg for p in params}])
        for star in (spec.vararg, spec.kwarg):
            if star is not None:
                scope.names[star.arg] = leftover | extra
        self.depth += 1
        here = (self.cell_name, self.first_line, self.lines)
        self.cell_name, self.first_line, self.lines = written  # its literals are the defining cell's
        try:
            if isinstance(node, ast.Lambda):
                return self.whole(self.ev(node.body, scope))
            self.block(node.body, scope)
        finally:
            self.depth -= 1
            self.cell_name, self.first_line, self.lines = here
        if len(scope.returns) > 1 and len(set(scope.returns)) > 1:
            return union(scope.returns).flagged(CONDITIONAL)
        return union(scope.returns)
