"""Formatters that refuse to lie, and the ``check`` guardrail.

* :func:`fmt` turns a number or Quantity into prose text; it raises rather
  than print a non-zero value as ``0``, print ``nan``/``inf``, or print ``-0``.
* :func:`sci` / :func:`sci_latex` write scientific notation as math.
* :func:`md_frac` builds a displayed fraction as a :class:`Markdown` object.
* :func:`check` states a claim the prose makes; it raises :class:`CheckFailed`
  when the numbers stop supporting it.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Optional, Union

import pint

from mlsys.units import ureg

__all__ = ["CheckFailed", "Markdown", "check", "fmt", "md_frac", "sci", "sci_latex"]


class CheckFailed(ValueError):
    """A chapter guardrail failed: the prose's claim no longer holds."""


def check(condition: Any, message: str) -> None:
    """Assert a claim the prose makes about computed values.

    Args:
        condition: anything truthy when the claim holds (bools, NumPy bools).
        message: the claim, stated so a reader of the error knows what broke.

    Raises:
        CheckFailed: with *message* as its text, when *condition* is falsy.
    """
    if not isinstance(message, str) or not message.strip():
        raise TypeError("check() needs a non-empty message stating the claim")
    if not bool(condition):
        raise CheckFailed(message)


def _magnitude(value: Any, unit: Any, caller: str) -> Union[int, float, Decimal]:
    """Return a real scalar from a number, NumPy scalar or Quantity."""
    if isinstance(value, pint.Quantity):
        if getattr(value, "_REGISTRY", None) is not ureg:
            raise TypeError(f"{caller}(): Quantity {value!r} is not from mlsys.units.ureg")
        if unit is not None:
            value = value.to(unit)
        value = value.magnitude
    elif unit is not None:
        raise TypeError(f"{caller}(): unit={unit!r} given but {value!r} is a plain number, not a Quantity")
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
        # NumPy scalars register as numbers.Real; arrays and strings do not.
        raise TypeError(f"{caller}(): expected a real number or Quantity, got {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, Decimal):
        return value
    return float(value)


def _to_decimal(value: Union[int, float, Decimal], caller: str) -> Decimal:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{caller}(): refusing to format {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{caller}(): refusing to format {value!r}")
        return value
    # repr() of a float is its shortest round-tripping decimal, so 2.675
    # rounds half-up to 2.68 as a reader expects.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def fmt(value: Any, unit: Any = None, precision: int = 1, commas: bool = False) -> str:
    """Format a number for prose.

    Args:
        value: an int, float, NumPy scalar, or Quantity.  A Quantity is
            converted to *unit* when given, otherwise its magnitude in its own
            unit is used.
        unit: target unit (string or pint Unit); only valid with a Quantity.
        precision: digits after the decimal point (>= 0), rounded half-up.
        commas: add thousands separators.

    Returns:
        The number as text, without a unit, e.g. ``fmt(3634.2, precision=0,
        commas=True) == "3,634"``.

    Raises:
        ValueError: for nan or infinity, a negative precision, or a non-zero
            value that would print as zero at this precision.
        TypeError: for non-numeric input, or *unit* with a plain number.
    """
    if isinstance(precision, bool) or not isinstance(precision, numbers.Integral) or precision < 0:
        raise ValueError(f"fmt(): precision must be a non-negative integer, got {precision!r}")
    precision = int(precision)
    exact = _to_decimal(_magnitude(value, unit, "fmt"), "fmt")
    rounded = exact.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
    if rounded == 0:
        if exact != 0:
            raise ValueError(
                f"fmt(): {value!r} would print as zero at precision={precision}; "
                "raise the precision or change the unit"
            )
        rounded = abs(rounded)  # never "-0"
    spec = f"{',' if commas else ''}.{precision}f"
    return format(rounded, spec)


def _split_sci(value: Any, precision: int, caller: str) -> tuple[str, int]:
    if isinstance(precision, bool) or not isinstance(precision, numbers.Integral) or precision < 0:
        raise ValueError(f"{caller}(): precision must be a non-negative integer, got {precision!r}")
    number = _magnitude(value, None, caller)
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{caller}(): refusing to format {number!r}")
    exact = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    with localcontext() as ctx:
        ctx.rounding = ROUND_HALF_UP
        text = format(exact, f".{precision}E")
    mantissa, exponent = text.split("E")
    if Decimal(mantissa) == 0:
        return mantissa.lstrip("-"), 0
    return mantissa, int(exponent)


def sci_latex(value: Any, precision: int = 2) -> str:
    """LaTeX for a number in scientific notation, without ``$`` delimiters.

    ``sci_latex(4.1e9) == r"4.10 \\times 10^{9}"``; a Quantity contributes its
    magnitude in its own unit (convert it first).  Meant to be composed into
    larger expressions such as :func:`md_frac`.
    """
    mantissa, exponent = _split_sci(value, precision, "sci_latex")
    if exponent == 0:
        return mantissa
    return rf"{mantissa} \times 10^{{{exponent}}}"


def sci(value: Any, precision: int = 2) -> str:
    """Scientific notation as Pandoc inline math, e.g. ``$3.14 \\times 10^{23}$``."""
    return f"${sci_latex(value, precision)}$"


class Markdown:
    """A fragment of Markdown to be inserted verbatim into the prose.

    ``str(md)`` and ``md.text`` give the Markdown; Jupyter renders it through
    ``_repr_markdown_``.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError("Markdown text must be a str")
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Markdown({self.text!r})"

    def __format__(self, spec: str) -> str:
        return format(self.text, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Markdown) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("Markdown", self.text))

    def _repr_markdown_(self) -> str:
        return self.text


_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})*|\d+)(\.\d+)?$")
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def _latex_text(text: str) -> str:
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def _math_operand(operand: Any) -> str:
    """LaTeX for a fraction operand: LaTeX/numbers as-is, prose in \\text{}."""
    if not isinstance(operand, str):
        operand = fmt(operand, precision=2) if not isinstance(operand, numbers.Integral) else str(operand)
    operand = operand.strip()
    if not operand:
        raise ValueError("md_frac(): empty operand")
    if "\\" in operand or _NUMBER.match(operand):
        return operand.replace(",", "{,}")
    return rf"\text{{{_latex_text(operand)}}}"


def md_frac(numerator: Any, denominator: Any, result: Any, unit: Optional[str] = None) -> Markdown:
    """A displayed fraction with its result, as Pandoc Markdown.

    Operands that contain LaTeX (e.g. from :func:`sci_latex`) or are plain
    numbers are typeset as math; other text (``"15 Wh"``) is set in
    ``\\text{}``.  A numeric *result* is typeset inside the math with its
    *unit*; a Markdown result (``"**3 hours**"``) stays outside the math so
    its emphasis renders::

        md_frac(r"4.10 \\times 10^{9}", r"3.12 \\times 10^{14}", "0.013", "ms")
        # $\\frac{4.10 \\times 10^{9}}{3.12 \\times 10^{14}} = 0.013\\ \\text{ms}$
        md_frac("15 Wh", "5 W", "**3 hours**")
        # $\\frac{\\text{15 Wh}}{\\text{5 W}}$ = **3 hours**

    Returns:
        A :class:`Markdown` object; it is not inside ``$...$`` already, so
        place it in running text, not inside math.
    """
    frac = rf"\frac{{{_math_operand(numerator)}}}{{{_math_operand(denominator)}}}"
    result_text = result if isinstance(result, str) else fmt(result, precision=2)
    result_text = result_text.strip()
    if not result_text:
        raise ValueError("md_frac(): empty result")
    if _NUMBER.match(result_text):
        unit_tex = rf"\ \text{{{_latex_text(unit)}}}" if unit else ""
        return Markdown(f"${frac} = {result_text.replace(',', '{,}')}{unit_tex}$")
    tail = f" {unit}" if unit else ""
    return Markdown(f"${frac}$ = {result_text}{tail}")
