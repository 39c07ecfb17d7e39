"""A book brings its own library, environment and palette: nothing of this repository's is used.

The test book keeps a package named ``mlsys`` (a name this repository's library
has too) at its root, says ``PYTHONPATH=.`` in ``_environment`` and nests its
chapters (``contents/vol1/intro/intro.qmd``). Its cells report what they see:
a value only the book's ``mlsys`` can produce, their working directory, their
``sys.path`` and the ``_environment`` variables. The commands run in fresh
processes, from this repository and from another folder that holds a decoy
``mlsys``, with both engines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, build_site, forget_build_records

#: Only the book's own mlsys defines this (and its ``answer()`` doubles 21 into it).
SIGNATURE = "book-own-mlsys"

INTRO = """
    # Intro {#sec-intro}

    ```{python}
    import os
    import sys
    from pathlib import Path

    import mlsys
    from mlsys.values import answer

    here = Path(os.getcwd()).resolve()
    chapter_dir = Path(os.environ["QUARTO_DOCUMENT_PATH"]).resolve()
    root = Path(os.environ["QUARTO_PROJECT_ROOT"]).resolve()
    entries = [Path(p or os.getcwd()).resolve() for p in sys.path]
    forbidden = [Path(p).resolve() for p in os.environ["FORBIDDEN_PATHS"].split(os.pathsep)]
    library_str = f"{mlsys.SIGNATURE}-{answer()}"
    cwd_str = "cwd-chapter" if here == chapter_dir else f"cwd-elsewhere {here}"
    bad = [str(f) for f in forbidden if f in entries]
    path_ok = entries[0] == here and entries[1] == root and not bad
    path_str = "path-ok" if path_ok else f"path-bad {[str(e) for e in entries[:3]]} {bad}"
    env_str = os.environ["BOOK_GREETING"]
    ```

    The library says `{python} library_str`; `{python} cwd_str`; `{python} path_str`; `{python} env_str`.
    """

PLAIN = """
    # Plain

    ```{python}
    total_str = str(sum(range(10)))
    ```

    The sum is `{python} total_str`.
    """


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def own_library_book(root: Path) -> Path:
    """The book: its own mlsys at the root, _environment (+ .local), nested chapters."""
    write(root / "_quarto.yml", """
        project:
          type: book
        book:
          title: Own library
          chapters:
            - index.qmd
            - contents/vol1/intro/intro.qmd
            - contents/vol1/plain/plain.qmd
        """)
    write(root / "index.qmd", "# Preface {.unnumbered}\n\nA book with its own library.\n")
    write(root / "contents/vol1/intro/intro.qmd", INTRO)
    write(root / "contents/vol1/plain/plain.qmd", PLAIN)
    write(root / "mlsys/__init__.py", f'SIGNATURE = "{SIGNATURE}"\n')
    write(root / "mlsys/values.py", "def answer():\n    return 2 * 21\n")
    write(root / "_environment", """
        # The book's library lives at its root.
        PYTHONPATH=.
        BOOK_WHO=base
        BOOK_GREETING="hello ${BOOK_WHO}"
        """)
    write(root / "_environment.local", "BOOK_WHO=local  # wins over _environment\n")
    return root


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without PYTHONPATH (the tests' own points at this repository)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return env | extra


def run_bookbuild(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bookbuild", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder to start commands from, with a decoy mlsys that must not be imported."""
    folder = tmp_path / "elsewhere"
    write(folder / "mlsys/__init__.py", 'SIGNATURE = "decoy"\n')
    write(folder / "mlsys/values.py", "def answer():\n    return -1\n")
    return folder


def page_text(html: Path) -> str:
    return re.sub(r"<[^>]+>", "", html.read_text(encoding="utf-8"))


@pytest.mark.parametrize("engine", ["inprocess", "jupyter"])
@pytest.mark.parametrize("start", ["repository", "elsewhere"])
def test_cells_use_the_books_library_path_and_environment(tmp_path, elsewhere, engine, start):
    root = own_library_book(tmp_path / "book")
    cwd = REPO if start == "repository" else elsewhere
    env = clean_environment(FORBIDDEN_PATHS=os.pathsep.join([str(REPO), str(elsewhere)]))
    out = tmp_path / "html"
    done = run_bookbuild(["html", "--project", str(root), "--output-dir", str(out), "--cache-dir",
                          str(tmp_path / "cache"), "--engine", engine], cwd, env)
    assert done.returncode == 0, done.stdout + done.stderr
    text = page_text(out / "contents/vol1/intro/intro.html")
    assert f"The library says {SIGNATURE}-42;" in text
    assert "cwd-chapter;" in text
    assert "path-ok;" in text
    assert "hello local." in text  # _environment.local over _environment, expanded in _environment
    assert "The sum is 45." in page_text(out / "contents/vol1/plain/plain.html")


def test_check_and_pdf_use_the_books_library(tmp_path, elsewhere):
    root = own_library_book(tmp_path / "book")
    env = clean_environment(FORBIDDEN_PATHS=os.pathsep.join([str(REPO), str(elsewhere)]))
    checked = run_bookbuild(["check", "--project", str(root)], elsewhere, env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 errors, 0 warnings" in checked.stdout
    values = run_bookbuild(["values", "--project", str(root), "intro"], REPO, env)
    assert values.returncode == 0, values.stdout + values.stderr
    assert f"{SIGNATURE}-42" in values.stdout and "path-ok" in values.stdout
    made = run_bookbuild(["pdf", "--project", str(root), "--output-dir", str(tmp_path / "pdf"), "--cache-dir",
                          str(tmp_path / "cache")], elsewhere, env)
    assert made.returncode == 0, made.stdout + made.stderr
    pdf = next((tmp_path / "pdf").glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert f"{SIGNATURE}-42" in text and "path-ok" in text and "hello local" in text


def test_execute_dir_project_runs_cells_in_the_project_folder(tmp_path):
    root = own_library_book(tmp_path / "book")
    config = root / "_quarto.yml"
    config.write_text(config.read_text().replace("  type: book\n", "  type: book\n  execute-dir: project\n"))
    done = run_bookbuild(["values", "--project", str(root), "--format", "json", "intro"], REPO,
                         clean_environment(FORBIDDEN_PATHS=str(REPO)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cwd-elsewhere " + str(root.resolve()) in done.stdout  # not the chapter's folder: the project's
    assert "path-bad" in done.stdout  # sys.path[0] is the project folder, which is also PYTHONPATH's '.'


NO_LIBRARY = {
    "index.qmd": """
        # Numbers

        ```{python}
        import statistics
        import sys
        from pathlib import Path
        mean_str = str(statistics.mean([1, 2, 3, 6]))
        checkout = Path("CHECKOUT")
        path_str = "checkout-on-path" if any(Path(p or ".").resolve() == checkout for p in sys.path) else "checkout-off-path"
        ```

        The mean is `{python} mean_str` (`{python} path_str`).

        ::: {.callout-note}
        A note in the default palette's colour.
        :::

        ```{.tikz}
        \\begin{tikzpicture}
        \\draw[BlueLine] (0,0) -- (1,1);
        \\end{tikzpicture}
        ```
        """,
}

IMPORTS_NOTHING = {
    "index.qmd": """
        # Arithmetic

        ```{python}
        six_str = str(2 * 3)
        ```

        Two threes make `{python} six_str`.
        """,
    "prose.qmd": "# Prose\n\nNo code at all.\n",
}


def test_a_book_with_no_python_library_checks_and_renders_html_and_pdf(book_factory, tmp_path):
    root = book_factory({name: text.replace("CHECKOUT", str(REPO)) for name, text in NO_LIBRARY.items()})
    env = clean_environment()
    checked = run_bookbuild(["check", "--project", str(root)], REPO, env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    html = run_bookbuild(["html", "--project", str(root), "--output-dir", str(tmp_path / "html")], REPO, env)
    assert html.returncode == 0, html.stdout + html.stderr
    text = page_text(tmp_path / "html" / "index.html")
    # Started in this repository, yet the checkout is not on the cells' path (its mlsys is an installed package).
    assert "The mean is 3 (checkout-off-path)." in text
    pdf = run_bookbuild(["pdf", "--project", str(root), "--output-dir", str(tmp_path / "pdf")], REPO, env)
    assert pdf.returncode == 0, pdf.stdout + pdf.stderr
    assert list((tmp_path / "pdf").glob("*.pdf"))


def test_a_book_whose_cells_import_nothing(book_factory, tmp_path):
    root = book_factory(IMPORTS_NOTHING)
    env = clean_environment()
    checked = run_bookbuild(["check", "--project", str(root)], tmp_path, env)
    assert checked.returncode == 0 and "0 errors" in checked.stdout, checked.stdout + checked.stderr
    html = run_bookbuild(["html", "--project", str(root), "--output-dir", str(tmp_path / "html")], tmp_path, env)
    assert html.returncode == 0, html.stdout + html.stderr
    assert "Two threes make 6." in page_text(tmp_path / "html" / "index.html")


def library_book(book_factory) -> Path:
    """Four chapters; two import booklib (under lib/, on PYTHONPATH by _environment), one otherlib, one nothing."""
    uses = "```{{python}}\nfrom booklib.values import SPEED\n{name}_str = f\"{{SPEED // {div}:,}}\"\n```\n\n" \
           "{title} `{{python}} {name}_str` km/s.\n"
    root = book_factory({
        "a.qmd": "# A\n\n" + uses.format(name="full", div=1, title="Full:"),
        "b.qmd": "# B\n\n" + uses.format(name="half", div=2, title="Half:"),
        "c.qmd": "# C\n\n```{python}\nfrom otherlib import WORD\nword_str = WORD\n```\n\nWord: `{python} word_str`.\n",
        "d.qmd": "# D\n\n```{python}\nplain_str = str(6 * 7)\n```\n\nPlain: `{python} plain_str`.\n",
    })
    write(root / "lib/booklib/__init__.py", "")
    write(root / "lib/booklib/values.py", "SPEED = 200000\n")
    write(root / "lib/otherlib.py", 'WORD = "unchanged"\n')
    write(root / "_environment", "PYTHONPATH=lib\n")
    return root


def test_editing_the_books_library_reexecutes_only_the_chapters_that_import_it(book_factory, tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    root = library_book(book_factory)

    def build() -> str:
        status, stdout, stderr = build_site(root, tmp_path / "html", "--cache-dir", str(tmp_path / "cache"))
        assert status == 0, stdout + stderr
        return next(line for line in stderr.splitlines() if line.strip().startswith("cache:"))

    build()
    assert "Full: 200,000 km/s." in page_text(tmp_path / "html" / "a.html")
    forget_build_records(tmp_path / "cache")
    assert "execute: 4 reused, 0 computed" in build()
    write(root / "lib/booklib/values.py", "SPEED = 204000\n")
    assert "execute: 2 reused, 2 computed" in build()
    assert "Full: 204,000 km/s." in page_text(tmp_path / "html" / "a.html")
    assert "Half: 102,000 km/s." in page_text(tmp_path / "html" / "b.html")
    write(root / "lib/otherlib.py", 'WORD = "edited"\n')
    assert "execute: 3 reused, 1 computed" in build()
    assert "Word: edited." in page_text(tmp_path / "html" / "c.html")


def test_a_bad_environment_line_is_an_error_at_its_file_and_line(book_factory, tmp_path):
    root = book_factory(IMPORTS_NOTHING)
    write(root / "_environment", "# comment\nGOOD=1\nthis line sets nothing\n")
    done = run_bookbuild(["check", "--project", str(root)], root, clean_environment())
    assert done.returncode == 2
    assert done.stderr == ("_environment:3:1: error[environment]: bad line in _environment: expected NAME=value\n"
                           "    help: each line is NAME=value (a # line is a comment)\n")
    write(root / "_environment-vol2", "1ST=x\n")
    write(root / "_environment", "GOOD=1\n")
    from bookbuild.diagnostics import ConfigError
    from bookbuild.project import load_book

    with pytest.raises(ConfigError) as info:
        load_book(root, "vol2")
    d = info.value.diagnostic
    assert (Path(d.file).name, d.line, d.message) == (
        "_environment-vol2", 1, "bad line in _environment-vol2: '1ST' is not a variable name "
                                "(letters, digits and _, not starting with a digit)")


CALLOUT = {"index.qmd": "# Colours\n\n::: {.callout-note}\nA note.\n:::\n"}


def test_the_books_palette_colours_its_callouts_and_the_default_serves_a_book_without_one(book_factory, tmp_path):
    plain = book_factory(CALLOUT)
    status, stdout, stderr = build_site(plain, tmp_path / "plain")
    assert status == 0, stdout + stderr
    assert "--callout-color: #006395" in (tmp_path / "plain" / "index.html").read_text()  # BlueLine of the default
    own = book_factory(CALLOUT, "bookbuild:\n  palette: assets/colours.yml\n")
    write(own / "assets/colours.yml", 'BlueLine: "#123456"\n')
    status, stdout, stderr = build_site(own, tmp_path / "own")
    assert status == 0, stdout + stderr
    assert "--callout-color: #123456" in (tmp_path / "own" / "index.html").read_text()


def test_a_missing_or_malformed_palette_is_an_error_at_its_line(book_factory, tmp_path):
    root = book_factory(CALLOUT, "bookbuild:\n  palette: colours.yml\n")
    done = run_bookbuild(["check", "--project", str(root)], root, clean_environment())
    assert done.returncode == 2
    assert done.stderr == ("_quarto.yml:8:1: error[palette-missing]: palette 'colours.yml' does not exist\n"
                           "    help: the path under 'bookbuild: palette:' is relative to the project folder\n")
    write(root / "colours.yml", 'primary: "#A51C30"\nBlueLine: blue\n')
    done = run_bookbuild(["html", "--project", str(root), "--output-dir", str(tmp_path / "out")], root,
                         clean_environment())
    assert done.returncode == 2
    assert done.stderr == ("colours.yml:2:1: error[palette]: colour 'BlueLine' must be '#RRGGBB', got 'blue'\n"
                           "    help: quote the value: a bare # starts a YAML comment\n")
    assert not (tmp_path / "out").exists()


def test_the_preview_watches_the_books_library_wherever_its_environment_puts_it(book_factory, tmp_path, monkeypatch):
    from bookbuild.preview import watched_files, watched_roots

    monkeypatch.delenv("PYTHONPATH", raising=False)
    root = book_factory({"a.qmd": "# A\n\n```{python}\nimport farlib\nx_str = farlib.X\n```\n\n`{python} x_str`\n"})
    write(tmp_path / "shared-lib/farlib.py", 'X = "far"\n')
    write(root / "_environment", "PYTHONPATH=../shared-lib\n")
    roots = watched_roots(root)
    assert roots == [root, (tmp_path / "shared-lib").resolve()]
    files = watched_files(roots, [])
    assert (tmp_path / "shared-lib/farlib.py").resolve() in files and root.resolve() / "_environment" in files


def test_diff_values_points_pythonpath_entries_of_the_repository_into_the_exported_revision(tmp_path):
    from bookbuild.valuediff import rebased_environment

    repo, tree = tmp_path / "repo", tmp_path / "rev0"
    (repo / "lib").mkdir(parents=True)
    environ = {"PYTHONPATH": os.pathsep.join([str(repo / "lib"), "/opt/elsewhere"]), "HOME": "/root"}
    moved = rebased_environment(repo, tree, environ)
    assert moved == {"PYTHONPATH": os.pathsep.join([str(tree / "lib"), "/opt/elsewhere"]), "HOME": "/root"}


def test_a_profile_may_set_only_execution_variables_and_cells_see_the_active_profile(book_factory, tmp_path):
    root = book_factory({"index.qmd": """
        # Profile

        ```{python}
        import os
        seen = os.environ.get("QUARTO_PROFILE", "none") + "/" + os.environ.get("VOLUME", "unset")
        ```

        Built as `{python} seen`.
        """})
    write(root / "_environment-vol2", "VOLUME=two\n")
    done = run_bookbuild(["html", "--project", str(root), "--profile", "vol2", "--output-dir", str(tmp_path / "site")],
                         root, clean_environment())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Built as vol2/two." in page_text(tmp_path / "site" / "index.html")
    # With no file of either kind, the profile's name is a typo.
    done = run_bookbuild(["check", "--project", str(root), "--profile", "vol3"], root, clean_environment())
    assert done.returncode == 2 and "profile 'vol3' (from --profile) has no configuration file _quarto-vol3.yml" in done.stderr
