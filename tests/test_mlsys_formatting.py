"""Formatters refuse to lie; check() states broken claims."""

import math
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pint
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mlsys.formatting import CheckFailed, Markdown, check, fmt, md_frac, sci, sci_latex  # noqa: E402
from mlsys.units import Q_  # noqa: E402


# --- fmt --------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((3.14159,), {}, "3.1"),
        ((3.14159,), {"precision": 3}, "3.142"),
        ((2,), {}, "2.0"),
        ((2,), {"precision": 0}, "2"),
        ((3634.26,), {"precision": 0, "commas": True}, "3,634"),
        ((1234567.891,), {"precision": 2, "commas": True}, "1,234,567.89"),
        ((1234567.891,), {"precision": 2}, "1234567.89"),
        ((999.96,), {"precision": 1, "commas": True}, "1,000.0"),
        ((2.5,), {"precision": 0}, "3"),  # half-up, not banker's rounding
        ((0.125,), {"precision": 2}, "0.13"),
        ((2.675,), {"precision": 2}, "2.68"),  # shortest repr, not binary artefact
        ((-5,), {"precision": 0}, "-5"),
        ((-1234.56,), {"precision": 1, "commas": True}, "-1,234.6"),
        ((-2.5,), {"precision": 0}, "-3"),
        ((0,), {"precision": 2}, "0.00"),
        ((0.0,), {"precision": 0}, "0"),
        ((-0.0,), {"precision": 1}, "0.0"),
        ((10**20,), {"precision": 0, "commas": True}, "100,000,000,000,000,000,000"),
        ((0.004,), {"precision": 3}, "0.004"),
        ((Decimal("1.25"),), {"precision": 1}, "1.3"),
    ],
)
def test_fmt_numbers(args, kwargs, expected):
    assert fmt(*args, **kwargs) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (np.float64(1.95), "2.0"),
        (np.float32(0.5), "0.5"),
        (np.int64(1234), "1,234.0"),
        (np.int32(-7), "-7.0"),
    ],
)
def test_fmt_numpy_scalars(value, expected):
    assert fmt(value, commas=True) == expected


def test_fmt_quantity_with_and_without_unit():
    bw = Q_(2039, "GB/s")
    assert fmt(bw, "TB/s", precision=2) == "2.04"
    assert fmt(bw, unit="TB/s", precision=0) == "2"
    assert fmt(bw, precision=0, commas=True) == "2,039"  # magnitude in its own unit
    assert fmt(Q_(520, "KiB"), "byte", precision=0, commas=True) == "532,480"
    assert fmt(Q_(np.float64(1.5), "W"), "mW", precision=0) == "1500"


def test_fmt_quantity_wrong_unit_raises():
    with pytest.raises(pint.DimensionalityError):
        fmt(Q_(1, "GB"), "second")


def test_fmt_unit_with_plain_number_raises():
    with pytest.raises(TypeError):
        fmt(3.0, "GB")


@pytest.mark.parametrize(
    "value, precision",
    [(0.004, 2), (0.4, 0), (-0.004, 2), (1e-9, 3), (0.049, 1)],
)
def test_fmt_nonzero_rounding_to_zero_raises(value, precision):
    with pytest.raises(ValueError, match="zero"):
        fmt(value, precision=precision)


def test_fmt_quantity_rounding_to_zero_raises():
    with pytest.raises(ValueError):
        fmt(Q_(3, "MB"), "TB", precision=1)


def test_fmt_half_rounds_away_from_zero_not_to_zero():
    assert fmt(0.05, precision=1) == "0.1"
    assert fmt(-0.05, precision=1) == "-0.1"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.nan, np.float64("inf")])
def test_fmt_nan_inf_raise(bad):
    with pytest.raises(ValueError):
        fmt(bad)


def test_fmt_nan_quantity_raises():
    with pytest.raises(ValueError):
        fmt(Q_(math.nan, "W"))


@pytest.mark.parametrize("bad", ["3.0", None, True, [1.0], np.array([1.0, 2.0]), 1 + 2j])
def test_fmt_rejects_non_numbers(bad):
    with pytest.raises(TypeError):
        fmt(bad)


@pytest.mark.parametrize("precision", [-1, 1.5, True])
def test_fmt_rejects_bad_precision(precision):
    with pytest.raises(ValueError):
        fmt(1.0, precision=precision)


def test_fmt_never_prints_negative_zero():
    for value in (-0.0, np.float64(-0.0), Decimal("-0.000")):
        for precision in (0, 1, 3):
            assert not fmt(value, precision=precision).startswith("-")


# --- check ------------------------------------------------------------------
def test_check_passes_returns_none():
    assert check(True, "fine") is None
    assert check(np.bool_(True), "numpy bool") is None
    assert check(3 > 2, "arithmetic") is None


def test_check_failure_states_the_claim():
    with pytest.raises(CheckFailed, match="A100 is memory-bound"):
        check(False, "A100 is memory-bound at batch 1")
    with pytest.raises(CheckFailed):
        check(np.bool_(False), "numpy false")


def test_check_failed_is_value_error():
    assert issubclass(CheckFailed, ValueError)


def test_check_needs_a_message():
    with pytest.raises(TypeError):
        check(True, "")


# --- sci / sci_latex ----------------------------------------------------------
@pytest.mark.parametrize(
    "value, precision, expected",
    [
        (4.1e9, 2, r"4.10 \times 10^{9}"),
        (3.14e23, 2, r"3.14 \times 10^{23}"),
        (3.12e14, 1, r"3.1 \times 10^{14}"),
        (2.5e-7, 1, r"2.5 \times 10^{-7}"),
        (-6.02e23, 2, r"-6.02 \times 10^{23}"),
        (999.6, 2, r"1.00 \times 10^{3}"),
        (5, 2, "5.00"),
        (0, 1, "0.0"),
        (np.float64(1.5e12), 1, r"1.5 \times 10^{12}"),
        (25_557_032, 2, r"2.56 \times 10^{7}"),
    ],
)
def test_sci_latex(value, precision, expected):
    assert sci_latex(value, precision) == expected


def test_sci_latex_quantity_uses_own_unit():
    assert sci_latex(Q_(4.1, "GFLOPs").to("flop")) == r"4.10 \times 10^{9}"
    assert sci_latex(Q_(4.1, "GFLOPs")) == "4.10"


def test_sci_is_inline_math():
    assert sci(3.14e23) == r"$3.14 \times 10^{23}$"


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_sci_refuses_nan_inf(bad):
    with pytest.raises(ValueError):
        sci_latex(bad)
    with pytest.raises(ValueError):
        sci(bad)


# --- md_frac / Markdown -------------------------------------------------------------
def test_md_frac_latex_operands_numeric_result():
    md = md_frac(r"4.10 \times 10^{9}", r"3.12 \times 10^{14}", "0.013", "ms")
    assert isinstance(md, Markdown)
    assert md.text == r"$\frac{4.10 \times 10^{9}}{3.12 \times 10^{14}} = 0.013\ \text{ms}$"
    assert str(md) == md.text
    assert md._repr_markdown_() == md.text


def test_md_frac_text_operands_markdown_result_stays_outside_math():
    md = md_frac("15 Wh", "5 W", "**3 hours**")
    assert md.text == r"$\frac{\text{15 Wh}}{\text{5 W}}$ = **3 hours**"
    assert md.text.count("$") == 2


def test_md_frac_numbers_and_escaping():
    md = md_frac(1200, "3 %", "1,234", "FLOPs/byte")
    assert md.text == r"$\frac{1200}{\text{3 \%}} = 1{,}234\ \text{FLOPs/byte}$"


def test_md_frac_pandoc_math_delimiters():
    # Pandoc inline math: no space after the opening $ or before the closing $.
    for md in (md_frac("1", "2", "0.50"), md_frac("a b", "c", "**x**", "h")):
        text = md.text
        first, second = text.index("$"), text.index("$", text.index("$") + 1)
        assert not text[first + 1].isspace() and not text[second - 1].isspace()


def test_md_frac_rejects_empty():
    with pytest.raises(ValueError):
        md_frac("", "2", "1")
    with pytest.raises(ValueError):
        md_frac("1", "2", " ")


def test_markdown_object():
    md = Markdown("**x**")
    assert md == Markdown("**x**") and md != "**x**"
    assert f"{md}" == "**x**"
    assert "Markdown" in repr(md)
    with pytest.raises(TypeError):
        Markdown(3)
