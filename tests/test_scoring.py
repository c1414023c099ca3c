"""The array scorer gives exactly Whoosh's results, on a real index with several
segments and deleted documents."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq
from whoosh.highlight import Highlighter

from indexer import Config
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.search.query import build_parser, parse
from indexer.whoosh_engine.search.scoring import PostingsCache, top_results
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.search.snippets import (
    SNIPPET_CHARS,
    ParagraphFragmenter,
    PartsFormatter,
    highlighter,
)
from indexer.whoosh_engine.store.readers import reading

from .helpers import write

VOCABULARY = [f"{stem}{suffix}" for stem in
              ("market", "bank", "oil", "crop", "rain", "vote", "court", "ship", "gold", "film",
               "price", "strike", "union", "wheat", "coffee", "steel", "yen", "loan", "tax", "port")
              for suffix in ("", "s", "ing")]


def article(rng: random.Random, number: int) -> str:
    if number >= 400:  # the last segment: words no other segment has, and one common word
        return f"Zinc {number}\n\nzinc mine report market.\n"
    title = " ".join(rng.choices(VOCABULARY, k=rng.randint(2, 6)))
    body = " ".join(rng.choices(VOCABULARY, weights=range(len(VOCABULARY), 0, -1),
                                k=rng.randint(5, 300)))
    return f"{title} {number}\n\n{body}.\n"


@pytest.fixture(scope="module")
def churned(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """Three syncs: a first build, additions, then edits and deletions."""
    folder = tmp_path_factory.mktemp("churned")
    config = Config(corpus=folder / "corpus", index=folder / "index")
    config.corpus.mkdir()
    rng = random.Random(7)
    for number in range(400):
        write(config.corpus, f"a{number:03d}.txt", article(rng, number))
    sync(config)
    for number in range(400, 480):
        write(config.corpus, f"a{number:03d}.txt", article(rng, number))
    sync(config)
    for number in range(0, 400, 7):
        (config.corpus / f"a{number:03d}.txt").unlink()
    for number in range(1, 400, 11):
        write(config.corpus, f"a{number:03d}.txt", article(rng, number))
    sync(config)
    return config


def queries(count: int) -> list[str]:
    rng = random.Random(11)
    return [" ".join(rng.sample(VOCABULARY + ["zinc"], rng.randint(1, 4))) for _ in range(count)]


def test_the_index_under_test_has_segments_and_deletions(churned: Config) -> None:
    with reading(churned) as searcher:
        readers = [reader for reader, _ in searcher.reader().leaf_readers()]
        assert len(readers) > 1
        assert any(reader.has_deletions() for reader in readers)
        assert any(("body", "oil") not in reader for reader in readers)


@pytest.mark.parametrize("limit", [1, 10, 35])
def test_same_scores_order_totals_and_matched_terms_as_whoosh(churned: Config,
                                                               limit: int) -> None:
    with reading(churned) as searcher:
        parser = build_parser(searcher.schema)
        for text in queries(150):
            q = parse(parser, text).query
            expected = searcher.search(q, limit=limit, terms=True)
            got = top_results(searcher, q, limit)
            assert got is not None, text
            assert got.top_n == expected.top_n, text
            assert len(got) == len(expected), text
            for _, docnum in expected.top_n:
                assert sorted(got.docterms[docnum]) == sorted(expected.docterms[docnum]), text


def test_other_query_shapes_are_left_to_whoosh(churned: Config) -> None:
    with reading(churned) as searcher:
        parser = build_parser(searcher.schema)
        for text in ['"oil price"', "oil -bank", "title:oil", "oil AND bank", "date:1987"]:
            assert top_results(searcher, parse(parser, text).query, 10) is None, text
        assert top_results(searcher, wq.NullQuery, 10) is None


def test_search_pages_and_snippets_come_from_the_array_scorer(churned: Config) -> None:
    with reading(churned) as searcher:
        first = search(searcher, "coffee wheat", per_page=5)
        second = search(searcher, "coffee wheat", page=2, per_page=5)
        q = parse(build_parser(searcher.schema), "coffee wheat").query
        expected = searcher.search(q, limit=10)
        expected_ids, expected_total = [hit["id"] for hit in expected], len(expected)
    assert [hit.id for hit in first.hits + second.hits] == expected_ids
    assert first.total == second.total == expected_total
    assert all(any(matched for _, matched in hit.snippet.parts) for hit in first.hits)


def test_postings_cache_keeps_within_its_budget() -> None:
    cache = PostingsCache(budget=1000)
    postings = (np.zeros(50, dtype=np.int32), np.zeros(50, dtype=np.float32))  # 400 bytes
    for key in "abc":
        cache.put(("folder", "segment", "body", key), postings)
    assert cache.get(("folder", "segment", "body", "a")) is None  # least recently used
    assert cache.get(("folder", "segment", "body", "c")) is not None
    cache.put(("folder", "segment", "body", "big"),
              (np.zeros(200, dtype=np.int32), np.zeros(200, dtype=np.float32)))
    assert cache.get(("folder", "segment", "body", "big")) is None  # larger than the budget


def test_a_new_generation_is_not_served_stale_postings(tmp_path: Path) -> None:
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    config.corpus.mkdir()
    write(config.corpus, "one.txt", "Harvest\n\nwheat wheat wheat\n")
    sync(config)
    with reading(config) as searcher:
        assert search(searcher, "wheat").total == 1
    write(config.corpus, "two.txt", "Storm\n\nwheat and rain\n")
    (config.corpus / "one.txt").unlink()
    sync(config)
    with reading(config) as searcher:
        found = search(searcher, "wheat")
    assert [hit.id for hit in found.hits] == ["two.txt"]


def test_snippets_match_whoosh_own_pinpoint_highlighter(churned: Config) -> None:
    whoosh_own = Highlighter(fragmenter=ParagraphFragmenter(maxchars=SNIPPET_CHARS, surround=80),
                             formatter=PartsFormatter())
    with reading(churned) as searcher:
        parser = build_parser(searcher.schema)
        for text in queries(40):
            results = top_results(searcher, parse(parser, text).query, 10)
            assert results is not None
            for hit in results:
                for field in ("title", "body"):
                    assert highlighter().highlight_hit(hit, field, top=1) == \
                        whoosh_own.highlight_hit(hit, field, top=1), (text, field)
