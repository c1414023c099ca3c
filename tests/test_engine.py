"""The local engine behind the seam: what a verb sees while a rebuild replaces the index."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from indexer import Config, IndexDamaged, SearchRequest, open_engine
from indexer.whoosh_engine import WhooshEngine, sync
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.store import searchers


def facts(results) -> tuple:
    """What a search says beside its hits: facets, the timeline, the source file's mtime."""
    return (results.facets.to_json(), results.facets.timeline_json(),
            [hit.modified is not None for hit in results.hits])


def test_a_verb_under_way_keeps_its_generation_through_a_rebuild(seed_config: Config):
    """Whoosh asks the disk whether a column exists: a generation removed under a
    searcher would silently lose its facets, dates and copies."""
    engine = WhooshEngine(seed_config)
    before = facts(engine.search(SearchRequest("mexico")))
    with engine._service.leased() as (searcher, generation):
        sync(seed_config, rebuild=True)  # publishes a new generation, removes the unleased
        assert generation.exists()  # leased: kept for the verb under way
        during = facts(search(searcher, "mexico"))
    assert during == before and before[0]["section"] and before[1]["bars"] and all(before[2])
    sync(seed_config)  # the next writer removes what is no longer leased
    assert not generation.exists()
    assert facts(engine.search(SearchRequest("mexico"))) == before  # the live one, followed
    engine.close()


def test_threads_share_one_engine_and_each_gets_its_own_searcher(seed_config: Config):
    engine = open_engine(seed_config)
    start = threading.Barrier(8)
    counts: list[int] = []

    def first_request() -> None:
        start.wait()
        counts.append(engine.document_count())

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert counts == [1] * 8
    held = list(engine._service._searchers.values())
    assert len(held) == 8 and len({id(searcher) for _, searcher in held}) == 8
    engine.close()
    assert not engine._service._searchers


def test_generations_vanishing_under_every_opening_fail_after_a_bounded_number(
        seed_config: Config, monkeypatch):
    """A generation removed before its lease is taken is followed to the live one, at
    most MAX_FOLLOWED times; then the request fails, saying why, instead of looping."""
    tries: list[Path] = []

    class Gone:
        """The lease searchers take: the generation is always gone by then."""

        @staticmethod
        def take(generation: Path) -> None:
            tries.append(generation)

    monkeypatch.setattr(searchers, "Lease", Gone)
    engine = WhooshEngine(seed_config)
    with pytest.raises(IndexDamaged, match="generations were removed as they were opened"):
        engine.search(SearchRequest("mexico"))
    assert len(tries) == searchers.MAX_FOLLOWED
    engine.close()
