"""Execution results as versioned JSON: what the cache stores is data, never code.

A pickle runs whatever it names when loaded, so a planted or corrupted cache
entry could run a command; JSON cannot. Every type an :class:`ExecutionResult`
holds has an explicit encoder and decoder here; a payload of another version or
shape raises :class:`ValueError` (the caller treats it as a damaged entry).
Figures' PDF, PNG and JPEG bytes travel as base64.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..diagnostics import Diagnostic, Severity
from .result import CellOutput, CellResult, ConstantUse, ExecutionResult, Figure, InlineValue, Lineage, LiteralUse

#: Bump when the shape of an encoded result changes: older entries are then recomputed.
FORMAT = "bookbuild-execution/2"


def result_to_json(result: ExecutionResult, **extra: Any) -> bytes:
    """The result (and ``extra`` JSON-ready fields, e.g. what validates it) as UTF-8 JSON."""
    data = {
        "format": FORMAT,
        "values": [_value_to(v) for v in result.values],
        "cells": [_cell_to(c) for c in result.cells],
        "diagnostics": [_diagnostic_to(d) for d in result.diagnostics],
        "seconds": result.seconds,
        "opened": list(result.opened),
        "extra": extra,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def result_from_json(payload: bytes) -> tuple[ExecutionResult, dict[str, Any]]:
    """The result and the ``extra`` fields stored with it; ValueError when the payload is not one."""
    try:
        data = json.loads(payload.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} payload")
        result = ExecutionResult(
            values=tuple(_value_from(v) for v in _list(data["values"])),
            cells=tuple(_cell_from(c) for c in _list(data["cells"])),
            diagnostics=tuple(_diagnostic_from(d) for d in _list(data["diagnostics"])),
            seconds=_number(data["seconds"]),
            opened=tuple(_str(p) for p in _list(data["opened"])),
        )
        extra = data["extra"]
        if not isinstance(extra, dict):
            raise ValueError("'extra' must be an object")
        return result, extra
    except (KeyError, TypeError, AttributeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"malformed {FORMAT} payload: {exc}") from exc


# --------------------------------------------------------------------------- checked readers

def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _number(value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _ints(value: Any) -> tuple[int, ...]:
    return tuple(_int(v) for v in _list(value))


# --------------------------------------------------------------------------- one type each

def _value_to(value: InlineValue) -> dict[str, Any]:
    return {"index": value.index, "text": value.text, "markdown": value.markdown, "cells": list(value.cells),
            "lineage": None if value.lineage is None else _lineage_to(value.lineage)}


def _value_from(data: dict[str, Any]) -> InlineValue:
    lineage = data["lineage"]
    return InlineValue(_int(data["index"]), _opt_str(data["text"]), _bool(data["markdown"]), _ints(data["cells"]),
                       None if lineage is None else _lineage_from(lineage))


def _lineage_to(lineage: Lineage) -> dict[str, Any]:
    return {"constants": [_constant_to(c) for c in lineage.constants], "formulas": list(lineage.formulas),
            "literals": [[l.cell, l.line, l.text] for l in lineage.literals], "reasons": list(lineage.reasons)}


def _lineage_from(data: dict[str, Any]) -> Lineage:
    literals = []
    for item in _list(data["literals"]):
        cell, line, text = _list(item)
        literals.append(LiteralUse(_str(cell), _int(line), _str(text)))
    return Lineage(tuple(_constant_from(c) for c in _list(data["constants"])),
                   tuple(_str(f) for f in _list(data["formulas"])), tuple(literals),
                   tuple(_str(r) for r in _list(data["reasons"])))


def _bytes_to(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _bytes_from(value: Any) -> bytes | None:
    return None if value is None else base64.b64decode(_str(value), validate=True)


def _figure_to(figure: Figure) -> dict[str, Any]:
    return {"cell_index": figure.cell_index, "number": figure.number, "svg": figure.svg,
            "pdf": _bytes_to(figure.pdf), "png": _bytes_to(figure.png), "jpeg": _bytes_to(figure.jpeg),
            "width": figure.width}


def _figure_from(data: dict[str, Any]) -> Figure:
    width = data["width"]
    return Figure(_int(data["cell_index"]), _int(data["number"]), _opt_str(data["svg"]), _bytes_from(data["pdf"]),
                  _bytes_from(data["png"]), _bytes_from(data["jpeg"]), None if width is None else _int(width))


def _output_to(output: CellOutput) -> dict[str, Any]:
    return {"kind": output.kind, "name": output.name, "data": dict(output.data), "figure": output.figure}


def _output_from(data: dict[str, Any]) -> CellOutput:
    mimes = data["data"]
    if not isinstance(mimes, dict):
        raise TypeError("an output's data must be an object")
    return CellOutput(_str(data["kind"]), _str(data["name"]), {_str(k): _str(v) for k, v in mimes.items()},
                      _int(data["figure"]))


def _constant_to(use: ConstantUse) -> dict[str, Any]:
    return {"name": use.name, "value": use.value, "unit": use.unit, "source": use.source}


def _constant_from(data: dict[str, Any]) -> ConstantUse:
    return ConstantUse(_str(data["name"]), _str(data["value"]), _str(data["unit"]), _str(data["source"]))


def _cell_to(cell: CellResult) -> dict[str, Any]:
    return {"index": cell.index, "ok": cell.ok, "ran": cell.ran, "stdout": cell.stdout,
            "markdown": list(cell.markdown), "figures": [_figure_to(f) for f in cell.figures],
            "seconds": cell.seconds, "depends_on": list(cell.depends_on),
            "constants": [_constant_to(c) for c in cell.constants], "outputs": [_output_to(o) for o in cell.outputs]}


def _cell_from(data: dict[str, Any]) -> CellResult:
    return CellResult(
        index=_int(data["index"]), ok=_bool(data["ok"]), ran=_bool(data["ran"]), stdout=_str(data["stdout"]),
        markdown=tuple(_str(m) for m in _list(data["markdown"])),
        figures=tuple(_figure_from(f) for f in _list(data["figures"])),
        seconds=_number(data["seconds"]), depends_on=_ints(data["depends_on"]),
        constants=tuple(_constant_from(c) for c in _list(data["constants"])),
        outputs=tuple(_output_from(o) for o in _list(data["outputs"])))


def _diagnostic_to(diagnostic: Diagnostic) -> dict[str, Any]:
    return {"severity": diagnostic.severity.value, "code": diagnostic.code, "file": diagnostic.file,
            "line": diagnostic.line, "message": diagnostic.message, "col": diagnostic.col,
            "hint": diagnostic.hint, "cell": diagnostic.cell, "detail": diagnostic.detail}


def _diagnostic_from(data: dict[str, Any]) -> Diagnostic:
    return Diagnostic(Severity(_str(data["severity"])), _str(data["code"]), _str(data["file"]), _int(data["line"]),
                      _str(data["message"]), col=_int(data["col"]), hint=_opt_str(data["hint"]),
                      cell=_opt_str(data["cell"]), detail=_opt_str(data["detail"]))
