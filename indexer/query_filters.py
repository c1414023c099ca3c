"""Filter terms of a query (`date:` ...) as masks over document numbers.

A query `words AND date:2013` ranks the words and restricts by the date.
Whoosh would add the same constant (the filter's score) to every hit, so
taking the filter apart as a mask, as the facet filters are, leaves the
order, the ties and the total as they were, and lets the array scorer rank
the words.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from .facets import in_date_ranges


def filters_apart(searcher: Searcher, q: wq.Query) -> tuple[wq.Query, np.ndarray | None]:
    """(the words, a mask of the articles the query's filters allow) for a query
    `words AND filter...`; (the query itself, None) for any other shape."""
    words, ranges = date_ranges_apart(q)
    return (words, in_date_ranges(searcher, ranges)) if ranges else (q, None)


def date_ranges_apart(q: wq.Query) -> tuple[wq.Query, list[wq.NumericRange]]:
    """(the rest, the `date:` ranges) of a query `words AND date:...`; the query
    itself and no ranges for any other shape."""
    if not isinstance(q, wq.And):
        return q, []
    ranges = [child for child in q.subqueries if isinstance(child, wq.NumericRange)
              and child.fieldname == "date" and child.constantscore]
    rest = [child for child in q.subqueries if child not in ranges]
    if not ranges or len(rest) != 1:
        return q, []
    return rest[0], ranges
