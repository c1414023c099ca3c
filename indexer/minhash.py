"""Near-duplicate stories: MinHash signatures, and folding ranked hits into stories.

Scraped archives hold the same story several times (re-scrapes, wire copies,
corrections). Each article gets a MinHash signature of its 5-word shingles:
the share of equal positions in two signatures estimates the Jaccard
similarity of the two articles' shingle sets. Results fold the copies of a
story into its best-ranked hit, comparing only hits that share a band of
their signatures (LSH over a search's candidates: linear in them, where
comparing every pair cost 7 GiB for 100,000 candidates; about 2 µs a
candidate, 43,000 of them in 80 ms).

Signatures are plain bytes and folding takes plain arrays: every engine makes
and folds them the same way, whatever it stores them in.
"""

from __future__ import annotations

import zlib
from collections import Counter
from functools import lru_cache
from typing import Any

import numpy as np

HASHES = 32
SIGNATURE_BYTES = HASHES * 4
SHINGLE = 5  # words
SAME_STORY = 0.8  # estimated Jaccard similarity from which two articles are copies
BANDS, ROWS = 8, 4  # signature bands folding compares within (see `band_keys`)
BUCKET_CHECKS = 32  # kept hits compared per band a hit shares: the bound on folding's work
MAX_COPIES = 50  # copies of an article listed on its page
_RANDOM = np.random.default_rng(20131)  # fixed: signatures must agree across runs
# multiply-shift hashing (odd 64-bit multipliers, top 32 bits kept): one
# multiply and add per shingle and hash function, no modulo
_A = _RANDOM.integers(1, 1 << 63, HASHES, dtype=np.uint64) | np.uint64(1)
_B = _RANDOM.integers(0, 1 << 63, HASHES, dtype=np.uint64)
_SHIFT = np.uint64(32)
_MULTIPLIER = np.uint64(1_000_003)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's multiplier, for band keys


@lru_cache(maxsize=200_000)
def _word_hash(word: str) -> int:
    """A word's crc32: stable across processes, unlike `hash`; cached, as a
    news vocabulary repeats a lot."""
    return zlib.crc32(word.encode("utf-8"))


def signature(text: str) -> bytes:
    """The MinHash signature of `text`'s shingles of 5 whitespace-separated
    words, lowercased (HASHES × 4 bytes).

    Words are hashed once (crc32, stable across processes); a shingle's hash
    is a polynomial of its words' hashes, computed for all shingles at once.
    A shingle found twice needs no removing: it cannot change a minimum.
    """
    found = text.lower().split()
    words = np.fromiter(map(_word_hash, found), dtype=np.uint64, count=len(found))
    if len(words) < SHINGLE:
        words = np.concatenate([words, np.zeros(SHINGLE - len(words), dtype=np.uint64)])
    count = len(words) - SHINGLE + 1
    shingles = words[:count] * _MULTIPLIER
    for offset in range(1, SHINGLE):
        shingles += words[offset:offset + count]
        if offset < SHINGLE - 1:
            shingles *= _MULTIPLIER
    mixed = (_A[:, None] * shingles[None, :] + _B[:, None]) >> _SHIFT
    return mixed.min(axis=1).astype(">u4").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two articles' shingle sets."""
    if not a or not b:
        return 0.0
    return float(np.mean(np.frombuffer(a, ">u4") == np.frombuffer(b, ">u4")))


def collapse(hits: list[Any], signatures: np.ndarray,
             work: Counter[str] | None = None) -> list[tuple[Any, list[Any]]]:
    """(kept hit, its copies) in rank order: a hit similar to a better one joins it.

    `signatures` holds the hits' signatures as rows, in the same order (rows of
    zeros: no signature, never a copy). A hit joins the best-ranked kept hit it
    is similar to, as comparing it with every kept hit before it would; only
    kept hits sharing a band with it are compared (see `band_keys`), at most
    `BUCKET_CHECKS` per band, so the work is linear in the number of hits
    (`work["compared"]`, when given, counts the signatures compared). A hit
    whose signature equals a better hit's joins that hit's group without any
    comparison (a story copied thousands of times costs a lookup per copy).

    A hit's group depends only on the hits ranked before it (prefix-stable):
    folding more candidates never moves the hits already folded.
    """
    if not hits:
        return []
    keys = band_keys(signatures)
    shared, after_another = _band_mates(keys)
    looked_at = (np.count_nonzero(signatures, axis=1) > 0) & after_another
    filed = np.asarray(shared.any(axis=1))  # kept: filed by band key
    first_same = _first_identical(signatures, keys)
    kept_in: dict[int, list[int]] = {}  # band key -> kept hits holding it, best first
    homes = np.arange(len(hits))  # each hit's kept hit (itself when kept)
    # Only hits that share a band with a better one may join it, and only kept hits
    # sharing a band with a later one are filed: the rest (nearly all) stay as they
    # are, so the loop visits just these, in rank order, as a loop over all would.
    for index in np.flatnonzero(looked_at | filed).tolist():
        home = None
        if looked_at[index]:
            same = first_same[index]
            home = int(homes[same]) if same != index else \
                _home(index, keys[index], kept_in, signatures, work)
        if home is None:
            if filed[index]:
                _file(index, keys, shared, kept_in)
        else:
            homes[index] = home
    return _groups(hits, homes)


def _file(index: int, keys: np.ndarray, shared: np.ndarray,
          kept_in: dict[int, list[int]]) -> None:
    """File kept hit `index` under its band keys that other hits hold too."""
    row: np.ndarray = keys[index]
    for key in row[shared[index]].tolist():
        kept_in.setdefault(key, []).append(index)


def _groups(hits: list[Any], homes: np.ndarray) -> list[tuple[Any, list[Any]]]:
    """(kept hit, its copies in rank order), kept hits in rank order."""
    positions = np.arange(len(homes))
    kept = positions[homes == positions].tolist()
    copies = positions[homes != positions]
    groups: dict[int, list[Any]] = {}
    for copy, home in zip(copies.tolist(), homes[copies].tolist(), strict=True):
        groups.setdefault(home, []).append(hits[copy])
    return [(hits[index], groups.get(index, [])) for index in kept]


def _first_identical(signatures: np.ndarray, keys: np.ndarray) -> list[int]:
    """For each row, the first row with the very same signature (itself, mostly);
    found by the rows' hashes of their band keys, then checked value by value."""
    _, first, inverse = np.unique(_mixed(keys.view(np.uint64), seed=BANDS),
                                  return_index=True, return_inverse=True)
    found = first[inverse.ravel()]
    unequal = ~(signatures[found] == signatures).all(axis=1)  # a hash collision
    found[unequal] = np.flatnonzero(unequal)
    listed: list[int] = found.tolist()
    return listed


def _band_mates(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(which band keys another hit holds too, which hits share a band with a better
    one): computed at once, so the loop above does no work for the hits, nearly
    all of them, that share no band with anything. One sort of every key (with
    its row) finds both: runs of equal keys, and each run's first row."""
    flat = keys.ravel()
    order = np.argsort(flat)
    ordered = flat[order]
    begins = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    starts = np.flatnonzero(begins)
    run = np.empty(len(flat), dtype=np.int64)
    run[order] = np.cumsum(begins) - 1
    counts = np.diff(np.append(starts, len(flat)))
    first_row = np.minimum.reduceat(order // keys.shape[1], starts)
    shared: np.ndarray = (counts[run] > 1).reshape(keys.shape)
    rows = np.arange(len(keys))[:, None]
    after_another = np.asarray((first_row[run].reshape(keys.shape) < rows).any(axis=1))
    return shared, after_another


def band_keys(signatures: np.ndarray) -> np.ndarray:
    """Each row's key in each of `BANDS` bands of `ROWS` hash values: (rows, BANDS)
    numbers, equal where two rows agree on every value of that band.

    Why 8 bands of 4 finds every copy: two signatures are copies when at least
    26 of their 32 values agree (26/32 >= SAME_STORY > 25/32), so at most 6
    values differ; 6 differences spoil at most 6 of the 8 bands, and the pair
    shares the other two. Banding loses no copy `collapse` would have found.
    Seen as LSH, the chance that two articles of Jaccard similarity s share a
    band is 1 - (1 - s**4)**8: 0.985 at s = 0.8, 0.40 at 0.5, 0.06 at 0.3, so
    few unrelated pairs are compared (4 bands of 8 would miss half the copies
    at 0.8; 16 bands of 2 would compare most pairs).

    A key is a 64-bit hash of the band's values (sorting 128-bit values as
    bytes cost 70 ms for 43,000 hits); two bands that differ share a key with
    odds of about 2**-61, which costs one comparison and folds nothing.
    """
    keys = np.empty((len(signatures), BANDS), dtype=np.uint64)
    for band in range(BANDS):
        mixed = _mixed(signatures[:, band * ROWS:(band + 1) * ROWS], seed=band)
        keys[:, band] = (mixed >> np.uint64(3) << np.uint64(3)) | np.uint64(band)
    return keys.view(np.int64)  # distinct across bands: the band is the low 3 bits


def _mixed(values: np.ndarray, seed: int) -> np.ndarray:
    """A 64-bit hash of each row of `values` (splitmix64's multiply and shift)."""
    mixed = np.full(len(values), seed, dtype=np.uint64)
    for column in values.T:
        mixed = (mixed ^ column.astype(np.uint64)) * _GOLDEN
        mixed ^= mixed >> np.uint64(31)
    return mixed


def _home(index: int, keys: np.ndarray, kept_in: dict[int, list[int]],
          signatures: np.ndarray, work: Counter[str] | None) -> int | None:
    """The best-ranked kept hit similar to hit `index`, among those sharing a band."""
    near = sorted({kept for key in keys.tolist() for kept in kept_in.get(key, ())[:BUCKET_CHECKS]})
    if work is not None:
        work["compared"] += len(near)
    if not near:
        return None
    same = (signatures[near] == signatures[index]).mean(axis=1) >= SAME_STORY
    found = np.flatnonzero(same)
    return near[int(found[0])] if len(found) else None
