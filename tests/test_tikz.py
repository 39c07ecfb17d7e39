"""TikZ blocks -> SVG (bookbuild.render.tikz), on the fixture chapter's real figures.

The nine fixture figures are compiled once per session into a shared cache; the
other tests reuse that cache (and its dumped preamble) so the suite stays fast.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bookbuild.palette import Palette
from bookbuild.project import load_book
from bookbuild.render import tikz
from bookbuild.cache import read_verified, write_verified
from bookbuild.render.tikz import TikzError, compile_all, compile_tikz, tikz_preamble

from conftest import FIXTURE, FIXTURE_CHAPTER, REPO

#: This repository's book names mlsys/palette.yml in its _quarto.yml.
PALETTE = load_book(REPO).palette

FIXTURE_QMD = FIXTURE / FIXTURE_CHAPTER
TIKZ_BLOCK = re.compile(r"^```\{\.tikz\}[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)

SMALL = "\\begin{tikzpicture}\n\\draw[BlueLine] (0,0) -- (1,1) node[right] {small %s};\n\\end{tikzpicture}\n"


def without_fonts(svg: bytes) -> bytes:
    """The SVG less its embedded fonts (dvisvgm stamps them with the time of the run)."""
    return re.sub(rb"url\(data:[^)]*\)", b"url()", svg)


def fixture_blocks() -> list[str]:
    return TIKZ_BLOCK.findall(FIXTURE_QMD.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def tikz_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tikz-cache")


@pytest.fixture(scope="session")
def fixture_svgs(tikz_cache: Path) -> list[Path | TikzError]:
    return compile_all(fixture_blocks(), tikz_cache, PALETTE, workers=2)


def no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to start a program fail the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"unexpected subprocess: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)


def test_fixture_has_nine_tikz_blocks() -> None:
    blocks = fixture_blocks()
    assert len(blocks) == 9
    assert all("\\begin{tikzpicture}" in block and "\\end{tikzpicture}" in block for block in blocks)


def test_every_fixture_figure_compiles_to_svg(fixture_svgs: list[Path | TikzError], tikz_cache: Path) -> None:
    failures = [f"figure {i + 1}: {r.message}\n{r.log_excerpt}"
                for i, r in enumerate(fixture_svgs) if isinstance(r, TikzError)]
    assert not failures, "\n\n".join(failures)
    assert len(set(fixture_svgs)) == 9
    for path in fixture_svgs:
        assert isinstance(path, Path) and path.parent == tikz_cache
        text = path.read_text(encoding="utf-8")
        assert re.search(r"<svg[^>]*\sviewBox='[-\d. ]+'", text)
        assert text.rstrip().endswith("</svg>")
        assert "<text" in text and "font-woff2;base64," in text  # text with embedded fonts


def test_second_compile_is_a_cache_hit(fixture_svgs: list[Path], tikz_cache: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    mtimes = [path.stat().st_mtime_ns for path in fixture_svgs]
    no_subprocess(monkeypatch)
    again = compile_all(fixture_blocks(), tikz_cache, PALETTE)
    assert again == fixture_svgs
    assert compile_tikz(fixture_blocks()[0], tikz_cache, PALETTE) == fixture_svgs[0]
    assert [path.stat().st_mtime_ns for path in again] == mtimes


def test_undefined_control_sequence_is_reported(fixture_svgs: list[Path], tikz_cache: Path) -> None:
    with pytest.raises(TikzError) as info:
        compile_tikz("\\begin{tikzpicture}\\foo\\end{tikzpicture}", tikz_cache, PALETTE)
    assert "Undefined control sequence" in info.value.message
    assert "l.1 \\begin{tikzpicture}\\foo" in info.value.message
    assert "Undefined control sequence" in info.value.log_excerpt
    assert "\n" not in info.value.message


def test_error_line_counts_lines_of_the_figure(fixture_svgs: list[Path], tikz_cache: Path) -> None:
    code = "\\begin{tikzpicture}\n\\draw (0,0) -- (1,0);\n\\draw[draw=NoSuchColour] (0,0) -- (1,1);\n\\end{tikzpicture}\n"
    with pytest.raises(TikzError) as info:
        compile_tikz(code, tikz_cache, PALETTE)
    assert "Undefined color `NoSuchColour'" in info.value.message
    assert info.value.message.endswith(" l.3 \\draw[draw=NoSuchColour] (0,0) -- (1,1);")


def test_garbled_cache_entry_is_rebuilt(fixture_svgs: list[Path], tikz_cache: Path) -> None:
    code = SMALL % "garbled"
    path = compile_tikz(code, tikz_cache, PALETTE)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # e.g. a build killed while copying
    assert compile_tikz(code, tikz_cache, PALETTE) == path
    assert without_fonts(path.read_bytes()) == without_fonts(whole)
    path.write_bytes(b"")
    assert without_fonts(compile_tikz(code, tikz_cache, PALETTE).read_bytes()) == without_fonts(whole)


def test_endless_loop_times_out(fixture_svgs: list[Path], tikz_cache: Path) -> None:
    start = time.monotonic()
    with pytest.raises(TikzError) as info:
        compile_tikz("\\def\\x{\\x}\\x\n\\begin{tikzpicture}\\end{tikzpicture}", tikz_cache, PALETTE, timeout=2)
    assert "timed out" in info.value.message
    assert time.monotonic() - start < 15


def test_errors_and_results_keep_their_order(fixture_svgs: list[Path], tikz_cache: Path) -> None:
    good = fixture_blocks()[1]
    results = compile_all([good, "\\begin{tikzpicture}\\foo\\end{tikzpicture}", good], tikz_cache, PALETTE)
    assert results[0] == results[2] == fixture_svgs[1]
    assert isinstance(results[1], TikzError)


def test_missing_programs_name_the_debian_packages(tikz_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(TikzError) as info:
        compile_tikz(SMALL % "no latex", tikz_cache, PALETTE)
    assert "apt-get install" in info.value.message and "texlive-pictures" in info.value.message


def test_preamble_colours_come_from_the_palette() -> None:
    import yaml

    palette = yaml.safe_load((REPO / "mlsys" / "palette.yml").read_text(encoding="utf-8"))
    theme = (Path(tikz.__file__).parents[1] / "theme" / "tikz-preamble.tex").read_text(encoding="utf-8")
    preamble = tikz_preamble(PALETTE)
    assert preamble.startswith(theme.rstrip("\n"))
    theme_code = re.sub(r"(?<!\\)%.*", "", theme)
    assert "\\definecolor" not in theme_code and "\\colorlet" not in theme_code  # no colours of its own
    for name, value in palette.items():
        assert f"\\definecolor{{{name}}}{{HTML}}{{{value.lstrip('#').upper()}}}" in preamble
    assert "\\begin{document}" not in preamble


def test_the_palette_is_part_of_every_figure_key(tikz_cache: Path) -> None:
    """A colour changed in the book's palette recompiles the figures (a new file in the cache)."""
    first = compile_tikz(SMALL % "palette", tikz_cache, PALETTE)
    recoloured = Palette(tuple((name, "#000000" if name == "BlueLine" else value) for name, value in PALETTE.colours))
    second = compile_tikz(SMALL % "palette", tikz_cache, recoloured)
    assert second != first
    assert without_fonts(second.read_bytes()) != without_fonts(first.read_bytes())


def test_changed_preamble_recompiles_and_broken_format_falls_back(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first = compile_tikz(SMALL % "one", tmp_path, PALETTE)
    changed = tikz_preamble(PALETTE) + "% a change to the theme\n"
    monkeypatch.setattr(tikz, "tikz_preamble", lambda palette, header=(): changed)
    second = compile_tikz(SMALL % "one", tmp_path, PALETTE)
    assert second != first and without_fonts(second.read_bytes()) == without_fonts(first.read_bytes())
    # The old dumped preamble was replaced by the new one.
    formats = list(tmp_path.glob("*.fmt"))
    assert len(formats) == 1
    # A damaged format file (disk damage, a curious editor) does not match its stored
    # digest: it is never loaded, but dumped again.
    formats[0].write_bytes(b"garbage")
    third = compile_tikz(SMALL % "two", tmp_path, PALETTE)
    assert third.read_text(encoding="utf-8").rstrip().endswith("</svg>")
    assert formats[0].read_bytes() != b"garbage" and read_verified(formats[0]) is not None
    # One that matches its digest but no longer loads (TeX upgraded under it) is not
    # fatal either: the figure is compiled with the plain preamble and the file removed.
    write_verified(formats[0], b"garbage")
    fourth = compile_tikz(SMALL % "three", tmp_path, PALETTE)
    assert fourth.read_text(encoding="utf-8").rstrip().endswith("</svg>")
    assert not formats[0].exists()
