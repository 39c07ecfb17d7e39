"""The website theme: callout configuration, icons, stylesheet, script and the sample page.

Static checks read bookbuild/theme/ and mlsys/palette.yml. Browser checks stage
bookbuild/theme/sample.html as a one-page site (ml_systems.html beside
assets/book.css, assets/book.js and a search-index.js) and drive headless
Chromium through tests/browser.py. Chromium is required: without it these tests
fail, they are not skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from browser import Browser, find_chromium

REPO = Path(__file__).resolve().parents[1]
THEME = REPO / "bookbuild" / "theme"
ICONS = THEME / "icons"
PALETTE = REPO / "mlsys" / "palette.yml"
SVG_NS = "{http://www.w3.org/2000/svg}"

REQUIRED_KINDS = [
    "notebook", "definition", "checkpoint", "perspective", "lighthouse", "war-story", "takeaways",
    "chapter-connection", "note", "tip", "warning", "important", "caution", "default",
]

DESKTOP = dict(width=1440, height=900)
CLEAR_SEARCH = ("(() => { const i = document.getElementById('search-input'); i.focus(); i.value = '';"
                " i.dispatchEvent(new Event('input')); })()")
PHONE = dict(width=390, height=844, mobile=True)


# ------------------------------------------------------------------ helpers


def load_callouts() -> dict:
    return yaml.safe_load((THEME / "callouts.yml").read_text(encoding="utf-8"))


def load_palette() -> dict:
    assert PALETTE.is_file(), f"{PALETTE.relative_to(REPO)} is missing: callout colours are palette names"
    palette = yaml.safe_load(PALETTE.read_text(encoding="utf-8"))
    assert isinstance(palette, dict) and palette, "palette.yml must map colour names to #RRGGBB"
    return palette


class _Markup(HTMLParser):
    """Collects classes, ids, tags and the style of every callout of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: set[str] = set()
        self.ids: set[str] = set()
        self.tags: set[str] = set()
        self.callouts: list[tuple[str, str]] = []  # (kind, style)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        classes = (attrs.get("class") or "").split()
        self.classes.update(classes)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if "callout" in classes:
            kinds = [c[len("callout-"):] for c in classes if c.startswith("callout-")
                     and not c.startswith("callout-style-") and c not in ("callout-titled", "callout-no-icon")]
            self.callouts.append((kinds[0] if kinds else "", attrs.get("style") or ""))


def sample_markup() -> _Markup:
    parser = _Markup()
    parser.feed((THEME / "sample.html").read_text(encoding="utf-8"))
    return parser


def search_entries() -> list[dict]:
    """An index whose ranking the tests can predict."""
    chapter = "2 ML Systems"
    entries = [
        {"title": "Purpose", "chapter": chapter, "url": "ml_systems.html#sec-purpose",
         "text": "Why one model needs different engineering in a data centre and on a sensor; latency and energy differ."},
        {"title": "The Deployment Spectrum", "chapter": chapter, "url": "ml_systems.html#sec-spectrum",
         "text": "Hardware spans nine orders of magnitude in power. Latency to a distant server is set by the round trip."},
        {"title": "Round Trips", "chapter": chapter, "url": "ml_systems.html#sec-cloud",
         "text": "Light in fibre covers about 200 km per millisecond, so distance sets a floor on latency."},
        {"title": "Edge and Mobile", "chapter": chapter, "url": "ml_systems.html#sec-edge",
         "text": "Edge servers sit near the data; phones carry it. Heat limits sustained power."},
        {"title": "Numbers Every Tier Obeys", "chapter": chapter, "url": "ml_systems.html#sec-numbers",
         "text": "Energy adds up term by term: arithmetic, memory traffic and the radio. Caf\u00e9 r\u00e9sum\u00e9."},
    ]
    for i in range(30):
        entries.append({"title": f"Filler {i}", "chapter": "9 Other", "url": "ml_systems.html#sec-numbers",
                        "text": f"Paragraph {i} mentions energy once, among other words."})
    return entries


def stage_site(root: Path, *, index: bool = True, page_edit=None, name: str = "ml_systems.html") -> Path:
    """Lay out sample.html as the renderer would: page + assets/ + search-index.js."""
    (root / "assets").mkdir(parents=True, exist_ok=True)
    for asset in ("book.css", "book.js"):
        shutil.copy(THEME / asset, root / "assets" / asset)
    html = (THEME / "sample.html").read_text(encoding="utf-8")
    if page_edit:
        html = page_edit(html)
    (root / name).write_text(html, encoding="utf-8")
    if index:
        (root / "search-index.js").write_text(
            "window.BOOK_SEARCH_INDEX = " + json.dumps(search_entries()) + ";\n", encoding="utf-8")
    return root / name


def browser(**options) -> Browser:
    if not find_chromium():
        pytest.fail("headless Chromium is required for the theme's browser tests: "
                    "apt-get install chromium (or set CHROMIUM=/path/to/chrome)")
    return Browser(**options)


def assert_clean(b: Browser, allowed_missing: tuple[str, ...] = ()) -> None:
    b.pump(0.3)
    assert not b.errors, f"console errors / uncaught exceptions: {b.errors}"
    unexpected = [e for e in b.log_errors if not any(name in (e[1] + e[2]) for name in allowed_missing)]
    assert not unexpected, f"browser log errors: {unexpected}"


# ------------------------------------------------------------ callouts.yml


def test_callouts_config_is_complete_and_well_formed():
    config = load_callouts()
    assert isinstance(config, dict)
    missing = [k for k in REQUIRED_KINDS if k not in config]
    assert not missing, f"callouts.yml lacks {missing}"
    for kind, entry in config.items():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", kind), f"bad kind name {kind!r}"
        assert isinstance(entry, dict), f"{kind}: expected a mapping"
        assert set(entry) == {"label", "color", "icon"}, f"{kind}: keys must be label, color, icon; got {sorted(entry)}"
        assert isinstance(entry["label"], str) and entry["label"].strip(), f"{kind}: empty label"
        assert isinstance(entry["color"], str) and not entry["color"].startswith("#"), \
            f"{kind}: color must be a palette name, not {entry['color']!r}"
        assert re.fullmatch(r"[a-z0-9-]+\.svg", entry["icon"]), f"{kind}: icon must be a file name in icons/"


def test_callout_colours_are_palette_names():
    palette = load_palette()
    unknown = {k: e["color"] for k, e in load_callouts().items() if e["color"] not in palette}
    assert not unknown, f"colours not in mlsys/palette.yml: {unknown}"


def test_callout_icons_exist_and_are_valid_svg():
    for kind, entry in load_callouts().items():
        path = ICONS / entry["icon"]
        assert path.is_file(), f"{kind}: icon {entry['icon']} is missing from {ICONS.relative_to(REPO)}"


@pytest.mark.parametrize("icon", sorted(p.name for p in ICONS.glob("*.svg")) or ["<none>"])
def test_icon_is_a_plain_currentcolor_svg(icon):
    path = ICONS / icon
    assert path.is_file(), "bookbuild/theme/icons/ holds no icons"
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert root.tag == f"{SVG_NS}svg", f"{icon}: root element is {root.tag}"
    assert root.get("viewBox") == "0 0 24 24", f"{icon}: viewBox must be 0 0 24 24"
    assert "currentColor" in text, f"{icon}: draw with currentColor so CSS can colour it"
    colours = re.findall(r'(?:fill|stroke|color)\s*[=:]\s*"?\s*([^";\s]+)', text)
    fixed = [c for c in colours if c not in ("currentColor", "none")]
    assert not fixed, f"{icon}: fixed colours {fixed}"
    forbidden = [el.tag for el in root.iter() if el.tag.split("}")[-1] in ("script", "image", "foreignObject", "use")]
    assert not forbidden, f"{icon}: must be plain shapes, found {forbidden}"
    assert "http" not in text.replace("http://www.w3.org/2000/svg", ""), f"{icon}: no external references"


def test_every_icon_file_is_used():
    used = {e["icon"] for e in load_callouts().values()}
    unused = sorted(p.name for p in ICONS.glob("*.svg") if p.name not in used)
    assert not unused, f"icons no callout kind uses: {unused}"


# -------------------------------------------------------- css, js, sample


def test_stylesheet_is_offline_and_has_no_per_callout_colours():
    css = (THEME / "book.css").read_text(encoding="utf-8")
    assert css.count("{") == css.count("}"), "unbalanced braces in book.css"
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", css), "book.css must not load anything from the network"
    per_kind = [k for k in load_callouts() if re.search(rf"\.callout-{re.escape(k)}\b", css)]
    assert not per_kind, f"book.css styles callout kinds {per_kind}: colours come from --callout-color"
    brand = re.search(r"--brand:\s*(#[0-9A-Fa-f]{6})", css)
    assert brand and brand.group(1).upper() == load_palette()["primary"].upper(), \
        "book.css --brand must be the palette's primary colour"
    for needed in ("prefers-color-scheme: dark", '[data-theme="dark"]', '[data-theme="light"]', "@media print"):
        assert needed in css, f"book.css lacks {needed}"


def test_the_two_dark_themes_are_identical():
    """book.css states the dark theme twice (system preference, reader's choice): they must not drift."""
    css = (THEME / "book.css").read_text(encoding="utf-8")
    system = re.search(r'@media \(prefers-color-scheme: dark\) \{\s*:root:not\(\[data-theme="light"\]\) \{(.*?)\}', css, re.S)
    chosen = re.search(r':root\[data-theme="dark"\] \{(.*?)\}', css, re.S)
    assert system and chosen, "book.css lacks one of the dark themes"
    declarations = [sorted(" ".join(d.split()) for d in block.group(1).split(";") if d.strip()) for block in (system, chosen)]
    assert len(declarations[0]) > 20 and declarations[0] == declarations[1]


def test_script_uses_no_network():
    js = (THEME / "book.js").read_text(encoding="utf-8")
    for word in ("fetch(", "XMLHttpRequest", "http://", "https://", "import(", "eval("):
        assert word not in js, f"book.js must not use {word}"


def test_sample_shows_the_whole_markup_contract():
    markup = sample_markup()
    classes = {
        "topbar", "sidebar-toggle", "book-title", "search", "search-results", "theme-toggle", "page", "sidebar",
        "chapter-list", "part-title", "chapter", "current", "chapter-number", "content", "chapter-title",
        "header-section-number", "sidenote-ref", "sidenote", "sidenote-number", "quarto-xref", "xref-unresolved",
        "citation", "callout", "callout-style-default", "callout-titled", "callout-header", "callout-icon-container",
        "callout-icon", "callout-title-container", "callout-label", "callout-title", "callout-body-container", "callout-body",
        "task-list", "figure", "quarto-float", "quarto-figure", "quarto-float-fig", "quarto-float-tbl", "quarto-float-caption",
        "figure-img", "table-wrap", "equation", "equation-number",
        "column-margin", "layout-narrow", "chapter-minitoc", "mlsys-stack", "references", "csl-bib-body",
        "csl-entry", "page-nav", "prev", "next", "page-nav-label", "page-nav-title", "page-toc",
        "toc-section-number",
    }
    assert not classes - markup.classes, f"sample.html lacks classes {sorted(classes - markup.classes)}"
    ids = {"search-input", "search-results", "sidebar", "content", "TOC", "refs", "refs-section"}
    assert not ids - markup.ids, f"sample.html lacks ids {sorted(ids - markup.ids)}"
    assert {"details", "summary", "figure", "figcaption", "table", "caption", "math", "svg"} <= markup.tags


def test_sample_has_every_callout_kind_in_its_configured_colour():
    config, palette = load_callouts(), load_palette()
    shown = {}
    for kind, style in sample_markup().callouts:
        match = re.search(r"--callout-color:\s*(#[0-9A-Fa-f]{6})", style)
        assert match, f"callout-{kind} in sample.html has no --callout-color"
        shown.setdefault(kind, set()).add(match.group(1).upper())
    for kind in REQUIRED_KINDS:
        if kind == "default":
            others = [k for k in shown if k not in config]
            assert others, "sample.html shows no callout kind that falls back to `default`"
            kinds_and_entries = [(k, config["default"]) for k in others]
        else:
            assert kind in shown, f"sample.html shows no callout-{kind}"
            kinds_and_entries = [(kind, config[kind])]
        for k, entry in kinds_and_entries:
            expected = palette[entry["color"]].upper()
            assert shown[k] == {expected}, f"callout-{k}: sample colour {shown[k]} != palette {entry['color']} {expected}"


# ----------------------------------------------------------------- browser


def test_sample_page_desktop_layout(tmp_path):
    page = stage_site(tmp_path)
    with browser(**DESKTOP, color_scheme="light") as b:
        b.open(page)
        assert_clean(b)
        assert b.overflow_x() == 0, "the desktop page scrolls sideways"
        layout = b.evaluate("""(() => {
          const rect = e => e.getBoundingClientRect();
          const notes = [...document.querySelectorAll('.sidenote')];
          const para = document.getElementById('fnref1').closest('p');
          const eq = document.getElementById('eq-a');
          const math = eq.querySelector('math'), num = eq.querySelector('.equation-number');
          const toc = document.querySelector('.page-toc'), side = document.getElementById('sidebar');
          return {
            floats: notes.map(n => getComputedStyle(n).float),
            noteLefts: notes.map(n => Math.round(rect(n).left)),
            paraRight: rect(para).right,
            margin: getComputedStyle(document.querySelector('.column-margin')).float,
            tocShown: rect(toc).width > 0 && getComputedStyle(toc).display !== 'none',
            sidebarShown: rect(side).width > 0 && rect(side).left >= 0,
            eq: {mathMid: (rect(math).top + rect(math).bottom) / 2, numMid: (rect(num).top + rect(num).bottom) / 2,
                 mathCentre: (rect(math).left + rect(math).right) / 2, eqCentre: (rect(eq).left + rect(eq).right) / 2,
                 numRight: rect(num).right, eqRight: rect(eq).right, mathRight: rect(math).right, numLeft: rect(num).left},
            img: [rect(document.querySelector('#fig-a img')).width, rect(document.querySelector('article')).width],
            measure: rect(para).width / parseFloat(getComputedStyle(para).fontSize),
          };
        })()""")
    assert set(layout["floats"]) == {"right"}, "side notes float into the margin on wide screens"
    assert min(layout["noteLefts"]) > layout["paraRight"], "side notes sit right of the text column"
    assert max(layout["noteLefts"]) - min(layout["noteLefts"]) <= 2, \
        f"all side notes (also those inside callouts) share one margin column: {layout['noteLefts']}"
    assert layout["margin"] == "right"
    assert layout["tocShown"] and layout["sidebarShown"]
    eq = layout["eq"]
    assert abs(eq["mathMid"] - eq["numMid"]) < 12, "equation number on the math's line"
    assert abs(eq["numRight"] - eq["eqRight"]) < 2, "equation number right-aligned"
    assert abs(eq["mathCentre"] - eq["eqCentre"]) < 3, "math centred"
    assert eq["mathRight"] <= eq["numLeft"], "math and number do not overlap"
    assert layout["img"][0] <= layout["img"][1]
    assert 28 <= layout["measure"] <= 42, f"text column is {layout['measure']:.1f}em wide (aim: 65-75 characters)"


def test_sample_page_phone_layout(tmp_path):
    page = stage_site(tmp_path)
    with browser(**PHONE, color_scheme="light") as b:
        b.open(page)
        state = lambda: b.evaluate("""(() => {
          const s = document.getElementById('sidebar'), r = s.getBoundingClientRect();
          return {expanded: document.querySelector('.sidebar-toggle').getAttribute('aria-expanded'),
                  visible: getComputedStyle(s).visibility === 'visible' && r.right > 0 && r.left >= 0};
        })()""")
        assert state() == {"expanded": "false", "visible": False}, "the chapter list starts closed on a phone"
        facts = b.evaluate("""(() => {
          const wrap = document.querySelector('#tbl-tiers .table-wrap');
          const caption = document.querySelector('#tbl-tiers figcaption');
          const note = document.querySelector('.sidenote');
          return {
                  tableScrolls: wrap.scrollWidth > wrap.clientWidth,
                  captionFits: caption.getBoundingClientRect().width <= wrap.clientWidth + 1,
                  toc: getComputedStyle(document.querySelector('.page-toc')).display,
                  noteFloat: getComputedStyle(note).float, noteDisplay: getComputedStyle(note).display,
                  margin: getComputedStyle(document.querySelector('.column-margin')).float};
        })()""")
        assert b.overflow_x() == 0, f"the phone page is wider than the screen: {facts}"
        assert facts["tableScrolls"], "a wide table scrolls inside its .table-wrap"
        assert facts["captionFits"], "a scrolling table's caption stays as wide as the visible part"
        assert facts["toc"] == "none"
        assert facts["noteFloat"] == "none" and facts["noteDisplay"] == "none", "side notes fold inline on a phone"
        assert facts["margin"] == "none", "margin content flows inline on a phone"

        b.click(".sidebar-toggle")
        b.wait_for("getComputedStyle(document.getElementById('sidebar')).visibility === 'visible'")
        b.pump(0.4)  # the slide-in transition
        assert state() == {"expanded": "true", "visible": True}
        b.press("Escape")
        b.pump(0.4)
        assert state() == {"expanded": "false", "visible": False}

        b.click("#fnref1")
        note = b.evaluate("""(() => { const n = document.getElementById('fnref1').nextElementSibling;
          return [getComputedStyle(n).display, document.getElementById('fnref1').getAttribute('aria-expanded')]; })()""")
        assert note == ["block", "true"], "tapping a side note's number opens it"
        b.screenshot(tmp_path / "phone.png")
        assert_clean(b)


def test_theme_toggle_overrides_and_persists(tmp_path):
    page = stage_site(tmp_path)
    background = "getComputedStyle(document.body).backgroundColor"
    luminance = ("(() => { const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);"
                 " return (r + g + b) / 3; })()")
    with browser(**DESKTOP, color_scheme="light") as b:
        b.open(page)
        assert b.evaluate(luminance) > 200, "light by default when the system is light"
        assert b.evaluate("document.documentElement.getAttribute('data-theme')") is None
        b.click(".theme-toggle")
        assert b.evaluate("document.documentElement.getAttribute('data-theme')") == "dark"
        assert b.evaluate("localStorage.getItem('book-theme')") == "dark"
        assert b.evaluate(luminance) < 60
        assert b.evaluate("document.querySelector('.theme-toggle').getAttribute('aria-pressed')") == "true"
        b.open(page)  # a later page load keeps the reader's choice
        assert b.evaluate("document.documentElement.getAttribute('data-theme')") == "dark"
        assert b.evaluate(luminance) < 60
        b.click(".theme-toggle")
        assert b.evaluate("localStorage.getItem('book-theme')") == "light"
        assert b.evaluate(luminance) > 200, b.evaluate(background)
        assert_clean(b)

    with browser(**DESKTOP, color_scheme="dark") as b:
        b.open(page)
        assert b.evaluate(luminance) < 60, "dark follows prefers-color-scheme"
        # callout text stays readable in dark mode: a light label colour
        label = b.evaluate("""(() => { const c = getComputedStyle(document.querySelector('.callout-label')).color;
          const m = c.match(/[\\d.]+/g).map(Number); return c.startsWith('color(') ? m.slice(0, 3).map(v => v * 255) : m; })()""")
        assert sum(label[:3]) / 3 > 110, f"dark-mode callout label too dark: {label}"
        b.screenshot(tmp_path / "dark.png")
        b.click(".theme-toggle")
        assert b.evaluate("document.documentElement.getAttribute('data-theme')") == "light"
        assert b.evaluate(luminance) > 200
        assert_clean(b)


def test_search_ranks_filters_and_navigates(tmp_path):
    page = stage_site(tmp_path)
    results = """[...document.querySelectorAll('#search-results .search-result')].map(a => ({
        title: a.querySelector('.search-result-title').textContent,
        href: a.getAttribute('href'),
        marks: a.querySelectorAll('mark').length}))"""
    shown = "!document.getElementById('search-results').hidden"
    with browser(**DESKTOP) as b:
        b.open(page)
        b.evaluate("document.getElementById('search-input').focus()")
        b.type_text("latency")
        b.wait_for(f"{shown} && document.querySelectorAll('.search-result').length")
        hits = b.evaluate(results)
        titles = [h["title"] for h in hits]
        assert set(titles) == {"Purpose", "The Deployment Spectrum", "Round Trips"}
        assert all(h["marks"] for h in hits), "matches are highlighted"

        b.evaluate(CLEAR_SEARCH)
        b.type_text("round trip")
        b.wait_for("document.querySelector('.search-result-title') && document.querySelector('.search-result-title').textContent === 'Round Trips'")
        titles = [h["title"] for h in b.evaluate(results)]
        assert titles == ["Round Trips", "The Deployment Spectrum"], "all words must match; title matches first"

        b.press("Escape")
        assert b.evaluate("document.getElementById('search-results').hidden") is True
        b.press("ArrowDown")
        assert b.evaluate(shown)
        assert b.evaluate("document.querySelector('.search-result.is-active').textContent").startswith("Round Trips")
        b.press("ArrowDown")
        b.press("Enter")
        b.wait_for("location.hash === '#sec-spectrum'")
        assert b.evaluate("document.getElementById('search-results').hidden") is True

        b.evaluate(CLEAR_SEARCH)
        b.type_text("energy")
        b.wait_for("document.querySelectorAll('.search-result').length === 20")
        assert "of 32" in b.evaluate("document.querySelector('.search-status').textContent")

        b.evaluate(CLEAR_SEARCH)
        b.type_text("resume cafe")  # accents fold
        b.wait_for("document.querySelectorAll('.search-result').length === 1")

        b.evaluate(CLEAR_SEARCH)
        b.type_text("zzyzx")
        b.wait_for("document.querySelector('.search-status') && /No results/.test(document.querySelector('.search-status').textContent)")

        b.evaluate(CLEAR_SEARCH)
        b.type_text("edge")
        b.wait_for("document.querySelectorAll('.search-result').length")
        b.press("Enter")
        b.wait_for("location.hash === '#sec-edge'")
        assert_clean(b)


def test_no_errors_without_search_index_or_toc(tmp_path):
    def strip(html: str) -> str:
        html = re.sub(r'<aside class="page-toc".*?</aside>', "", html, flags=re.S)
        return re.sub(r'<span class="sidenote-ref"[^>]*>\d+</span><span class="sidenote" role="note">'
                      r'<span class="sidenote-number">\d+</span>.*?</span>', "", html, flags=re.S)

    page = stage_site(tmp_path / "bare", index=False, page_edit=strip)
    with browser(**DESKTOP) as b:
        b.open(page)
        assert b.evaluate("document.getElementById('TOC')") is None
        b.evaluate("window.scrollTo(0, 2000)")
        b.evaluate("document.getElementById('search-input').focus()")
        b.type_text("latency")
        b.wait_for("document.querySelector('.search-status') && /not available/.test(document.querySelector('.search-status').textContent)")
        b.press("Enter")
        b.press("Escape")
        assert_clean(b, allowed_missing=("search-index.js",))


def test_no_errors_on_a_page_with_none_of_the_furniture(tmp_path):
    def minimal(html: str) -> str:
        head = html.split("<body>", 1)[0]
        return head + "<body><main><p>Nothing else.</p></main></body></html>"

    page = stage_site(tmp_path, page_edit=minimal)
    with browser(**PHONE) as b:
        b.open(page)
        b.press("/")
        b.press("Escape")
        assert_clean(b)


def test_page_toc_highlights_the_current_section(tmp_path):
    page = stage_site(tmp_path)
    with browser(**DESKTOP) as b:
        b.open(page)
        b.evaluate("document.getElementById('sec-numbers').scrollIntoView({behavior: 'instant'})")
        b.wait_for("document.querySelector('#TOC a.active') && document.querySelector('#TOC a.active').getAttribute('href') === '#sec-numbers'")
        b.evaluate("document.getElementById('sec-cloud').scrollIntoView({behavior: 'instant'})")
        b.wait_for("document.querySelector('#TOC a.active').getAttribute('href') === '#sec-cloud'")
        assert b.evaluate("document.querySelectorAll('#TOC a.active').length") == 1
        assert_clean(b)


def test_wide_sidebar_toggle_folds_and_remembers(tmp_path):
    page = stage_site(tmp_path)
    with browser(**DESKTOP) as b:
        b.open(page)
        assert b.evaluate("document.querySelector('.sidebar-toggle').getAttribute('aria-expanded')") == "true"
        b.click(".sidebar-toggle")
        assert b.evaluate("getComputedStyle(document.getElementById('sidebar')).display") == "none"
        b.open(page)
        assert b.evaluate("getComputedStyle(document.getElementById('sidebar')).display") == "none"
        assert b.evaluate("document.querySelector('.sidebar-toggle').getAttribute('aria-expanded')") == "false"
        b.click(".sidebar-toggle")
        assert b.evaluate("getComputedStyle(document.getElementById('sidebar')).display") != "none"
        assert_clean(b)


def test_collapsed_callout_opens_for_print_and_print_hides_furniture(tmp_path):
    page = stage_site(tmp_path)
    with browser(**DESKTOP) as b:
        b.open(page)
        closed = "document.querySelectorAll('details.callout:not([open])').length"
        assert b.evaluate(closed) >= 1
        b.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert b.evaluate(closed) == 0
        b.evaluate("window.dispatchEvent(new Event('afterprint'))")
        assert b.evaluate(closed) >= 1
        b.emulate_media(media="print")
        hidden = b.evaluate("['.topbar', '.sidebar', '.page-toc', '.page-nav'].map(s => getComputedStyle(document.querySelector(s)).display)")
        assert set(hidden) == {"none"}
        png = b.screenshot()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert_clean(b)


def test_the_script_prints_the_books_words(tmp_path):
    """The words book.js prints come from the page's #book-language (bookbuild/language.py), English without it."""
    words = {"search-no-results-text": "Keine Treffer", "toggle-dark-mode-title": "Dunkel schalten",
             "sidenote-title": "Anmerkung", "search-results-text": "{0} Treffer"}
    script = f'<script type="application/json" id="book-language">{json.dumps(words)}</script>'
    page = stage_site(tmp_path, page_edit=lambda html: html.replace("</head>", script + "\n</head>", 1))
    with browser(**DESKTOP, color_scheme="light") as b:
        b.open(page)
        assert b.evaluate("document.querySelector('.theme-toggle').title") == "Dunkel schalten"
        assert b.evaluate("document.querySelector('.sidenote-ref').getAttribute('aria-label')") == "Anmerkung 1"
        b.evaluate("document.getElementById('search-input').focus()")
        b.type_text("zzyzx")
        b.wait_for("document.querySelector('.search-status') && /Keine Treffer/.test(document.querySelector('.search-status').textContent)")
        assert b.evaluate("document.querySelector('.search-status').textContent") == "Keine Treffer: \u201czzyzx\u201d"
        b.evaluate(CLEAR_SEARCH)
        b.type_text("round trip")
        b.wait_for("document.querySelectorAll('.search-result').length")
        assert b.evaluate("document.querySelector('.search-status').textContent").endswith(" Treffer")
        assert_clean(b)
    plain = stage_site(tmp_path / "plain")
    with browser(**DESKTOP, color_scheme="light") as b:
        b.open(plain)
        assert b.evaluate("document.querySelector('.theme-toggle').title") == "Switch to dark mode"
        assert_clean(b)
