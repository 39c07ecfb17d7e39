"""A book of several chapters rebuilt after an edit to one is, file for file, the book built cold.

What a rebuild takes from the cache instead of redoing (each chapter's scan, lint,
numbers, title and citations, its page's Pandoc output, the other pages' search
and value records) must give exactly what a cold build computes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import build_site

CHAPTER = """
# Chapter {n} {{#sec-ch{n}}}

```{{python}}
#| label: setup-{n}
rate = {n} * 25
rate_str = f"{{rate}} GB/s"
```

The link of chapter {n} moves `{{python}} rate_str`; chapter {other} says more (@sec-ch{other}).

## Budget {{#sec-budget-{n}}}

| item | value |
|------|-------|
| rate | `{{python}} rate_str` |

: The budget of chapter {n} {{#tbl-budget-{n}}}

As @tbl-budget-{n} shows, and as @tbl-budget-{other} of [the other chapter](ch{other}.qmd) agrees,
the rate is what it is.[^note-{n}]

[^note-{n}]: A footnote of chapter {n}.

$$ t = {n} $$ {{#eq-t-{n}}}

::: {{.callout-note}}
## Note {n}

See @eq-t-{n}, and @sec-budget-{other} elsewhere.
:::
"""

SENTENCE = "the rate is what it is."


def make_book(root: Path, chapters: int = 4, extra_config: str = "") -> Path:
    root.mkdir(parents=True)
    names = [f"ch{n}.qmd" for n in range(1, chapters + 1)]
    for n, name in enumerate(names, start=1):
        (root / name).write_text(textwrap.dedent(CHAPTER.format(n=n, other=n % chapters + 1)).lstrip(), encoding="utf-8")
    listing = "\n".join(f"    - {name}" for name in names)
    (root / "_quarto.yml").write_text(f"project:\n  type: book\nbook:\n  title: Many chapters\n  chapters:\n{listing}\n"
                                      + extra_config, encoding="utf-8")
    return root


def edit(root: Path, name: str, words: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert SENTENCE in text
    path.write_text(text.replace(SENTENCE, words), encoding="utf-8")


def build(root: Path, out: Path, cache: Path, *names: str) -> str:
    status, stdout, stderr = build_site(root, out, "--cache-dir", str(cache), *names)
    assert status == 0, stdout + stderr
    return stderr


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_files(rebuilt: Path, cold: Path) -> None:
    mine, theirs = files(rebuilt), files(cold)
    assert sorted(mine) == sorted(theirs)
    different = [name for name in mine if mine[name] != theirs[name]]
    assert different == [], f"files that differ from a cold build: {different}"


def test_editing_one_chapter_of_many_rebuilds_the_book_a_cold_build_makes(tmp_path):
    root = make_book(tmp_path / "book")
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(root, out, cache)
    build(root, out, cache)  # nothing changed: everything from the cache
    edit(root, "ch3.qmd", "the rate, edited, is what it is.")
    stderr = build(root, out, cache)
    assert "pandoc-html: 3 reused, 1 computed" in stderr  # only the edited page went through Pandoc again
    page = (out / "ch3.html").read_text(encoding="utf-8")
    assert "the rate, edited, is what it is." in page

    cold = tmp_path / "cold"
    build(root, cold, tmp_path / "cold-cache")
    assert_same_files(out, cold)


def test_one_chapter_built_after_an_edit_is_the_page_of_a_cold_build(tmp_path):
    root = make_book(tmp_path / "book")
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(root, out, cache)
    edit(root, "ch2.qmd", "the rate, as edited, is what it is.")
    stderr = build(root, out, cache, "ch2.qmd")
    # Only ch2 went through Pandoc: the other chapters' numbers are the whole-book build's, from the cache.
    assert "pandoc-ast: 0 reused, 1 computed" in stderr and "pandoc-html: 0 reused, 1 computed" in stderr
    assert "the rate, as edited, is what it is." in (out / "ch2.html").read_text(encoding="utf-8")

    # The other pages (unchanged by a sentence of ch2) are the earlier build's; with ch2's page, the
    # search index and the ledger built now, the folder is what a cold build of the whole book makes.
    cold = tmp_path / "cold"
    build(root, cold, tmp_path / "cold-cache")
    assert_same_files(out, cold)


# An edit of one chapter that renumbers the others: its title made unnumbered (the chapters after it
# move up), or, with items numbered through the book, a table added (the tables after it move on).
RENUMBERING = {
    "unnumbered-title": ("", "# Chapter 1 {#sec-ch1}", "# Chapter 1 {#sec-ch1 .unnumbered}"),
    "table-through-the-book": ("crossref:\n  chapters: false\n", "## Budget {#sec-budget-1}",
                               "| a |\n|---|\n| 1 |\n\n: An added table {#tbl-added}\n\n## Budget {#sec-budget-1}"),
}


@pytest.mark.parametrize("change", sorted(RENUMBERING))
def test_an_edit_that_renumbers_the_other_chapters_rebuilds_them_as_a_cold_build(tmp_path, change):
    config, old, new = RENUMBERING[change]
    root = make_book(tmp_path / "book", extra_config=config)
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(root, out, cache)
    text = (root / "ch1.qmd").read_text(encoding="utf-8")
    assert old in text
    (root / "ch1.qmd").write_text(text.replace(old, new), encoding="utf-8")
    build(root, out, cache)
    cold = tmp_path / "cold"
    build(root, cold, tmp_path / "cold-cache")
    assert_same_files(out, cold)


def test_a_damaged_facts_entry_is_recomputed_and_the_pages_stay_the_same(tmp_path):
    root = make_book(tmp_path / "book", chapters=3)
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(root, out, cache)
    for entry in (cache / "facts-numbers").rglob("*"):
        if entry.is_file():
            data = bytearray(entry.read_bytes())
            data[-2] ^= 0x01  # one flipped byte: the checksum no longer matches
            entry.write_bytes(bytes(data))
    stderr = build(root, tmp_path / "again", cache)
    assert "facts-numbers: 0 reused, 3 computed (3 damaged entries rebuilt)" in stderr
    assert_same_files(tmp_path / "again", out)
