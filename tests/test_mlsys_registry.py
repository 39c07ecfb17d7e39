"""Chapter registry and ledger."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mlsys import registry  # noqa: E402


@pytest.fixture(autouse=True)
def _clean():
    registry.reset()
    yield
    registry.reset()


def test_start_chapter_parses_id_and_becomes_current():
    chapter = registry.start_chapter("vol1:ml_systems")
    assert (chapter.chapter_id, chapter.volume, chapter.slug) == ("vol1:ml_systems", "vol1", "ml_systems")
    assert registry.current_chapter() is chapter
    assert len(chapter.ledger) == 0
    assert registry.start_chapter("intro").volume is None


def test_no_chapter_raises():
    with pytest.raises(RuntimeError, match="start_chapter"):
        registry.current_chapter()


@pytest.mark.parametrize("bad", ["", "a b", ":x", "vol1:", "a:b:c"])
def test_invalid_ids(bad):
    with pytest.raises(ValueError):
        registry.start_chapter(bad)


def test_restart_opens_fresh_ledger():
    first = registry.start_chapter("vol1:ml_systems")
    registry.record("x_str", "1", sources=("A100_MEM_BW",), note="n")
    assert "x_str" in first.ledger and first.ledger["x_str"].sources == ("A100_MEM_BW",)
    second = registry.start_chapter("vol1:ml_systems")
    assert second is not first and len(second.ledger) == 0
    assert registry.chapters() == {"vol1:ml_systems": second}


def test_ledger_records_in_order_and_replaces():
    chapter = registry.start_chapter("c")
    chapter.ledger.record("a", 1)
    chapter.ledger.record("b", 2)
    chapter.ledger.record("a", 3)
    assert [(e.name, e.value) for e in chapter.ledger] == [("a", 3), ("b", 2)]
    with pytest.raises(ValueError):
        chapter.ledger.record("", 1)


def test_a_started_chapter_displays_nothing_in_a_notebook() -> None:
    from bookbuild.execute.mime import mime_bundle

    # A cell ending with start_chapter(...) would otherwise show the record and its timestamp.
    assert mime_bundle(registry.start_chapter("vol1:ml_systems")) == {}
