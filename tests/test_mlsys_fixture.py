"""Acceptance: the real ML Systems chapter runs on mlsys.

Every ```{python} cell of ../shared/fixtures/ml_systems.qmd runs in document
order in one namespace (every check() guardrail must hold), and every inline
`{python} expr` is evaluated where it stands, seeing only the cells above it,
and must give a str or an mlsys Markdown object.

The extraction here is a deliberately tiny regex/line scanner, independent of
bookbuild's .qmd parser.
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from conftest import FIXTURE, FIXTURE_CHAPTER  # noqa: E402

CHAPTER = FIXTURE / FIXTURE_CHAPTER
pytestmark = pytest.mark.needs_fixture

CELL_START = "```{python}"
FENCE = "```"
INLINE = re.compile(r"`\{python\}\s+([^`]+?)\s*`")



@dataclass
class Inline:
    line: int
    expr: str
    value: Any
    cells_above: int


@dataclass
class ChapterRun:
    cells: list[tuple[int, str]] = field(default_factory=list)  # (first code line, code)
    inlines: list[Inline] = field(default_factory=list)
    namespace: dict[str, Any] = field(default_factory=dict)
    inline_markers_outside_fences: int = 0

    def value(self, expr: str) -> Any:
        for item in self.inlines:
            if item.expr == expr:
                return item.value
        raise KeyError(expr)


def _run_chapter(path: Path) -> ChapterRun:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlsys import registry

    registry.reset()
    run = ChapterRun(namespace={"__name__": "ml_systems_chapter"})
    lines = path.read_text(encoding="utf-8").split("\n")
    saved_path = list(sys.path)
    i = 0
    try:
        while i < len(lines):
            line = lines[i]
            if line.startswith(FENCE):
                end = i + 1
                while end < len(lines) and not lines[end].startswith(FENCE):
                    end += 1
                assert end < len(lines), f"{path.name}:{i + 1}: unclosed code fence"
                if line.startswith(CELL_START):
                    code = "\n".join(lines[i + 1 : end])
                    run.cells.append((i + 2, code))
                    # Pad so traceback line numbers are the .qmd's line numbers.
                    padded = "\n" * (i + 1) + code
                    compiled = compile(padded, str(path.resolve()), "exec")
                    with warnings.catch_warnings():
                        warnings.filterwarnings("ignore", message=".*non-interactive.*")
                        try:
                            exec(compiled, run.namespace)
                        except Exception as exc:  # report which cell broke, keep the traceback
                            raise AssertionError(
                                f"cell #{len(run.cells)} ({path.name}:{i + 1}) failed: "
                                f"{type(exc).__name__}: {exc}"
                            ) from exc
                        finally:
                            plt.close("all")
                i = end + 1
                continue
            run.inline_markers_outside_fences += line.count("`{python}")
            for match in INLINE.finditer(line):
                expr = match.group(1)
                try:
                    value = eval(compile(expr, f"{path.name}:{i + 1}:inline", "eval"), run.namespace)
                except Exception as exc:
                    raise AssertionError(
                        f"{path.name}:{i + 1}: inline `{expr}` failed: {type(exc).__name__}: {exc}"
                    ) from exc
                run.inlines.append(Inline(i + 1, expr, value, len(run.cells)))
            i += 1
    finally:
        sys.path[:] = saved_path
    return run


@pytest.fixture(scope="module")
def chapter() -> ChapterRun:
    return _run_chapter(CHAPTER)


def test_all_24_cells_run_in_order(chapter):
    assert len(chapter.cells) == 24
    assert all("mlsys" in code or "fmt" in code or "_str" in code for _, code in chapter.cells)


def test_chapter_registered(chapter):
    from mlsys import registry

    current = registry.current_chapter()
    assert current.chapter_id == "vol1:ml_systems"
    assert (current.volume, current.slug) == ("vol1", "ml_systems")


def test_every_inline_marker_was_evaluated(chapter):
    assert len(chapter.inlines) == chapter.inline_markers_outside_fences
    assert len(chapter.inlines) > 250


def test_inline_values_are_str_or_markdown(chapter):
    from mlsys.formatting import Markdown

    bad = [
        f"line {item.line}: `{item.expr}` -> {type(item.value).__name__}"
        for item in chapter.inlines
        if not isinstance(item.value, (str, Markdown))
    ]
    assert not bad, "\n".join(bad)
    empty = [f"line {item.line}: `{item.expr}`" for item in chapter.inlines if not str(item.value).strip()]
    assert not empty


def test_inline_values_never_print_nan_inf_or_negative_zero(chapter):
    for item in chapter.inlines:
        text = str(item.value)
        assert not re.search(r"\b(nan|inf)\b", text, flags=re.I), (item.line, item.expr, text)
        assert not re.search(r"(?<![\w.])-0(\.0+)?(?![\d.])", text), (item.line, item.expr, text)


def test_inline_sees_only_cells_above(chapter):
    first = chapter.inlines[0]
    assert first.cells_above == 2  # chapter-start and setup cells precede the first table
    lines = [item.line for item in chapter.inlines]
    assert lines == sorted(lines)
    assert [item.cells_above for item in chapter.inlines] == sorted(item.cells_above for item in chapter.inlines)


def test_markdown_fractions_render_as_pandoc_math(chapter):
    from mlsys.formatting import Markdown

    fracs = [item for item in chapter.inlines if isinstance(item.value, Markdown)]
    assert {f.expr for f in fracs} >= {"cloud_compute_frac", "runtime_frac", "low_power_frac", "high_power_frac"}
    for item in fracs:
        text = item.value.text
        assert text.startswith("$\\frac{") and text.count("$") == 2, (item.expr, text)


# --- values checked against arithmetic the prose states -------------------------------
@pytest.mark.parametrize(
    "expr, expected",
    [
        # Light barrier: 2 x 3,600 km / 200,000 km/s = 36 ms.
        ("distance_str", "3,600"),
        ("min_latency_str", "36"),
        # Distance penalty: 2 x 1,500 km / 200,000 km/s = 15 ms; 10 - 15 = -5 ms.
        ("sol_kms_str", "200,000"),
        ("rtt_formatted_str", "15"),
        ("deficit_str", "-5"),
        # A100 (FP16 tensor) and ResNet-50.
        ("a100_tflops_str", "312"),
        ("a100_bw_tbs_str", "2"),
        ("resnet_gflops_str", "4.1"),
        ("resnet_params_m_str", "25.6"),
        ("resnet_fp32_mb_str", "102"),
        ("resnet_fp16_mb_str", "51"),
        ("resnet_int8_mb_str", "26"),
        ("cloud_bottleneck_str", "Memory"),
        ("mobile_bottleneck_str", "Memory"),
        # GPT-3: 3.14e23 FLOPs / (1e15 FLOP/s x 86,400 s) = 3,634 PF-days.
        ("gpt3_petaflop_days_str", "3,634"),
        ("gpt2_params_b_str", "1.5"),
        ("tpu_chips_str", "4,096"),
        ("tiny_ram_kb_str", "520"),
        ("dlrm_embedding_str", "100"),
        # 1 MB x 100 mJ/MB vs 0.1 mJ = 1,000x.
        ("et_energy_ratio_str", "1,000"),
        # 16 kHz x 16 bit = 32,000 B/s x 1e9 devices = 32 TB/s.
        ("vi_audio_tb_str", "32"),
        # 1920 x 1080 x 3 B x 30 FPS = 186.6 MB/s per camera.
        ("cam_rate_mbs_str", "187"),
        ("net_cap_gbs_str", "1.25"),
        # Amdahl: 1 / (0.7 + 0.3/10) = 1.37; 1 / 0.7 = 1.43.
        ("cam_speedup_10x_str", "1.37"),
        ("cam_speedup_inf_str", "1.43"),
        ("cam_total_opt_str", "146"),
        ("hours_per_year_str", "8760"),
        ("tco_ratio_str", "3"),
        ("phone_battery_str", "15"),
    ],
)
def test_values_match_prose_arithmetic(chapter, expr, expected):
    assert chapter.value(expr) == expected


def test_prose_claims_hold(chapter):
    ns = chapter.namespace
    # "memory-bound": the memory term exceeds the compute term on both platforms.
    assert ns["cloud_stats"]["memory_ms"] > ns["cloud_stats"]["compute_ms"]
    assert ns["mobile_stats"]["memory_ms"] > ns["mobile_stats"]["compute_ms"]
    # Bandwidth gap A100 vs phone (~40x) translates to ~20x faster inference.
    assert 35 <= ns["bw_advantage_x_value"].to("").magnitude <= 45
    assert 15 <= ns["inference_speed_x_value"] <= 25
    # Edge wins on TCO at 1M requests/day; labor dominates edge TCO.
    assert ns["CloudEdgeTCO"].c_total > ns["CloudEdgeTCO"].e_total
    assert ns["CloudEdgeTCO"].labor_pct > 50
    # Runtime fractions: 15 Wh / 1 W = 15 h, 15 Wh / 5 W = 3 h, 15 Wh / 2 W = 7.5 h.
    assert "**15 hours**" in chapter.value("low_power_frac").text
    assert "**3 hours**" in chapter.value("high_power_frac").text
    assert "**7.5 hours**" in chapter.value("runtime_frac").text
    # A 100-camera 1080p30 stream needs more than a 10 Gb/s link carries.
    assert ns["BandwidthBottleneck"].shortfall_ratio > 10


def test_cloud_fractions_show_the_iron_law(chapter):
    compute = chapter.value("cloud_compute_frac").text
    assert compute == r"$\frac{4.10 \times 10^{9}}{3.12 \times 10^{14}} = 0.013\ \text{ms}$"
    assert r"\text{FLOPs/byte}" in chapter.value("cloud_ai_frac").text
