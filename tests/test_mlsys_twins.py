"""Twins are frozen and validated at construction."""

import dataclasses
import sys
from pathlib import Path

import pint
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mlsys import Hardware, Models, Tiers  # noqa: E402
from mlsys.constants import KB, MB, byte, param  # noqa: E402
from mlsys.twins import Catalog, HardwareSpec, ModelSpec, NetworkSpec, SpecError, Tier  # noqa: E402
from mlsys.units import Q_  # noqa: E402


def _hw(**overrides):
    fields = dict(name="A100", peak_flops=Q_(312, "TFLOPs/s"), memory_bw=Q_(2, "TB/s"))
    fields.update(overrides)
    return HardwareSpec(**fields)


def test_valid_hardware():
    hw = _hw(tdp=Q_(400, "W"), battery_capacity=None)
    assert hw.tdp.to("W").magnitude == 400
    assert hw.battery_capacity is None
    assert hw.ridge_point.to("flop/byte").magnitude == pytest.approx(156)


def test_wrong_dimension_names_twin_and_field():
    with pytest.raises(SpecError) as err:
        _hw(memory_bw=Q_(2.0, "TB"))
    text = str(err.value)
    assert "HardwareSpec 'A100'" in text
    assert "field 'memory_bw'" in text
    assert "[information] / [time]" in text
    assert "2.0 TB" in text


@pytest.mark.parametrize(
    "field, value",
    [
        ("peak_flops", Q_(312, "TB/s")),
        ("peak_flops", Q_(312, "TFLOPs")),  # a count, not a rate
        ("tdp", Q_(400, "J")),
        ("battery_capacity", Q_(15, "W")),
        ("memory_capacity", Q_(80, "GB/s")),
        ("unit_cost", Q_(10, "W")),
    ],
)
def test_hardware_dimension_errors(field, value):
    with pytest.raises(SpecError, match=f"field '{field}'"):
        _hw(**{field: value})


@pytest.mark.parametrize("value", [Q_(0, "GB/s"), Q_(-1, "GB/s"), Q_(float("nan"), "GB/s"), Q_(float("inf"), "GB/s")])
def test_non_positive_or_non_finite_raises(value):
    with pytest.raises(SpecError, match="field 'memory_bw'.*positive"):
        _hw(memory_bw=value)


def test_plain_number_and_missing_required_field_raise():
    with pytest.raises(SpecError, match="field 'memory_bw'.*Quantity"):
        _hw(memory_bw=2039)
    with pytest.raises(SpecError, match="field 'peak_flops'.*required"):
        _hw(peak_flops=None)
    with pytest.raises(SpecError, match="field 'name'"):
        _hw(name="")


def test_foreign_registry_quantity_rejected():
    other = pint.UnitRegistry()
    with pytest.raises(SpecError, match="mlsys.units.ureg"):
        _hw(tdp=other.Quantity(400, "W"))


def test_spec_error_is_value_error():
    assert issubclass(SpecError, ValueError)


def test_twins_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Hardware.A100.peak_flops = Q_(1, "TFLOPs/s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        Models.GPT3.parameters = Q_(1, "param")
    with pytest.raises(dataclasses.FrozenInstanceError):
        Hardware.Networks.Ethernet_10G.bandwidth = Q_(1, "Gbps")


def test_catalogs_are_read_only():
    with pytest.raises(AttributeError):
        Hardware.A100 = None
    with pytest.raises(AttributeError, match="no member"):
        Hardware.Edge.iPhone
    assert isinstance(Hardware.Edge, Catalog)
    assert "Coral" in Hardware.Edge


def test_model_spec_validation():
    with pytest.raises(SpecError, match="ModelSpec 'm': field 'parameters'"):
        ModelSpec(name="m", parameters=Q_(1, "byte"))
    with pytest.raises(SpecError, match="field 'inference_flops'"):
        ModelSpec(name="m", parameters=Q_(1, "Mparam"), inference_flops=Q_(1, "GFLOPs/s"))
    with pytest.raises(SpecError, match="field 'model_size'"):
        ModelSpec(name="m", parameters=Q_(1, "Mparam"), model_size=Q_(-1, "GB"))


def test_network_spec_validation():
    assert NetworkSpec(name="n", bandwidth=Q_(10, "Gbps")).bandwidth.to("GB/s").magnitude == pytest.approx(1.25)
    with pytest.raises(SpecError, match="NetworkSpec 'n': field 'bandwidth'"):
        NetworkSpec(name="n", bandwidth=Q_(10, "GB"))
    with pytest.raises(SpecError, match="field 'latency'"):
        NetworkSpec(name="n", bandwidth=Q_(10, "Gbps"), latency=Q_(5, "m"))


def test_size_in_bytes():
    m = ModelSpec(name="m", parameters=Q_(25, "Mparam"))
    assert m.size_in_bytes(4 * byte).to(MB).magnitude == pytest.approx(100)
    assert m.size_in_bytes(Q_(2, "byte/param")).to(MB).magnitude == pytest.approx(50)
    assert m.size_in_bytes(1).to(MB).magnitude == pytest.approx(25)
    assert m.size_in_bytes(0.5 * byte).to(KB).magnitude == pytest.approx(12_500)
    for bad in (Q_(4, "second"), 0, -1, "4", Q_(0, "byte")):
        with pytest.raises(SpecError):
            m.size_in_bytes(bad)


def test_tier_validation():
    assert Tiers.Mobile.power_max.to("W").magnitude == 5
    with pytest.raises(SpecError, match="power_min"):
        Tier("x", "y", Q_(1, "J"), Q_(2, "W"), "GB")
    with pytest.raises(SpecError, match="exceeds"):
        Tier("x", "y", Q_(3, "W"), Q_(2, "W"), "GB")


def test_every_catalogued_twin_is_valid_and_sourced():
    twins = list(Hardware.walk()) + list(Models.walk())
    assert len(twins) >= 20
    for path, twin in twins:
        assert twin.source, path
        # Re-constructing from its own fields re-runs validation.
        type(twin)(**{f.name: getattr(twin, f.name) for f in dataclasses.fields(twin)})


def test_chapter_twins_exist_with_expected_attributes():
    assert Hardware.A100.peak_flops.to("TFLOPs/s").magnitude == 312
    assert Hardware.Edge.Generic_Phone.battery_capacity.to("Wh").magnitude == 15
    assert Hardware.Edge.GenericServer.tdp.to("W").magnitude == 300
    assert Hardware.Networks.Ethernet_10G.bandwidth.to("Gbps").magnitude == 10
    for name in ("A100", "H100", "V100", "TPUv4"):
        assert getattr(Hardware.Cloud, name) is getattr(Hardware, name)
    assert Hardware.Tiny.ESP32.memory_capacity.to("KiB").magnitude == 520
    assert Hardware.Tiny.CortexM7.tdp is None
    assert Models.GPT3.training_ops.to("flop").magnitude == pytest.approx(3.14e23)
    assert Models.Tiny.DS_CNN.inference_flops is None
    assert Models.DLRM.model_size.to("GB").magnitude == 100
    assert Models.Language.Llama2_70B.parameters.to("Bparam").magnitude == 70
    assert Models.Vision.YOLOv8_Nano.inference_flops.to("GFLOPs").magnitude == pytest.approx(8.7)
    assert Models.GPT2.parameters.to(param).magnitude == pytest.approx(1.542e9)
    assert {t.name for t in Tiers} == {"Cloud ML", "Edge ML", "Mobile ML", "TinyML"}
