"""Quarto shortcodes: meta, var, kbd and pagebreak expanded; the others reported where they stand."""

from __future__ import annotations

import io
import json
import subprocess

from bookbuild.cli import main
from bookbuild.qmd import parse_chapter
from bookbuild.shortcodes import ShortcodeContext, expand, find_shortcodes
from conftest import build_site

CHAPTER = """---
subtitle: The front matter's subtitle
---
# Shortcodes

Version {{< var version >}}, lead {{< var team.lead >}}, subtitle {{< meta subtitle >}}, book {{< meta book.title >}}.
Press {{< kbd Ctrl-C >}} to stop.

{{< pagebreak >}}

Escaped {{</* var version */>}}. Unknown {{< video https://example.org/v.mp4 >}}. Missing {{< var nope >}}.

`{{< var version >}}` in code is text.
"""


def shortcode_book(book_factory):
    root = book_factory({"codes.qmd": CHAPTER})
    (root / "_variables.yml").write_text('version: "2.1"\nteam:\n  lead: Ada\n')
    return root


def test_expansion_rules():
    chapter = parse_chapter("x.qmd", CHAPTER)
    context = ShortcodeContext(chapter.front_matter, {"book": {"title": "The Book"}},
                               {"version": "2.1", "team": {"lead": "Ada"}}, "html")
    found = {(s.line, s.col): expand(s, context) for s in find_shortcodes(chapter)}
    assert found == {
        (6, 9): ("2.1", None),
        (6, 35): ("Ada", None),
        (6, 67): ("The front matter's subtitle", None),
        (6, 95): ("The Book", None),
        (7, 7): ('`<kbd aria-hidden="true" data-mode="default" title="Ctrl-C">Ctrl-C</kbd><span class="visually-hidden">Ctrl-C</span>`{=html}', None),
        (9, 1): ("", None),
        (11, 9): ("{{< var version >}}", None),
        (11, 42): (None, "the 'video' shortcode is not supported (only meta, var, pagebreak, kbd, and include); it is shown as written"),
        (11, 91): (None, "'nope' is not in _variables.yml"),
    }  # and nothing from the code span on line 13
    latex = ShortcodeContext(chapter.front_matter, {}, {}, "latex")
    pagebreak = next(s for s in find_shortcodes(chapter) if s.name == "pagebreak")
    assert expand(pagebreak, latex) == ("`\\newpage{}`{=latex}", None)


def test_check_reports_what_cannot_be_expanded(book_factory):
    root = shortcode_book(book_factory)
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--project", str(root), "--format", "json"], out=out, err=err) == 0
    found = [(d["code"], d["line"], d["col"], d["message"]) for d in json.loads(out.getvalue())["diagnostics"]]
    assert found == [
        ("shortcode", 11, 42, "{{< video https://example.org/v.mp4 >}}: the 'video' shortcode is not supported "
                              "(only meta, var, pagebreak, kbd, and include); it is shown as written"),
        ("shortcode", 11, 91, "{{< var nope >}}: 'nope' is not in _variables.yml"),
    ]


def test_a_broken_variables_file_is_an_error_at_its_line(book_factory):
    root = shortcode_book(book_factory)
    (root / "_variables.yml").write_text('version: "2.1"\nteam: [unclosed\n')
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--project", str(root)], out=out, err=err) == 1
    assert "_variables.yml:3:1: error[yaml]:" in out.getvalue()


def test_expanded_in_the_page_and_the_pdf(book_factory, tmp_path):
    root = shortcode_book(book_factory)
    status, stdout, _ = build_site(root, tmp_path / "site")
    assert status == 0, stdout
    page = (tmp_path / "site" / "codes.html").read_text(encoding="utf-8")
    assert "Version 2.1, lead Ada, subtitle The front matter’s subtitle, book Test book." in page
    assert 'Press <kbd aria-hidden="true" data-mode="default" title="Ctrl-C">Ctrl-C</kbd><span class="visually-hidden">Ctrl-C</span> to stop.' in page
    assert "Escaped {{&lt; var version &gt;}}." in page
    assert "<code>{{&lt; var version &gt;}}</code> in code is text." in page

    out, err = io.StringIO(), io.StringIO()
    assert main(["pdf", "--project", str(root), "--output-dir", str(tmp_path / "pdf"),
                 "--cache-dir", str(tmp_path / "cache")], out=out, err=err) == 0, out.getvalue() + err.getvalue()
    pdf = next((tmp_path / "pdf").glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [" ".join(page.split()) for page in text.split("\f")]
    press = next(n for n, text in enumerate(pages) if "Press Ctrl-C to stop." in text)
    escaped = next(n for n, text in enumerate(pages) if "Escaped {{< var version >}}." in text)
    assert escaped == press + 1  # the page break


def test_keys_reach_into_lists_and_may_hold_escaped_dots_and_a_shortcode_may_break_a_line():
    chapter = parse_chapter("x.qmd", '---\ntitle: T\n---\nA {{< meta\nauthors.2 >}} b {{< meta nested.a\\\\.b.key >}}.\n'
                                     'Not over a blank line: {{< meta\n\nauthors.1 >}}\n')
    context = ShortcodeContext({"authors": ["Ada", "Grace"], "nested": {"a.b": {"key": "deep"}}}, {}, {}, "html")
    found = [(s.line, s.col, expand(s, context)) for s in find_shortcodes(chapter)]
    assert found == [(4, 3, ("Grace", None)), (5, 17, ("deep", None))]
    assert expand(find_shortcodes(parse_chapter("y.qmd", "{{< meta authors.3 >}}"))[0], context) == \
        (None, "'authors.3' is not in the front matter or _quarto.yml")


def test_raw_content_and_the_books_includes_are_expanded_as_text(book_factory, tmp_path):
    root = book_factory({"raw.qmd": """
        ---
        release: Release Candidate
        include-after-body:
          text: |
            <script>window.after = '{{< meta release >}}';</script>
        ---
        # Raw

        ```{=html}
        <script>window.block = '{{< meta release >}}', key = '{{< kbd Ctrl-C >}}';</script>
        ```

        Inline `<b data-v="{{< var version >}}">v</b>`{=html}, code `{{< var version >}}`.
        """}, extra_config="include-in-header: head.html\n")
    (root / "_variables.yml").write_text('version: "2.1"\n')
    (root / "head.html").write_text('<meta name="release" content="{{< var version >}}">\n')
    status, stdout, _ = build_site(root, tmp_path / "site")
    assert status == 0, stdout
    page = (tmp_path / "site" / "raw.html").read_text(encoding="utf-8")
    assert "<script>window.block = 'Release Candidate', key = 'Ctrl-C';</script>" in page
    assert "<script>window.after = 'Release Candidate';</script>" in page
    assert '<meta name="release" content="2.1">' in page
    assert 'Inline <b data-v="2.1">v</b>, code <code>{{&lt; var version &gt;}}</code>.' in page
