"""Opening the live index for reading: a leased generation and a searcher whose
files are all open and checked, so writers can never pull them away under it
and a damaged file is reported as such, not as a traceback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh.codec.base import Segment
from whoosh.index import TOC, EmptyIndexError, FileIndex
from whoosh.reading import EmptyReader, IndexReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from indexer.config import Config

from ..codec.integrity import (
    as_damage,
    checked_toc,
    closing_on_failure,
    damaged,
    describe,
    file_sizes,
    latest_toc,
    missing,
)
from ..codec.integrity import reading as reading_file
from ..codec.segment_checks import check_segment
from ..internals import column_files_segment, open_column_file, read_toc
from ..search.ranking import DEFAULT_RANKING, Ranking
from .generations import lease_index

OPEN_PATIENCE = 5.0  # seconds a searcher retries files a commit removed as it opened them


def open_searcher(ix: FileIndex, ranking: Ranking = DEFAULT_RANKING) -> Searcher:
    """A searcher with every file it may need checked and already open.

    Whoosh opens column files (dates, ids, stored fields) on first use; a
    writer's merge may delete them before that. Opening them now means a
    searcher keeps working on the commit it opened, whatever writers do later.
    A file that is gone is looked for again in the newest commit, for up to
    OPEN_PATIENCE seconds; then, and for any file that cannot be read, the
    index is damaged (IndexDamaged).
    """
    folder = Path(ix.storage.folder)
    deadline = time.monotonic() + OPEN_PATIENCE
    while True:
        try:
            return _open_checked(ix, folder, ranking)
        except FileNotFoundError as error:
            if time.monotonic() > deadline:
                name = Path(error.filename).name if error.filename else "a file"
                raise damaged(folder, f"{name} is missing") from None
        time.sleep(0.01)


def _open_checked(ix: FileIndex, folder: Path, ranking: Ranking) -> Searcher:
    """What Whoosh 2.7.5's `FileIndex.reader` does (read the newest table of contents,
    open a reader per segment), each file checked before Whoosh reads it."""
    with closing_on_failure(ix.storage):  # Whoosh leaves files open when it fails
        toc = _newest_toc(ix, folder)
        sizes = file_sizes(folder)
        readers: list[IndexReader] = []
        for segment in toc.segments:
            check_segment(folder, sizes, segment, toc.schema)
            readers.append(_segment_reader(ix, folder, toc, segment))
            _open_column_files(readers[-1], sizes)
    return Searcher(_combined(toc, readers), fromindex=ix, weighting=ranking.weighting())


def _combined(toc: TOC, readers: list[IndexReader]) -> IndexReader:
    """One reader over the segments, as Whoosh 2.7.5's `FileIndex._reader` makes it."""
    if not readers:
        return EmptyReader(toc.schema)
    if len(readers) == 1:
        return readers[0]
    return MultiReader(readers, generation=toc.generation)


def _newest_toc(ix: FileIndex, folder: Path) -> TOC:
    try:
        with reading_file(folder, f"its table of contents {checked_toc(folder)}"):
            return read_toc(ix)
    except EmptyIndexError:  # a commit swapping tables of contents as we listed them
        raise missing(latest_toc(folder)) from None


def _segment_reader(ix: FileIndex, folder: Path, toc: TOC, segment: Segment) -> SegmentReader:
    with reading_file(folder, f"segment {segment.segment_id()}"):
        return SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)


def _open_column_files(reader: IndexReader, sizes: dict[str, int]) -> None:
    """Open now every column file of the segment that `reader` would open on first use."""
    segment = column_files_segment(reader)
    if segment is None:
        return
    prefix = segment.segment_id() + "."
    for filename in sizes:
        if filename.startswith(prefix) and filename.endswith(".col"):
            open_column_file(reader, filename[len(prefix):-len(".col")])


@contextmanager
def reading(config: Config, ranking: Ranking = DEFAULT_RANKING) -> Iterator[Searcher]:
    """A searcher on the live index, its generation leased until the block ends.

    Damage the checks at opening cannot see (bytes changed in place) shows as
    Whoosh failing to decode a file mid-search: that too is an IndexDamaged.
    """
    index, lease = lease_index(config)
    try:
        with open_searcher(index, ranking) as searcher:
            try:
                yield searcher
            except Exception as error:
                if as_damage(error):
                    raise damaged(lease.generation, "a file could not be read while searching "
                                                    f"({describe(error)})") from error
                raise
    finally:
        lease.release()

