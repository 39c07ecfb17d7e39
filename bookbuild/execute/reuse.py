"""Execution with a cache: reuse a chapter's results when nothing they depend on changed.

See :mod:`bookbuild.execute.fingerprint` for what the key covers. A cached
result is reused only if, in addition, the data files its cells opened (and
the local modules they imported dynamically) are unchanged, and its
diagnostics (which carry ``.qmd`` lines) still point at the right lines: a
result with diagnostics is re-run when the prose above its cells moved them. Only the in-process engine is cached; the Jupyter engine is the
reference behaviour and always runs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..cache import Cache, file_digest
from . import FIGURE_FORMATS, execute_chapters
from .capture import DEFAULT_OUTPUT_LIMIT
from .encoding import result_from_json, result_to_json
from .fingerprint import DependencyScan, execution_key, local_dependencies, opened_data_files, position_signature
from .pool import ChapterJob
from .result import ExecutedChapter, ExecutionResult

STAGE = "execute"


@dataclass(frozen=True)
class _Entry:
    result: ExecutionResult
    positions: str
    data_files: tuple[tuple[str, str], ...]
    content: str  # the digest of the entry's bytes


def execute_with_cache(jobs: list[ChapterJob], cache: Cache | None, *, engine: str, timeout: float, workers: int,
                       figure_formats: tuple[str, ...] = FIGURE_FORMATS, output_limit: int = DEFAULT_OUTPUT_LIMIT,
                       on_done: Callable[[ChapterJob, ExecutionResult], None] | None = None) -> list[ExecutedChapter]:
    """Like :func:`execute_chapters`, reusing cached results where they are still valid."""
    run = functools.partial(execute_chapters, engine=engine, timeout=timeout, workers=workers,
                            figure_formats=figure_formats, output_limit=output_limit, on_done=on_done)
    if cache is None or engine != "inprocess":
        return run(jobs)
    keys, dependencies, reused = _reusable(jobs, cache, engine, figure_formats, output_limit)
    to_run = [n for n in range(len(jobs)) if n not in reused]
    fresh = run([jobs[n] for n in to_run])
    for n, executed in zip(to_run, fresh):
        reused[n] = executed
        if not any(d.code in ("timeout", "worker-crashed") for d in executed.diagnostics):
            _store(cache, keys[n], jobs[n], executed, dependencies[n])
    return [dataclasses.replace(reused[n], dependencies=tuple(str(p) for p in dependencies[n])) for n in range(len(jobs))]


def cached_executions(jobs: list[ChapterJob], cache: Cache, *, engine: str = "inprocess",
                      figure_formats: tuple[str, ...] = FIGURE_FORMATS,
                      output_limit: int = DEFAULT_OUTPUT_LIMIT) -> list[ExecutedChapter | None]:
    """Each job's cached result where it is still valid, else None: nothing is run."""
    if engine != "inprocess":
        return [None] * len(jobs)
    _, _, reused = _reusable(jobs, cache, engine, figure_formats, output_limit)
    return [reused.get(n) for n in range(len(jobs))]


def _reusable(jobs: list[ChapterJob], cache: Cache, engine: str, figure_formats: tuple[str, ...],
              output_limit: int) -> tuple[list[str], list[list[Path]], dict[int, ExecutedChapter]]:
    """(each job's key, its local dependencies, the still valid cached results by job index)."""
    keys: list[str] = []
    dependencies: list[list[Path]] = []
    reused: dict[int, ExecutedChapter] = {}
    scan = DependencyScan(cache)
    for n, job in enumerate(jobs):
        deps = local_dependencies(job.chapter, job.context.sys_path(), scan)
        key = execution_key(job.chapter, job.source_file, f"{engine}:{','.join(figure_formats)}:{output_limit}", deps,
                            job.context.fingerprint())
        keys.append(key)
        dependencies.append(deps)
        entry = _load(cache, key)
        if entry is not None and not _still_valid(entry, job):
            cache.reject(STAGE)
        elif entry is not None:
            r = entry.result
            reused[n] = ExecutedChapter(job.chapter, r.values, r.cells, r.diagnostics, r.seconds, engine,
                                        reused=True, opened=r.opened, content=entry.content)
    return keys, dependencies, reused


def _load(cache: Cache, key: str) -> _Entry | None:
    payload = cache.get(STAGE, key)
    if payload is None:
        return None
    try:
        result, extra = result_from_json(payload)
        positions = extra["positions"]
        data_files = tuple((str(path), str(digest)) for path, digest in extra["data_files"])
        if not isinstance(positions, str):
            raise ValueError("positions must be a string")
    except (ValueError, KeyError, TypeError):  # an unreadable entry (another version, garbled) is a cache miss
        cache.discard(STAGE, key, counted_hit=True)
        return None
    return _Entry(result, positions, data_files, hashlib.sha256(payload).hexdigest())


def _still_valid(entry: _Entry, job: ChapterJob) -> bool:
    if any(file_digest(Path(path)) != digest for path, digest in entry.data_files):
        return False
    return not entry.result.diagnostics or entry.positions == position_signature(job.chapter)


def _store(cache: Cache, key: str, job: ChapterJob, executed: ExecutedChapter, dependencies: list[Path]) -> None:
    data = opened_data_files(list(executed.opened), set(dependencies) | {Path(job.source_file).resolve()})
    result = ExecutionResult(executed.values, executed.cells, executed.diagnostics, executed.seconds, executed.opened)
    data_files = [[path, file_digest(Path(path))] for path in data]
    try:
        payload = result_to_json(result, positions=position_signature(job.chapter), data_files=data_files)
    except (TypeError, ValueError):  # a value JSON cannot hold: not cached, run again next time
        return
    cache.put(STAGE, key, payload)
