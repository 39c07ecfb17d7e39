"""The book's numbering and cross-reference words: ``number-sections``, ``number-depth`` and ``crossref:``.

Read once per build and format into one :class:`CrossrefConfig`, which the
numbering (render/numbering.py), the reference texts and the Lua filters (via
the filter data, part of every Pandoc cache key) all take from. As in Quarto:
book-wide keys sit at the top of ``_quarto.yml`` or under ``format: html:`` /
``format: pdf:`` (the format's own wins); a chapter's front matter may say
``number-sections: false``. Defaults are Quarto's (a book numbers its sections;
``fig-prefix``/``fig-title`` "Figure", ``title-delim`` ":", ``appendix-title``
"Appendix"). Pure reading: a value of the wrong type is
a ConfigError at its line.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, NoReturn

from .diagnostics import ConfigError, Diagnostic, error
from .language import Language, language_config, own_mapping_problems
from .project import Book
from .qmd import Chapter
from .references import CALLOUT_KINDS, THEOREM_KINDS

#: The engine's output formats and the ``format:`` key each is configured under.
FORMAT_KEYS = {"html": "html", "latex": "pdf"}
#: What a reference (``*-prefix``) and a caption (``*-title``) call each kind by default (Quarto's words).
DEFAULT_WORDS = {"fig": "Figure", "tbl": "Table", "eq": "Equation", "sec": "Section", "lst": "Listing",
                 **THEOREM_KINDS, **CALLOUT_KINDS}
KEY = re.compile(r"^[a-z][a-z0-9]*$")
#: Quarto's numbering schemes for ``labels`` / ``KIND-labels``.
LABEL_SCHEME = re.compile(r"^(arabic|roman|roman i|alpha|alpha [a-zA-Z])$")
#: Kinds numbered within a chapter, whose numbers ``labels`` formats.
LABEL_KINDS = ("fig", "tbl", "eq", "lst", *THEOREM_KINDS, *CALLOUT_KINDS)
#: Kinds whose words the book may set with ``crossref: KIND-prefix`` / ``KIND-title``.
WORD_KINDS = tuple(DEFAULT_WORDS)


@dataclass(frozen=True)
class CustomKind:
    """A float kind of the book's own (``crossref: custom:``), numbered and referenced like figures."""

    key: str  # the label prefix: ``vid`` for ``#vid-intro``
    reference_prefix: str  # "Video" in "Video 1.2"
    caption_prefix: str  # "Video" in the caption "Video 1.2: …"
    latex_env: str  # the LaTeX float environment the PDF declares for it


@dataclass(frozen=True)
class CrossrefConfig:
    """Numbering switches and every word a number is shown with, for one format."""

    number_sections: bool = True
    number_depth: int | None = None  # None: every level; 1: chapters only
    prefixes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_WORDS))  # in references
    titles: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_WORDS))  # in captions
    title_delim: str = ":"
    chapter_prefix: str = "Chapter"
    appendix_title: str = "Appendix"
    appendix_delim: str | None = None  # Quarto's is " —"; the HTML label shows one only when the book sets it
    custom: tuple[CustomKind, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # kind -> numbering scheme (``arabic`` when absent)
    chapters: bool = True  # items numbered within their chapter, "2.3" (False: through the book, "7")
    subref_labels: str = "alpha a"  # the parts of a figure: (a), (b), …
    ref_hyperlink: bool = True  # False: a reference is its words, without a link (``ref-hyperlink``)

    def subref_label(self, n: int) -> str:
        """The ``n``-th part of a figure in the book's ``subref-labels`` scheme: a, ii, C, …"""
        return format_label(n, self.subref_labels)

    def item_label(self, kind: str, n: int) -> str:
        """The ``n``-th item of ``kind`` in the book's scheme (``labels``, ``fig-labels``, …): 2, ii, II, b, …"""
        return format_label(n, self.labels.get(kind, "arabic"))

    @property
    def custom_keys(self) -> tuple[str, ...]:
        """The label prefixes of the book's own float kinds."""
        return tuple(kind.key for kind in self.custom)

    def reference_word(self, kind: str) -> str:
        """The word a reference to ``kind`` starts with ("Figure" in "Figure 2.3")."""
        if kind == "chapter":
            return self.chapter_prefix
        if kind == "appendix":
            return self.appendix_title
        return self.prefixes.get(kind, kind.title())

    def section_numbered(self, level: int) -> bool:
        """Whether a header of ``level`` (1: a chapter) takes a number under ``number-depth``."""
        return self.number_sections and (self.number_depth is None or level <= self.number_depth)

    def filter_json(self) -> dict[str, Any]:
        """What the Lua filters need: the caption words and their delimiter."""
        return {"titles": dict(self.titles), "title_delim": self.title_delim,
                "custom": {kind.key: {"latex_env": kind.latex_env} for kind in self.custom},
                "appendix_title": self.appendix_title, "appendix_delim": self.appendix_delim,
                "ref_hyperlink": self.ref_hyperlink}


def crossref_config(book: Book, output_format: str) -> CrossrefConfig:
    """The book's settings for ``output_format`` (``html`` or ``latex``), its format's own keys first."""
    format_key = FORMAT_KEYS.get(output_format, output_format)
    own = book.formats.get(format_key) if isinstance(book.formats, dict) else None
    own = own if isinstance(own, dict) else {}

    def setting(key: str) -> tuple[Any, tuple[str, ...]]:
        if key in own:
            return own[key], ("format", format_key, key)
        return book.config.get(key), (key,)

    sections, where = setting("number-sections")
    if sections is not None and not isinstance(sections, bool):
        _type_error(book, where, "true or false")
    depth, where = setting("number-depth")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        _type_error(book, where, "a whole number (1: chapters only)")
    words: dict[str, Any] = {}
    for scope, path in ((book.config.get("crossref"), ("crossref",)),
                        (own.get("crossref"), ("format", format_key, "crossref"))):
        if scope is None or scope is False:
            continue
        if not isinstance(scope, dict):
            _type_error(book, path, "a mapping of cross-reference options")
        for key, value in scope.items():
            if key in _TEXT_KEYS and not isinstance(value, (str, int, float)):
                _type_error(book, (*path, key), "text")
            words[key] = value
    custom = _custom_kinds(book, words.get("custom"))
    labels = {}
    for kind in (*LABEL_KINDS, *(k.key for k in custom)):
        key = f"{kind}-labels" if f"{kind}-labels" in words else "labels"
        scheme = words.get(key)
        if scheme is None:
            continue
        if not isinstance(scheme, str) or not LABEL_SCHEME.match(scheme):
            _type_error(book, _where(book, format_key, key), "arabic, roman, roman i, alpha a or alpha A (any start letter)")
        labels[kind] = scheme
    language = language_config(book, output_format)
    chapters = words.get("chapters", True)
    if not isinstance(chapters, bool):
        _type_error(book, _where(book, format_key, "chapters"), "true or false")
    hyperlink = words.get("ref-hyperlink", True)
    if not isinstance(hyperlink, bool):
        _type_error(book, _where(book, format_key, "ref-hyperlink"), "true or false")
    subref = words.get("subref-labels", "alpha a")
    if not isinstance(subref, str) or not LABEL_SCHEME.match(subref):
        _type_error(book, _where(book, format_key, "subref-labels"), "arabic, roman, roman i, alpha a or alpha A (any start letter)")
    prefixes = {kind: str(words.get(f"{kind}-prefix", _language_word(language, kind, "prefix", word)))
                for kind, word in DEFAULT_WORDS.items()}
    titles = {kind: str(words.get(f"{kind}-title", _language_word(language, kind, "title", word)))
              for kind, word in DEFAULT_WORDS.items()}
    prefixes.update({kind.key: kind.reference_prefix for kind in custom})
    titles.update({kind.key: kind.caption_prefix for kind in custom})
    return CrossrefConfig(
        number_sections=sections is not False,
        number_depth=depth,
        prefixes=prefixes,
        titles=titles,
        title_delim=str(words.get("title-delim", ":")),
        chapter_prefix=language["crossref-ch-prefix"],
        appendix_title=str(words.get("appendix-title", language["crossref-apx-prefix"])),
        appendix_delim=str(words["appendix-delim"]) if "appendix-delim" in words else None,
        custom=custom,
        labels=labels,
        chapters=chapters,
        subref_labels=subref,
        ref_hyperlink=hyperlink,
    )


#: The cross-referenceable callouts' prefixes and Quarto's callout kinds they are (``callout-tip-title``).
_CALLOUT_NAMES = {"nte": "note", "tip": "tip", "wrn": "warning", "imp": "important", "cau": "caution"}


def _language_word(language: Language, kind: str, what: str, default: str) -> str:
    """The book's ``language:`` word for a kind's ``prefix`` or ``title`` (Quarto's ``crossref-fig-title`` …),
    else ``default``. A reference's prefix falls back to the kind's title word, so a book that names its
    figures "Abbildung" refers to them so too."""
    keys = [f"crossref-{kind}-{what}"] + ([f"crossref-{kind}-title"] if what == "prefix" else [])
    if kind in _CALLOUT_NAMES:
        keys.append(f"callout-{_CALLOUT_NAMES[kind]}-title")
    return next((word for word in map(language.own, keys) if word is not None), default)


def format_label(n: int, scheme: str) -> str:
    """``n`` (from 1) in a Quarto numbering scheme: ``arabic`` 3; ``roman`` III, ``roman i`` iii;
    ``alpha a`` c, ``alpha A`` C, ``alpha x`` z (letters from the one given)."""
    if scheme.startswith("roman"):
        text = _roman(n)
        return text.lower() if scheme == "roman i" else text
    if scheme.startswith("alpha"):
        start = scheme[6:7] or "a"
        return chr(ord(start) + n - 1) if ord(start.lower()) + n - 1 <= ord("z") else str(n)
    return str(n)


def _roman(n: int) -> str:
    digits = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
              (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in digits:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _where(book: Book, format_key: str, key: str) -> tuple[str, ...]:
    """The key path of ``crossref: KEY``: under the format when it is set there."""
    own = book.formats.get(format_key) if isinstance(book.formats, dict) else None
    if isinstance(own, dict) and isinstance(own.get("crossref"), dict) and key in own["crossref"]:
        return ("format", format_key, "crossref", key)
    return ("crossref", key)


def custom_keys(book: Book) -> tuple[str, ...]:
    """The label prefixes of the book's own float kinds (any format's), for the checker's scan."""
    return tuple(dict.fromkeys(key for fmt in FORMAT_KEYS for key in crossref_config(book, fmt).custom_keys))


def _custom_kinds(book: Book, value: Any) -> tuple[CustomKind, ...]:
    """``crossref: custom:``: a list of ``{kind: float, key:, reference-prefix:, caption-prefix:, latex-env:}``."""
    if value is None:
        return ()
    if not isinstance(value, list):
        _type_error(book, ("crossref", "custom"), "a list of float kinds ({kind: float, key: …, reference-prefix: …})")
    kinds = []
    for item in value:
        key = item.get("key") if isinstance(item, dict) else None
        prefix = item.get("reference-prefix") if isinstance(item, dict) else None
        if not isinstance(key, str) or not KEY.match(key) or not isinstance(prefix, str) \
                or item.get("kind", "float") != "float":
            _type_error(book, ("crossref", "custom"), "a list of {kind: float, key: LETTERS, reference-prefix: TEXT}")
        if key in DEFAULT_WORDS:
            _type_error(book, ("crossref", "custom"), f"a list of new kinds ('{key}' is one of Quarto's own)")
        caption = item.get("caption-prefix", prefix)
        env = item.get("latex-env", key)
        kinds.append(CustomKind(key, prefix, str(caption), str(env) if re.fullmatch(r"[A-Za-z]+", str(env)) else key))
    return tuple(kinds)


_TEXT_KEYS = frozenset({*(f"{k}-prefix" for k in WORD_KINDS), *(f"{k}-title" for k in WORD_KINDS),
                        "title-delim", "appendix-title", "appendix-delim"})
#: The ``language:`` words this module reads (Quarto's ``crossref-fig-title``, ``crossref-fig-prefix`` …).
LANGUAGE_KEYS = frozenset({*(f"crossref-{k}-prefix" for k in WORD_KINDS), *(f"crossref-{k}-title" for k in WORD_KINDS),
                           "crossref-ch-prefix", "crossref-apx-prefix"})
#: Every ``crossref:`` key this module reads (the configuration-key table lists them as supported).
CROSSREF_KEYS = frozenset({*_TEXT_KEYS, "labels", *(f"{k}-labels" for k in LABEL_KINDS), "custom", "chapters",
                           "subref-labels", "ref-hyperlink"})


#: ``crossref:`` keys a chapter's own front matter may set for its page (website and EPUB; the PDF is one
#: document and keeps the book's): the words and the numbering schemes, not what numbers the book.
CHAPTER_KEYS = frozenset({*(f"{k}-prefix" for k in WORD_KINDS), *(f"{k}-title" for k in WORD_KINDS), "title-delim",
                          "labels", *(f"{k}-labels" for k in LABEL_KINDS), "subref-labels", "ref-hyperlink"})


def _chapter_value_problem(key: str, value: Any) -> str | None:
    """Why a chapter's ``crossref: KEY: value`` cannot apply, or None."""
    if key not in CHAPTER_KEYS:
        return f"'{key}' is set for the whole book (in _quarto.yml), not per chapter"
    if key == "ref-hyperlink":
        if not isinstance(value, bool):
            return f"'{key}' must be true or false"
    elif key.endswith("labels"):
        if not isinstance(value, str) or not LABEL_SCHEME.match(value):
            return f"'{key}' must be arabic, roman, roman i, alpha a or alpha A (any start letter)"
    elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return f"'{key}' must be text"
    return None


def chapter_crossref(config: CrossrefConfig, front_matter: Mapping[str, Any]) -> CrossrefConfig:
    """The book's settings with a chapter's own over them, for its page, as Quarto renders each chapter with
    its own metadata: its ``crossref:`` words (``fig-prefix``, ``fig-title``, ``title-delim``, …) and
    numbering schemes (``fig-labels``, ``subref-labels``, …), and the ``crossref-*`` words of its
    ``language:``. Values that cannot apply are left out (see :func:`chapter_crossref_problems`)."""
    own = front_matter.get("crossref")
    own = {str(k): v for k, v in own.items() if _chapter_value_problem(str(k), v) is None} if isinstance(own, dict) else {}
    said = front_matter.get("language")
    words = {str(k): str(v) for k, v in said.items() if (str(k).startswith("crossref-") or str(k).startswith("callout-"))
             and isinstance(v, (str, int, float)) and not isinstance(v, bool)} if isinstance(said, dict) else {}
    if not own and not words:
        return config
    language = Language(words=words, set_keys=frozenset(words))

    def word(kind: str, what: str, book_word: str) -> str:
        if f"{kind}-{what}" in own:
            return str(own[f"{kind}-{what}"])
        return _language_word(language, kind, what, book_word)

    prefixes = {kind: word(kind, "prefix", book_word) for kind, book_word in config.prefixes.items()}
    titles = {kind: word(kind, "title", book_word) for kind, book_word in config.titles.items()}
    labels = dict(config.labels)
    for kind in (*LABEL_KINDS, *config.custom_keys):
        scheme = own.get(f"{kind}-labels", own.get("labels"))
        if scheme is not None:
            labels[kind] = scheme
    return dataclasses.replace(config, prefixes=prefixes, titles=titles, labels=labels,
                               title_delim=str(own.get("title-delim", config.title_delim)),
                               subref_labels=own.get("subref-labels", config.subref_labels),
                               ref_hyperlink=own.get("ref-hyperlink", config.ref_hyperlink))


def chapter_crossref_problems(chapter: Chapter) -> list[Diagnostic]:
    """Warnings at a chapter's ``crossref:`` when it is not a mapping, or a key cannot apply to the chapter."""
    def problem_of(key: str, value: Any) -> str | None:
        problem = _chapter_value_problem(key, value)
        return None if problem is None else f"{problem}: the chapter keeps the book's"

    return own_mapping_problems(
        chapter, "crossref", "a chapter's 'crossref' must be a mapping (fig-prefix: …): the chapter keeps the book's",
        "set the chapter's cross-reference words and label schemes under its 'crossref:'; the rest in _quarto.yml",
        problem_of)


def chapter_numbered(front_matter: Mapping[str, Any], output_format: str) -> bool | None:
    """A chapter's own ``number-sections`` (top level or under its ``format:``), or None when it does not say."""
    formats = front_matter.get("format")
    own = formats.get(FORMAT_KEYS.get(output_format, output_format)) if isinstance(formats, dict) else None
    for scope in (own, front_matter):
        if isinstance(scope, dict) and isinstance(scope.get("number-sections"), bool):
            return scope["number-sections"]
    return None


def _type_error(book: Book, path: tuple[str, ...], expected: str) -> NoReturn:
    file, line, col = book.locate(*path)
    raise ConfigError(error("config", file, line, f"'{path[-1]}' must be {expected}", col=col,
                            hint=f"fix '{': '.join(path)}' in {file}"))
