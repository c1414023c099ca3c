"""Top results for keyword queries, scored a whole posting list at a time.

Whoosh scores document by document: for every matching article it walks a
tree of matchers in Python, so a query whose words match a few thousand
articles costs tens of milliseconds. Keyword queries (words over the text
fields, with the all-words-first bonus) have a simple score: the BM25F of
each word plus a bonus per word present. Here each posting list is read
block by block into arrays, and the same formula is computed with numpy
over all the documents at once, then the best `limit` are kept.

The result is the same `Results` Whoosh would return (scores equal, ties by
document number), so snippets, paging and totals work unchanged. Any other
query shape (phrases, NOT, fields, dates) returns None and runs in Whoosh.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher, Matcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Results, Searcher
from whoosh.util import make_binary_tree
from whoosh.util.numeric import byte_to_length

from ..codec.segment_arrays import fixed_width_bytes, per_segment, segment_key
from ..internals import leaf_blocks, length_column, set_total
from .bm25f import WordPlan, WordQuery
from .ranking import CoordinatedOr

_BYTE_LENGTHS = np.array([byte_to_length(byte) for byte in range(256)], dtype=np.float64)
_deleted_masks: WeakKeyDictionary[IndexReader, np.ndarray] = WeakKeyDictionary()

Postings = tuple[np.ndarray, np.ndarray]  # document numbers, term frequencies
POSTINGS_CACHE_BYTES = 64 * 2**20  # decoded postings kept per process (8 bytes a posting)


class ArrayResults(Results):
    """Whoosh's Results, knowing every matching document number (for facets)."""

    matched: np.ndarray

    def docs(self) -> set[int]:
        return {int(docnum) for docnum in self.matched}


def top_results(searcher: Searcher, q: wq.Query, limit: int,
                allowed: np.ndarray | None = None) -> ArrayResults | None:
    """Whoosh's `searcher.search(q, limit=limit, terms=True)`, faster; None when
    `q` is not a plain keyword query. `allowed`, a mask over document numbers,
    keeps only the documents it marks (facet filters)."""
    shape = _keyword_shape(q)
    if shape is None:
        return None
    started = time.perf_counter()
    words, bonus = shape
    plans = [word.plan(searcher) for word in words]
    scores: list[np.ndarray] = []
    docnums: list[np.ndarray] = []
    matched: dict[tuple[str, str], list[np.ndarray]] = {}
    for reader, offset in searcher.reader().leaf_readers():
        segment = _score_segment(reader, plans, bonus)
        if segment is None:
            continue
        ids, values, postings = segment
        if allowed is not None:
            keep = allowed[ids + offset]
            ids, values = ids[keep], values[keep]
        docnums.append(ids + offset)
        scores.append(values)
        for term, (term_ids, _) in postings.items():
            matched.setdefault(term, []).append(term_ids + offset)
    all_ids = np.concatenate(docnums) if docnums else np.zeros(0, dtype=np.int64)
    all_scores = np.concatenate(scores) if scores else np.zeros(0)
    top = _best(all_ids, all_scores, limit)
    top_n = list(zip(all_scores[top].tolist(), all_ids[top].tolist(), strict=True))
    results = ArrayResults(searcher, q, top_n,
                           runtime=time.perf_counter() - started)
    set_total(results, len(all_ids))
    results.matched = all_ids
    _record_matched_terms(results, searcher, matched, all_ids[top])
    return results


def _keyword_shape(q: wq.Query) -> tuple[list[WordQuery], float] | None:
    """(words, bonus per word present) when `q` is words and nothing else."""
    if isinstance(q, WordQuery):
        return [q], 0.0
    if type(q) is CoordinatedOr and q.subqueries \
            and all(isinstance(sub, WordQuery) for sub in q.subqueries):
        return list(q.subqueries), q.bonus
    return None


def _score_segment(reader: IndexReader, plans: Sequence[WordPlan], bonus: float
                   ) -> tuple[np.ndarray, np.ndarray, dict[tuple[str, str], Postings]] | None:
    """Matching documents of one segment, their scores, and each term's postings.

    Mirrors `CoordinatedOr.matcher` and `BM25FMatcher.score` operation for
    operation, so the floating-point results are identical.
    """
    size = reader.doc_count_all()
    deleted = _deleted_mask(reader, size) if reader.has_deletions() else None
    word_scores, word_present, postings = [], [], {}
    for plan in plans:
        parts = {norm.field: _postings(reader, norm.field, plan.text, deleted)
                 for norm in plan.fields}
        parts = {field: part for field, part in parts.items() if len(part[0])}
        if not parts:
            continue
        score, present = _word_scores(reader, plan, parts, size)
        word_scores.append(score)
        word_present.append(present)
        postings.update({(field, plan.text): part for field, part in parts.items()})
    if not word_scores:
        return None
    total = make_binary_tree(np.add, word_scores)
    present_count = make_binary_tree(np.add, [p.astype(np.int64) for p in word_present])
    ids = np.flatnonzero(present_count)
    values = total[ids]
    if bonus and len(word_scores) > 1:
        values = values + bonus * present_count[ids]
    return ids, values, postings


def _word_scores(reader: IndexReader, plan: WordPlan, parts: dict[str, Postings],
                 size: int) -> tuple[np.ndarray, np.ndarray]:
    """One word's BM25F score for every document of the segment (0 where absent)."""
    lengths = _field_lengths(reader)
    tf = np.zeros(size)
    present = np.zeros(size, dtype=bool)
    title_part = None
    for norm in plan.fields:
        if norm.field not in parts:
            continue
        ids, freqs = parts[norm.field]
        denominator = 1.0 - norm.b + norm.b * lengths(norm.field)[ids] / norm.average
        tf[ids] += norm.weight * freqs / denominator
        present[ids] = True
        if norm.field == "title" and plan.title_weight:
            title_part = (ids, freqs / denominator)
    k1 = plan.k1
    score = np.zeros(size)
    score[present] = plan.weight * tf[present] * (k1 + 1.0) / (tf[present] + k1)
    if title_part is not None:
        ids, title_tf = title_part
        score[ids] += plan.title_weight * title_tf * (k1 + 1.0) / (title_tf + k1)
    return score, present


def _field_lengths(reader: IndexReader) -> Any:
    """A function giving one field's length for every document of the segment."""
    def lengths(field: str) -> np.ndarray:
        return per_segment(reader, f"lengths:{field}", lambda r: _read_lengths(r, field))

    return lengths


def _deleted_mask(reader: IndexReader, size: int) -> np.ndarray:
    """True for deleted documents; per reader, since deletions grow between commits."""
    mask = _deleted_masks.get(reader)
    if mask is None:
        mask = np.zeros(size, dtype=bool)
        mask[np.fromiter(reader.deleted_docs_set, dtype=np.int64)] = True
        _deleted_masks[reader] = mask
    return mask


def _read_lengths(reader: IndexReader, field: str) -> np.ndarray:
    size = reader.doc_count_all()
    column = length_column(reader, field)
    if column is None:
        return np.zeros(size)
    raw = np.frombuffer(fixed_width_bytes(column, size, 1), dtype=np.uint8)
    return _BYTE_LENGTHS[raw]


def _postings(reader: IndexReader, field: str, text: str, deleted: np.ndarray | None
              ) -> Postings:
    """All of a term's postings in this segment, deleted documents left out."""
    key = (*segment_key(reader), field, text)
    postings = _POSTINGS.get(key)
    if postings is None:
        try:
            matcher = reader.postings(field, text)
        except TermNotFound:
            postings = _NO_POSTINGS
        else:
            postings = _read_all(matcher.child if isinstance(matcher, FilterMatcher) else matcher)
        _POSTINGS.put(key, postings)
    ids, freqs = postings
    if deleted is not None:
        keep = ~deleted[ids]
        ids, freqs = ids[keep], freqs[keep]
    return ids, freqs


def _read_all(matcher: Matcher) -> Postings:
    if isinstance(matcher, W3LeafMatcher):
        id_blocks, freq_blocks = [], []
        for block_ids, block_weights in leaf_blocks(matcher):
            id_blocks.append(np.asarray(block_ids, dtype=np.int32))
            freq_blocks.append(np.asarray(block_weights, dtype=np.float32))
        if not id_blocks:  # a term whose postings all went to another segment
            return _NO_POSTINGS
        return np.concatenate(id_blocks), np.concatenate(freq_blocks)
    ids, freqs = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        freqs.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int32), np.array(freqs, dtype=np.float32)


class PostingsCache:
    """Decoded posting lists, least recently used dropped beyond `budget` bytes.

    Whoosh stores each block of postings pickled and compressed with its
    positions and character offsets; decoding dominates a keyword query.
    Segments never change once written (deletions are applied on top), so
    a decoded list stays valid for as long as its segment exists; keys
    include the index folder and the segment's unique id.
    """

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._used = 0
        self._entries: OrderedDict[tuple[str, ...], Postings] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Postings | None:
        with self._lock:
            postings = self._entries.get(key)
            if postings is not None:
                self._entries.move_to_end(key)
            return postings

    def put(self, key: tuple[str, ...], postings: Postings) -> None:
        size = postings[0].nbytes + postings[1].nbytes
        if size > self._budget:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = postings
            self._used += size
            while self._used > self._budget:
                _, (ids, freqs) = self._entries.popitem(last=False)
                self._used -= ids.nbytes + freqs.nbytes


_POSTINGS = PostingsCache(POSTINGS_CACHE_BYTES)
_NO_POSTINGS: Postings = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


def _best(ids: np.ndarray, scores: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the `limit` best: highest score first, then lowest document number."""
    if limit and len(scores) > limit:
        threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        candidates = np.flatnonzero(scores >= threshold)
    else:
        candidates = np.arange(len(scores))
    order = np.lexsort((ids[candidates], -scores[candidates]))
    return candidates[order][:limit] if limit else candidates[order]


def _record_matched_terms(results: Results, searcher: Searcher,
                          matched: dict[tuple[str, str], list[np.ndarray]],
                          top_ids: np.ndarray) -> None:
    """Which terms each top document matched, as Whoosh's `terms=True` records it
    (snippets highlight those terms only). `termdocs` is filled now (numpy per
    term); `docterms` per document only when a hit asks, since thousands of
    candidates are ranked for folding and only a page of them is shown."""
    schema = searcher.schema
    termdocs: dict[tuple[str, bytes], list[int]] = {}
    found: dict[tuple[str, bytes], np.ndarray] = {}
    for (field, text), parts in matched.items():
        term = (field, schema[field].to_bytes(text))
        ids = np.concatenate(parts)  # ascending: segments come in docnum order
        where = np.minimum(np.searchsorted(ids, top_ids), len(ids) - 1)
        hits = top_ids[ids[where] == top_ids]
        found[term] = np.sort(hits)
        termdocs[term] = hits.tolist()
    results.docterms = _DocTerms(found)
    results.termdocs = termdocs


class _DocTerms(dict[int, list[tuple[str, bytes]]]):
    """Whoosh's `Results.docterms` (read by `Hit.matched_terms` through `get`): a
    document's terms are looked up (a binary search per term) when first asked;
    a document that matched none is not a key, as in Whoosh's."""

    def __init__(self, found: dict[tuple[str, bytes], np.ndarray]) -> None:
        super().__init__()
        self._found = found

    def __missing__(self, docnum: int) -> list[tuple[str, bytes]]:
        terms = [term for term, ids in self._found.items() if _holds(ids, docnum)]
        if not terms:
            raise KeyError(docnum)
        self[docnum] = terms
        return terms

    def get(self, docnum: int, default: Any = None) -> Any:
        try:
            return self[docnum]
        except KeyError:
            return default


def _holds(ordered: np.ndarray, value: int) -> bool:
    where = int(np.searchsorted(ordered, value))
    return where < len(ordered) and int(ordered[where]) == value
