"""Why a search found nothing: filter values the corpus does not have.

An empty page after `--section politics` is a dead end when the sections
are named "bbc / politics"; saying so, with the values there are (closest
first), turns it into a next step. The same for sources, for a year or
month no article has, and for any date filter on a corpus without dates.
Only filters are explained: when they are all fine and the words alone find
nothing either, there is nothing to add (None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.query_text import bounded
from indexer.records import Facets, FacetValue, Filters

from .facets import MAX_LISTED_VALUES, allowed, corpus_counts, live_docs, month_counts
from .query import build_parser, parse
from .query_filters import SourceFilter, filter_mask, folded, is_filter

MAX_LISTED = 8  # known values an explanation names, closest first
MAX_VALUE_CHARS = 100  # characters of each value compared and shown (the rest cut, "…")
# A filter typed in the query (not negated: `-section:x` keeps articles out).
_TYPED = re.compile(r'"[^"]*"|(?:(?<=[\s(+])|^)(?P<name>section|source|date|published|year|'
                    r"""month):(?P<value>"[^"]*"|'[^']*'|\[[^\]]*\]|[^\s()"']+)""")
_EPOCH = datetime(1, 1, 1)


@dataclass(frozen=True)
class Restriction:
    """One filter of the search: how to name it, and the articles it allows."""

    label: str  # "section 'sport'" (chosen) or "section:sport" (typed)
    kind: str  # section, source, year, month or date
    value: str
    mask: np.ndarray
    query: wq.Query | None = None  # the typed filter, as searched


def why_empty(searcher: Searcher, text: str, filters: Filters) -> str | None:
    """A sentence saying why `text` with `filters` found nothing, when a filter
    explains it (an unknown value: the known ones, closest first; a date filter
    on an undated corpus); None when the words alone found nothing."""
    text = bounded(text)[0]  # as searched: at most MAX_QUERY_WORDS typed filters
    restrictions = [*_chosen(searcher, filters), *_typed(searcher, text)]
    if not restrictions:
        return None
    counts = corpus_counts(searcher)
    for restriction in restrictions:
        if not restriction.mask.any():
            return _unknown(searcher, restriction, counts)
    together = np.logical_and.reduce([restriction.mask for restriction in restrictions])
    labels = " and ".join(restriction.label for restriction in restrictions)
    if not together.any():
        return f"No article matches {labels} together, though each matches some on its own."
    found = _words_alone(searcher, text)
    if found:
        return f"The words match {_articles(found)}, but none with {labels}."
    return None


def _chosen(searcher: Searcher, filters: Filters) -> list[Restriction]:
    """The filters chosen beside the query (facets, --section ...), one by one."""
    chosen = [("section", filters.section, Filters(section=filters.section),
               f"section {_shown(filters.section or '')}"),
              ("source", filters.source, Filters(source=filters.source),
               f"source {_shown(filters.source or '')}"),
              ("year", filters.year, Filters(year=filters.year), f"year {filters.year}"),
              ("month", filters.month, Filters(month=filters.month), f"month {filters.month}")]
    live = live_docs(searcher)
    return [Restriction(label, kind, str(value), allowed(searcher, alone) & live)
            for kind, value, alone, label in chosen if value is not None]


def _typed(searcher: Searcher, text: str) -> list[Restriction]:
    """The filters typed in the query (`section:sport`, `year:2005` ...)."""
    parser = build_parser(searcher.schema)
    found = []
    for match in _TYPED.finditer(text):
        if match.group("name") is None:
            continue
        q = parse(parser, match.group()).query
        if is_filter(q):
            name = match.group("name")
            kind = "date" if name == "published" else name
            found.append(Restriction(_cut(match.group()), kind, match.group("value").strip("\"'"),
                                     filter_mask(searcher, q), q))
    return found


def _words_alone(searcher: Searcher, text: str) -> int:
    """How many articles the query's words find without its typed filters."""
    rest = " ".join(_TYPED.sub(lambda match: "" if match.group("name") else match.group(),
                               text).split())
    if not rest:
        return 0
    q = parse(build_parser(searcher.schema), rest).query
    if q is wq.NullQuery or is_filter(q):
        return 0
    return len(searcher.search(q, limit=1))


def _unknown(searcher: Searcher, restriction: Restriction, counts: Facets) -> str:
    """No article has this value: say so, and list the values there are."""
    if restriction.kind == "section":
        how = "is named" if restriction.query is None else "has the words"
        return _listed(f"No section {how} {_shown(restriction.value)}", "Sections", "section",
                       _closest(restriction.value, counts.section))
    if restriction.kind == "source":
        if isinstance(restriction.query, SourceFilter) and not folded(restriction.value):
            return f"{restriction.label} names no source: a source's name has letters or digits."
        how = "is named" if restriction.query is None else "has the words"
        return _listed(f"No source {how} {_shown(restriction.value)}", "Sources", "source",
                       _closest(restriction.value, counts.source))
    if not counts.year:
        return (f"No article in this corpus has a date, so {restriction.label} finds nothing "
                "(as would any year, month or date filter).")
    if restriction.kind == "month":
        return _listed(_no_date(restriction), "Months", "dated",
                       _nearest_months(searcher, restriction.value))
    low, high = _years_of(restriction)
    nearest = sorted(counts.year, key=lambda value: (_distance(int(value.value), low, high),
                                                     int(value.value)))
    return _listed(_no_date(restriction), "Years", "dated",
                   nearest[:MAX_LISTED])


def _no_date(restriction: Restriction) -> str:
    if restriction.query is None:
        return f"No article is dated {restriction.value}"
    return f"No article matches {restriction.label}"


def _listed(first: str, heading: str, kind: str, values: list[FacetValue]) -> str:
    if not values:
        return f"{first}: no article in this corpus has a {kind}."
    shown = ", ".join(f"{_shown(value.value)} ({value.count:,})" if kind != "dated"
                      else f"{value.value} ({value.count:,})" for value in values)
    order = "closest" if kind != "dated" else "nearest"
    return f"{first}. {heading} ({order} first): {shown}."


def _shown(value: str) -> str:
    """A value in quotes, cut to MAX_VALUE_CHARS (a section line can be a paragraph)."""
    return repr(_cut(value))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def _closest(value: str, known: tuple[FacetValue, ...]) -> list[FacetValue]:
    """The known values most like `value`: those containing it (or contained in
    it) first, then by likeness, then the most frequent; a bounded comparison."""
    wanted = folded(value)[:MAX_VALUE_CHARS]

    def distance(candidate: FacetValue) -> tuple[bool, float, int, str]:
        name = folded(candidate.value)[:MAX_VALUE_CHARS]
        inside = bool(wanted) and bool(name) and (wanted in name or name in wanted)
        return (not inside, -SequenceMatcher(None, wanted, name).ratio(), -candidate.count,
                candidate.value)

    return sorted(known[:MAX_LISTED_VALUES], key=distance)[:MAX_LISTED]


def _nearest_months(searcher: Searcher, value: str) -> list[FacetValue]:
    wanted = int(value[:4]) * 12 + int(value[5:7]) - 1
    counts = month_counts(searcher)
    nearest = sorted(counts, key=lambda month: (abs(month // 100 * 12 + month % 100 - 1
                                                    - wanted), month))
    return [FacetValue(f"{month // 100}-{month % 100:02d}", counts[month])
            for month in nearest[:MAX_LISTED]]


def _years_of(restriction: Restriction) -> tuple[int, int]:
    """The first and last year a date filter covers (a chosen year: that year)."""
    if restriction.query is None:
        return int(restriction.value[:4]), int(restriction.value[:4])
    ranges = [leaf for leaf in restriction.query.leaves() if isinstance(leaf, wq.NumericRange)]
    starts = [leaf.start for leaf in ranges if leaf.start is not None]
    ends = [leaf.end for leaf in ranges if leaf.end is not None]
    low = _year(min(starts)) if starts else 1
    return low, _year(max(ends)) if ends else 9999


def _year(microseconds: int) -> int:
    try:
        return (_EPOCH + timedelta(microseconds=int(microseconds))).year
    except OverflowError:  # past the calendar's last day
        return datetime.max.year


def _distance(year: int, low: int, high: int) -> int:
    return low - year if year < low else year - high if year > high else 0


def _articles(number: int) -> str:
    return f"{number:,} article{'s' if number != 1 else ''}"
