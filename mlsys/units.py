"""The book's single unit registry.

Every quantity in the book is built from :data:`ureg`, defined here and
nowhere else (``mlsys.constants`` re-exports it).  The registry is pint's
standard English registry with four changes that make dimension errors catch
real mistakes in prose arithmetic:

* ``bit``/``byte`` have their own base dimension ``[information]`` (pint 0.24+
  makes them dimensionless, which would let ``bytes + 3`` pass silently).
* ``flop`` has the base dimension ``[compute]``.  An *op* (as in INT8
  "TOPS") is counted as one flop, so ``TOPS == TFLOPs/second``.  A
  multiply-accumulate (``MAC``) is two flops.
* ``param`` (a model parameter) has the base dimension ``[parameter]``.
* ``USD`` has the base dimension ``[currency]``.

So adding FLOPs to dollars, or parameters to bytes, raises
:class:`pint.DimensionalityError`.

Counts are units (``TFLOPs``, ``GB``); rates are written as ratios
(``TFLOPs/second``, ``GB/second``).  Decimal byte units (``KB`` ... ``PB``)
are powers of 1000 and binary ones (``KiB`` ... ``TiB``) powers of 1024.
"""

from __future__ import annotations

import importlib.resources

import pint

__all__ = ["ureg", "Q_", "Quantity", "Unit", "DimensionalityError", "is_quantity"]

# Lines of pint's default definitions that this registry replaces.  Each
# replacement is asserted, so a pint release that changes them fails loudly
# at import instead of silently changing the book's arithmetic.
_PATCHES: tuple[tuple[str, str], ...] = (
    ("\nbit = []\n", "\nbit = [information]\n"),
    ("\nbaud = bit / second = Bd = bps\n", "\nbaud = bit / second = Bd\n"),
)

_BOOK_DEFINITIONS = """
# --- compute -------------------------------------------------------------
flop = [compute] = FLOP = FLOPs
op = flop = OP = OPs
MAC = 2 * flop = MACs
KFLOPs = 1e3 * flop
MFLOPs = 1e6 * flop
GFLOPs = 1e9 * flop
TFLOPs = 1e12 * flop
PFLOPs = 1e15 * flop
EFLOPs = 1e18 * flop
GOPS = 1e9 * flop / second
TOPS = 1e12 * flop / second
# --- model parameters ----------------------------------------------------
param = [parameter] = params = parameter
Kparam = 1e3 * param
Mparam = 1e6 * param
Bparam = 1e9 * param
Tparam = 1e12 * param
# --- money ---------------------------------------------------------------
USD = [currency]
# --- data ----------------------------------------------------------------
KB = 1000 * byte
bps = bit / second
Kbps = 1e3 * bps
Mbps = 1e6 * bps
Gbps = 1e9 * bps
Tbps = 1e12 * bps
"""


def _build_registry() -> pint.UnitRegistry:
    """Build the registry from pint's defaults plus the book's definitions."""
    pkg = importlib.resources.files("pint")
    text = (pkg / "default_en.txt").read_text(encoding="utf-8")
    constants = (pkg / "constants_en.txt").read_text(encoding="utf-8")
    include = "@import constants_en.txt"
    if include not in text:
        raise RuntimeError("pint's default_en.txt no longer imports constants_en.txt")
    text = text.replace(include, constants)
    for old, new in _PATCHES:
        if old not in text:
            raise RuntimeError(f"pint's default definitions changed: {old.strip()!r} not found")
        text = text.replace(old, new)
    registry = pint.UnitRegistry(filename=None, cache_folder=None)
    registry.load_definitions(text.splitlines())
    registry.load_definitions(_BOOK_DEFINITIONS.strip().splitlines())
    registry._build_cache()  # filename=None skipped pint's own cache build
    return registry


ureg: pint.UnitRegistry = _build_registry()
# Quantities created from this registry pickle and unpickle (e.g. across the
# build engine's worker processes) against the same registry.
pint.set_application_registry(ureg)

Q_ = ureg.Quantity
Quantity = ureg.Quantity
Unit = ureg.Unit
DimensionalityError = pint.DimensionalityError


def is_quantity(value: object) -> bool:
    """Return True if *value* is a pint Quantity of the book's registry."""
    return isinstance(value, pint.Quantity) and getattr(value, "_REGISTRY", None) is ureg
