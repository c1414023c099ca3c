"""Postings values of text fields (indexer.whoosh_engine.codec.packed_format): what goes in comes
out, whichever way Whoosh asks for it, and it is smaller than Whoosh's pickles."""

from __future__ import annotations

import pickle

from whoosh.analysis import StandardAnalyzer
from whoosh.formats import Characters

from indexer.whoosh_engine.codec.analysis import NewsAnalyzer
from indexer.whoosh_engine.codec.packed_format import PackedCharacters, pack, unpack
from indexer.whoosh_engine.codec.schema import build_schema

PLACES = [(0, 0, 5), (7, 40, 46), (12, 80, 81)]
FAR = [(3, 10, 15), (70_000, 400_000, 400_007)]  # past 65,535: ints, not shorts


def test_every_decoding_gives_back_what_was_encoded():
    packed = PackedCharacters()
    for places in (PLACES, FAR, PLACES[:1]):
        value = packed.encode(places)
        assert packed.decode_characters(value) == places
        assert packed.decode_positions(value) == [position for position, _, _ in places]
        assert packed.decode_frequency(value) == len(places)
        assert packed.decode_weight(value) == len(places)
        assert packed.decode_position_boosts(value) == [(p, 1) for p, _, _ in places]


def test_short_numbers_take_two_bytes_and_large_ones_four():
    assert len(pack([0, 0, 5])) == 1 + 3 * 2
    assert len(pack([3, 10, 15, 70_000, 400_000, 400_007])) == 1 + 6 * 4
    assert list(unpack(pack([1, 65_535, 65_536]))) == [1, 65_535, 65_536]


def test_a_word_found_once_costs_a_third_of_whoosh_s_pickle():
    assert len(PackedCharacters().encode(PLACES[:1])) * 2 < len(Characters().encode(PLACES[:1]))


def test_the_field_boost_weighs_each_occurrence():
    boosted = PackedCharacters(field_boost=2.0)
    [(term, freq, weight, value)] = boosted.word_values("markets", NewsAnalyzer(), mode="index")
    assert (term, freq, weight) == ("market", 1, 2.0)
    assert boosted.decode_weight(value) == 2.0


def test_other_analyzers_and_query_mode_take_whoosh_s_own_path():
    packed, text = PackedCharacters(), "Oil prices rose, oil fell"
    whoosh_way = {term: Characters().decode_characters(value) for term, _, _, value
                  in Characters().word_values(text, StandardAnalyzer(), mode="index")}
    ours = {term: packed.decode_characters(value) for term, _, _, value
            in packed.word_values(text, StandardAnalyzer(), mode="index")}
    assert ours == whoosh_way


def test_the_schema_with_this_format_survives_pickling():
    schema = pickle.loads(pickle.dumps(build_schema()))
    assert type(schema["body"].format) is PackedCharacters
    assert schema["body"].supports("characters") and schema["body"].supports("positions")
