"""Suggestions: "did you mean" for one misspelt word among good ones, and
search-as-you-type completions and titles."""

from __future__ import annotations

from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.search.suggest import completions
from indexer.whoosh_engine.store.readers import reading


def test_a_misspelt_word_among_matching_ones_gets_a_fix(web_config):
    with reading(web_config) as searcher:
        results = search(searcher, "harbour shipz")
        fine = search(searcher, "harbour ships")
    assert results.total > 0  # "harbour" alone matches
    assert results.suggestion == "harbour ships"
    assert fine.suggestion is None


def test_completions_of_the_last_word_in_the_readers_form(web_config):
    with reading(web_config) as searcher:
        assert completions(searcher, "harb", "english") == ["harbour"]
        assert completions(searcher, "the harbour st", "english") == ["the harbour story"]
        assert completions(searcher, "harbour ", "english") == []  # nothing being typed
        assert completions(searcher, "x", "english") == []


def test_api_suggest_gives_completions_and_titles(client):
    data = client.get("/api/suggest?q=harb").get_json()
    assert data["completions"] == ["harbour"]
    assert client.get("/api/suggest?q=harbour+story").get_json()["titles"][0]["title"] \
        .startswith("Harbour story number")
    assert client.get("/api/suggest?q=").get_json() == {"query": "", "completions": [],
                                                         "titles": []}
    assert client.get("/api/suggest?q=" + "a" * 501).status_code == 400
