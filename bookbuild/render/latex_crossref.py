"""The book's numbering and caption words as LaTeX: what ``book.tex`` says after the preamble.

LaTeX numbers the PDF's headings, figures, tables and equations itself, so the
book's settings (:class:`bookbuild.crossrefconfig.CrossrefConfig`) reach it as
commands: ``number-depth`` is ``secnumdepth`` (LaTeX counts a chapter as level
0), ``fig-title``/``tbl-title`` name the captions and ``title-delim`` separates
the number from the caption. References are text from the build's targets,
so they need nothing here.
"""

from __future__ import annotations

from ..crossrefconfig import CrossrefConfig

#: Before an unnumbered chapter: its figures, tables and equations are numbered 1, 2, … (as in HTML);
#: before a numbered one, N.1, N.2, … again.
PLAIN_NUMBERS = "\\bookplainnumbers"
CHAPTER_NUMBERS = "\\bookchapternumbers"


def latex_text(text: str) -> str:
    """Plain text as LaTeX text."""
    replacements = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                    "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}"}
    return "".join(replacements.get(ch, ch) for ch in text)


def counter_format(scheme: str, counter: str) -> str:
    """The LaTeX that prints ``counter`` in a numbering scheme (``crossref: labels``; see
    :func:`bookbuild.crossrefconfig.format_label`)."""
    if scheme == "roman":
        return f"\\Roman{{{counter}}}"
    if scheme == "roman i":
        return f"\\roman{{{counter}}}"
    if scheme.startswith("alpha"):
        start = scheme[6:7] or "a"
        base = "a" if start.islower() else "A"
        offset = ord(start) - ord(base)
        command = "@alph" if start.islower() else "@Alph"
        return f"\\csname {command}\\endcsname{{\\numexpr\\value{{{counter}}}+{offset}\\relax}}"
    return f"\\arabic{{{counter}}}"


def listing_float(config: CrossrefConfig) -> list[str]:
    """Quarto's ``codelisting`` for ``#lst-x``: captioned "Listing 1.2: …" (``crossref: lst-title``) and listed
    like a float, but set in place so long code can break across pages. ``\\begin{codelisting}[1.2]``
    shows the build's number (its \\ref too); the caption, in Quarto's form, is ``\\caption{\\label{lst-x}…}``."""
    name = latex_text(config.titles.get("lst", "Listing"))
    return [
        f"\\DeclareFloatingEnvironment[name={{{name}}}, within=none, fileext=lop]{{codelisting}}",
        "\\renewenvironment{codelisting}[1][]{\\par\\medskip\\captionsetup{type=codelisting}"
        "\\if\\relax\\detokenize{#1}\\relax\\else\\def\\thecodelisting{#1}\\fi}{\\par\\medskip}",
        "\\captionsetup[codelisting]{singlelinecheck=false}",  # flush left, as the code below it
    ]


def crossref_preamble(config: CrossrefConfig) -> str:
    """The preamble lines that carry the book's numbering depth and caption words."""
    if not config.number_sections:
        depth = -1
    elif config.number_depth is None:
        depth = 5
    else:
        depth = config.number_depth - 1
    delim = latex_text(config.title_delim)
    envs = [kind.latex_env for kind in config.custom]
    floats = ["\\usepackage{newfloat}", *listing_float(config)]
    floats += [f"\\DeclareFloatingEnvironment[name={{{latex_text(kind.caption_prefix)}}}, within=chapter, "
               f"placement=H, fileext=lo{kind.latex_env}]{{{kind.latex_env}}}" for kind in config.custom]
    saved = "".join(f"\\let\\bookchapterthe{env}\\the{env}" for env in envs)
    plain = "".join(f"\\setcounter{{{env}}}{{0}}\\renewcommand\\the{env}{{\\arabic{{{env}}}}}" for env in envs)
    restore = "".join(f"\\let\\the{env}\\bookchapterthe{env}" for env in envs)
    counters = {"fig": "figure", "tbl": "table", "eq": "equation", **{k.key: k.latex_env for k in config.custom}}
    schemes = {counters[kind]: scheme for kind, scheme in config.labels.items() if kind in counters and scheme != "arabic"}
    # A scheme other than arabic: the counter's own form, in a numbered chapter and in an unnumbered one.
    chapter_forms = "".join(f"\\def\\bookchapterthe{c}{{\\thechapter.{counter_format(s, c)}}}" for c, s in schemes.items())
    plain += "".join(f"\\renewcommand\\the{c}{{{counter_format(s, c)}}}" for c, s in schemes.items())
    through_book = []
    if not config.chapters:
        # `crossref: chapters: false`: items numbered through the book (never reset), in every chapter alike.
        through_book = [f"\\counterwithout{{{c}}}{{chapter}}" for c in ("figure", "table", "equation", *envs)]
        through_book += [f"\\renewcommand\\the{c}{{{counter_format(s, c)}}}" for c, s in schemes.items()]
        through_book.append("\\AtBeginDocument{\\renewcommand\\bookplainnumbers{}\\renewcommand\\bookchapternumbers{}}")
    subref = ([f"\\renewcommand\\thesubfigure{{{counter_format(config.subref_labels, 'subfigure')}}}"]
              if config.subref_labels != "alpha a" else [])
    return "\n".join([
        "% The book's numbering and caption words (number-sections, number-depth, crossref:):",
        f"\\setcounter{{secnumdepth}}{{{depth}}}",
        f"\\captionsetup[figure]{{name={{{latex_text(config.titles.get('fig', 'Figure'))}}}}}",
        f"\\captionsetup[table]{{name={{{latex_text(config.titles.get('tbl', 'Table'))}}}}}",
        f"\\DeclareCaptionLabelSeparator{{book}}{{{delim}\\space}}",
        "\\captionsetup{labelsep=book}",
        *floats,
        "\\AtBeginDocument{\\let\\bookchapterthefigure\\thefigure\\let\\bookchapterthetable\\thetable"
        "\\let\\bookchaptertheequation\\theequation" + saved + chapter_forms + "}",
        "\\newcommand\\bookplainnumbers{\\setcounter{figure}{0}\\setcounter{table}{0}\\setcounter{equation}{0}"
        "\\renewcommand\\thefigure{\\arabic{figure}}\\renewcommand\\thetable{\\arabic{table}}"
        "\\renewcommand\\theequation{\\arabic{equation}}" + plain + "}",
        "\\newcommand\\bookchapternumbers{\\let\\thefigure\\bookchapterthefigure\\let\\thetable\\bookchapterthetable"
        "\\let\\theequation\\bookchaptertheequation" + restore + "}",
        *through_book,
        *subref,
        "",
    ])
