"""SVG images for the PDF: LaTeX cannot include SVG, so ``rsvg-convert`` (librsvg,
Debian's ``librsvg2-bin``, the converter Pandoc uses too) turns each into a
vector PDF.

Conversions are content-addressed in a folder of the PDF build's cache: the
file name is a hash of the SVG's bytes, so an unchanged image is converted once;
each conversion is stored with a digest of its content and used only while it
matches (a damaged one is converted again). The converter runs with no standard input and a time limit; its output is
written atomically.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..cache import file_digest, read_verified, write_verified
from ..procs import run_tool

CONVERTER = "rsvg-convert"
DEBIAN_PACKAGE = "librsvg2-bin"
TIMEOUT = 60.0


class SvgError(Exception):
    """An SVG that could not be converted; the message says why and how to fix it."""


def svg_to_pdf(svg: Path, folder: Path, timeout: float = TIMEOUT) -> Path:
    """The PDF version of ``svg`` in ``folder`` (converted now, or cached from before)."""
    target = folder / f"{file_digest(svg)[:24]}.pdf"
    if read_verified(target) is not None:
        return target
    converter = shutil.which(CONVERTER)
    if converter is None:
        raise SvgError(f"{CONVERTER} is not installed; install it with: apt-get install {DEBIAN_PACKAGE}")
    try:
        status, stdout, stderr = run_tool([converter, "--format=pdf", str(svg)], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SvgError(f"{CONVERTER} did not finish within {timeout:.0f} s") from None
    if status != 0 or not stdout.startswith(b"%PDF"):
        reason = stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise SvgError(f"{CONVERTER} could not read it: {reason[-1] if reason else f'exit status {status}'}")
    folder.mkdir(parents=True, exist_ok=True)
    write_verified(target, stdout)
    return target
