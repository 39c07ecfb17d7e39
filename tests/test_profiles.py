"""Profiles and configuration fragments: _quarto-<profile>.yml and metadata-files merged over
_quarto.yml as Quarto merges them, per-profile output folders, and every configuration problem
reported at the file and line it comes from (exit 2)."""

from __future__ import annotations

import io
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from bookbuild.cli import main
from bookbuild.config import construct, merge
from bookbuild.diagnostics import ConfigError
from bookbuild.project import load_book
from conftest import REPO, snapshot
from two_volumes import write_two_volume_book


@pytest.fixture
def book(tmp_path, monkeypatch) -> Path:
    """The two-volume book, with the working directory at its root (diagnostics name files relatively)."""
    root = write_two_volume_book(tmp_path / "book")
    monkeypatch.chdir(root)
    monkeypatch.delenv("QUARTO_PROFILE", raising=False)
    return root


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def config_error(root: Path, profile: str | None = None, environ: dict[str, str] | None = None) -> str:
    """The one-line head of the ConfigError loading the book raises."""
    with pytest.raises(ConfigError) as caught:
        load_book(root, profile, environ or {})
    return caught.value.diagnostic.format_text().splitlines()[0]


def edit(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


# --------------------------------------------------------------------------- choosing and merging


def test_the_default_profile_and_each_volume_get_their_own_chapters(book):
    vol1 = load_book(book, environ={})
    assert vol1.profiles == ("vol1",)  # profile: default: vol1
    assert vol1.title == "Volume I"
    # index.qmd is listed by _quarto.yml and again by vol1: lists are joined as Quarto joins them, once each.
    assert [c.path for c in vol1.chapters] == ["index.qmd", "contents/vol1/intro/intro.qmd",
                                               "contents/vol1/frame/frame.qmd"]
    assert vol1.chapters[2].part == "Foundations"
    vol2 = load_book(book, "vol2", environ={})
    assert vol2.profiles == ("vol2",)
    assert (vol2.title, [c.path for c in vol2.chapters]) == ("Volume II", ["index.qmd", "contents/vol2/scale/scale.qmd"])
    # Both got the metadata file's author and bibliography.
    assert vol1.author == vol2.author == "The Authors"
    assert vol2.bibliography == ("contents/shared/backmatter/references.bib",)
    # Each entry remembers the file and line that listed it.
    assert [(c.file, c.line) for c in vol2.chapters] == [("_quarto.yml", 12), ("_quarto-vol2.yml", 4)]


def test_quarto_profile_variable_and_the_option(book):
    assert load_book(book, environ={"QUARTO_PROFILE": "vol2"}).title == "Volume II"
    # --profile wins over the variable.
    assert load_book(book, "vol1", environ={"QUARTO_PROFILE": "vol2"}).title == "Volume I"


def test_several_profiles_the_first_listed_wins(book):
    edit(book / "_quarto-draft.yml", """\
        book:
          title: "Draft"
          subtitle: "not for print"
        """)
    both = load_book(book, "vol2,draft", environ={})
    assert both.profiles == ("vol2", "draft")
    assert (both.title, both.subtitle) == ("Volume II", "not for print")
    assert load_book(book, "draft vol2", environ={}).title == "Draft"
    assert both.output_dir == "_build/vol2+draft"


def test_profile_group_activates_its_first_member(book):
    text = (book / "_quarto.yml").read_text().replace("  default: vol1\n", "  group:\n    - [vol2, vol1]\n")
    (book / "_quarto.yml").write_text(text)
    assert load_book(book, environ={}).profiles == ("vol2",)
    assert load_book(book, "vol1", environ={}).profiles == ("vol1",)


def test_merge_rules_are_quartos():
    def merged(base: str, over: str):
        return construct(merge(yaml.compose(base), yaml.compose(over)))

    # Mappings merge key by key; a later scalar replaces an earlier one.
    assert merged("a: {x: 1, y: 2}\nb: 1", "a: {y: 3, z: 4}") == {"a": {"x": 1, "y": 3, "z": 4}, "b": 1}
    # Lists are joined, duplicates dropped (first kept), in order; a scalar joins as a one-item list.
    assert merged("l: [a, b]", "l: [b, c]") == {"l": ["a", "b", "c"]}
    assert merged("l: a.bib", "l: [b.bib]") == {"l": ["a.bib", "b.bib"]}
    assert merged("l: [{part: P, chapters: [x]}]", "l: [{part: P, chapters: [x]}, y]") == {
        "l": [{"part": "P", "chapters": ["x"]}, "y"]}
    # A mapping over a scalar replaces it, and an empty list side keeps the other.
    assert merged("a: 1", "a: {x: 1}") == {"a": {"x": 1}}
    assert merged("l: [a]", "l:") == {"l": ["a"]}


def test_metadata_files_merge_in_order_over_the_file_that_lists_them(book):
    edit(book / "config/later.yml", """\
        book:
          author: "Later Author"
        execute:
          echo: true
        """)
    text = (book / "_quarto.yml").read_text().replace("  - config/shared.yml\n", "  - config/shared.yml\n  - config/later.yml\n")
    (book / "_quarto.yml").write_text(text)
    loaded = load_book(book, environ={})
    assert loaded.author == "Later Author"  # the later file wins
    assert loaded.execute == {"echo": True}  # over _quarto.yml's echo: false
    assert loaded.title == "Volume I"  # and the profile still applies on top


# --------------------------------------------------------------------------- output folders


def test_each_profile_builds_into_its_own_folder_and_leaves_the_others_alone(book):
    status, out, err = run("html", "--project", ".", "--profile", "vol2")
    assert status == 0, out + err
    assert "into _build/vol2/html" in out
    vol2_site = book / "_build" / "vol2" / "html"
    before = snapshot(vol2_site)
    status, out, err = run("html", "--project", ".")  # the default profile, vol1
    assert status == 0, out + err
    assert "into _build/vol1/html" in out
    assert snapshot(vol2_site) == before, "building vol1 wrote into vol2's site"
    vol1_site = book / "_build" / "vol1" / "html"
    assert (vol1_site / "contents/vol1/intro/intro.html").is_file()
    assert not (vol1_site / "contents/vol2").exists() and not (vol2_site / "contents/vol1").exists()
    # Each volume's sidebar lists its own chapters only.
    vol1_index = (vol1_site / "index.html").read_text()
    vol2_index = (vol2_site / "index.html").read_text()
    assert "Introduction" in vol1_index and "Scale" not in vol1_index
    assert "Scale" in vol2_index and "Introduction" not in vol2_index
    assert "<title>Preface – Volume II</title>" in vol2_index
    # Each search index holds its own volume.
    assert "Quokkaframe" in (vol1_site / "search-index.js").read_text()
    assert "Quokkaframe" not in (vol2_site / "search-index.js").read_text()


def test_output_dir_chosen_by_a_profile_file_is_used_as_it_is(book):
    (book / "_quarto-vol2.yml").write_text((book / "_quarto-vol2.yml").read_text() + "project:\n  output-dir: _book-vol2\n")
    assert load_book(book, "vol2", environ={}).output_dir == "_book-vol2"
    # A folder named in _quarto.yml itself is shared by every profile: each gets its own below it.
    (book / "_quarto.yml").write_text((book / "_quarto.yml").read_text().replace("  type: book\n", "  type: book\n  output-dir: out\n"))
    assert load_book(book, "vol1", environ={}).output_dir == "out/vol1"
    assert load_book(book, "vol2", environ={}).output_dir == "_book-vol2"


def test_check_takes_a_profile(book):
    status, out, err = run("check", "--project", ".", "--profile", "vol2")
    assert status == 0, out + err
    assert "checked 2 chapters" in out
    assert "ran contents/vol2/scale/scale.qmd" in err and "intro.qmd" not in err


def test_make_passes_the_profile_on():
    for command in ("check", "html", "pdf", "values", "preview"):
        shown = subprocess.run(["make", "-n", command, "PROFILE=vol2", "PROJECT=somewhere"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout
        assert "--project somewhere --profile vol2" in shown, shown


# --------------------------------------------------------------------------- problems, at their file and line


def test_a_missing_profile_file(book):
    assert config_error(book, "vol3") == ("_quarto.yml:1:1: error[profile-missing]: profile 'vol3' (from --profile) "
                                          "has no configuration file _quarto-vol3.yml")
    assert config_error(book, environ={"QUARTO_PROFILE": "vol3"}) == (
        "_quarto.yml:1:1: error[profile-missing]: profile 'vol3' (from QUARTO_PROFILE) has no configuration file _quarto-vol3.yml")
    (book / "_quarto.yml").write_text((book / "_quarto.yml").read_text().replace("default: vol1", "default: vol9"))
    assert config_error(book) == ("_quarto.yml:8:3: error[profile-missing]: profile 'vol9' (from profile: default:) "
                                  "has no configuration file _quarto-vol9.yml")
    status, _, err = run("check", "--project", ".", "--profile", "vol3")
    assert status == 2
    assert err.startswith("_quarto.yml:1:1: error[profile-missing]")
    assert "help: create _quarto-vol3.yml, or fix the profile's name" in err


def test_a_profile_name_that_is_a_path(book):
    assert config_error(book, "../x") == ("_quarto.yml:1:1: error[profile-name]: '../x' (from --profile) "
                                          "is not a profile name")


def test_a_missing_metadata_file(book):
    (book / "config/shared.yml").unlink()
    assert config_error(book) == "_quarto.yml:5:5: error[config-missing]: metadata file 'config/shared.yml' does not exist"
    status, _, _ = run("html", "--project", ".")
    assert status == 2


def test_a_fragment_that_is_not_a_mapping(book):
    edit(book / "config/shared.yml", "- just\n- a list\n")
    assert config_error(book) == ("config/shared.yml:1:1: error[config-type]: shared.yml must be a YAML mapping "
                                  "(key: value lines), not a list")
    write_two_volume_book(book)  # shared.yml back
    edit(book / "_quarto-vol2.yml", "just text\n")
    assert config_error(book, "vol2") == ("_quarto-vol2.yml:1:1: error[config-type]: _quarto-vol2.yml must be a YAML "
                                          "mapping (key: value lines), not the text 'just text'")


def test_a_config_file_that_is_not_utf8(book):
    (book / "_quarto-vol2.yml").write_bytes(b"book:\n  title: \"Volume \xe9\"\n")
    assert config_error(book, "vol2") == ("_quarto-vol2.yml:2:18: error[encoding]: the file is not UTF-8 text: "
                                          "byte 0xe9 (invalid continuation byte)")


def test_a_missing_citation_style_is_reported_where_it_is_named(book):
    edit(book / "_quarto-vol2.yml", """\
        book:
          chapters: [contents/vol2/scale/scale.qmd]
        format:
          pdf:
            csl: styles/ieee.csl
        """)
    status, out, _ = run("check", "--project", ".", "--profile", "vol2")
    assert status == 1
    assert "_quarto-vol2.yml:5:5: error[csl-missing]: citation style 'ieee.csl' does not exist" in out


def test_malformed_yaml_in_a_profile_file(book):
    edit(book / "_quarto-vol2.yml", "book:\n  title: [unclosed\n  chapters: []\n")
    head = config_error(book, "vol2")
    assert head.startswith("_quarto-vol2.yml:3:") and "error[yaml]: malformed _quarto-vol2.yml" in head


def test_a_missing_chapter_is_reported_in_the_profile_that_lists_it(book):
    edit(book / "_quarto-vol2.yml", """\
        book:
          chapters:
            - contents/vol2/scale/scale.qmd
            - contents/vol2/gone/gone.qmd
        """)
    status, out, _ = run("check", "--project", ".", "--profile", "vol2")
    assert status == 1
    assert ("_quarto-vol2.yml:4:7: error[chapter-missing]: chapter 'contents/vol2/gone/gone.qmd' is listed "
            "but does not exist") in out


def test_a_missing_bibliography_is_reported_in_the_fragment_that_names_it(book):
    (book / "contents/shared/backmatter/references.bib").unlink()
    status, out, _ = run("check", "--project", ".")
    assert ("config/shared.yml:4:5: warning[bibliography-missing]: bibliography "
            "'contents/shared/backmatter/references.bib' does not exist") in out


BASE = "book:\n  chapters:\n    - index.qmd\n"  # the key under test follows, on line 4

TYPE_ERRORS = [
    ("_quarto.yml", "bibliography: 5\n",
     "_quarto.yml:4:1: error[config-type]: 'bibliography:' must be a file name or a list of file names, not the number 5"),
    ("_quarto.yml", "project: x\n", "_quarto.yml:4:1: error[config-type]: 'project:' must be a mapping, not the text 'x'"),
    ("_quarto.yml", "format: 3\n",
     "_quarto.yml:4:1: error[config-type]: 'format:' must be a format name or a mapping of formats, not the number 3"),
    ("_quarto.yml", "execute: 1\n", "_quarto.yml:4:1: error[config-type]: 'execute:' must be a mapping, not the number 1"),
    ("_quarto.yml", "format:\n  html: 1\n",
     "_quarto.yml:5:3: error[config-type]: 'format: html:' must be a mapping of options (or 'default'), not the number 1"),
    ("_quarto.yml", "profile: vol1\n",
     "_quarto.yml:4:1: error[config-type]: 'profile:' must be a mapping (default:, group:), not the text 'vol1'"),
    ("_quarto.yml", "metadata-files: config/shared.yml\n",
     "_quarto.yml:4:1: error[config-type]: 'metadata-files:' must be a list of file names"),
    ("_quarto-vol1.yml", "book: x\n", "_quarto-vol1.yml:1:1: error[config-type]: 'book:' must be a mapping, not the text 'x'"),
    ("_quarto-vol1.yml", "book:\n  chapters: intro.qmd\n",
     "_quarto-vol1.yml:2:13: error[config-type]: the chapter list must be a YAML list, not the text 'intro.qmd'"),
    ("_quarto-vol1.yml", "book:\n  chapters:\n    - 5\n",
     "_quarto-vol1.yml:3:7: error[config-type]: a chapter entry must be a file name or a 'part:' group, not the number 5"),
    ("config/shared.yml", "bibliography: [refs.bib, 7]\n",
     "config/shared.yml:1:1: error[config-type]: 'bibliography:' must be a file name or a list of file names, not a list"),
    ("_quarto-vol1.yml", "book:\n  title: {a: 1}\n",
     "_quarto-vol1.yml:2:3: error[config-type]: 'book: title:' must be text, not a mapping"),
    ("config/shared.yml", "project:\n  output-dir: [a]\n",
     "config/shared.yml:2:3: error[config-type]: 'project: output-dir:' must be text, not a list"),
]


@pytest.mark.parametrize("file, text, expected", TYPE_ERRORS)
def test_a_value_of_the_wrong_type_is_a_diagnostic_at_its_key(book, file, text, expected):
    if file == "_quarto.yml":
        (book / file).write_text(BASE + text)
    else:
        (book / file).write_text(text)
    status, out, err = run("check", "--project", ".", "--profile", "vol1")
    assert status == 2, out + err
    assert err.splitlines()[0] == expected
    assert "Traceback" not in err
