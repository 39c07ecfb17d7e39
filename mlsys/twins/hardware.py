"""Hardware twins: cloud accelerators, edge boxes, phones, MCUs, networks.

Every figure comes from :mod:`mlsys.constants`, where its source is recorded.
"""

from __future__ import annotations

from mlsys import constants as C
from mlsys.twins.catalog import Catalog
from mlsys.twins.specs import HardwareSpec, NetworkSpec

__all__ = ["Hardware"]

A100 = HardwareSpec(
    name="NVIDIA A100 80GB SXM",
    peak_flops=C.A100_FLOPS_FP16_TENSOR,
    memory_bw=C.A100_MEM_BW,
    memory_capacity=C.A100_MEM_CAPACITY,
    tdp=C.A100_TDP,
    precision="FP16 tensor, dense",
    source="A100_FLOPS_FP16_TENSOR, A100_MEM_BW, A100_MEM_CAPACITY, A100_TDP",
)
H100 = HardwareSpec(
    name="NVIDIA H100 SXM5",
    peak_flops=C.H100_FLOPS_FP16_TENSOR,
    memory_bw=C.H100_MEM_BW,
    memory_capacity=C.H100_MEM_CAPACITY,
    tdp=C.H100_TDP,
    precision="FP16 tensor, dense",
    source="H100_FLOPS_FP16_TENSOR, H100_MEM_BW, H100_MEM_CAPACITY, H100_TDP",
)
V100 = HardwareSpec(
    name="NVIDIA V100 SXM2",
    peak_flops=C.V100_FLOPS_FP16_TENSOR,
    memory_bw=C.V100_MEM_BW,
    memory_capacity=C.V100_MEM_CAPACITY,
    tdp=C.V100_TDP,
    precision="FP16 tensor",
    source="V100_FLOPS_FP16_TENSOR, V100_MEM_BW, V100_MEM_CAPACITY, V100_TDP",
)
TPUv4 = HardwareSpec(
    name="Google TPU v4 (per chip)",
    peak_flops=C.TPUV4_FLOPS_BF16,
    memory_bw=C.TPUV4_MEM_BW,
    memory_capacity=C.TPUV4_MEM_CAPACITY,
    tdp=C.TPUV4_CHIP_POWER_MAX,
    precision="BF16 / INT8",
    source="TPUV4_FLOPS_BF16, TPUV4_MEM_BW, TPUV4_MEM_CAPACITY, TPUV4_CHIP_POWER_MAX",
    note="tdp is the measured maximum chip power.",
)
DGX_Spark = HardwareSpec(
    name="NVIDIA DGX Spark",
    peak_flops=C.DGX_AI_FLOPS,
    memory_bw=C.DGX_MEM_BW,
    memory_capacity=C.DGX_RAM,
    tdp=C.DGX_POWER,
    precision="FP4 with sparsity (NVIDIA's '1 PFLOP')",
    source="DGX_AI_FLOPS, DGX_MEM_BW, DGX_RAM, DGX_POWER",
)
GenericServer = HardwareSpec(
    name="Edge inference server (1U, NVIDIA T4)",
    peak_flops=C.T4_FLOPS_FP16_TENSOR,
    memory_bw=C.T4_MEM_BW,
    tdp=C.EDGE_SERVER_POWER_W,
    precision="FP16 tensor (T4)",
    source="T4_FLOPS_FP16_TENSOR, T4_MEM_BW, EDGE_SERVER_POWER_W (assumption)",
    note="tdp is average wall power of the whole server, not the GPU's 70 W.",
)
Generic_Phone = HardwareSpec(
    name="Generic flagship smartphone",
    peak_flops=C.MOBILE_NPU_TOPS_INT8,
    memory_bw=C.MOBILE_NPU_MEM_BW,
    memory_capacity=C.MOBILE_RAM,
    tdp=C.MOBILE_TDP_W,
    battery_capacity=C.PHONE_BATTERY_WH,
    precision="INT8 (NPU)",
    source="Stated assumptions: MOBILE_NPU_TOPS_INT8, MOBILE_NPU_MEM_BW, MOBILE_RAM, MOBILE_TDP_W, PHONE_BATTERY_WH",
    note="A representative phone, not a specific model.",
)
JetsonOrinNX = HardwareSpec(
    name="NVIDIA Jetson Orin NX 16GB",
    peak_flops=C.JETSON_ORIN_NX_TOPS,
    memory_bw=C.JETSON_ORIN_NX_MEM_BW,
    memory_capacity=C.JETSON_ORIN_NX_MEM,
    tdp=C.JETSON_ORIN_NX_POWER,
    precision="INT8, 2:4 sparse",
    source="JETSON_ORIN_NX_TOPS, JETSON_ORIN_NX_MEM_BW, JETSON_ORIN_NX_POWER",
)
Coral = HardwareSpec(
    name="Google Coral Dev Board (Edge TPU)",
    peak_flops=C.CORAL_TOPS,
    memory_bw=C.CORAL_MEM_BW,
    memory_capacity=C.CORAL_MEM,
    tdp=C.CORAL_POWER,
    precision="INT8",
    source="CORAL_TOPS, CORAL_MEM_BW, CORAL_POWER",
    note="tdp is the Edge TPU's power; the host SoC is extra.",
)
NUC_Movidius = HardwareSpec(
    name="Intel NUC + Neural Compute Stick 2",
    peak_flops=C.MOVIDIUS_TOPS,
    memory_bw=C.NUC_MEM_BW,
    tdp=C.NUC_MOVIDIUS_POWER,
    precision="FP16/INT8 (Myriad X, total compute)",
    source="MOVIDIUS_TOPS, NUC_MEM_BW, NUC_MOVIDIUS_POWER (assumption)",
)
ESP32 = HardwareSpec(
    name="Espressif ESP32 (ESP32-CAM)",
    peak_flops=C.ESP32_PEAK_OPS,
    memory_bw=C.ESP32_MEM_BW,
    memory_capacity=C.ESP32_RAM,
    tdp=C.ESP32_POWER_MAX,
    unit_cost=C.ESP32_PRICE,
    precision="32-bit integer MAC (estimate)",
    source="ESP32_PEAK_OPS, ESP32_MEM_BW (estimates), ESP32_RAM, ESP32_POWER_MAX, ESP32_PRICE",
)
CortexM7 = HardwareSpec(
    name="Arm Cortex-M7 MCU (STM32H743)",
    peak_flops=C.CORTEX_M7_PEAK_OPS,
    memory_bw=C.CORTEX_M7_MEM_BW,
    memory_capacity=C.CORTEX_M7_RAM,
    precision="16-bit SIMD MAC (estimate)",
    source="CORTEX_M7_PEAK_OPS, CORTEX_M7_MEM_BW (estimates), CORTEX_M7_RAM",
)

Ethernet_1G = NetworkSpec(name="1 Gigabit Ethernet", bandwidth=C.ETHERNET_1G_BW, source="ETHERNET_1G_BW")
Ethernet_10G = NetworkSpec(name="10 Gigabit Ethernet", bandwidth=C.ETHERNET_10G_BW, source="ETHERNET_10G_BW")
Ethernet_100G = NetworkSpec(name="100 Gigabit Ethernet", bandwidth=C.ETHERNET_100G_BW, source="ETHERNET_100G_BW")
WiFi6 = NetworkSpec(name="Wi-Fi 6 (802.11ax)", bandwidth=C.WIFI6_BW, source="WIFI6_BW", note="PHY maximum.")

Hardware = Catalog(
    "Hardware",
    A100=A100,
    H100=H100,
    V100=V100,
    TPUv4=TPUv4,
    Cloud=Catalog("Hardware.Cloud", A100=A100, H100=H100, V100=V100, TPUv4=TPUv4),
    Edge=Catalog(
        "Hardware.Edge",
        Generic_Phone=Generic_Phone,
        GenericServer=GenericServer,
        DGX_Spark=DGX_Spark,
        JetsonOrinNX=JetsonOrinNX,
        Coral=Coral,
        NUC_Movidius=NUC_Movidius,
    ),
    Mobile=Catalog("Hardware.Mobile", Generic_Phone=Generic_Phone),
    Tiny=Catalog("Hardware.Tiny", ESP32=ESP32, CortexM7=CortexM7),
    Networks=Catalog(
        "Hardware.Networks",
        Ethernet_1G=Ethernet_1G,
        Ethernet_10G=Ethernet_10G,
        Ethernet_100G=Ethernet_100G,
        WiFi6=WiFi6,
    ),
)
