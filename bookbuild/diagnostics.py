"""The Diagnostic type: every problem the engine finds, pinned to a file line.

Text output follows the compiler convention ``path:LINE:COL: error[code]: message``
so editors and CI annotate the right line; JSON output carries the same fields.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Sequence


class Severity(str, Enum):
    """How bad a diagnostic is; errors fail a build, warnings only under --strict."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One problem, located at ``file:line:col`` (1-based; col 1 when unknown)."""

    severity: Severity
    code: str
    file: str
    line: int
    message: str
    col: int = 1
    hint: str | None = None
    cell: str | None = None
    detail: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format_text(self) -> str:
        """Render as ``path:LINE:COL: severity[code]: message`` plus hint and detail lines."""
        where = f" (cell {self.cell})" if self.cell else ""
        head = f"{self.file}:{self.line}:{self.col}: {self.severity.value}[{self.code}]: {self.message}{where}"
        lines = [head]
        if self.detail:
            lines.extend("    " + row for row in self.detail.rstrip("\n").splitlines())
        if self.hint:
            lines.append(f"    help: {self.hint}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        """The diagnostic as a JSON-ready dict (None fields are dropped)."""
        data = asdict(self)
        data["severity"] = self.severity.value
        return {key: value for key, value in data.items() if value is not None}


def error(code: str, file: str, line: int, message: str, **extra: object) -> Diagnostic:
    """Shorthand for an error diagnostic."""
    return Diagnostic(Severity.ERROR, code, file, line, message, **extra)  # type: ignore[arg-type]


def warning(code: str, file: str, line: int, message: str, **extra: object) -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    return Diagnostic(Severity.WARNING, code, file, line, message, **extra)  # type: ignore[arg-type]


class ConfigError(Exception):
    """The command or the project configuration is wrong (exit status 2)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.format_text())
        self.diagnostic = diagnostic


def exit_status(diagnostics: Sequence[Diagnostic], strict: bool = False) -> int:
    """0 when sound, 1 when there are errors (or warnings under ``strict``)."""
    if any(d.is_error for d in diagnostics):
        return 1
    if strict and diagnostics:
        return 1
    return 0


def plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def format_json(diagnostics: Sequence[Diagnostic], **summary: object) -> str:
    """All diagnostics as one JSON document with a summary object."""
    errors = sum(1 for d in diagnostics if d.is_error)
    payload = {
        "diagnostics": [d.to_json() for d in diagnostics],
        "summary": {"errors": errors, "warnings": len(diagnostics) - errors, **summary},
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)
