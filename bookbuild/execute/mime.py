"""An object's mime bundle, as IPython's display formatter computes it, without IPython.

The in-process engine shows a displayed value (``display(x)``, a cell's last
expression) the way a Jupyter kernel does: ``_ipython_display_`` if the object
has one, else ``_repr_mimebundle_`` and then one ``_repr_*_`` method per mime type,
and always a ``text/plain`` (IPython's pretty printer when IPython is installed,
else ``repr``). Images come back as bytes (PNG, JPEG, PDF) or text (SVG).

When a cell imports ``IPython.display``, its ``display`` is replaced by the
engine's (``install_ipython_display``), so ``from IPython.display import display,
Markdown`` works in-process exactly as in a kernel instead of printing the
object's repr.
"""

from __future__ import annotations

import base64
import importlib.abc
import importlib.machinery
import json
import sys
from typing import Any, Callable

PLAIN = "text/plain"

#: The formatters IPython's display formatter runs, in its order: (mime type, method).
REPR_METHODS: tuple[tuple[str, str], ...] = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("application/pdf", "_repr_pdf_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
    ("application/javascript", "_repr_javascript_"),
)
BINARY = frozenset({"image/png", "image/jpeg", "application/pdf"})
IPYTHON_DISPLAY = "IPython.core.display_functions"


class FormatError(Exception):
    """A ``_repr_*_`` method raised: IPython shows the traceback and goes on."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _method(obj: Any, name: str) -> Callable[..., Any] | None:
    """The object's formatter method, as IPython finds it (never a class's own attribute)."""
    if isinstance(obj, type):
        return None
    try:
        method = getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - an object whose attribute lookup fails has no such method
        return None
    return method if callable(method) else None


def _data(value: Any) -> Any:
    """A repr method may return ``(data, metadata)``: keep the data."""
    return value[0] if isinstance(value, tuple) and len(value) == 2 else value


def plain_text(obj: Any) -> str:
    """``text/plain`` as IPython prints it: its pretty printer if installed, else ``repr``."""
    try:
        from IPython.lib.pretty import pretty
    except ImportError:
        return repr(obj)
    return pretty(obj, max_width=79, max_seq_length=1000)


def mime_bundle(obj: Any, include: Any = None, exclude: Any = None,
                errors: list[FormatError] | None = None) -> dict[str, Any]:
    """The object's representations by mime type; empty when ``_ipython_display_`` showed it itself.

    A representation method that raises is left out and its error added to ``errors``
    (IPython shows that traceback as an output and the cell goes on).
    """
    own_display = _method(obj, "_ipython_display_")
    if own_display is not None:
        own_display()
        return {}
    data: dict[str, Any] = {}
    bundle = _method(obj, "_repr_mimebundle_")
    if bundle is not None:
        try:
            found = _data(bundle(include=include, exclude=exclude))
        except Exception as exc:  # noqa: BLE001 - shown as the cell's error output
            _report(errors, exc)
            found = None
        if isinstance(found, dict):
            data.update(found)
    if PLAIN not in data:
        try:
            data[PLAIN] = plain_text(obj)
        except Exception as exc:  # noqa: BLE001
            _report(errors, exc)
    for mime, name in REPR_METHODS:
        method = None if mime in data else _method(obj, name)
        if method is None:
            continue
        try:
            value = _data(method())
        except NotImplementedError:  # IPython's way for a method to decline
            continue
        except Exception as exc:  # noqa: BLE001
            _report(errors, exc)
            continue
        if _valid(mime, value):
            data[mime] = value
    if include:
        data = {k: v for k, v in data.items() if k in include}
    if exclude:
        data = {k: v for k, v in data.items() if k not in exclude}
    return data


def _valid(mime: str, value: Any) -> bool:
    """What IPython's formatter for the mime type accepts (others are dropped with a warning there)."""
    if value is None:
        return False
    if mime in BINARY:
        return isinstance(value, (bytes, bytearray, str))
    if mime == "application/json":
        return isinstance(value, (dict, list, str))
    return isinstance(value, str)


def json_text(value: Any) -> str:
    """``application/json`` data as the text both engines record."""
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def _report(errors: list[FormatError] | None, exc: Exception) -> None:
    if errors is None:
        raise FormatError(exc) from exc
    errors.append(FormatError(exc))


def binary(value: Any) -> bytes | None:
    """An image's bytes, whether the method returned bytes or base64 text (as IPython accepts both)."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------- IPython's display, in-process

_display: Callable[..., Any] | None = None


def install_ipython_display(display: Callable[..., Any]) -> None:
    """Make ``IPython.display.display`` (and ``display_markdown`` & co., which call it) publish
    through ``display``: now if IPython's display module is loaded, else when it is imported."""
    global _display
    _display = display
    module = sys.modules.get(IPYTHON_DISPLAY)
    if module is not None:
        _patch(module)
    elif not any(isinstance(finder, _IPythonDisplayFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _IPythonDisplayFinder())


def _forward(*objs: Any, **kwargs: Any) -> Any:
    return _display(*objs, **kwargs) if _display is not None else None


def _forward_data(data: dict[str, Any], metadata: Any = None, **kwargs: Any) -> None:
    _forward(data, raw=True)


def _patch(module: Any) -> None:
    module.display = _forward
    module.publish_display_data = _forward_data
    # Modules that had already imported the name keep their own reference: point them here too.
    for name in ("IPython.core.display", "IPython.display", "IPython"):
        other = sys.modules.get(name)
        if other is not None and getattr(other, "display", None) is not _forward:
            other.display = _forward  # type: ignore[attr-defined]


class _IPythonDisplayFinder(importlib.abc.MetaPathFinder):
    """Patches IPython's display module right after it is first executed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != IPYTHON_DISPLAY:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            _patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
