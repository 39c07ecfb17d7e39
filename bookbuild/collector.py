"""How often Python's cycle collector runs: seldom in the build's own process (never while it reads
a chapter's AST), as usual for the author's cells.

A build holds millions of long-lived dicts and lists (ASTs, execution results) that
form no cycles, and with the interpreter's thresholds the collector looks through all
of them each time their number grows by a quarter: on a 10 MB chapter that was a
third of the build's own CPU time. The execution workers are forked from the build's
process, so they inherit its pace and its heap; a chapter's cells may make cyclic
garbage (figures, say) by the thousand, so each worker collects at the interpreter's
usual pace, but never looks through what it inherited (the build's data, the
preloaded libraries): that is not the cells' garbage, and it ends with the worker.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

#: The interpreter's thresholds, as they were when the build started.
USUAL = gc.get_threshold()
#: A young generation of 100 000 objects (700 by default); the oldest looked through almost never.
RARELY = (100_000, 50, 1000)


def collect_cycles_rarely() -> None:
    """The build's own process: young cycles still collected, the long-lived heap left alone
    (the process ends with the build)."""
    gc.set_threshold(*RARELY)


def collect_cycles_as_usual() -> None:
    """A worker about to run the author's cells: the interpreter's thresholds, over what the cells
    make (everything alive now is set aside for good: ``gc.freeze``)."""
    gc.freeze()
    gc.set_threshold(*USUAL)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a large tree is made: the collector looks through every
    container alive each time their number grows by a quarter, so making a chapter's millions of
    dicts and lists cost eight times what reading them does. A JSON tree holds no cycles; refcounting
    frees it all the same."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
