"""Finding and reading a corpus: a folder of .txt files or a JSON Lines file.

Reading never stops at a bad article: each problem is reported through `warn`
with the file (and line) it concerns, and the rest of the corpus is read.
A source that cannot be read this time (a folder that cannot be listed, a
file that cannot be opened) is reported as `Damage`, so that the sync keeps
what the index holds from it instead of taking it for deleted.

Any name the file system gives is accepted: a name that is not UTF-8 is
indexed under a safe form (`safe_name`), and only regular files are opened.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .articles import (
    MAX_ARTICLE_BYTES,
    Article,
    BadArticle,
    Warn,
    clean_text,
    content_hash,
    cut,
    decode,
    ignore,
    parse_article_text,
)
from .errors import CorpusNotFound
from .jsonl import MAX_ID_CHARS, count_lines, read_jsonl

__all__ = ["MAX_ARTICLE_BYTES", "MAX_ID_CHARS", "BadArticle", "Damage", "SourceFile", "Warn",
           "check_corpus", "content_hash", "count_lines", "decode", "ignore", "is_jsonl",
           "read_jsonl", "read_text_file", "safe_name", "scan_folder"]

TEXT_SUFFIXES = (".txt",)
# A corpus folder's own documentation is not an article (BBC ships README.TXT).
NOT_ARTICLES = frozenset({"readme", "license", "licence", "copying", "changelog"})
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
# Errors that mean "there is no such file (any more)": the file is gone, not unreadable.
_GONE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.ENAMETOOLONG})
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


@dataclass(frozen=True)
class SourceFile:
    """A corpus file as seen by `stat`: enough to tell whether it changed.

    `id` is the safe form of its name; `path` is the real one, for reading.
    """

    id: str
    path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Damage:
    """A source that could not be read this time: a folder that cannot be listed
    (`name` is its path in the corpus, "" for the corpus folder) or a file that
    cannot be looked at (`name` is its id)."""

    name: str
    reason: str
    folder: bool = False


Damaged = Callable[[Damage], None]


def is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def check_corpus(path: Path) -> Path:
    if path.is_dir() or (path.is_file() and is_jsonl(path)):
        return path
    if path.exists():
        raise CorpusNotFound(f"Corpus {path} is neither a folder nor a .jsonl/.jsonl.gz file.")
    raise CorpusNotFound(f"Corpus {path} does not exist.",
                         "Pass --corpus PATH or set SEEDSEARCH_CORPUS.")


def safe_name(name: str) -> str:
    """`name` as valid UTF-8, the same at every run: bytes the file system holds that are
    not UTF-8 (which `os.walk` gives as lone surrogates) are shown as `\\xe9`."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def scan_folder(root: Path, warn: Warn = ignore, skip: Warn | None = None,
                damaged: Damaged | None = None) -> list[SourceFile]:
    """Every .txt regular file under root, sorted by id, without following links that leave it.

    `skip` hears about files left out (default: `warn`). `damaged` hears about
    folders that cannot be listed and files that cannot be looked at; without
    it they are warned about and left out.
    """
    skip = skip or warn
    report = _once_per_folder(damaged or _as_warnings(warn, skip))
    real_root = root.resolve()
    identity = _identity(root)
    found: list[SourceFile] = []

    def unlisted(error: OSError) -> None:
        folder = os.path.relpath(error.filename or root, root)
        report(Damage("" if folder == "." else safe_name(Path(folder).as_posix()),
                      f"cannot list it ({_reason(error)})", folder=True))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        listed(Path(dirpath))
        for name in filenames:
            if _is_article_name(name):
                source = _stat_inside(Path(dirpath, name), root, real_root, warn, skip, report)
                if source is not None:
                    found.append(source)
    if identity is None or _identity(root) != identity:
        # A folder renamed away, unmounted or replaced mid-scan: what was not
        # listed is not gone, and must not be deleted from the index.
        report(Damage("", "it vanished or was replaced during the scan", folder=True))
    return sorted(found, key=lambda source: source.id)


def _once_per_folder(report: Damaged) -> Damaged:
    """`report`, told about each damaged folder once (every file of a folder that
    vanished mid-scan says so)."""
    folders: set[str] = set()

    def once(damage: Damage) -> None:
        if damage.folder and damage.name in folders:
            return
        if damage.folder:
            folders.add(damage.name)
        report(damage)
    return once


def listed(folder: Path) -> None:
    """Called as each folder of a scan is listed, before its files are looked at:
    a seam for tests of a corpus that changes mid-scan."""


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of a folder, None when it is not there (any more)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None


def _as_warnings(warn: Warn, skip: Warn) -> Damaged:
    def report(damage: Damage) -> None:
        if damage.folder:
            warn(f"{damage.name or '.'}/: {damage.reason}; its files are left out")
        else:
            skip(f"{damage.name}: skipped, {damage.reason}")
    return report


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _is_article_name(name: str) -> bool:
    lowered = name.lower()
    return (not name.startswith(".") and lowered.endswith(TEXT_SUFFIXES)
            and lowered.rsplit(".", 1)[0] not in NOT_ARTICLES)


def _stat_inside(path: Path, root: Path, real_root: Path, warn: Warn, skip: Warn,
                 damaged: Damaged) -> SourceFile | None:
    name = path.relative_to(root).as_posix()
    relative = safe_name(name)
    if len(relative) > MAX_ID_CHARS:
        skip(f"{relative[:80]}…: skipped, its path in the corpus is {len(relative):,} "
             f"characters, over the {MAX_ID_CHARS} an article id may have")
        return None
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(real_root):
            skip(f"{relative}: skipped, it links outside the corpus folder")
            return None
        info = path.stat()
    except OSError as error:
        if error.errno in _GONE and _identity(path.parent) is None:
            # its folder vanished mid-scan: the folder's articles are not known to be gone
            folder = safe_name(path.parent.relative_to(root).as_posix())
            damaged(Damage("" if folder == "." else folder, "it vanished during the scan",
                           folder=True))
        elif error.errno in _GONE:  # gone, or a link to nothing: not an article (any more)
            skip(f"{relative}: skipped, cannot read it ({_reason(error)})")
        else:
            damaged(Damage(relative, f"cannot read it ({_reason(error)})"))
        return None
    except RuntimeError:  # pathlib's resolve() on a link loop (Python < 3.13)
        skip(f"{relative}: skipped, cannot read it (a loop of symbolic links)")
        return None
    kind = _not_regular(info.st_mode)
    if kind:
        skip(f"{relative}: skipped, it is {kind}, not a regular file")
        return None
    if relative != name:
        warn(f"{relative}: its name is not valid UTF-8; indexed under this name")
    return SourceFile(relative, path, info.st_size, info.st_mtime_ns)


def _not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is (reading a FIFO would wait forever)."""
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISDIR, "a folder"))
    return next((name for test, name in kinds if test(mode)), "not a file")


def read_text_file(source: SourceFile, warn: Warn = ignore) -> Article:
    """One .txt file as an Article; raises BadArticle for empty, binary or unreadable
    files, and for anything else that goes wrong with this one file."""
    try:
        data, size, mtime_ns = _read_bytes(source, warn)
        return _text_article(source, data, size, mtime_ns, warn)
    except BadArticle:
        raise
    except OSError as error:
        raise BadArticle(source.id, f"cannot read it ({_reason(error)})") from error
    except Exception as error:  # one odd file never stops a run (Ctrl+C still does)
        raise BadArticle(source.id, f"it could not be read ({type(error).__name__}: "
                                    f"{error})") from error


def _read_bytes(source: SourceFile, warn: Warn) -> tuple[bytes, int, int]:
    """The file's first MAX_ARTICLE_BYTES + 1 bytes, its real size, and its mtime: 0
    when it changed since the scan (while it was read, say), so the next sync reads it
    again. Opened without blocking, so a FIFO put there since the scan cannot hang us."""
    descriptor = os.open(source.path, _OPEN_FLAGS)
    with open(descriptor, "rb", closefd=True) as file:
        kind = _not_regular(os.fstat(descriptor).st_mode)
        if kind:
            raise BadArticle(source.id, f"it is {kind}, not a regular file")
        data = file.read(MAX_ARTICLE_BYTES + 1)
        after = os.fstat(descriptor)
    if (after.st_size, after.st_mtime_ns) == (source.size, source.mtime_ns):
        return data, after.st_size, after.st_mtime_ns
    warn(f"{source.id}: changed while it was read; it is read again at the next sync")
    return data, after.st_size, 0


def _text_article(source: SourceFile, data: bytes, size: int, mtime_ns: int,
                  warn: Warn) -> Article:
    if len(data) > MAX_ARTICLE_BYTES:
        data = cut(data, MAX_ARTICLE_BYTES)
        warn(f"{source.id}: larger than {MAX_ARTICLE_BYTES // 2**20} MB; only its first "
             f"{len(data):,} bytes are indexed")
    text = clean_text(decode(data, source.id, warn))
    if not text:
        raise BadArticle(source.id, "it is empty")
    parts = parse_article_text(text)
    if not parts.title and not parts.body:
        raise BadArticle(source.id, "no article text found")
    return Article(
        id=source.id, title=parts.title, body=parts.body,
        section=parts.section or _folder_section(source.id),
        standfirst=parts.standfirst, date=parts.date, source=parts.source,
        path=safe_name(str(source.path.absolute())), size=size, mtime_ns=mtime_ns,
        content_hash=content_hash(data),
    )


def _folder_section(article_id: str) -> str | None:
    """A file's folder names its section when the text does not (BBC: sport/199.txt)."""
    folder = article_id.rpartition("/")[0]
    return folder.replace("/", " / ") if folder else None
