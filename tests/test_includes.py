"""{{< include >}}: the included text runs and renders in place; problems name the included file and line."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bookbuild.cli import main
from bookbuild.includes import expand_includes
from conftest import build_site


def shown(path: Path) -> str:
    return path.name


def test_expansion_and_where_each_line_came_from(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.qmd").write_text("a1\n{{< include b.qmd >}}\na3\n")
    (tmp_path / "parts" / "b.qmd").write_text("b1\nb2")  # no final newline
    chapter = tmp_path / "c.qmd"
    text = "c1\n{{< include parts/a.qmd >}}\n```\n{{< include parts/a.qmd >}}\n```\nc6\n"
    combined, source_map, problems = expand_includes(chapter, text, "c.qmd", tmp_path, shown)
    assert problems == []
    assert combined == "c1\na1\nb1\nb2\na3\n```\n{{< include parts/a.qmd >}}\n```\nc6\n"
    assert [source_map.locate(n) for n in range(1, 10)] == [
        ("c.qmd", 1), ("a.qmd", 1), ("b.qmd", 1), ("b.qmd", 2), ("a.qmd", 3),
        ("c.qmd", 3), ("c.qmd", 4), ("c.qmd", 5), ("c.qmd", 6)]


def test_an_include_path_in_quotes_may_hold_spaces(tmp_path):
    (tmp_path / "_part one.md").write_text("quoted content\n")
    text = '{{< include "_part one.md" >}}\n{{< include \'_part one.md\' >}}\n'
    combined, _, problems = expand_includes(tmp_path / "c.qmd", text, "c.qmd", tmp_path, shown)
    assert problems == []
    assert combined == "quoted content\nquoted content\n"


def test_a_cycle_a_missing_file_and_an_inline_include_are_errors_at_the_include(tmp_path):
    (tmp_path / "loop.qmd").write_text("x\n{{< include c.qmd >}}\n")
    text = "{{< include loop.qmd >}}\n{{< include gone.qmd >}}\nText {{< include loop.qmd >}} here.\n"
    _, _, problems = expand_includes(tmp_path / "c.qmd", text, "c.qmd", tmp_path, shown)
    assert [(p.code, p.file, p.line, p.message) for p in problems] == [
        ("include", "loop.qmd", 2, "'c.qmd' includes itself (through 2 file(s))"),
        ("include", "c.qmd", 2, "included file 'gone.qmd' does not exist"),
        ("include", "c.qmd", 3, "an include must stand on a line of its own"),
    ]


def include_book(book_factory) -> Path:
    root = book_factory({"ch.qmd": """
        # Including

        {{< include _shared.qmd >}}

        ```{python}
        total_str = str(base + 2)
        ```

        The total is `{python} total_str`.
        """})
    (root / "_shared.qmd").write_text(
        "```{python}\nbase = 40\nbase_str = str(base)\n```\n\nThe base is `{python} base_str`.\n")
    return root


def test_included_cells_run_in_place_and_render(book_factory, tmp_path):
    root = include_book(book_factory)
    status, stdout, _ = build_site(root, tmp_path / "site")
    assert status == 0, stdout
    page = (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")
    assert "The base is 40." in page.replace('<span class="computed" data-value="0">40</span>', "40")
    assert "The total is 42." in page.replace('<span class="computed" data-value="1">42</span>', "42")

    out = io.StringIO()
    assert main(["values", "--project", str(root), "--format", "json"], out=out, err=io.StringIO()) == 0
    where = [(Path(e["file"]).name, e["line"], e["expr"]) for e in json.loads(out.getvalue())["values"]]
    assert where == [("_shared.qmd", 6, "base_str"), ("ch.qmd", 9, "total_str")]


def test_an_error_in_an_included_cell_names_the_included_file_and_line(book_factory):
    root = include_book(book_factory)
    (root / "_shared.qmd").write_text("```{python}\nbase = 40\nbase_str = str(bass)\n```\n")
    out = io.StringIO()
    assert main(["check", "--project", str(root), "--format", "json"], out=out, err=io.StringIO()) == 1
    (problem,) = [d for d in json.loads(out.getvalue())["diagnostics"] if d["code"] == "cell-error"]
    assert (Path(problem["file"]).name, problem["line"]) == ("_shared.qmd", 3)
    assert problem["message"] == "NameError: name 'bass' is not defined"
    assert "_shared.qmd:3 in <module>" in problem["detail"]
