"""Compile ```` ```{.tikz} ```` blocks to SVG for the HTML renderer.

Each block (a ``tikzpicture``, perhaps with ``\\tikzset``/``\\def`` before it) is
typeset on its own cropped page by ``latex`` (DVI mode) and converted by
``dvisvgm``. All figures share one preamble: ``bookbuild/theme/tikz-preamble.tex``
followed by one ``\\definecolor`` per colour of the book's palette
(``Book.palette``) and the book's own lines from ``diagram: engine: tikz:
header-includes:`` (``Book.tikz_header``, see :func:`tikz_preamble`).

Results are content-addressed in a cache folder: the SVG's file name is a hash of
the figure code, the full preamble and :data:`COMPILER_VERSION`, so an unchanged
figure is never recompiled, and a change to the preamble or the palette
recompiles every figure. Each cached file (SVG or dumped preamble) is stored with
a digest of its whole content and checked against it before use; a damaged one
is rebuilt. Files are written atomically (temporary file + ``os.replace``), so
concurrent builds sharing a cache never see half-written SVGs. A cache folder
that cannot be written only costs speed: the figure is compiled into a private
temporary folder, and the build's :class:`~bookbuild.cache.Cache` (when given) warns once;
it also counts the figures reused, compiled and found damaged.

Speed: the preamble (TikZ, pgfplots and their libraries) takes most of a LaTeX
run, so it is dumped once into a format file (``mylatexformat``), kept in the
cache folder beside the SVGs and keyed by the preamble and the TeX installation;
each figure then loads in a fraction of the time. If the format cannot be built
or loaded, figures are compiled with the plain preamble, which gives the same SVG.

Safety: LaTeX runs with ``-no-shell-escape``, no standard input, in a private
temporary folder, and is killed (with its whole process group) after a timeout.

SVG output: fonts are embedded as WOFF2 (text renders without TeX fonts on the
reader's machine), the view box is the LaTeX page (the picture's bounding box plus
the ``standalone`` border, so nothing is clipped). The renderer references each
file with ``<img src>``, so the element ids that dvisvgm writes cannot clash
between figures of one page.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.resources
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

from ..cache import Cache, read_verified, remove_verified, temporary_folder, write_verified
from ..palette import Palette
from .texprocess import TexTimeout, read_log, run_program

__all__ = ["COMPILER_VERSION", "TikzError", "compile_all", "compile_tikz", "tikz_preamble"]

#: dvisvgm options: embedded WOFF2 fonts, view box = the LaTeX page, optimized SVG.
DVISVGM_OPTIONS: tuple[str, ...] = ("--font-format=woff2", "--bbox=papersize", "--optimize", "--verbosity=3")

#: Part of every cache key: bump the number when the document wrapper, the LaTeX
#: command or anything else that changes the SVG for the same code and preamble changes.
COMPILER_VERSION = "bookbuild-tikz/1 latex+dvisvgm " + " ".join(DVISVGM_OPTIONS)

LATEX_OPTIONS: tuple[str, ...] = ("-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape")

#: What to install when a program is missing (Debian package names).
DEBIAN_PACKAGES = {
    "latex": "texlive-latex-base texlive-latex-recommended texlive-latex-extra "
             "texlive-pictures texlive-fonts-recommended lmodern",
    "dvisvgm": "dvisvgm",
}

_PREAMBLE_RESOURCE = ("bookbuild", "theme/tikz-preamble.tex")

#: The figure is written to ``figure.tex`` and read with \input, so the ``l.N`` of
#: a LaTeX error is line N of the figure code itself.
_FIGURE_FILE = "figure.tex"
_BODY = "\\begin{document}%\n\\input{" + _FIGURE_FILE + "}%\n\\end{document}\n"

_SVG_PREFIX = "tikz-"
_FORMAT_PREFIX = "tikz-preamble-"


class TikzError(Exception):
    """A figure did not compile.

    ``message`` is one line fit for "figure fig-x: TikZ failed: <message>": the
    first LaTeX error and the line it stopped at (``l.N`` counts lines of the
    figure code), e.g. ``! Undefined control sequence. l.3 \\foo``; or what else
    went wrong (a timeout, a missing program). ``log_excerpt`` holds a few lines
    of the LaTeX log around the error ("" when there is none).
    """

    def __init__(self, message: str, log_excerpt: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.log_excerpt = log_excerpt

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------- preamble

def _resource_text(package: str, name: str) -> str:
    """The text of a data file shipped in ``package`` (``name`` may contain ``/``)."""
    try:
        return (importlib.resources.files(package) / name).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, TypeError, AttributeError):
        # Namespace packages (e.g. a stale editable install) have no resource reader
        # on some Pythons: look in the package's folders ourselves.
        module = importlib.import_module(package)
        for folder in list(getattr(module, "__path__", [])):
            candidate = Path(folder, *name.split("/"))
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8")
        raise FileNotFoundError(f"{package}/{name}") from None


def _palette_definitions(palette: Palette) -> str:
    """``\\definecolor`` lines for every colour of the palette, sorted by name (names and
    values were checked when the palette was read)."""
    return "".join(f"\\definecolor{{{name}}}{{HTML}}{{{value.lstrip('#').upper()}}}\n"
                   for name, value in sorted(palette.colours))


def tikz_preamble(palette: Palette, header: Sequence[str] = ()) -> str:
    """The full LaTeX preamble of every figure: the theme file, the palette's colours, then
    the book's own ``header`` lines (``diagram: engine: tikz: header-includes:``).

    Ends before ``\\begin{document}``. Palette and header are part of it, so of every cache key.
    """
    package, name = _PREAMBLE_RESOURCE
    base = _resource_text(package, name)
    own = "".join(line.rstrip("\n") + "\n" for line in header)
    return (base.rstrip("\n") + "\n"
            "% Colours of the book's palette (generated by bookbuild.render.tikz)\n"
            + _palette_definitions(palette)
            + ("% The book's diagram: engine: tikz: header-includes:\n" + own if own else ""))


# --------------------------------------------------------------------------- a check before LaTeX

#: What the balance check looks at, left to right: a comment's start, an environment's begin or end,
#: any other backslash with the character after it (an escape, or a command's first letter), a brace.
TEX_TOKEN = re.compile(r"%|\\(?P<kind>begin|end)\s*\{(?P<name>[^{}]*)\}|\\.?|[{}]")


@functools.lru_cache(maxsize=4096)  # a pure function of its arguments: a build asks about each figure more than once
def unbalanced(code: str, first_line: int = 1) -> tuple[int, str] | None:
    """(line, what is wrong) for the first brace or environment that does not pair up, or None;
    lines are counted from ``first_line`` (the file line of the code's first line).

    A cheap look at the structure that makes LaTeX fail for certain, so ``check``
    finds it without typesetting (``%`` comments and ``\\{`` escapes are skipped).
    """
    braces: list[int] = []
    environments: list[tuple[str, int]] = []
    for number, row in enumerate(code.splitlines(), start=first_line):
        for token in TEX_TOKEN.finditer(row):
            text = token.group(0)
            if text == "%":
                break
            if token["kind"] is not None:
                name = token["name"].strip()
                if token["kind"] == "begin":
                    environments.append((name, number))
                elif not environments:
                    return number, f"\\end{{{name}}} ends no environment"
                elif environments[-1][0] != name:
                    opened, line = environments[-1]
                    return number, f"\\end{{{name}}} ends \\begin{{{opened}}} of line {line}"
                else:
                    environments.pop()
            elif text == "{":
                braces.append(number)
            elif text == "}":
                if not braces:
                    return number, "this '}' closes no '{'"
                braces.pop()
            # else an escaped character, or a command's first letter: skipped
    if braces:
        return braces[-1], "this '{' is never closed"
    if environments:
        name, line = environments[-1]
        return line, f"\\begin{{{name}}} is never ended"
    return None


# --------------------------------------------------------------------------- cache

def _normalize(code: str) -> str:
    code = code.replace("\r\n", "\n").replace("\r", "\n")
    return code if code.endswith("\n") else code + "\n"


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()[:40]


def _svg_path(code: str, preamble: str, cache_dir: Path) -> Path:
    return cache_dir / f"{_SVG_PREFIX}{_digest(COMPILER_VERSION, preamble, _normalize(code))}.svg"


def _valid_svg(data: bytes) -> bool:
    """A complete dvisvgm SVG: an ``<svg`` root with a view box, closed at the end."""
    head = data[:2000]
    return b"<svg" in head and b"viewBox=" in head and data.rstrip().endswith(b"</svg>")


def _cached(path: Path) -> bool:
    """A cached SVG that matches its stored digest and is complete."""
    data = read_verified(path)
    return data is not None and _valid_svg(data)


def _lookup(path: Path) -> str:
    """``hit``, ``miss`` or ``damaged``: how the cache stands for one figure (for the build's summary)."""
    return "hit" if _cached(path) else "damaged" if path.exists() else "miss"


_verified_formats: dict[Path, tuple[int, int]] = {}  # format file -> (size, mtime) when its digest last matched


def _format_intact(fmt: Path) -> bool:
    """The dumped preamble matches its stored digest (hashed once per process while unchanged)."""
    try:
        info = fmt.stat()
    except OSError:
        return False
    if _verified_formats.get(fmt) == (info.st_size, info.st_mtime_ns):
        return True
    if read_verified(fmt) is None:
        return False
    _verified_formats[fmt] = (info.st_size, info.st_mtime_ns)
    return True


@functools.lru_cache(maxsize=1)
def _scratch() -> Path:
    """Where figures go when the cache folder cannot be written (removed at exit)."""
    return temporary_folder("bookbuild-tikz-")


def _store(target: Path, data: bytes, on_store_error: Callable[[OSError], None] | None) -> Path:
    """Put a compiled SVG in the cache; when that fails, in the scratch folder (the caller is told)."""
    try:
        write_verified(target, data)
        return target
    except OSError as exc:
        if on_store_error is not None:
            on_store_error(exc)
        fallback = _scratch() / target.name
        fallback.write_bytes(data)
        return fallback


# --------------------------------------------------------------------------- processes

def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise TikzError(f"`{name}` was not found: TikZ figures need it "
                        f"(Debian: apt-get install {DEBIAN_PACKAGES[name]})")
    return found


class _FormatUnusable(Exception):
    """LaTeX stopped without an error message while loading the dumped preamble."""


def _latex_error(log: str, fallback: str) -> TikzError:
    """The first ``!`` error of a LaTeX log, with its ``l.N`` line and some context."""
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("! ")), None)
    if start is None:
        tail = "\n".join(lines[-12:])
        return TikzError(fallback, tail)
    message = lines[start]
    for line in lines[start + 1:start + 40]:
        if re.match(r"^l\.\d+", line):
            if line.split(None, 1)[-1].startswith("\\end{document}"):
                message += " (at the end of the figure: a group or environment left open?)"
            else:
                message += " " + line.strip()
            break
    excerpt = "\n".join(lines[max(0, start - 3):start + 10])
    return TikzError(message, excerpt)


# --------------------------------------------------------------------------- format

_format_lock = threading.Lock()
_broken_formats: set[Path] = set()


@functools.lru_cache(maxsize=None)
def _tex_identity(latex: str) -> str:
    """What a format file depends on besides the preamble: the TeX binary and latex.fmt."""
    parts = [latex]
    try:
        parts.append(subprocess.run([latex, "--version"], capture_output=True, text=True,
                                    stdin=subprocess.DEVNULL, timeout=30).stdout.split("\n", 1)[0])
        fmt = subprocess.run(["kpsewhich", "-engine=pdftex", "latex.fmt"], capture_output=True,
                             text=True, stdin=subprocess.DEVNULL, timeout=30).stdout.strip()
        for path in (os.path.realpath(latex), fmt):
            if path:
                st = os.stat(path)
                parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    except (OSError, subprocess.SubprocessError):
        parts.append("unknown")
    return "\n".join(parts)


def _format(preamble: str, cache_dir: Path, latex: str, timeout: float) -> Path | None:
    """The dumped preamble for this TeX installation (built once), or None if unusable.

    Returns the path without the ``.fmt`` suffix, as ``latex -fmt=`` wants it.
    """
    key = _digest(COMPILER_VERSION, preamble, _tex_identity(latex))
    stem = cache_dir / f"{_FORMAT_PREFIX}{key}"
    fmt = stem.with_suffix(".fmt")
    with _format_lock:
        if stem in _broken_formats:
            return None
        if _format_intact(fmt):
            return stem
        try:
            with tempfile.TemporaryDirectory(prefix="bookbuild-tikzfmt-") as tmp:
                work = Path(tmp)
                (work / "preamble.tex").write_text(preamble + "\\begin{document}\n\\end{document}\n",
                                                   encoding="utf-8")
                rc = run_program([latex, "-ini", *LATEX_OPTIONS, "-jobname=preamble",
                                  "&latex", "mylatexformat.ltx", "preamble.tex"], work, max(timeout, 60.0), "latex")
                built = work / "preamble.fmt"
                if rc != 0 or not built.is_file():
                    _broken_formats.add(stem)
                    return None
                write_verified(fmt, built.read_bytes())
        except (TexTimeout, OSError):
            _broken_formats.add(stem)
            return None
        for old in cache_dir.glob(f"{_FORMAT_PREFIX}*.fmt"):  # formats of older preambles
            if old != fmt:
                remove_verified(old)
        return stem


# --------------------------------------------------------------------------- compile

def _compile(code: str, preamble: str, fmt: Path | None, work: Path, deadline: float,
             timeout: float) -> bytes:
    """Typeset ``code`` in ``work`` and return the SVG bytes."""
    latex, dvisvgm = _program("latex"), _program("dvisvgm")
    (work / _FIGURE_FILE).write_text(code, encoding="utf-8")
    if fmt is not None:
        (work / "main.tex").write_text(_BODY, encoding="utf-8")
        args = [latex, f"-fmt={fmt.absolute()}", *LATEX_OPTIONS, "main.tex"]
    else:
        (work / "main.tex").write_text(preamble + _BODY, encoding="utf-8")
        args = [latex, *LATEX_OPTIONS, "main.tex"]
    try:
        rc = run_program(args, work, deadline - time.monotonic(), "latex")
    except TexTimeout:
        raise TikzError(f"LaTeX timed out after {timeout:g} s (an endless loop in the figure?)",
                        read_log(work / "main.log")[-2000:]) from None
    dvi = work / "main.dvi"
    if rc != 0 or not dvi.is_file():
        log = read_log(work / "main.log") or read_log(work / "latex.out")
        if fmt is not None and rc != 0 and not re.search(r"^! ", log, re.M):
            raise _FormatUnusable()  # no LaTeX error: the format did not load
        if rc == 0:
            raise TikzError("LaTeX produced no page: the figure draws nothing", "\n".join(log.splitlines()[-12:]))
        raise _latex_error(log, f"LaTeX failed (exit status {rc})")
    try:
        rc = run_program([dvisvgm, *DVISVGM_OPTIONS, "--output=figure.svg", "main.dvi"], work,
                         deadline - time.monotonic(), "dvisvgm")
    except TexTimeout:
        raise TikzError(f"dvisvgm timed out after {timeout:g} s") from None
    svg = work / "figure.svg"
    data = svg.read_bytes() if svg.is_file() else b""
    if rc != 0 or not _valid_svg(data):
        output = read_log(work / "dvisvgm.out").strip()
        last = output.splitlines()[-1] if output else "no output"
        raise TikzError(f"dvisvgm failed (exit status {rc}): {last}", output[-2000:])
    return data


def _compile_cached(code: str, preamble: str, cache_dir: Path, timeout: float,
                    use_format: bool = True, on_store_error: Callable[[OSError], None] | None = None) -> Path:
    target = _svg_path(code, preamble, cache_dir)
    if _cached(target):
        return target
    latex = _program("latex")
    _program("dvisvgm")
    with contextlib.suppress(OSError):  # a folder that cannot be made is reported when storing fails
        cache_dir.mkdir(parents=True, exist_ok=True)
    fmt = _format(preamble, cache_dir, latex, timeout) if use_format else None
    deadline = time.monotonic() + timeout
    code = _normalize(code)
    with tempfile.TemporaryDirectory(prefix="bookbuild-tikz-") as tmp:
        try:
            data = _compile(code, preamble, fmt, Path(tmp), deadline, timeout)
        except _FormatUnusable:
            # The dumped preamble does not load (TeX was upgraded under it, the file
            # is damaged, ...): stop using it and compile with the plain preamble.
            assert fmt is not None
            with _format_lock:
                _broken_formats.add(fmt)
                remove_verified(fmt.with_suffix(".fmt"))  # let the next build make a fresh one
            return _compile_cached(code, preamble, cache_dir, timeout, use_format=False, on_store_error=on_store_error)
    return _store(target, data, on_store_error)


def compile_tikz(code: str, cache_dir: Path, palette: Palette, *, timeout: float = 60.0,
                 header: Sequence[str] = ()) -> Path:
    """Compile one TikZ block to SVG and return the SVG's path in ``cache_dir``.

    ``code`` is the content of a ```` ```{.tikz} ```` block. A valid cached SVG for
    the same code, preamble and compiler version is returned without running
    anything. ``header``: the book's own preamble lines (see :func:`tikz_preamble`).
    Raises :class:`TikzError` when the figure does not compile, LaTeX runs
    longer than ``timeout`` seconds, or ``latex``/``dvisvgm`` is not installed.
    """
    return _compile_cached(code, tikz_preamble(palette, header), Path(cache_dir), timeout)


def compile_all(codes: list[str], cache_dir: Path, palette: Palette, *, workers: int = 2, timeout: float = 60.0,
                cache: Cache | None = None, header: Sequence[str] = ()) -> list[Path | TikzError]:
    """Compile many TikZ blocks in parallel; results (SVG path or error) in input order.

    Identical blocks are compiled once. ``timeout`` applies to each figure. The
    build's ``cache`` (whose folder holds ``cache_dir``) counts hits, misses and
    damaged figures, and warns when a figure cannot be stored. ``header``: the book's own
    preamble lines (see :func:`tikz_preamble`).
    """
    cache_dir = Path(cache_dir)
    preamble = tikz_preamble(palette, header)
    unique = list(dict.fromkeys(_normalize(code) for code in codes))

    def one(code: str) -> Path | TikzError:
        if cache is not None:
            cache.stats[f"tikz.{_lookup(_svg_path(code, preamble, cache_dir))}"] += 1
        try:
            return _compile_cached(code, preamble, cache_dir, timeout,
                                   on_store_error=cache.cannot_write if cache is not None else None)
        except TikzError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        done = dict(zip(unique, pool.map(one, unique)))
    return [done[_normalize(code)] for code in codes]
