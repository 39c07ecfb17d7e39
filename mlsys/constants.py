"""Named constants of the book, each with its source.

Every constant is a plain pint Quantity (or a plain ``int``/``float`` where
prose formats it as a bare number) and is registered with the document it
comes from: a datasheet, a paper, a definition, or an explicitly *stated
assumption*.  At run time::

    >>> from mlsys import constants
    >>> constants.SOURCES["A100_MEM_BW"]          # doctest: +ELLIPSIS
    'NVIDIA A100 Tensor Core GPU datasheet...'
    >>> [c.name for c in constants.all_constants()][:2]
    ['THOUSAND', 'MILLION']

Values are chosen to be accurate, never to make a chapter's guardrail pass.

Unit names (``flop``, ``TFLOPs``, ``GB``, ``KiB``, ``USD`` ...) are re-exported
from :mod:`mlsys.units` so chapters can write ``312 * TFLOPs / second``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Mapping, Union

from mlsys.units import Q_, ureg

Kind = Literal["definition", "datasheet", "paper", "pricing", "assumption", "derived"]
Value = Union[int, float, "Q_"]


@dataclass(frozen=True)
class Constant:
    """A named constant with its provenance.

    Attributes:
        name: the Python name in :mod:`mlsys.constants`.
        quantity: the value (a pint Quantity, or an int/float for bare numbers).
        source: where the value comes from (document, paper, or "Assumption: ...").
        note: extra context (rounding, conventions, caveats).
        kind: one of ``definition``, ``datasheet``, ``paper``, ``pricing``,
            ``assumption``, ``derived``.
    """

    name: str
    quantity: Value
    source: str
    note: str = ""
    kind: Kind = "datasheet"


_REGISTRY: dict[str, Constant] = {}


def _c(name: str, value: Value, source: str, note: str = "", kind: Kind = "datasheet") -> Value:
    """Register *value* under *name* with its *source* and return it unchanged."""
    if name in _REGISTRY:
        raise RuntimeError(f"constant {name} registered twice")
    if not source.strip():
        raise ValueError(f"constant {name} needs a source")
    _REGISTRY[name] = Constant(name, value, source, note, kind)
    return value


# ---------------------------------------------------------------------------
# Units (re-exported; these are pint Units, not constants)
# ---------------------------------------------------------------------------
flop = ureg.flop
op = ureg.op
MAC = ureg.MAC
KFLOPs, MFLOPs, GFLOPs = ureg.KFLOPs, ureg.MFLOPs, ureg.GFLOPs
TFLOPs, PFLOPs, EFLOPs = ureg.TFLOPs, ureg.PFLOPs, ureg.EFLOPs
GOPS, TOPS = ureg.GOPS, ureg.TOPS
param = ureg.param
Kparam, Mparam, Bparam, Tparam = ureg.Kparam, ureg.Mparam, ureg.Bparam, ureg.Tparam
bit, byte = ureg.bit, ureg.byte
KB, MB, GB, TB, PB = ureg.KB, ureg.MB, ureg.GB, ureg.TB, ureg.PB
KiB, MiB, GiB, TiB = ureg.KiB, ureg.MiB, ureg.GiB, ureg.TiB
bps, Kbps, Mbps, Gbps, Tbps = ureg.bps, ureg.Kbps, ureg.Mbps, ureg.Gbps, ureg.Tbps
second, ms, us, ns = ureg.second, ureg.millisecond, ureg.microsecond, ureg.nanosecond
minute, hour, day, year = ureg.minute, ureg.hour, ureg.day, ureg.year
watt, mW, kW, MW = ureg.watt, ureg.milliwatt, ureg.kilowatt, ureg.megawatt
joule, mJ, uJ = ureg.joule, ureg.millijoule, ureg.microjoule
Wh, kWh, mAh, volt = ureg.watt_hour, ureg.kilowatt_hour, ureg.milliampere_hour, ureg.volt
meter, km = ureg.meter, ureg.kilometer
USD = ureg.USD

# ---------------------------------------------------------------------------
# Plain scalars (definitions)
# ---------------------------------------------------------------------------
THOUSAND = _c("THOUSAND", 1_000, "Definition (10^3).", kind="definition")
MILLION = _c("MILLION", 1_000_000, "Definition (10^6).", kind="definition")
BILLION = _c("BILLION", 1_000_000_000, "Definition (10^9).", kind="definition")
TRILLION = _c("TRILLION", 1_000_000_000_000, "Definition (10^12).", kind="definition")

MS_PER_SEC = _c("MS_PER_SEC", 1_000, "Definition (SI).", kind="definition")
SEC_PER_HOUR = _c("SEC_PER_HOUR", 3_600, "Definition (SI).", kind="definition")
HOURS_PER_DAY = _c("HOURS_PER_DAY", 24, "Definition.", kind="definition")
SEC_PER_DAY = _c("SEC_PER_DAY", 86_400, "Definition (24 x 3600 s).", kind="definition")
DAYS_PER_YEAR = _c(
    "DAYS_PER_YEAR", 365, "Definition: common (non-leap) calendar year.", kind="definition"
)
HOURS_PER_YEAR = _c(
    "HOURS_PER_YEAR", 8_760, "Definition: 365 days x 24 h (cost models bill 8,760 h/year).",
    kind="definition",
)
SEC_PER_YEAR = _c("SEC_PER_YEAR", 31_536_000, "Definition: 365 days x 86,400 s.", kind="definition")
SEC_PER_MONTH = _c(
    "SEC_PER_MONTH", 2_628_000, "Definition: average month = 1/12 of a 365-day year (30.42 days).",
    kind="definition",
)

BITS_PER_BYTE = _c("BITS_PER_BYTE", 8, "Definition (octet).", kind="definition")
KIB_TO_BYTES = _c("KIB_TO_BYTES", 1_024, "Definition (IEC 80000-13: 1 KiB = 2^10 B).", kind="definition")
MIB_TO_BYTES = _c(
    "MIB_TO_BYTES", 1_048_576, "Definition (IEC 80000-13: 1 MiB = 2^20 B).", kind="definition"
)
GIB_TO_BYTES = _c(
    "GIB_TO_BYTES", 1_073_741_824, "Definition (IEC 80000-13: 1 GiB = 2^30 B).", kind="definition"
)

# ---------------------------------------------------------------------------
# Physics
# ---------------------------------------------------------------------------
SPEED_OF_LIGHT_KM_S = _c(
    "SPEED_OF_LIGHT_KM_S", Q_(299_792.458, "km/s"), "Definition: SI speed of light in vacuum.",
    kind="definition",
)
SPEED_OF_LIGHT_FIBER_KM_S = _c(
    "SPEED_OF_LIGHT_FIBER_KM_S", Q_(200_000, "km/s"),
    "Physics: c / n for silica fibre (group index n ~ 1.47-1.5), i.e. ~2.0e5 km/s.",
    note="Rounded rule of thumb (c/1.5 = 199,862 km/s; c/1.468 = 204,218 km/s): "
    "light in fibre covers ~200 km per millisecond.",
    kind="derived",
)

# ---------------------------------------------------------------------------
# Cloud accelerators
# ---------------------------------------------------------------------------
_A100_DS = "NVIDIA A100 Tensor Core GPU datasheet (A100 80GB SXM4)"
A100_FLOPS_FP16_TENSOR = _c(
    "A100_FLOPS_FP16_TENSOR", Q_(312, "TFLOPs/second"), _A100_DS + ": FP16/BF16 Tensor Core, dense.",
    note="624 TFLOPS with 2:4 structured sparsity; peak counts one FMA as 2 FLOPs.",
)
A100_MEM_BW = _c("A100_MEM_BW", Q_(2_039, "GB/second"), _A100_DS + ": HBM2e bandwidth 2,039 GB/s.",
                 note="The 40 GB variant has 1,555 GB/s.")
A100_MEM_CAPACITY = _c("A100_MEM_CAPACITY", Q_(80, "GB"), _A100_DS + ": 80 GB HBM2e.")
A100_TDP = _c("A100_TDP", Q_(400, "W"), _A100_DS + ": max TDP 400 W (SXM4).")

_H100_DS = "NVIDIA H100 Tensor Core GPU datasheet (H100 SXM5)"
H100_FLOPS_FP16_TENSOR = _c(
    "H100_FLOPS_FP16_TENSOR", Q_(989, "TFLOPs/second"), _H100_DS + ": FP16/BF16 Tensor Core, dense.",
    note="NVIDIA lists 1,979 TFLOPS with sparsity; dense is half (989.4).",
)
H100_MEM_BW = _c("H100_MEM_BW", Q_(3.35, "TB/second"), _H100_DS + ": HBM3 3.35 TB/s.")
H100_MEM_CAPACITY = _c("H100_MEM_CAPACITY", Q_(80, "GB"), _H100_DS + ": 80 GB HBM3.")
H100_TDP = _c("H100_TDP", Q_(700, "W"), _H100_DS + ": max TDP up to 700 W.")

_V100_DS = "NVIDIA Tesla V100 datasheet (V100 SXM2)"
V100_FLOPS_FP16_TENSOR = _c(
    "V100_FLOPS_FP16_TENSOR", Q_(125, "TFLOPs/second"), _V100_DS + ": 125 TFLOPS Tensor Core (FP16)."
)
V100_MEM_BW = _c("V100_MEM_BW", Q_(900, "GB/second"), _V100_DS + ": HBM2 900 GB/s.")
V100_MEM_CAPACITY = _c("V100_MEM_CAPACITY", Q_(32, "GB"), _V100_DS + ": 32 GB HBM2 (16 GB variant also sold).")
V100_TDP = _c("V100_TDP", Q_(300, "W"), _V100_DS + ": 300 W.")

_TPU4_DS = "Google Cloud TPU v4 documentation, 'System architecture' (key specifications)"
TPUV4_FLOPS_BF16 = _c("TPUV4_FLOPS_BF16", Q_(275, "TFLOPs/second"), _TPU4_DS + ": 275 TFLOPS per chip (bf16 or int8).")
TPUV4_MEM_BW = _c("TPUV4_MEM_BW", Q_(1_200, "GB/second"), _TPU4_DS + ": HBM2 1,200 GB/s per chip.")
TPUV4_MEM_CAPACITY = _c("TPUV4_MEM_CAPACITY", Q_(32, "GiB"), _TPU4_DS + ": 32 GiB HBM2 per chip.")
TPUV4_CHIP_POWER_MAX = _c(
    "TPUV4_CHIP_POWER_MAX", Q_(192, "W"), _TPU4_DS + ": measured min/mean/max power 90/170/192 W per chip."
)
TPU_POD_CHIPS = _c("TPU_POD_CHIPS", 4_096, _TPU4_DS + ": TPU v4 Pod size 4,096 chips.")
TPU_POD_MEM = _c(
    "TPU_POD_MEM", (TPU_POD_CHIPS * TPUV4_MEM_CAPACITY).to("TiB"),
    "Derived: TPU_POD_CHIPS x TPUV4_MEM_CAPACITY (4,096 x 32 GiB = 128 TiB ~ 140.7 TB).",
    kind="derived",
)
TPU_POD_POWER = _c(
    "TPU_POD_POWER", (TPU_POD_CHIPS * TPUV4_CHIP_POWER_MAX).to("kW"),
    "Derived: TPU_POD_CHIPS x TPUV4_CHIP_POWER_MAX (4,096 x 192 W ~ 0.79 MW).",
    note="Chips only: excludes host CPUs, optical switches, networking and cooling, "
    "for which Google publishes no pod-level figure.",
    kind="derived",
)

# ---------------------------------------------------------------------------
# Edge systems
# ---------------------------------------------------------------------------
_SPARK = "NVIDIA DGX Spark product page / hardware guide (GB10 Grace Blackwell)"
DGX_RAM = _c("DGX_RAM", Q_(128, "GB"), _SPARK + ": 128 GB LPDDR5x unified memory.")
DGX_STORAGE = _c("DGX_STORAGE", Q_(4, "TB"), _SPARK + ": up to 4 TB NVMe (Founders Edition).")
DGX_AI_FLOPS = _c(
    "DGX_AI_FLOPS", Q_(1, "PFLOPs/second"), _SPARK + ": up to 1 PFLOP of AI compute.",
    note="FP4 with 2:4 sparsity; far less at FP16.",
)
DGX_MEM_BW = _c("DGX_MEM_BW", Q_(273, "GB/second"), _SPARK + ": 273 GB/s LPDDR5x bandwidth.")
DGX_POWER = _c(
    "DGX_POWER", Q_(240, "W"), _SPARK + ": 240 W external power supply.",
    note="Rating of the power adapter; the GB10 superchip itself is ~140 W TDP.",
)
DGX_PRICE_MIN = _c(
    "DGX_PRICE_MIN", Q_(2_999, "USD"), "Launch pricing (Oct 2025): partner GB10 systems from US$2,999.",
    kind="pricing",
)
DGX_PRICE_MAX = _c(
    "DGX_PRICE_MAX", Q_(3_999, "USD"), "Launch pricing (Oct 2025): NVIDIA DGX Spark Founders Edition (4 TB) US$3,999.",
    kind="pricing",
)

T4_FLOPS_FP16_TENSOR = _c("T4_FLOPS_FP16_TENSOR", Q_(65, "TFLOPs/second"), "NVIDIA T4 datasheet: 65 TFLOPS mixed-precision FP16/FP32.")
T4_MEM_BW = _c("T4_MEM_BW", Q_(320, "GB/second"), "NVIDIA T4 datasheet: 320 GB/s GDDR6.")
EDGE_SERVER_POWER_W = _c(
    "EDGE_SERVER_POWER_W", Q_(300, "W"),
    "Assumption: average wall power of a 1U on-premise inference server with one NVIDIA T4 "
    "(T4 board 70 W, plus CPUs, memory, fans and PSU losses).",
    kind="assumption",
)

_JETSON = "NVIDIA Jetson Orin NX 16GB module datasheet"
JETSON_ORIN_NX_TOPS = _c(
    "JETSON_ORIN_NX_TOPS", Q_(100, "TOPS"), _JETSON + ": up to 100 INT8 TOPS.",
    note="NVIDIA's figure uses 2:4 sparsity; 157 TOPS in the later 'Super' (40 W) mode.",
)
JETSON_ORIN_NX_MEM_BW = _c("JETSON_ORIN_NX_MEM_BW", Q_(102.4, "GB/second"), _JETSON + ": 128-bit LPDDR5, 102.4 GB/s.")
JETSON_ORIN_NX_MEM = _c("JETSON_ORIN_NX_MEM", Q_(16, "GB"), _JETSON + ": 16 GB LPDDR5.")
JETSON_ORIN_NX_POWER = _c("JETSON_ORIN_NX_POWER", Q_(25, "W"), _JETSON + ": configurable 10-25 W power modes (max 25 W).")

_CORAL = "Coral (Google) Edge TPU documentation / Dev Board datasheet"
CORAL_TOPS = _c("CORAL_TOPS", Q_(4, "TOPS"), _CORAL + ": Edge TPU performs 4 TOPS (INT8).")
CORAL_POWER = _c(
    "CORAL_POWER", Q_(2, "W"), _CORAL + ": 0.5 W per TOPS, i.e. 2 W at 4 TOPS.",
    note="Edge TPU coprocessor only; the Dev Board's i.MX 8M host SoC draws extra.",
)
CORAL_MEM = _c("CORAL_MEM", Q_(1, "GB"), _CORAL + ": Dev Board with 1 GB LPDDR4.")
CORAL_MEM_BW = _c(
    "CORAL_MEM_BW", Q_(12.8, "GB/second"),
    _CORAL + ": 1 GB LPDDR4 on a 32-bit bus at 3200 MT/s (= 12.8 GB/s).", kind="derived",
)

_NCS2 = "Intel Neural Compute Stick 2 (Movidius Myriad X VPU) product brief"
MOVIDIUS_TOPS = _c(
    "MOVIDIUS_TOPS", Q_(4, "TOPS"), _NCS2 + ": 4 TOPS total compute (about 1 TOPS on the neural engine)."
)
NUC_MOVIDIUS_POWER = _c(
    "NUC_MOVIDIUS_POWER", Q_(30, "W"),
    "Assumption: Intel NUC 11 Pro (Core i5-1135G7, 28 W TDP) plus an NCS2 stick (~1-2 W).",
    kind="assumption",
)
NUC_MEM_BW = _c(
    "NUC_MEM_BW", Q_(51.2, "GB/second"),
    "Intel ARK Core i5-1135G7: dual-channel DDR4-3200 (2 x 64 bit x 3200 MT/s = 51.2 GB/s).",
    note="Host memory; the NCS2 itself is fed over USB 3.0 (5 Gb/s).",
    kind="derived",
)

# ---------------------------------------------------------------------------
# Mobile
# ---------------------------------------------------------------------------
MOBILE_NPU_TOPS_INT8 = _c(
    "MOBILE_NPU_TOPS_INT8", Q_(10, "TOPS"),
    "Assumption: representative flagship-phone NPU peak, INT8 (2021-2023 flagships quote "
    "roughly 10-35 TOPS).",
    kind="assumption",
)
MOBILE_NPU_MEM_BW = _c(
    "MOBILE_NPU_MEM_BW", Q_(50, "GB/second"),
    "Assumption: phone LPDDR5 DRAM bandwidth; a 64-bit LPDDR5-6400 interface gives 51.2 GB/s.",
    kind="assumption",
)
MOBILE_RAM = _c("MOBILE_RAM", Q_(8, "GB"), "Assumption: typical flagship-phone DRAM (8-16 GB).", kind="assumption")
MOBILE_TDP_W = _c(
    "MOBILE_TDP_W", Q_(3, "W"),
    "Assumption: sustained (thermally limited) phone SoC power, ~3 W; bursts reach 5 W or more.",
    kind="assumption",
)
PHONE_BATTERY_WH = _c(
    "PHONE_BATTERY_WH", Q_(15, "Wh"),
    "Assumption: typical smartphone battery, ~15 Wh (e.g. 4,000 mAh x 3.7-3.85 V = 14.8-15.4 Wh).",
    kind="assumption",
)
BATTERY_CAPACITY_MAH = _c(
    "BATTERY_CAPACITY_MAH", Q_(4_000, "mAh"), "Assumption: typical smartphone battery capacity.",
    kind="assumption",
)
BATTERY_VOLTAGE_V = _c(
    "BATTERY_VOLTAGE_V", Q_(3.7, "V"), "Li-ion cell nominal voltage (3.6-3.7 V; high-voltage cells 3.85 V).",
    kind="datasheet",
)
BATTERY_ENERGY_J = _c(
    "BATTERY_ENERGY_J", (BATTERY_CAPACITY_MAH * BATTERY_VOLTAGE_V).to("J"),
    "Derived: BATTERY_CAPACITY_MAH x BATTERY_VOLTAGE_V (4,000 mAh x 3.7 V = 14.8 Wh = 53,280 J).",
    kind="derived",
)
OBJECT_DETECTOR_POWER_W = _c(
    "OBJECT_DETECTOR_POWER_W", Q_(2, "W"),
    "Assumption: extra system power of a continuously running on-device camera object "
    "detector (camera, ISP, NPU and DRAM active).",
    kind="assumption",
)
ENERGY_MOBILENET_INF_MJ = _c(
    "ENERGY_MOBILENET_INF_MJ", Q_(0.1, "mJ"),
    "Estimate: MobileNetV2 (~0.6 GFLOP counting 2 FLOPs per multiply-add) on an NPU at "
    "~5 TOPS/W effective gives 0.6e9 / 5e12 J ~ 0.12 mJ.",
    note="Compute-only energy; excludes DRAM traffic, sensor and system overhead.",
    kind="assumption",
)

# ---------------------------------------------------------------------------
# TinyML
# ---------------------------------------------------------------------------
_ESP32 = "Espressif ESP32 Series datasheet"
ESP32_RAM = _c("ESP32_RAM", Q_(520, "KiB"), _ESP32 + ": 520 KB on-chip SRAM (KB = 1,024 bytes).")
ESP32_FLASH = _c(
    "ESP32_FLASH", Q_(4, "MiB"), "AI-Thinker ESP32-CAM module: 32 Mbit (4 MiB) SPI flash (plus 4 MiB PSRAM)."
)
ESP32_CLOCK = _c("ESP32_CLOCK", Q_(240, "MHz"), _ESP32 + ": dual-core Xtensa LX6 up to 240 MHz.")
ESP32_POWER_MIN = _c(
    "ESP32_POWER_MIN", Q_(0.1, "W"),
    _ESP32 + ": modem-sleep (radio off) at 240 MHz draws 30-68 mA; 30 mA x 3.3 V ~ 0.1 W.",
    kind="derived",
)
ESP32_POWER_MAX = _c(
    "ESP32_POWER_MAX", Q_(0.8, "W"),
    _ESP32 + ": Wi-Fi transmit peaks at ~240 mA; 240 mA x 3.3 V ~ 0.8 W.",
    note="The ESP32-CAM's camera and flash LED add more.",
    kind="derived",
)
ESP32_PRICE = _c(
    "ESP32_PRICE", Q_(10, "USD"), "Retail price of an AI-Thinker ESP32-CAM board with camera (~US$10).",
    kind="pricing",
)
ESP32_PEAK_OPS = _c(
    "ESP32_PEAK_OPS", Q_(0.96, "GOPS"),
    "Estimate: 2 cores x 240 MHz x one 32-bit multiply-accumulate (2 ops) per cycle.",
    note="Upper bound; real TinyML kernels reach a fraction of this.",
    kind="assumption",
)
ESP32_MEM_BW = _c(
    "ESP32_MEM_BW", Q_(0.96, "GB/second"),
    "Estimate: 32-bit internal SRAM bus at 240 MHz (4 B x 240 MHz).",
    kind="assumption",
)

_STM32H7 = "STMicroelectronics STM32H743 datasheet (Arm Cortex-M7)"
CORTEX_M7_CLOCK = _c("CORTEX_M7_CLOCK", Q_(480, "MHz"), _STM32H7 + ": Cortex-M7 core up to 480 MHz.")
CORTEX_M7_RAM = _c("CORTEX_M7_RAM", Q_(1, "MiB"), _STM32H7 + ": 1 MB of RAM (incl. TCM).")
CORTEX_M7_FLASH = _c("CORTEX_M7_FLASH", Q_(2, "MiB"), _STM32H7 + ": 2 MB of flash.")
CORTEX_M7_PEAK_OPS = _c(
    "CORTEX_M7_PEAK_OPS", Q_(1.92, "GOPS"),
    "Estimate: 480 MHz x dual 16-bit SIMD multiply-accumulate (SMLAD: 4 ops) per cycle.",
    kind="assumption",
)
CORTEX_M7_MEM_BW = _c(
    "CORTEX_M7_MEM_BW", Q_(3.84, "GB/second"),
    "Estimate: 64-bit tightly coupled memory at 480 MHz (8 B x 480 MHz).",
    kind="assumption",
)

# ---------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------
ETHERNET_1G_BW = _c("ETHERNET_1G_BW", Q_(1, "Gbps"), "IEEE 802.3ab (1000BASE-T) line rate.")
ETHERNET_10G_BW = _c("ETHERNET_10G_BW", Q_(10, "Gbps"), "IEEE 802.3ae (10 Gigabit Ethernet) line rate.")
NETWORK_10G_BW = _c("NETWORK_10G_BW", ETHERNET_10G_BW, "Alias of ETHERNET_10G_BW.", kind="derived")
ETHERNET_100G_BW = _c("ETHERNET_100G_BW", Q_(100, "Gbps"), "IEEE 802.3ba (100 Gigabit Ethernet) line rate.")
WIFI6_BW = _c(
    "WIFI6_BW", Q_(9.6, "Gbps"), "IEEE 802.11ax (Wi-Fi 6) maximum PHY rate, 8 spatial streams.",
    note="Real single-client throughput is typically well under 1 Gb/s.",
)

# ---------------------------------------------------------------------------
# Cloud pricing
# ---------------------------------------------------------------------------
CLOUD_EGRESS_PER_GB = _c(
    "CLOUD_EGRESS_PER_GB", Q_(0.09, "USD/GB"),
    "AWS EC2 on-demand pricing: data transfer out to the internet, first 10 TB/month, US$0.09/GB.",
    kind="pricing",
)
CLOUD_ELECTRICITY_PER_KWH = _c(
    "CLOUD_ELECTRICITY_PER_KWH", Q_(0.12, "USD/kWh"),
    "Assumption: US$0.12/kWh, a round figure near the US commercial-sector average retail "
    "price (EIA Electric Power Monthly, 2023: ~12-13 cents/kWh).",
    kind="assumption",
)

# ---------------------------------------------------------------------------
# Video
# ---------------------------------------------------------------------------
VIDEO_1080P_WIDTH = _c("VIDEO_1080P_WIDTH", 1_920, "ITU-R BT.709 / SMPTE 274M: 1920 x 1080 pixels.", kind="definition")
VIDEO_1080P_HEIGHT = _c("VIDEO_1080P_HEIGHT", 1_080, "ITU-R BT.709 / SMPTE 274M: 1920 x 1080 pixels.", kind="definition")
VIDEO_BYTES_PER_PIXEL_RGB = _c(
    "VIDEO_BYTES_PER_PIXEL_RGB", Q_(3, "byte"), "Definition: uncompressed 8-bit RGB (3 x 8 bits per pixel).",
    kind="definition",
)
VIDEO_FPS_STANDARD = _c(
    "VIDEO_FPS_STANDARD", Q_(30, "1/second"), "Assumption: 30 frames per second, the common camera default.",
    kind="assumption",
)

# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------
_FLOP_CONVENTION = (
    "Follows the vision literature's convention of counting one multiply-add as one FLOP; "
    "hardware peak figures count it as 2, so in those terms this is twice as large."
)
RESNET50_PARAMS = _c(
    "RESNET50_PARAMS", Q_(25_557_032, "param"),
    "torchvision ResNet50_Weights.IMAGENET1K_V1: 25,557,032 parameters (He et al., 2016: 25.6 M).",
)
RESNET50_FLOPs = _c(
    "RESNET50_FLOPs", Q_(4.1, "GFLOPs"),
    "torchvision model card: 4.09 GFLOPS per 224x224 image (He et al., 2016, Table 1: 3.8e9).",
    note=_FLOP_CONVENTION, kind="paper",
)
MOBILENETV2_PARAMS = _c(
    "MOBILENETV2_PARAMS", Q_(3.4, "Mparam"), "Sandler et al., 2018 (MobileNetV2), Table 4: 3.4 M parameters.",
    kind="paper",
)
MOBILENETV2_FLOPs = _c(
    "MOBILENETV2_FLOPs", Q_(300, "MFLOPs"), "Sandler et al., 2018 (MobileNetV2), Table 4: 300 M multiply-adds.",
    note=_FLOP_CONVENTION, kind="paper",
)
YOLOV8_NANO_PARAMS = _c(
    "YOLOV8_NANO_PARAMS", Q_(3.2, "Mparam"), "Ultralytics YOLOv8 model table: YOLOv8n 3.2 M parameters.",
)
YOLOV8_NANO_FLOPs = _c(
    "YOLOV8_NANO_FLOPs", Q_(8.7, "GFLOPs"),
    "Ultralytics YOLOv8 model table: YOLOv8n 8.7 GFLOPs at 640x640 input.",
    note="Ultralytics counts 2 FLOPs per multiply-add (4.35 G multiply-adds), unlike RESNET50_FLOPs.",
)
GPT2_PARAMS = _c(
    "GPT2_PARAMS", Q_(1_542, "Mparam"), "Radford et al., 2019 (GPT-2), Table 2: largest model 1,542 M parameters.",
    kind="paper",
)
GPT3_PARAMS = _c("GPT3_PARAMS", Q_(175, "Bparam"), "Brown et al., 2020 (GPT-3): 175 B parameters.", kind="paper")
GPT3_TRAINING_FLOPs = _c(
    "GPT3_TRAINING_FLOPs", Q_(3.14e23, "flop"),
    "Brown et al., 2020 (GPT-3), Table D.1: 3.14e23 FLOPs (3,640 PF-days) to train GPT-3 175B.",
    kind="paper",
)
LLAMA2_70B_PARAMS = _c(
    "LLAMA2_70B_PARAMS", Q_(70, "Bparam"), "Touvron et al., 2023 (Llama 2): 70 B parameter model.", kind="paper"
)
LLAMA2_7B_PARAMS = _c(
    "LLAMA2_7B_PARAMS", Q_(7, "Bparam"), "Touvron et al., 2023 (Llama 2): 7 B parameter model.", kind="paper"
)
LLAMA2_TRAINING_TOKENS = _c(
    "LLAMA2_TRAINING_TOKENS", 2_000_000_000_000, "Touvron et al., 2023 (Llama 2): pretrained on 2.0 T tokens.",
    kind="paper",
)
DLRM_PARAMS = _c(
    "DLRM_PARAMS", Q_(25, "Bparam"),
    "MLPerf DLRM on Criteo Terabyte: 25+ billion parameters, almost all in embedding tables "
    "(Desai & Shrivastava, NeurIPS 2022).",
    kind="paper",
)
DLRM_MODEL_SIZE_FP32 = _c(
    "DLRM_MODEL_SIZE_FP32", Q_(100, "GB"),
    "MLPerf DLRM on Criteo Terabyte: ~100 GB of FP32 embedding memory (Desai & Shrivastava, NeurIPS 2022).",
    kind="paper",
)
KWS_DSCNN_PARAMS = _c(
    "KWS_DSCNN_PARAMS", Q_(24_908, "param"),
    "Computed from the DS-CNN (small) architecture of Zhang et al., 2017 ('Hello Edge'), used as "
    "the MLPerf Tiny keyword-spotting reference: 10x4 conv (64 ch), 4 depthwise-separable blocks "
    "(64 ch), 12-way dense layer, with biases and batch-norm statistics.",
    note="About 22.6 K without batch-norm; ~25 KB of INT8 weights.",
    kind="derived",
)

# ---------------------------------------------------------------------------
# Public registry views
# ---------------------------------------------------------------------------
CONSTANTS: Mapping[str, Constant] = MappingProxyType(_REGISTRY)
SOURCES: Mapping[str, str] = MappingProxyType({name: c.source for name, c in _REGISTRY.items()})


def all_constants() -> list[Constant]:
    """Return every registered constant, in definition order."""
    return list(_REGISTRY.values())


def get_constant(name: str) -> Constant:
    """Return the :class:`Constant` record for *name* (KeyError if unknown)."""
    return _REGISTRY[name]


def describe(name: str) -> dict[str, str] | None:
    """``{name, value, unit, source}`` of a constant, as text, or None for an unknown name."""
    constant = _REGISTRY.get(name)
    if constant is None:
        return None
    quantity = constant.quantity
    if hasattr(quantity, "magnitude") and hasattr(quantity, "units"):
        value, unit = f"{quantity.magnitude:,}", f"{quantity.units:~}"
    else:
        value, unit = f"{quantity:,}", ""
    return {"name": name, "value": value, "unit": unit, "source": constant.source}


def __provenance__(name: str) -> list[dict[str, str]] | None:
    """Provenance protocol: the build's value ledger asks where an imported name comes from."""
    record = describe(name)
    return [record] if record else None
