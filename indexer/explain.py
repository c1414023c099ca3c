"""Why a search found nothing: filter values the corpus does not have.

(Stub: filled in by the filters work.)
"""

from __future__ import annotations

from whoosh.searching import Searcher

from .facets import Filters


def why_empty(searcher: Searcher, text: str, filters: Filters) -> str | None:
    """A sentence saying why `text` with `filters` found nothing, when a filter
    explains it (an unknown value: the known ones, closest first; a date filter
    on an undated corpus); None when the words alone found nothing."""
    return None
