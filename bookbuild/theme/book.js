/* book.js: the book website's behaviour. Vanilla JavaScript, no dependencies,
 * no network. Every feature first checks that its markup is on the page, so a
 * page without a search index, a TOC or side notes runs without errors.
 *
 *   theme      .theme-toggle sets <html data-theme="dark|light">, remembered
 *   sidebar    .sidebar-toggle opens/closes #sidebar (<html data-sidebar>)
 *   side notes below 1300px a .sidenote opens when its .sidenote-ref is tapped
 *   search     #search-input over window.BOOK_SEARCH_INDEX (search-index.js)
 *   page TOC   highlights the section being read (a.active in #TOC)
 *   details    opens a closed callout that holds a link target; opens all
 *              callouts for printing
 *
 * Breakpoints match book.css.
 */
(function () {
  "use strict";

  var doc = document;
  var root = doc.documentElement;
  var NARROW_SIDEBAR = "(max-width: 899.98px)";
  var MARGIN_NOTES = "(min-width: 1300px)";
  var THEME_KEY = "book-theme";
  var SIDEBAR_KEY = "book-sidebar";

  root.classList.add("js");

  // ------------------------------------------------------------- helpers

  var storage = {
    get: function (key) {
      try { return window.localStorage.getItem(key); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, value); } catch (e) { /* private mode, file:// quirks */ }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
    }
  };

  function media(query) {
    if (typeof window.matchMedia === "function") return window.matchMedia(query);
    return { matches: false, addEventListener: function () {}, addListener: function () {} };
  }

  function onMediaChange(mq, handler) {
    if (typeof mq.addEventListener === "function") mq.addEventListener("change", handler);
    else if (typeof mq.addListener === "function") mq.addListener(handler);
  }

  // The words this script prints: the book's (language: in _quarto.yml, passed in
  // <script id="book-language">, see bookbuild/language.py), else these.
  var WORDS = {
    "toggle-light-mode-title": "Switch to light mode",
    "toggle-dark-mode-title": "Switch to dark mode",
    "search-no-results-text": "No results",
    "search-results-title": "Search results",
    "search-unavailable-text": "Search is not available: this page has no search index.",
    "search-result-text": "{0} result",
    "search-results-text": "{0} results",
    "search-top-results-text": "Top {0} of {1} results",
    "sidenote-title": "Note"
  };
  (function readWords() {
    var node = doc.getElementById("book-language");
    if (!node) return;
    try {
      var given = JSON.parse(node.textContent);
      Object.keys(given).forEach(function (key) {
        if (typeof given[key] === "string") WORDS[key] = given[key];
      });
    } catch (e) { /* keep the defaults */ }
  })();

  // "Top {0} of {1} results" with its numbers.
  function word(key) {
    var args = Array.prototype.slice.call(arguments, 1);
    return WORDS[key].replace(/\{(\d)\}/g, function (_, n) { return String(args[+n]); });
  }

  function topbarHeight() {
    var bar = doc.querySelector(".topbar");
    return bar ? bar.getBoundingClientRect().height : 0;
  }

  // --------------------------------------------------------------- theme
  // Applied at once (before the rest of the page is wired) to keep the
  // flash of the wrong theme as short as a deferred script allows.

  var darkQuery = media("(prefers-color-scheme: dark)");

  function storedTheme() {
    var value = storage.get(THEME_KEY);
    return value === "dark" || value === "light" ? value : null;
  }

  function currentTheme() {
    var chosen = root.getAttribute("data-theme");
    if (chosen === "dark" || chosen === "light") return chosen;
    return darkQuery.matches ? "dark" : "light";
  }

  (function applyStoredTheme() {
    var theme = storedTheme();
    if (theme) root.setAttribute("data-theme", theme);
  })();

  function initTheme() {
    var button = doc.querySelector(".theme-toggle");

    function refresh() {
      if (!button) return;
      var dark = currentTheme() === "dark";
      button.setAttribute("aria-pressed", dark ? "true" : "false");
      button.title = word(dark ? "toggle-light-mode-title" : "toggle-dark-mode-title");
    }

    if (button) {
      button.addEventListener("click", function () {
        var next = currentTheme() === "dark" ? "light" : "dark";
        root.setAttribute("data-theme", next);
        storage.set(THEME_KEY, next);
        refresh();
      });
    }
    onMediaChange(darkQuery, refresh);
    window.addEventListener("storage", function (event) {
      if (event.key !== THEME_KEY) return;
      var theme = storedTheme();
      if (theme) root.setAttribute("data-theme", theme);
      else root.removeAttribute("data-theme");
      refresh();
    });
    refresh();
  }

  // ------------------------------------------------------------- sidebar
  // Wide screens: the chapter list shows unless the reader folded it away
  // (remembered). Narrow screens: a drawer, closed on every page load.

  function initSidebar() {
    var sidebar = doc.getElementById("sidebar");
    var toggle = doc.querySelector(".sidebar-toggle");
    var narrow = media(NARROW_SIDEBAR);
    if (!sidebar) {
      if (toggle) toggle.hidden = true;
      return;
    }

    function isOpen() {
      var state = root.getAttribute("data-sidebar");
      return narrow.matches ? state === "open" : state !== "closed";
    }

    function refresh() {
      if (toggle) toggle.setAttribute("aria-expanded", isOpen() ? "true" : "false");
    }

    function revealCurrent() {
      var current = sidebar.querySelector('[aria-current="page"]');
      if (!current) return;
      var top = current.offsetTop - sidebar.clientHeight / 3;
      if (current.offsetTop + current.offsetHeight > sidebar.clientHeight) sidebar.scrollTop = Math.max(0, top);
    }

    function setOpen(open, moveFocus) {
      if (narrow.matches) {
        if (open) root.setAttribute("data-sidebar", "open");
        else root.removeAttribute("data-sidebar");
        if (open && moveFocus) {
          var target = sidebar.querySelector('[aria-current="page"]') || sidebar.querySelector("a");
          if (target) {
            try { target.focus({ preventScroll: true }); } catch (e) { target.focus(); }
          }
        }
      } else {
        if (open) root.removeAttribute("data-sidebar");
        else root.setAttribute("data-sidebar", "closed");
        if (open) storage.remove(SIDEBAR_KEY);
        else storage.set(SIDEBAR_KEY, "closed");
      }
      refresh();
    }

    function applyDefault() {
      if (!narrow.matches && storage.get(SIDEBAR_KEY) === "closed") root.setAttribute("data-sidebar", "closed");
      else root.removeAttribute("data-sidebar");
      refresh();
    }

    if (toggle) {
      toggle.addEventListener("click", function () {
        setOpen(!isOpen(), true);
      });
    }
    // While the drawer is open, a click outside it only closes it; a click
    // on one of its links closes it and follows the link.
    doc.addEventListener("click", function (event) {
      if (!narrow.matches || !isOpen()) return;
      if (sidebar.contains(event.target)) {
        if (event.target.closest && event.target.closest("a")) setOpen(false, false);
        return;
      }
      if (toggle && toggle.contains(event.target)) return;
      event.preventDefault();
      event.stopPropagation();
      setOpen(false, false);
    }, true);
    doc.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !narrow.matches || !isOpen()) return;
      setOpen(false, false);
      if (toggle) toggle.focus();
    });
    onMediaChange(narrow, applyDefault);

    applyDefault();
    revealCurrent();
  }

  // ---------------------------------------------------------- side notes

  function initSidenotes() {
    var refs = doc.querySelectorAll(".sidenote-ref");
    if (!refs.length) return;
    var inMargin = media(MARGIN_NOTES);

    Array.prototype.forEach.call(refs, function (ref, index) {
      var note = ref.nextElementSibling;
      if (!note || !note.classList.contains("sidenote")) return;
      if (!note.id) note.id = "sidenote-" + (index + 1);
      ref.setAttribute("role", "button");
      ref.setAttribute("tabindex", "0");
      ref.setAttribute("aria-controls", note.id);
      ref.setAttribute("aria-expanded", "false");
      ref.setAttribute("aria-label", word("sidenote-title") + " " + ref.textContent.trim());

      function activate() {
        if (inMargin.matches) {
          note.classList.add("is-highlighted");
          window.setTimeout(function () { note.classList.remove("is-highlighted"); }, 1400);
          return;
        }
        var open = note.classList.toggle("is-open");
        ref.setAttribute("aria-expanded", open ? "true" : "false");
      }

      ref.addEventListener("click", activate);
      ref.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          activate();
        }
      });
    });
  }

  // -------------------------------------------------------------- search

  var MAX_RESULTS = 20;
  var ASCII = /^[\x00-\x7f]*$/;
  var MARKS = /[\u0300-\u036f]/g;
  var EDGE_PUNCT = /^[^0-9A-Za-z\u00c0-\uffff]+|[^0-9A-Za-z\u00c0-\uffff]+$/g;

  // Lower case without accents, one output character per input character so
  // offsets found in the folded text are offsets in the original text.
  function fold(text) {
    if (ASCII.test(text)) return text.toLowerCase();
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      var f = c.toLowerCase();
      if (f.length !== 1) f = c;
      else if (f > "\u007f" && typeof f.normalize === "function") {
        var bare = f.normalize("NFD").replace(MARKS, "");
        if (bare.length === 1) f = bare;
      }
      out += f;
    }
    return out;
  }

  function queryWords(query) {
    var seen = {};
    return fold(query).split(/\s+/).map(function (w) {
      return w.replace(EDGE_PUNCT, "");
    }).filter(function (w) {
      if (!w || seen[w]) return false;
      seen[w] = true;
      return true;
    });
  }

  function isWordStart(text, at) {
    return at === 0 || !/[0-9a-z\u00c0-\uffff]/.test(text.charAt(at - 1));
  }

  function countOf(text, word, cap) {
    var n = 0, at = text.indexOf(word);
    while (at !== -1 && n < cap) {
      n++;
      at = text.indexOf(word, at + word.length);
    }
    return n;
  }

  var prepared = null;

  // Index URLs are relative to the site's root, where search-index.js is: resolve them
  // against that script's address, so results work from pages in nested folders.
  function siteUrl(url) {
    var script = doc.querySelector('script[src$="search-index.js"]');
    try { return new URL(url, script ? script.src : window.location.href).href; } catch (e) { return url; }
  }

  function searchIndex() {
    if (prepared) return prepared;
    var raw = window.BOOK_SEARCH_INDEX;
    if (!Array.isArray(raw)) return null;
    prepared = [];
    raw.forEach(function (entry, order) {
      if (!entry || typeof entry !== "object") return;
      var title = String(entry.title || ""), chapter = String(entry.chapter || "");
      var text = String(entry.text || ""), url = String(entry.url || "");
      if (!url) return;
      prepared.push({
        order: order, title: title, chapter: chapter, text: text, url: url,
        titleF: fold(title), chapterF: fold(chapter), textF: fold(text)
      });
    });
    return prepared;
  }

  function scoreEntry(entry, words, phrase) {
    var score = 0;
    for (var i = 0; i < words.length; i++) {
      var w = words[i];
      var inTitle = entry.titleF.indexOf(w);
      var inText = entry.textF.indexOf(w);
      var inChapter = entry.chapterF.indexOf(w);
      if (inTitle === -1 && inText === -1 && inChapter === -1) return 0;
      if (inTitle !== -1) score += 12 + (isWordStart(entry.titleF, inTitle) ? 6 : 0);
      if (inChapter !== -1) score += 2;
      if (inText !== -1) score += 1 + (isWordStart(entry.textF, inText) ? 1 : 0) + countOf(entry.textF, w, 6) * 0.5;
    }
    if (phrase) {
      if (entry.titleF.indexOf(phrase) !== -1) score += 20;
      if (entry.textF.indexOf(phrase) !== -1) score += 6;
    }
    if (entry.titleF === words.join(" ")) score += 10;
    return score;
  }

  function runSearch(query) {
    var index = searchIndex();
    if (!index) return null;
    var words = queryWords(query);
    if (!words.length) return { words: words, total: 0, hits: [] };
    var phrase = words.length > 1 ? words.join(" ") : "";
    var hits = [];
    for (var i = 0; i < index.length; i++) {
      var score = scoreEntry(index[i], words, phrase);
      if (score > 0) hits.push({ entry: index[i], score: score });
    }
    hits.sort(function (a, b) { return b.score - a.score || a.entry.order - b.entry.order; });
    return { words: words, phrase: phrase, total: hits.length, hits: hits.slice(0, MAX_RESULTS) };
  }

  // The passage of `text` around the best match, trimmed to whole words.
  function snippetOf(entry, words, phrase) {
    var text = entry.text, folded = entry.textF, at = -1, len = 0;
    if (phrase) { at = folded.indexOf(phrase); len = phrase.length; }
    if (at === -1) {
      var sorted = words.slice().sort(function (a, b) { return b.length - a.length; });
      for (var i = 0; i < sorted.length && at === -1; i++) { at = folded.indexOf(sorted[i]); len = sorted[i].length; }
    }
    var start = 0, end = Math.min(text.length, 170);
    if (at !== -1) {
      start = Math.max(0, at - 60);
      end = Math.min(text.length, at + len + 110);
    }
    if (start > 0) {
      var space = text.indexOf(" ", start);
      if (space !== -1 && space < at) start = space + 1;
    }
    if (end < text.length) {
      var back = text.lastIndexOf(" ", end);
      if (back > Math.max(start, at + len)) end = back;
    }
    return { text: text.slice(start, end), before: start > 0, after: end < text.length };
  }

  // Append `text` to `parent` with every query word wrapped in <mark>.
  function appendHighlighted(parent, text, words) {
    var folded = fold(text), ranges = [];
    words.forEach(function (w) {
      var at = folded.indexOf(w);
      while (at !== -1) {
        ranges.push([at, at + w.length]);
        at = folded.indexOf(w, at + w.length);
      }
    });
    ranges.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    ranges.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    });
    var pos = 0;
    merged.forEach(function (r) {
      if (r[0] > pos) parent.appendChild(doc.createTextNode(text.slice(pos, r[0])));
      var mark = doc.createElement("mark");
      mark.textContent = text.slice(r[0], r[1]);
      parent.appendChild(mark);
      pos = r[1];
    });
    if (pos < text.length) parent.appendChild(doc.createTextNode(text.slice(pos)));
  }

  function initSearch() {
    var input = doc.getElementById("search-input");
    var panel = doc.getElementById("search-results");
    if (!input || !panel) return;
    var box = input.closest(".search") || input.parentNode;
    var active = -1;
    var timer = 0;
    var lastQuery = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", "search-results");
    input.setAttribute("aria-expanded", "false");

    function results() { return panel.querySelectorAll(".search-result"); }

    function open() {
      panel.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      panel.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function setActive(i) {
      var items = results();
      if (!items.length) { active = -1; return; }
      active = (i + items.length) % items.length;
      Array.prototype.forEach.call(items, function (item, k) {
        var on = k === active;
        item.classList.toggle("is-active", on);
        item.setAttribute("aria-selected", on ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", items[active].id);
      var item = items[active];
      var top = item.offsetTop, bottom = top + item.offsetHeight;
      if (top < panel.scrollTop) panel.scrollTop = top;
      else if (bottom > panel.scrollTop + panel.clientHeight) panel.scrollTop = bottom - panel.clientHeight;
    }

    function status(text) {
      var line = doc.createElement("div");
      line.className = "search-status";
      line.setAttribute("role", "status");
      line.textContent = text;
      panel.appendChild(line);
    }

    function render(query) {
      lastQuery = query;
      panel.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!query.trim()) { close(); return; }
      var found = runSearch(query);
      if (!found) {
        status(word("search-unavailable-text"));
        open();
        return;
      }
      if (!found.words.length) { close(); return; }
      if (!found.hits.length) {
        status(word("search-no-results-text") + ": \u201c" + query.trim() + "\u201d");
        open();
        return;
      }
      status(found.total > found.hits.length
        ? word("search-top-results-text", found.hits.length, found.total)
        : word(found.total === 1 ? "search-result-text" : "search-results-text", found.total));
      var list = doc.createElement("div");
      list.className = "search-result-list";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", word("search-results-title"));
      found.hits.forEach(function (hit, k) {
        var e = hit.entry;
        var a = doc.createElement("a");
        a.className = "search-result";
        a.id = "search-result-" + k;
        a.href = siteUrl(e.url);
        a.setAttribute("role", "option");
        a.setAttribute("aria-selected", "false");
        var title = doc.createElement("span");
        title.className = "search-result-title";
        appendHighlighted(title, e.title || e.url, found.words);
        a.appendChild(title);
        if (e.chapter && e.chapter !== e.title) {
          var chapter = doc.createElement("span");
          chapter.className = "search-result-chapter";
          chapter.textContent = e.chapter;
          a.appendChild(chapter);
        }
        if (e.text) {
          var cut = snippetOf(e, found.words, found.phrase);
          var snippet = doc.createElement("span");
          snippet.className = "search-result-snippet";
          appendHighlighted(snippet, (cut.before ? "\u2026" : "") + cut.text + (cut.after ? "\u2026" : ""), found.words);
          a.appendChild(snippet);
        }
        list.appendChild(a);
      });
      panel.appendChild(list);
      open();
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { render(input.value); }, 60);
    }

    function follow(link) {
      close();
      window.location.href = link.href;
    }

    input.addEventListener("input", schedule);
    input.addEventListener("focus", function () {
      if (input.value.trim()) {
        if (input.value === lastQuery && panel.childNodes.length) open();
        else render(input.value);
      }
    });
    input.addEventListener("keydown", function (event) {
      var items;
      switch (event.key) {
        case "ArrowDown":
        case "ArrowUp":
          if (panel.hidden) render(input.value);
          if (results().length) {
            event.preventDefault();
            setActive(active === -1 && event.key === "ArrowUp" ? -1 : active + (event.key === "ArrowDown" ? 1 : -1));
          }
          break;
        case "Enter":
          window.clearTimeout(timer);
          if (input.value !== lastQuery) render(input.value);
          items = results();
          if (items.length) {
            event.preventDefault();
            follow(items[active >= 0 ? active : 0]);
          }
          break;
        case "Escape":
          event.preventDefault();
          if (!panel.hidden) close();
          else if (input.value) { input.value = ""; render(""); }
          else input.blur();
          break;
        default:
          break;
      }
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
        input.focus();
      }
    });
    panel.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest(".search-result") : null;
      if (link) close();
    });
    doc.addEventListener("click", function (event) {
      if (!panel.hidden && !box.contains(event.target)) close();
    });
    // "/" or Ctrl/Cmd+K from anywhere outside a text field focuses the search
    doc.addEventListener("keydown", function (event) {
      var t = event.target;
      var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
      var slash = event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey;
      var ctrlK = (event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey);
      if (slash || ctrlK) {
        event.preventDefault();
        input.focus();
        input.select();
      }
    });
  }

  // -------------------------------------------------------- page TOC spy

  function initTocSpy() {
    var toc = doc.getElementById("TOC");
    if (!toc) return;
    var links = toc.querySelectorAll('a[href^="#"]');
    var entries = [];
    Array.prototype.forEach.call(links, function (link) {
      var id;
      try { id = decodeURIComponent(link.getAttribute("href").slice(1)); } catch (e) { return; }
      var heading = id && doc.getElementById(id);
      if (heading) entries.push({ heading: heading, link: link });
    });
    if (!entries.length) return;
    entries.sort(function (a, b) {
      return a.heading.compareDocumentPosition(b.heading) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    var scroller = toc.closest(".page-toc") || toc;
    var current = null;
    var pending = false;

    function update() {
      pending = false;
      var line = topbarHeight() + Math.min(window.innerHeight * 0.3, 220);
      var found = null;
      for (var i = 0; i < entries.length; i++) {
        if (entries[i].heading.getBoundingClientRect().top <= line) found = entries[i];
        else break;
      }
      var scrolling = doc.scrollingElement || root;
      if (scrolling.scrollTop + window.innerHeight >= scrolling.scrollHeight - 4) {
        for (var k = entries.length - 1; k >= 0; k--) {
          if (entries[k].heading.getBoundingClientRect().top < window.innerHeight) { found = entries[k]; break; }
        }
      }
      if (found === current) return;
      if (current) {
        current.link.classList.remove("active");
        current.link.removeAttribute("aria-current");
      }
      current = found;
      if (!current) return;
      current.link.classList.add("active");
      current.link.setAttribute("aria-current", "location");
      // keep the highlighted entry visible inside a scrolling TOC
      if (scroller.scrollHeight > scroller.clientHeight) {
        var linkTop = current.link.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop;
        if (linkTop < scroller.scrollTop + 40 || linkTop > scroller.scrollTop + scroller.clientHeight - 60) {
          scroller.scrollTop = Math.max(0, linkTop - scroller.clientHeight / 3);
        }
      }
    }

    function schedule() {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(update);
    }

    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(schedule, { rootMargin: "0px 0px -55% 0px", threshold: [0, 1] });
      entries.forEach(function (e) { observer.observe(e.heading); });
    }
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    window.addEventListener("hashchange", schedule);
    update();
  }

  // ------------------------------------------------- collapsed callouts

  function initDetails() {
    function openTarget() {
      var id;
      try { id = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return; }
      if (!id) return;
      var target = doc.getElementById(id);
      if (!target) return;
      var opened = false;
      for (var el = target.parentElement; el; el = el.parentElement) {
        if (el.tagName === "DETAILS" && !el.open) { el.open = true; opened = true; }
      }
      if (opened) target.scrollIntoView();
    }
    window.addEventListener("hashchange", openTarget);
    openTarget();

    var reopened = [];
    window.addEventListener("beforeprint", function () {
      Array.prototype.forEach.call(doc.querySelectorAll("details:not([open])"), function (d) {
        d.open = true;
        reopened.push(d);
      });
    });
    window.addEventListener("afterprint", function () {
      reopened.forEach(function (d) { d.open = false; });
      reopened = [];
    });
  }

  // ------------------------------------------------------------ tabsets
  // filters/layout.lua writes every panel, titled, after a tab list that only
  // shows once this has run: without scripts the reader sees all panels.

  function initTabsets() {
    Array.prototype.forEach.call(doc.querySelectorAll(".panel-tabset"), function (set) {
      var tabs = Array.prototype.slice.call(set.querySelectorAll(":scope > .nav-tabs > .nav-item > [role=tab]"));
      var panels = Array.prototype.slice.call(set.querySelectorAll(":scope > .tab-content > .tab-pane"));
      if (!tabs.length || tabs.length !== panels.length) return;
      function select(chosen, focus) {
        tabs.forEach(function (tab, i) {
          var on = i === chosen;
          tab.setAttribute("aria-selected", on ? "true" : "false");
          tab.tabIndex = on ? 0 : -1;
          tab.classList.toggle("active", on);
          panels[i].classList.toggle("active", on);
          panels[i].hidden = !on;
        });
        if (focus) tabs[chosen].focus();
      }
      tabs.forEach(function (tab, i) {
        // a.nav-link href="" (Quarto's markup): a click switches the tab, never follows the link.
        tab.addEventListener("click", function (event) { event.preventDefault(); select(i, false); });
        tab.addEventListener("keydown", function (event) {
          var step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
          if (!step) return;
          event.preventDefault();
          select((i + step + tabs.length) % tabs.length, true);
        });
      });
      set.classList.add("tabs-ready");
      var first = panels.findIndex(function (p) { return p.classList.contains("active"); });
      select(first < 0 ? 0 : first, false);
      // A link to something inside another panel opens that panel.
      function openTarget() {
        var id;
        try { id = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return; }
        var target = id && doc.getElementById(id);
        var panel = target && panels.indexOf(target.closest(".tab-pane"));
        if (panel > 0 || panel === 0) { select(panel, false); target.scrollIntoView(); }
      }
      window.addEventListener("hashchange", openTarget);
      openTarget();
    });
  }

  // ---------------------------------------------------------- provenance
  // Each computed value is <span class="computed" data-value="N">; the page's
  // <script id="value-provenance"> says, per N, which cell defined it and the
  // sourced constants behind it. Hover, or tap, shows that in a small card.

  function initProvenance() {
    var holder = doc.getElementById("value-provenance");
    if (!holder) return;
    var data = JSON.parse(holder.textContent || "{}");
    var card = doc.createElement("div");
    card.className = "provenance-card";
    card.setAttribute("role", "tooltip");
    card.hidden = true;
    doc.body.appendChild(card);
    var shownFor = null;

    function line(parent, className, text) {
      var el = doc.createElement("div");
      el.className = className;
      el.textContent = text;
      parent.appendChild(el);
      return el;
    }

    function show(span) {
      var info = data[span.getAttribute("data-value")];
      if (!info) return;
      card.textContent = "";
      line(card, "provenance-expr", info.expr);
      line(card, "provenance-cell", info.cell ? "computed in cell " + info.cell + " (line " + info.line + ")"
                                              : "computed in the chapter's cells");
      var literals = info.literals || [], formulas = info.formulas || [];
      if (info.constants.length) {
        var list = doc.createElement("ul");
        info.constants.forEach(function (c) {
          var item = doc.createElement("li");
          line(item, "provenance-constant", c.name + " = " + c.value + (c.unit ? " " + c.unit : ""));
          line(item, "provenance-source", c.source);
          list.appendChild(item);
        });
        card.appendChild(list);
      } else {
        line(card, "provenance-none", literals.length ? "no sourced constants" : "no sourced constants: the cell's own inputs");
      }
      if (formulas.length) line(card, "provenance-formulas", "through " + formulas.join(", "));
      if (literals.length) {
        line(card, "provenance-literals-head", "typed by hand (no source):");
        var typed = doc.createElement("ul");
        typed.className = "provenance-literals";
        literals.forEach(function (text) {
          var item = doc.createElement("li");
          line(item, "provenance-literal", text);
          typed.appendChild(item);
        });
        card.appendChild(typed);
      }
      if (info.approximate && info.approximate.length) {
        line(card, "provenance-approximate", "approximate, may list more than the value uses: " + info.approximate.join("; "));
      }
      card.hidden = false;
      var box = span.getBoundingClientRect();
      var width = Math.min(card.offsetWidth, window.innerWidth - 16);
      var left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + window.innerWidth - width - 8));
      card.style.left = left + "px";
      card.style.top = (box.bottom + window.scrollY + 6) + "px";
      shownFor = span;
    }

    function hide() {
      card.hidden = true;
      shownFor = null;
    }

    doc.addEventListener("mouseover", function (event) {
      var span = event.target.closest && event.target.closest("span.computed");
      if (span) show(span);
    });
    doc.addEventListener("mouseout", function (event) {
      var span = event.target.closest && event.target.closest("span.computed");
      if (span && !span.contains(event.relatedTarget)) hide();
    });
    doc.addEventListener("click", function (event) {
      var span = event.target.closest && event.target.closest("span.computed");
      if (span) show(span);  // a tap on a touch screen, or a click after the hover showed it
      else if (!card.contains(event.target)) hide();
    });
    doc.addEventListener("keydown", function (event) {
      if (event.key === "Escape") hide();
    });
  }

  // ---------------------------------------------------------------- boot

  function boot() {
    [initTheme, initSidebar, initSidenotes, initSearch, initTocSpy, initDetails, initTabsets, initProvenance].forEach(function (init) {
      try {
        init();
      } catch (error) {
        // one broken feature must not take the others down; say so quietly
        if (window.console && console.warn) console.warn("book.js: " + init.name + " failed:", error);
      }
    });
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
