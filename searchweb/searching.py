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
        # thread id -> (index, searcher); a server's thread pool keeps this small
        self._searchers: dict[int, tuple[FileIndex, Searcher]] = {}

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
        thread = threading.get_ident()
        with self._lock:
            held = self._searchers.get(thread)
        if held is None or held[0] is not index:
            if held is not None:
                held[1].close()
            searcher = open_searcher(index)
        else:
            searcher = held[1].refresh()
        with self._lock:
            self._searchers[thread] = (index, searcher)
        return searcher

    def close(self) -> None:
        """Close every thread's searcher (when the app shuts down)."""
        with self._lock:
            held, self._searchers = list(self._searchers.values()), {}
        for _, searcher in held:
            searcher.close()
