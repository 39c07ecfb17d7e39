"""Incremental builds: reuse exactly what is still valid, never show a stale number."""

from __future__ import annotations

import py_compile
import re
from pathlib import Path

from conftest import build_site, forget_build_records


def make_book(book_factory):
    root = book_factory({
        "a.qmd": """
            # Alpha {#sec-alpha-chapter}

            ## First {#sec-first}

            ```{python}
            from constlib.values import SPEED
            from pathlib import Path
            rows = Path("data.csv").read_text().strip().splitlines()
            speed_str = f"{SPEED:,}"
            rows_str = str(len(rows))
            ```

            Light in fibre covers `{python} speed_str` km/s; the table has `{python} rows_str` rows.

            ## Target {#sec-target}

            Target section.
            """,
        "b.qmd": """
            # Beta

            ```{python}
            from constlib.values import SPEED
            half_str = f"{SPEED // 2:,}"
            ```

            Half of it is `{python} half_str` km/s. See @sec-target.
            """,
        "c.qmd": """
            # Gamma

            ```{python}
            plain_str = str(6 * 7)
            ```

            The answer is `{python} plain_str`.
            """,
    })
    package = root / "constlib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "values.py").write_text("SPEED = 200000  # km/s in fibre\n")
    (root / "data.csv").write_text("x\n1\n2\n")
    return root


def build(root: Path, tmp_path: Path) -> tuple[str, str]:
    status, stdout, stderr = build_site(root, tmp_path / "out" / "html", "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout + stderr
    return stdout, stderr


def page(tmp_path: Path, name: str) -> str:
    """The page's HTML with the provenance wrappers around values removed."""
    html = (tmp_path / "out" / "html" / f"{name}.html").read_text(encoding="utf-8")
    return re.sub(r'<span class="computed" data-value="\d+">(.*?)</span>', r"\1", html)


def cache_line(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if line.strip().startswith("cache:"))


def test_library_edit_reexecutes_exactly_the_chapters_that_import_it(book_factory, tmp_path):
    root = make_book(book_factory)
    build(root, tmp_path)
    assert "200,000" in page(tmp_path, "a") and "100,000" in page(tmp_path, "b")
    (root / "constlib" / "values.py").write_text("SPEED = 204000  # km/s in fibre\n")
    _, stderr = build(root, tmp_path)
    assert "execute: 1 reused, 2 computed" in cache_line(stderr)
    assert "204,000" in page(tmp_path, "a") and "102,000" in page(tmp_path, "b")
    assert "200,000" not in page(tmp_path, "a")
    assert "The answer is 42" in page(tmp_path, "c")


def test_prose_edit_runs_no_cell_and_no_change_reuses_everything(book_factory, tmp_path):
    root = make_book(book_factory)
    build(root, tmp_path)
    _, stderr = build(root, tmp_path)
    assert "nothing changed since the last build" in stderr  # see test_build_record.py
    (root / "notes.txt").write_text("a file no chapter reads\n")  # a real build, with nothing to redo
    _, stderr = build(root, tmp_path)
    assert "execute: 3 reused, 0 computed" in cache_line(stderr)
    assert "pandoc-html: 3 reused, 0 computed" in cache_line(stderr)
    chapter = root / "a.qmd"
    chapter.write_text(chapter.read_text().replace("Target section.", "Target section, reworded."))
    _, stderr = build(root, tmp_path)
    assert "execute: 3 reused, 0 computed" in cache_line(stderr)
    assert "reused the results of 3 of 3 chapter(s)" in stderr
    assert "Target section, reworded." in page(tmp_path, "a")


def test_data_file_edit_reexecutes_the_chapter_that_reads_it(book_factory, tmp_path):
    root = make_book(book_factory)
    build(root, tmp_path)
    assert "the table has 3 rows" in page(tmp_path, "a")
    (root / "data.csv").write_text("x\n1\n2\n3\n4\n")
    _, stderr = build(root, tmp_path)
    assert "execute: 2 reused, 1 computed" in cache_line(stderr)
    assert "the table has 5 rows" in page(tmp_path, "a")


def test_references_in_other_chapters_follow_a_renumbered_label(book_factory, tmp_path):
    root = make_book(book_factory)
    build(root, tmp_path)
    link = re.compile(r'<a href="a.html#sec-target" class="quarto-xref">Section(?:\s|&nbsp;)1\.(\d)</a>')
    assert link.search(page(tmp_path, "b")).group(1) == "2"
    chapter = root / "a.qmd"
    chapter.write_text(chapter.read_text().replace("## Target {#sec-target}", "## Inserted\n\nNew.\n\n## Target {#sec-target}"))
    build(root, tmp_path)
    assert link.search(page(tmp_path, "b")).group(1) == "3"


def test_damaged_cache_entries_are_detected_and_rebuilt(book_factory, tmp_path):
    root = make_book(book_factory)
    build(root, tmp_path)
    entries = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.parent.parent.name in ("execute", "pandoc-html")]
    assert len(entries) >= 6
    for n, entry in enumerate(entries):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2] if n % 2 else data.replace(b"0", b"1"))
    forget_build_records(tmp_path / "cache")
    _, stderr = build(root, tmp_path)
    assert "damaged" in cache_line(stderr)
    assert "200,000" in page(tmp_path, "a") and "The answer is 42" in page(tmp_path, "c")
    forget_build_records(tmp_path / "cache")
    _, stderr = build(root, tmp_path)
    assert "damaged" not in cache_line(stderr)


def test_edit_to_a_constant_in_mlsys_reaches_the_fixture_page(fixture_copy, tmp_path):
    """The book's real library: a copy of mlsys beside the fixture (first on its import path)."""
    import shutil

    from conftest import REPO

    shutil.copytree(REPO / "mlsys", fixture_copy / "mlsys", ignore=shutil.ignore_patterns("__pycache__"))
    build(fixture_copy, tmp_path)
    assert "~200,000 km/s" in re.sub(r"<[^>]+>", "", page(tmp_path, "ml_systems"))
    constants = fixture_copy / "mlsys" / "constants.py"
    constants.write_text(constants.read_text().replace('Q_(200_000, "km/s")', 'Q_(204_000, "km/s")'))
    _, stderr = build(fixture_copy, tmp_path)
    assert "execute: 1 reused, 1 computed" in cache_line(stderr)  # the preface imports nothing
    text = re.sub(r"<[^>]+>", "", page(tmp_path, "ml_systems"))
    assert "~204,000 km/s" in text and "~200,000 km/s" not in text


def test_a_dynamically_imported_module_is_checked_before_reuse(book_factory, tmp_path):
    """An import the static scan cannot see is recorded while the cells run."""
    root = book_factory({"dyn.qmd": """
        # Dynamic

        ```{python}
        import importlib
        helper = importlib.import_module("dyn" + "helper")
        word_str = helper.WORD
        ```

        The word is `{python} word_str`.
        """})
    (root / "dynhelper.py").write_text('WORD = "alpha"\n')
    # A bytecode file from an earlier run means the import never opens the source.
    py_compile.compile(str(root / "dynhelper.py"), doraise=True)
    build(root, tmp_path)
    assert "The word is alpha." in page(tmp_path, "dyn")
    (root / "dynhelper.py").write_text('WORD = "omega, longer"\n')
    _, stderr = build(root, tmp_path)
    assert "execute: 0 reused, 1 computed" in cache_line(stderr)
    assert "The word is omega, longer." in page(tmp_path, "dyn")
