"""Did you mean, weighted by how often a word occurs, the query's syntax kept as typed;
and completions ranked by how often the word occurs."""

from __future__ import annotations

import pytest

from indexer import Config
from indexer.suggest_scoring import typo_cost
from indexer.whoosh_engine import open_index, open_searcher, sync
from indexer.whoosh_engine.codec.analysis import news_analyzer
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.search.suggest import (
    RARE_DOCUMENTS,
    completions,
    finds_something,
    suggest,
)
from indexer.whoosh_engine.search.suggest_words import in_typed_case, query_words

from .helpers import CORPORA, indexed_jsonl, needs_shared


def documents(word: str, count: int, start: int, extra: str = "", date: str = "2013-05-01"
              ) -> list[dict]:
    return [{"id": f"{word}-{number}", "title": f"{word.capitalize()} report {number}",
             "text": f"The {word} story number {start + number} of {count}. {extra}",
             "date": date} for number in range(count)]


@pytest.fixture(scope="module")
def made_up(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """Made-up words whose spellings and document counts are chosen:
    dramok 12 / drabok 2 (same distance from "dravok"); tribask 40 / trevash 1
    ("trevask": the common one further away); glotvam 40 / glarvan 1
    ("glorvan": the rare one much closer); welkom 100, welkam 1, welkim 3."""
    records = (documents("dramok", 12, 0, "Quayside welkom.") + documents("drabok", 2, 0)
               + documents("dravin", 5, 0)
               + documents("tribask", 40, 0) + documents("trevash", 1, 0)
               + documents("glotvam", 40, 0) + documents("glarvan", 1, 0)
               + documents("welkom", 100, 0) + documents("welkam", 1, 0)
               + documents("welkim", RARE_DOCUMENTS, 0)
               + documents("zebra", 3, 0, date="2001-01-01"))
    return indexed_jsonl(tmp_path_factory.mktemp("made-up"), records)


def suggested(config: Config, text: str) -> str | None:
    with open_searcher(open_index(config)) as searcher:
        return suggest(searcher, text, "english")


def test_the_words_are_their_own_stems():
    analyzer = news_analyzer("english")
    for word in ("dravok", "dramok", "drabok", "trevask", "tribask", "trevash", "glorvan",
                 "glotvam", "glarvan", "welkom", "welkam", "welkim"):
        assert [token.text for token in analyzer(word, mode="query")] == [word]


def test_a_frequent_word_beats_a_rarer_one_at_the_same_distance(made_up):
    assert typo_cost("dravok", "dramok") == typo_cost("dravok", "drabok")
    assert suggested(made_up, "dravok") == "dramok"


def test_a_frequent_word_beats_a_rare_one_a_little_closer(made_up):
    assert typo_cost("trevask", "tribask") > typo_cost("trevask", "trevash")
    assert suggested(made_up, "trevask") == "tribask"


def test_a_rare_word_much_closer_beats_a_frequent_one(made_up):
    assert typo_cost("glorvan", "glotvam") - typo_cost("glorvan", "glarvan") >= 1.5
    assert suggested(made_up, "glorvan") == "glarvan"


def test_a_word_in_rare_documents_or_more_is_taken_as_written(made_up):
    """RARE_DOCUMENTS: welkam (1 article) is taken for a slip of welkom (100);
    welkim (RARE_DOCUMENTS articles) is a word of its own, though as close."""
    assert suggested(made_up, "welkam") == "welkom"
    assert suggested(made_up, "welkim") is None
    assert suggested(made_up, "drabok") is None  # 2 articles, but no likelier neighbour


def test_operators_are_kept_as_typed_and_never_corrected(made_up):
    assert suggested(made_up, "dravok AND welkom") == "dramok AND welkom"
    assert suggested(made_up, "welkom OR dravok NOT tribask") == "welkom OR dramok NOT tribask"
    assert suggested(made_up, "welkom -dravok") == "welkom -dramok"
    assert suggested(made_up, "(dravok OR trevask) AND NOT zebra") == \
        "(dramok OR tribask) AND NOT zebra"
    assert suggested(made_up, '"dravok story"') == '"dramok story"'


def test_field_names_filters_and_numbers_are_left_alone(made_up):
    assert suggested(made_up, "title:dravok") == "title:dramok"
    assert suggested(made_up, "headline:(dravok)") == "headline:(dramok)"
    assert suggested(made_up, "dravok date:2013") == "dramok date:2013"
    assert suggested(made_up, "dravok year:2013") == "dramok year:2013"
    assert suggested(made_up, "welkom 2014") is None  # a number is never "corrected"


def test_a_suggestion_is_offered_only_when_it_finds_something(made_up):
    with open_searcher(open_index(made_up)) as searcher:
        assert not finds_something(searcher, "dramok AND zebra")
        assert finds_something(searcher, "dramok AND welkom")
    assert suggested(made_up, "dravok AND zebra") is None  # no article holds both
    assert suggested(made_up, "dravok date:2001") is None  # none from that year


def test_the_typed_case_is_kept(made_up):
    assert suggested(made_up, "Dravok") == "Dramok"
    assert suggested(made_up, "DRAVOK AND Welkom") == "DRAMOK AND Welkom"
    assert [in_typed_case(typed, "blair") for typed in ("Blare", "BLARE", "blare")] == [
        "Blair", "BLAIR", "blair"]


def test_completions_come_most_frequent_first(made_up):
    with open_searcher(open_index(made_up)) as searcher:
        assert completions(searcher, "dra", "english") == ["dramok", "dravin", "drabok"]
        assert completions(searcher, "welk", "english") == ["welkom", "welkim", "welkam"]


def test_query_words_name_the_fields_a_word_is_looked_up_in():
    words = [(word.text, word.fields) for word in query_words(
        'Tony AND title:"blare x" OR section:(sprot) -cuba date:[2013 to 2014] source:bbc '
        "foo:bar 12:30 NOT")]
    assert words == [("Tony", ("title", "body")), ("blare", ("title",)), ("x", ("title",)),
                     ("sprot", ("section",)), ("cuba", ("title", "body")), ("bbc", ()),
                     ("foo", ("title", "body")), ("bar", ("title", "body"))]


# ------------------------------------------------------------------ BBC News

@pytest.fixture(scope="module")
def bbc(tmp_path_factory: pytest.TempPathFactory) -> Config:
    corpus = needs_shared(CORPORA / "bbc" / "corpus.jsonl.gz")
    config = Config(corpus=corpus, index=tmp_path_factory.mktemp("bbc-spelling") / "index")
    sync(config)
    return config


def test_bbc_blare_is_blair_the_frequent_word_not_blake(bbc):
    with open_searcher(open_index(bbc)) as searcher:
        reader = searcher.reader()
        assert reader.doc_frequency("body", "blair") > 10 * reader.doc_frequency("body", "blake")
        assert search(searcher, "Blare").suggestion == "Blair"
        assert search(searcher, "blare").suggestion == "blair"
        results = search(searcher, "Tony Blare")
    assert results.total > 0 and results.suggestion == "Tony Blair"


def test_bbc_syntax_is_kept_and_only_the_misspelt_word_changes(bbc):
    with open_searcher(open_index(bbc)) as searcher:
        assert search(searcher, "title:blare").suggestion == "title:blair"
        assert search(searcher, '"tony blare"').suggestion == '"tony blair"'
        assert search(searcher, "Blare AND labour -tory").suggestion == "Blair AND labour -tory"
        assert search(searcher, "brown OR Blare NOT iraq").suggestion == \
            "brown OR Blair NOT iraq"
        for text in ("mexico AND obamma", "mexico AND obama"):
            suggestion = search(searcher, text).suggestion
            # BBC News (2004-05) knows "osama" from one article, about nothing Mexican
            assert suggestion is None or (suggestion.startswith("mexico AND ")
                                          and search(searcher, suggestion).total > 0)


def test_bbc_known_words_are_not_corrected(bbc):
    with open_searcher(open_index(bbc)) as searcher:
        for text in ("blake", "Blair", "chelsea", "mutu"):
            assert search(searcher, text).suggestion is None, text


def test_bbc_completions_rank_by_frequency(bbc):
    with open_searcher(open_index(bbc)) as searcher:
        assert completions(searcher, "bla", "english")[0] == "blair"
        assert completions(searcher, "gov", "english")[0] == "government"
        assert completions(searcher, "tony bl", "english")[0] == "tony blair"


def test_a_rare_word_is_not_turned_into_another_form_of_itself(seed_config):
    """In a one-article corpus every word is rare; its other forms are no fix."""
    with open_searcher(open_index(seed_config)) as searcher:
        for text in ("kidnappings", "Peña", "cartels", "Obama AND mexico"):
            assert search(searcher, text).suggestion is None, text
        assert search(searcher, "mexco").suggestion == "mexico"
