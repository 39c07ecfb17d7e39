"""The executors: order of evaluation, isolation, time limits, figures and error locations."""

from __future__ import annotations

import ast
import sys
import time
from pathlib import Path

import pytest

from bookbuild.check import check_book
from bookbuild.project import load_book


def run(book_root, *names, **options):
    result = check_book(load_book(book_root), list(names), **options)
    return result


def codes(result):
    return [(d.code, d.line, d.col) for d in result.diagnostics]


def test_inline_sees_only_cells_above_it(book_factory):
    root = book_factory({"ch.qmd": """
        # Chapter

        Too early: `{python} answer`.

        ```{python}
        answer = "42"
        ```

        Now `{python} answer` and `{python} answer + "!"`.
        """})
    result = run(root)
    (executed,) = result.executed
    assert [v.text for v in executed.values] == [None, "42", "42!"]
    (diag,) = result.diagnostics
    assert (diag.code, diag.line, diag.col) == ("inline-undefined", 3, 12)
    assert diag.message == "inline expression `answer` uses 'answer', which no cell above it defines"


def test_inline_values_must_be_text(book_factory):
    root = book_factory({"ch.qmd": """
        ```{python}
        import numpy as np
        import pint
        u = pint.UnitRegistry()
        f = 3.5
        q = 2 * u.meter
        n = np.float64(1.5)
        empty = ""
        class Md:
            def _repr_markdown_(self):
                return "$x^2$"
        md = Md()
        ```

        A `{python} f`, B `{python} q`, C `{python} n`,
        D `{python} empty`, E `{python} md`, F `{python} 1/0`.
        """})
    result = run(root)
    found = {(d.code, d.line, d.col, d.severity.value) for d in result.diagnostics}
    assert found == {
        ("inline-not-text", 15, 3, "error"),
        ("inline-not-text", 15, 19, "error"),
        ("inline-not-text", 15, 35, "error"),
        ("inline-empty", 16, 3, "warning"),
        ("inline-error", 16, 40, "error"),
    }
    messages = {d.col: d.message for d in result.diagnostics if d.line == 15}
    assert "is a float, not text" in messages[3]
    assert "pint" in messages[19] and "Quantity" in messages[19]
    assert "numpy.float64" in messages[35]
    assert all("fmt" in d.hint for d in result.diagnostics if d.code == "inline-not-text")
    (executed,) = result.executed
    md_value = executed.values[4]
    assert (md_value.text, md_value.markdown) == ("$x^2$", True)
    assert "ZeroDivisionError" in [d for d in result.diagnostics if d.code == "inline-error"][0].message


def test_cell_error_is_located_at_the_innermost_chapter_frame(book_factory):
    root = book_factory({"ch.qmd": """
        # Title

        ```{python}
        #| label: helpers
        def ratio(a, b):
            return a / b
        ```

        Prose.

        ```{python}
        #| label: use
        x = 1
        y = ratio(x, 0)
        ```

        ```{python}
        z = 2
        ```

        After: `{python} z`.
        """})
    result = run(root)
    (diag,) = result.diagnostics
    assert (diag.code, diag.line, diag.cell) == ("cell-error", 6, "use")
    assert diag.message == "ZeroDivisionError: division by zero"
    assert "ch.qmd:14 in <module>: y = ratio(x, 0)" in diag.detail
    assert "ch.qmd:6 in ratio: return a / b" in diag.detail
    assert "1 cell after it did not run" in diag.hint
    (executed,) = result.executed
    assert [c.ran for c in executed.cells] == [True, True, False]
    assert executed.values[0].text is None


def test_syntax_error_line_and_column(book_factory):
    root = book_factory({"ch.qmd": """
        Intro.

        ```{python}
        a = 1
        b = (a +
        c = 3
        ```
        """})
    (diag,) = run(root).diagnostics
    assert diag.code == "cell-syntax"
    assert diag.line in (5, 6)
    assert diag.col >= 1
    assert diag.message.startswith("syntax error:")


def test_chapters_cannot_leak_state_into_each_other(book_factory):
    root = book_factory({
        "a.qmd": """
            ```{python}
            import json
            json.leaked = "yes"
            shared = "from a"
            ```
            `{python} json.leaked`
            """,
        "b.qmd": """
            ```{python}
            import json
            seen = str(hasattr(json, "leaked"))
            ```
            `{python} seen` `{python} str("shared" in dir())`
            """,
    })
    result = run(root, workers=1)
    a, b = result.executed
    assert [v.text for v in a.values] == ["yes"]
    assert [v.text for v in b.values] == ["False", "False"]


def test_chapter_time_limit(book_factory):
    root = book_factory({"slow.qmd": """
        ```{python}
        import time
        time.sleep(30)
        ```
        """, "fast.qmd": """
        ```{python}
        x = "ok"
        ```
        `{python} x`
        """})
    started = time.monotonic()
    result = run(root, timeout=1.0)
    assert time.monotonic() - started < 15
    slow = [d for d in result.diagnostics if d.file.endswith("slow.qmd")]
    assert [(d.code, d.line) for d in slow] == [("timeout", 1)]
    assert "1 s limit" in slow[0].message
    assert result.executed[1].values[0].text == "ok"


def test_figures_are_captured_as_svg_headless(book_factory):
    root = book_factory({"ch.qmd": """
        ```{python}
        #| label: fig-line
        #| fig-cap: A line.
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        plt.show()
        ```
        """})
    result = run(root)
    assert result.diagnostics == []
    (cell,) = result.executed[0].cells
    (figure,) = cell.figures
    assert figure.svg.lstrip().startswith("<?xml") and "<svg" in figure.svg


@pytest.mark.parametrize("engine", ["inprocess", "jupyter"])
def test_check_writes_nothing_into_the_project(book_factory, engine):
    root = book_factory({"ch.qmd": """
        ```{python}
        import localhelper
        v = localhelper.VALUE
        ```
        `{python} v`
        """})
    (root / "localhelper.py").write_text('VALUE = "local"\n')
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    result = run(root, engine=engine)
    assert result.executed[0].values[0].text == "local"
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_jupyter_and_inprocess_engines_agree_on_the_fixture():
    from conftest import FIXTURE

    book = load_book(FIXTURE)
    inprocess = check_book(book, engine="inprocess").executed
    jupyter = check_book(book, engine="jupyter").executed
    assert [e.chapter.path for e in inprocess] == [e.chapter.path for e in jupyter]
    chapter_in, chapter_jp = inprocess[1], jupyter[1]
    assert len(chapter_in.values) == len(chapter_in.chapter.inlines) > 250
    assert [(v.text, v.markdown) for v in chapter_in.values] == [(v.text, v.markdown) for v in chapter_jp.values]
    assert all(v.text is not None for v in chapter_jp.values)
    assert sum(len(c.figures) for c in chapter_jp.cells) == sum(len(c.figures) for c in chapter_in.cells) == 1
    assert chapter_jp.diagnostics == chapter_in.diagnostics == ()


def test_jupyter_engine_locates_a_failed_check(book_factory):
    root = book_factory({"ch.qmd": """
        Intro.

        ```{python}
        from guard import check
        ```

        ```{python}
        x = 1
        check(x > 2, "x should exceed 2")
        ```
        """})
    (root / "guard.py").write_text(
        "class CheckFailed(ValueError):\n    pass\n\n"
        "def check(ok, message):\n    if not ok:\n        raise CheckFailed(message)\n"
    )
    for engine in ("jupyter", "inprocess"):
        (diag,) = run(root, engine=engine).diagnostics
        assert (diag.code, diag.line, diag.message) == ("check-failed", 9, "x should exceed 2"), engine


@pytest.mark.parametrize("engine", ["inprocess", "jupyter"])
def test_a_module_the_cells_cannot_find_says_where_they_look(book_factory, engine):
    root = book_factory({"ch.qmd": """
        # Chapter

        ```{python}
        #| label: setup
        from mybooklib.units import GB
        ```
        """})
    problem = next(d for d in run(root, engine=engine).diagnostics if d.is_error)
    assert (problem.code, problem.line, problem.cell) == ("cell-error", 5, "setup")
    assert problem.message == "ModuleNotFoundError: No module named 'mybooklib'"
    assert problem.hint.startswith("'mybooklib' is not on the cells' import path (the chapter's folder, then PYTHONPATH, "
                                   "then the installed packages): install it, or name the folder that holds it in the "
                                   "project's _environment file (PYTHONPATH=lib) or in PYTHONPATH")


def test_a_value_is_traced_to_the_cell_that_last_rebound_its_name(book_factory):
    """Provenance reads from a cell's syntax which names it may bind; names rebound out of
    sight (a function declared ``global``, ``globals()``, ``except … as``) are still traced."""
    from bookbuild.execute.runner import run_chapter
    from bookbuild.qmd import parse_chapter

    text = """
```{python}
a = 1
b = 2
x = 0
def bump():
    global b
    b = b + 10
def set_a():
    globals()["a"] = 5
```

```{python}
bump()
```

```{python}
set_a()
```

```{python}
try:
    raise ValueError
except ValueError as x:
    pass
c = 3
```

B is `{python} str(b)`, A is `{python} str(a)`, C is `{python} str(c)`.
"""
    result = run_chapter(parse_chapter("ch.qmd", text), "/tmp/ch.qmd", "ch.qmd")
    assert [(v.text, v.cells) for v in result.values] == [("12", (1,)), ("5", (2,)), ("3", (3,))]


def test_a_lazily_loaded_name_is_loaded_once_before_the_chapters_fork(book_factory):
    """``from lazypkg import Thing`` where the package loads ``Thing`` from a submodule on first access (a module
    ``__getattr__``, as a book's library does to import cheaply): the warm-up takes the name as the cell will, so
    the submodule is loaded once, in the process the chapters' workers are forked from, not in each of them."""
    chapter = """
        ```{{python}}
        import os
        import sys
        from lazypkg import Thing
        heavy = sys.modules["lazypkg.heavy"]  # (an import statement would name it to the warm-up)
        where_str = "warm-up" if heavy.LOADED_IN != os.getpid() else "chapter"
        ```
        {n}: `{{python}} where_str` `{{python}} Thing`
        """
    root = book_factory({"a.qmd": chapter.format(n="a"), "b.qmd": chapter.format(n="b")})
    package = root / "lazypkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import importlib\n\ndef __getattr__(name):\n"
        "    if name == 'Thing':\n        return importlib.import_module('lazypkg.heavy').Thing\n"
        "    raise AttributeError(name)\n")
    (package / "heavy.py").write_text("import os\nLOADED_IN = os.getpid()\nThing = 'thing'\n")
    result = run(root, workers=2)
    assert [[v.text for v in e.values] for e in result.executed] == [["warm-up", "thing"]] * 2


def test_cells_collect_cyclic_garbage_at_the_interpreters_pace_when_the_build_collects_seldom(tmp_path: Path) -> None:
    """The command line's process collects cycles seldom (bookbuild/collector.py); the worker it forks
    for a chapter goes back to the interpreter's thresholds, over what the cells make alone."""
    import subprocess

    from conftest import REPO, write_book

    usual = subprocess.run([sys.executable, "-c", "import gc; print(gc.get_threshold())"], capture_output=True,
                           text=True, check=True).stdout.strip()
    root = write_book(tmp_path / "book", {"ch.qmd": f"""
        # Collected

        ```{{python}}
        import gc, weakref
        assert str(gc.get_threshold()) == "{usual}", gc.get_threshold()
        assert gc.get_freeze_count() > 0  # what the worker inherited is set aside

        class Node:
            pass

        node = Node()
        node.me = node  # a cycle: only the collector frees it
        gone = weakref.ref(node)
        del node
        junk = [[] for _ in range(5000)]  # enough new containers for a young collection
        assert gone() is None, "the cell's cyclic garbage was not collected"
        ```
        """})
    done = subprocess.run([sys.executable, "-m", "bookbuild", "check", "--project", str(root)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout


@pytest.mark.parametrize("expr", ["rate_str", "größe", "_x1", "None", "True", "a.b", "f(x)", "__debug__"])
def test_an_inline_name_gets_the_tree_the_parser_makes(expr):
    # A bare name's tree is built without parsing (most inline values are one): it must be the parser's, positions too.
    from bookbuild.execute.runner import parse_inline
    from bookbuild.qmd import InlineExpr, Span

    inline = InlineExpr(0, expr, 12, 5, Span(0, 1))
    parsed = ast.parse(expr, mode="eval")
    ast.increment_lineno(parsed, 11)
    assert ast.dump(parse_inline(inline), include_attributes=True) == ast.dump(parsed, include_attributes=True)


def test_an_inline_name_reads_the_namespace_as_evaluating_it_would(tmp_path):
    # Looked up without compiling when the cells defined it; a builtin or an unknown name is evaluated as before.
    from bookbuild.execute.runner import run_chapter
    from bookbuild.qmd import parse_chapter

    text = "```{python}\nlen_str = 'mine'\n```\n\nA `{python} len_str`, `{python} len`, `{python} missing`, `{python} __name__`.\n"
    chapter = parse_chapter("ch.qmd", text)
    result = run_chapter(chapter, str(tmp_path / "ch.qmd"), "ch.qmd")
    assert [v.text for v in result.values] == ["mine", None, None, "__main__"]
    assert result.values[0].cells == (0,)
    assert [(d.line, d.code, d.message) for d in result.diagnostics] == [
        (5, "inline-not-text", "inline expression `len` is a builtin_function_or_method, not text"),
        (5, "inline-undefined", "inline expression `missing` uses 'missing', which no cell above it defines")]
