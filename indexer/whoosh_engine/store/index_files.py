"""The small files of an index folder, read and written defensively.

`CURRENT` names the live generation and each generation's `settings.json`
says what it was built with. Both are read through `read_small_file`: a
bounded read of a regular file, never through a symbolic link, so a damaged
or hostile index folder cannot make seedsearch read a huge file, block on a
pipe, or follow a name out of the index folder. Anything wrong is an
`IndexDamaged` naming the file and what is wrong with it.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.config import Config, resolved
from indexer.errors import IndexDamaged, IndexFolderRefused, IndexWriteFailed

from ..codec.schema import SCHEMA_VERSION

CURRENT = "CURRENT"
SETTINGS_FILE = "settings.json"
LOCK_FILE = "write.lock"
READERS_FILE = "readers.lock"
GENERATION_NAME = re.compile(r"gen-[0-9]{6,20}")  # as create_generation names them
TRASH_NAME = re.compile(r"trash-gen-[0-9]{6,20}-[0-9]+-[0-9]+")  # as trash_name makes them
POINTER_LIMIT = 256  # bytes read of CURRENT: a generation's name and a newline
SETTINGS_LIMIT = 4096  # bytes read of settings.json


@dataclass(frozen=True)
class IndexSettings:
    """What an index was built with (`index_settings` says what differs).

    `corpus` and `index` are the absolute paths of the corpus and of the index
    folder, so an index moved along with its corpus is told from one pointed at
    another corpus; None in an index made before they were recorded, which
    learns them at its next sync.
    """

    schema_version: int
    language: str
    corpus: str | None = None
    index: str | None = None

    @classmethod
    def of(cls, config: Config) -> IndexSettings:
        return cls(schema_version=SCHEMA_VERSION, language=config.language,
                   corpus=str(resolved(config.corpus)), index=str(resolved(config.index)))

    def to_json(self) -> str:
        """settings.json as it is written."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, as `CURRENT` names it (only ever a complete one).

    None when there is no `CURRENT` or the folder it names is gone (a rebuild
    may have just replaced it); IndexDamaged when `CURRENT` is not the name of
    a generation folder directly inside `index_dir`, so nothing is ever read
    or written outside the index folder. Whoosh's `exists_in` is not used: it
    opens the index, and can fail while a commit swaps the table of contents.
    """
    name = current_name(index_dir)
    if name is None:
        return None
    generation = index_dir / name
    if generation.is_symlink():
        raise IndexDamaged(f"{index_dir / CURRENT} is damaged: it names {name}, a symbolic "
                           "link, not a generation of this index.")
    if not generation.exists():
        return None
    if not generation.is_dir():
        raise IndexDamaged(f"{index_dir / CURRENT} is damaged: it names {name}, which is "
                           "not a folder.")
    return generation


def current_name(index_dir: Path) -> str | None:
    """The generation name `CURRENT` holds (checked); None when there is no `CURRENT`."""
    pointer = index_dir / CURRENT
    data = read_small_file(pointer, POINTER_LIMIT)
    return None if data is None else _generation_name(pointer, data)


def live_generation_or_none(index_dir: Path) -> Path | None:
    """`current_generation` for writers: a damaged `CURRENT` means no live generation,
    so a rebuild publishes a new one and the cleaner removes the others."""
    try:
        return current_generation(index_dir)
    except IndexDamaged:
        return None


def _generation_name(pointer: Path, data: bytes) -> str:
    if len(data) > POINTER_LIMIT:
        raise IndexDamaged(f"{pointer} is damaged: it is over {POINTER_LIMIT} bytes long, "
                           "not the name of a generation.")
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        raise IndexDamaged(f"{pointer} is damaged: it is empty, where it should name the "
                           "live generation.")
    if not GENERATION_NAME.fullmatch(text):
        shown = repr(text[:60] + ("…" if len(text) > 60 else ""))
        raise IndexDamaged(f"{pointer} is damaged: it names {shown}, not a generation of "
                           "this index.")
    return text


def read_small_file(path: Path, limit: int) -> bytes | None:
    """Up to `limit` + 1 bytes of a small file of the index; None when there is none.

    Never follows a symbolic link and never blocks on a pipe or device: a file
    of the index is a regular file, or the index is damaged.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise unreadable(path, error) from error
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise IndexDamaged(f"{path} is damaged: it is not a file.")
        return os.read(descriptor, limit + 1)
    except OSError as error:
        raise unreadable(path, error) from error
    finally:
        os.close(descriptor)


def unreadable(path: Path, error: OSError) -> IndexDamaged:
    """What an index file that cannot be opened says about the index."""
    if error.errno == errno.ELOOP:
        return IndexDamaged(f"{path} is damaged: it is a symbolic link.")
    if error.errno in (errno.EACCES, errno.EPERM):
        return IndexDamaged(f"{path} cannot be read: {error.strerror}.",
                            "Check that this user may read the index folder.")
    return IndexDamaged(f"{path} cannot be read: {error.strerror or error}.")


def read_settings(generation: Path) -> IndexSettings | None:
    """What a generation was built with; None when that cannot be told (a writer
    then rebuilds)."""
    try:
        return settings_of(generation)
    except IndexDamaged:
        return None


def settings_of(generation: Path) -> IndexSettings:
    """What a generation was built with, or IndexDamaged saying what is wrong."""
    path = generation / SETTINGS_FILE
    data = read_small_file(path, SETTINGS_LIMIT)
    if data is None:
        raise IndexDamaged(f"{path} is missing: what the index was built with is unknown.")
    if len(data) > SETTINGS_LIMIT:
        raise IndexDamaged(f"{path} is damaged: it is over {SETTINGS_LIMIT} bytes long.")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise IndexDamaged(f"{path} is damaged: it is not JSON.") from None
    paths = ("corpus", "index")  # absent from indexes made before they were recorded
    if not (isinstance(raw, dict) and type(raw.get("schema_version")) is int
            and isinstance(raw.get("language"), str)
            and all(isinstance(raw.get(name), (str, type(None))) for name in paths)):
        raise IndexDamaged(f"{path} is damaged: it does not hold a schema_version number, "
                           "a language name and (in newer indexes) the corpus and index paths.")
    return IndexSettings(raw["schema_version"], raw["language"], raw.get("corpus"),
                         raw.get("index"))


def open_lock_file(path: Path) -> int:
    """A lock file opened for writing (created when missing: indexes built before
    leases existed have none), or for reading where writing is not allowed."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
    return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)


def write_new_file(path: Path, text: str) -> None:
    """Write a file that must not exist yet (never through a link), fsynced."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    with os.fdopen(os.open(path, flags, 0o644), "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def write_failed(index_dir: Path, action: str, error: OSError) -> IndexWriteFailed:
    """A write that failed, with what to do about it (free space, permissions)."""
    reason = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        hint = "Free some disk space, then run the command again."
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "Run it as a user who may write the index folder, or choose another --index."
    else:
        hint = "Run the command again."
    return IndexWriteFailed(f"Could not {action} {index_dir}: {reason}. The index is as it "
                            "was before.", hint)


def remove_entry(path: Path) -> None:
    """Remove a file, link or folder, whatever is there (nothing when nothing is)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def generation_size(generation: Path) -> int:
    """Bytes on disk of a generation's files."""
    total = 0
    with os.scandir(generation) as entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except FileNotFoundError:
                continue
    return total


def trash_name(generation: Path) -> str:
    """The name a generation is renamed to before it is removed (see TRASH_NAME)."""
    return f"trash-{generation.name}-{os.getpid()}-{time.time_ns()}"


def is_our_trash(path: Path) -> bool:
    """A generation renamed for removal by a run killed before it removed it."""
    return TRASH_NAME.fullmatch(path.name) is not None and _is_real_folder(path)


def is_our_generation(path: Path) -> bool:
    """A generation this program made: its name, a real folder (never a link), and our
    marker (readers.lock, or settings.json as we write it), or empty (a build killed
    before it wrote anything). The cleaner removes nothing else, so a user's files in
    a folder given as --index are never taken for leftovers."""
    if GENERATION_NAME.fullmatch(path.name) is None or not _is_real_folder(path):
        return False
    if _is_regular_file(path / READERS_FILE) or read_settings(path) is not None:
        return True
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def check_index_dir(index_dir: Path) -> None:
    """IndexFolderRefused unless `index_dir` is, or can become, a folder of our index:
    a folder that exists, is not empty and holds nothing of ours is the user's."""
    existing = index_dir
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        through = "" if existing == index_dir else f" ({existing} is a file)"
        raise IndexFolderRefused(f"{index_dir} is not a folder{through}: choose a folder for the "
                             "index with --index.")
    if existing != index_dir:
        return  # created when the index is built
    others = _foreign_entries(index_dir)
    if others:
        shown = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
        raise IndexFolderRefused(f"{index_dir} is not a seedsearch index: it holds other files "
                             f"({shown}).", "Choose an empty or new folder with --index.")


def _foreign_entries(index_dir: Path) -> list[str]:
    """Up to four names in `index_dir` when nothing in it is ours; [] when something
    is (or it is empty, or cannot be listed: the write that follows says why)."""
    if _is_regular_file(index_dir / CURRENT) or _is_regular_file(index_dir / LOCK_FILE):
        return []
    others: list[str] = []
    try:
        with os.scandir(index_dir) as entries:
            for entry in entries:
                if is_our_generation(Path(entry.path)):
                    return []
                if len(others) < 4:
                    others.append(entry.name)
    except OSError:
        return []
    return sorted(others)


def _is_real_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
