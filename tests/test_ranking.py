"""Ranking pieces: BM25F word scoring, coordination, proximity, and the seed on top."""

from __future__ import annotations

import shutil

import pytest
from whoosh import query as wq

from indexer import Config
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.codec.schema import build_schema
from indexer.whoosh_engine.search.bm25f import WordQuery
from indexer.whoosh_engine.search.proximity import PairQuery
from indexer.whoosh_engine.search.query import build_parser, parse, parse_plain
from indexer.whoosh_engine.search.ranking import DEFAULT_RANKING, CoordinatedOr, Ranking
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.store.readers import reading

from .helpers import SEED_ID, SEEDS, indexed_jsonl

DOCS = [
    {"id": "both", "title": "Glacier", "text": "A glacier moved."},
    {"id": "body-twice", "title": "Ice", "text": "A glacier and a glacier moved."},
    {"id": "none", "title": "Sand", "text": "Dunes moved."},
]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return indexed_jsonl(tmp_path_factory.mktemp("rank"), DOCS)


def scores(config, q):
    with reading(config) as searcher:
        return {searcher.stored_fields(h.docnum)["id"]: h.score for h in searcher.search(q)}


def test_words_over_fields_become_bm25f_word_queries():
    q = parse(build_parser(build_schema()), "glacier ice").query
    assert isinstance(q, CoordinatedOr)
    assert all(isinstance(word, WordQuery) for word in q.subqueries)


def test_bm25f_saturates_once_across_fields(small):
    plain = Ranking(title_bonus=0.0)
    q = WordQuery("glacier", plain.field_boosts, k1=plain.k1)
    got = scores(small, q)
    assert set(got) == {"both", "body-twice"}
    assert got["both"] < 2 * got["body-twice"]  # title + body is not two full scores


def test_coordination_bonus_survives_rewriting():
    q = CoordinatedOr([wq.Term("body", "a"), wq.Term("body", "b")], bonus=0.3)
    assert q.apply(lambda child: child).bonus == 0.3
    assert q.normalize().bonus == 0.3


def test_sentences_split_hyphens_and_add_proximity_pairs():
    parser = build_parser(build_schema(), sentences=True)
    q = parse_plain(parser, "three-dimensional boundary layer flow").query
    assert isinstance(q, wq.Or)
    words = [w.text for w in q.subqueries[0].subqueries]
    assert words == ["three", "dimension", "boundari", "layer", "flow"]
    pairs = [p for p in q.subqueries[1:] if isinstance(p, PairQuery)]
    assert [(p.first, p.second) for p in pairs] == [
        ("three", "dimension"), ("dimension", "boundari"), ("boundari", "layer"),
        ("layer", "flow")]
    assert {p.window for p in pairs} == {DEFAULT_RANKING.proximity_slop}


def test_typed_queries_get_no_proximity_pairs():
    q = parse(build_parser(build_schema()), "boundary layer flow").query
    assert isinstance(q, CoordinatedOr)


def test_seed_is_the_top_hit_for_its_headline_among_other_news(bbc_tree, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(bbc_tree, corpus)
    shutil.copy(SEEDS / SEED_ID, corpus / SEED_ID)
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    with reading(config) as searcher:
        for text in ("Putting an end to Mexico's drug war?", "Mexico drug war",
                     "end to Mexico's drug war", "Mexico's drug war", "drug war"):
            assert search(searcher, text).hits[0].id == SEED_ID, text
            assert search(searcher, text, plain=True).hits[0].id == SEED_ID, text


def test_request_words_leave_sentence_queries_but_not_typed_ones():
    schema = build_schema()
    sentence = parse_plain(build_parser(schema, sentences=True),
                           "are there any papers available on flutter").query
    assert isinstance(sentence, WordQuery) and sentence.text == "flutter"
    typed = parse(build_parser(schema), "papers available on flutter").query
    assert [w.text for w in typed.subqueries] == ["paper", "avail", "flutter"]
