"""A book's own Lua filters, stylesheets and includes, in the website and the PDF.

Each test renders a small book and looks at what a reader gets: the page's
text and markup, the files copied into the site, the PDF's text, and the exact
diagnostics for what is wrong in the configuration.
"""

from __future__ import annotations

import re
from pathlib import Path

from bookbuild.check import check_book
from bookbuild.project import load_book
from bookbuild.render.html import HTML_FILTERS
from bookbuild.render.userfilters import chain
from bookbuild.useroptions import Entry, FilterSpec
from browser import Browser
from conftest import build_site, write_book
from test_pdf import built_pdf_text

SHOUT = """\
-- Upper-cases the text of [words]{.shout}.
function Span(el)
  if el.classes:includes('shout') then
    return pandoc.walk_inline(el, {Str = function(s) return pandoc.Str(s.text:upper()) end})
  end
end
"""

PER_FORMAT = """\
return {{Span = function(el)
  if el.classes:includes('fmt') then
    if quarto.doc.is_format('html') then return pandoc.Str('shown-in-html') end
    if quarto.doc.is_format('pdf') then return pandoc.Str('shown-in-pdf') end
  end
end}}
"""

INCLUDING = """\
function Pandoc(doc)
  if quarto.doc.is_format('html') then
    quarto.doc.include_text('in-header', '<meta name="included-by-a-filter" content="head">')
    quarto.doc.include_text('after-body', '<div id="filter-after-body">end</div>')
  else
    quarto.doc.use_latex_package('xspace')
    quarto.doc.include_text('in-header', '\\\\newcommand{\\\\fromfilter}{filter-macro\\\\xspace}')
    quarto.doc.include_text('before-body', 'Included by a filter: \\\\fromfilter.')
  end
end
"""

CHAPTER = """
    # Styles

    Say [it loud]{.shout} and [placeholder]{.fmt}.
    """


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def html_of(root: Path, tmp_path: Path, page: str = "ch.html") -> tuple[str, str, Path]:
    """Build the site (it must succeed); return (page HTML, stdout, site folder)."""
    out = tmp_path / "site"
    status, stdout, stderr = build_site(root, out, "--cache-dir", str(tmp_path / "cache"))
    assert status == 0, stdout + stderr
    return (out / page).read_text(encoding="utf-8"), stdout, out


def article(page: str) -> str:
    return page.split('<article class="chapter">', 1)[1].split("</article>", 1)[0]


# --------------------------------------------------------------------------- filters

def test_user_filters_change_the_html_and_know_the_format(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER}, "filters:\n  - filters/shout.lua\n  - filters/per-format.lua\n")
    write(root, "filters/shout.lua", SHOUT)
    write(root, "filters/per-format.lua", PER_FORMAT)
    page, stdout, _ = html_of(root, tmp_path)
    body = article(page)
    assert '<span class="shout">IT LOUD</span>' in body
    assert "shown-in-html" in body and "shown-in-pdf" not in body and "placeholder" not in body
    assert "0 errors, 0 warnings" in stdout


def test_the_pdf_gets_the_filters_and_the_includes(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER}, """\
filters:
  - filters/shout.lua
  - filters/per-format.lua
  - filters/including.lua
format:
  pdf:
    include-in-header:
      text: \\newcommand{\\ownmacro}{expanded-from-the-preamble}
    header-includes: |
      \\newcommand{\\othermacro}{from-header-includes}
      <script>only-for-html()</script>
    include-before-body:
      text: "Before the body: \\\\ownmacro, \\\\othermacro."
    include-after-body: parts/after.tex
""")
    write(root, "filters/shout.lua", SHOUT)
    write(root, "filters/per-format.lua", PER_FORMAT)
    write(root, "parts/after.tex", "After the body, from a file {{< var edition >}}.\n")
    write(root, "_variables.yml", "edition: second-edition\n")
    write(root, "filters/including.lua", INCLUDING)
    text = built_pdf_text(root, tmp_path)
    assert "After the body, from a file second-edition." in text  # shortcodes expand in includes, as on the website
    assert "Included by a filter: filter-macro." in text  # \\xspace, from the package the filter asked for
    assert "Say IT LOUD and shown-in-pdf." in text
    assert "shown-in-html" not in text and "only-for-html" not in text
    assert "Before the body: expanded-from-the-preamble, from-header-includes." in text
    # Where Pandoc puts them: after the title page and before the contents; at the end of the document.
    assert text.index("Before the body") < text.index("Contents") < text.index("Say IT LOUD") \
        < text.index("After the body, from a file")


def test_filters_run_at_their_entry_points(book_factory, tmp_path: Path) -> None:
    """Before the engine's filters a reference is still a citation and conditional content still a div;
    after them (a `quarto` entry, or `at: post-render`) neither is left."""
    probe = """\
function Pandoc(doc)
  local cites, conditional = 0, 0
  doc:walk({Cite = function() cites = cites + 1 end,
            Div = function(d) if d.classes:includes('content-visible') then conditional = conditional + 1 end end})
  doc.blocks:insert(pandoc.Para({pandoc.Str('probe-NAME:cites=' .. cites .. ',conditional=' .. conditional)}))
  return doc
end
"""
    root = book_factory({"ch.qmd": """
        # Probes {#sec-probes}

        See @sec-probes.

        ::: {.content-visible when-format="html"}
        Only on the web.
        :::
        """}, """\
filters:
  - filters/first.lua
  - path: filters/after-conditional.lua
    at: post-quarto
  - path: filters/before-rendering.lua
    at: pre-render
  - quarto
  - filters/last.lua
""")
    for name in ("first", "after-conditional", "before-rendering", "last"):
        write(root, f"filters/{name}.lua", probe.replace("NAME", name))
    probes = re.findall(r"probe-([a-z-]+):cites=(\d),conditional=(\d)", article(html_of(root, tmp_path)[0]))
    assert probes == [("first", "1", "1"), ("after-conditional", "1", "0"), ("before-rendering", "0", "0"),
                      ("last", "0", "0")]


def test_filters_include_text_in_the_page(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER, "two.qmd": "# Two\n"}, "filters:\n  - including.lua\n")
    write(root, "including.lua", INCLUDING)
    page, _, out = html_of(root, tmp_path)
    head, body = page.split("</head>", 1)
    assert head.count('<meta name="included-by-a-filter" content="head">') == 1
    assert body.endswith('<div id="filter-after-body">end</div>\n</body>\n</html>\n')
    assert "filter-after-body" in (out / "two.html").read_text(encoding="utf-8")


def test_where_each_entry_point_goes_in_the_chain(tmp_path: Path) -> None:
    entry = Entry("filters", "x.lua", "_quarto.yml", 1, tmp_path)
    specs = [FilterSpec(tmp_path / f"{at}.lua", at, entry) for at in ("post-render", "pre-render", "post-quarto", "pre-quarto")]
    names = [s if isinstance(s, str) else s.path.stem for s in chain(HTML_FILTERS, specs)]
    assert names == ["pre-quarto", "conditional", "codeescape", "list-table", "post-quarto", "crossref", "citeproc", "pre-render",
                     "latex-commands", "callouts", "layout", "floats", "titleblock", "post-render"]


def test_a_chapters_own_filters_apply_to_it_alone(book_factory, tmp_path: Path) -> None:
    root = book_factory({
        "ch.qmd": """
            ---
            filters:
              - shout.lua
            ---
            # One

            [quiet here]{.shout}
            """,
        "other.qmd": """
            # Two

            [quiet there]{.shout}
            """})
    write(root, "shout.lua", SHOUT)
    page, _, out = html_of(root, tmp_path)
    assert "QUIET HERE" in page
    assert "quiet there" in (out / "other.html").read_text(encoding="utf-8")


def test_an_extensions_filters_run_and_the_engines_own_are_not_run_twice(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER}, "filters:\n  - shouting\n  - custom-numbered-blocks\n  - diagram\n")
    write(root, "_extensions/someone/shouting/_extension.yml", "title: Shouting\ncontributes:\n  filters:\n    - shout.lua\n")
    write(root, "_extensions/someone/shouting/shout.lua", SHOUT)
    page, stdout, _ = html_of(root, tmp_path)
    assert "IT LOUD" in page and "0 errors, 0 warnings" in stdout
    write(root, "_quarto.yml", (root / "_quarto.yml").read_text().replace("shouting", "whispering"))
    (problem,) = [d for d in check_book(load_book(root)).diagnostics if d.is_error]
    assert (Path(problem.file).name, problem.line, problem.message) == (
        "_quarto.yml", 8, "filter 'whispering' is neither a file nor an extension installed in _extensions/")


def test_an_edited_filter_renders_again(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER}, "filters:\n  - shout.lua\n")
    filter_file = write(root, "shout.lua", SHOUT)
    assert "IT LOUD" in html_of(root, tmp_path)[0]
    filter_file.write_text(SHOUT.replace("upper", "reverse"), encoding="utf-8")
    assert "TI DUOL" not in (page := html_of(root, tmp_path)[0]) and "ti duol" in page


def test_add_html_dependency_links_and_copies_its_files(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER}, "filters:\n  - filters/dependency.lua\n")
    write(root, "filters/dependency.lua", """\
function Pandoc(doc)
  quarto.doc.add_html_dependency({name = 'glow', version = '1.2', stylesheets = {'glow.css'}, scripts = {'glow.js'}})
end
""")
    write(root, "filters/glow.css", ".shout { text-shadow: 0 0 2px gold; }\n")
    write(root, "filters/glow.js", "window.glowLoaded = true;\n")
    page, _, out = html_of(root, tmp_path)
    head = page.split("</head>", 1)[0]
    assert '<link rel="stylesheet" href="site_libs/quarto-contrib/glow-1.2/glow.css">' in head
    assert '<script src="site_libs/quarto-contrib/glow-1.2/glow.js"></script>' in head
    assert head.index("assets/book.css") < head.index("glow.css")
    assert (out / "site_libs/quarto-contrib/glow-1.2/glow.css").read_text() == ".shout { text-shadow: 0 0 2px gold; }\n"
    assert (out / "site_libs/quarto-contrib/glow-1.2/glow.js").is_file()


def test_quarto_functions_bookbuild_lacks_are_a_warning_naming_them(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER, "two.qmd": "# Two\n"}, "filters:\n  - filters/extra.lua\n")
    filter_file = write(root, "filters/extra.lua", """\
function Pandoc(doc)
  quarto.log.warning('checked', 2, 'things')
  quarto.doc.add_format_resource('x.png')
  return doc
end
""")
    page, stdout, _ = html_of(root, tmp_path)
    assert "Say" in page  # the filter still ran to its end
    lines = [row for row in stdout.splitlines() if "warning[" in row]
    # Once per build, though both chapters ran the filter.
    assert lines == [f"{filter_file.resolve()}:2:1: warning[filter-log]: checked 2 things",
                     f"{filter_file.resolve()}:3:1: warning[filter-quarto-api]: quarto.doc.add_format_resource "
                     "is not supported by bookbuild; it does nothing"]


def test_a_failing_filter_is_an_error_at_its_line(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER}, "filters:\n  - filters/broken.lua\n")
    filter_file = write(root, "filters/broken.lua", "function Str(el)\n  local missing = nil\n  return missing.text\nend\n")
    out = tmp_path / "site"
    status, stdout, _ = build_site(root, out, "--cache-dir", str(tmp_path / "cache"))
    assert status == 1
    assert (f"{filter_file.resolve()}:3:1: error[filter-failed]: Lua filter failed: "
            "attempt to index a nil value (local 'missing')") in stdout.splitlines()
    assert f"help: fix the filter (listed at {root / '_quarto.yml'}:8)" in stdout
    filter_file.write_text("function Str(el\n", encoding="utf-8")
    status, stdout, _ = build_site(root, out, "--cache-dir", str(tmp_path / "cache"))
    assert (status, f"{filter_file.resolve()}:2:1: error[filter-failed]: Lua filter failed: ')' expected near <eof>") \
        == (1, next(row for row in stdout.splitlines() if "error[" in row))


# --------------------------------------------------------------------------- styles and includes

def test_a_css_file_is_linked_after_the_engines_and_applies(tmp_path: Path) -> None:
    (tmp_path / "book" / "sub").mkdir(parents=True)
    root = write_book(tmp_path / "book", {"ch.qmd": CHAPTER, "sub/deeper.qmd": "# Deeper\n\n[x]{.shout}\n"},
                      "format:\n  html:\n    css: styles/own.css\n")
    write(root, "styles/own.css", ".shout { color: rgb(1, 2, 3); }\n")
    page, _, out = html_of(root, tmp_path)
    head = page.split("</head>", 1)[0]
    assert '<link rel="stylesheet" href="styles/own.css">' in head
    assert head.index("assets/book.css") < head.index("styles/own.css")
    assert '<link rel="stylesheet" href="../styles/own.css">' in (out / "sub/deeper.html").read_text(encoding="utf-8")
    assert (out / "styles/own.css").read_text(encoding="utf-8") == ".shout { color: rgb(1, 2, 3); }\n"
    with Browser() as browser:
        browser.open(out / "ch.html")
        assert browser.evaluate("getComputedStyle(document.querySelector('.shout')).color") == "rgb(1, 2, 3)"


def test_includes_go_into_the_head_and_around_the_body(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER}, """\
include-in-header:
  - text: <meta name="own-header" content="text">
  - parts/head.html
format:
  html:
    header-includes: |
      <meta name="from-header-includes" content="yes">
      \\usepackage{only-for-latex}
    include-before-body:
      text: <div id="before-body">first</div>
    include-after-body: [parts/after.html]
""")
    write(root, "parts/head.html", '<meta name="own-header-file" content="file">\n')
    write(root, "parts/after.html", '<div id="after-body">last</div>\n')
    page, _, _ = html_of(root, tmp_path)
    head, body = page.split("</head>", 1)
    assert '<meta name="own-header" content="text">\n<meta name="own-header-file" content="file">' in head
    assert '<meta name="from-header-includes" content="yes">' in head and "only-for-latex" not in page
    assert body.startswith('\n<body>\n<div id="before-body">first</div>\n')
    assert body.endswith('<div id="after-body">last</div>\n</body>\n</html>\n')


def test_missing_files_are_errors_at_their_config_line(book_factory) -> None:
    root = book_factory({"ch.qmd": """
        ---
        title: One
        format:
          html:
            css: nowhere.css
        ---
        # One
        """}, """\
filters:
  - filters/absent.lua
  - ../outside.lua
  - {path: filters/absent.lua, at: sometime}
css: styles/gone.css
format:
  pdf:
    include-in-header: parts/none.tex
    include-after-body:
      - text: fine
      - file: parts/neither.tex
""")
    (root.parent / "outside.lua").write_text("", encoding="utf-8")
    result = check_book(load_book(root))
    found = [(Path(d.file).name, d.line, d.code, d.message) for d in result.diagnostics if d.is_error]
    assert found == [
        ("_quarto.yml", 8, "filter-missing", "filter 'filters/absent.lua' does not exist"),
        ("_quarto.yml", 9, "filter-outside", "filter '../outside.lua' is outside the project"),
        ("_quarto.yml", 10, "filter-entry-point", "filter 'filters/absent.lua': unknown entry point 'at: sometime'"),
        ("_quarto.yml", 11, "stylesheet-missing", "stylesheet 'styles/gone.css' does not exist"),
        ("_quarto.yml", 14, "include-missing", "include 'parts/none.tex' does not exist"),
        ("_quarto.yml", 17, "include-missing", "include 'parts/neither.tex' does not exist"),
        ("ch.qmd", 5, "stylesheet-missing", "stylesheet 'nowhere.css' does not exist"),
    ]
    hint = next(d.hint for d in result.diagnostics if d.code == "filter-missing")
    assert hint == f"fix the path under 'filters:' (relative to the project folder: {root})"


# --------------------------------------------------------------------------- SCSS themes

THEME = """\
/*-- scss:defaults --*/
$primary: #0b6e4f;
$shout-color: darken($primary, 10%);

/*-- scss:rules --*/
.shout {
  color: $shout-color;
}
"""


def test_an_scss_theme_sets_the_books_colours_and_adds_its_rules(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER + "    See [a link](https://example.org).\n"},
                        "format:\n  html:\n    theme: [cosmo, styles/theme.scss]\n    css: styles/own.css\n")
    write(root, "styles/theme.scss", THEME)
    write(root, "styles/own.css", "p { letter-spacing: 0; }\n")
    page, stdout, out = html_of(root, tmp_path)
    head = page.split("</head>", 1)[0]
    assert head.index("assets/book.css") < head.index("site_libs/bookbuild/theme.css") < head.index("styles/own.css")
    assert ("_quarto.yml:9:1: warning[theme-builtin]: built-in theme 'cosmo' is not supported by bookbuild; "
            "the engine's own theme is used") in stdout
    with Browser() as browser:
        browser.open(out / "ch.html")
        assert browser.evaluate("getComputedStyle(document.querySelector('.shout')).color") == "rgb(6, 64, 46)"
        # $primary is the site's brand and link colour.
        assert browser.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()") \
            == "#0b6e4f"
        assert browser.evaluate("getComputedStyle(document.querySelector('article a[href^=\\'https\\']')).color") \
            == "rgb(11, 110, 79)"


def test_a_light_and_dark_theme_follow_the_readers_choice(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER}, """\
format:
  html:
    theme:
      light: styles/theme.scss
      dark: styles/dark.scss
""")
    write(root, "styles/theme.scss", THEME)
    write(root, "styles/dark.scss", THEME.replace("darken($primary, 10%)", "lighten($primary, 40%)"))
    _, _, out = html_of(root, tmp_path)
    shout = "getComputedStyle(document.querySelector('.shout')).color"
    with Browser() as browser:
        browser.open(out / "ch.html")
        browser.evaluate("document.documentElement.dataset.theme = 'light'")
        light = browser.evaluate(shout)
        browser.evaluate("document.documentElement.dataset.theme = 'dark'")
        dark = browser.evaluate(shout)
    assert (light, dark) == ("rgb(6, 64, 46)", "rgb(87, 238, 191)")


def test_an_scss_error_points_at_the_theme_file_line(book_factory, tmp_path: Path) -> None:
    root = book_factory({"ch.qmd": CHAPTER}, "theme: styles/theme.scss\n")
    theme_file = write(root, "styles/theme.scss", THEME.replace("color: $shout-color", "color: $no-such-colour"))
    status, stdout, _ = build_site(root, tmp_path / "site", "--cache-dir", str(tmp_path / "cache"))
    assert status == 1
    assert (f"{theme_file.resolve()}:7:10: error[theme-scss]: SCSS theme does not compile: "
            'Undefined variable: "$no-such-colour".') in stdout.splitlines()
