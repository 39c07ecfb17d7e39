"""Inline values marked in the Markdown at a fraction of a span's cost to Pandoc's reader.

A page shows which inline each number is (``span.computed`` with ``data-value``, read
by the provenance popover). Written as a Markdown span, ``[text]{.computed
data-value="N"}``, each value costs Pandoc's reader a bracket and an attribute list:
a third of its time on a chapter dense with values. A plain value (letters, digits,
spaces and a few signs, standing between spaces, brackets or punctuation in prose) is
written instead as its text between invisible marks, :func:`marked`, which Pandoc reads
as ordinary characters of the words around them; :func:`spans_from_marks` then turns
each marked run of Pandoc's JSON into the very Span the Markdown span reads as.

The marks are Unicode tag characters, which have no width: a pipe table's lines are
as long as with the bare values, so Pandoc sizes its columns as it does for Quarto,
which substitutes values unmarked (a Markdown span's length could tip a line over
Pandoc's 72 columns and give the table relative widths). What cannot be marked so
keeps the Markdown span: text with a character Markdown gives a meaning (emphasis,
brackets, quotes, dashes, an abbreviation's full stop), or a value in any other
place. A mark that lands where no Span can go (a link's address, raw HTML) is taken
out, leaving the bare value there, as Quarto has it. A chapter holding a character of
the marks' range itself is written with spans only (see markdown.assemble).
"""

from __future__ import annotations

import re

#: Unicode's tag characters (format characters, no width: a table's lines are as long as with the bare
#: values, so Pandoc sizes its columns as for Quarto's): language tag, tag colon, cancel tag; tag digits.
START, SEPARATOR, END = "\U000E0001", "\U000E003A", "\U000E007F"
DIGIT_BASE = 0xE0030
#: Every character the marks are made of (what the chapter's own text must not hold).
MARK_CHARS = re.compile("[\U000E0000-\U000E007F]")
#: The text of a value that may be marked: letters, digits, spaces and signs Markdown gives no meaning to.
PLAIN = re.compile(r"(?:[^\W_]|[ .,:;%/+×−–≈°±-])+")
#: What a marked value's text must not hold: Markdown reads these (dashes, an ellipsis, an
#: abbreviation's no-break space, one space for two).
SPECIAL = ("--", "..", ". ", "  ")
#: What may stand before and after a marked value in the chapter's text.
BEFORE, AFTER = frozenset(" \t\n("), frozenset(" \t\n).,;:!?%–—/")
#: A marked value as Pandoc's JSON writer leaves it: the start inside a Str (after any text glued
#: to it), then Str and Space elements up to the end inside a Str.
_STR_TEXT = r'(?:[^"\\\U000E0000-\U000E007F]|\\.)*'
_STR_OPEN = '{"t":"Str","c":"'
MARKED = re.compile(r'\{"t":"Str","c":"(' + _STR_TEXT + ")" + START + "([\U000E0030-\U000E0039]+)" + SEPARATOR
                    + r'((?:[^"\\\U000E0000-\U000E007F]|"\},\{"t":"Space"\},\{"t":"Str","c":")+?)' + END
                    + "(" + _STR_TEXT + r')"\}')
LEFTOVER = re.compile(START + "[\U000E0030-\U000E0039]+" + SEPARATOR + "|" + END)


def can_mark(text: str, before: str, after: str) -> bool:
    """Whether a value's text is marked by :func:`marked` rather than a Markdown span, given the
    two characters ``before`` it and the one ``after`` it in the chapter (fewer at its start or end)."""
    last = before[-1:]
    return ((last == "" or last in BEFORE) and (after == "" or after in AFTER) and not before.endswith("](")
            and PLAIN.fullmatch(text) is not None and text == text.strip()
            and not any(special in text for special in SPECIAL))


def marked(text: str, index: int) -> str:
    """The value's text between the marks that say it is inline ``index``."""
    return START + "".join(chr(DIGIT_BASE + int(d)) for d in str(index)) + SEPARATOR + text + END


def holds_mark_chars(text: str) -> bool:
    """Whether ``text`` holds a character of the marks' range (then its values are not marked)."""
    return MARK_CHARS.search(text) is not None


def spans_from_marks(json_text: str) -> str:
    """Pandoc's JSON of marked Markdown, each marked value made the ``computed`` Span a Markdown
    span would have read as, and any mark that fell outside prose taken out."""
    if START not in json_text:
        return json_text
    json_text = MARKED.sub(_span, json_text)
    return LEFTOVER.sub("", json_text) if START in json_text or END in json_text else json_text


def _span(match: re.Match[str]) -> str:
    before, digits, body, after = match.groups()
    index = "".join(str(ord(c) - DIGIT_BASE) for c in digits)
    span = ('{"t":"Span","c":[["",["computed"],[["data-value","' + index + '"]]],['
            + _STR_OPEN + body + '"}]]}')
    return ((_STR_OPEN + before + '"},' if before else "") + span
            + ("," + _STR_OPEN + after + '"}' if after else ""))
