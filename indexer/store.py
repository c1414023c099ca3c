"""Where the index lives on disk: generations, recorded settings, the write lock.

An index folder holds one or more generations (`gen-000001`, ...) and a
`CURRENT` file naming the live one. A full rebuild writes a new generation and
switches `CURRENT` with an atomic rename, so readers never see a half-built
index. The settings an index was built with are recorded beside it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Iterator

from whoosh import index as whoosh_index
from whoosh.index import EmptyIndexError, FileIndex

from .config import Config
from .errors import IndexLocked, IndexNotFound, SettingsMismatch
from .schema import SCHEMA_VERSION, build_schema

CURRENT = "CURRENT"
SETTINGS_FILE = "settings.json"
LOCK_FILE = "write.lock"
READERS_FILE = "readers.lock"
LOCK_TIMEOUT = 30.0
LEASE_PATIENCE = 5.0  # seconds a reader retries while generations are being swapped


@dataclass(frozen=True)
class IndexSettings:
    """What an index was built with; a different value means a rebuild."""

    schema_version: int
    language: str

    @classmethod
    def of(cls, config: Config) -> "IndexSettings":
        return cls(schema_version=SCHEMA_VERSION, language=config.language)


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, as `CURRENT` names it (only ever a complete one).

    Whoosh's `exists_in` is not used: it opens the index, and can fail while
    a commit swaps the table of contents.
    """
    try:
        name = (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    generation = index_dir / name
    return generation if name and generation.is_dir() else None


def read_settings(generation: Path) -> IndexSettings | None:
    try:
        return IndexSettings(**json.loads((generation / SETTINGS_FILE).read_text()))
    except (FileNotFoundError, TypeError, ValueError):
        return None


def open_index(config: Config) -> FileIndex:
    """The live index, checked against the configured settings.

    Hold a `Lease` on its generation while using it (see `lease_index`) so a
    rebuild does not delete it under you.
    """
    index, lease = lease_index(config)
    lease.release()
    return index


def lease_index(config: Config) -> tuple[FileIndex, "Lease"]:
    """The live index and a lease that keeps its generation on disk until released.

    A rebuild may publish a new generation and remove the old one between any
    two steps here; each such miss is retried, for up to LEASE_PATIENCE seconds.
    """
    deadline = time.monotonic() + LEASE_PATIENCE
    while True:
        generation = current_generation(config.index)
        if generation is None and not (config.index / CURRENT).exists():
            raise IndexNotFound(f"No index at {config.index}.",
                                f"Build it with: seedsearch index --corpus {config.corpus}")
        lease = None if generation is None else Lease.take(generation)
        if generation is not None and lease is not None:
            try:
                _check_settings(config, generation)
                return whoosh_index.open_dir(str(generation)), lease
            except (FileNotFoundError, EmptyIndexError):
                lease.release()  # a commit replaced the table of contents as we read it
            except BaseException:
                lease.release()
                raise
        # else CURRENT named a generation removed since: read it again
        if time.monotonic() > deadline:
            raise IndexNotFound(f"The index at {config.index} keeps changing; try again.")
        time.sleep(0.01)


def _check_settings(config: Config, generation: Path) -> None:
    built_with = read_settings(generation)
    wanted = IndexSettings.of(config)
    if built_with != wanted:
        raise SettingsMismatch(
            f"The index at {config.index} was built with {built_with}, not {wanted}.",
            f"Rebuild it with: seedsearch index --rebuild --language {config.language}")


class Lease:
    """A shared lock on a generation's READERS file: "someone is reading this".

    The cleaner takes the same lock exclusively before removing a generation,
    so a generation in use by any process is never removed.
    """

    def __init__(self, handle: IO[str]) -> None:
        self._handle: IO[str] | None = handle

    @classmethod
    def take(cls, generation: Path) -> "Lease | None":
        try:  # created when missing: indexes built before leases existed have none
            handle = open(generation / READERS_FILE, "a+")
        except FileNotFoundError:  # the generation itself is gone
            return None
        fcntl.flock(handle, fcntl.LOCK_SH)
        if not generation.exists():  # removed while we waited for the lock
            handle.close()
            return None
        return cls(handle)

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing drops the lock
            self._handle = None


def create_generation(config: Config) -> tuple[Path, FileIndex]:
    """A new, empty generation beside the live one (not yet published)."""
    config.index.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[4:]) for p in config.index.glob("gen-*") if p.name[4:].isdigit()]
    generation = config.index / f"gen-{max(numbers, default=0) + 1:06d}"
    generation.mkdir()
    settings = json.dumps(asdict(IndexSettings.of(config)), indent=2)
    (generation / SETTINGS_FILE).write_text(settings + "\n")
    (generation / READERS_FILE).touch()
    return generation, whoosh_index.create_in(str(generation), build_schema(config.language))


def publish(generation: Path) -> None:
    """Make `generation` the live one with an atomic rename, then drop unused others."""
    index_dir = generation.parent
    pending = index_dir / f"{CURRENT}.tmp"
    with open(pending, "w") as handle:
        handle.write(generation.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pending, index_dir / CURRENT)
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
    """
    live = current_generation(index_dir)
    removed = []
    for other in sorted(index_dir.glob("gen-*")):
        if other == live or not other.is_dir():
            continue
        if _remove_if_unleased(other):
            removed.append(other.name)
    for leftover in index_dir.glob("trash-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return removed


def _remove_if_unleased(generation: Path) -> bool:
    try:
        handle = open(generation / READERS_FILE)
    except FileNotFoundError:  # a build killed before it was set up
        shutil.rmtree(generation, ignore_errors=True)
        return True
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a reader still uses it; a later run removes it
        trash = generation.with_name(f"trash-{generation.name}")
        os.rename(generation, trash)  # readers waiting on the lock then see it gone
    shutil.rmtree(trash, ignore_errors=True)
    return True


@contextmanager
def write_lock(index_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """One writer at a time across processes; waits up to `timeout` seconds."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLocked(
                        f"Another seedsearch process is updating {index_dir} "
                        f"(waited {timeout:g} s).",
                        "Wait for it to finish, then run the command again.") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def disk_size(index_dir: Path) -> int:
    generation = current_generation(index_dir)
    if generation is None:
        return 0
    return sum(p.stat().st_size for p in generation.iterdir() if p.is_file())
