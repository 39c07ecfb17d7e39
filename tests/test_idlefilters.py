"""The HTML build leaves out the Lua filters that would change nothing in a page (bookbuild/render/idlefilters.py):
the page is the same as with every filter."""

from __future__ import annotations

from bookbuild.render import idlefilters
from conftest import build_site

ALL = ["conditional", "codeescape", "list-table", "crossref", "citeproc", "latex-commands", "callouts"]

CHAPTER = """
# Plain {#sec-plain}

Text with a note,[^a] `code`, a [span]{.mark}, math $x^2$ and a reference to @sec-plain.

[^a]: The note.

::: {.callout-note}
## A callout
Inside.
:::

```python
print("{x}")
```

| a | b |
|---|---|
| 1 | 2 |

: A table {#tbl-plain}
"""


def test_a_filter_is_left_out_only_when_nothing_in_the_page_names_what_it_handles():
    assert idlefilters.needed(ALL, '{"c": "plain"}', bibliography=False) == ["crossref", "citeproc", "callouts"]
    assert idlefilters.needed(ALL, '["content-hidden"] "{{python}}" "list-table" ["tex", "x"]', bibliography=False) == ALL
    # Entries of a bibliography may hold raw LaTeX, which citeproc puts in before latex-commands runs.
    assert "latex-commands" in idlefilters.needed(ALL, '{"c": "plain"}', bibliography=True)


def test_a_page_without_what_the_left_out_filters_handle_is_the_same(book_factory, tmp_path, monkeypatch):
    root = book_factory({"ch.qmd": CHAPTER})
    pages = []
    for name in ("skipped", "all"):
        status, stdout, stderr = build_site(root, tmp_path / name, "--cache-dir", str(tmp_path / f"cache-{name}"))
        assert status == 0, stdout + stderr
        pages.append((tmp_path / name / "ch.html").read_text(encoding="utf-8"))
        monkeypatch.setattr(idlefilters, "needed", lambda filters, source, bibliography: list(filters))
    assert pages[0] == pages[1]
