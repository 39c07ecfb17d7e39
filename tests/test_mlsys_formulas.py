"""Each formula against a hand-computed case."""

import sys
from pathlib import Path

import pint
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mlsys.formulas import (  # noqa: E402
    calc_bottleneck,
    calc_fleet_tco,
    calc_monthly_egress_cost,
    calc_network_latency_ms,
)
from mlsys.units import Q_  # noqa: E402


def test_bottleneck_memory_bound():
    # 4 GFLOP over 1 TFLOP/s = 4 ms; 100 MB over 10 GB/s = 10 ms.
    r = calc_bottleneck(Q_(4, "GFLOPs"), Q_(100, "MB"), Q_(1, "TFLOPs/s"), Q_(10, "GB/s"))
    assert r["compute_ms"] == pytest.approx(4.0)
    assert r["memory_ms"] == pytest.approx(10.0)
    assert r["ratio"] == pytest.approx(2.5)
    assert r["intensity"] == pytest.approx(40.0)  # 4e9 / 1e8 flop/byte
    assert r["ridge_point"] == pytest.approx(100.0)  # 1e12 / 1e10
    assert r["bottleneck"] == "Memory"
    assert all(isinstance(r[k], float) for k in ("compute_ms", "memory_ms", "ratio", "intensity"))


def test_bottleneck_compute_bound_and_units_mix():
    # 1 TFLOP over 100 TFLOP/s = 10 ms; 1 GiB over 1 TB/s = 1.073741824 ms.
    r = calc_bottleneck(Q_(1, "TFLOPs"), Q_(1, "GiB"), Q_(100, "TOPS"), Q_(1, "TB/s"))
    assert r["compute_ms"] == pytest.approx(10.0)
    assert r["memory_ms"] == pytest.approx(1.073741824)
    assert r["bottleneck"] == "Compute"
    assert r["ratio"] < 1


def test_bottleneck_resnet50_on_a100():
    # 4.1e9 / 312e12 s = 0.013141 ms; 51.114064e6 B / 2039e9 B/s = 0.025068 ms.
    r = calc_bottleneck(Q_(4.1, "GFLOPs"), Q_(2 * 25_557_032, "byte"), Q_(312, "TFLOPs/s"), Q_(2039, "GB/s"))
    assert r["compute_ms"] == pytest.approx(0.0131410, rel=1e-5)
    assert r["memory_ms"] == pytest.approx(0.0250682, rel=1e-5)
    assert r["bottleneck"] == "Memory"


def test_bottleneck_rejects_bad_inputs():
    good = dict(ops=Q_(1, "GFLOPs"), model_bytes=Q_(1, "MB"), device_flops=Q_(1, "TFLOPs/s"), device_bw=Q_(1, "GB/s"))
    with pytest.raises(pint.DimensionalityError):
        calc_bottleneck(**{**good, "device_bw": Q_(1, "GB")})
    with pytest.raises(pint.DimensionalityError):
        calc_bottleneck(**{**good, "ops": Q_(1, "Mparam")})
    with pytest.raises(TypeError):
        calc_bottleneck(**{**good, "ops": 1e9})
    with pytest.raises(ValueError):
        calc_bottleneck(**{**good, "model_bytes": Q_(0, "MB")})


@pytest.mark.parametrize(
    "distance, expected_ms",
    [(3600, 36.0), (1500, 15.0), (0, 0.0), (Q_(100, "km"), 1.0), (Q_(1500, "mile"), 24.14016)],
)
def test_network_latency_round_trip(distance, expected_ms):
    assert calc_network_latency_ms(distance) == pytest.approx(expected_ms)


def test_network_latency_custom_speed_and_errors():
    # Vacuum: 2 * 299.792458 km / c = 2 ms.
    assert calc_network_latency_ms(299.792458, speed=Q_(299_792.458, "km/s")) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        calc_network_latency_ms(-1)
    with pytest.raises(pint.DimensionalityError):
        calc_network_latency_ms(Q_(5, "s"))


def test_monthly_egress_cost():
    # 1 GB/s for 2,628,000 s = 2,628,000 GB at $0.09 = $236,520.
    assert calc_monthly_egress_cost(Q_(1, "GB/s"), Q_(0.09, "USD/GB")) == pytest.approx(236_520)
    # Plain numbers: bytes/s and USD/GB.
    assert calc_monthly_egress_cost(1e9, 0.09) == pytest.approx(236_520)
    # 18.6624 GB/s (100 x 1080p30 RGB) -> $4.414M.
    rate = Q_(100 * 1920 * 1080 * 3 * 30, "byte/s")
    assert calc_monthly_egress_cost(rate, Q_(0.09, "USD/GB")) == pytest.approx(4_414_030.848)
    with pytest.raises(pint.DimensionalityError):
        calc_monthly_egress_cost(Q_(1, "GB"), Q_(0.09, "USD/GB"))
    with pytest.raises(pint.DimensionalityError):
        calc_monthly_egress_cost(Q_(1, "GB/s"), Q_(0.09, "USD/s"))


def test_fleet_tco():
    # 500 x $150 = $75,000; 2 W x 500 x 3 y x 8760 h = 26,280 kWh x $0.12 = $3,153.60.
    tco = calc_fleet_tco(150, Q_(2, "W"), 500, 3, Q_(0.12, "USD/kWh"))
    assert tco == pytest.approx(78_153.6)
    assert isinstance(tco, float)
    assert calc_fleet_tco(Q_(150, "USD"), Q_(2000, "mW"), 500, 3, Q_(12, "USD/MWh") * 10) == pytest.approx(78_153.6)
    assert calc_fleet_tco(100, Q_(0, "W"), 10, 1, Q_(0.1, "USD/kWh")) == pytest.approx(1000)


def test_fleet_tco_errors():
    price = Q_(0.12, "USD/kWh")
    with pytest.raises(ValueError):
        calc_fleet_tco(150, None, 500, 3, price)
    with pytest.raises(pint.DimensionalityError):
        calc_fleet_tco(150, Q_(2, "J"), 500, 3, price)
    with pytest.raises(pint.DimensionalityError):
        calc_fleet_tco(150, Q_(2, "W"), 500, 3, Q_(0.12, "USD/GB"))
    with pytest.raises(TypeError):
        calc_fleet_tco(150, 2, 500, 3, price)
    with pytest.raises(ValueError):
        calc_fleet_tco(150, Q_(2, "W"), 2.5, 3, price)
    with pytest.raises(ValueError):
        calc_fleet_tco(-1, Q_(2, "W"), 5, 3, price)
