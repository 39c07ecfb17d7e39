"""What the book's library says about its own objects, learnt at run time (never from its files).

The engine knows no library by name. It learns everything here from the
*provenance protocol* and from the objects a chapter's cells hold:

- a module that defines ``__provenance__(name)`` describes its names: a name it
  describes as itself (a record whose ``name`` is that name) is a *constant*, and
  the object bound to it is remembered by identity, so the same object reached
  another way (a twin's field, a formula's global, a default argument) is known
  as that constant too;
- an object whose type defines ``__provenance__()`` (a hardware or model twin)
  describes the constants behind all of its figures;
- a library function is credited with the constants its own code reads: the
  global names in its bytecode (``co_names``, nested code included, following the
  library's helpers) that are bound to constants, and the constant defaults of
  the parameters a call does not pass. A twin's method is credited, in addition,
  with the twin's fields its code names (``self.parameters``).

Limits, stated: bytecode names do not say which branch runs, so a formula reading a
constant only on a branch not taken is still credited with it; an attribute name
that happens to equal a constant's global name is read as that constant. Small
integers and short strings are shared objects in CPython, so for those identity
alone proves nothing and the name must match too.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any

from .provenance import object_constants, protocol_records
from .result import ConstantUse

#: Parameters that only shape how a number is written, never the number: a call's
#: argument for one of these is not an assumption, whatever its value.
FORMATTING_PARAMS = frozenset({
    "precision", "commas", "digits", "decimals", "ndigits", "sig", "sigfigs", "sig_figs", "width", "spec",
    "format_spec", "fmt", "style", "sep", "end",
})


def _shared_object(obj: Any) -> bool:
    """Objects CPython shares between unrelated names (identity proves nothing for them)."""
    return isinstance(obj, bool) or obj is None or (isinstance(obj, int) and -5 <= obj <= 256) \
        or (isinstance(obj, str) and len(obj) <= 20)


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


class Library:
    """The constants and formulas of whatever library the cells import, as the protocol reports them."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Any, ConstantUse]] = {}
        self._packages: set[str] = set()  # top-level packages with a protocol module: the book's library
        self._scanned: set[str] = set()
        self._modules_seen = 0
        self._function_cache: dict[int, tuple[Any, tuple[ConstantUse, ...]]] = {}
        self._signatures: dict[int, tuple[Any, tuple[str, ...] | None]] = {}
        self._described: dict[tuple[int, str], ConstantUse | None] = {}  # (module, attribute) -> its constant
        self._defaults: dict[int, tuple[Any, tuple[tuple[str, ConstantUse], ...]]] = {}

    # ------------------------------------------------------------------ constants

    def _refresh(self) -> None:
        """Remember the constant objects of every protocol module imported since the last look."""
        if len(sys.modules) == self._modules_seen:
            return
        self._modules_seen = len(sys.modules)
        for name, module in list(sys.modules.items()):
            if name in self._scanned or not isinstance(module, types.ModuleType):
                continue
            self._scanned.add(name)
            describe = vars(module).get("__provenance__")
            if not callable(describe):
                continue
            self._packages.add(name.split(".")[0])
            for attribute, obj in list(vars(module).items()):
                if attribute.startswith("_") or isinstance(obj, (types.ModuleType, type)) or callable(obj):
                    continue
                use = self.module_constant(module, attribute)
                if use is not None and id(obj) not in self._by_id:
                    self._by_id[id(obj)] = (obj, use)

    def module_constant(self, module: Any, attribute: str) -> ConstantUse | None:
        """The constant ``module.attribute`` is, when the module's protocol says so."""
        describe = vars(module).get("__provenance__") if isinstance(module, types.ModuleType) else None
        if not callable(describe):
            return None
        key = (id(module), attribute)
        if key not in self._described:  # asked once: a constant's record does not change while cells run
            try:
                found = protocol_records(describe(attribute))
            except Exception:  # noqa: BLE001 - provenance is best effort; it never fails a build
                found = []
            self._described[key] = next((use for use in found if use.name == attribute), None)
        return self._described[key]

    def constant_of(self, obj: Any, name: str | None = None) -> ConstantUse | None:
        """The constant this very object is (identity), or None."""
        self._refresh()
        entry = self._by_id.get(id(obj))
        if entry is None or entry[0] is not obj:
            return None
        if _shared_object(obj) and entry[1].name != name:
            return None
        return entry[1]

    @staticmethod
    def describes_itself(obj: Any) -> bool:
        """Whether ``obj`` is a twin (its type implements the protocol)."""
        return not isinstance(obj, (type, types.ModuleType)) and callable(getattr(type(obj), "__provenance__", None))

    def in_library(self, func: Any) -> bool:
        """Whether a function belongs to a package that speaks the protocol (a formula of the book's
        library, not of numpy or pint)."""
        self._refresh()
        return str(getattr(func, "__module__", "") or "").split(".")[0] in self._packages

    # ------------------------------------------------------------------ functions

    def parameter_names(self, func: Any) -> tuple[str, ...] | None:
        """Positional parameter names of a callable (bound ``self`` excluded), None if unknown."""
        entry = self._signatures.get(id(func))
        if entry is not None and entry[0] is func:
            return entry[1]
        try:
            names: tuple[str, ...] | None = tuple(
                p.name for p in inspect.signature(func).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
        except (TypeError, ValueError):
            names = None
        self._signatures[id(func)] = (func, names)
        return names

    def function_constants(self, func: types.FunctionType) -> tuple[ConstantUse, ...]:
        """The constants a library function's code reads from its globals, helpers followed."""
        cached = self._function_cache.get(id(func))
        if cached is not None and cached[0] is func:
            return cached[1]
        found: dict[str, ConstantUse] = {}
        pending, seen = [func], set()
        while pending:
            current = pending.pop()
            if id(current) in seen or not isinstance(current, types.FunctionType):
                continue
            seen.add(id(current))
            names = _code_names(current.__code__)
            for name in names:
                if name not in current.__globals__:
                    continue
                obj = current.__globals__[name]
                if isinstance(obj, types.ModuleType):
                    for attribute in names:  # ``C.NAME`` reads NAME of module C
                        use = self.module_constant(obj, attribute)
                        if use is not None:
                            found.setdefault(use.name, use)
                elif isinstance(obj, types.FunctionType) and obj.__module__ == current.__module__:
                    pending.append(obj)  # the library's own helpers
                else:
                    use = self.constant_of(obj, name)
                    if use is not None:
                        found.setdefault(use.name, use)
        result = tuple(found.values())
        self._function_cache[id(func)] = (func, result)
        return result

    def default_constants(self, func: Any, passed: set[str]) -> list[ConstantUse]:
        """Constants bound as defaults of the parameters a call leaves out."""
        func = getattr(func, "__func__", func)
        if not isinstance(func, types.FunctionType):
            return []
        cached = self._defaults.get(id(func))
        if cached is None or cached[0] is not func:
            code = func.__code__
            positional = code.co_varnames[:code.co_argcount]
            defaults = func.__defaults__ or ()
            named = dict(zip(positional[len(positional) - len(defaults):], defaults))
            named.update(func.__kwdefaults__ or {})
            found = tuple((name, use) for name, value in named.items()
                          if (use := self.constant_of(value, None)) is not None)
            cached = self._defaults[id(func)] = (func, found)
        return [use for name, use in cached[1] if name not in passed]

    def method_fields(self, method: Any) -> tuple[list[ConstantUse], bool]:
        """For a twin's bound method: the constants of the fields its code names, and whether
        some named field is a figure with no constant of its own (then the twin's whole list stands)."""
        owner, func = getattr(method, "__self__", None), getattr(method, "__func__", None)
        if not isinstance(func, types.FunctionType):
            return [], False
        uses, unnamed = [], False
        fields = vars(owner) if hasattr(owner, "__dict__") else {}
        for name in _code_names(func.__code__):
            if name not in fields:
                continue
            value = fields[name]
            use = self.constant_of(value, name)
            if use is not None:
                uses.append(use)
            elif is_figure(value):
                unnamed = True
        if unnamed:
            uses += object_constants(owner)
        return uses, unnamed


def is_figure(value: Any) -> bool:
    """A number or quantity (what a twin's field holds when it holds a figure)."""
    if isinstance(value, bool) or value is None:
        return False
    return isinstance(value, (int, float, complex)) or (hasattr(value, "magnitude") and hasattr(value, "units"))


def is_library_function(obj: Any) -> bool:
    """A Python function of an imported module (not one a cell defined, not a builtin)."""
    func = getattr(obj, "__func__", obj)
    return isinstance(func, types.FunctionType) and func.__module__ not in ("__main__", "builtins", None)


def formats_text(func: Any) -> bool:
    """A library function that writes text (a formatter, not a formula): annotated to return ``str``,
    or a class that displays as Markdown (``_repr_markdown_``)."""
    func = getattr(func, "__func__", func)
    returns = getattr(func, "__annotations__", {}).get("return")
    if isinstance(returns, str):
        returns = returns.strip("'\"")
        if returns == "str":
            return True
        returns = getattr(func, "__globals__", {}).get(returns)
    return returns is str or (isinstance(returns, type) and hasattr(returns, "_repr_markdown_"))


def qualified_name(func: Any) -> str:
    func = getattr(func, "__func__", func)
    return f"{func.__module__}.{func.__qualname__}"
