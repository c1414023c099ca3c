"""Whoosh's writer for an update, and what a sync leaves when writing fails.

When a write fails (a full disk, a quota, a file size limit, a read-only or
failing disk) the run's writer is cancelled, the files it wrote that no
commit refers to are removed (segment files, Whoosh's temporary table of
contents and pool files, an unpublished generation), and `IndexWriteFailed`
says what happened: the live index is as it was and keeps serving.
"""

from __future__ import annotations

import errno
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import FileIndex, LockError
from whoosh.writing import IndexWriter, SegmentWriter

from indexer.errors import IndexLocked

from ..codec.integrity import damaged
from ..internals import read_toc
from ..store.generations import current_generation, remove_unused_generations
from ..store.index_files import write_failed

WRITER_LIMIT_MB = 128
# What reading a damaged index raises: a seek or read at an offset a garbled file
# claims (EINVAL, EOVERFLOW, ENXIO). A write never fails so; any other OSError out of
# a sync (ENOSPC, EDQUOT, EFBIG, EROFS, EIO, EACCES, ...) is a failed write.
READ_DAMAGE = frozenset({errno.EINVAL, errno.EOVERFLOW, errno.ENXIO})


class LazyWriter:
    """Opens Whoosh's writer at the first change, so a run with none writes nothing."""

    def __init__(self, ix: FileIndex) -> None:
        self._ix = ix
        self._writer: IndexWriter | None = None

    @property
    def opened(self) -> bool:
        return self._writer is not None

    def get(self) -> IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._ix.writer(timeout=5.0, limitmb=WRITER_LIMIT_MB,
                                               compound=False)
            except LockError:
                raise IndexLocked("The index is locked by another writer.",
                                  "Wait for it to finish, then run the command again.") from None
        return self._writer

    def cancel(self) -> None:
        if self._writer is not None and not getattr(self._writer, "is_closed", False):
            abandon(self._writer)


def abandon(writer: IndexWriter) -> None:
    """Cancel `writer`, its lock and temporary files released even when cancelling
    fails: on a full disk, closing its files (a flush) can fail again."""
    try:
        writer.cancel()
        return
    except Exception:
        if not isinstance(writer, SegmentWriter):
            raise
    # Whoosh 2.7.5: SegmentWriter.cancel() is _close_segment() (close the per-document
    # and field writers, then the pool) followed by _finish() (destroy `temp_storage()`,
    # release `writelock`); a failure in the first skipped the second. Done one by one:
    for part in (writer.perdocwriter, writer.fieldwriter):
        if not part.is_closed:
            with suppress(Exception):
                part.close()
    with suppress(Exception):
        writer.pool.cleanup()
    with suppress(Exception):
        writer.temp_storage().destroy()
    lock = writer.writelock
    if lock is not None and getattr(lock, "fd", None) is not None:  # FcntlLock holds an fd
        with suppress(Exception):
            lock.release()
    writer.is_closed = True


def remove_orphan_files(ix: FileIndex) -> None:
    """Files no commit of `ix` refers to: segments of a writer killed or failed before
    its commit, a table of contents written under its temporary name, the pool's
    scratch folder. Call with the write lock held: then no writer is making them."""
    toc = read_toc(ix)
    whoosh_index.clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
    folder = Path(ix.storage.folder)
    # Whoosh 2.7.5 TOC.write() writes `_<indexname>_<generation>.toc.<time>` then renames
    # it; clean_files() does not match that name, so a failed write leaves it.
    temporary_toc = re.compile(rf"_{re.escape(ix.indexname)}_\d+\.toc\.\S+")
    for path in folder.iterdir():
        if temporary_toc.fullmatch(path.name):
            path.unlink(missing_ok=True)
    # the writers' pool storage (`<indexname>.tmp`, SegmentWriter._tempstorage)
    shutil.rmtree(folder / f"{ix.indexname}.tmp", ignore_errors=True)


@contextmanager
def failed_writes(index_dir: Path) -> Iterator[None]:
    """Around a sync's writes (with the write lock held): a failure removes what the
    run wrote that no commit refers to; an OSError that a damaged file causes becomes
    IndexDamaged, any other IndexWriteFailed."""
    try:
        yield
    except BaseException as error:
        _clean_up(index_dir)
        if isinstance(error, OSError) and error.errno in READ_DAMAGE:
            raise damaged(index_dir, f"a file of it could not be read "
                                     f"({error.strerror or error})") from error
        if isinstance(error, OSError):
            raise write_failed(index_dir, "write the index at", error) from error
        raise


def _clean_up(index_dir: Path) -> None:
    """Remove an unpublished generation, and the orphan files of the live one; each step
    tried on its own, so that a failing disk cannot hide the first error."""
    with suppress(OSError):
        remove_unused_generations(index_dir)  # the new generation is neither live nor leased
    with suppress(Exception):  # a live index that cannot be read is not made worse
        live = current_generation(index_dir)
        if live is not None:
            remove_orphan_files(whoosh_index.open_dir(str(live)))
