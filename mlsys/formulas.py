"""Small, dimension-checked formulas used across chapters.

Each function takes pint Quantities (or plain numbers where the parameter's
name states the unit, like ``distance_km``) and returns plain floats in the
unit its name states, ready for :func:`mlsys.formatting.fmt`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, TypedDict, Union

from mlsys.constants import HOURS_PER_YEAR, SEC_PER_MONTH, SPEED_OF_LIGHT_FIBER_KM_S
from mlsys.units import Q_, is_quantity, ureg

__all__ = [
    "BottleneckResult",
    "calc_bottleneck",
    "calc_fleet_tco",
    "calc_monthly_egress_cost",
    "calc_network_latency_ms",
]

Number = Union[int, float]


class BottleneckResult(TypedDict):
    """Result of :func:`calc_bottleneck` (all plain floats except ``bottleneck``)."""

    compute_ms: float
    memory_ms: float
    ratio: float
    intensity: float
    ridge_point: float
    bottleneck: str


def _require(value: Any, unit: str, name: str) -> Q_:
    """Return *value* as a Quantity with *unit*'s dimension, or raise."""
    if not is_quantity(value):
        raise TypeError(f"{name} must be a Quantity with the dimension of {unit}, got {value!r}")
    return value.to(unit)  # raises DimensionalityError on the wrong dimension


def _positive(value: Number, name: str, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'non-negative' if allow_zero else 'positive'}, got {value!r}")


def _as(value: Any, unit: str, name: str) -> float:
    """Magnitude of *value* in *unit*; a plain number is taken to be in *unit*."""
    if is_quantity(value):
        magnitude = value.to(unit).magnitude
    else:
        magnitude = value
    _positive(magnitude, name, allow_zero=True)
    return float(magnitude)


def calc_bottleneck(ops: Q_, model_bytes: Q_, device_flops: Q_, device_bw: Q_) -> BottleneckResult:
    """Roofline comparison of compute time and memory time for one pass.

    Args:
        ops: work per pass (``[compute]``, e.g. ``4.1 * GFLOPs``).
        model_bytes: bytes moved from memory per pass (``[information]``).
        device_flops: peak compute rate (``[compute]/[time]``).
        device_bw: memory bandwidth (``[information]/[time]``).

    Returns:
        ``compute_ms`` = ops / device_flops and ``memory_ms`` = model_bytes /
        device_bw (milliseconds); ``ratio`` = memory_ms / compute_ms (how many
        times the memory term exceeds the compute term); ``intensity`` =
        ops / model_bytes (flop/byte); ``ridge_point`` = device_flops /
        device_bw (flop/byte); ``bottleneck`` = "Memory" if memory_ms >
        compute_ms else "Compute".
    """
    ops_q = _require(ops, "flop", "ops")
    bytes_q = _require(model_bytes, "byte", "model_bytes")
    flops_q = _require(device_flops, "flop/second", "device_flops")
    bw_q = _require(device_bw, "byte/second", "device_bw")
    for name, q in (("ops", ops_q), ("model_bytes", bytes_q), ("device_flops", flops_q), ("device_bw", bw_q)):
        _positive(q.magnitude, name)
    compute_ms = float((ops_q / flops_q).to("ms").magnitude)
    memory_ms = float((bytes_q / bw_q).to("ms").magnitude)
    return BottleneckResult(
        compute_ms=compute_ms,
        memory_ms=memory_ms,
        ratio=memory_ms / compute_ms,
        intensity=float((ops_q / bytes_q).to("flop/byte").magnitude),
        ridge_point=float((flops_q / bw_q).to("flop/byte").magnitude),
        bottleneck="Memory" if memory_ms > compute_ms else "Compute",
    )


def calc_network_latency_ms(distance_km: Any, speed: Q_ = SPEED_OF_LIGHT_FIBER_KM_S) -> float:
    """Round-trip propagation delay over fibre, in milliseconds.

    Args:
        distance_km: one-way distance, in km (plain number) or a length Quantity.
        speed: signal speed (default: light in fibre, ~200,000 km/s).

    Returns:
        ``2 * distance / speed`` in ms (no queuing, routing or processing).
    """
    distance = _as(distance_km, "km", "distance_km")
    speed_q = _require(speed, "km/s", "speed")
    _positive(speed_q.magnitude, "speed")
    return float((2 * Q_(distance, "km") / speed_q).to("ms").magnitude)


def calc_monthly_egress_cost(bytes_per_second: Any, price_per_gb: Any) -> float:
    """Cost of streaming data out of a cloud for an average month, in USD.

    Args:
        bytes_per_second: sustained rate, a ``[information]/[time]`` Quantity
            or a plain number of bytes per second.
        price_per_gb: egress price, a ``[currency]/[information]`` Quantity or
            a plain number of USD per (decimal) GB.

    Returns:
        USD per month, with a month of 365/12 days.
    """
    rate = _as(bytes_per_second, "byte/second", "bytes_per_second")
    price = _as(price_per_gb, "USD/GB", "price_per_gb")
    gigabytes = Q_(rate * SEC_PER_MONTH, "byte").to("GB").magnitude
    return float(gigabytes * price)


def calc_fleet_tco(unit_cost: Any, power: Q_, units: int, years: Number, electricity_price: Q_) -> float:
    """Hardware plus electricity cost of a fleet running 24/7, in USD.

    Args:
        unit_cost: price of one device (USD number or ``[currency]`` Quantity).
        power: average power draw of one device (``[power]`` Quantity).
        units: number of devices.
        years: service life; devices run 8,760 hours a year.
        electricity_price: price of energy (``[currency]/[energy]``, e.g. USD/kWh).

    Returns:
        ``unit_cost * units + power * units * years * 8760 h * electricity_price``.
    """
    if power is None:
        raise ValueError("power is None: the device's power draw is unknown")
    cost = _as(unit_cost, "USD", "unit_cost")
    watts = _require(power, "W", "power")
    _positive(watts.magnitude, "power", allow_zero=True)
    price = _require(electricity_price, "USD/kWh", "electricity_price")
    _positive(price.magnitude, "electricity_price", allow_zero=True)
    if isinstance(units, bool) or not isinstance(units, numbers.Integral):
        raise ValueError(f"units must be an integer count, got {units!r}")
    _positive(units, "units", allow_zero=True)
    _positive(years, "years", allow_zero=True)
    energy = watts * units * years * HOURS_PER_YEAR * ureg.hour
    opex = (energy * price).to("USD").magnitude
    return float(cost * units + opex)
