"""Per-segment arrays: computed once per segment, shared by every reader of it."""

from __future__ import annotations

from indexer.whoosh_engine import open_index
from indexer.whoosh_engine.codec.segment_arrays import fixed_width_bytes, per_segment

from .helpers import write


def test_readers_of_one_segment_share_one_computation(seed_config):
    calls = []

    def compute(reader):
        calls.append(reader)
        return reader.doc_count_all()

    first, second = open_index(seed_config).reader(), open_index(seed_config).reader()
    try:
        assert first is not second
        assert per_segment(first, "test-count", compute) == 1
        assert per_segment(second, "test-count", compute) == 1
        assert len(calls) == 1
    finally:
        first.close()
        second.close()


def test_a_new_segment_is_computed_anew(seed_config):
    from indexer.whoosh_engine import sync

    write(seed_config.corpus, "more.txt", "Tide tables\n\nThe tide tables for May.")
    sync(seed_config)
    with open_index(seed_config).reader() as reader:
        counts = [per_segment(leaf, "test-new", lambda r: r.doc_count_all())
                  for leaf, _ in reader.leaf_readers()]
    assert sum(counts) == 2


def test_fixed_width_columns_are_padded_with_their_default(seed_config):
    with open_index(seed_config).reader() as reader:
        column = reader.column_reader("date", translate=False)
        values = fixed_width_bytes(column, 3, 8, fill=0xFF)
    assert len(values) == 24
    assert values[8:] == b"\xff" * 16  # documents after the last stored value: undated
