"""A book's own styles and includes in its outputs: ``css:``, ``include-*``, ``header-includes``, filters' HTML dependencies.

HTML: stylesheets are copied into the site (at their project path) and linked
after the engine's CSS; ``include-in-header`` and ``header-includes`` go into
each page's head, ``include-before-body`` / ``include-after-body`` at the start
and end of its body. PDF: ``include-in-header`` and ``header-includes`` go into
the preamble after the engine's, ``include-before-body`` after the title page
and ``include-after-body`` at the end of the document, as Pandoc places them.
Files are read verbatim; ``header-includes`` is Markdown (Pandoc keeps the raw
LaTeX or HTML in it that suits the format).
"""

from __future__ import annotations

import functools
import html
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import yaml

from ..diagnostics import Diagnostic, error
from ..files import copy_atomic
from ..project import display_path
from ..useroptions import IncludeSpec
from . import site
from .pandoc import run_pandoc

CONTRIB = "site_libs/quarto-contrib"


@dataclass(frozen=True)
class Placed:
    """What goes into the head, at the start of the body and at its end."""

    head: str = ""
    before_body: str = ""
    after_body: str = ""


def placed(specs: Sequence[IncludeSpec], output_format: str, expand: Callable[[str], str] = str) -> Placed:
    """The includes' text at their three places (CSS links excluded: see :func:`html_styles`);
    ``expand`` turns the shortcodes in each into text (shortcodes.expand_in_text), as Quarto does."""
    parts: dict[str, list[str]] = {"head": [], "before": [], "after": []}
    where = {"include-in-header": "head", "header-includes": "head",
             "include-before-body": "before", "include-after-body": "after"}
    for spec in specs:
        if spec.key == "css":
            continue
        if spec.key == "header-includes":
            text = markdown_as(spec.text or "", output_format)
        elif spec.path is not None:
            text = spec.path.read_text(encoding="utf-8")
        else:
            text = spec.text or ""
        parts[where[spec.key]].append(expand(text).rstrip("\n"))
    return Placed(*("\n".join(rows) for rows in parts.values()))


@functools.lru_cache(maxsize=64)
def markdown_as(text: str, output_format: str) -> str:
    """``header-includes`` in the output format, as Pandoc's own templates render it: Markdown metadata,
    whose raw blocks of another format are dropped."""
    with tempfile.TemporaryDirectory(prefix="bookbuild-") as scratch:
        template = Path(scratch) / "header.template"
        template.write_text("$for(header-includes)$\n$header-includes$\n$endfor$\n", encoding="utf-8")
        document = "---\n" + yaml.safe_dump({"header-includes": text}, allow_unicode=True) + "---\n"
        return run_pandoc(["--from", "markdown", "--to", "html5" if output_format == "html" else "latex",
                           "--standalone", "--template", str(template), "--wrap=preserve"], document).strip()


def html_styles(root: Path, page: str, specs: Sequence[IncludeSpec], out_dir: Path) -> str:
    """``<link>`` tags for the ``css:`` files (copied into ``out_dir`` at their project path)."""
    links = []
    for spec in specs:
        if spec.key != "css" or spec.path is None:
            continue
        relative = spec.path.relative_to(root.resolve()).as_posix()
        copy_atomic(spec.path, out_dir / relative)
        links.append(f'<link rel="stylesheet" href="{html.escape(site.relative(page, relative))}">')
    return "\n".join(links)


def html_dependencies(page: str, dependencies: Sequence[dict[str, Any]], out_dir: Path) -> tuple[str, list[Diagnostic]]:
    """Head markup for the dependencies filters added (``quarto.doc.add_html_dependency``), their files copied
    under ``site_libs/quarto-contrib/NAME-VERSION/``; a missing file is an error at the filter line that added it."""
    rows: list[str] = []
    problems: list[Diagnostic] = []
    for dependency in dependencies:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", str(dependency.get("name")))
        version = str(dependency.get("version") or "")
        folder = f"{CONTRIB}/{name}-{version}" if version else f"{CONTRIB}/{name}"
        for key, tag in (("stylesheets", '<link rel="stylesheet" href="{}">'), ("scripts", '<script src="{}"></script>')):
            for file in dependency.get(key) or []:
                source = Path(str(file))
                if not source.is_file():
                    problems.append(error("filter-dependency", display_path(Path(str(dependency.get("file")))),
                                          int(dependency.get("line") or 1),
                                          f"HTML dependency '{name}': file '{display_path(source)}' does not exist",
                                          hint="paths in add_html_dependency are relative to the filter file"))
                    continue
                copy_atomic(source, out_dir / folder / source.name)
                row = tag.format(html.escape(site.relative(page, f"{folder}/{source.name}")))
                if row not in rows:
                    rows.append(row)
        head = str(dependency.get("head") or "")
        if head and head not in rows:
            rows.append(head)
    return "\n".join(rows), problems


def latex_parts(specs: Sequence[IncludeSpec], expand: Callable[[str], str] = str) -> Placed:
    """The PDF's preamble addition, text after the title page and at the end (``expand``: see :func:`placed`)."""
    return placed(specs, "latex", expand)
