"""One index per engine, one searcher per thread, moved to the newest commit on
every request.

A Whoosh searcher sees the index as it was when it opened. When a commit has
happened since, the thread gets a new searcher. Whoosh's own `refresh()` is
not used: in 2.7.5 it reuses segment readers with their old deletion lists
(an edited article would match both its old and new text) and even brings
back segments a merge removed. A rebuild publishes a new generation, which is
noticed here and opened in its place.

Each use of a searcher (`leased`) holds a lease on its generation, so a
rebuild cannot remove the folder while the searcher is opened or read: a
searcher holds every file it opened (`readers.open_searcher`), but Whoosh
still asks the disk whether a column exists (`has_column`), and a removed
generation would answer "no" (facets, dates, copies silently gone). Between
uses nothing is leased, so a finished rebuild removes the old generation at
once; the next use finds it gone and follows the live one.

A damaged index raises `IndexDamaged` on every request until it is rebuilt:
nothing that failed to open is kept, so the rebuilt index is picked up at the
next request without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from indexer.config import Config
from indexer.errors import SeedsearchError
from indexer.hints import commands_named

from ..codec.integrity import damaged
from ..search.ranking import DEFAULT_RANKING, Ranking
from .generations import (
    Lease,
    check_index_folder,
    current_generation,
    lease_index,
)
from .index_settings import recorded_config
from .readers import open_searcher

MAX_FOLLOWED = 5  # generations removed under one request before it gives up


class SearchService:
    def __init__(self, config: Config, ranking: Ranking = DEFAULT_RANKING) -> None:
        # a corpus or language not given is the index's own, read again at each new
        # generation (`index`): the engine reads `config.language` for each search
        self.config = recorded_config(config)
        self._ranking = ranking
        self._lock = threading.Lock()
        self._index: FileIndex | None = None
        self._generation: Path | None = None
        # thread id -> (index, searcher); a server's thread pool keeps this small
        self._searchers: dict[int, tuple[FileIndex, Searcher]] = {}

    def index(self) -> FileIndex:
        """The live index; raises IndexNotFound / SettingsMismatch / IndexDamaged when
        it cannot be used."""
        with commands_named(self.config):
            try:
                live = current_generation(self.config.index)  # IndexDamaged: a damaged CURRENT
            except SeedsearchError:
                check_index_folder(self.config)  # a file given as the index: say so (503)
                raise
            with self._lock:
                if self._index is None or live != self._generation:
                    # checked only when (re)opening, not on every request
                    check_index_folder(self.config)
                    self._index = self._generation = None  # nothing half-opened is kept
                    index, lease = lease_index(self.config)
                    lease.release()
                    self.config = recorded_config(self.config, lease.generation)
                    self._index, self._generation = index, lease.generation
                return self._index

    @contextmanager
    def leased(self) -> Iterator[tuple[Searcher, Path]]:
        """This thread's searcher on the latest commit, and its generation folder,
        leased until the block ends. A generation removed before the lease was taken
        (a rebuild) is followed to the live one, at most MAX_FOLLOWED times in a row."""
        for _ in range(MAX_FOLLOWED):
            index = self.index()
            folder = Path(index.storage.folder)
            lease = Lease.take(folder)
            if lease is None:
                self._forget(index)
                continue
            try:
                searcher = self._searcher_on(index)
                yield searcher, folder
            finally:
                lease.release()
            return
        with commands_named(self.config):
            raise damaged(self.config.index, f"{MAX_FOLLOWED} generations were removed as "
                                             "they were opened")

    def _searcher_on(self, index: FileIndex) -> Searcher:
        """This thread's searcher on `index`, opened anew after a commit."""
        thread = threading.get_ident()
        with self._lock:
            held = self._searchers.pop(thread, None)
        if held is not None and held[0] is index and held[1].up_to_date():
            searcher = held[1]
        else:
            if held is not None:
                held[1].close()
            searcher = self._open(index)
        with self._lock:
            self._searchers[thread] = (index, searcher)
        return searcher

    def _open(self, index: FileIndex) -> Searcher:
        """A checked searcher on `index`; on failure the index is dropped too, so the
        next request opens the live one again from the start."""
        try:
            with commands_named(self.config):
                return open_searcher(index, self._ranking)
        except Exception:
            self._forget(index)
            raise

    def _forget(self, index: FileIndex) -> None:
        with self._lock:
            if self._index is index:
                self._index = self._generation = None

    def close(self) -> None:
        """Close every thread's searcher (when the app shuts down)."""
        with self._lock:
            held, self._searchers = list(self._searchers.values()), {}
        for _, searcher in held:
            searcher.close()
