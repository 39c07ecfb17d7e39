"""The book's language: ``lang:`` and the words the engine prints (``language:``), from one table.

:data:`DEFAULTS` is the one table of every word the engine shows a reader, in
HTML (page shell, search, side notes, callouts) and in the PDF (contents,
lists, references, appendices). Its keys are Quarto's (``src/resources/language/
_language.yml``) with Quarto's English words; where the engine prints a word
Quarto has no key for (the previous/next links, the search's status lines), the
key is the engine's own and is marked so below. A book overrides any of them
with ``language:`` (a mapping, or the path of a YAML file of such keys, relative
to the project, as Quarto allows), book-wide or under ``format: html:`` /
``format: pdf:`` (the format's own wins). ``lang:`` (a BCP 47 tag, default
``en``) sets the HTML pages' ``lang`` and the PDF's babel language with its
hyphenation; a chapter's front matter may set its own page's ``lang`` and its own
``language:`` words (a mapping) for its page, callouts and references heading; its
``crossref-*`` words apply to its own captions and references on the website
(bookbuild.crossrefconfig.chapter_crossref), as Quarto renders each chapter with its own.

As in Quarto, ``crossref: fig-title`` (and the other ``crossref:`` words) win
over ``language: crossref-fig-title`` (bookbuild.crossrefconfig reads both).
Pure reading: a value of the wrong type is a ConfigError at its line.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NoReturn

import yaml

from .diagnostics import ConfigError, Diagnostic, error, warning
from .project import Book, display_path
from .qmd import Chapter

#: Every word the engine prints, by Quarto's key (English, Quarto's defaults).
DEFAULTS: dict[str, str] = {
    "toc-title-document": "Table of contents",  # the landing page's list of chapters; the PDF's contents
    "toc-title-website": "On this page",  # each page's own table of contents
    "section-title-appendices": "Appendices",
    "section-title-footnotes": "Footnotes",
    "section-title-references": "References",
    "callout-note-title": "Note",
    "callout-tip-title": "Tip",
    "callout-warning-title": "Warning",
    "callout-important-title": "Important",
    "callout-caution-title": "Caution",
    "search-no-results-text": "No results",
    "search-label": "Search",
    # Quarto's placeholder is empty; the engine's search box says what it searches.
    "search-text-placeholder": "Search the book",
    "toggle-dark-mode": "Toggle dark mode",
    "toggle-sidebar": "Toggle sidebar navigation",
    "crossref-fig-title": "Figure",
    "crossref-tbl-title": "Table",
    "crossref-lst-title": "Listing",
    "crossref-thm-title": "Theorem",
    "crossref-lem-title": "Lemma",
    "crossref-cor-title": "Corollary",
    "crossref-prp-title": "Proposition",
    "crossref-cnj-title": "Conjecture",
    "crossref-def-title": "Definition",
    "crossref-exm-title": "Example",
    "crossref-exr-title": "Exercise",
    "crossref-ch-prefix": "Chapter",
    "crossref-apx-prefix": "Appendix",
    "crossref-sec-prefix": "Section",
    "crossref-eq-prefix": "Equation",
    "crossref-lof-title": "List of Figures",
    "crossref-lot-title": "List of Tables",
    "crossref-lol-title": "List of Listings",
    # The engine's own words (Quarto has no key for them).
    "sidebar-title": "Chapters",
    "page-nav-title": "Previous and next chapter",
    "page-nav-previous": "Previous",
    "page-nav-next": "Next",
    "toggle-light-mode-title": "Switch to light mode",
    "toggle-dark-mode-title": "Switch to dark mode",
    "search-results-title": "Search results",
    "search-unavailable-text": "Search is not available: this page has no search index.",
    "search-result-text": "{0} result",
    "search-results-text": "{0} results",
    "search-top-results-text": "Top {0} of {1} results",
    "sidenote-title": "Note",  # a side note's marker, read aloud: "Note 3"
    "minitoc-title": "In this chapter",
}

#: The words the page script (theme/book.js) needs, passed to it as JSON in every page.
SCRIPT_KEYS = ("toggle-light-mode-title", "toggle-dark-mode-title", "search-no-results-text", "search-results-title",
               "search-unavailable-text", "search-result-text", "search-results-text", "search-top-results-text",
               "sidenote-title")
#: A BCP 47 language tag, as far as Quarto's ``lang:`` needs it: ``en``, ``de-CH``, ``pt-BR``, ``sr-Latn``.
LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
DEFAULT_LANG = "en"
#: The engine's output formats and the ``format:`` key each is configured under.
FORMAT_KEYS = {"html": "html", "latex": "pdf"}


@dataclass(frozen=True)
class Language:
    """The book's language tag and its words for one format (``set_keys``: those the book set itself)."""

    lang: str = DEFAULT_LANG
    lang_set: bool = False  # the book says ``lang:`` (the PDF then loads babel for it)
    words: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULTS))
    set_keys: frozenset[str] = frozenset()

    def __getitem__(self, key: str) -> str:
        return self.words.get(key, DEFAULTS.get(key, key))

    def own(self, key: str) -> str | None:
        """The book's own word for ``key``, or None when it keeps the default."""
        return self.words[key] if key in self.set_keys else None

    def script_json(self) -> dict[str, str]:
        """The words the page script prints."""
        return {key: self[key] for key in SCRIPT_KEYS}

    def callout_titles(self) -> dict[str, str]:
        """Quarto's callout kinds' titles (``callout-note-title`` …) by kind."""
        return {kind: self[f"callout-{kind}-title"] for kind in ("note", "tip", "warning", "important", "caution")}


def language_config(book: Book, output_format: str) -> Language:
    """The book's ``lang:`` and ``language:`` for ``output_format`` (``html`` or ``latex``), the format's own first.

    Raises ConfigError at the line of a value of the wrong type (a ``lang`` that is not a
    language tag, a word that is not text, a ``language:`` file that is missing or not a mapping).
    """
    format_key = FORMAT_KEYS.get(output_format, output_format)
    own = book.formats.get(format_key) if isinstance(book.formats, dict) else None
    own = own if isinstance(own, dict) else {}
    lang, lang_path = (own["lang"], ("format", format_key, "lang")) if "lang" in own else (book.config.get("lang"), ("lang",))
    if lang is not None and not (isinstance(lang, str) and LANG_TAG.match(lang)):
        _type_error(book, lang_path, "'lang' must be a language tag such as en, de, fr-CA or pt-BR")
    words: dict[str, str] = {}
    for scope, path in ((book.config.get("language"), ("language",)),
                        (own.get("language"), ("format", format_key, "language"))):
        if scope is None:
            continue
        if isinstance(scope, str):
            words.update(_language_file(book, scope, path))
            continue
        if not isinstance(scope, dict):
            _type_error(book, path, "'language' must be a mapping of words (callout-note-title: …) or a YAML file's path")
        for key, value in scope.items():
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                _type_error(book, (*path, str(key)), f"'{key}' must be text")
            words[str(key)] = str(value)
    return Language(lang=str(lang or DEFAULT_LANG), lang_set=lang is not None, words={**DEFAULTS, **words},
                    set_keys=frozenset(words))


def lang_option(language: Language, own: str | None = None) -> list[str]:
    """Pandoc's ``lang`` (``own``: a chapter's) as options, when the book or chapter sets one (citations are
    localised by it); nothing otherwise, so a book that sets none renders as before."""
    lang = own or (language.lang if language.lang_set else None)
    return ["--metadata", f"lang={lang}"] if lang else []


def chapter_lang(front_matter: Mapping[str, Any]) -> str | None:
    """A chapter's own ``lang:`` (its page's), or None when it does not say or it is not a language tag
    (reported by :func:`chapter_lang_problems`)."""
    lang = front_matter.get("lang")
    return lang if isinstance(lang, str) and LANG_TAG.match(lang) else None


def _chapter_words(front_matter: Mapping[str, Any]) -> dict[str, str]:
    own = front_matter.get("language")
    if not isinstance(own, dict):
        return {}
    return {str(key): str(value) for key, value in own.items()
            if isinstance(value, (str, int, float)) and not isinstance(value, bool) and not str(key).startswith("crossref-")}


def chapter_language(language: Language, front_matter: Mapping[str, Any]) -> Language:
    """The book's language with a chapter's own ``language:`` words over it (for its page, callouts and
    references); words of the wrong kind are left out (reported by :func:`chapter_lang_problems`)."""
    words = _chapter_words(front_matter)
    if not words:
        return language
    return dataclasses.replace(language, words={**language.words, **words}, set_keys=language.set_keys | frozenset(words))


def front_matter_line(chapter: Chapter, key: str) -> int:
    """The line of ``key:`` in a chapter's front matter (1 when it is not found)."""
    end = chapter.front_matter_span.end if chapter.front_matter_span else 0
    found = re.search(rf"^\s*{re.escape(key)}\s*:", chapter.text[:end], re.M)
    return chapter.text.count("\n", 0, found.start()) + 1 if found else 1


def own_mapping_problems(chapter: Chapter, key: str, not_mapping: str, hint: str,
                         problem_of: Callable[[str, Any], str | None]) -> list[Diagnostic]:
    """Warnings at a chapter's own mapping ``key:`` (``language:``, ``crossref:``): ``not_mapping`` when
    it is no mapping, else ``problem_of(name, value)`` at each entry's line that has one."""
    own = chapter.front_matter.get(key)
    if own is None:
        return []
    if not isinstance(own, dict):
        return [warning("config", chapter.path, front_matter_line(chapter, key), not_mapping, hint=hint)]
    return [warning("config", chapter.path, front_matter_line(chapter, str(name)), problem, hint=hint)
            for name, value in own.items() if (problem := problem_of(str(name), value)) is not None]


def chapter_words_problems(chapter: Chapter) -> list[Diagnostic]:
    """Warnings at a chapter's ``language:`` when it is not a mapping of words, or a word is not text."""
    def not_text(name: str, value: Any) -> str | None:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return None
        return f"'{name}' must be text: the chapter keeps the book's word"

    return own_mapping_problems(
        chapter, "language", "a chapter's 'language' must be a mapping of words (callout-note-title: …): "
        "the chapter keeps the book's words",
        "give the chapter's words as a mapping in its front matter (a file of words goes in _quarto.yml)", not_text)


def chapter_lang_problems(chapter: Chapter) -> list[Diagnostic]:
    """A warning at a chapter's ``lang:`` line when it is not a language tag (its page keeps the book's)."""
    lang = chapter.front_matter.get("lang")
    if lang is None or chapter_lang(chapter.front_matter) is not None:
        return chapter_words_problems(chapter)
    end = chapter.front_matter_span.end if chapter.front_matter_span else 0
    found = re.search(r"^lang\s*:", chapter.text[:end], re.M)
    line = chapter.text.count("\n", 0, found.start()) + 1 if found else 1
    return [warning("config", chapter.path, line, f"'lang' must be a language tag such as en, de, fr-CA or pt-BR, "
                    f"not {lang!r}: the page keeps the book's language", hint="fix 'lang' in the front matter"),
            *chapter_words_problems(chapter)]


def _language_file(book: Book, name: str, path: tuple[str, ...]) -> dict[str, str]:
    """``language: words.yml``: a YAML file of keys and words, relative to the project folder."""
    file = (book.root / name).resolve()
    if not file.is_relative_to(book.root.resolve()):
        _type_error(book, path, f"the language file '{name}' is outside the project")
    if not file.is_file():
        _type_error(book, path, f"the language file '{name}' does not exist (relative to the project folder)")
    try:
        node = yaml.compose(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        _type_error(book, path, f"the language file '{name}' is not readable YAML: {exc}")
    shown = display_path(file)
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(error("config", shown, node.start_mark.line + 1, "a language file must be a mapping of words",
                                hint="write one 'key: word' line per word, e.g. callout-note-title: Hinweis"))
    words = {}
    for key_node, value_node in node.value:
        if not isinstance(value_node, yaml.ScalarNode) or value_node.tag.endswith((":null", ":bool")):
            raise ConfigError(error("config", shown, key_node.start_mark.line + 1,
                                    f"'{key_node.value}' must be text", col=key_node.start_mark.column + 1,
                                    hint=f"fix '{key_node.value}' in {shown}"))
        words[str(key_node.value)] = str(value_node.value)
    return words


def _type_error(book: Book, path: tuple[str, ...], message: str) -> NoReturn:
    file, line, col = book.locate(*path)
    raise ConfigError(error("config", file, line, message, col=col, hint=f"fix '{': '.join(path)}' in {file}"))
