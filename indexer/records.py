"""Search results as small typed records: what the CLI, the web and JSON share.

A snippet is kept as (text, matched) parts rather than markup, so each front
end renders it its own way (HTML `<mark>`, terminal colour) and escaping is
done once, in `Snippet.html`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .whoosh_engine.search.facets import NO_FILTERS, Facets, Filters

# Results reachable by paging: page x per_page may not pass this (a deep page
# costs as much as every page before it). `searching` enforces it.
MAX_RESULTS = 1000


@dataclass(frozen=True)
class Snippet:
    parts: tuple[tuple[str, bool], ...] = ()

    def html(self) -> str:
        """HTML-escaped text with each matched word in <mark>…</mark>."""
        return "".join(f"<mark>{html.escape(text)}</mark>" if matched else html.escape(text)
                       for text, matched in self.parts)

    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)

    def render(self, mark: Callable[[str], str]) -> str:
        """The text with `mark` applied to matched words (terminal styling)."""
        return "".join(mark(text) if matched else text for text, matched in self.parts)

    @property
    def matched_words(self) -> list[str]:
        return [text for text, matched in self.parts if matched]


@dataclass(frozen=True)
class Copy:
    """Another article of the same story (a near-duplicate), folded into a hit."""

    id: str
    title: str


@dataclass(frozen=True)
class Hit:
    rank: int
    id: str
    score: float
    title: str
    section: str | None
    date: datetime | None
    path: str | None
    snippet: Snippet
    duplicates: tuple[Copy, ...] = ()  # the first copies folded into this hit (a capped list)
    # the source file's mtime, timezone-aware UTC (feeds of undated corpora); None: unknown
    modified: datetime | None = None
    copies: int = 0  # how many copies were folded into this hit (at least len(duplicates))

    def __post_init__(self) -> None:
        if self.copies < len(self.duplicates):  # a hit made by hand, without the count
            object.__setattr__(self, "copies", len(self.duplicates))

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "id": self.id, "score": round(self.score, 4),
            "title": self.title, "section": self.section,
            "date": self.date.isoformat(timespec="seconds") if self.date else None,
            "path": self.path, "snippet": self.snippet.html(),
            "duplicates": [copy.id for copy in self.duplicates], "copies": self.copies,
        }


@dataclass(frozen=True)
class SearchResults:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    suggestion: str | None = None
    notice: str | None = None
    facets: Facets | None = None
    filters: Filters = NO_FILTERS
    partial: bool = False  # the time budget ran out: `notice` says what was left out
    # `total` counts stories (what the pages show, copies folded); `articles` the
    # matching articles (None: the same as `total`). `total_exact` is False when
    # stories were counted over the best-ranked candidates only (see searching).
    articles: int | None = None
    total_exact: bool = True
    explanation: str | None = None  # why there are no hits, when a filter explains it

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def last_page(self) -> int:
        """The last page that can be asked for: where pagination should stop, as
        no page may reach past the MAX_RESULTS-th result."""
        return max(1, min(self.pages, MAX_RESULTS // self.per_page))

    def to_json(self) -> dict[str, Any]:
        """The stable JSON contract shared by `search --json` and /api/search."""
        return {
            "query": self.query, "total": self.total, "page": self.page,
            "per_page": self.per_page, "took_ms": round(self.took_ms, 2),
            "suggestion": self.suggestion, "hits": [hit.to_json() for hit in self.hits],
            "filters": self.filters.to_json(), "partial": self.partial, "notice": self.notice,
            "articles": self.total if self.articles is None else self.articles,
            "total_exact": self.total_exact, "explanation": self.explanation,
            **({"facets": self.facets.to_json(), "timeline": self.facets.timeline_json()}
               if self.facets else {}),
        }
