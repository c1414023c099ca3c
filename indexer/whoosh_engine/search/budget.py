"""The bounds of a request over the local index.

The deadline and the memos are engine-free (`indexer.budget`); what is Whoosh's
own is the name of the commit a memo of the index's terms depends on.
"""

from __future__ import annotations

from collections.abc import Hashable

from whoosh.searching import Searcher

from ..codec.segment_arrays import segment_key
from ..internals import has_segment_storage


def commit_identity(searcher: Searcher) -> tuple[Hashable, ...]:
    """Names the commit a searcher reads, for memos of what depends on its terms:
    its generation and its segments (index folder and unique id of each), so two
    indexes, two generations of one index or two commits never share an entry."""
    reader = searcher.reader()
    segments = tuple(segment_key(leaf) for leaf, _ in reader.leaf_readers()
                     if has_segment_storage(leaf) and leaf.segment() is not None)
    return reader.generation(), segments
