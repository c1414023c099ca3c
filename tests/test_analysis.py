"""Text analysis: tokens, stems, stop words, positions, offsets, pickling, languages."""

from __future__ import annotations

import pickle

import pytest

from indexer.whoosh_engine.codec.analysis import (
    NewsAnalyzer,
    news_analyzer,
    stem,
    stop_words,
    terms,
)
from indexer.whoosh_engine.codec.schema import TEXT_FIELDS, build_schema

SAMPLE = ("Enrique Peña Nieto's co-operation with the U.S. on kidnappings: "
          "$9.2bn and 60,000 deaths.")


def tokens(text, **options):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in news_analyzer()(text, positions=True, chars=True, **options)]


# --- terms() ----------------------------------------------------------------

def test_accented_and_plain_give_the_same_term():
    assert terms("Peña") == terms("Pena") == ["pena"]


@pytest.mark.parametrize("accented, plain", [
    ("naïve", "naive"), ("façade", "facade"), ("Müller", "Muller"), ("cafés", "cafes"),
    ("résumé", "resume"), ("protégés", "proteges"),
])
def test_accent_folding_matches_plain_spelling(accented, plain):
    assert terms(accented) == terms(plain)


def test_plural_and_singular_stem_the_same():
    assert terms("kidnappings") == terms("kidnapping") == ["kidnap"]


@pytest.mark.parametrize("word", ["the", "on", "The", "ON", "of"])
def test_stop_words_are_dropped(word):
    assert terms(f"{word} cartel") == ["cartel"]


def test_money_keeps_number_and_unit():
    assert terms("$9.2bn") == ["9.2bn"]


def test_thousands_separator_is_dropped():
    assert terms("60,000") == ["60000"]


def test_acronym_with_dots_is_not_a_stop_word():
    assert terms("U.S.") == ["u.s"]
    assert terms("the U.S. army") == ["u.s", "armi"]


def test_possessive_is_dropped():
    assert terms("Mexico's") == terms("Mexico\u2019s") == terms("Mexico")


def test_hyphenated_word_at_index_time_gives_joined_form_and_parts():
    assert terms("co-operation") == ["cooper", "co", "oper"]


def test_hyphenated_joined_form_matches_unhyphenated_spelling():
    assert terms("co-operation")[0] == terms("cooperation")[0]


def test_hyphenated_word_in_query_mode_gives_only_parts():
    assert terms("co-operation", mode="query") == ["co", "oper"]


def test_terms_of_a_sentence():
    assert terms(SAMPLE) == ["enriqu", "pena", "nieto", "cooper", "co", "oper", "u.s",
                             "kidnap", "9.2bn", "60000", "death"]


# --- positions --------------------------------------------------------------

def test_joined_token_shares_the_first_parts_position():
    found = [(text, pos) for text, pos, _, _ in tokens("to the re-position the U.S. army")]
    assert found == [("reposit", 0), ("re", 0), ("posit", 1), ("u.s", 2), ("armi", 3)]


def test_query_mode_positions_are_consecutive():
    found = [(t.text, t.pos) for t in news_analyzer()("re-position the army", positions=True,
                                                       mode="query")]
    assert found == [("re", 0), ("posit", 1), ("armi", 2)]


def test_stop_word_part_of_hyphenated_word_keeps_positions_aligned():
    index = [(t.text, t.pos) for t in news_analyzer()("in-depth report", positions=True)]
    query = [(t.text, t.pos) for t in news_analyzer()("in-depth report", positions=True,
                                                       mode="query")]
    assert index == [("indepth", 0), ("depth", 0), ("report", 1)]
    assert query == [("depth", 0), ("report", 1)]


def test_positions_start_at_start_pos():
    found = [t.pos for t in news_analyzer()("drug war", positions=True, start_pos=10)]
    assert found == [10, 11]


# --- character offsets -------------------------------------------------------

def test_chars_point_at_the_original_text():
    spans = {text: SAMPLE[start:end] for text, _, start, end in tokens(SAMPLE)}
    assert spans["pena"] == "Peña"
    assert spans["nieto"] == "Nieto's"
    assert spans["cooper"] == "co-operation"
    assert spans["co"] == "co"
    assert spans["oper"] == "operation"
    assert spans["kidnap"] == "kidnappings"
    assert spans["9.2bn"] == "9.2bn"
    assert spans["60000"] == "60,000"
    assert spans["u.s"] == "U.S"


def test_chars_are_shifted_by_start_char():
    text = "Peña Nieto"
    found = [(t.startchar, t.endchar) for t in news_analyzer()(text, chars=True, start_char=100)]
    assert found == [(100, 104), (105, 110)]


# --- pickling -----------------------------------------------------------------

def analyzed(analyzer, text=SAMPLE):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in analyzer(text, positions=True, chars=True)]


def test_analyzer_survives_pickle():
    analyzer = news_analyzer()
    loaded = pickle.loads(pickle.dumps(analyzer))
    assert loaded == analyzer
    assert analyzed(loaded) == analyzed(analyzer)


def test_french_analyzer_survives_pickle():
    analyzer = news_analyzer("french")
    loaded = pickle.loads(pickle.dumps(analyzer))
    text = "Les chevaux mangeaient"
    assert analyzed(loaded, text) == analyzed(analyzer, text)


def test_analyzer_pickles_as_its_language_only():
    assert pickle.loads(pickle.dumps(NewsAnalyzer("french"))) == NewsAnalyzer("french")
    assert NewsAnalyzer("french") != NewsAnalyzer("english")
    assert len(pickle.dumps(NewsAnalyzer())) < 200


def test_schema_survives_pickle():
    schema = build_schema()
    loaded = pickle.loads(pickle.dumps(schema))
    assert loaded.names() == schema.names()
    for field in TEXT_FIELDS:
        assert analyzed(loaded[field].analyzer) == analyzed(schema[field].analyzer)
        assert analyzed(loaded[field].analyzer) == analyzed(news_analyzer())


def test_stem_function_pickles_by_name():
    assert stem.__module__ == "indexer.whoosh_engine.codec.analysis"
    assert pickle.loads(pickle.dumps(stem)) is stem


# --- stop lists and languages -------------------------------------------------

def test_english_stop_words():
    words = stop_words("english")
    assert words
    assert {"the", "on", "and"} <= words


def test_language_without_whoosh_stop_list_has_none():
    assert stop_words("armenian") == frozenset()


def test_language_without_stop_list_keeps_every_word():
    assert len(terms("the the the", "armenian")) == 3


def test_french_stems_french_words():
    assert terms("chevaux mangeaient", "french") == ["cheval", "mang"]
    assert terms("chevaux") == ["chevaux"]


def test_french_drops_french_stop_words():
    assert stop_words("french")
    assert terms("le cheval", "french") == ["cheval"]
    assert terms("the cheval", "french") == ["the", "cheval"]


# --- stem() -------------------------------------------------------------------

def test_stem():
    assert stem("kidnappings") == "kidnap"
    assert stem("chevaux", "french") == "cheval"


def test_stem_is_cached():
    stem("extortionists")
    before = stem.cache_info().hits
    stem("extortionists")
    stem("extortionists")
    assert stem.cache_info().hits == before + 2


def test_stem_cache_is_per_language():
    assert stem("mangeaient", "french") != stem("mangeaient", "english")
