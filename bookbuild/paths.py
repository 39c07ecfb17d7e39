"""Containment: every path a build reads stays in the project, every path it writes in its output or cache.

Paths are resolved first (``..`` and symlinks included), so neither a chapter's
``../../x.png`` nor a symlink to ``/etc/passwd`` can lead a build out of the
folders it may touch. These functions are pure apart from resolving the path.
"""

from __future__ import annotations

import os
from pathlib import Path


class OutsideError(ValueError):
    """A path the build would write lies outside the folders it may write into."""


def resolved(path: Path) -> Path:
    """``path`` made absolute with ``..`` and every symlink resolved (missing parts kept as written)."""
    return Path(os.path.realpath(path))


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, once resolved, is ``folder`` or lies below it (``folder`` resolved too)."""
    return resolved(path).is_relative_to(resolved(folder))


def outside_reason(path: Path, root: Path, named: str) -> str | None:
    """None when ``path`` lies inside ``root``; otherwise why not, for a diagnostic's message.

    ``named`` is the path as the author wrote it.
    """
    if is_inside(path, root):
        return None
    target = resolved(path)
    lexical = Path(os.path.abspath(path))
    through = " through a symlink" if any(lexical.is_relative_to(r) for r in (Path(os.path.abspath(root)), resolved(root))) else ""
    return f"'{named}' is outside the project: it resolves{through} to {target}"


def contained(folder: Path, relative: str | Path) -> Path:
    """``folder / relative`` when it stays inside ``folder``; raises :class:`OutsideError` otherwise.

    Every writer of an output or cache file goes through this, so a name taken
    from the book (a chapter's path, an image's) can never address a file elsewhere.
    """
    target = folder / relative
    if not is_inside(target, folder):
        raise OutsideError(f"'{relative}' would be written outside {folder} (to {resolved(target)})")
    return target


OUTSIDE_HINT = ("a build reads only files inside the project folder: move or copy the file into it "
                "(a bibliography or csl named in _quarto.yml may lie elsewhere)")
