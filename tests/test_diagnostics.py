"""Bad input gives diagnostics, never tracebacks; and what a build would fail on, `check` finds first.

Each case runs the real command (Pandoc, the worker pool, git) on a small book and
checks the exact diagnostic: file, line, column, code and message.
"""

from __future__ import annotations

import io
import subprocess
import textwrap
from pathlib import Path

import pytest

from bookbuild.cli import main
from conftest import write_book


def run(*argv: str) -> tuple[int, str, str]:
    """``python -m bookbuild ARGV`` in-process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def diagnostics(text: str) -> list[str]:
    """The ``path:LINE:COL: severity[code]: message`` lines of a report."""
    return [line for line in text.splitlines() if "error[" in line or "warning[" in line]


@pytest.fixture
def book(tmp_path, monkeypatch):
    """Write a book into tmp_path/book (chapters dedented) and work from there, so paths print short."""
    root = tmp_path / "book"

    def make(chapters: dict[str, str], extra_config: str = "", files: dict[str, str | bytes] | None = None) -> Path:
        write_book(root, chapters, extra_config)
        for name, content in (files or {}).items():
            path = root / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        monkeypatch.chdir(root)
        return root

    return make


def check(*extra: str) -> tuple[int, list[str]]:
    status, out, err = run("check", "--project", ".", *extra)
    assert "Traceback" not in out + err
    return status, diagnostics(out)


def html(tmp_path: Path) -> tuple[int, list[str], str]:
    status, out, err = run("html", "--project", ".", "--output-dir", str(tmp_path / "site"),
                           "--cache-dir", str(tmp_path / "cache"))
    assert "Traceback" not in out + err
    return status, diagnostics(out), out


CITING = {"ch.qmd": "# Chapter\n\nAs @good shows.\n"}
BIB_WITH_OPEN_ENTRY = """
    @article{good,
      title = {A title},
      year = 2020
    }

    @book{open,
      title = {Never closed,
      year = 2021
    }
    """


# --- check finds what a build would fail on ---------------------------------------------------

def test_an_entry_left_open_in_the_bibliography_is_an_error_at_its_line_in_check_and_html(book, tmp_path):
    book(CITING, "bibliography: refs.bib\n", {"refs.bib": BIB_WITH_OPEN_ENTRY})
    expected = "refs.bib:6:1: error[bibliography]: entry 'open' is never closed: its '{' has no matching '}'"
    assert check() == (1, [expected])
    status, found, out = html(tmp_path)
    # The build leaves the broken file out: the page is built, the error is the bibliography's alone.
    assert (status, found) == (1, [expected])
    assert "built 1 page" in out and (tmp_path / "site" / "ch.html").is_file()


def test_a_malformed_bibliography_entry_is_an_error_where_pandoc_stops(book, tmp_path):
    book(CITING, "bibliography: refs.bib\n", {"refs.bib": "@book{good, title={ok}}\n@misc{bad title={z}}\n"})
    expected = "refs.bib:2:11: error[bibliography]: pandoc cannot read the bibliography: unexpected 't'"
    assert check() == (1, [expected])
    assert html(tmp_path)[:2] == (1, [expected])


def test_a_malformed_citation_style_is_an_error_in_check_and_not_one_per_page(book, tmp_path):
    book(CITING, "bibliography: refs.bib\ncsl: broken.csl\n",
         {"refs.bib": "@book{good, title={ok}}\n", "broken.csl": "<style><info>\n"})
    status, found = check()
    assert status == 1 and len(found) == 1
    assert found[0].startswith("broken.csl:1:1: error[csl]: pandoc cannot read the citation style: CiteprocXMLError")
    assert html(tmp_path)[:2] == (1, found)


def test_an_unclosed_div_is_a_warning_at_its_fence_in_check_and_html(book, tmp_path):
    book({"ch.qmd": """
        # Chapter

        ::: {.callout-note}
        Closed.
        :::

        ::: {#fig-open}

        :::: columns
        Inner, closed.
        ::::

        ```
        :::
        ```

        # Swallowed section
        """})
    expected = ("ch.qmd:7:1: warning[div-unclosed]: div ':::' opened here is never closed, "
                "so it takes in the rest of the chapter")
    assert check() == (0, [expected])
    assert check("--strict")[0] == 1
    assert html(tmp_path)[:2] == (0, [expected])


TIKZ_UNBALANCED = {"ch.qmd": """
        # Chapter

        ```{.tikz}
        \\begin{tikzpicture}
        \\node[draw] at (0,0) {50\\% of {peak};
        \\draw (0,0) -- (1,1); % a comment's { is no brace
        \\end{tikzpicture}
        ```

        ```{.tikz}
        \\begin{tikzpicture}
        \\begin{scope}
        \\end{tikzpicture}
        ```

        After the figures.
        """}
TIKZ_ERRORS = [
    "ch.qmd:5:1: error[tikz-syntax]: TikZ figure: this '{' is never closed",
    "ch.qmd:13:1: error[tikz-syntax]: TikZ figure: \\end{tikzpicture} ends \\begin{scope} of line 12",
]


def test_a_tikz_figure_with_an_unclosed_brace_is_an_error_in_check_and_html(book, tmp_path):
    book(TIKZ_UNBALANCED)
    assert check() == (1, TIKZ_ERRORS)
    status, found, _ = html(tmp_path)
    assert (status, found) == (1, TIKZ_ERRORS)  # not compiled, so no second error from LaTeX
    page = (tmp_path / "site" / "ch.html").read_text(encoding="utf-8")
    assert page.count("TikZ figure left out: its braces do not pair up") == 2 and "After the figures." in page


def test_a_tikz_figure_with_an_unclosed_brace_does_not_break_the_pdf(book, tmp_path):
    book(TIKZ_UNBALANCED)
    status, out, err = run("pdf", "--project", ".", "--output-dir", str(tmp_path / "pdf"),
                           "--cache-dir", str(tmp_path / "cache"), "--no-install")
    assert (status, diagnostics(out)) == (1, TIKZ_ERRORS), out + err
    assert "Traceback" not in out + err and "built" in out and list((tmp_path / "pdf").glob("*.pdf"))


# --- sources that are not UTF-8 -----------------------------------------------------------------

def test_a_chapter_that_is_not_utf8_is_an_error_at_its_first_bad_byte(book, tmp_path):
    book({"ch.qmd": "# Chapter\n"}, files={"ch.qmd": b"# Chapter\n\nA caf\xc3\xa9, the caf\xe9 again.\n"})
    expected = "ch.qmd:3:16: error[encoding]: the file is not UTF-8 text: byte 0xe9 (invalid continuation byte)"
    assert check() == (1, [expected])
    assert html(tmp_path)[:2] == (1, [expected])


def test_an_include_that_is_not_utf8_is_an_error_in_the_included_file(book):
    book({"ch.qmd": "# Chapter\n\n{{< include part.qmd >}}\n"}, files={"part.qmd": b"ok line\nna\xefve\n"})
    assert check() == (1, ["part.qmd:2:3: error[encoding]: the file is not UTF-8 text: byte 0xef (invalid continuation byte)"])


def test_variables_and_bibliography_that_are_not_utf8(book):
    book({"ch.qmd": "# Chapter\n\nBy @good, {{< var who >}}.\n"}, "bibliography: refs.bib\n",
         {"_variables.yml": b"who: Jos\xe9\n", "refs.bib": b"@book{good,\n  author = {M\xfcller},\n}\n"})
    status, found = check()
    assert status == 1
    assert found[:2] == [
        "refs.bib:2:14: error[encoding]: the file is not UTF-8 text: byte 0xfc (invalid start byte)",
        "_variables.yml:1:9: error[encoding]: the file is not UTF-8 text: byte 0xe9 (invalid continuation byte)",
    ]


def test_a_config_that_is_not_utf8_is_a_config_error(book):
    root = book({"ch.qmd": "# Chapter\n"})
    (root / "_quarto.yml").write_bytes((root / "_quarto.yml").read_bytes().replace(b"Test book", b"Test b\xf6\xf6k"))
    status, out, err = run("check", "--project", ".")
    assert status == 2 and "Traceback" not in err
    assert diagnostics(err) == ["_quarto.yml:4:16: error[encoding]: the file is not UTF-8 text: byte 0xf6 (invalid start byte)"]


# --- structures that nest or expand without bound ---------------------------------------------

@pytest.mark.parametrize("body, line", [
    ("::: {.a}\n" * 1000 + "deep\n" + ":::\n" * 1000, 103),
    ("".join("  " * i + "- item\n" for i in range(1000)), 103),
    (">" * 1000 + " deep\n", 3),
], ids=["divs", "lists", "quotes"])
def test_a_thousand_nested_blocks_are_one_error_at_the_line_not_a_recursion_error(book, tmp_path, body, line):
    book({"ch.qmd": "# Chapter\n\n" + body})
    depth = 1000 if line == 3 else 101
    expected = (f"ch.qmd:{line}:1: error[nesting]: divs, block quotes and lists nest {depth} deep here; "
                "the build reads at most 100 levels")
    assert check() == (1, [expected])
    status, found, out = html(tmp_path)
    assert (status, found) == (1, [expected])
    assert "built 1 page" in out


def test_a_hundred_nested_divs_build(book, tmp_path):
    book({"ch.qmd": "# Chapter\n\n" + "::: {.a}\n" * 100 + "deep\n" + ":::\n" * 100})
    assert check() == (0, [])
    status, found, _ = html(tmp_path)
    assert (status, found) == (0, [])
    assert (tmp_path / "site" / "ch.html").read_text(encoding="utf-8").count('<div class="a">') == 100


def test_inline_nesting_too_deep_for_the_build_is_one_error_at_the_chapter(book, tmp_path):
    """Emphasis 600 deep: the line scan of `check` cannot see it; the build reports it instead of a RecursionError."""
    book({"ch.qmd": "# Chapter\n\n" + "*_" * 300 + "deep" + "_*" * 300 + "\n"})
    status, found, out = html(tmp_path)
    assert (status, found) == (1, ["ch.qmd:1:1: error[nesting]: the chapter nests too deeply for the build to read "
                                   "(more than Python's recursion limit)"])
    assert "built 1 page" in out


def billion_laughs(indent: str = "") -> str:
    rows = [f'{indent}l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    rows += [f"{indent}l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 9)]
    return "\n".join(rows) + "\n"


def test_a_yaml_alias_bomb_as_the_book_title_is_refused_at_the_alias(book):
    root = book({"ch.qmd": "# Chapter\n"})
    (root / "_quarto.yml").write_text("project:\n  type: book\nbomb:\n" + billion_laughs("  ")
                                      + "book:\n  title: *l8\n  chapters:\n    - ch.qmd\n", encoding="utf-8")
    status, out, err = run("check", "--project", ".")
    assert status == 2 and "Traceback" not in err
    assert diagnostics(err) == ["_quarto.yml:9:12: error[yaml]: malformed _quarto.yml: aliases expand to more than "
                                "100000 values (at *l4; nested aliases multiply)"]


def test_a_yaml_alias_bomb_in_front_matter_is_an_error_at_the_alias(book):
    book({"ch.qmd": "---\n" + billion_laughs() + "title: *l8\n---\n\n# Chapter\n"})
    assert check() == (1, ["ch.qmd:7:10: error[yaml]: malformed YAML front matter: aliases expand to more than "
                           "100000 values (at *l4; nested aliases multiply)"])


def test_an_include_fan_out_stops_at_the_limit_with_an_error_at_the_include(book):
    # ch includes l1 once, l1 includes l2 ten times, … : 10^4 copies of l5.
    files = {f"l{n}.qmd": "".join(f"{{{{< include l{n + 1}.qmd >}}}}\n" for _ in range(10)) for n in range(1, 5)}
    files["l5.qmd"] = "word\n"
    book({"ch.qmd": "# Chapter\n\n{{< include l1.qmd >}}\n"}, files=files)
    assert check() == (1, ["l4.qmd:10:1: error[include-limit]: the chapter's includes expand to more than 1000 files "
                           "or 64 MB (repeats counted): 'l5.qmd' and every include after it are left out"])


# --- an unexpected exception ----------------------------------------------------------------------

def test_an_internal_error_is_one_line_naming_the_command(monkeypatch, tmp_path):
    def broken(args, out, err):
        raise KeyError("page-records")

    monkeypatch.setattr("bookbuild.cli.run_clean", broken)
    monkeypatch.delenv("BOOKBUILD_DEBUG", raising=False)
    status, out, err = run("clean", "--project", str(tmp_path))
    assert status == 1
    assert err.splitlines() == [
        "error[internal]: 'bookbuild clean' stopped on an unexpected KeyError: 'page-records'",
        "    help: this is a bug in bookbuild, not in the book: please report it with the command and this line "
        "(run again with BOOKBUILD_DEBUG=1 for the traceback)"]
    monkeypatch.setenv("BOOKBUILD_DEBUG", "1")
    status, out, err = run("clean", "--project", str(tmp_path))
    assert status == 1 and err.startswith("Traceback (most recent call last):") and "KeyError: 'page-records'" in err


# --- diff-values --------------------------------------------------------------------------------

def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(root), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(book):
    root = book({"ch.qmd": """
        # Chapter

        ```{python}
        n_str = "4"
        ```

        There are `{python} n_str` of them.
        """})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_diff_values_never_takes_a_revision_for_a_git_option(repo):
    target = repo / "clobbered.txt"
    target.write_text("keep me\n")
    status, out, err = run("diff-values", "--project", ".", "--", f"--output={target}")
    assert status == 2 and "Traceback" not in err
    assert target.read_text() == "keep me\n"
    assert diagnostics(err) == [f".:1:1: error[git]: '--output={target}' is not a revision of this repository"]


def test_diff_values_fails_when_the_working_tree_does_not_check(repo):
    chapter = repo / "ch.qmd"
    chapter.write_text(chapter.read_text().replace('n_str = "4"', "n_str = undefined_name"))
    status, out, err = run("diff-values", "--project", ".", "HEAD")
    assert status == 1
    assert "ch.qmd:4:1: error[cell-error]: NameError: name 'undefined_name' is not defined" in diagnostics(err)
    assert out.splitlines()[-1] == "1 error in the checks above: the values they touch are not comparable"
    chapter.write_text(chapter.read_text().replace("n_str = undefined_name", 'n_str = "5"'))
    status, out, err = run("diff-values", "--project", ".", "HEAD")
    assert status == 0 and "ch.qmd:7:11: `n_str` '4' → '5'" in out
