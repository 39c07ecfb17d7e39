"""Digital twins: frozen, validated specs of hardware, models and tiers."""

from mlsys.twins.catalog import Catalog
from mlsys.twins.hardware import Hardware
from mlsys.twins.models import Models
from mlsys.twins.specs import HardwareSpec, ModelSpec, NetworkSpec, SpecError
from mlsys.twins.tiers import Tier, Tiers

__all__ = [
    "Catalog",
    "Hardware",
    "HardwareSpec",
    "ModelSpec",
    "Models",
    "NetworkSpec",
    "SpecError",
    "Tier",
    "Tiers",
]
