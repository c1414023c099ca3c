"""Saying that an index is damaged, and what is wrong with it.

Whoosh 2.7.5 trusts its files: a truncated table of contents fails with
`EOFError` or a pickle error, a truncated postings file is noticed only when a
query reads the missing block, and a missing or truncated date column silently
changes sorting by date and the date facets. Opening an index checks what is
cheap to check (`segment_checks`) and turns any failure, ours or Whoosh's,
into one `IndexDamaged` naming the file and the problem; its hint is the
command that repairs it.
"""

from __future__ import annotations

import errno
import os
import pickle
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import EmptyIndexError

from indexer.errors import IndexDamaged, SeedsearchError

TOC_NAME = re.compile(r"_MAIN_([0-9]+)\.toc")  # Whoosh's `_<indexname>_<generation>.toc`


class BadLayout(ValueError):
    """A file's size or structure disagrees with what its own layout says."""


def describe(error: BaseException) -> str:
    """What an exception raised while reading a file says about the file."""
    if isinstance(error, BadLayout):
        return str(error)
    if isinstance(error, EOFError):
        return "truncated"
    if isinstance(error, struct.error):
        return "truncated or garbled"
    if isinstance(error, zlib.error):
        return "garbled compressed data"
    if isinstance(error, pickle.UnpicklingError):
        return "truncated" if "truncated" in str(error) else "garbled"
    if isinstance(error, UnicodeDecodeError):
        return "garbled"
    if isinstance(error, (MemoryError, OverflowError)):
        return "garbled: it claims impossible sizes"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    text = str(error).strip()
    return f"garbled: {type(error).__name__}{': ' + text[:80] if text else ''}"


def damaged(folder: Path, problem: str) -> IndexDamaged:
    return IndexDamaged(f"The index at {folder} is damaged: {problem}.")


@contextmanager
def reading(folder: Path, what: str) -> Iterator[None]:
    """Report any failure reading `what` as damage, except a missing file.

    A missing file (or Whoosh's "no table of contents") is left to the caller:
    it may be a commit swapping files under a reader, which is retried.
    """
    try:
        yield
    except (SeedsearchError, FileNotFoundError, EmptyIndexError):
        raise
    except Exception as error:
        raise damaged(folder, f"{what} cannot be read ({describe(error)})") from error


class ClosingStorage(FileStorage):
    """Whoosh's FileStorage, able to close what it opened while opening an index failed.

    Whoosh 2.7.5 leaves a file open when reading it fails (`TOC.read` has no
    `finally`, nor has a terms reader whose header is garbled): each attempt
    on a damaged index would leak a descriptor, and a server retries on every
    request. Files are tracked per thread, only inside `closing_on_failure`.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._tracked = threading.local()

    def open_file(self, name: str, **kwargs: object) -> StructFile:
        opened = super().open_file(name, **kwargs)
        tracked = getattr(self._tracked, "files", None)
        if tracked is not None:
            tracked.append(opened)
        return opened

    @contextmanager
    def closing_on_failure(self) -> Iterator[None]:
        outer = getattr(self._tracked, "files", None)
        self._tracked.files = []
        try:
            yield
        except BaseException:
            for opened in self._tracked.files:
                if not opened.is_closed:
                    opened.close()
            raise
        finally:
            if outer is not None:
                outer.extend(self._tracked.files)
            self._tracked.files = outer


@contextmanager
def closing_on_failure(storage: object) -> Iterator[None]:
    """`ClosingStorage.closing_on_failure` when `storage` is one, else nothing."""
    if isinstance(storage, ClosingStorage):
        with storage.closing_on_failure():
            yield
    else:
        yield


def latest_toc(folder: Path) -> str:
    """The name of the newest table of contents in a generation, as Whoosh picks it."""
    numbers = [int(match.group(1)) for name in _names(folder)
               if (match := TOC_NAME.fullmatch(name))]
    return f"_MAIN_{max(numbers)}.toc" if numbers else "_MAIN_*.toc"


def checked_toc(folder: Path) -> str:
    """The newest table of contents' name, after checking it is not empty (Whoosh
    2.7.5 fails on an empty one with a `TypeError` from deep in its reader)."""
    name = latest_toc(folder)
    try:
        empty = (folder / name).stat().st_size == 0
    except OSError:  # none, or replaced by a commit: left to Whoosh and its caller
        return name
    if empty:
        raise damaged(folder, f"its table of contents {name} is empty")
    return name


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def file_sizes(folder: Path) -> dict[str, int]:
    """Name -> size of every file in a generation, read once per opening."""
    sizes = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                sizes[entry.name] = entry.stat(follow_symlinks=False).st_size
            except FileNotFoundError:  # removed by a commit as we listed
                continue
    return sizes


def missing(name: str) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, "No such file", name)


def as_damage(error: BaseException) -> bool:
    """Exceptions that, raised by Whoosh while searching, mean a damaged file.

    Whoosh 2.7.5 reports a postings block it cannot recognise with a plain
    `Exception("Block tag error ...")`.
    """
    if isinstance(error, SeedsearchError):
        return False
    if type(error) is Exception and str(error).startswith("Block tag error"):
        return True
    return isinstance(error, (EOFError, struct.error, zlib.error, pickle.UnpicklingError,
                              UnicodeDecodeError))

