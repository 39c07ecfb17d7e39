"""Units: one registry, real byte/FLOP/param/currency dimensions."""

import pickle
import sys
from pathlib import Path

import pint
import pytest

# Guard against a stale editable install that maps mlsys as a namespace package.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mlsys import constants as C  # noqa: E402
from mlsys.units import Q_, is_quantity, ureg  # noqa: E402


def test_one_registry_everywhere():
    from mlsys import Hardware, Models

    assert C.ureg is ureg
    assert pint.get_application_registry().get() is ureg
    for _, twin in list(Hardware.walk()) + list(Models.walk()):
        for value in vars(twin).values():
            if isinstance(value, pint.Quantity):
                assert is_quantity(value), twin.name


@pytest.mark.parametrize(
    "expr, unit, expected",
    [
        ("2 TB/s", "GB/s", 2000),
        ("1 KiB", "byte", 1024),
        ("1 KB", "byte", 1000),
        ("1 MiB", "byte", 1_048_576),
        ("1 GiB", "GB", 1.073741824),
        ("1 TiB", "TB", 1.099511627776),
        ("1 PB", "TB", 1000),
        ("10 Gbps", "GB/s", 1.25),
        ("8 bit", "byte", 1),
        ("1 TOPS", "TFLOPs/second", 1),
        ("1 GOPS", "GFLOPs/second", 1),
        ("3 MAC", "flop", 6),
        ("1 PFLOPs", "flop", 1e15),
        ("4.1 GFLOPs", "MFLOPs", 4100),
        ("1 Bparam", "Mparam", 1000),
        ("25 Kparam", "param", 25_000),
        ("15 Wh", "J", 54_000),
        ("4000 mAh * 3.7 V", "Wh", 14.8),
        ("3600 km / (200000 km/s)", "ms", 18),
        ("0.09 USD/GB * 1 TB", "USD", 90),
    ],
)
def test_conversions(expr, unit, expected):
    assert ureg(expr).to(unit).magnitude == pytest.approx(expected)


def test_op_is_a_flop():
    assert ureg("1 op") == ureg("1 flop")
    assert (1 * C.TOPS).to(C.TFLOPs / C.second).magnitude == pytest.approx(1)


@pytest.mark.parametrize(
    "left, right",
    [
        ("1 flop", "1 USD"),
        ("1 param", "1 byte"),
        ("1 flop", "1 param"),
        ("1 byte", "1 second"),
        ("1 TFLOPs", "1 TFLOPs/second"),
        ("1 GB", "1 GB/s"),
    ],
)
def test_distinct_dimensions_do_not_mix(left, right):
    with pytest.raises(pint.DimensionalityError):
        ureg(left) + ureg(right)
    with pytest.raises(pint.DimensionalityError):
        ureg(left).to(ureg(right).units)


def test_bytes_are_not_dimensionless():
    with pytest.raises(pint.DimensionalityError):
        Q_(1, "byte") + 1
    with pytest.raises(pint.DimensionalityError):
        Q_(1, "flop") + 1


def test_rates_are_ratios():
    rate = 312 * C.TFLOPs / C.second
    assert rate.dimensionality == ureg.get_dimensionality("flop/second")
    assert (rate * Q_(2, "ms")).to(C.GFLOPs).magnitude == pytest.approx(624)


def test_quantities_pickle_round_trip():
    q = Q_(2039, "GB/s")
    back = pickle.loads(pickle.dumps(q))
    assert back == q
    assert back.to("TB/s").magnitude == pytest.approx(2.039)
    assert pickle.loads(pickle.dumps(C.A100_MEM_BW)) == C.A100_MEM_BW


def test_is_quantity_rejects_foreign_registries():
    other = pint.UnitRegistry()
    assert not is_quantity(other.Quantity(1, "m"))
    assert not is_quantity(3.0)
    assert is_quantity(Q_(1, "m"))


def test_import_is_light():
    import subprocess

    code = (
        "import sys; sys.path.insert(0, %r); import mlsys; from mlsys import Hardware, Models, Tiers; "
        "import mlsys.formatting, mlsys.formulas, mlsys.constants, mlsys.registry; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'" % str(ROOT)
    )
    subprocess.run([sys.executable, "-c", code], check=True)
