"""Finding and reading a corpus: a folder of .txt files or a JSON Lines file.

Reading never stops at a bad article: each problem is reported through `warn`
with the file (and line) it concerns, and the rest of the corpus is read.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .articles import Article, clean_text, parse_article_text, parse_date
from .errors import CorpusNotFound

Warn = Callable[[str], None]
FALLBACK_ENCODING = "cp1252"
TEXT_SUFFIXES = (".txt",)
# A corpus folder's own documentation is not an article (BBC ships README.TXT).
NOT_ARTICLES = frozenset({"readme", "license", "licence", "copying", "changelog"})
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
# A news article is tens of kilobytes; a bigger file is indexed up to this size,
# so that one log or dump in the folder cannot take the indexer's memory.
MAX_ARTICLE_BYTES = 2 * 2**20
_BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                     (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def ignore(message: str) -> None:
    """A `warn` that drops the message."""


@dataclass(frozen=True)
class SourceFile:
    """A corpus file as seen by `stat`: enough to tell whether it changed."""

    id: str
    path: Path
    size: int
    mtime_ns: int


class BadArticle(Exception):
    """This file cannot be indexed; the message says why and names it."""


def is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def check_corpus(path: Path) -> Path:
    if path.is_dir() or (path.is_file() and is_jsonl(path)):
        return path
    if path.exists():
        raise CorpusNotFound(f"Corpus {path} is neither a folder nor a .jsonl/.jsonl.gz file.")
    raise CorpusNotFound(f"Corpus {path} does not exist.",
                         "Pass --corpus PATH or set SEEDSEARCH_CORPUS.")


def scan_folder(root: Path, warn: Warn = ignore, skip: Warn | None = None) -> list[SourceFile]:
    """Every .txt file under root, sorted by id, without following links that leave it.

    `skip` hears about files left out (default: `warn`).
    """
    skip = skip or warn
    real_root = root.resolve()
    found: list[SourceFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if _is_article_name(name):
                source = _stat_inside(Path(dirpath, name), root, real_root, skip)
                if source is not None:
                    found.append(source)
    return sorted(found, key=lambda source: source.id)


def _is_article_name(name: str) -> bool:
    lowered = name.lower()
    return (not name.startswith(".") and lowered.endswith(TEXT_SUFFIXES)
            and lowered.rsplit(".", 1)[0] not in NOT_ARTICLES)


def _stat_inside(path: Path, root: Path, real_root: Path, skip: Warn) -> SourceFile | None:
    relative = path.relative_to(root).as_posix()
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(real_root):
            skip(f"{relative}: skipped, it links outside the corpus folder")
            return None
        stat = path.stat()
    except OSError as error:
        skip(f"{relative}: skipped, cannot read it ({error.strerror or error})")
        return None
    except RuntimeError:  # pathlib's resolve() on a link loop (Python < 3.13)
        skip(f"{relative}: skipped, cannot read it (a loop of symbolic links)")
        return None
    return SourceFile(relative, path, stat.st_size, stat.st_mtime_ns)


def read_text_file(source: SourceFile, warn: Warn = ignore) -> Article:
    """One .txt file as an Article; raises BadArticle for empty, binary or unreadable files."""
    try:
        with source.path.open("rb") as file:
            data = file.read(MAX_ARTICLE_BYTES + 1)
    except OSError as error:
        raise BadArticle(
            f"{source.id}: skipped, cannot read it ({error.strerror or error})") from error
    if len(data) > MAX_ARTICLE_BYTES:
        data = _cut(data)
        warn(f"{source.id}: larger than {MAX_ARTICLE_BYTES // 2**20} MB; only its first "
             f"{len(data):,} bytes are indexed")
    text = clean_text(decode(data, source.id, warn))
    if not text:
        raise BadArticle(f"{source.id}: skipped, it is empty")
    parts = parse_article_text(text)
    if not parts.title and not parts.body:
        raise BadArticle(f"{source.id}: skipped, no article text found")
    return Article(
        id=source.id, title=parts.title, body=parts.body,
        section=parts.section or _folder_section(source.id),
        standfirst=parts.standfirst, date=parts.date, source=parts.source,
        path=str(source.path.absolute()), size=len(data), mtime_ns=source.mtime_ns,
        content_hash=content_hash(data),
    )


def _folder_section(article_id: str) -> str | None:
    """A file's folder names its section when the text does not (BBC: sport/199.txt)."""
    folder = article_id.rpartition("/")[0]
    return folder.replace("/", " / ") if folder else None


def _cut(data: bytes) -> bytes:
    """The first MAX_ARTICLE_BYTES, ending at a line break or space (never inside a character)."""
    data = data[:MAX_ARTICLE_BYTES]
    end = max(data.rfind(b"\n"), data.rfind(b" "))
    return data[:end] if end > 0 else data


def decode(data: bytes, name: str, warn: Warn = ignore) -> str:
    """UTF-8 (or UTF-16/32 with a byte-order mark), else the stated fallback with a
    warning; binary data is refused."""
    for bom, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as error:
                raise BadArticle(f"{name}: skipped, it starts as {encoding} but is not "
                                 f"({error.reason} at offset {error.start})") from error
    if b"\x00" in data[:8192]:
        raise BadArticle(f"{name}: skipped, it looks binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        warn(f"{name}: not valid UTF-8 (byte 0x{data[error.start]:02x} at offset "
             f"{error.start}); read as {FALLBACK_ENCODING}")
        return data.decode(FALLBACK_ENCODING, errors="replace")


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_jsonl(path: Path, warn: Warn = ignore, skip: Warn | None = None) -> Iterator[Article]:
    """Articles from a JSON Lines file (maybe gzipped): id, title, text, [date, section, url]."""
    skip = skip or warn
    stat = path.stat()
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    article = _jsonl_article(line, f"{path.name}:{number}", stat.st_mtime_ns, warn,
                                             skip)
                    if article is not None:
                        yield article
    except (OSError, EOFError) as error:
        warn(f"{path.name}: stopped reading, the file is damaged ({error})")


def count_lines(path: Path) -> int:
    """Lines in a JSON Lines file (maybe gzipped): at most its number of articles."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    lines = 0
    try:
        with opener(path, "rb") as data:
            while chunk := data.read(1 << 20):
                lines += chunk.count(b"\n")
    except (OSError, EOFError):
        pass  # read_jsonl reports it
    return lines


def _jsonl_article(line: bytes, where: str, mtime_ns: int, warn: Warn,
                   skip: Warn) -> Article | None:
    try:
        record = json.loads(decode(line, where, warn))
    except (json.JSONDecodeError, BadArticle) as error:
        skip(f"{where}: skipped, not a JSON object ({error})")
        return None
    if not isinstance(record, dict) or not str(record.get("id", "")).strip() \
            or record.get("id") is None:
        skip(f"{where}: skipped, the record has no id")
        return None
    title = clean_text(str(record.get("title") or ""))
    body = clean_text(str(record.get("text") or ""))
    if not title and not body:
        skip(f"{where}: skipped, record {record['id']!r} has neither title nor text")
        return None
    date = parse_date(str(record["date"])) if record.get("date") else None
    if record.get("date") and date is None:
        warn(f"{where}: date {record['date']!r} not understood; indexed without a date")
    section = record.get("section") or record.get("category")
    return Article(
        id=str(record["id"]).strip(), title=title, body=body,
        section=clean_text(str(section)) if section else None, date=date,
        url=str(record["url"]) if record.get("url") else None,
        size=len(line), mtime_ns=mtime_ns, content_hash=content_hash(line),
    )
