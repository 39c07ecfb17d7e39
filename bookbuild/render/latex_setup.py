"""What ``make pdf`` needs from TeX Live, checked before anything is compiled.

The book is typeset by LuaLaTeX with the packages its preamble
(``bookbuild/theme/latex-preamble.tex``) loads. :data:`REQUIREMENTS` is the one
list of them: each program or file (found with ``kpsewhich``) with the Debian
package that provides it. ``scripts/debian-packages.txt`` (what CI installs)
must name every one of those packages; a test checks it.

:func:`missing` says what is absent (it takes the lookups as arguments, so it
can be tested without touching the TeX installation); :func:`install_command`
turns that into the exact ``apt-get install`` line; :func:`ensure` installs the
packages itself when it can (root, ``apt-get`` present, nothing interactive)
and otherwise reports the line to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional, Sequence, TextIO

#: LaTeX engine of the book (fontspec, Unicode text, OpenType fonts).
ENGINE = "lualatex"
APT_TIMEOUT = 1800.0


def engine_identity() -> str:
    """Which TeX engine is installed (its path, size and time): part of the key of everything it typesets,
    so a new TeX installation typesets the PDF and its figures again."""
    engine = shutil.which(ENGINE) or ENGINE
    try:
        stat = os.stat(os.path.realpath(engine))
        return f"{os.path.realpath(engine)}:{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        return engine


@dataclass(frozen=True)
class Requirement:
    """A program (``kind == "program"``) or a TeX file (found by kpsewhich) and its Debian package."""

    name: str
    package: str
    kind: str = "file"


def _files(package: str, *names: str) -> list[Requirement]:
    return [Requirement(name, package) for name in names]


#: Everything the PDF build uses, with the Debian package that provides it.
REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(ENGINE, "texlive-latex-base", "program"),
    Requirement("makeindex", "texlive-binaries", "program"),
    Requirement("kpsewhich", "texlive-binaries", "program"),
    *_files("texlive-latex-base", "hyperref.sty", "bookmark.sty", "geometry.sty", "longtable.sty", "array.sty",
            "calc.sty", "graphicx.sty", "amsmath.sty", "amsthm.sty"),
    *_files("texlive-base", "amssymb.sty"),
    *_files("texlive-latex-recommended", "scrbook.cls", "scrhack.sty", "fontspec.sty", "unicode-math.sty", "xcolor.sty",
            "booktabs.sty", "caption.sty", "subcaption.sty", "newfloat.sty", "float.sty", "fancyvrb.sty", "etoolbox.sty", "microtype.sty"),
    *_files("texlive-latex-extra", "tcolorbox.sty", "etoc.sty", "imakeidx.sty", "marginnote.sty", "marginfix.sty", "adjustbox.sty",
            "xurl.sty"),
    *_files("texlive-luatex", "luaotfload.sty"),
    *_files("texlive-pictures", "tikz.sty", "pgfplots.sty"),
    *_files("texlive-plain-generic", "ulem.sty"),
    # Fonts: Latin Modern (text and math), DejaVu for the few glyphs Latin Modern lacks
    # (box drawing, some arrows), and the Helvetica clone the TikZ figures select.
    *_files("fonts-lmodern", "lmroman10-regular.otf", "latinmodern-math.otf"),
    *_files("fonts-dejavu-core", "DejaVuSerif.ttf", "DejaVuSans.ttf"),
    *_files("texlive-fonts-recommended", "uhvr8t.tfm"),
    *_files("lmodern", "lmodern.sty"),
)

#: What the PDF build uses when it is there: SVG images and callout icons are
#: converted with it (render/svg.py); without it they are left out, with a warning.
OPTIONAL_REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("rsvg-convert", "librsvg2-bin", "program"),
)


#: What compiling TikZ figures to SVG for HTML needs (``theme/tikz-preamble.tex``, latex + dvisvgm).
TIKZ_REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("latex", "texlive-latex-base", "program"),
    Requirement("dvisvgm", "dvisvgm", "program"),
    Requirement("kpsewhich", "texlive-binaries", "program"),
    *_files("texlive-latex-extra", "standalone.cls", "mylatexformat.ltx"),
    *_files("texlive-latex-base", "graphicx.sty", "amsmath.sty"),
    *_files("texlive-base", "amssymb.sty"),
    *_files("texlive-latex-recommended", "xcolor.sty"),
    *_files("texlive-pictures", "tikz.sty", "pgfplots.sty"),
    *_files("texlive-fonts-recommended", "helvet.sty", "uhvr8t.tfm"),
    *_files("lmodern", "lmodern.sty"),
)


def packages(requirements: Iterable[Requirement] = REQUIREMENTS) -> list[str]:
    """The Debian packages of some requirements, each once, in order."""
    return list(dict.fromkeys(r.package for r in requirements))


def kpsewhich_lookup(names: Sequence[str], *, timeout: float = 60.0) -> dict[str, str | None]:
    """Where kpsewhich finds each file (None when it does not), in one call."""
    program = shutil.which("kpsewhich")
    if program is None or not names:
        return {name: None for name in names}
    try:
        done = subprocess.run([program, *names], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return {name: None for name in names}
    found: dict[str, str | None] = {name: None for name in names}
    for line in done.stdout.splitlines():
        path = line.strip()
        base = os.path.basename(path)
        if base in found and found[base] is None:
            found[base] = path
    return found


FileLookup = Callable[[Sequence[str]], Mapping[str, Optional[str]]]
ProgramLookup = Callable[[str], Optional[str]]


def missing(find_files: FileLookup | None = None, find_program: ProgramLookup | None = None,
            requirements: Sequence[Requirement] = REQUIREMENTS) -> list[Requirement]:
    """The requirements that are not installed, in the order of ``requirements``.

    ``find_files`` maps file names to paths (None when absent), as kpsewhich does;
    ``find_program`` finds a program on PATH. Both are parameters so a test can
    describe any installation.
    """
    find_files = find_files or kpsewhich_lookup
    find_program = find_program or shutil.which
    files = [r.name for r in requirements if r.kind == "file"]
    found = find_files(files) if files else {}
    absent = []
    for requirement in requirements:
        if requirement.kind == "program":
            present = find_program(requirement.name) is not None
        else:
            present = bool(found.get(requirement.name))
        if not present:
            absent.append(requirement)
    return absent


def install_command(absent: Iterable[Requirement], *, root: bool | None = None) -> str:
    """The exact line that installs what is missing: ``apt-get install -y pkg …`` (with sudo unless root)."""
    if root is None:
        root = _is_root()
    prefix = "" if root else "sudo "
    return f"{prefix}apt-get install -y --no-install-recommends {' '.join(packages(absent))}"


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def can_install() -> bool:
    """Whether this process may install Debian packages itself (root, apt-get, no prompt)."""
    return _is_root() and shutil.which("apt-get") is not None and not os.environ.get("BOOKBUILD_NO_INSTALL")


def _apt(args: list[str], log: TextIO) -> bool:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log.write(f"  running: {' '.join(args)}\n")
    log.flush()
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                              timeout=APT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.write(f"  {args[0]} failed: {exc}\n")
        return False
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        log.write(f"  {' '.join(args[:2])} exited with status {done.returncode}:\n{tail}\n")
    return done.returncode == 0


def ensure(log: TextIO, *, allow_install: bool = True, find_files: FileLookup | None = None,
           find_program: ProgramLookup | None = None, requirements: Sequence[Requirement] = REQUIREMENTS,
           purpose: str = "the PDF") -> list[Requirement]:
    """Make sure ``requirements`` are installed; return what is still missing (empty: ready).

    When something is missing and :func:`can_install`, the packages are installed
    with ``apt-get`` (after an ``apt-get update`` if the first attempt fails).
    """
    absent = missing(find_files, find_program, requirements)
    if not absent or not allow_install or not can_install():
        return absent
    names = packages(absent)
    log.write(f"  installing from Debian for {purpose}: {' '.join(names)}\n")
    install = ["apt-get", "install", "-y", "--no-install-recommends", *names]
    if not _apt(install, log):
        _apt(["apt-get", "update"], log)
        _apt(install, log)
    return missing(find_files, find_program, requirements)
