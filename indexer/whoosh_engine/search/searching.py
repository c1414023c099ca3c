"""Running a search: parse, rank, fold copies into stories, page, cut snippets,
suggest a spelling.

Pages count stories, not articles: the best-ranked articles are folded into
stories once per search, to a depth that does not depend on the page asked
for, so every page but the last is full, each story is on exactly one page,
and `total` says how many stories there are (see `_folded`).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from whoosh import query as wq
from whoosh import sorting
from whoosh.reading import IndexReader
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Results, Searcher

from indexer.budget import Deadline
from indexer.engine import REQUEST_SECONDS
from indexer.errors import InvalidSetting
from indexer.minhash import collapse
from indexer.records import MAX_RESULTS, NO_FILTERS, Copy, Facets, Filters, Hit, SearchResults

from ..codec.segment_arrays import fixed_width_bytes, per_segment
from .duplicates import signatures_of
from .facets import UNDATED, allowed, count
from .query import ParsedQuery, build_parser, parse, parse_plain
from .query_filters import filters_apart
from .ranking import DEFAULT_RANKING, Ranking
from .scoring import ArrayResults, top_results
from .snippets import highlighter, lead, snippet_for
from .suggest import SpellingWork, suggest

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
MAX_PER_PAGE = 100
MAX_PAGE = 1000
# Articles folded into stories per search: all of them up to FOLD_CANDIDATES
# (the total is then exact), more only while fewer than MAX_RESULTS stories
# are found, up to MAX_FOLD_CANDIDATES (a corpus holding each story 23 times
# needs 23,000 articles for 1,000 stories). Folding costs about 2 µs an article.
FOLD_CANDIDATES = 5_000
MAX_FOLD_CANDIDATES = 50_000
LISTED_COPIES = 10  # copies named per hit (each is a stored-fields read); `copies` counts all
FILTER_FIELDS = ("date", "section", "source")  # fields a typed filter word names
Story = tuple[int, list[int]]  # positions in the ranked candidates: the kept hit, its copies


def search(searcher: Searcher, text: str, page: int = 1, per_page: int = 10,
           sort: str = "relevance", language: str = "english", plain: bool = False,
           ranking: Ranking = DEFAULT_RANKING, filters: Filters = NO_FILTERS,
           with_facets: bool = True, budget: float = REQUEST_SECONDS) -> SearchResults:
    """One page of ranked results for `text`, with snippets, and the facets of
    every matching article.

    `plain` treats the text as a bag of words (natural-language questions);
    `filters` keeps the articles of one section, year or month; `budget` is the
    time in seconds after which optional work is skipped (see `results_page`).
    """
    check_paging(page, per_page, sort)
    started = time.perf_counter()
    parser = build_parser(searcher.schema, ranking, sentences=plain)
    parsed = parse_plain(parser, text) if plain else parse(parser, text)
    return results_page(searcher, parsed, page, per_page, sort, allowed(searcher, filters),
                        filters, language if with_facets else None, started, query=text,
                        budget=budget)


def results_page(searcher: Searcher, parsed: ParsedQuery, page: int, per_page: int, sort: str,
                 mask: np.ndarray | None, filters: Filters = NO_FILTERS,
                 facets_language: str | None = "english", started: float | None = None,
                 query: str | None = None, budget: float = REQUEST_SECONDS) -> SearchResults:
    """Run a parsed query: one page of stories (copies of a story folded into its best
    hit), the number of stories and of articles, and (unless `facets_language` is
    None) facets and suggestions.

    Ranking, folding and the totals are always done. Once `budget` seconds have
    passed since `started`, what is optional is left out: the rest of the
    snippets (hits then show their opening), the facets, the spelling
    suggestion; the answer is then `partial` and its notice says what is missing.
    """
    started = time.perf_counter() if started is None else started
    deadline = Deadline.after(budget, started)
    results = _run(searcher, parsed, FOLD_CANDIDATES, sort, mask)
    matched = _matched(results) if facets_language else None
    articles = len(results) if matched is None else len(matched)
    results, stories = _folded(searcher, parsed, sort, mask, results, articles)
    offset = (page - 1) * per_page
    left_out: list[str] = []
    hits = _hits(searcher, results, stories[offset:offset + per_page], offset, deadline,
                 left_out)
    facets = _facets(searcher, matched, deadline, left_out)  # one bincount: before spelling
    # Also when some words matched: a misspelt word among good ones still deserves a fix.
    suggestion = _suggestion(searcher, parsed.text, facets_language, deadline, left_out)
    text = parsed.text if query is None else query
    explanation = None if stories else _explanation(searcher, parsed, text, filters)
    took_ms = (time.perf_counter() - started) * 1000
    return SearchResults(query=text, total=len(stories), page=page, per_page=per_page,
                         took_ms=took_ms, hits=hits, suggestion=suggestion,
                         notice=_notice(parsed.notice, left_out), facets=facets,
                         filters=filters, partial=bool(left_out), articles=articles,
                         total_exact=len(results.top_n) >= articles, explanation=explanation)


def _folded(searcher: Searcher, parsed: ParsedQuery, sort: str, mask: np.ndarray | None,
            results: Results | ArrayResults, articles: int
            ) -> tuple[Results | ArrayResults, list[Story]]:
    """The ranked candidates and their stories, folded to a depth that depends on the
    query alone (never on the page), so that pages of stories never overlap or skip.

    The first FOLD_CANDIDATES articles are always folded; when they hold fewer than
    MAX_RESULTS stories and more articles match, the query runs again deeper (at
    least twice as deep, as deep as the copies seen so far suggest is needed), up
    to MAX_FOLD_CANDIDATES. Folding is prefix-stable, so a deeper fold leaves the
    stories already found as they were and only adds stories after them.
    """
    stories = _stories(searcher, results)
    depth = FOLD_CANDIDATES
    while len(stories) < MAX_RESULTS and len(results.top_n) < articles \
            and depth < MAX_FOLD_CANDIDATES:
        wanted = math.ceil(depth * MAX_RESULTS * 1.1 / max(1, len(stories)))
        depth = min(MAX_FOLD_CANDIDATES, max(2 * depth, wanted))
        results = _run(searcher, parsed, depth, sort, mask)
        stories = _stories(searcher, results)
    return results, stories


def _stories(searcher: Searcher, results: Results | ArrayResults) -> list[Story]:
    """Every ranked candidate folded: (kept position, copies' positions), in rank order."""
    docnums = [docnum for _, docnum in results.top_n]
    return collapse(list(range(len(docnums))), signatures_of(searcher, docnums))


def _hits(searcher: Searcher, results: Results | ArrayResults, shown: list[Story],
          offset: int, deadline: Deadline, left_out: list[str]) -> list[Hit]:
    """The page's hits; those reached after the deadline get their opening as snippet."""
    heads = [results[kept] for kept, _ in shown]
    highlight = highlighter([hit.docnum for hit in heads])
    modified = _modified(searcher, [hit.docnum for hit in heads])
    hits, plain = [], 0
    for number, (hit, (_, copies)) in enumerate(zip(heads, shown, strict=True)):
        late = deadline.expired()
        plain += late
        listed = [results[copy] for copy in copies[:LISTED_COPIES]]
        hits.append(_hit(offset + number + 1, hit, highlight, listed, late,
                         copies=len(copies), modified=modified[number]))
    if plain:
        left_out.append(f"highlighted passages of {plain} of {len(shown)} hits")
    return hits


def _modified(searcher: Searcher, docnums: list[int]) -> list[datetime | None]:
    """The source files' mtimes (UTC, timezone-aware); None where unknown (0: the
    file changed while it was read, or an index without the column).

    Read segment by segment from arrays made once per segment: Whoosh's
    multi-segment column reader leaves out segments without the column (then
    numbering the others wrongly), and fails outright when a merge has just
    removed a column file it saw a moment before.
    """
    found: list[datetime | None] = [None] * len(docnums)
    wanted = np.asarray(docnums, dtype=np.int64)
    for reader, offset in searcher.reader().leaf_readers():
        inside = np.flatnonzero((wanted >= offset) & (wanted < offset + reader.doc_count_all()))
        if not len(inside):
            continue
        stamps = per_segment(reader, "mtimes", _mtimes)
        for place in inside.tolist():
            nanoseconds = int(stamps[wanted[place] - offset])
            if nanoseconds > 0:
                found[place] = datetime.fromtimestamp(nanoseconds / 1e9, tz=UTC)
    return found


def _mtimes(reader: IndexReader) -> np.ndarray:
    """Every document's `mtime_ns` in one segment (0 where it has none): Whoosh
    keeps a signed number in its column as the number plus 2**63, big-endian."""
    size = reader.doc_count_all()
    if not reader.has_column("mtime_ns"):
        return np.zeros(size, dtype=np.int64)
    column = reader.column_reader("mtime_ns", translate=False)
    raw = np.frombuffer(fixed_width_bytes(column, size, 8), dtype=">u8").astype(np.uint64)
    return (raw ^ np.uint64(1 << 63)).view(np.int64)  # past the last value: negative, unknown


def _explanation(searcher: Searcher, parsed: ParsedQuery, text: str,
                 filters: Filters) -> str | None:
    """Why nothing was found, when filters (chosen, or typed as `date:`/`section:`)
    may explain it."""
    if not filters and not _filter_words(parsed.query):
        return None
    from .explain import why_empty  # here: explaining may run searches of its own

    return why_empty(searcher, text, filters)


def _filter_words(q: wq.Query) -> bool:
    """Whether the query restricts by date or section (`date:2013`, `section:sport`)."""
    parts = [q] if q.is_leaf() else list(q.leaves())
    return any(getattr(part, "fieldname", None) in FILTER_FIELDS for part in parts)


def _suggestion(searcher: Searcher, text: str, language: str | None, deadline: Deadline,
                left_out: list[str]) -> str | None:
    """Did you mean, for the words checked before the deadline."""
    if language is None:
        return None
    if deadline.expired():
        left_out.append("spelling suggestions")
        return None
    spelling = SpellingWork()
    suggestion = suggest(searcher, text, language, deadline=deadline, work=spelling)
    if spelling.cut_short:
        left_out.append("spelling suggestions for some words")
    return suggestion


def _facets(searcher: Searcher, matched: np.ndarray | None, deadline: Deadline,
            left_out: list[str]) -> Facets | None:
    """Counts by section, year and source; empty ones when the deadline has passed."""
    if matched is None:
        return None
    if deadline.expired():
        left_out.append("facets and timeline")
        return Facets()
    return count(searcher, matched)


def _notice(notice: str | None, left_out: list[str]) -> str | None:
    if not left_out:
        return notice
    late = f"Took too long: {', '.join(left_out)} left out."
    return f"{notice} {late}" if notice else late


def check_paging(page: int, per_page: int, sort: str) -> None:
    """Refuse, naming the parameter, a page no search may ask for (see MAX_RESULTS)."""
    if not 1 <= page <= MAX_PAGE:
        raise InvalidSetting(f"page must be between 1 and {MAX_PAGE}, not {page}.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidSetting(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}.")
    if page * per_page > MAX_RESULTS:
        raise InvalidSetting(
            f"page {page} × per_page {per_page} asks for result {page * per_page:,}; at most "
            f"{MAX_RESULTS:,} results can be paged to: narrow the search or use the filters.")
    if sort not in SORTS:
        raise InvalidSetting(f"sort must be one of {', '.join(SORTS)}, not {sort!r}.")


def _run(searcher: Searcher, parsed: ParsedQuery, limit: int, sort: str,
         mask: np.ndarray | None) -> Results | ArrayResults:
    results = _array_results(searcher, parsed.query, limit, mask) if sort == "relevance" \
        else None
    if results is not None:
        return results
    options: dict[str, object] = {}
    if sort != "relevance":
        options = {"sortedby": _by_date(newest_first=sort == "newest"),
                   "reverse": sort == "newest"}
    q = parsed.query
    if mask is not None:  # Whoosh reads an empty filter as no filter at all
        options["filter"] = {int(docnum) for docnum in np.flatnonzero(mask)}
        q = q if options["filter"] else wq.NullQuery
    return searcher.search(q, limit=limit, terms=True, **options)


def _array_results(searcher: Searcher, q: wq.Query, limit: int,
                   mask: np.ndarray | None) -> ArrayResults | None:
    """Keyword queries by the array scorer (None for other shapes); the query's
    filter terms beside the words (`date:`, ...) become a mask, as the facet
    filters are (see `query_filters`)."""
    words, in_filters = filters_apart(searcher, q)
    if in_filters is not None:
        mask = in_filters if mask is None else mask & in_filters
    return top_results(searcher, words, limit, mask)


def _matched(results: Results | ArrayResults) -> np.ndarray:
    """Every matching document number, filters applied.

    For Whoosh's results this is one more pass over the query (its top-N
    collector skips blocks that cannot reach the top); the total is then
    taken from it too, where `len(results)` would make that pass again.
    """
    if isinstance(results, ArrayResults):
        return results.matched
    return np.fromiter(results.docs(), dtype=np.int64)


def _by_date(newest_first: bool) -> sorting.FacetType:
    """Sort by date, undated articles last both ways.

    Whoosh files a missing date as the largest value: last when oldest come
    first, so for newest-first it is mapped below every real date.
    """
    facet = sorting.FieldFacet("date")
    return sorting.TranslateFacet(_undated_lowest, facet) if newest_first else facet


def _undated_lowest(value: int) -> int:
    return -1 if value == UNDATED else value


def _hit(rank: int, hit: WhooshHit, highlight: Any, listed: list[WhooshHit], plain: bool,
         copies: int, modified: datetime | None) -> Hit:
    """One hit, naming the `listed` copies of the `copies` folded into it; `plain`:
    its opening as snippet, without looking for a passage."""
    snippet = lead(hit.get("standfirst") or hit.get("body") or "") if plain \
        else snippet_for(hit, highlight)
    return Hit(rank=rank, id=hit["id"], score=float(hit.score or 0.0),
               title=hit.get("title", ""), section=hit.get("section"),
               date=hit.get("date"), path=hit.get("path"), snippet=snippet,
               duplicates=tuple(Copy(copy["id"], copy.get("title", "")) for copy in listed),
               copies=copies, modified=modified)
