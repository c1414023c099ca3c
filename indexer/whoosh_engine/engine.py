"""The local engine: a Whoosh index in a folder, behind the `Engine` verbs.

Searchers are kept one per thread and moved to the newest commit before each
request (`store.searchers`); every verb turns ids into document numbers here
and answers with records, so nothing Whoosh leaves this package.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from whoosh.searching import Searcher

from indexer.config import Config
from indexer.engine import LOCK_TIMEOUT, QUIET, RUN_DEPTH, SearchRequest, SyncListener
from indexer.hints import commands_named
from indexer.records import ArticleView, Copy, IndexInfo, SearchResults, SyncReport

from .build.sync import sync
from .codec.integrity import as_damage, damaged, describe
from .search.documents import get_article
from .search.duplicates import copies_of
from .search.query import build_parser, parse_plain
from .search.ranking import DEFAULT_RANKING, Ranking
from .search.searching import search
from .search.similar import similar_to
from .search.suggest import completions
from .store.info import index_info
from .store.searchers import SearchService


class WhooshEngine:
    """An `Engine` over the index folder `config.index`, opened lazily: building
    one reads only the index's settings (a corpus or language not given is the
    index's own, see `config`), and `sync` works where there is no index yet.

    `ranking` is the BM25F tuning (fields, boosts, k1, b, proximity); the
    default is what `docs/ranking.md` measured best."""

    def __init__(self, config: Config, ranking: Ranking = DEFAULT_RANKING) -> None:
        self._ranking = ranking
        # made now, once: web threads share it (a service made lazily could be made
        # twice by two first requests at once, and one's searchers never closed)
        self._service = SearchService(config, ranking)

    @property
    def config(self) -> Config:
        return self._service.config

    @contextmanager
    def _reading(self) -> Iterator[Searcher]:
        """This thread's searcher on the newest commit, its generation leased for the
        verb; IndexNotFound, SettingsMismatch or IndexDamaged when the index cannot be
        read. Damage the checks at opening cannot see (bytes changed in place) shows
        as Whoosh failing to decode a file mid-search: that too is an IndexDamaged."""
        with self._service.leased() as (searcher, generation):
            try:
                yield searcher
            except Exception as error:
                if as_damage(error):
                    with commands_named(self.config):
                        raise damaged(generation, "a file could not be read while "
                                                  f"searching ({describe(error)})") from error
                raise

    def search(self, request: SearchRequest) -> SearchResults:
        with self._reading() as searcher:
            return search(searcher, request.text, page=request.page, per_page=request.per_page,
                          sort=request.sort, language=self.config.language,
                          plain=request.plain, ranking=self._ranking, filters=request.filters,
                          with_facets=request.facets, budget=request.seconds)

    def rank(self, text: str, depth: int = RUN_DEPTH) -> list[tuple[str, float]]:
        with self._reading() as searcher:
            parser = build_parser(searcher.schema, self._ranking, sentences=True)
            ids = searcher.reader().column_reader("id")
            results = searcher.search(parse_plain(parser, text).query, limit=depth)
            return [(ids[docnum], score) for score, docnum in results.top_n]

    def article(self, doc_id: str, query: str = "") -> ArticleView | None:
        with self._reading() as searcher:
            return get_article(searcher, doc_id, query)

    def copies(self, doc_id: str) -> list[Copy]:
        with self._reading() as searcher:
            docnum = searcher.document_number(id=doc_id)
            if docnum is None:
                return []
            found = [searcher.stored_fields(other) for other in copies_of(searcher, docnum)]
            return [Copy(id=stored["id"], title=stored.get("title") or "") for stored in found]

    def similar(self, doc_id: str, per_page: int = 10) -> SearchResults | None:
        with self._reading() as searcher:
            docnum = searcher.document_number(id=doc_id)
            if docnum is None:
                return None
            return similar_to(searcher, docnum, per_page=per_page, ranking=self._ranking)

    def completions(self, text: str, limit: int = 5) -> list[str]:
        with self._reading() as searcher:
            return completions(searcher, text, self.config.language, limit)

    def document_count(self) -> int:
        with self._reading() as searcher:
            return int(searcher.doc_count())

    def last_modified(self) -> float:
        return float(self._service.index().last_modified())

    def info(self) -> IndexInfo:
        return index_info(self.config)

    def sync(self, rebuild: bool = False, listener: SyncListener = QUIET,
             lock_timeout: float = LOCK_TIMEOUT, procs: int | None = None) -> SyncReport:
        return sync(self.config, rebuild=rebuild, warn=listener.warn,
                    progress=listener.progress, stage=listener.stage,
                    lock_timeout=lock_timeout, procs=procs)

    def close(self) -> None:
        self._service.close()

    def __enter__(self) -> WhooshEngine:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
