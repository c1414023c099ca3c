"""The seam between the front ends and the engines: one request record, one protocol.

The CLI, the watcher, the evaluation and the web app hold an `Engine` and call
its verbs; they never see an engine's own objects (a Whoosh searcher, a
document number, an OpenSearch client). Ids cross the seam, and every answer
is a record of `indexer.records`. An engine is opened from the settings by
`indexer.engines.open_engine`.

An engine may be used from several threads at once (the web server's), and
keeps whatever it needs per thread behind these verbs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from .config import Config
from .records import NO_FILTERS, ArticleView, Copy, Filters, IndexInfo, SearchResults, SyncReport

LOCK_TIMEOUT = 30.0  # seconds a sync waits for another one writing the same index
REQUEST_SECONDS = 1.0  # a search's time budget, from its start: optional work stops past it
RUN_DEPTH = 1000  # articles ranked per query for an evaluation run


def _nobody(*_: object) -> None:
    """The default listener: nobody hears."""


@dataclass(frozen=True)
class SearchRequest:
    """One search, as every front end asks it.

    `plain` reads the text as a bag of words (natural-language questions, test
    collections): no operators, no phrases. `facets` asks for the facets and the
    timeline of every match (the page and `--timeline` want them; search-as-you-
    type does not). `seconds` bounds the optional work (suggestions, facets).
    """

    text: str
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    filters: Filters = NO_FILTERS
    plain: bool = False
    facets: bool = True
    seconds: float = REQUEST_SECONDS


@dataclass(frozen=True)
class SyncListener:
    """Who hears a sync: each warning (a file skipped, an article refused), the
    progress of a build (`progress(done, total)`) and its stages ("reading",
    "writing the index", "committing", ...). `progress` None: nobody counts."""

    warn: Callable[[str], None] = _nobody
    progress: Callable[[int, int], None] | None = None
    stage: Callable[[str], None] = _nobody


QUIET = SyncListener()


class Engine(Protocol):
    """What the front ends need from a search engine, and nothing more."""

    @property
    def config(self) -> Config:
        """The settings in use: those given, the rest as the index records them."""
        ...

    def search(self, request: SearchRequest) -> SearchResults:
        """One page of ranked stories with snippets (and facets when asked)."""
        ...

    def rank(self, text: str, depth: int = RUN_DEPTH) -> list[tuple[str, float]]:
        """(id, score) of the best `depth` articles for `text` read as plain words,
        copies not folded: what an evaluation run needs."""
        ...

    def article(self, doc_id: str, query: str = "") -> ArticleView | None:
        """The article with this id, the query's words marked; None if unknown."""
        ...

    def copies(self, doc_id: str) -> list[Copy]:
        """The other articles of this article's story (its near-duplicates)."""
        ...

    def similar(self, doc_id: str, per_page: int = 10) -> SearchResults | None:
        """Articles like this one, itself left out; None if the id is unknown."""
        ...

    def completions(self, text: str, limit: int = 5) -> list[str]:
        """`text` with its last word completed by words of the index, most used first."""
        ...

    def document_count(self) -> int:
        """Articles in the index now."""
        ...

    def last_modified(self) -> float:
        """When the index last changed (seconds since the epoch)."""
        ...

    def info(self) -> IndexInfo:
        """Facts about the index (`seedsearch info`)."""
        ...

    def sync(self, rebuild: bool = False, listener: SyncListener = QUIET,
             lock_timeout: float = LOCK_TIMEOUT, procs: int | None = None) -> SyncReport:
        """Bring the index in step with the corpus (build it when there is none)."""
        ...

    def close(self) -> None:
        """Let go of what the engine holds open (searchers, connections)."""
        ...

    def __enter__(self) -> Engine:
        ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        ...
