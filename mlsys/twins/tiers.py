"""The four deployment tiers (Cloud, Edge, Mobile, TinyML)."""

from __future__ import annotations

from dataclasses import dataclass

from mlsys.twins.catalog import Catalog
from mlsys.twins.specs import SpecError
from mlsys.units import Q_, is_quantity, ureg

__all__ = ["Tier", "Tiers"]


@dataclass(frozen=True)
class Tier:
    """A deployment tier and its order-of-magnitude operating envelope.

    Attributes:
        name: display name.
        where: where the computation runs.
        power_min, power_max: typical power envelope of one deployed unit.
        memory_scale: order of magnitude of working memory (e.g. "GB").
        note: what the range is based on.
    """

    name: str
    where: str
    power_min: Q_
    power_max: Q_
    memory_scale: str
    note: str = ""

    def __post_init__(self) -> None:
        watt_dim = ureg.get_dimensionality("W")
        for field_name in ("power_min", "power_max"):
            value = getattr(self, field_name)
            if not is_quantity(value) or value.dimensionality != watt_dim or not value.magnitude > 0:
                raise SpecError(f"Tier {self.name!r}: field {field_name!r} must be a positive power, got {value!r}")
        if self.power_min > self.power_max:
            raise SpecError(f"Tier {self.name!r}: power_min exceeds power_max")


Cloud = Tier("Cloud ML", "data centres", Q_(1, "kW"), Q_(10, "MW"), "TB",
             note="From one GPU server (~kW) to a data-centre hall (MW).")
Edge = Tier("Edge ML", "local servers and gateways", Q_(10, "W"), Q_(1, "kW"), "GB",
            note="Embedded GPU modules (10 W) to on-premise servers (hundreds of W).")
Mobile = Tier("Mobile ML", "smartphones and tablets", Q_(1, "W"), Q_(5, "W"), "GB",
              note="Sustained phone SoC power is thermally limited to a few watts.")
Tiny = Tier("TinyML", "microcontrollers", Q_(1, "mW"), Q_(1, "W"), "KB",
            note="Always-on MCUs run at milliwatts; radios push peaks towards 1 W.")

Tiers = Catalog("Tiers", Cloud=Cloud, Edge=Edge, Mobile=Mobile, Tiny=Tiny)
