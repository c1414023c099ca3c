"""One index per process, one searcher per thread, refreshed on every request.

A Whoosh searcher sees the index as it was when it opened; `refresh()` moves
it to the latest commit cheaply (unchanged segments are reused). A rebuild
publishes a new generation, which is noticed here and opened in its place.
"""

from __future__ import annotations

import threading
from pathlib import Path

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from indexer import Config, open_index, open_searcher
from indexer.store import current_generation


class SearchService:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._index: FileIndex | None = None
        self._generation: Path | None = None
        self._local = threading.local()

    def index(self) -> FileIndex:
        """The live index; raises IndexNotFound / SettingsMismatch when it cannot be used."""
        generation = current_generation(self.config.index)
        with self._lock:
            if self._index is None or generation != self._generation:
                self._index = open_index(self.config)
                self._generation = generation
            return self._index

    def searcher(self) -> Searcher:
        """This thread's searcher, moved to the latest commit."""
        index = self.index()
        local = self._local
        searcher: Searcher | None = getattr(local, "searcher", None)
        if searcher is None or local.index is not index:
            if searcher is not None:
                searcher.close()
            searcher = open_searcher(index)
        else:
            searcher = searcher.refresh()
        local.searcher, local.index = searcher, index
        return searcher
