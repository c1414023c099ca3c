"""The records that cross the engine seam: what the CLI, the web and JSON share.

Every engine (`indexer.engine`) answers with these and nothing else, so this
module imports nothing engine-specific.

A snippet is kept as (text, matched) parts rather than markup, so each front
end renders it its own way (HTML `<mark>`, terminal colour) and escaping is
done once, in `Snippet.html`.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# Results reachable by paging: page x per_page may not pass this (a deep page
# costs as much as every page before it). Engines enforce it (`check_paging`).
MAX_RESULTS = 1000
MAX_PER_PAGE = 100
MAX_PAGE = 1000
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
UNITS = ("B", "KiB", "MiB", "GiB", "TiB")  # of sizes on disk, as `du -h` counts


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "count": self.count}


@dataclass(frozen=True)
class Facets:
    """Counts over every matching article (not only the page shown)."""

    section: tuple[FacetValue, ...] = ()
    year: tuple[FacetValue, ...] = ()
    source: tuple[FacetValue, ...] = ()  # the site, for scraped pages that name one
    timeline: tuple[FacetValue, ...] = ()  # by year, or by month ("2013-05") when short
    timeline_unit: str = "year"

    def to_json(self) -> dict[str, Any]:
        return {"section": [value.to_json() for value in self.section],
                "year": [value.to_json() for value in self.year],
                "source": [value.to_json() for value in self.source]}

    def timeline_json(self) -> dict[str, Any]:
        return {"unit": self.timeline_unit,
                "bars": [value.to_json() for value in self.timeline]}


@dataclass(frozen=True)
class Filters:
    """Restrictions chosen from the facets; None means not restricted."""

    section: str | None = None
    year: int | None = None
    month: str | None = None  # "YYYY-MM"
    source: str | None = None

    def __bool__(self) -> bool:
        return bool(self.to_json())

    def to_json(self) -> dict[str, Any]:
        return {name: value for name, value in
                (("section", self.section), ("year", self.year), ("month", self.month),
                 ("source", self.source)) if value is not None}


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Snippet:
    parts: tuple[tuple[str, bool], ...] = ()

    def html(self) -> str:
        """HTML-escaped text with each matched word in <mark>…</mark>."""
        return "".join(f"<mark>{html.escape(text)}</mark>" if matched else html.escape(text)
                       for text, matched in self.parts)

    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)


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


@dataclass(frozen=True)
class ArticleView:
    id: str
    title: Snippet
    section: str | None
    standfirst: Snippet | None
    date: datetime | None
    paragraphs: list[Snippet]
    source: str | None
    url: str | None
    path: str | None
    marking_stopped: bool = False  # query words were marked in the first MARK_CHARS only

    def to_json(self) -> dict[str, Any]:
        """The article as plain text (the API's `/api/doc/<id>`)."""
        paragraphs = [paragraph.plain() for paragraph in self.paragraphs]
        return {
            "id": self.id, "title": self.title.plain(), "section": self.section,
            "standfirst": self.standfirst.plain() if self.standfirst else None,
            "date": self.date.isoformat(timespec="seconds") if self.date else None,
            "body": "\n\n".join(paragraphs), "paragraphs": paragraphs,
            "source": self.source, "url": self.url, "path": self.path,
        }


@dataclass(frozen=True)
class IndexInfo:
    corpus: str
    index: str
    documents: int
    last_update: str | None
    size_bytes: int
    language: str
    schema_version: int
    generation: str

    def to_json(self) -> dict[str, Any]:
        """The facts as they are: sizes in bytes, for scripts."""
        return asdict(self)

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) for people: counts with separators, the size in KiB/MiB/GiB."""
        return [("corpus", self.corpus), ("index", self.index),
                ("documents", f"{self.documents:,}"),
                ("last update", self.last_update or "unknown"),
                ("size on disk", f"{human_size(self.size_bytes)} ({self.size_bytes:,} bytes)"),
                ("language", self.language), ("schema version", str(self.schema_version)),
                ("generation", self.generation)]


def human_size(size: int) -> str:
    """`512 B`, `18.0 MiB`: binary units, as `du -h` and `ls -lh` count."""
    value, unit = float(size), "B"
    for unit in UNITS:
        if value < 1024 or unit == UNITS[-1]:
            break
        value /= 1024
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


@dataclass
class SyncReport:
    """What a sync did. `kept` counts articles kept because their source could not be
    read; `incomplete` has one message per source not read to its end (or not listed)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    warnings: list[str] = field(default_factory=list)
    kept: int = 0
    incomplete: list[str] = field(default_factory=list)
    warnings_dropped: int = 0  # warnings beyond MAX_WARNINGS_KEPT, counted only
    warnings_total: int = 0

    def summary(self) -> str:
        kept = f", {self.kept:,} kept (source unreadable)" if self.kept else ""
        return (f"{self.added:,} added, {self.updated:,} updated, {self.removed:,} removed, "
                f"{self.unchanged:,} unchanged, {self.skipped:,} skipped{kept} "
                f"in {self.seconds:.1f} s")
