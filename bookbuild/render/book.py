"""What every output format shares: the book checked, executed, assembled, parsed and numbered.

``prepare_book`` runs the stages common to HTML and PDF, in order: check
(parse + execute + book checks) -> figures (format-specific, given as a
function) -> Markdown assembly -> Pandoc AST -> book-wide numbering. Every
chapter is parsed and numbered, so cross-references resolve; only the selected
chapters execute and are rendered.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from ..cache import Cache, digest, file_digest
from ..callouts import Callouts
from ..celloptions import document_defaults, with_defaults
from ..crossrefconfig import CrossrefConfig, chapter_crossref, chapter_numbered, crossref_config
from ..check import CheckResult, LoadedChapter, chapter_bibliographies, check_book, default_workers
from ..diagnostics import Diagnostic, error
from ..language import Language, language_config
from ..pageoptions import LOCATIONS, location, toc_depth
from ..execute import ExecutedChapter
from ..execute.reuse import cached_executions
from ..palette import Palette
from ..limits import book_limits
from ..project import Book, ChapterEntry
from ..references import THEOREM_KINDS, XREF_KINDS, xref_label
from ..shortcodes import ShortcodeContext, expansions
from ..useroptions import FilterSpec
from . import userfilters
from .assumptions import assumptions_chapter
from .markdown import AssemblyInputs, assemble, cached_unmarkable
from .numbering import ChapterNumbers, Target, book_targets
from .outline import ChapterAst, ast_key, cited_in_order, number_sources
from . import chunks, idlefilters, readpieces, valuemarks
from .pandoc import DEFAULT_TIMEOUT, FILTERS_DIR, PandocError, filter_args, markdown_to_json, pandoc_version, run_pandoc
from .site import ChapterPage
from .tree import RewrittenTree, load_ast


#: Writes a chapter's figures for one format and says where they are.
FigureWriter = Callable[[LoadedChapter, ExecutedChapter, list[Diagnostic]], AssemblyInputs]


@dataclass
class PreparedBook:
    """The book after the shared stages; ``rendered`` lists the chapters to render, in order."""

    book: Book
    check: CheckResult
    chapters: list[LoadedChapter]
    executed: dict[str, ExecutedChapter]
    sources: list[ChapterAst]  # each chapter's AST, read when first needed
    numbers: list[ChapterNumbers]
    pages: list[ChapterPage]
    targets: dict[str, Target]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    crossref: CrossrefConfig = field(default_factory=CrossrefConfig)  # numbering and reference words
    chapter_crossref: dict[str, CrossrefConfig] = field(default_factory=dict)  # a chapter's own over them, by path
    language: Language = field(default_factory=Language)  # lang and every other word the engine prints
    pandoc_timeout: float = DEFAULT_TIMEOUT  # seconds per Pandoc run of a chapter (the build's limit)

    def crossref_for(self, loaded: LoadedChapter) -> CrossrefConfig:
        """The words and numbering schemes of a chapter's page: the book's, with the chapter's own over them."""
        return self.chapter_crossref.get(loaded.chapter.path, self.crossref)

    @property
    def asts(self) -> list[dict[str, Any]]:
        """Every chapter's AST (each read now if it was not yet)."""
        return [source.get() for source in self.sources]

    def rendered(self) -> list[tuple[LoadedChapter, dict[str, Any], ChapterPage, ChapterNumbers]]:
        """(chapter, AST, page, numbers) for each chapter selected for rendering."""
        return [(c, s.get(), p, n) for c, s, p, n in self.selected()]

    def selected(self) -> list[tuple[LoadedChapter, ChapterAst, ChapterPage, ChapterNumbers]]:
        """(chapter, its AST unread, page, numbers) for each chapter selected for rendering."""
        return [(c, s, p, n) for c, s, p, n in zip(self.chapters, self.sources, self.pages, self.numbers)
                if c.chapter.path in self.executed]

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        return self.check.diagnostics + self.diagnostics


@dataclass
class Build:
    """What a build of one format did: the shared stages' result, its own diagnostics, time taken."""

    out_dir: Path
    prepared: PreparedBook | None = None
    cache: Cache | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        return (self.prepared.all_diagnostics if self.prepared else []) + self.diagnostics

    def written(self) -> list[Path]:
        """The files the build wrote besides those its output folder's manifest lists."""
        return []


def page_of(entry_path: str) -> str:
    """The output path of a chapter: its project path with ``.html``."""
    return posixpath.splitext(Path(entry_path).as_posix())[0] + ".html"


def output_stem(book: Book, names: Sequence[str] | None) -> str:
    """``machine-learning-systems`` from the title (``book`` without one); a chapter build adds its name:
    the name of the book's one-file outputs (PDF, EPUB)."""
    slug = re.sub(r"[^a-z0-9]+", "-", book.title.lower()).strip("-") if book.title != "Untitled book" else ""
    slug = slug or "book"
    if names:
        slug += "-" + "-".join(Path(n).stem for n in names)
    return slug


def prepare_book(book: Book, names: list[str] | None, write_figures: FigureWriter, *, output_format: str,
                 cache: Cache | None = None, engine: str = "inprocess", timeout: float | None = None,
                 workers: int | None = None, log: TextIO = sys.stderr,
                 writable: tuple[Path, ...] = (), figure_paths: FigureWriter | None = None) -> PreparedBook:
    """Run the stages every format shares; ``write_figures`` handles the format's figures.

    ``timeout`` (default: the book's, see :mod:`bookbuild.limits`) limits each chapter's
    execution and each Pandoc run. ``writable``: the build's output folder (a cell
    writing there is not reported). ``figure_paths``: where ``write_figures`` puts a
    chapter's figures, writing nothing; with it, a chapter not selected now whose results
    are still valid in the cache is assembled as a whole-book build assembles it (its
    values, its figures), so its AST, title and numbers are that build's, from the cache.
    """
    workers = workers or default_workers()
    crossref = crossref_config(book, output_format)  # a wrong type stops the build before any work
    language = language_config(book, output_format)
    toc_depth(book, output_format)  # checked here too: a wrong value stops the build before any work
    for key in LOCATIONS:
        location(book, key, output_format)
    say = progress(log)
    pandoc_timeout = book_limits(book, timeout).timeout
    say("executing chapters…")
    # Pandoc's version names every AST: asked for while the chapters run, not after (its start costs a quarter second).
    asking = ThreadPoolExecutor(max_workers=1)
    asking.submit(pandoc_version)
    asking.shutdown(wait=False)
    checked = check_book(book, names, engine=engine, timeout=timeout, workers=workers, cache=cache, writable=writable,
                         output_format=output_format)
    reused = sum(1 for e in checked.executed if e.reused)
    if reused:
        say(f"reused the results of {reused} of {len(checked.executed)} chapter(s): their code and imports are unchanged")
    executed = {e.chapter.path: e for e in checked.executed}
    chapters = list(checked.chapters)
    problems: list[Diagnostic] = []
    if book.assumptions_title and not names:
        # Only a whole-book build knows every value, so only it regenerates the appendix.
        loaded, generated = assumptions_chapter(book.assumptions_title, checked.executed_chapters(), book.root)
        chapters.append(loaded)
        executed[loaded.chapter.path] = generated

    known = _known_results(book, [c for c in chapters if c.chapter.path not in executed], cache, engine, timeout,
                           output_format) if names and figure_paths is not None and cache is not None else {}
    say(f"preparing figures for {len(executed)} chapter(s)…")
    markdown = {}
    for loaded in chapters:
        run = executed.get(loaded.chapter.path)
        if run is None and loaded.chapter.path in known:
            run = known[loaded.chapter.path]
            with cache.uncounted():  # type: ignore[union-attr]  # (known is empty without a cache)
                inputs = figure_paths(loaded, run, [])  # its problems are reported when it is built itself
        elif run is None:
            # Not rendered this time: numbering only needs its structure (which cells show a listing).
            defaults = document_defaults(book.config, loaded.chapter.front_matter, output_format)
            run = ExecutedChapter(with_defaults(loaded.chapter, defaults), (), (), (), 0.0, "none")
            inputs = AssemblyInputs({}, {}, output_format=output_format)
        else:
            inputs = write_figures(loaded, run, problems)
        context = ShortcodeContext(loaded.chapter.front_matter, book.config, checked.variables, output_format)
        inputs = dataclasses.replace(inputs, shortcodes=expansions(loaded.chapter, context),
                                     unmarkable=cached_unmarkable(cache, run) if inputs.mark_values else None)
        markdown[loaded.chapter.path] = assemble(run, inputs)

    say("parsing with pandoc…")
    too_deep = {shown for shown, group in checked.groups.items() if any(d.code == "nesting" for d in group)}
    sources = [chapter_ast(c, "" if c.shown in too_deep else markdown[c.chapter.path], cache, problems, pandoc_timeout)
               for c in chapters]
    # What numbering needs comes from the cache for an unchanged chapter; the others are parsed now, in parallel.
    parallel(workers, [source.facts for source in sources])
    # A chapter's own `crossref:` words and label schemes apply to its pages (the PDF is one document: the book's).
    own_crossref = {c.chapter.path: chapter_crossref(crossref, c.chapter.front_matter) for c in chapters} \
        if output_format != "latex" else {}
    numbers = number_sources(sources, [c.entry for c in chapters], crossref,
                             [chapter_numbered(c.chapter.front_matter, output_format) for c in chapters], cache,
                             [own_crossref.get(c.chapter.path, crossref) for c in chapters])
    # A part given as a page (`part: intro.qmd`) is titled by that page's heading.
    part_titles = {c.entry.path: n.title or c.entry.name for c, n in zip(chapters, numbers) if c.entry.part_page}
    pages = [ChapterPage(page_of(c.entry.path), n.title or c.entry.name, n.chapter,
                         part_titles.get(c.entry.part or "", c.entry.part), part_page=c.entry.part_page,
                         appendix=c.entry.appendix)
             for c, n in zip(chapters, numbers)]
    targets = book_targets([(p.page, n) for p, n in zip(pages, numbers)])
    return PreparedBook(book, checked, chapters, executed, sources, numbers, pages, targets, problems, crossref,
                        {path: c for path, c in own_crossref.items() if c is not crossref}, language, pandoc_timeout)


def _known_results(book: Book, chapters: list[LoadedChapter], cache: Cache, engine: str, timeout: float | None,
                   output_format: str) -> dict[str, ExecutedChapter]:
    """The cached, still valid results of chapters not run now (nothing runs), by chapter path.

    Looking is not counted in the cache's figures: the summary line reports what the build used."""
    with cache.uncounted():
        found = cached_executions([c.job(book, output_format=output_format) for c in chapters], cache, engine=engine,
                                  output_limit=book_limits(book, timeout).output_limit)
    return {c.chapter.path: run for c, run in zip(chapters, found) if run is not None}


def chapter_ast(loaded: LoadedChapter, markdown: str, cache: Cache | None, problems: list[Diagnostic],
                timeout: float) -> ChapterAst:
    """The chapter's AST, to be read (parsed, or from the cache) when first needed; a chapter
    Pandoc cannot read gets an empty one (never kept under its key) and an error in ``problems``."""
    holder: list[ChapterAst] = []

    def load() -> dict[str, Any]:
        failures = len(problems)
        ast = _parse_or_report(loaded, markdown, cache, problems, timeout)
        if len(problems) > failures:
            holder[0].cache = None  # the empty page stands in: nothing is kept under the Markdown's key
        return ast

    holder.append(ChapterAst(ast_key(markdown), load, cache))
    return holder[0]


def _parse_or_report(loaded: LoadedChapter, markdown: str, cache: Cache | None, problems: list[Diagnostic],
                     timeout: float) -> dict[str, Any]:
    """The chapter's AST, or an empty one and an error when Pandoc cannot read it (or within ``timeout`` s)."""
    try:
        return parse_markdown(markdown, loaded.file.parent, cache, timeout)
    except PandocError as exc:
        problems.append(error("pandoc", loaded.shown, 1, f"pandoc could not read the chapter: {exc}",
                              hint="look for runaway LaTeX macros or unbalanced braces in the prose"))
    except RecursionError:
        problems.append(too_deep_error(loaded.shown))
    return parse_markdown("", loaded.file.parent, None)  # an empty page: the error says why


def too_deep_error(shown: str) -> Diagnostic:
    """A chapter whose structure nests deeper than the build's readers go (the check names the line when it can)."""
    return error("nesting", shown, 1, "the chapter nests too deeply for the build to read (more than Python's "
                 "recursion limit)", hint="flatten deeply nested divs, quotes, lists or emphasis; the chapter is not rendered")


def parse_markdown(markdown: str, folder: Path, cache: Cache | None, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Pandoc's AST of a chapter's Markdown, from the cache when the same text was parsed before
    (Pandoc stopped after ``timeout`` seconds)."""
    key = ast_key(markdown)
    if cache is not None:
        payload = cache.get("pandoc-ast", key)
        if payload is not None:
            try:
                return load_ast(payload)
            except ValueError:
                cache.discard("pandoc-ast", key, counted_hit=True)
    # A large chapter is read in pieces, in parallel, when it can be (the same JSON as one run's).
    # (A value's marks lie within a line: each piece's are made spans as it arrives.)
    text, ast = readpieces.markdown_document(
        markdown, lambda part: valuemarks.spans_from_marks(markdown_to_json(part, cwd=folder, timeout=timeout)),
        load_ast)
    if cache is not None:
        cache.put("pandoc-ast", key, text.encode("utf-8"))
    return ast


def citation_style(checked: CheckResult, output_format: str) -> Path | None:
    """The book's CSL file for a format, if Pandoc can read it (a missing or broken one is the
    check's error; Pandoc then uses its default, author-date style)."""
    path = checked.book.csl(output_format)
    return next(iter(checked.usable([path])), None) if path is not None else None


def bibliography_files(checked: CheckResult, chapters: Sequence[LoadedChapter]) -> list[Path]:
    """The bibliographies a build gives Pandoc for ``chapters``: the book's and their own (front
    matter), those Pandoc can read (the check reports the others, so one broken file does not
    fail every page)."""
    paths = dict.fromkeys(path for loaded in chapters for path in chapter_bibliographies(checked.book, loaded))
    return checked.usable(list(paths) or [(checked.book.root / name).resolve() for name in checked.book.bibliography])


def render_chapter(stage: str, ast: dict[str, Any] | Callable[[], dict[str, Any] | RewrittenTree], data: dict[str, Any], *,
                   template: str, filters: list[str],
                   options: list[str], bibliographies: list[Path], folder: Path, cache: Cache,
                   csl: Path | None = None, user_filters: Sequence[FilterSpec] = (),
                   messages: list[dict[str, Any]] | None = None, timeout: float = DEFAULT_TIMEOUT,
                   env: dict[str, str] | None = None, source_key: str | None = None,
                   in_pieces: Callable[[RewrittenTree, dict[str, Any], "chunks.Run", bool], str | None] | None = None,
                   skip_idle: bool = False) -> str:
    """Pandoc's output for one chapter's AST through the book's filters, from the cache when it can
    (Pandoc stopped after ``timeout`` seconds).

    The key covers everything Pandoc sees: the AST, the filter data (numbers, the
    targets this chapter refers to, callout styles), the template, the options,
    the filters' source (the book's own ``user_filters`` too, placed at their
    entry points), the bibliographies, the citation style and Pandoc's version.
    What the user filters report is put into ``messages`` (kept with the output
    in the cache). ``env``: variables for Pandoc's process (part of the key).
    ``ast`` may be a function giving it (or a :class:`RewrittenTree` of it), with ``source_key`` a digest
    of everything it is made from: then the key covers that digest instead, and the AST is made only
    when the cache misses.
    ``in_pieces``: renders a large page in pieces that join into this same output, or says None
    (:func:`bookbuild.render.chunks.render_pieces`: the AST, the data, a run, whether there is a
    bibliography); not with the book's own filters.
    ``skip_idle``: leave out the filters that would change nothing in the AST (:mod:`bookbuild.render.idlefilters`).
    Raises PandocError (a FilterError when a user filter failed).
    """
    source = None if source_key is not None else json.dumps(_ast_of(ast), sort_keys=True)
    data_text = json.dumps(data, sort_keys=True)
    key = digest(stage, pandoc_version(), template, source_key or "", source or "", data_text, *options,
                 *[f"{name}={value}" for name, value in sorted((env or {}).items())],
                 *[file_digest(FILTERS_DIR / f"{name}.lua") for name in [*filters, "bookdata", "panels"] if name != "citeproc"],
                 *userfilters.digests(user_filters),
                 *[file_digest(path) for path in bibliographies], *([file_digest(csl)] if csl else []))
    cached = cache.get(stage, key)
    said = cache.get(f"{stage}-messages", key) if user_filters else b"[]"
    if cached is not None and said is not None:
        try:
            text = cached.decode("utf-8")
        except UnicodeDecodeError:
            cache.discard(stage, key, counted_hit=True)
        else:
            if messages is not None:
                messages.extend(json.loads(said))
            return text

    def run(source: str, data_text: str, extra: Sequence[str] = ()) -> tuple[str, str]:
        return _run_filters(source, data_text, template=template, options=options, bibliographies=bibliographies,
                            csl=csl, filters=[*filters, *extra], user_filters=user_filters, folder=folder,
                            timeout=timeout, env=env, skip_idle=skip_idle)

    output = None
    if in_pieces is not None and not user_filters:
        tree = _tree_of(ast)
        output = in_pieces(tree, data, lambda source, text: run(source, text, ["codecount"]), bool(bibliographies))
        said_text = ""
        if output is None and source is None:
            source = json.dumps(tree.whole(), sort_keys=True)
    if output is None:
        if source is None:
            source = json.dumps(_ast_of(ast), sort_keys=True)
        output, said_text = run(source, data_text)
    said_list = userfilters.read_messages(said_text)
    if messages is not None:
        messages.extend(said_list)
    cache.put(stage, key, output.encode("utf-8"))
    if user_filters:
        cache.put(f"{stage}-messages", key, json.dumps(said_list).encode("utf-8"))
    return output


def _run_filters(source: str, data_text: str, *, template: str, options: list[str], bibliographies: list[Path],
                 csl: Path | None, filters: list[str], user_filters: Sequence[FilterSpec], folder: Path,
                 timeout: float, env: dict[str, str] | None, skip_idle: bool) -> tuple[str, str]:
    """One Pandoc run of an AST's JSON through the filters (``skip_idle``: but those that would change
    nothing in it, :mod:`bookbuild.render.idlefilters`): (its output, what it said on stderr)."""
    with tempfile.TemporaryDirectory(prefix="bookbuild-") as scratch:
        template_file, data_file = Path(scratch) / "parts.template", Path(scratch) / "data.json"
        template_file.write_text(template, encoding="utf-8")
        data_file.write_text(data_text, encoding="utf-8")
        args = ["--from", "json", "--standalone", "--template", str(template_file), *options,
                "--metadata", f"bookbuild-data={data_file}", "--metadata", "link-citations=true"]
        for path in bibliographies:
            args += ["--bibliography", str(path)]
        if csl:
            args += ["--csl", str(csl)]
        if skip_idle and not user_filters:  # (the book's own filters may make what ours act on)
            filters = idlefilters.needed(filters, source, bibliography=bool(bibliographies))
        steps: list[str | Path] = []
        wrappers: dict[str, FilterSpec] = {}
        for n, step in enumerate(userfilters.chain(filters, user_filters)):
            if isinstance(step, str):
                steps.append(step)
                continue
            wrapper = Path(scratch) / f"user-{n}-{step.path.name}"
            wrapper.write_text(userfilters.wrapper(step), encoding="utf-8")
            wrappers[str(wrapper)] = step
            steps.append(wrapper)
        stderr: list[str] = []
        try:
            output = run_pandoc([*args, *filter_args(steps)], source, cwd=folder, timeout=timeout, stderr=stderr,
                                env=env)
        except PandocError as exc:
            raise userfilters.failure(exc, wrappers) from exc
    return output, "".join(stderr)


def _tree_of(ast: dict[str, Any] | Callable[[], dict[str, Any] | RewrittenTree]) -> RewrittenTree:
    made = ast() if callable(ast) else ast
    return made if isinstance(made, RewrittenTree) else RewrittenTree(made)


def _ast_of(ast: dict[str, Any] | Callable[[], dict[str, Any] | RewrittenTree]) -> dict[str, Any]:
    return _tree_of(ast).whole()


def number_book(asts: list[dict[str, Any]], entries: list[ChapterEntry], config: CrossrefConfig | None = None,
                own: Sequence[bool | None] = (), configs: Sequence[CrossrefConfig] = ()) -> list[ChapterNumbers]:
    """Chapter numbers in book order: 1, 2, … then appendices A, B, ….

    A chapter whose title is ``.unnumbered`` takes none, nor does a part's own page,
    nor any chapter when the book says ``number-sections: false``, nor one whose
    front matter says so (``own``: each chapter's setting, None when it has none).
    A chapter with no level-1 title has no number; when its own front matter says
    ``number-sections: true`` its sections are numbered 1, 1.1, … on their own.
    ``configs``: each chapter's numbering schemes (its own ``crossref: fig-labels`` …), else ``config``'s.
    """
    sources = [ChapterAst("", lambda ast=ast: ast, None) for ast in asts]
    return number_sources(sources, entries, config or CrossrefConfig(), own, None, configs)


def cited_keys(ast: dict[str, Any], kinds: tuple[str, ...] = ()) -> set[str]:
    """Every key the chapter cites, and every label it cross-references (``@key``; ``kinds``: the book's own)."""
    return {xref_label(key, kinds) for key in cited_in_order(ast)}


def filter_data(page: str, numbers: ChapterNumbers, targets: dict[str, Target], palette: Palette, *,
                callouts: Callouts, referenced: set[str] | None = None,
                single_document: bool = False, crossref: CrossrefConfig | None = None,
                language: Language | None = None, layout: dict[str, str] | None = None) -> dict[str, Any]:
    """What the Lua filters need for one chapter: header numbers, link targets, callout styles.

    Only the targets the chapter refers to (``referenced``; all when None) and
    its own (its figures, tables and equations show their numbers) are
    included, so a chapter's rendering, and its cache key, change only when a
    label it holds or points at does. In a single document (the PDF) every
    target is an anchor. ``callouts``: the book's callout styles (``Book.callouts``);
    ``crossref``: the book's words for references and captions; ``language``: its other words
    (callout titles, the chapter contents' label); ``layout``: where the chapter's footnotes and
    citations go (:func:`bookbuild.pageoptions.layout_json`).
    """
    crossref = crossref or CrossrefConfig()
    language = language or Language()
    wanted = None if referenced is None else referenced | set(numbers.labels)
    chosen = targets if wanted is None else {label: targets[label] for label in sorted(wanted) if label in targets}
    return {
        "page": page,
        "headers": numbers.headers,
        "appendix": numbers.appendix,
        "targets": {label: {"kind": t.kind, "number": t.number, "text": t.text_in(crossref), "page": t.page,
                            "href": f"#{label}" if single_document else t.href_from(page)}
                    for label, t in chosen.items()},
        "callouts": callouts.with_titles(language.callout_titles()).to_json(),
        "xref_kinds": [*XREF_KINDS, *crossref.custom_keys],
        "theorem_kinds": list(THEOREM_KINDS),
        "stack_color": palette.get("primary", "#A51C30"),
        "crossref": crossref.filter_json(),
        "language": {"minitoc-title": language["minitoc-title"]},
        "layout": layout or {},
    }


def meta_flags(config: dict[str, Any], front_matter: dict[str, Any]) -> dict[str, bool]:
    """Which metadata keys are true, for `when-meta` / `unless-meta` (dotted paths, the
    chapter's front matter over the book's configuration): key path -> truthiness."""
    flags: dict[str, bool] = {}

    def visit(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                visit(f"{prefix}.{key}" if prefix else str(key), inner)
        flags[prefix] = value not in (None, False, "", "false", [], {}) if prefix else False

    visit("", config)
    visit("", front_matter)
    flags.pop("", None)
    return flags


def parallel(workers: int, tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run thunks on a thread pool (they wait on subprocesses), results in order."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda task: task(), tasks))


def progress(log: TextIO) -> Callable[[str], None]:
    """A function that prints one progress line to ``log``."""
    def say(message: str) -> None:
        log.write(f"  {message}\n")
        log.flush()
    return say
