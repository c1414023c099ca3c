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
from typing import Iterator

from whoosh import index as whoosh_index
from whoosh.index import FileIndex

from .config import Config
from .errors import IndexLocked, IndexNotFound, SettingsMismatch
from .schema import SCHEMA_VERSION, build_schema

CURRENT = "CURRENT"
SETTINGS_FILE = "settings.json"
LOCK_FILE = "write.lock"
LOCK_TIMEOUT = 30.0


@dataclass(frozen=True)
class IndexSettings:
    """What an index was built with; a different value means a rebuild."""

    schema_version: int
    language: str

    @classmethod
    def of(cls, config: Config) -> "IndexSettings":
        return cls(schema_version=SCHEMA_VERSION, language=config.language)


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    generation = index_dir / name
    return generation if whoosh_index.exists_in(str(generation)) else None


def read_settings(generation: Path) -> IndexSettings | None:
    try:
        return IndexSettings(**json.loads((generation / SETTINGS_FILE).read_text()))
    except (FileNotFoundError, TypeError, ValueError):
        return None


def open_index(config: Config) -> FileIndex:
    """The live index, checked against the configured settings."""
    generation = current_generation(config.index)
    if generation is None:
        raise IndexNotFound(f"No index at {config.index}.",
                            f"Build it with: seedsearch index --corpus {config.corpus}")
    built_with = read_settings(generation)
    wanted = IndexSettings.of(config)
    if built_with != wanted:
        raise SettingsMismatch(
            f"The index at {config.index} was built with {built_with}, not {wanted}.",
            f"Rebuild it with: seedsearch index --rebuild --language {config.language}")
    return whoosh_index.open_dir(str(generation))


def create_generation(config: Config) -> tuple[Path, FileIndex]:
    """A new, empty generation beside the live one (not yet published)."""
    config.index.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[4:]) for p in config.index.glob("gen-*") if p.name[4:].isdigit()]
    generation = config.index / f"gen-{max(numbers, default=0) + 1:06d}"
    generation.mkdir()
    settings = json.dumps(asdict(IndexSettings.of(config)), indent=2)
    (generation / SETTINGS_FILE).write_text(settings + "\n")
    return generation, whoosh_index.create_in(str(generation), build_schema(config.language))


def publish(generation: Path) -> None:
    """Make `generation` the live one with an atomic rename, then drop the others."""
    index_dir = generation.parent
    pending = index_dir / f"{CURRENT}.tmp"
    pending.write_text(generation.name + "\n")
    with open(pending) as handle:
        os.fsync(handle.fileno())
    os.replace(pending, index_dir / CURRENT)
    remove_other_generations(generation)


def remove_other_generations(live: Path) -> None:
    for other in live.parent.glob("gen-*"):
        if other != live and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


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
