"""Near-duplicate stories: MinHash signatures and LSH bands, made at index time.

Scraped archives hold the same story several times (re-scrapes, wire copies,
corrections). Each article gets a MinHash signature of its 5-word shingles
(a column) and LSH band keys (indexed terms): two articles whose shingle
sets have Jaccard similarity J share a band with probability
1 - (1 - J^ROWS)^BANDS (0.98 at J = 0.8), and the signatures then estimate
J itself. Results collapse the copies of a story into its best-ranked hit;
an article's page lists its copies found through its band keys.
"""

from __future__ import annotations

import re
import zlib
from typing import Any, Iterable

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

HASHES = 32
BANDS, ROWS = 8, 4  # BANDS * ROWS == HASHES
SHINGLE = 5  # words
SAME_STORY = 0.8  # estimated Jaccard similarity from which two articles are copies
_PRIME = (1 << 61) - 1
_RANDOM = np.random.default_rng(20131)  # fixed: signatures must agree across runs
_A = _RANDOM.integers(1, 1 << 31, HASHES, dtype=np.uint64)
_B = _RANDOM.integers(0, 1 << 31, HASHES, dtype=np.uint64)
_WORD = re.compile(r"\w+")


def signature(text: str) -> bytes:
    """The MinHash signature of `text`'s word shingles (HASHES × 4 bytes)."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        shingles = [" ".join(words)]
    else:
        shingles = [" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]
    hashes = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in set(shingles)),
                         dtype=np.uint64)
    mixed = (_A[:, None] * hashes[None, :] + _B[:, None]) % _PRIME
    return (mixed.min(axis=1) & 0xFFFFFFFF).astype(">u4").tobytes()


def band_keys(sig: bytes) -> str:
    """The article's LSH band keys, space-separated (an indexed field)."""
    return " ".join(f"{band}{zlib.crc32(sig[band * ROWS * 4:(band + 1) * ROWS * 4]):08x}"
                    for band in range(BANDS))


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two articles' shingle sets."""
    if not a or not b:
        return 0.0
    return float(np.mean(np.frombuffer(a, ">u4") == np.frombuffer(b, ">u4")))


def collapse(hits: list[Any], signatures: dict[int, bytes]) -> list[tuple[Any, list[Any]]]:
    """(kept hit, its copies) in rank order: a hit similar to a better one joins it."""
    if not hits:
        return []
    empty = bytes(HASHES * 4)
    matrix = np.stack([np.frombuffer(signatures.get(hit.docnum) or empty, ">u4")
                       for hit in hits])
    same = (matrix[:, None, :] == matrix[None, :, :]).mean(axis=2) >= SAME_STORY
    signed = [bool(signatures.get(hit.docnum)) for hit in hits]
    groups: list[tuple[int, list[Any]]] = []
    for index, hit in enumerate(hits):
        home = next((kept for kept, _ in groups if signed[index] and same[kept, index]), None)
        if home is None:
            groups.append((index, []))
        else:
            next(copies for kept, copies in groups if kept == home).append(hit)
    return [(hits[kept], copies) for kept, copies in groups]


def signatures_of(searcher: Searcher, docnums: Iterable[int]) -> dict[int, bytes]:
    if "minhash" not in searcher.schema:
        return {}
    column = searcher.reader().column_reader("minhash")
    return {docnum: column[docnum] for docnum in docnums}


def copies_of(searcher: Searcher, docnum: int) -> list[int]:
    """Other articles of the same story, most similar first."""
    sig = signatures_of(searcher, [docnum]).get(docnum)
    if not sig:
        return []
    keys = band_keys(sig).split()
    candidates = searcher.docs_for_query(wq.Or([wq.Term("dupbands", key) for key in keys]))
    found = signatures_of(searcher, [n for n in candidates if n != docnum])
    scored = [(similarity(sig, other), n) for n, other in found.items()]
    return [n for score, n in sorted(scored, key=lambda pair: (-pair[0], pair[1]))
            if score >= SAME_STORY]
