"""mlsys: the computing library behind the book's computed prose.

Chapters import the twins from here and everything else from submodules::

    from mlsys import Tiers, Hardware, Models
    from mlsys.constants import A100_MEM_BW, GB, second
    from mlsys.formulas import calc_bottleneck
    from mlsys.formatting import fmt, check

``mlsys`` knows nothing about the build engine.  Submodules load lazily, so
``import mlsys`` is cheap; matplotlib loads only inside :mod:`mlsys.viz`.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_TWINS = {"Tiers", "Hardware", "Models", "HardwareSpec", "ModelSpec", "NetworkSpec", "SpecError"}
_SUBMODULES = {"constants", "formatting", "formulas", "palette", "registry", "twins", "units", "viz"}

__all__ = sorted(_TWINS | _SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _TWINS:
        value = getattr(importlib.import_module("mlsys.twins"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"mlsys.{name}")
    else:
        raise AttributeError(f"module 'mlsys' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
