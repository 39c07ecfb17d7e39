"""Turn what an inline expression returned into text, or say why it cannot be.

Both executors use this one rule, so they agree on every value: a ``str`` is
inserted verbatim, an object with ``_repr_markdown_`` is inserted as Markdown,
and anything else (a float, a pint Quantity, a NumPy scalar) is refused: the
prose must say exactly what the author formatted, never a ``repr``.

The module is self-contained (standard library only) because the Jupyter
executor sends its source into the kernel.
"""

from __future__ import annotations

from typing import Any

TEXT = "text"
MARKDOWN = "markdown"
NOT_TEXT = "not-text"


def classify_value(value: Any) -> tuple[str, str]:
    """Return ``(kind, text)``; for NOT_TEXT, ``text`` describes the value's type."""
    if isinstance(value, str):
        return TEXT, str(value)
    to_markdown = getattr(type(value), "_repr_markdown_", None)
    if callable(to_markdown):
        rendered = value._repr_markdown_()
        if isinstance(rendered, tuple):  # IPython allows (data, metadata)
            rendered = rendered[0]
        if isinstance(rendered, str):
            return MARKDOWN, rendered
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return NOT_TEXT, name
