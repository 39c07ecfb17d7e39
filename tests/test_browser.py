"""The rendered fixture in a real browser (Debian's headless Chromium).

Opens every page and asserts what a reader would notice: no script errors, no
source syntax on screen, every picture loaded, numbered references. Saves a
screenshot of the chapter to _build/screenshots/ for people to look at.
"""

from __future__ import annotations

import json

from browser import Browser
from conftest import REPO

LEAKS = ["{python}", "\\index", "\\begin", "$$", ":::"]
SCREENSHOTS = REPO / "_build" / "screenshots"


def test_every_page_in_chromium(fixture_site):
    out, status, _ = fixture_site
    assert status == 0
    pages = sorted(out.glob("*.html"))
    assert [p.name for p in pages] == ["index.html", "ml_systems.html"]
    with Browser(1440, 900) as browser:
        for page in pages:
            browser.open(page)
            browser.wait_for("document.readyState === 'complete'")
            text = browser.evaluate("document.body.innerText")
            for leak in LEAKS:
                assert leak not in text, f"{page.name} shows {leak!r}"
            broken = browser.evaluate(
                "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
            assert broken == [], f"{page.name}: images that did not load: {broken}"
        assert browser.errors == [], browser.errors

        browser.open(out / "ml_systems.html")
        counts = browser.evaluate("""({
            notebook: document.querySelectorAll('.callout-notebook').length,
            tikz: Array.from(document.querySelectorAll('figure.figure img')).filter(i => /tikz-/.test(i.src) && i.naturalWidth > 0).length,
            inlineSvg: Array.from(document.querySelectorAll('figure svg')).filter(s => s.getBoundingClientRect().width > 0).length,
            refs: Array.from(document.querySelectorAll('a.quarto-xref')).map(a => a.textContent),
        })""")
        assert counts["notebook"] == 11
        assert counts["tikz"] == 9
        assert counts["inlineSvg"] >= 1  # the stack diagram
        refs = counts["refs"]
        for kind in ("Figure", "Table", "Equation"):
            numbered = [r for r in refs if r.startswith(kind)]
            assert numbered and all(r.replace("\xa0", " ").replace("&nbsp;", " ").split(" ")[1][0].isdigit() for r in numbered), kind

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = browser.screenshot(SCREENSHOTS / "fixture-ml_systems.png")
        assert shot.startswith(b"\x89PNG")

        # Search works offline from file://: typing finds a section of the chapter.
        browser.click("#search-input")
        browser.type_text("speed of light")
        hits = browser.wait_for("Array.from(document.querySelectorAll('#search-results a')).map(a => a.getAttribute('href'))")
        assert any("ml_systems.html#" in h for h in json.loads(json.dumps(hits)))
        assert browser.errors == [], browser.errors


def test_a_value_shows_where_it_comes_from(fixture_site):
    out, _, _ = fixture_site
    with Browser(1440, 900) as browser:
        browser.open(out / "ml_systems.html")
        index = browser.evaluate("""(() => {
            const data = JSON.parse(document.getElementById('value-provenance').textContent);
            return Object.keys(data).find(k => data[k].expr === 'sol_kms_str');
        })()""")
        assert index is not None
        browser.click(f'span.computed[data-value="{index}"]')
        card = browser.wait_for("(() => { const c = document.querySelector('.provenance-card'); "
                                "return c && !c.hidden && c.innerText; })()")
        assert "sol_kms_str" in card
        assert "computed in cell distance-penalty (line 1200)" in card
        assert "SPEED_OF_LIGHT_FIBER_KM_S = 200,000 km / s" in card
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.screenshot(SCREENSHOTS / "fixture-provenance.png")
        browser.press("Escape")
        assert browser.evaluate("document.querySelector('.provenance-card').hidden") is True
        assert browser.errors == [], browser.errors


def test_a_hand_typed_value_shows_its_literal_and_no_constant(fixture_site):
    out, _, _ = fixture_site
    with Browser(1440, 900) as browser:
        browser.open(out / "ml_systems.html")
        index = browser.evaluate("""(() => {
            const data = JSON.parse(document.getElementById('value-provenance').textContent);
            return Object.keys(data).find(k => data[k].expr === 'cloud_latency_range_str');
        })()""")
        browser.click(f'span.computed[data-value="{index}"]')
        card = browser.wait_for("(() => { const c = document.querySelector('.provenance-card'); "
                                "return c && !c.hidden && c.innerText; })()")
        assert "no sourced constants" in card and "typed by hand (no source):" in card
        assert 'cell ml-systems-setup:104: "100-500"' in card
        assert "PHONE_BATTERY_WH" not in card and " = " not in card
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.screenshot(SCREENSHOTS / "fixture-lineage-literal.png")
        assert browser.errors == [], browser.errors


def test_phone_layout_and_dark_mode(fixture_site):
    out, _, _ = fixture_site
    with Browser(390, 844, mobile=True, color_scheme="dark") as browser:
        browser.open(out / "ml_systems.html")
        overflow = browser.overflow_x()
        assert overflow <= 1, f"the page is {overflow}px wider than a phone screen"
        sidebar_hidden = browser.evaluate(
            "getComputedStyle(document.getElementById('sidebar')).visibility === 'hidden' || "
            "document.getElementById('sidebar').getBoundingClientRect().right <= 0")
        assert sidebar_hidden
        background = browser.evaluate("getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in background[background.index("(") + 1:background.index(")")].split(",")[:3]]
        assert sum(channels) < 3 * 80, f"dark mode background is {background}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.screenshot(SCREENSHOTS / "fixture-ml_systems-phone-dark.png")
        assert browser.errors == [], browser.errors


def test_tabsets_switch_and_open_for_a_link_into_them(book_factory, tmp_path):
    from conftest import build_site

    root = book_factory({"tabs.qmd": """
        # Tabs

        ## Before {#sec-before}

        ::: {.panel-tabset}
        ## Python

        Python panel.

        ## Rust

        Rust panel with a table.

        | a |
        |---|
        | 1 |

        : In a tab {#tbl-in-tab}
        :::

        ## After {#sec-after}

        See @tbl-in-tab.
        """})
    status, stdout, _ = build_site(root, tmp_path / "site")
    assert status == 0, stdout
    page = tmp_path / "site" / "tabs.html"
    html = page.read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
    assert 'header-section-number">1.2</span> After' in html  # tab titles are not sections
    with Browser(1440, 900) as browser:
        browser.open(page)
        browser.wait_for("document.querySelector('.panel-tabset.tabs-ready') !== null")
        shown = "Array.from(document.querySelectorAll('.tab-pane')).map(p => p.offsetHeight > 0)"
        assert browser.evaluate(shown) == [True, False]
        browser.click("#tabset-1-2-tab")
        assert browser.evaluate(shown) == [False, True]
        browser.press("ArrowLeft")
        assert browser.evaluate(shown) == [True, False]
        browser.click("a.quarto-xref[href='#tbl-in-tab']")
        browser.wait_for("document.getElementById('tabset-1-2').offsetHeight > 0")
        assert browser.evaluate("document.getElementById('tabset-1-2-tab').getAttribute('aria-selected')") == "true"
        assert browser.errors == [], browser.errors
