"""Every constant has a value, a unit and a source."""

import sys
from pathlib import Path

import pint
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mlsys import constants as C  # noqa: E402


def _public_constants():
    for name, value in vars(C).items():
        if name.startswith("_") or not name.isupper() and not name[0].isupper():
            continue
        if isinstance(value, pint.Unit) or isinstance(value, type) or callable(value):
            continue
        if isinstance(value, (int, float, pint.Quantity)) and not isinstance(value, bool):
            yield name, value


def test_every_public_constant_is_registered_with_a_source():
    names = dict(_public_constants())
    assert len(names) > 60
    missing = sorted(set(names) - set(C.CONSTANTS))
    assert not missing, f"constants without a source: {missing}"
    for name, value in names.items():
        record = C.CONSTANTS[name]
        assert record.quantity is value, name
        assert record.source.strip(), name
        assert record.kind in {"definition", "datasheet", "paper", "pricing", "assumption", "derived"}


def test_registry_has_no_stale_entries_and_views_agree():
    names = dict(_public_constants())
    assert set(C.CONSTANTS) == set(names)
    assert [c.name for c in C.all_constants()] == list(C.CONSTANTS)
    assert C.SOURCES["A100_MEM_BW"].startswith("NVIDIA A100")
    assert C.get_constant("TPU_POD_CHIPS").quantity == 4096
    with pytest.raises(TypeError):
        C.SOURCES["X"] = "y"  # read-only view


def test_assumptions_say_so():
    for record in C.all_constants():
        if record.kind == "assumption":
            assert record.source.startswith(("Assumption", "Estimate")), record.name


def test_chapter_imports_exist():
    needed = """A100_FLOPS_FP16_TENSOR A100_MEM_BW BATTERY_CAPACITY_MAH BATTERY_ENERGY_J BATTERY_VOLTAGE_V
    BILLION BITS_PER_BYTE Bparam CLOUD_EGRESS_PER_GB CLOUD_ELECTRICITY_PER_KWH DAYS_PER_YEAR DGX_POWER
    DGX_PRICE_MAX DGX_PRICE_MIN DGX_RAM DGX_STORAGE DLRM_MODEL_SIZE_FP32 ENERGY_MOBILENET_INF_MJ ESP32_FLASH
    ESP32_POWER_MAX ESP32_POWER_MIN ESP32_PRICE ESP32_RAM GB GFLOPs HOURS_PER_DAY HOURS_PER_YEAR KB
    KIB_TO_BYTES KiB Kparam MB MIB_TO_BYTES MILLION MOBILE_NPU_MEM_BW MOBILE_NPU_TOPS_INT8 MOBILE_TDP_W
    MS_PER_SEC Mparam OBJECT_DETECTOR_POWER_W PFLOPs PHONE_BATTERY_WH RESNET50_FLOPs RESNET50_PARAMS
    SEC_PER_DAY SEC_PER_HOUR SPEED_OF_LIGHT_FIBER_KM_S TB TFLOPs THOUSAND TPU_POD_CHIPS TPU_POD_MEM
    TPU_POD_POWER TRILLION USD VIDEO_1080P_HEIGHT VIDEO_1080P_WIDTH VIDEO_BYTES_PER_PIXEL_RGB
    VIDEO_FPS_STANDARD byte flop hour second ureg watt""".split()
    missing = [n for n in needed if not hasattr(C, n)]
    assert not missing


@pytest.mark.parametrize(
    "name, expected_type",
    [
        ("TPU_POD_CHIPS", int), ("HOURS_PER_YEAR", int), ("DAYS_PER_YEAR", int), ("BILLION", int),
        ("MIB_TO_BYTES", int), ("KIB_TO_BYTES", int), ("VIDEO_1080P_WIDTH", int), ("SEC_PER_DAY", int),
    ],
)
def test_bare_numbers_are_plain(name, expected_type):
    assert type(getattr(C, name)) is expected_type


@pytest.mark.parametrize(
    "name, unit, expected",
    [
        ("A100_FLOPS_FP16_TENSOR", "TFLOPs/second", 312),
        ("A100_MEM_BW", "GB/second", 2039),
        ("SPEED_OF_LIGHT_FIBER_KM_S", "km/s", 200_000),
        ("RESNET50_PARAMS", "Mparam", 25.557032),
        ("RESNET50_FLOPs", "GFLOPs", 4.1),
        ("GPT3_TRAINING_FLOPs", "flop", 3.14e23),
        ("GPT3_PARAMS", "Bparam", 175),
        ("ESP32_RAM", "byte", 520 * 1024),
        ("TPU_POD_MEM", "TiB", 128),
        ("TPU_POD_POWER", "kW", 786.432),
        ("BATTERY_ENERGY_J", "J", 53_280),
        ("CLOUD_EGRESS_PER_GB", "USD/GB", 0.09),
        ("H100_MEM_BW", "TB/s", 3.35),
        ("TPUV4_MEM_BW", "GB/s", 1200),
    ],
)
def test_key_values(name, unit, expected):
    assert getattr(C, name).to(unit).magnitude == pytest.approx(expected)


def test_derived_constants_are_consistent():
    assert C.SEC_PER_DAY == C.HOURS_PER_DAY * C.SEC_PER_HOUR
    assert C.HOURS_PER_YEAR == C.DAYS_PER_YEAR * C.HOURS_PER_DAY
    assert C.SEC_PER_YEAR == C.DAYS_PER_YEAR * C.SEC_PER_DAY
    assert C.SEC_PER_MONTH * 12 == C.SEC_PER_YEAR
    assert C.MIB_TO_BYTES == C.KIB_TO_BYTES**2
    assert C.NETWORK_10G_BW is C.ETHERNET_10G_BW
