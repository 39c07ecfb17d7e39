"""Frozen, validated specification records ("digital twins").

A twin is a ``@dataclass(frozen=True)`` whose Quantity fields are checked at
construction: each must be a Quantity of :data:`mlsys.units.ureg`, have the
field's dimension, and be finite and positive.  Violations raise
:class:`SpecError` naming the twin and the field, e.g.::

    HardwareSpec 'A100': field 'memory_bw' must have dimension
    [information] / [time] (e.g. GB/s), got 2.0 TB
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Optional

from mlsys.units import Q_, is_quantity, ureg

__all__ = ["SpecError", "HardwareSpec", "NetworkSpec", "ModelSpec", "FieldRule"]


class SpecError(ValueError):
    """A twin was built with a missing, mis-dimensioned or non-positive field."""


@dataclass(frozen=True)
class FieldRule:
    """Validation rule for one Quantity field of a twin."""

    unit: str  # a unit with the expected dimension, e.g. "GB/s"
    required: bool = True

    @property
    def dimensionality(self) -> Any:
        """The pint dimensionality that the field must have."""
        return ureg.get_dimensionality(self.unit)


def _describe(value: Any) -> str:
    if is_quantity(value):
        return format(value, "~")
    return f"{value!r} ({type(value).__name__})"


class _Validated:
    """Mixin: validates ``_RULES`` in ``__post_init__``."""

    _RULES: ClassVar[dict[str, FieldRule]] = {}

    def _fail(self, field_name: str, problem: str) -> SpecError:
        return SpecError(f"{type(self).__name__} {self.name!r}: field {field_name!r} {problem}")

    def __provenance__(self) -> list[dict[str, str]]:
        """Provenance protocol: the constants behind this twin's figures (named in ``source``)."""
        from mlsys.constants import describe

        names = [part.strip() for part in getattr(self, "source", "").split(",")]
        return [record for record in (describe(name) for name in names if name) if record]

    def __post_init__(self) -> None:
        name = getattr(self, "name", None)
        if not isinstance(name, str) or not name.strip():
            raise SpecError(f"{type(self).__name__}: field 'name' must be a non-empty string, got {name!r}")
        for field_name, rule in self._RULES.items():
            value = getattr(self, field_name)
            dim = rule.dimensionality
            if value is None:
                if rule.required:
                    raise self._fail(field_name, f"is required (dimension {dim}, e.g. {rule.unit})")
                continue
            if not is_quantity(value):
                raise self._fail(
                    field_name,
                    f"must be a Quantity of mlsys.units.ureg with dimension {dim} "
                    f"(e.g. {rule.unit}), got {_describe(value)}",
                )
            if value.dimensionality != dim:
                raise self._fail(
                    field_name, f"must have dimension {dim} (e.g. {rule.unit}), got {_describe(value)}"
                )
            magnitude = value.magnitude
            if not isinstance(magnitude, numbers.Real) or isinstance(magnitude, bool):
                raise self._fail(field_name, f"must be a real scalar, got {_describe(value)}")
            if not math.isfinite(magnitude) or magnitude <= 0:
                raise self._fail(field_name, f"must be finite and positive, got {_describe(value)}")
        for text_field in ("source", "note"):
            if not isinstance(getattr(self, text_field, ""), str):
                raise self._fail(text_field, "must be a string")


@dataclass(frozen=True)
class HardwareSpec(_Validated):
    """A compute device: accelerator, phone SoC, edge box or microcontroller.

    Attributes:
        name: display name.
        peak_flops: peak compute rate (``[compute]/[time]``) at ``precision``.
        memory_bw: main-memory bandwidth (``[information]/[time]``).
        memory_capacity: main-memory size (``[information]``), or None.
        tdp: rated/typical power (``[power]``), or None when unknown.
        battery_capacity: battery energy (``[energy]``), or None if mains powered.
        unit_cost: list price (``[currency]``), or None.
        precision: the number format ``peak_flops`` refers to, e.g. "FP16 tensor, dense".
        source: where the figures come from (constant names or documents).
        note: caveats.
    """

    name: str
    peak_flops: Q_
    memory_bw: Q_
    memory_capacity: Optional[Q_] = None
    tdp: Optional[Q_] = None
    battery_capacity: Optional[Q_] = None
    unit_cost: Optional[Q_] = None
    precision: str = ""
    source: str = ""
    note: str = ""

    _RULES: ClassVar[dict[str, FieldRule]] = {
        "peak_flops": FieldRule("TFLOPs/second"),
        "memory_bw": FieldRule("GB/second"),
        "memory_capacity": FieldRule("GB", required=False),
        "tdp": FieldRule("W", required=False),
        "battery_capacity": FieldRule("Wh", required=False),
        "unit_cost": FieldRule("USD", required=False),
    }

    @property
    def ridge_point(self) -> Q_:
        """Roofline ridge point: peak_flops / memory_bw, in flop/byte."""
        return (self.peak_flops / self.memory_bw).to("flop/byte")


@dataclass(frozen=True)
class NetworkSpec(_Validated):
    """A network link.

    Attributes:
        name: display name.
        bandwidth: line rate (``[information]/[time]``).
        latency: typical one-way latency (``[time]``), or None.
        source: where the figures come from.
        note: caveats.
    """

    name: str
    bandwidth: Q_
    latency: Optional[Q_] = None
    source: str = ""
    note: str = ""

    _RULES: ClassVar[dict[str, FieldRule]] = {
        "bandwidth": FieldRule("Gbps"),
        "latency": FieldRule("ms", required=False),
    }


@dataclass(frozen=True)
class ModelSpec(_Validated):
    """A machine-learning model.

    Attributes:
        name: display name.
        parameters: parameter count (``[parameter]``).
        inference_flops: compute per inference (per image, or per token for
            language models), or None.
        training_ops: total compute to train, or None.
        model_size: stored size (``[information]``) when it is a published
            figure rather than parameters x bytes, or None.
        source: where the figures come from.
        note: caveats, including the FLOP-counting convention.
    """

    name: str
    parameters: Q_
    inference_flops: Optional[Q_] = None
    training_ops: Optional[Q_] = None
    model_size: Optional[Q_] = None
    source: str = ""
    note: str = ""

    _RULES: ClassVar[dict[str, FieldRule]] = {
        "parameters": FieldRule("param"),
        "inference_flops": FieldRule("GFLOPs", required=False),
        "training_ops": FieldRule("flop", required=False),
        "model_size": FieldRule("GB", required=False),
    }

    def size_in_bytes(self, bytes_per_param: Any) -> Q_:
        """Weights' storage size at a given precision, in bytes.

        Args:
            bytes_per_param: bytes per parameter, as a Quantity in bytes
                (``4 * byte`` for FP32), in bytes per parameter
                (``2 * byte / param``), or a plain positive number of bytes.

        Returns:
            A Quantity in bytes.
        """
        count = self.parameters.to("param").magnitude
        if is_quantity(bytes_per_param):
            if bytes_per_param.dimensionality == ureg.get_dimensionality("byte"):
                size = count * bytes_per_param
            elif bytes_per_param.dimensionality == ureg.get_dimensionality("byte/param"):
                size = self.parameters * bytes_per_param
            else:
                raise SpecError(
                    f"ModelSpec {self.name!r}: bytes_per_param must be bytes or bytes/param, "
                    f"got {_describe(bytes_per_param)}"
                )
            if size.magnitude <= 0:
                raise SpecError(f"ModelSpec {self.name!r}: bytes_per_param must be positive")
            return size.to("byte")
        if isinstance(bytes_per_param, numbers.Real) and not isinstance(bytes_per_param, bool):
            if not math.isfinite(bytes_per_param) or bytes_per_param <= 0:
                raise SpecError(f"ModelSpec {self.name!r}: bytes_per_param must be finite and positive")
            return Q_(count * bytes_per_param, "byte")
        raise SpecError(f"ModelSpec {self.name!r}: bytes_per_param must be a number or Quantity")


def spec_fields(spec: Any) -> dict[str, Any]:
    """Return a twin's fields as a plain dict (for tables and the ledger)."""
    return {f.name: getattr(spec, f.name) for f in fields(spec)}
