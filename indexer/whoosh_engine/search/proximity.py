"""Word pairs of a question, scored as terms of their own.

Two consecutive words of a question found close together in an article, in
the question's order, are evidence beyond each word alone ("boundary layer",
"heat transfer"). As in Metzler and Croft's sequential dependence model, the
pair is scored like a word: how often it occurs in each field (each first
word with each second word at most `window` positions after it), normalised
by the field's length and saturated once (BM25F), times the pair's own idf
over the index. Whoosh's phrase query with slop finds the occurrences.
"""

from __future__ import annotations

from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.searching import Searcher

from .bm25f import FieldNorm, idf, saturated

Occurrences = dict[str, dict[int, int]]  # field -> global document number -> count


class PairQuery(wq.Query):
    """`first` followed by `second` within `window` words, scored as one term."""

    def __init__(self, first: str, second: str, fields: dict[str, float], window: int,
                 weight: float, k1: float, b: dict[str, float]) -> None:
        self.first, self.second = first, second
        self.fields, self.b = dict(fields), dict(b)
        self.window, self.weight, self.k1 = window, weight, k1
        self._found: dict[int, Occurrences] = {}  # per top searcher, for its segments

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, PairQuery) and (self.first, self.second, self.window,
                                                  self.weight) ==
                (other.first, other.second, other.window, other.weight)
                and self.fields == other.fields)

    def __hash__(self) -> int:
        return hash((self.first, self.second, self.window, self.weight))

    def __repr__(self) -> str:
        return f"PairQuery({self.first!r}, {self.second!r}, window={self.window})"

    def is_leaf(self) -> bool:
        return True

    def field(self) -> None:  # several fields
        return None

    def has_terms(self) -> bool:  # its words are the question's own words, listed there
        return False

    def estimate_size(self, ixreader: Any) -> int:
        return 0

    def matcher(self, searcher: Searcher, context: Any = None) -> matching.Matcher:
        top = searcher.get_parent() if searcher.has_parent() else searcher
        found = self._occurrences(top)
        documents = set().union(*found.values())
        if not documents:
            return matching.NullMatcher()
        offset = _offset(top, searcher)
        size = searcher.doc_count_all()
        local = sorted(d - offset for d in documents if 0 <= d - offset < size)
        if not local:
            return matching.NullMatcher()
        weight = self.weight * idf(top.doc_count_all(), len(documents))
        norms = [FieldNorm.of(top, field, field_weight, self.b.get(field, 0.75))
                 for field, field_weight in self.fields.items()]
        scores = [saturated(weight, _tf(norms, found, searcher, docnum, offset), self.k1)
                  for docnum in local]
        return matching.ListMatcher(local, weights=scores)

    def _occurrences(self, top: Searcher) -> Occurrences:
        key = id(top)
        if key not in self._found:
            self._found[key] = {field: _near(top, field, self.first, self.second, self.window)
                                for field in self.fields}
        return self._found[key]


def _tf(norms: list[FieldNorm], found: Occurrences, searcher: Searcher, docnum: int,
        offset: int) -> float:
    """The pair's BM25F term frequency in one document: its counts per field,
    weighted and normalised by each field's length, added up."""
    return sum(norm.tf(count, searcher.doc_field_length(docnum, norm.field, 1))
               for norm in norms if (count := found[norm.field].get(docnum + offset, 0)))


def _near(top: Searcher, field: str, first: str, second: str, window: int) -> dict[int, int]:
    """Global document number -> how often `second` follows `first` within `window`."""
    counts: dict[int, int] = {}
    for leaf, offset in top.leaf_searchers():
        found = wq.Phrase(field, [first, second], slop=window).matcher(leaf)
        while found.is_active():
            counts[found.id() + offset] = len(found.spans()) or 1
            found.next()
    return counts


def _offset(top: Searcher, searcher: Searcher) -> int:
    if searcher is top:
        return 0
    return next(offset for leaf, offset in top.leaf_searchers() if leaf is searcher)
