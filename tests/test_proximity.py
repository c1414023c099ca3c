"""Word pairs of a question scored as terms of their own (indexer.whoosh_engine.search.proximity),
on a hand-made index whose figures are worked out here."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from whoosh import query as wq

from indexer.whoosh_engine.search.proximity import PairQuery
from indexer.whoosh_engine.search.ranking import DEFAULT_RANKING
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.store.readers import reading

from .helpers import indexed_jsonl

FILLER = " ".join(f"filler{n}" for n in range(20))
ARTICLES = [
    {"id": "near", "title": "Notes", "text": "The boundary layer grows along the plate."},
    {"id": "far", "title": "Notes", "text": f"The boundary is far. {FILLER} A layer forms."},
    {"id": "reversed", "title": "Notes", "text": "A layer boundary was seen on the plate."},
    {"id": "twice", "title": "Notes",
     "text": "The boundary layer and the boundary layer again along the plate."},
    {"id": "other", "title": "Notes", "text": "Nothing about it here at all, only a plate."},
]


@pytest.fixture(scope="module")
def plates(tmp_path_factory: pytest.TempPathFactory):
    return indexed_jsonl(tmp_path_factory.mktemp("plates"), ARTICLES)


def pair(window: int = 12) -> PairQuery:
    return PairQuery("boundari", "layer", {"body": 1.0}, window, weight=1.0, k1=1.2,
                     b={"body": 0.75})


def scores(searcher, q) -> dict[str, float]:
    return {hit["id"]: hit.score for hit in searcher.search(q, limit=None)}


def test_a_pair_counts_only_in_order_and_within_the_window(plates):
    with reading(plates) as searcher:
        found = scores(searcher, pair())
        assert set(found) == {"near", "twice"}
        assert set(scores(searcher, pair(window=30))) == {"near", "twice", "far"}


def test_a_pair_is_scored_as_a_bm25f_term_of_its_own(plates):
    with reading(plates) as searcher:
        found = scores(searcher, pair())
        documents, frequency = searcher.doc_count_all(), 2
        idf = math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
        average = searcher.avg_field_length("body")
        number = searcher.document_number(id="near")
        length = searcher.doc_field_length(number, "body")
        tf = 1 / (1 - 0.75 + 0.75 * length / average)
        assert found["near"] == pytest.approx(idf * tf * 2.2 / (tf + 1.2), rel=1e-6)
        # "twice" has two first words each followed by two second words in the window
        assert found["twice"] > found["near"]


def test_a_question_ranks_the_article_with_the_words_together_first(plates):
    with reading(plates) as searcher:
        results = search(searcher, "What is the boundary layer?", plain=True)
        ranked = [hit.id for hit in results.hits]
        assert ranked.index("near") < ranked.index("far")
        assert ranked.index("near") < ranked.index("reversed")
        without = search(searcher, "What is the boundary layer?", plain=True,
                         ranking=replace(DEFAULT_RANKING, proximity=0.0))
        assert results.hits[0].score > without.hits[0].score  # the pair added to it


def test_pairs_equal_and_hash_alike():
    assert pair() == pair() and hash(pair()) == hash(pair())
    assert pair() != pair(window=3)
    assert wq.Or([pair(), pair()]).normalize() == pair()
