"""A large chapter builds, and each computed value keeps its mark (``span.computed[data-value]``).

The chapter is the one ``make bench`` times (scripts/bench.py), smaller. No
timing is asserted here: the bench reports how long it takes.
"""

from __future__ import annotations

import html
import importlib.util
import re

from bookbuild.check import check_book
from bookbuild.project import load_book
from conftest import REPO, build_site

COMPUTED = re.compile(r'<span class="computed" data-value="(\d+)">(.*?)</span>', re.S)


def _bench():
    spec = importlib.util.spec_from_file_location("bench", REPO / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_two_megabyte_chapter_builds_with_every_value_marked(tmp_path):
    root = _bench().make_large_book(tmp_path / "book", 2_000_000)
    assert (root / "large.qmd").stat().st_size >= 2_000_000
    status, stdout, stderr = build_site(root, tmp_path / "site", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0 and "0 errors, 0 warnings" in stdout, stdout + stderr[-2000:]
    page = (tmp_path / "site" / "large.html").read_text(encoding="utf-8")
    values = check_book(load_book(root)).executed[0].values
    assert len(values) > 15_000 and all(v.text for v in values)
    marked = {int(n): text for n, text in COMPUTED.findall(page)}
    assert sorted(marked) == [v.index for v in values]
    assert [v.index for v in values if html.unescape(marked[v.index]) != v.text] == []
    # The chapter's structure survives at this size: every table, equation and section numbered.
    sections = len(re.findall(r'^## Link budget of group', (root / "large.qmd").read_text(encoding="utf-8"), re.M))
    assert len(re.findall(r'quarto-float-caption quarto-float-tbl" id="tbl-', page)) == sections + 1
    assert len(re.findall(r'<span class="equation-number">\(1\.\d+\)', page)) == sections + 1
    assert f'<a href="#tbl-group-{sections - 1}" class="quarto-xref">Table&nbsp;1.{sections}</a>' in page


def test_values_with_brackets_or_after_a_bang_are_marked_too(book_factory, tmp_path):
    root = book_factory({"ch.qmd": """
        # Brackets

        ```{python}
        closing = "a]b"
        opening = "[c"
        pair = "[d] e"
        seven = "7"
        ```

        One `{python} closing`, two `{python} opening`, three `{python} pair`, and [a link `{python} pair`](#x).
        Wow!`{python} seven` and 10^`{python} seven`^.
        """})
    status, stdout, _ = build_site(root, tmp_path / "site", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout
    page = (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")
    assert COMPUTED.findall(page) == [("0", "a]b"), ("1", "[c"), ("2", "[d] e"), ("3", "[d] e"), ("4", "7"), ("5", "7")]
    assert "Wow!<span" in page
