"""Ranking: BM25F settings and the coordination that puts full matches first.

Whoosh's own coordination (`OrGroup.factory`) counts matched *terms* across
fields, so a word found in title and body counts twice. Here each query word
is one unit: a document's score is its BM25F score plus `bonus` for every
query word it contains. With a bonus far above any BM25F score, articles with
all the words rank above those with some, which is what a person typing a
few keywords expects. Sentences used as queries (`plain` searches, test
collections) get a small bonus only: demanding every word of a long question
hurts (docs/ranking.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from whoosh import matching, query, scoring
from whoosh.qparser import syntax
from whoosh.util import make_binary_tree

from ..internals import RewrappingMatcher

# Words with which people phrase an information request ("are there any papers
# available on…", "what is known regarding…"); in a question they say nothing
# about the topic. Removed from sentence queries only, never from the index.
REQUEST_WORDS = frozenset("""
anyone available papers paper possible information known obtain regarding pertaining
concerning literature reports report find exist exists investigated made done give
discussed describe described determine determined
""".split())


@dataclass(frozen=True)
class Ranking:
    """One ranking configuration; the default serves every corpus.

    Each value was chosen by measurement on two test collections (SciFact and
    Cranfield), preferring changes that help both: see docs/ranking.md.
    """

    k1: float = 1.2  # BM25 term-frequency saturation
    b: float = 0.75  # BM25 length normalisation (per field: `field_b`)
    field_b: dict[str, float] = field(default_factory=dict)
    # BM25F weights of each text field for an unfielded word
    field_boosts: dict[str, float] = field(default_factory=lambda: {
        "title": 1.0, "standfirst": 1.0, "body": 1.0})
    bm25f: bool = True  # False: Whoosh's sum of one BM25 per field (for comparison)
    title_bonus: float = 0.3  # extra BM25 on the title alone, with the title's own idf
    word_bonus: float = 1000.0  # per query word matched, typed queries: all words first
    sentence_word_bonus: float = 0.3  # per query word matched, sentence queries
    proximity: float = 0.2  # sentence queries: weight of each consecutive word pair...
    proximity_slop: int = 12  # ...found within this many words (a BM25F term of its own)
    proximity_fields: tuple[str, ...] = ("title", "body")
    # sentence queries: words that phrase a request rather than name its topic
    request_words: frozenset[str] = REQUEST_WORDS

    def weighting(self) -> scoring.WeightingModel:
        return scoring.BM25F(B=self.b, K1=self.k1)


DEFAULT_RANKING = Ranking()


class CoordinationMatcher(RewrappingMatcher):
    """Adds `bonus` per query word (sub-matcher) present in the current document."""

    def __init__(self, child: matching.Matcher, words: list[matching.Matcher],
                 bonus: float) -> None:
        super().__init__(child)
        self._words = words
        self._bonus = bonus

    def rewrapped(self, newchild: matching.Matcher) -> CoordinationMatcher:
        return CoordinationMatcher(newchild, self._words, self._bonus)

    def copy(self) -> CoordinationMatcher:
        return CoordinationMatcher(self.child.copy(), [w.copy() for w in self._words],
                                   self._bonus)

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return self.child.max_quality() + self._bonus * len(self._words)

    block_quality = max_quality

    def replace(self, minquality: float = 0) -> matching.Matcher:
        return self if self.child.is_active() else matching.NullMatcher()

    def score(self) -> float:
        current = self.child.id()
        present = sum(1 for word in self._words if word.is_active() and word.id() == current)
        return self.child.score() + self._bonus * present


class CoordinatedOr(query.Or):
    """An OR of query words whose score rewards matching more of them."""

    def __init__(self, subqueries: list[query.Query], boost: float = 1.0,
                 bonus: float = DEFAULT_RANKING.word_bonus, **kwargs: Any) -> None:
        super().__init__(subqueries, boost=boost, **kwargs)
        self.bonus = bonus

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and getattr(other, "bonus", None) == self.bonus

    __hash__ = query.Or.__hash__

    def apply(self, fn: Any) -> CoordinatedOr:
        return CoordinatedOr([fn(q) for q in self.subqueries], boost=self.boost,
                             bonus=self.bonus)

    def normalize(self) -> query.Query:
        norm = super().normalize()
        if isinstance(norm, CoordinatedOr):
            norm.bonus = self.bonus
        return norm

    def matcher(self, searcher: Any, context: Any = None) -> matching.Matcher:
        words = [q.matcher(searcher, context) for q in self.subqueries]
        words = [m for m in words if m.is_active()]
        if not words:
            return matching.NullMatcher()
        if len(words) == 1 or not self.bonus:
            return make_binary_tree(matching.UnionMatcher, words)
        union = make_binary_tree(matching.UnionMatcher, words)
        return CoordinationMatcher(union, words, self.bonus)


def coordinated_group(bonus: float) -> type[syntax.OrGroup]:
    """The parser group for words written side by side, with this bonus per word."""

    class CoordinatedOrGroup(syntax.OrGroup):
        qclass = CoordinatedOr

        def __init__(self, nodes: list[Any] | None = None, **kwargs: Any) -> None:
            kwargs["bonus"] = bonus
            super().__init__(nodes=nodes, **kwargs)

    return CoordinatedOrGroup
