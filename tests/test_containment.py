"""Containment: a build reads only the project, writes only its output and cache, and leaves the sources alone."""

from __future__ import annotations

import re

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bookbuild.cli import main
from conftest import REPO, build_site, write_book

HINT = ("a build reads only files inside the project folder: move or copy the file into it "
        "(a bibliography or csl named in _quarto.yml may lie elsewhere)")


def tree_hashes(folder: Path, skip: tuple[str, ...] = ("_build",)) -> dict[str, str]:
    """Every file below ``folder`` (but the build's own folders) with a hash of its bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part in skip for part in relative.parts) or not path.is_file():
            continue
        found[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def check_json(project: Path, *extra: str) -> tuple[int, list[dict]]:
    out = io.StringIO()
    status = main(["check", "--project", str(project), "--format", "json", *extra], out=out, err=io.StringIO())
    return status, json.loads(out.getvalue())["diagnostics"]


def brief(diagnostics: list[dict], code: str) -> list[tuple]:
    return [(d["file"], d["line"], d["col"], d["severity"], d["message"], d.get("hint"))
            for d in diagnostics if d["code"] == code]


def test_a_nested_project_with_dotdot_images_leaves_its_tree_alone_and_shows_its_images(tmp_path, monkeypatch):
    top = tmp_path / "top"
    book = top / "shared" / "book"
    (top / "assets").mkdir(parents=True)
    (top / "assets" / "logo.png").write_bytes(b"the logo of the folder above the book")
    (book / "chapters").mkdir(parents=True)
    (book / "assets").mkdir()
    (book / "assets" / "logo.png").write_bytes(b"the book's own logo")
    (book / "assets" / "diagram.png").write_bytes(b"the book's diagram")
    (book / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  title: Nested\n  chapters:\n"
                                      "    - index.qmd\n    - chapters/ch.qmd\n")
    (book / "index.qmd").write_text("# Welcome\n\n![logo](../../assets/logo.png)\n")
    (book / "chapters" / "ch.qmd").write_text("# A chapter\n\n![diagram](../assets/diagram.png)\n")
    before = tree_hashes(top)
    monkeypatch.chdir(book)

    status, stdout, _ = build_site(book, book / "_build" / "html")  # the default place: inside the project

    assert tree_hashes(top) == before  # builds used to copy top/assets/logo.png over the book's assets/logo.png
    assert status == 1
    assert (f"index.qmd:3:1: error[outside-project]: image '../../assets/logo.png' is outside the project: "
            f"it resolves to {(top / 'assets' / 'logo.png').resolve()}\n    help: {HINT}") in stdout
    site = book / "_build" / "html"
    assert not any(p.read_bytes() == b"the logo of the folder above the book" for p in site.rglob("*") if p.is_file())
    page = (site / "chapters" / "ch.html").read_text()
    assert 'src="../assets/diagram.png"' in page
    assert (site / "assets" / "diagram.png").read_bytes() == b"the book's diagram"
    # `check` reports the same error.
    status, diagnostics = check_json(book)
    assert status == 1
    assert brief(diagnostics, "outside-project") == [
        ("index.qmd", 3, 1, "error",
         f"image '../../assets/logo.png' is outside the project: it resolves to {(top / 'assets' / 'logo.png').resolve()}",
         HINT)]


def test_an_image_outside_its_chapters_folder_is_placed_inside_the_site(tmp_path):
    book = write_book(tmp_path / "book", {"index.qmd": "# Home\n"})
    (book / "part" / "deep").mkdir(parents=True)
    (book / "figs").mkdir()
    (book / "figs" / "plot.png").write_bytes(b"plot")
    (book / "part" / "deep" / "ch.qmd").write_text("# Deep\n\n![plot](../../figs/plot.png)\n")
    (book / "part" / "deep" / "alias.png").symlink_to(book / "figs" / "plot.png")  # a symlink inside the project
    (book / "part" / "deep" / "ch.qmd").write_text("# Deep\n\n![plot](../../figs/plot.png)\n\n![alias](alias.png)\n")
    (book / "_quarto.yml").write_text((book / "_quarto.yml").read_text().replace(
        "    - index.qmd\n", "    - index.qmd\n    - part/deep/ch.qmd\n"))
    out = tmp_path / "site"

    status, stdout, _ = build_site(book, out)

    assert status == 0, stdout
    page = (out / "part" / "deep" / "ch.html").read_text()
    assert re.search(r'<img src="\.\./\.\./figs/plot\.png"[^>]* alt="plot"', page)
    assert re.search(r'<img src="\.\./\.\./figs/plot\.png"[^>]* alt="alias"', page)  # the symlink, as its target
    assert (out / "figs" / "plot.png").read_bytes() == b"plot"
    assert not (out / "part" / "deep" / "alias.png").exists()


def test_a_chapter_listed_outside_the_project_is_an_error_at_its_line_and_writes_nothing_there(tmp_path, monkeypatch):
    (tmp_path / "x.qmd").write_text("# Outside\n")
    book = write_book(tmp_path / "book", {"index.qmd": "# Home\n"})
    config = book / "_quarto.yml"
    config.write_text(config.read_text().replace("    - index.qmd\n", "    - index.qmd\n    - ../x.qmd\n"))
    out = tmp_path / "out"
    monkeypatch.chdir(book)

    status, stdout, _ = build_site(book, out)

    assert not (tmp_path / "x.html").exists()  # out/../x.html
    assert status == 1
    assert (f"_quarto.yml:7:7: error[outside-project]: chapter '../x.qmd' is outside the project: "
            f"it resolves to {(tmp_path / 'x.qmd').resolve()}\n    help: {HINT}") in stdout
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".html") == ["index.html"]
    _, diagnostics = check_json(book)
    assert [(d["line"], d["col"], d["message"]) for d in diagnostics if d["code"] == "outside-project"] == [
        (7, 7, f"chapter '../x.qmd' is outside the project: it resolves to {(tmp_path / 'x.qmd').resolve()}")]


def test_includes_and_images_reaching_outside_the_project_are_errors_and_stay_out_of_the_page(tmp_path, monkeypatch):
    (tmp_path / "secret.qmd").write_text("TOP-SECRET text beside the project\n")
    book = write_book(tmp_path / "book", {"ch.qmd": """
        # Leaks

        {{< include ../secret.qmd >}}

        {{< include notes.qmd >}}

        See ![the password file](pic.png) here.

        {{< include /etc/passwd >}}
        """})
    (book / "notes.qmd").symlink_to("/etc/passwd")
    (book / "pic.png").symlink_to("/etc/passwd")
    monkeypatch.chdir(book)
    out = tmp_path / "out"

    status, stdout, _ = build_site(book, out)

    assert status == 1
    secret = (tmp_path / "secret.qmd").resolve()
    expected = [
        ("ch.qmd", 3, 13, "error", f"included file '../secret.qmd' is outside the project: it resolves to {secret}", HINT),
        ("ch.qmd", 5, 13, "error", "included file 'notes.qmd' is outside the project: it resolves through a symlink "
                                   "to /etc/passwd", HINT),
        ("ch.qmd", 7, 5, "error", "image 'pic.png' is outside the project: it resolves through a symlink to /etc/passwd",
         HINT),
    ]
    for file, line, col, severity, message, hint in expected:
        assert f"{file}:{line}:{col}: {severity}[outside-project]: {message}\n    help: {hint}" in stdout
    # As in Quarto, an include's /path is relative to the project: this one names book/etc/passwd.
    assert ("ch.qmd:9:13: error[include]: included file '/etc/passwd' does not exist\n"
            "    help: fix the path; it is relative to the file that includes it") in stdout
    page = (out / "ch.html").read_text()
    assert "TOP-SECRET" not in page and "root:" not in page
    assert not (out / "pic.png").exists()
    status, diagnostics = check_json(book)
    assert status == 1 and brief(diagnostics, "outside-project") == expected


def test_a_bibliography_named_in_the_config_may_lie_outside_the_project(tmp_path):
    (tmp_path / "refs.bib").write_text("@book{knuth, title={TAOCP}, author={Knuth, D.}, year={1968}}\n")
    book = write_book(tmp_path / "book", {"ch.qmd": "# Cites\n\nAs @knuth shows.\n"},
                      extra_config="bibliography: ../refs.bib\n")
    status, diagnostics = check_json(book)
    assert status == 0 and diagnostics == []


def repo_book_copy(tmp_path: Path) -> Path:
    """This repository's own book (chapters and its library, mlsys), copied."""
    root = tmp_path / "repo-book"
    root.mkdir()
    shutil.copy(REPO / "_quarto.yml", root)
    for folder in ("book", "mlsys"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    local = root / "book" / "helpers"  # a local package beside the chapters, imported by a cell
    local.mkdir()
    (local / "__init__.py").write_text("from .numbers import ANSWER\n")
    (local / "numbers.py").write_text("ANSWER = 42\n")
    index = root / "book" / "index.qmd"
    index.write_text(index.read_text() + "\n```{python}\nimport helpers\nanswer_str = str(helpers.ANSWER)\n```\n\n"
                                         "The answer is `{python} answer_str`.\n")
    return root


@pytest.mark.parametrize("command", [["check"], ["check", "--engine", "jupyter"], ["html"], ["html", "--engine", "jupyter"]])
def test_no_command_writes_into_the_source_tree(tmp_path, command):
    root = repo_book_copy(tmp_path)
    before = tree_hashes(root)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    # Run where authors do, in the book's folder, as `make` does.
    done = subprocess.run([sys.executable, "-m", "bookbuild", *command, "--project", "."], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p for p in root.rglob("__pycache__")] == []
    assert tree_hashes(root) == before


def writer_book(tmp_path: Path) -> Path:
    book = write_book(tmp_path / "book", {"ch.qmd": """
        # Writes

        ```{python}
        x = 1
        ```

        ```{python}
        #| label: writer
        import os, tempfile
        with open("notes.txt", "w") as f:
            f.write("scratch")
        os.remove("old.txt")
        os.rename("keep.txt", "data/kept.txt")
        with open(os.path.join(tempfile.mkdtemp(), "fine.txt"), "w") as f:
            f.write("outside the project: not reported")
        os.makedirs("_build", exist_ok=True)
        with open("_build/also-fine.txt", "w") as f:
            f.write("the build's own folder: not reported")
        ```

        Text `{python} str(x)`.
        """})
    (book / "old.txt").write_text("old")
    (book / "keep.txt").write_text("keep")
    (book / "data").mkdir()
    return book


@pytest.mark.parametrize("engine", ["inprocess", "jupyter"])
def test_a_cell_that_changes_the_source_tree_is_a_warning_naming_it_and_the_files(tmp_path, monkeypatch, engine):
    book = writer_book(tmp_path)
    monkeypatch.chdir(book)
    status, diagnostics = check_json(book, "--engine", engine)
    assert status == 0
    hint = ("a cell should only read the book's files: write scratch files under tempfile.mkdtemp() "
            "(or keep them in memory), and generated data into a folder outside the project")
    # The kernel is another process: its changes are seen as files that appear and disappear.
    changes = ("created notes.txt, removed old.txt, renamed keep.txt, renamed data/kept.txt" if engine == "inprocess"
               else "created data/kept.txt, removed keep.txt, created notes.txt, removed old.txt")
    assert [(d["file"], d["line"], d["severity"], d["message"], d.get("cell"), d.get("hint"))
            for d in diagnostics] == [
        ("ch.qmd", 7, "warning", f"this cell changed the book's source tree: {changes}", "writer", hint)]


def test_a_cell_writing_into_the_output_folder_is_not_reported(tmp_path):
    out = tmp_path / "book" / "site"
    book = write_book(tmp_path / "book", {"ch.qmd": f"""
        # Writes

        ```{{python}}
        import os
        os.makedirs({str(out)!r}, exist_ok=True)
        open(os.path.join({str(out)!r}, "extra.txt"), "w").write("mine")
        ```
        """})
    status, stdout, _ = build_site(book, out)
    assert status == 0 and "source-changed" not in stdout


def test_a_chapter_removed_from_the_book_loses_its_page_and_files_but_nothing_else(tmp_path):
    book = write_book(tmp_path / "book", {
        "a.qmd": "# A\n",
        "b.qmd": """
            # B

            ```{python}
            #| label: fig-b
            #| fig-cap: A figure
            import matplotlib.pyplot as plt
            plt.plot([1, 2])
            ```

            ![img](pics/b.png)
            """})
    (book / "pics").mkdir()
    (book / "pics" / "b.png").write_bytes(b"png")
    out = tmp_path / "out"
    assert build_site(book, out)[0] == 0
    assert (out / "b.html").is_file() and (out / "b_files" / "fig-b-1.svg").is_file() and (out / "pics" / "b.png").is_file()
    (out / "CNAME").write_text("book.example.org\n")  # the author's own file in the output folder
    config = book / "_quarto.yml"

    config.write_text(config.read_text().replace("    - b.qmd\n", ""))
    status, stdout, _ = build_site(book, out)

    assert status == 0, stdout
    assert not (out / "b.html").exists() and not (out / "b_files").exists() and not (out / "pics").exists()
    assert (out / "a.html").is_file() and (out / "CNAME").read_text() == "book.example.org\n"
    assert "b.html" not in (out / "search-index.js").read_text()


def test_a_one_chapter_build_removes_nothing_and_a_changed_file_is_never_removed(tmp_path):
    book = write_book(tmp_path / "book", {"a.qmd": "# A\n", "b.qmd": "# B\n"})
    out = tmp_path / "out"
    assert build_site(book, out)[0] == 0
    assert build_site(book, out, "a")[0] == 0
    assert (out / "b.html").is_file()  # not rebuilt by a one-chapter build, still the book's page
    (out / "b.html").write_text("edited by hand")
    config = book / "_quarto.yml"
    config.write_text(config.read_text().replace("    - b.qmd\n", ""))
    assert build_site(book, out)[0] == 0
    assert (out / "b.html").read_text() == "edited by hand"


def tiny_png() -> bytes:
    """A valid 1×1 PNG, so only containment keeps it out of the PDF."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_the_pdf_leaves_out_an_image_that_is_a_symlink_out_of_the_project(tmp_path, monkeypatch):
    from test_pdf import pdf_text

    (tmp_path / "outside.png").write_bytes(tiny_png())
    book = write_book(tmp_path / "book", {"ch.qmd": "# Pictures\n\n![Outside](pic.png)\n\n![Inside](real.png)\n"})
    (book / "pic.png").symlink_to(tmp_path / "outside.png")
    (book / "real.png").write_bytes(tiny_png())
    monkeypatch.chdir(book)
    stdout = io.StringIO()
    status = main(["pdf", "--project", str(book), "--output-dir", str(tmp_path / "out"), "--no-install"],
                  out=stdout, err=io.StringIO())
    assert status == 1
    assert ("ch.qmd:3:1: error[outside-project]: image 'pic.png' is outside the project: it resolves through a symlink "
            f"to {(tmp_path / 'outside.png').resolve()}") in stdout.getvalue()
    text = " ".join(pdf_text(next((tmp_path / "out").glob("*.pdf"))).split())
    assert "image not available: pic.png Outside" in text
    assert "image not available: real.png" not in text and "Inside" in text


def test_a_manifest_naming_files_outside_the_output_folder_is_never_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    book = write_book(tmp_path / "book", {"a.qmd": "# A\n"})
    out = tmp_path / "out"
    out.mkdir()
    digest = hashlib.sha256(b"precious").hexdigest()
    (out / ".bookbuild-manifest.json").write_text(json.dumps({"files": {"../victim.txt": digest, str(victim): digest}}))
    assert build_site(book, out)[0] == 0
    assert victim.read_text() == "precious"


def test_contained_refuses_a_name_that_leaves_its_folder(tmp_path):
    from bookbuild.paths import OutsideError, contained

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path)
    assert contained(tmp_path / "out", "a/b.html") == tmp_path / "out" / "a" / "b.html"
    for name in ("../x.html", "link/x.html", "/etc/x"):
        with pytest.raises(OutsideError, match="would be written outside"):
            contained(tmp_path / "out", name)
