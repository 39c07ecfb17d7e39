"""A large chapter's Markdown read by Pandoc in pieces, in parallel, joined into the JSON one run writes.

Pandoc's Markdown reader takes about 2.5 s per MB in one process, on one core. A
chapter of at least :data:`READ_FROM` characters is cut before top-level headings
into pieces of about :data:`PIECE_SIZE`, each read by its own Pandoc (two at a time),
and their blocks are joined. The result is the text one run would write, byte for byte,
or the chapter is read in one run: a piece is cut only where what the reader carries
through a document cannot cross the cut.

- Where: before a heading line (``#``) at the start of a line after a blank line, outside
  fenced code, fenced divs, HTML comments, YAML or table blocks opened by a line of
  dashes, and ``\\begin{…}`` environments. Any line this scan cannot read as Pandoc does
  (a fence or div marker in another form or place, raw HTML at a line's start, a line of
  LaTeX whose braces do not close) keeps the chapter whole.
- What the reader carries: reference-link definitions, example lists and LaTeX macro
  definitions keep the chapter whole; a footnote's label must stay within one piece; a
  ``[text]`` that could be an implicit reference to any heading keeps it whole; the
  headings' ids (Pandoc makes ``-1`` of a repeated one) must differ between pieces; a
  later piece must hold no metadata; and the count Pandoc gives citations
  (``citationNoteNum``, one per citation and per note) is carried on: each piece but the
  last ends with a citation of its own, whose number says how far the piece counted,
  and is then taken off.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

#: Chapters of at least this many characters of Markdown are read in pieces.
READ_FROM = 1_000_000
#: About how many characters each piece holds.
PIECE_SIZE = 1_000_000
#: How many Pandoc processes read at a time.
WORKERS = 2

#: The citation ending each piece but the last (its number is the piece's count of citations and notes).
END_KEY = "bookbuild-piece-end-c1t3"
END_BLOCK = re.compile(r',?\{"t":"Para","c":\[\{"t":"Cite","c":\[\[\{"citationId":"' + END_KEY + r'",'
                       r'"citationPrefix":\[\],"citationSuffix":\[\],"citationMode":\{"t":"AuthorInText"\},'
                       r'"citationNoteNum":(\d+),"citationHash":0\}\],\[\{"t":"Str","c":"@' + END_KEY + r'"\}\]\]\}\]\}\]\}\n')
HEAD = re.compile(r'\{"pandoc-api-version":\[[\d,]+\],"meta":')
NOTE_NUMBER = re.compile(r'"citationNoteNum":(\d+)')
HEADER_ID = re.compile(r'\{"t":"Header","c":\[\d+,\["((?:[^"\\]|\\.)*)"')

#: What the reader keeps through a whole document, which a piece cannot see in another:
#: a reference-link definition, an example list's item, a LaTeX macro definition.
WHOLE = (re.compile(r"\[(?!\^)[^\[\]\n]*\]:"), re.compile(r"^[ \t>]*\(?@[\w-]*[.)]", re.M),
         re.compile(r"\\(?:[A-Za-z]*(?:command|environment|def|let)(?![A-Za-z])|DeclareMathOperator)"))
NOTE_LABEL = re.compile(r"\[\^([^\]\s]+)\]")
BRACKET = re.compile(r"\\.|[\[\]]")
ATX = re.compile(r"^#{1,6}(?:[ \t]+(.*?))?[ \t]*$")
SETEXT = re.compile(r"^(?:=+|-+)[ \t]*$")
TRAILING_ATTR = re.compile(r"(?:[ \t]+#+)?[ \t]*(?:\{[^{}]*\})?[ \t]*$")

FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
#: What follows a fence Pandoc reads as one (checked against Pandoc in the tests): nothing, one word, or
#: attributes of the plain forms (``{.python .cell-code}``, ``{#id key="a b" k=v}``, ``{=html}``).
ATTR = r'(?:\.[A-Za-z_][\w-]*|#[A-Za-z_][\w:.-]*|[A-Za-z_][\w-]*=(?:"[^"\\\n]*"|[^\s"\'{}\\`]+))'
FENCE_INFO = re.compile(r"^[ \t]*(?:[^\s{}`~]+|\{[ \t]*(?:=[\w-]+|(?:" + ATTR + r"[ \t]+)*" + ATTR + r")[ \t]*\})?[ \t]*$")
DIV = re.compile(r"^:{3,}(.*)$")
DIV_INFO = re.compile(r"^[ \t]*(?:[^\s{}:`]+|\{[ \t]*(?:(?:" + ATTR + r"[ \t]+)*" + ATTR + r")?[ \t]*\})[ \t]*:*[ \t]*$")
DASHES = re.compile(r"^[ \t]*-[- \t]*$")
BEGIN = re.compile(r"^[ \t]{0,3}\\begin\{([^{}]+)\}")
MARKERS = ("```", "~~~", ":::")

Read = Callable[[str], str]
#: Reads JSON text into Python (:func:`bookbuild.render.tree.load_ast`).
Load = Callable[[str], Any]


def cut_points(text: str, size: int) -> list[int] | None:
    """The offsets where pieces of about ``size`` characters start (0 first), or None when the
    text is to be read in one run (see the module's description)."""
    if "\r" in text or any(pattern.search(text) for pattern in WHOLE) or _implicit_references(text):
        return None
    candidates = _candidates(text)
    if candidates is None:
        return None
    cuts = [0]
    for offset in candidates:
        if offset - cuts[-1] >= size and len(text) - offset >= size // 2:
            cuts.append(offset)
    if len(cuts) < 2 or not _notes_stay(text, cuts):
        return None
    return cuts


def _candidates(text: str) -> list[int] | None:
    """The offsets of the lines a piece may start at, or None when a line is one the scan cannot read."""
    found: list[int] = []
    fence: tuple[str, int] | None = None  # the open code fence's character and length
    region: str | None = None  # "comment", "dashes", "table", or a LaTeX environment's name
    divs = 0
    blank_before = True
    offset = 0
    lines = text.split("\n")
    for n, line in enumerate(lines):
        start, offset = offset, offset + len(line) + 1
        followed = n + 1 < len(lines) and bool(lines[n + 1].strip())  # by a line that is not blank
        blank = not line.strip()
        if fence is not None:
            char, length = fence
            stripped = line.lstrip(" ")
            if stripped.startswith(char * 3) and len(line) - len(stripped) in (1, 2, 3):
                return None  # an indented fence: Pandoc may close with it
            if line.startswith(char * length) and not line.strip().strip(char):
                fence = None
            blank_before = blank
            continue
        if region == "comment":
            if any(marker in line for marker in MARKERS):
                return None
            if "-->" in line:
                region = "comment" if _opens_comment(line.split("-->", 1)[1]) else None
            blank_before = blank
            continue
        if region in ("dashes", "table"):
            if any(marker in line for marker in MARKERS) or "<!--" in line:
                return None
            if region == "table" and blank or region == "dashes" and not followed and \
                    (DASHES.match(line) or line.rstrip() == "..."):
                region = None
            blank_before = blank
            continue
        if region is not None:  # a LaTeX environment
            if any(marker in line for marker in MARKERS) or "<!--" in line:
                return None
            if f"\\end{{{region}}}" in line:
                region = None
            blank_before = blank
            continue
        if blank:
            blank_before = True
            continue
        opened = FENCE.match(line)
        if opened:
            if not FENCE_INFO.match(opened.group(2)):
                return None
            fence = (opened.group(1)[0], len(opened.group(1)))
            blank_before = False
            continue
        div = DIV.match(line)
        if div:
            if not div.group(1).strip():
                if divs == 0:
                    return None
                divs -= 1
            elif DIV_INFO.match(div.group(1)):
                divs += 1
            else:
                return None
            blank_before = False
            continue
        if any(marker in line for marker in MARKERS) or line.lstrip(" ").startswith("<") and not \
                line.lstrip(" ").startswith("<!--"):
            return None
        if line.startswith("#") and blank_before and divs == 0 and ATX.match(line) and start:
            found.append(start)
        environment = BEGIN.match(line)
        if environment:
            region = environment.group(1)
            if f"\\end{{{region}}}" in line[environment.end():]:
                region = None
        elif line.lstrip(" ").startswith("\\") and not _braces_close(line):
            return None
        if _opens_comment(line):
            region = "comment"
        elif DASHES.match(line) and line.count("-") >= 2 and followed:
            # A line of dashes with a line below opens a table (or YAML) whose rows may be apart: after a
            # blank line, to the next line of dashes (or ``...``) above a blank one; else to the next blank line.
            region = "dashes" if blank_before else "table"
        blank_before = False
    if fence is not None or region is not None or divs:
        return None
    return found


def _opens_comment(line: str) -> bool:
    """Whether an HTML comment is still open at the end of the line (from outside one at its start)."""
    open_ = False
    position = 0
    while True:
        marker = "-->" if open_ else "<!--"
        found = line.find(marker, position)
        if found < 0:
            return open_
        open_, position = not open_, found + len(marker)


def _braces_close(line: str) -> bool:
    """Whether a line's braces (not escaped ones) pair up."""
    depth = 0
    for match in re.finditer(r"\\.|[{}]", line):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _key(text: str) -> str:
    """A coarse form of a reference's or heading's text: two Pandoc matches are equal in it."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _implicit_references(text: str) -> bool:
    """Whether a bracketed text could name a heading (Pandoc links ``[Heading text]`` to that
    heading wherever it is), or a heading's title is one this cannot tell of (code and brackets)."""
    keys = set()
    lines = text.split("\n")
    for n, line in enumerate(lines):
        title = None
        if line.startswith("#"):
            match = ATX.match(line)
            title = TRAILING_ATTR.sub("", match.group(1) or "") if match else None
        elif n and lines[n - 1].strip() and SETEXT.match(line):
            title = TRAILING_ATTR.sub("", lines[n - 1])
        if title is not None:
            if "`" in title and ("[" in title or "]" in title):
                return True
            if _key(title):
                keys.add(_key(title))
    return bool(keys) and any(_key(text[start:end]) in keys for start, end in _bracketed(text))


def _bracketed(text: str) -> list[tuple[int, int]]:
    """The spans inside every pair of brackets that match (nested ones too; escaped ones are not brackets)."""
    spans, opened = [], []
    for match in BRACKET.finditer(text):
        token = match.group(0)
        if token == "[":
            opened.append(match.end())
        elif token == "]" and opened:
            spans.append((opened.pop(), match.start()))
    return spans


def _notes_stay(text: str, cuts: list[int]) -> bool:
    """Whether each footnote label is named in one piece only (its note and its references together)."""
    seen: dict[str, int] = {}
    for n, (start, end) in enumerate(zip(cuts, [*cuts[1:], len(text)])):
        for label in set(NOTE_LABEL.findall(text, start, end)):
            if seen.setdefault(label.lower(), n) != n:
                return False
    return True


def joined(outputs: Iterable[str], count: int, load: Load) -> tuple[str, Any] | None:
    """The JSON of the whole document from its ``count`` pieces' (each but the last ending with the
    end citation), and the document ``load`` reads from it, each piece's blocks read as the piece
    comes (``outputs`` may be an iterator: Pandoc still reads the later ones); ``load`` reads JSON
    text, here a list of blocks or the document without them. None when a piece does not have the
    expected shape or the pieces' headings share an id."""
    prefix = empty = ""
    bodies, blocks, offset, ids, taken = [], [], 0, set(), 0
    for n, output in enumerate(outputs):
        taken += 1
        last = n == count - 1
        if n == 0:
            head = HEAD.match(output)
            blocks_at = output.find(',"blocks":[', head.end()) if head else -1
            if head is None or blocks_at < 0:
                return None
            prefix = output[:blocks_at] + ',"blocks":['
            empty = output[:head.end() - len(',"meta":')] + ',"meta":{},"blocks":['
        start = len(prefix) if n == 0 else len(empty)
        if n and not output.startswith(empty):
            return None
        end = _end_block(output, start) if not last else None
        if n >= count or not last and end is None or last and not output.endswith("]}\n"):
            return None
        body = output[start:end.start() if end else -3]
        if n and not body.startswith('{"t":"Header"'):
            return None
        found = set(HEADER_ID.findall(body))
        if found & ids:
            return None
        ids |= found
        if offset:
            body = NOTE_NUMBER.sub(lambda m: f'"citationNoteNum":{int(m.group(1)) + offset}', body)
        if end is not None:
            offset += int(end.group(1)) - 1
        if body:
            bodies.append(body)
            blocks.append(load(f"[{body}]"))
    if taken != count:
        return None
    document = load(prefix[:-len(',"blocks":[')] + "}")
    if isinstance(document, dict):
        document["blocks"] = [block for part in blocks for block in part]
    return prefix + ",".join(bodies) + "]}\n", document


def _end_block(output: str, start: int) -> re.Match[str] | None:
    """The end citation closing a piece's JSON (with the comma before it), if it is there."""
    found = output.rfind('{"t":"Para","c":[{"t":"Cite","c":[[{"citationId":"' + END_KEY + '"', start)
    if found < 0:
        return None
    if found > start and output[found - 1] == ",":
        found -= 1
    return END_BLOCK.fullmatch(output, found)


def read_in_pieces(text: str, read: Read, *, read_from: int | None = None, size: int | None = None,
                   workers: int = WORKERS, load: Load | None = None) -> tuple[str, Any] | None:
    """Pandoc's JSON of ``text`` read in pieces (``read``: one Pandoc run, Markdown -> JSON text),
    ``workers`` at a time, and the document ``load`` reads from it (see :func:`joined`;
    None without ``load``); None when it is to be read in one run (small, not safely cut, or the
    pieces do not join). The sizes default to :data:`READ_FROM` and :data:`PIECE_SIZE`."""
    read_from = READ_FROM if read_from is None else read_from
    size = PIECE_SIZE if size is None else size
    if len(text) < read_from or END_KEY in text:
        return None
    pieces = max(2, round(len(text) / size))
    cuts = cut_points(text, len(text) // pieces)
    if cuts is None:
        return None
    sources = [text[start:end] for start, end in zip(cuts, [*cuts[1:], len(text)])]
    sources = [source + f"\n\n@{END_KEY}\n" for source in sources[:-1]] + sources[-1:]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        # Each piece is joined (and read by ``load``) as it arrives, while Pandoc reads the next ones.
        return joined(pool.map(read, sources), len(sources), load or (lambda part: None))


def markdown_document(markdown: str, read: Read, load: Load) -> tuple[str, Any]:
    """Pandoc's JSON of a chapter's Markdown, and the document ``load`` reads from it: read in pieces
    when it is large and can be (:func:`read_in_pieces`; each piece's blocks read as Pandoc gives
    them), else in one run. ``read`` raises when Pandoc fails; a piece that fails has the chapter
    read in one run, so an error is the whole chapter's."""
    try:
        whole = read_in_pieces(markdown, read, load=load)
    except Exception:  # noqa: BLE001 - the one run below reports what is wrong
        whole = None
    if whole is not None:
        return whole
    text = read(markdown)
    return text, load(text)
