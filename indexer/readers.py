"""Opening the live index for reading: a leased generation and a searcher whose
files are all open, so writers can never pull them away under it."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from whoosh.index import FileIndex
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from .config import Config
from .ranking import DEFAULT_RANKING, Ranking
from .store import lease_index


def open_searcher(ix: FileIndex, ranking: Ranking = DEFAULT_RANKING) -> Searcher:
    """A searcher with every file it may need already open.

    Whoosh opens column files (dates, ids, stored fields) on first use; a
    writer's merge may delete them before that. Opening them now means a
    searcher keeps working on the commit it opened, whatever writers do later.
    """
    searcher = ix.searcher(weighting=ranking.weighting())
    for reader, _ in searcher.reader().leaf_readers():
        _open_column_files(reader)
    return searcher


def _open_column_files(reader: IndexReader) -> None:
    # Whoosh 2.7.5's per-document reader keeps opened column files in
    # `_colfiles` and opens them lazily through `_get_column_file`.
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_get_column_file"):
        return
    prefix = perdoc._segment.segment_id() + "."
    for filename in perdoc._storage.list():
        if filename.startswith(prefix) and filename.endswith(".col"):
            column = filename[len(prefix):-len(".col")]
            if column not in perdoc._colfiles:
                perdoc._colfiles[column] = perdoc._get_column_file(column)


@contextmanager
def reading(config: Config, ranking: Ranking = DEFAULT_RANKING) -> Iterator[Searcher]:
    """A searcher on the live index, its generation leased until the block ends."""
    index, lease = lease_index(config)
    try:
        with open_searcher(index, ranking) as searcher:
            yield searcher
    finally:
        lease.release()
