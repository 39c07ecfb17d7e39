"""One palette, shared by matplotlib now and TikZ/HTML later."""

import os
import re
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mlsys.palette import load_palette  # noqa: E402

from conftest import FIXTURE as FIXTURE_DIR, FIXTURE_CHAPTER  # noqa: E402

FIXTURE_QMD = FIXTURE_DIR / FIXTURE_CHAPTER
XCOLOR_BUILTINS = {
    "black", "white", "red", "green", "blue", "cyan", "magenta", "yellow", "gray", "grey",
    "darkgray", "lightgray", "brown", "lime", "olive", "orange", "pink", "purple", "teal", "violet", "none",
}


def test_palette_is_valid_hex():
    palette = load_palette()
    for name, value in palette.items():
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", value), name
    for name in ("OrangeLine", "BlueLine", "GreenLine", "RedLine", "VioletLine", "primary", "crimson",
                 "OrangeL", "BlueL", "GreenL", "RedL", "VioletL", "GreenD"):
        assert name in palette


def _tikz_colour_names(text):
    names = set()
    for block in re.findall(r"^```\{\.tikz\}\n(.*?)^```", text, flags=re.S | re.M):
        local = set(re.findall(r"\\(?:definecolor|colorlet)\{(\w+)\}", block))
        used = re.findall(r"\b(?:draw|fill|color|text)\s*=\s*([A-Za-z][A-Za-z0-9]*)", block)
        used += re.findall(r"\b([A-Za-z][A-Za-z0-9]*)!\d", block)
        used += re.findall(r"\{(my[a-z]+),", block)
        names |= {u for u in used if u not in local and u not in XCOLOR_BUILTINS}
    return names


def test_palette_covers_every_colour_the_fixture_tikz_uses():
    used = _tikz_colour_names(FIXTURE_QMD.read_text(encoding="utf-8"))
    assert {"BlueLine", "BlueL", "GreenL", "VioletL2", "BackColor"} <= used
    missing = sorted(used - set(load_palette()))
    assert not missing, f"palette.yml lacks {missing}"


def test_setup_plot_headless_with_agg_and_palette():
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from mlsys import viz\n"
        "fig, ax, COLORS, plt = viz.setup_plot(figsize=(4, 3))\n"
        "import matplotlib\n"
        "assert matplotlib.get_backend().lower() == 'agg', matplotlib.get_backend()\n"
        "assert tuple(fig.get_size_inches()) == (4.0, 3.0)\n"
        "assert COLORS['crimson'].startswith('#') and 'OrangeLine' in COLORS\n"
        "ax.barh([0, 1], [1, 2], color=[COLORS['BlueLine'], COLORS['RedLine']])\n"
        "fig.savefig(sys.argv[1]); plt.close(fig)\n" % str(ROOT)
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"mlsys_viz_{os.getpid()}.png"
    try:
        subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env)
        assert out.stat().st_size > 1000
    finally:
        out.unlink(missing_ok=True)


def test_setup_plot_respects_a_chosen_backend():
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import matplotlib; matplotlib.use('pdf')\n"
        "from mlsys import viz\n"
        "fig, ax, COLORS, plt = viz.setup_plot((2, 2))\n"
        "assert matplotlib.get_backend().lower() == 'pdf', matplotlib.get_backend()\n" % str(ROOT)
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_setup_plot_returns_copy_of_palette():
    import matplotlib

    matplotlib.use("Agg")
    from mlsys import viz

    fig, ax, colors, plt = viz.setup_plot((3, 2))
    colors["BlueLine"] = "#000000"
    assert viz.colors()["BlueLine"] != "#000000"
    plt.close(fig)
