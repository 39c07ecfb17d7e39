"""The book's language in the PDF: babel for ``lang:`` (hyphenation, the words LaTeX prints) and the book's words.

A book that sets ``lang:`` is typeset with babel's locale for it
(``\\babelprovide[main, import=TAG]``, from babel's own ``.ini`` files, which
TeX Live always has), so LaTeX's own words (contents, chapter, figure …) and
its hyphenation follow the language. Hyphenation patterns other than US English
come with TeX Live's language packages (``texlive-lang-german`` …); when the
book's are missing the PDF is typeset unhyphenated and the build says which
package to install. Words the book sets with ``language:`` (``toc-title-document``,
``crossref-lof-title``, ``crossref-ch-prefix`` …) win over babel's.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Optional, Sequence

from ..diagnostics import Diagnostic, warning
from ..language import Language
from ..project import Book
from .latex_crossref import latex_text

#: The name babel gives the book's language inside the PDF.
BABEL_NAME = "booklang"
#: babel's note, in the LaTeX log, that no hyphenation patterns were found for the language.
NO_PATTERNS = re.compile(r"Hyphen rules for '" + BABEL_NAME + r"' set to \\l@nil")
#: The TeX Live (Debian) package holding each language's hyphenation patterns (by primary language subtag).
PATTERN_PACKAGES = {
    "de": "texlive-lang-german", "fr": "texlive-lang-french", "es": "texlive-lang-spanish",
    "it": "texlive-lang-italian", "pt": "texlive-lang-portuguese", "pl": "texlive-lang-polish",
    "ru": "texlive-lang-cyrillic", "uk": "texlive-lang-cyrillic", "bg": "texlive-lang-cyrillic",
    "cs": "texlive-lang-czechslovak", "sk": "texlive-lang-czechslovak", "el": "texlive-lang-greek",
    "en": "texlive-lang-english", "nl": "texlive-lang-european", "sv": "texlive-lang-european",
    "da": "texlive-lang-european", "fi": "texlive-lang-european", "nb": "texlive-lang-european",
    "nn": "texlive-lang-european", "tr": "texlive-lang-european", "hu": "texlive-lang-european",
}
#: LaTeX's caption macros and the ``language:`` key that sets each (when the book sets it).
CAPTION_MACROS = (("contentsname", "toc-title-document"), ("listfigurename", "crossref-lof-title"),
                  ("listtablename", "crossref-lot-title"), ("chaptername", "crossref-ch-prefix"),
                  ("appendixname", "crossref-apx-prefix"))

FileLookup = Callable[[Sequence[str]], Mapping[str, Optional[str]]]


def babel_locale(lang: str, find_files: FileLookup) -> str | None:
    """The tag of babel's locale for ``lang`` (``de-CH``, else ``de``), or None when babel has none."""
    parts = lang.split("-")
    candidates = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    found = find_files([f"babel-{tag}.ini" for tag in candidates])
    return next((tag for tag in candidates if found.get(f"babel-{tag}.ini")), None)


def language_preamble(language: Language, locale: str | None) -> str:
    """The preamble lines for the book's language: babel with ``locale`` (None: no babel), then the
    book's own words for LaTeX's captions (after babel's, which babel sets at the start of the document)."""
    rows = ["% The book's language (lang:, language:):"]
    if locale is not None:
        rows += ["\\usepackage{babel}", f"\\babelprovide[main, import={locale}]{{{BABEL_NAME}}}"]
    words = "".join(f"\\renewcommand\\{macro}{{{latex_text(word)}}}" for macro, key in CAPTION_MACROS
                    if (word := language.own(key)) is not None)
    if words:
        rows.append(f"\\newcommand\\booklanguagewords{{{words}}}")
        if locale is not None:
            rows.append(f"\\addto\\captions{BABEL_NAME}{{\\booklanguagewords}}")
        rows.append("\\AtBeginDocument{\\booklanguagewords}")
    return "\n".join(rows) + "\n"


def no_locale_warning(book: Book, lang: str) -> Diagnostic:
    """``lang:`` names a language babel has no locale for: the PDF is typeset without one."""
    file, line, col = book.locate(*_lang_path(book))
    return warning("lang-unknown", file, line, f"babel knows no language '{lang}': the PDF is typeset without "
                   "its hyphenation and words", col=col, hint="use a BCP 47 tag such as en, de, fr-CA or pt-BR")


def hyphenation_warning(book: Book, language: Language, log: str) -> Diagnostic | None:
    """A warning when LaTeX found no hyphenation patterns for the book's language (its log says so)."""
    if not language.lang_set or not NO_PATTERNS.search(log):
        return None
    package = PATTERN_PACKAGES.get(language.lang.split("-")[0].lower())
    file, line, col = book.locate(*_lang_path(book))
    hint = (f"install TeX Live's patterns for it: apt-get install {package}" if package
            else "install the TeX Live language package with its hyphenation patterns")
    return warning("hyphenation-missing", file, line, f"no hyphenation patterns for '{language.lang}' are installed: "
                   "the PDF's words are not hyphenated", col=col, hint=hint)


def _lang_path(book: Book) -> tuple[str, ...]:
    pdf = book.formats.get("pdf") if isinstance(book.formats, dict) else None
    return ("format", "pdf", "lang") if isinstance(pdf, dict) and "lang" in pdf else ("lang",)
