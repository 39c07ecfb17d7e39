"""Quarto's ``_environment`` files: environment variables the book's cells run with.

Read from the project folder, highest priority first: ``_environment.local``
(not checked in), ``_environment-<profile>`` for each active profile in order,
then ``_environment``. As in Quarto, a variable already set in the environment
the command runs in wins over every file, and a file's variable wins over those
of the files below it; the files only give defaults.

Syntax (dotenv, as Quarto reads it): ``NAME=value`` per line (``export`` before
it allowed), ``#`` comments and blank lines ignored; a value may be quoted,
``'literal'`` or ``"with \\n escapes"``; unquoted and double-quoted values expand
``$NAME``, ``${NAME}`` and ``${NAME:-default}`` from the environment or lines
above (an unknown name expands to nothing); an unquoted value ends at `` #``.
A line that is none of these is an error at its file and line.

Quarto passes values through unchanged; a relative entry of ``PYTHONPATH`` set
here is made absolute against the project folder (``PYTHONPATH=.`` is the book's
root), so the cells find the same modules wherever the command is run from.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable, Mapping, Sequence

from .diagnostics import ConfigError, error

BASE_FILE = "_environment"
LOCAL_FILE = "_environment.local"

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def environment_files(root: Path, profiles: Sequence[str] = ()) -> list[Path]:
    """The ``_environment`` files of the project that exist, highest priority first."""
    names = [LOCAL_FILE, *(f"{BASE_FILE}-{p}" for p in profiles), BASE_FILE]
    return [root / name for name in names if (root / name).is_file()]


def parse_line(line: str, lookup: Callable[[str], str | None]) -> tuple[str, str] | None:
    """``(name, value)`` of one line, None for a blank or comment line.

    Raises ValueError (with the reason) for a line that is not ``NAME=value``.
    """
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    match = _LINE.match(line)
    if match is None:
        head = line.split("=", 1)[0].strip()
        if "=" not in line:
            raise ValueError("expected NAME=value")
        raise ValueError(f"{head!r} is not a variable name (letters, digits and _, not starting with a digit)")
    name, raw = match.groups()
    if raw[:1] == "'":
        if len(raw) < 2 or not raw.endswith("'"):
            raise ValueError("the value's single quote is not closed on this line")
        return name, raw[1:-1]
    if raw[:1] == '"':
        end = _closing_quote(raw)
        if end is None:
            raise ValueError("the value's double quote is not closed on this line")
        rest = raw[end + 1:].strip()
        if rest and not rest.startswith("#"):
            raise ValueError(f"unexpected text after the quoted value: {rest!r}")
        body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), raw[1:end])
        return name, _expand(body, lookup)
    value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
    return name, _expand(value, lookup)


def _closing_quote(raw: str) -> int | None:
    escaped = False
    for index in range(1, len(raw)):
        if escaped:
            escaped = False
        elif raw[index] == "\\":
            escaped = True
        elif raw[index] == '"':
            return index
    return None


def _expand(value: str, lookup: Callable[[str], str | None]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        found = lookup(name)
        return found if found else (match.group(2) or "")
    return _REFERENCE.sub(replace, value)


def load_environment(root: Path, profiles: Sequence[str] = (), *, external: Mapping[str, str] | None = None,
                     display: Callable[[Path], str] = str) -> tuple[tuple[str, str], ...]:
    """The variables the project's ``_environment`` files set, in the order they are set.

    A variable of ``external`` (default: this process's environment) is never
    set again. Raises ConfigError at the file and line of a bad line.
    """
    external = os.environ if external is None else external
    defined: dict[str, str] = {}
    for path in environment_files(root, profiles):
        own: dict[str, str] = {}

        def lookup(name: str) -> str | None:
            return external.get(name, defined.get(name, own.get(name)))

        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                parsed = parse_line(line, lookup)
            except ValueError as exc:
                raise ConfigError(error("environment", display(path), number, f"bad line in {path.name}: {exc}",
                                        hint="each line is NAME=value (a # line is a comment)")) from exc
            if parsed is None:
                continue
            name, value = parsed
            if name == "PYTHONPATH":
                value = absolute_path_list(value, root)
            own[name] = value
        for name, value in own.items():
            if name not in external and name not in defined:
                defined[name] = value
    return tuple(defined.items())


def absolute_path_list(value: str, base: Path) -> str:
    """A ``PATH``-like list with each relative entry made absolute against ``base`` (empty ones dropped)."""
    return os.pathsep.join(str((base / entry).resolve()) for entry in value.split(os.pathsep) if entry)
