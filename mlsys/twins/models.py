"""Model twins: the chapter's reference ("Lighthouse") workloads and friends.

Every figure comes from :mod:`mlsys.constants`, where its source is recorded.
Language-model ``inference_flops`` are per generated token, using the
standard 2 x parameters approximation; training estimates use 6 x N x D.
"""

from __future__ import annotations

from mlsys import constants as C
from mlsys.twins.catalog import Catalog
from mlsys.twins.specs import ModelSpec
from mlsys.units import Q_

__all__ = ["Models"]


def _per_token_flops(params: Q_) -> Q_:
    """Forward-pass FLOPs per token of a dense transformer: ~2 x parameters."""
    return Q_(2 * params.to("param").magnitude, "flop").to("GFLOPs")


ResNet50 = ModelSpec(
    name="ResNet-50",
    parameters=C.RESNET50_PARAMS,
    inference_flops=C.RESNET50_FLOPs,
    source="RESNET50_PARAMS, RESNET50_FLOPs",
    note="FLOPs per 224x224 image, counting a multiply-add as one FLOP.",
)
MobileNetV2 = ModelSpec(
    name="MobileNetV2",
    parameters=C.MOBILENETV2_PARAMS,
    inference_flops=C.MOBILENETV2_FLOPs,
    source="MOBILENETV2_PARAMS, MOBILENETV2_FLOPs",
    note="FLOPs per 224x224 image, counting a multiply-add as one FLOP.",
)
YOLOv8_Nano = ModelSpec(
    name="YOLOv8n",
    parameters=C.YOLOV8_NANO_PARAMS,
    inference_flops=C.YOLOV8_NANO_FLOPs,
    source="YOLOV8_NANO_PARAMS, YOLOV8_NANO_FLOPs",
    note="FLOPs per 640x640 image as Ultralytics counts them (2 per multiply-add).",
)
GPT2 = ModelSpec(
    name="GPT-2 (1.5B)",
    parameters=C.GPT2_PARAMS,
    inference_flops=_per_token_flops(C.GPT2_PARAMS),
    source="GPT2_PARAMS; inference_flops = 2 x parameters per token",
)
GPT3 = ModelSpec(
    name="GPT-3 (175B)",
    parameters=C.GPT3_PARAMS,
    inference_flops=_per_token_flops(C.GPT3_PARAMS),
    training_ops=C.GPT3_TRAINING_FLOPs,
    source="GPT3_PARAMS, GPT3_TRAINING_FLOPs; inference_flops = 2 x parameters per token",
)
Llama2_7B = ModelSpec(
    name="Llama 2 7B",
    parameters=C.LLAMA2_7B_PARAMS,
    inference_flops=_per_token_flops(C.LLAMA2_7B_PARAMS),
    training_ops=Q_(6 * C.LLAMA2_7B_PARAMS.to("param").magnitude * C.LLAMA2_TRAINING_TOKENS, "flop"),
    source="LLAMA2_7B_PARAMS, LLAMA2_TRAINING_TOKENS",
    note="training_ops is the 6 x N x D estimate, not a published figure.",
)
Llama2_70B = ModelSpec(
    name="Llama 2 70B",
    parameters=C.LLAMA2_70B_PARAMS,
    inference_flops=_per_token_flops(C.LLAMA2_70B_PARAMS),
    training_ops=Q_(6 * C.LLAMA2_70B_PARAMS.to("param").magnitude * C.LLAMA2_TRAINING_TOKENS, "flop"),
    source="LLAMA2_70B_PARAMS, LLAMA2_TRAINING_TOKENS",
    note="training_ops is the 6 x N x D estimate, not a published figure.",
)
DLRM = ModelSpec(
    name="DLRM (MLPerf, Criteo Terabyte)",
    parameters=C.DLRM_PARAMS,
    model_size=C.DLRM_MODEL_SIZE_FP32,
    source="DLRM_PARAMS, DLRM_MODEL_SIZE_FP32",
    note="model_size is the FP32 embedding tables.",
)
DS_CNN = ModelSpec(
    name="DS-CNN keyword spotting (small)",
    parameters=C.KWS_DSCNN_PARAMS,
    source="KWS_DSCNN_PARAMS",
)

Models = Catalog(
    "Models",
    ResNet50=ResNet50,
    MobileNetV2=MobileNetV2,
    GPT2=GPT2,
    GPT3=GPT3,
    DLRM=DLRM,
    Vision=Catalog("Models.Vision", ResNet50=ResNet50, MobileNetV2=MobileNetV2, YOLOv8_Nano=YOLOv8_Nano),
    Language=Catalog("Models.Language", GPT2=GPT2, GPT3=GPT3, Llama2_7B=Llama2_7B, Llama2_70B=Llama2_70B),
    Recommendation=Catalog("Models.Recommendation", DLRM=DLRM),
    Tiny=Catalog("Models.Tiny", DS_CNN=DS_CNN),
)
