"""Filter terms of a query (`section:`, `source:`, `date:`, `year:`, `month:`).

A filter term names which articles, not words to rank: `chelsea section:sport`
is the articles about Chelsea in the sport section, ranked by "chelsea".
Whoosh would OR the two, so `query.shape` makes filters restrict (AND) and
wraps them so they add nothing to the score (`Restrict`, `SourceFilter`).

For the array scorer a query `words AND filter...` is taken apart into the
words and a mask over document numbers, as the facet filters are: the order,
the ties and the total stay what Whoosh gives, and the words are ranked a
posting list at a time.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Iterable
from typing import Any

import numpy as np
from whoosh import matching
from whoosh import query as wq
from whoosh.query.wrappers import WrappingQuery
from whoosh.searching import Searcher

from .facets import facts, in_date_ranges, live_docs

# Filters typed as `name:value` that are not fields of the index: they are
# read as `date:` (with their value checked first, see `typed_problem`).
DATE_ALIASES = ("year", "month")
_YEAR = re.compile(r"[0-9]{4}")  # ASCII digits only: int() would take any script's
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
# A phrase (skipped: what it holds is words), or a typed year:/month: value.
_ALIASED = re.compile(r'"[^"]*"|(?:(?<=[\s(+\-])|^)(?P<name>year|month):'
                      r"""(?P<value>"[^"]*"|'[^']*'|[^\s()"']+)""")
_NOT_WORD = re.compile(r"[\W_]+")


class Restrict(WrappingQuery):
    """Matches what its query matches, adding nothing (0.0) to the score.

    Whoosh's ConstantScoreQuery hands back its child's own scorer whenever
    the search records matched terms (`terms=True`, as every search here
    does), so `chelsea section:sport` would add the section term's BM25 to
    each hit. A score of 0.0 leaves every hit's score exactly as the words
    give it, which is what the array scorer computes.
    """

    def __repr__(self) -> str:
        return f"Restrict({self.child!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is Restrict and other.child == self.child

    def __hash__(self) -> int:
        return hash(("restrict", self.child))

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return _unscored(np.flatnonzero(filter_mask(searcher, self)).tolist())


class SourceFilter(wq.Query):
    """`source:VALUE`: the articles whose source (site) has VALUE's words in a
    row, in any case and with accents folded (`source:jazeera` and
    `source:"al jazeera"` both find "Al Jazeera").

    The source is a column, not an indexed field, so this reads the column's
    values per segment (`facets.DocFacts`) rather than postings.
    """

    fieldname = "source"

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"SourceFilter({self.value!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is SourceFilter and other.value == self.value

    def __hash__(self) -> int:
        return hash(("source", self.value))

    def __unicode__(self) -> str:
        return f"source:{self.value!r}"

    __str__ = __unicode__

    def estimate_size(self, ixreader: Any) -> int:
        return int(ixreader.doc_count())

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return _unscored(np.flatnonzero(filter_mask(searcher, self)).tolist())


class Without(wq.AndNot):
    """`a ANDNOT b` (`-word`, NOT): the banned side matched without scoring.

    Whoosh 2.7.5's AndNotMatcher could keep a banned first document
    (`mexico -cuba` found an article about both); `internals` mends it
    for every AndNot.
    """

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return matching.AndNotMatcher(self.a.matcher(searcher, context),
                                      self.b.matcher(searcher, searcher.boolean_context()))


def _unscored(ids: Iterable[int]) -> Any:
    docnums = array("I", ids)
    return _UnscoredMatcher(docnums) if docnums else matching.NullMatcher()


class _UnscoredMatcher(matching.ListMatcher):  # type: ignore[misc]
    """Whoosh's list matcher, scoring 0.0 (its own turns a weight of 0 into 1)."""

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return 0.0

    def block_quality(self) -> float:
        return 0.0

    def weight(self) -> float:
        return 0.0

    def score(self) -> float:
        return 0.0


def folded(text: str) -> str:
    """Lower case, accents and punctuation dropped: how source names are compared."""
    plain = "".join(char for char in unicodedata.normalize("NFKD", text)
                    if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", plain.casefold()).split())


def source_matches(name: str, value: str) -> bool:
    wanted = folded(value)
    return bool(wanted) and f" {wanted} " in f" {folded(name)} "


def sources_mask(searcher: Any, value: str) -> np.ndarray:
    """Over the searcher's document numbers: the articles whose source matches
    (deleted ones too: see `filter_mask`)."""
    masks = []
    for reader, _ in searcher.reader().leaf_readers():
        segment = facts(reader)
        codes = [code for code, name in enumerate(segment.source_names)
                 if source_matches(name, value)]
        masks.append(np.isin(segment.sources, codes))
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def typed_problem(text: str) -> str | None:
    """Why a `year:` or `month:` written in `text` is not one (None: they all are).

    Checked before Whoosh reads them as `date:`, which would take `99999` as
    a year or Arabic-Indic digits as ASCII ones."""
    for match in _ALIASED.finditer(text):
        if match.group("name") is None:
            continue
        value = match.group("value").strip("\"'")
        name = match.group("name")
        if name == "year" and not (_YEAR.fullmatch(value) and int(value) >= 1):
            return f"year:{value} is not a year (four digits, such as 2013)"
        if name == "month" and not (_MONTH.fullmatch(value) and int(value[:4]) >= 1):
            return f"month:{value} is not a month (YYYY-MM, such as 2013-05)"
    return None


def is_filter(q: wq.Query) -> bool:
    """Whether `q` only says which articles (a section, source or date), no words."""
    if isinstance(q, (Restrict, SourceFilter)):
        return True
    if type(q) in (wq.Or, wq.And):
        return bool(q.subqueries) and all(is_filter(child) for child in q.subqueries)
    return False


def filters_apart(searcher: Searcher, q: wq.Query) -> tuple[wq.Query, np.ndarray | None]:
    """(the words, a mask of the articles the query's filters allow) for a query
    `words AND filter...` (or `... ANDNOT filter`, or filters alone: the words are
    then `Every()`); (the query itself, None) for any other shape."""
    words, kept, banned = _split(q)
    if not kept and not banned:
        return q, None
    mask = live_docs(searcher)
    for part in kept:
        mask &= _mask(searcher, part)
    for part in banned:
        mask &= ~_mask(searcher, part)
    return words, mask


def _split(q: wq.Query) -> tuple[wq.Query, list[wq.Query], list[wq.Query]]:
    """(words, filters kept, filters banned); no filters when `q` is another shape."""
    if is_filter(q):
        return wq.Every(), [q], []
    if isinstance(q, wq.AndNot) and is_filter(q.b):
        words, kept, banned = _split(q.a)
        return words, kept, [*banned, q.b]
    if type(q) is not wq.And:
        return q, [], []
    parts = list(_flattened(q))
    kept = [part for part in parts if is_filter(part)]
    rest = [part for part in parts if not is_filter(part)]
    if not kept or len(rest) > 1:
        return q, [], []
    return (rest[0] if rest else wq.Every()), kept, []


def _flattened(q: wq.And) -> Iterable[wq.Query]:
    for child in q.subqueries:
        if type(child) is wq.And:
            yield from _flattened(child)
        else:
            yield child


def filter_mask(searcher: Searcher, q: wq.Query) -> np.ndarray:
    """Over the searcher's document numbers: the live articles a filter query matches."""
    return _mask(searcher, q) & live_docs(searcher)


def _mask(searcher: Searcher, q: wq.Query) -> np.ndarray:
    """A filter's articles, read from the facts (dates, sources) or the postings."""
    if isinstance(q, Restrict):
        q = q.child
    if isinstance(q, SourceFilter):
        return sources_mask(searcher, q.value)
    if isinstance(q, wq.NumericRange) and q.fieldname == "date":
        return in_date_ranges(searcher, [q])
    if type(q) is wq.Or:
        return np.logical_or.reduce([_mask(searcher, child) for child in q.subqueries])
    if type(q) is wq.And:
        return np.logical_and.reduce([_mask(searcher, child) for child in q.subqueries])
    mask = np.zeros(searcher.doc_count_all(), dtype=bool)
    mask[np.fromiter(searcher.docs_for_query(q), dtype=np.int64)] = True
    return mask
