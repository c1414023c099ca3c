"""Query syntax, ranking, paging, sorting and fallbacks, on a real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer import Config, InvalidSetting
from indexer.whoosh_engine import open_index, open_searcher
from indexer.whoosh_engine.search.searching import search

from .helpers import SEED_ID, indexed_jsonl

ARTICLES = [
    {"id": "cartel-only", "title": "Cartels", "date": "2012-03-01T08:00:00", "section": "World",
     "text": "The cartel, the cartel, the cartel and the cartel again. Cartel money."},
    {"id": "both-words", "title": "A long report", "date": "2013-02-10T09:00:00",
     "section": "Americas", "text": "A cartel operates in Mexico, officials said."},
    {"id": "title-hit", "title": "Volcano erupts", "date": "2013-06-30T12:00:00",
     "section": "Science", "text": "Ash covered the island for a week."},
    {"id": "phrase", "title": "Policy", "date": "2014-01-05T10:00:00", "section": "World",
     "text": "The war on drugs has failed, critics say. Drugs and war are old news."},
    {"id": "undated", "title": "Undated note", "section": "Notes",
     "text": "A note about drugs without any date at all."},
]


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return indexed_jsonl(tmp_path_factory.mktemp("news"), ARTICLES)


def ids(config: Config, text: str, **options) -> list[str]:
    with open_searcher(open_index(config)) as searcher:
        return [hit.id for hit in search(searcher, text, per_page=100, **options).hits]


def run(config: Config, text: str, **options):
    with open_searcher(open_index(config)) as searcher:
        return search(searcher, text, **options)


def test_articles_with_all_words_rank_above_those_with_some(news):
    assert ids(news, "cartel mexico") == ["both-words", "cartel-only"]


def test_phrase_needs_the_words_together(news):
    assert ids(news, '"war on drugs"') == ["phrase"]
    assert ids(news, '"failed war"') == []


def test_boolean_operators_and_minus(news):
    assert ids(news, "drugs AND war") == ["phrase"]
    assert set(ids(news, "volcano OR cartel")) == {"title-hit", "cartel-only", "both-words"}
    assert ids(news, "drugs NOT war") == ["undated"]
    assert ids(news, "drugs -war") == ["undated"]
    assert set(ids(news, "cartel -mexico")) == {"cartel-only"}


def test_field_prefixes(news):
    assert ids(news, "title:volcano") == ["title-hit"]
    assert ids(news, "headline:volcano") == ["title-hit"]
    assert ids(news, "title:cartel") == ["cartel-only"]
    assert ids(news, "body:island") == ["title-hit"]
    assert set(ids(news, "section:world")) == {"cartel-only", "phrase"}


def test_dates(news):
    assert set(ids(news, "date:2013")) == {"both-words", "title-hit"}
    assert ids(news, "date:2013-06") == ["title-hit"]
    assert set(ids(news, "date:[2012-01 to 2013-03]")) == {"cartel-only", "both-words"}
    assert ids(news, "drugs date:2014") == ["phrase"]


def test_sort_by_date_both_ways(news):
    newest = ids(news, "cartel OR volcano OR drugs", sort="newest")
    assert newest[:4] == ["phrase", "title-hit", "both-words", "cartel-only"]
    oldest = ids(news, "cartel OR volcano OR drugs", sort="oldest")
    assert oldest == ["cartel-only", "both-words", "title-hit", "phrase", "undated"]
    assert newest[4] == "undated"


@pytest.mark.parametrize("text, reason", [
    ('"war on drugs', "quote is not closed"),
    ("(cartel mexico", "parenthesis is not closed"),
    ("cartel)", "closing parenthesis"),
    ("cartel AND", "operator is missing a word"),
    ("title: cartel", "field name"),
    ("date:garbage cartel", "could not read"),
    ("date:[x TO y] cartel", "not a parseable date"),
])
def test_unparseable_queries_run_as_plain_words_with_a_notice(news, text, reason):
    results = run(news, text)
    assert reason in results.notice
    assert results.total >= 1
    assert "cartel" in results.to_json()["hits"][0]["snippet"].lower() or "drugs" in \
        results.to_json()["hits"][0]["snippet"].lower()


@pytest.mark.parametrize("text", ["", "   ", "AND OR NOT", "*", "()", '""', ":", "-", "title:",
                                  "date:[", "\x00", "a" * 5000, "date:[2099 to 1999]"])
def test_odd_queries_never_raise(news, text):
    results = run(news, text)  # answered, not raised
    assert len(results.hits) <= results.per_page and results.total >= len(results.hits)
    assert [hit.rank for hit in results.hits] == list(range(1, len(results.hits) + 1))
    assert {hit.id for hit in results.hits} <= {article["id"] for article in ARTICLES}
    answer = results.to_json()
    assert json.loads(json.dumps(answer)) == answer


def test_paging(news):
    first = run(news, "cartel OR volcano OR drugs", per_page=2, page=1)
    second = run(news, "cartel OR volcano OR drugs", per_page=2, page=2)
    assert first.total == second.total == 5
    assert [h.rank for h in first.hits] == [1, 2] and [h.rank for h in second.hits] == [3, 4]
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    past = run(news, "cartel", per_page=2, page=9)
    assert past.hits == [] and past.total == 2


@pytest.mark.parametrize("options", [{"page": 0}, {"per_page": 0}, {"per_page": 1000},
                                     {"sort": "random"}])
def test_bad_paging_is_refused_by_name(news, options):
    with pytest.raises(InvalidSetting, match=next(iter(options))):
        run(news, "cartel", **options)


def test_suggestion_in_the_readers_word_form(news):
    results = run(news, "vulcano")
    assert results.total == 0
    assert results.suggestion == "volcano"
    assert run(news, "cartle mexico").suggestion == "cartel mexico"  # though mexico matches


def test_no_suggestion_when_nothing_is_close(news):
    assert run(news, "xylophone").suggestion is None


def test_seed_found_by_name_with_and_without_accent(seed_config):
    for text in ("Pena Nieto", "Peña Nieto", "kidnappings"):
        results = run(seed_config, text)
        hit = results.to_json()["hits"][0]
        assert hit["id"] == SEED_ID
        assert hit["title"] == "Putting an end to Mexico's drug war?"
        assert hit["section"] == "Inside Story Americas"
        assert hit["date"] == "2013-05-01T10:12:00"
        assert "<mark>" in hit["snippet"]


@pytest.mark.parametrize("word", ["mealybugs", "investigative", "jazeera", "mailing",
                                  "feedback", "featured", "TTIP", "cassava"])
def test_chrome_and_teasers_are_not_indexed(seed_config, word):
    assert run(seed_config, word).total == 0


def test_results_json_contract(seed_config):
    data = run(seed_config, "kidnappings").to_json()
    assert set(data) == {"query", "total", "page", "per_page", "took_ms", "suggestion", "hits",
                         "filters", "facets", "timeline", "partial", "notice",
                         "articles", "total_exact", "explanation"}  # the last five added
    assert data["partial"] is False and data["notice"] is None
    assert (data["total"], data["articles"], data["total_exact"], data["explanation"]) == (
        1, 1, True, None)
    assert data["facets"] == {"section": [{"value": "Inside Story Americas", "count": 1}],
                              "year": [{"value": "2013", "count": 1}],
                              "source": [{"value": "Al Jazeera", "count": 1}]}
    assert set(data["hits"][0]) == {"rank", "id", "score", "title", "section", "date", "path",
                                    "snippet", "duplicates", "copies"}
    assert data["hits"][0]["duplicates"] == [] and data["hits"][0]["copies"] == 0
    assert Path(data["hits"][0]["path"]).is_file()


def test_typed_words_get_the_all_words_bonus_but_sentences_do_not(news):
    typed = run(news, "cartel mexico")
    sentence = run(news, "cartel mexico", plain=True)
    assert typed.hits[0].score > 2000 > typed.hits[1].score
    assert max(hit.score for hit in sentence.hits) < 100
    assert {hit.id for hit in sentence.hits} == {hit.id for hit in typed.hits}


def test_sentence_queries_ignore_syntax(news):
    results = run(news, 'What is "the war on drugs" (and NOT cartels)?', plain=True)
    assert results.notice is None
    assert {"phrase", "cartel-only"} <= {hit.id for hit in results.hits}


def test_dates_are_searched_by_day_and_sorted_by_time(tmp_path):
    config = indexed_jsonl(tmp_path, [
        {"id": "morning", "title": "Tide report", "text": "Low tide at dawn, calm sea.",
         "date": "2013-05-01T06:00:00"},
        {"id": "evening", "title": "Tide report", "text": "High tide at dusk, a storm coming.",
         "date": "2013-05-01T21:30:00"},
        {"id": "next-day", "title": "Tide report", "text": "The tide turned after midnight.",
         "date": "2013-05-02T00:10:00"},
    ])
    assert sorted(ids(config, "tide date:2013-05-01")) == ["evening", "morning"]
    assert ids(config, "tide date:[2013-05-02 to 2013-05-03]") == ["next-day"]
    assert ids(config, "tide", sort="newest") == ["next-day", "evening", "morning"]
    assert ids(config, "tide", sort="oldest") == ["morning", "evening", "next-day"]
