"""Running a search: parse, rank, page, cut snippets, suggest a spelling."""

from __future__ import annotations

import time
from typing import Literal

from whoosh import sorting
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from .errors import InvalidSetting
from .query import ParsedQuery, build_parser, parse, parse_plain
from .ranking import DEFAULT_RANKING, Ranking
from .results import Hit, SearchResults
from .snippets import highlighter, snippet_for
from .suggest import suggest

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
MAX_PER_PAGE = 100
MAX_PAGE = 1000
UNDATED = 2**64 - 1  # the date column's value for articles without a date


def open_searcher(ix: FileIndex, ranking: Ranking = DEFAULT_RANKING) -> Searcher:
    return ix.searcher(weighting=ranking.weighting())


def search(searcher: Searcher, text: str, page: int = 1, per_page: int = 10,
           sort: str = "relevance", language: str = "english", plain: bool = False,
           ranking: Ranking = DEFAULT_RANKING) -> SearchResults:
    """One page of ranked results for `text`, with snippets.

    `plain` treats the text as a bag of words (natural-language questions).
    """
    _check_paging(page, per_page, sort)
    started = time.perf_counter()
    parser = build_parser(searcher.schema, ranking, sentences=plain)
    parsed = parse_plain(parser, text) if plain else parse(parser, text)
    hits, total = _run(searcher, parsed, page, per_page, sort)
    suggestion = suggest(searcher, parsed.text, language) if total == 0 else None
    took_ms = (time.perf_counter() - started) * 1000
    return SearchResults(query=text, total=total, page=page, per_page=per_page,
                         took_ms=took_ms, hits=hits, suggestion=suggestion,
                         notice=parsed.notice)


def _check_paging(page: int, per_page: int, sort: str) -> None:
    if not 1 <= page <= MAX_PAGE:
        raise InvalidSetting(f"page must be between 1 and {MAX_PAGE}, not {page}.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidSetting(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}.")
    if sort not in SORTS:
        raise InvalidSetting(f"sort must be one of {', '.join(SORTS)}, not {sort!r}.")


def _run(searcher: Searcher, parsed: ParsedQuery, page: int, per_page: int,
         sort: str) -> tuple[list[Hit], int]:
    options: dict[str, object] = {}
    if sort != "relevance":
        options = {"sortedby": _by_date(newest_first=sort == "newest"),
                   "reverse": sort == "newest"}
    results = searcher.search(parsed.query, limit=page * per_page, terms=True, **options)
    highlight = highlighter()
    offset = (page - 1) * per_page
    hits = [_hit(offset + number + 1, hit, highlight)
            for number, hit in enumerate(results[offset:offset + per_page])]
    return hits, len(results)


def _by_date(newest_first: bool) -> sorting.FacetType:
    """Sort by date, undated articles last both ways.

    Whoosh files a missing date as the largest value: last when oldest come
    first, so for newest-first it is mapped below every real date.
    """
    facet = sorting.FieldFacet("date")
    return sorting.TranslateFacet(_undated_lowest, facet) if newest_first else facet


def _undated_lowest(value: int) -> int:
    return -1 if value == UNDATED else value


def _hit(rank: int, hit, highlight) -> Hit:  # type: ignore[no-untyped-def]
    return Hit(rank=rank, id=hit["id"], score=float(hit.score or 0.0),
               title=hit.get("title", ""), section=hit.get("section"),
               date=hit.get("date"), path=hit.get("path"),
               snippet=snippet_for(hit, highlight))
