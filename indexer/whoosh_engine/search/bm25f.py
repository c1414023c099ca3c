"""True BM25F for a query word searched in several fields.

Whoosh's multifield search sums one BM25 score per field, so a word that
appears once in the title and once in the body is saturated twice and its
document length is judged field by field. BM25F (Robertson, Zaragoza and
Taylor 2004) first adds the field-weighted, length-normalised term
frequencies, then saturates once:

    tf~ = sum_f  w_f * tf_f / (1 - b_f + b_f * len_f / avglen_f)
    score = idf * tf~ * (k1 + 1) / (tf~ + k1)

`WordQuery` is one query word over the article's text fields, scored so.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from whoosh import matching
from whoosh.query import Query
from whoosh.util import make_binary_tree

from ..internals import RewrappingMatcher


class WordQuery(Query):
    """One analysed word (a term) searched in several fields with BM25F."""

    def __init__(self, text: str, weights: dict[str, float], k1: float = 1.2,
                 b: dict[str, float] | None = None, boost: float = 1.0,
                 title_bonus: float = 0.0) -> None:
        self.text = text
        self.weights = dict(weights)
        self.k1 = k1
        self.b = dict(b or {})
        self.boost = boost
        self.title_bonus = title_bonus

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, WordQuery) and self.text == other.text
                and self.weights == other.weights and self.boost == other.boost
                and self.k1 == other.k1 and self.b == other.b)

    def __hash__(self) -> int:
        return hash((self.text, tuple(sorted(self.weights.items())), self.boost))

    def __repr__(self) -> str:
        return f"WordQuery({self.text!r}, {self.weights!r}, boost={self.boost})"

    def __unicode__(self) -> str:
        return f"{self.text}"

    __str__ = __unicode__

    def is_leaf(self) -> bool:
        return True

    def has_terms(self) -> bool:
        return True

    def field(self) -> None:
        return None

    def terms(self, phrases: bool = False) -> Iterator[tuple[str, str]]:
        for field in self.weights:
            yield field, self.text

    def estimate_size(self, ixreader: Any) -> int:
        return max((ixreader.doc_frequency(f, self.text) for f in self.weights), default=0)

    def plan(self, top: Any) -> WordPlan:
        """The collection statistics this word is scored with, taken from the
        top-level searcher so that every segment scores alike."""
        frequency = max(top.doc_frequency(field, self.text) for field in self.weights)
        documents = top.doc_count_all()
        fields = tuple(FieldNorm.of(top, field, weight, self.b.get(field, 0.75))
                       for field, weight in self.weights.items())
        title_idf = idf(documents, top.doc_frequency("title", self.text))
        return WordPlan(self.text, fields, idf(documents, frequency) * self.boost, self.k1,
                        title_idf * self.title_bonus * self.boost if self.title_bonus else 0.0)

    def matcher(self, searcher: Any, context: Any = None) -> matching.Matcher:
        reader = searcher.reader()
        parts = {field: reader.postings(field, self.text)
                 for field in self.weights if (field, self.text) in reader}
        if not parts:
            return matching.NullMatcher()
        plan = self.plan(searcher.get_parent())
        norms = [(norm, parts[norm.field]) for norm in plan.fields if norm.field in parts]
        union = make_binary_tree(matching.UnionMatcher, list(parts.values()))
        title = next(((replace(norm, weight=1.0), postings) for norm, postings in norms
                      if norm.field == "title"), None) if plan.title_weight else None
        return BM25FMatcher(union, norms, reader, plan.weight, plan.k1, title, plan.title_weight)


@dataclass(frozen=True)
class FieldNorm:
    """One field's part in a word's BM25F score."""

    field: str
    weight: float
    b: float
    average: float  # the field's average length in the whole index

    @classmethod
    def of(cls, top: Any, field: str, weight: float, b: float) -> FieldNorm:
        """With the field's average length from the top-level searcher."""
        return cls(field, weight, b, top.avg_field_length(field, 1.0) or 1.0)

    def tf(self, count: float, length: float) -> float:
        """A count in this field, weighted and normalised by the field's length."""
        return self.weight * count / (1.0 - self.b + self.b * length / self.average)


def saturated(weight: float, tf: float, k1: float) -> float:
    """`weight` times BM25's saturation of a (normalised) term frequency (in
    this order of operations: the array scorer gives the same floats)."""
    return weight * tf * (k1 + 1.0) / (tf + k1)


@dataclass(frozen=True)
class WordPlan:
    """Everything needed to score one word in any segment."""

    text: str
    fields: tuple[FieldNorm, ...]
    weight: float  # idf x boost
    k1: float
    title_weight: float  # the title-only bonus: title idf x title_bonus x boost


def idf(documents: int, frequency: int) -> float:
    """BM25's idf, as Lucene computes it: never negative, even for a word in most articles."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


class BM25FMatcher(RewrappingMatcher):
    def __init__(self, child: matching.Matcher, norms: list[tuple[Any, ...]], reader: Any,
                 weight: float, k1: float, title: tuple[Any, ...] | None = None,
                 title_weight: float = 0.0) -> None:
        super().__init__(child)
        self._norms = norms
        self._reader = reader
        self._weight = weight
        self._k1 = k1
        self._title = title
        self._title_weight = title_weight

    def rewrapped(self, newchild: matching.Matcher) -> BM25FMatcher:
        return BM25FMatcher(newchild, self._norms, self._reader, self._weight, self._k1,
                            self._title, self._title_weight)

    def copy(self) -> BM25FMatcher:
        # Copies share postings with the original: Whoosh copies matchers only to
        # inspect them, never to move both.
        return self.rewrapped(self.child.copy())

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        """An upper bound: tf~ / (tf~ + k1) < 1. Lets Whoosh skip hopeless documents."""
        return (self._weight + self._title_weight) * (self._k1 + 1.0)

    block_quality = max_quality

    def replace(self, minquality: float = 0) -> matching.Matcher:
        return self if self.child.is_active() else matching.NullMatcher()

    def score(self) -> float:
        docnum = self.child.id()
        tf = sum(self._tf(norm, postings, docnum) for norm, postings in self._norms)
        score = saturated(self._weight, tf, self._k1)
        if self._title is not None:
            norm, postings = self._title
            score += saturated(self._title_weight, self._tf(norm, postings, docnum), self._k1)
        return score

    def _tf(self, norm: FieldNorm, postings: matching.Matcher, docnum: int) -> float:
        if not postings.is_active() or postings.id() != docnum:
            return 0.0
        return norm.tf(postings.weight(), self._reader.doc_field_length(docnum, norm.field, 1))
