"""Near-duplicate stories in the local index: the signatures, read from their column.

Each article's MinHash signature (`indexer.minhash`) is made at index time and
kept in a fixed-width column. Folding a search's hits reads their rows here.
An article's page lists its copies, found by comparing its signature with
every other at once (one array comparison per segment: about 5 ms for
100,000 articles). LSH band keys as indexed terms were tried for that
instead: eight more one-posting terms per article made a Reuters build 50 %
slower.
"""

from __future__ import annotations

import numpy as np
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from indexer.minhash import (
    HASHES,
    MAX_COPIES,
    SAME_STORY,
    SIGNATURE_BYTES,
)

from ..codec.segment_arrays import fixed_width_bytes, per_segment


def signatures_of(searcher: Searcher, docnums: list[int]) -> np.ndarray:
    """The documents' signatures as rows of one array, in the order given."""
    wanted = np.asarray(docnums, dtype=np.int64)
    rows = np.zeros((len(wanted), HASHES), dtype=np.uint32)
    for reader, offset in searcher.reader().leaf_readers():
        inside = (wanted >= offset) & (wanted < offset + reader.doc_count_all())
        if inside.any():
            rows[inside] = signature_matrix(reader)[wanted[inside] - offset]
    return rows


def copies_of(searcher: Searcher, docnum: int, limit: int = MAX_COPIES) -> list[int]:
    """Other live articles of the same story, most similar first: at most `limit`
    (an article's page lists them; a story copied thousands of times must not
    make that page thousands of lines long)."""
    wanted = signatures_of(searcher, [docnum])[0]
    if not wanted.any():
        return []
    scored: list[tuple[float, int]] = []
    for reader, offset in searcher.reader().leaf_readers():
        shares = (signature_matrix(reader) == wanted).mean(axis=1)
        found = np.flatnonzero(shares >= SAME_STORY)
        found = found[np.lexsort((found, -shares[found]))]  # most similar, then first
        scored += _live(reader, offset, found, shares, docnum, limit)
    return [other for _, other in sorted(scored, key=lambda pair: (-pair[0], pair[1]))[:limit]]


def _live(reader: IndexReader, offset: int, found: np.ndarray, shares: np.ndarray,
          docnum: int, limit: int) -> list[tuple[float, int]]:
    """The first `limit` of one segment's `found` that are live and not `docnum`."""
    live: list[tuple[float, int]] = []
    for local in found.tolist():
        if offset + local != docnum and not reader.is_deleted(local):
            live.append((float(shares[local]), offset + local))
            if len(live) == limit:
                break
    return live


def signature_matrix(reader: IndexReader) -> np.ndarray:
    """Every document's signature in one segment (rows of zeros: none)."""
    return per_segment(reader, "signatures", _read_signatures)


def _read_signatures(reader: IndexReader) -> np.ndarray:
    size = reader.doc_count_all()
    if not reader.has_column("minhash"):
        return np.zeros((size, HASHES), dtype=np.uint32)
    column = reader.column_reader("minhash", translate=False)
    stored = fixed_width_bytes(column, size, SIGNATURE_BYTES)
    return np.frombuffer(stored, ">u4").reshape(size, HASHES).astype(np.uint32)
