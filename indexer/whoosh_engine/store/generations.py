"""Where the index lives on disk: generations, recorded settings, the write lock.

An index folder holds one or more generations (`gen-000001`, ...) and a
`CURRENT` file naming the live one. A full rebuild writes a new generation and
switches `CURRENT` with an atomic rename, so readers never see a half-built
index. The settings an index was built with are recorded beside it.

Readers trust nothing they read: a damaged `CURRENT`, settings file or table
of contents is an `IndexDamaged` saying to rebuild. Writers treat a damaged
`CURRENT` as no live generation, so `index --rebuild` always recovers.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import EmptyIndexError, FileIndex

from indexer.config import Config
from indexer.engine import LOCK_TIMEOUT
from indexer.errors import IndexFolderRefused, IndexLocked
from indexer.hints import no_index

from ..codec.integrity import ClosingStorage, checked_toc, damaged, latest_toc, reading
from ..codec.schema import build_schema
from .index_files import (
    CURRENT,
    GENERATION_NAME,
    LOCK_FILE,
    READERS_FILE,
    SETTINGS_FILE,
    IndexSettings,
    check_index_dir,
    current_generation,
    current_name,
    generation_size,
    is_our_generation,
    is_our_trash,
    live_generation_or_none,
    open_lock_file,
    read_settings,
    remove_entry,
    settings_of,
    trash_name,
    unreadable,
    write_failed,
    write_new_file,
)
from .index_settings import check_readable

__all__ = [  # what other modules import from here, some of it defined in index_files
    "CURRENT", "LOCK_FILE", "READERS_FILE", "SETTINGS_FILE", "LOCK_TIMEOUT", "IndexSettings",
    "current_generation", "live_generation_or_none", "read_settings", "settings_of",
    "generation_size", "open_index", "lease_index", "open_generation", "Lease",
    "create_generation", "publish", "remove_unused_generations", "write_lock",
    "check_index_folder",
]

LEASE_PATIENCE = 5.0  # seconds a reader retries while generations are being swapped


def open_index(config: Config) -> FileIndex:
    """The live index, checked against the configured settings.

    Hold a `Lease` on its generation while using it (see `lease_index`) so a
    rebuild does not delete it under you.
    """
    index, lease = lease_index(config)
    lease.release()
    return index


def check_index_folder(config: Config) -> None:
    """IndexFolderRefused unless `config.index` can hold our index and nothing else:
    not a file, not a folder of the user's files, not the corpus or a folder
    holding it. A folder inside the corpus is fine: the scan and the watcher
    skip it. Call before anything is written into the index folder."""
    try:
        index, corpus = config.index.resolve(), config.corpus.resolve()
    except (OSError, RuntimeError):  # a loop of links: the next step reports it
        index, corpus = config.index, Path("/nonexistent/corpus")
    if index == corpus or index in corpus.parents:
        raise IndexFolderRefused(f"{config.index}: the index cannot be the corpus folder or "
                                 f"hold it ({config.corpus}).",
                                 "Choose another folder with --index (one inside the corpus "
                                 "is fine).")
    check_index_dir(config.index)


def lease_index(config: Config) -> tuple[FileIndex, Lease]:
    """The live index and a lease that keeps its generation on disk until released.

    A rebuild may publish a new generation and remove the old one between any
    two steps here; each such miss is retried, for up to LEASE_PATIENCE seconds.
    A miss that lasts longer is damage: `CURRENT` names a generation that is
    gone, or a generation lost its table of contents.
    """
    check_index_folder(config)
    deadline = time.monotonic() + LEASE_PATIENCE
    while True:
        generation = current_generation(config.index)
        if generation is None and not (config.index / CURRENT).exists():
            raise no_index(config)
        if generation is None:  # CURRENT named a generation removed since: read it again
            missed = _Missed(config.index, f"{CURRENT} names {current_name(config.index)}, "
                                           "which is not there")
        else:
            opened = _open_leased(config, generation)
            if not isinstance(opened, _Missed):
                return opened
            missed = opened
        if time.monotonic() > deadline:
            raise damaged(missed.folder, missed.problem)
        time.sleep(0.01)


@dataclass(frozen=True)
class _Missed:
    """Something a reader found missing: retried (a rebuild or commit may be under
    way), then reported as damage."""

    folder: Path
    problem: str


def _open_leased(config: Config, generation: Path) -> tuple[FileIndex, Lease] | _Missed:
    """The generation, opened and leased; or what was missing (to be retried)."""
    lease = Lease.take(generation)
    if lease is None:
        return _Missed(generation.parent, f"{generation.name} was removed as it was opened")
    try:
        check_readable(config, settings_of(generation))
        return _open_toc(generation), lease
    except (FileNotFoundError, EmptyIndexError):
        lease.release()  # a commit replaced the table of contents as we read it
        return _Missed(generation, "its table of contents (_MAIN_*.toc) is missing")
    except BaseException:
        lease.release()
        raise


def open_generation(generation: Path) -> FileIndex:
    """Whoosh's `open_dir` on a generation, any failure reported as IndexDamaged.

    For writers, which hold the write lock: nothing swaps the table of
    contents under them, so a missing one is damage too.
    """
    try:
        return _open_toc(generation)
    except (FileNotFoundError, EmptyIndexError):
        raise damaged(generation, f"its table of contents {latest_toc(generation)} "
                                  "is missing") from None


def _open_toc(generation: Path) -> FileIndex:
    """Whoosh's `open_dir`, which reads the table of contents (Whoosh 2.7.5
    unpickles it); a missing one is left to the caller, any other failure is
    damage. Its storage closes what it opened when opening fails."""
    storage = ClosingStorage(str(generation))
    with reading(generation, f"its table of contents {checked_toc(generation)}"):
        with storage.closing_on_failure():
            return FileIndex(storage, indexname="MAIN")  # open_dir's index name


class Lease:
    """A shared lock on a generation's READERS file: "someone is reading this".

    The cleaner takes the same lock exclusively before removing a generation,
    so a generation in use by any process is never removed. In a folder this
    process may not write (a read-only mount, say) the lock is taken on the
    file opened for reading, or not at all when the file is missing: nothing
    can remove a generation from such a folder.
    """

    def __init__(self, descriptor: int | None, generation: Path) -> None:
        self._descriptor = descriptor
        self.generation = generation

    @classmethod
    def take(cls, generation: Path) -> Lease | None:
        """A lease on `generation`; None when it is gone (removed by a rebuild)."""
        path = generation / READERS_FILE
        try:
            descriptor = open_lock_file(path)
        except FileNotFoundError:  # the generation is gone, or a read-only one has no file
            return cls(None, generation) if generation.is_dir() else None
        except OSError as error:
            raise unreadable(path, error) from error
        fcntl.flock(descriptor, fcntl.LOCK_SH)
        if not generation.exists():  # removed while we waited for the lock
            os.close(descriptor)
            return None
        return cls(descriptor, generation)

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing drops the lock
            self._descriptor = None


def create_generation(config: Config) -> tuple[Path, FileIndex]:
    """A new, empty generation beside the live one (not yet published).

    On failure (a full disk, say) nothing of it is left behind; readers.lock is
    written last, so a generation killed half-made is one the cleaner removes
    (settings.json, written first, marks it as ours).
    """
    check_index_folder(config)
    try:
        config.index.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in config.index.glob("gen-*")
                   if GENERATION_NAME.fullmatch(p.name)]
        generation = config.index / f"gen-{max(numbers, default=0) + 1:06d}"
        generation.mkdir()
    except OSError as error:
        raise write_failed(config.index, "create a new generation in", error) from error
    try:
        write_new_file(generation / SETTINGS_FILE, IndexSettings.of(config).to_json())
        ix = whoosh_index.create_in(str(generation), build_schema(config.language))
        write_new_file(generation / READERS_FILE, "")
    except OSError as error:
        shutil.rmtree(generation, ignore_errors=True)
        raise write_failed(config.index, "create a new generation in", error) from error
    return generation, ix


def publish(generation: Path) -> None:
    """Make `generation` the live one with an atomic rename, then drop unused others.

    A failed write (a full disk) removes CURRENT.tmp and leaves CURRENT as it was.
    """
    index_dir = generation.parent
    pending = index_dir / f"{CURRENT}.tmp"
    try:
        remove_entry(pending)  # left by a run killed here
        write_new_file(pending, generation.name + "\n")
        if (index_dir / CURRENT).is_dir() and not (index_dir / CURRENT).is_symlink():
            os.rmdir(index_dir / CURRENT)  # damage os.replace cannot overwrite; only if empty
        os.replace(pending, index_dir / CURRENT)
    except OSError as error:
        remove_entry(pending)
        raise write_failed(index_dir, f"publish {generation.name} in", error) from error
    _fsync_dir(index_dir)
    remove_unused_generations(index_dir)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_unused_generations(index_dir: Path) -> list[str]:
    """Remove generations that are neither live nor leased by a reader.

    Call with the write lock held: then a generation that is not live is
    either superseded or the leftover of a killed run, never one being built.
    A damaged CURRENT names no live generation: all unleased ones go, and the
    rebuild that follows publishes a new one. Only what this program made is
    removed (see `is_our_generation`, `is_our_trash`): links, files and folders
    of the user's that merely look like ours are left alone, never followed.
    """
    for leftover in index_dir.glob("trash-*"):
        if is_our_trash(leftover):
            remove_entry(leftover)
    live = live_generation_or_none(index_dir)
    removed = []
    for other in sorted(index_dir.glob("gen-*")):
        if other != live and is_our_generation(other) and _remove_if_unleased(other):
            removed.append(other.name)
    return removed


def _remove_if_unleased(generation: Path) -> bool:
    try:
        descriptor = os.open(generation / READERS_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        if not isinstance(error, FileNotFoundError) and error.errno != errno.ELOOP:
            return False  # cannot tell whether it is leased: a later run tries again
        remove_entry(generation)  # ours, killed before it was set up, or damaged
        return True
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a reader still uses it; a later run removes it
        trash = generation.with_name(trash_name(generation))
        try:
            os.rename(generation, trash)  # readers waiting on the lock then see it gone
        except OSError:
            return False  # a later run tries again
    finally:
        os.close(descriptor)
    remove_entry(trash)
    return True


@contextmanager
def write_lock(index_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """One writer at a time across processes; waits up to `timeout` seconds.

    Refuses a file, or a folder of someone else's files, before creating anything.
    """
    check_index_dir(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(index_dir / LOCK_FILE,
                             os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise write_failed(index_dir, "take the write lock of", error) from error
    try:
        _wait_for_lock(descriptor, index_dir, timeout)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _wait_for_lock(descriptor: int, index_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise IndexLocked(
                    f"Another seedsearch process is updating {index_dir} "
                    f"(waited {timeout:g} s).",
                    "Wait for it to finish, then run the command again.") from None
            time.sleep(0.1)
