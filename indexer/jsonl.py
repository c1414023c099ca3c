"""Reading a JSON Lines corpus (maybe gzipped): one article per line.

Memory stays bounded whatever the file holds: a line is read at most
MAX_RECORD_BYTES at a time and a longer record is skipped without ever being
held whole; a record's text is cut at MAX_ARTICLE_BYTES, like a .txt file.

A file that cannot be read to its end (a truncated or damaged gzip stream, a
last record cut short, a line that is not JSON at all, a file that changed
while it was read or holds no records: a copy in progress, a bad disk) is
reported through `damaged`. The records read
before the damage are still used; the sync keeps the articles it did not reach.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

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
    parse_date,
    valid_unicode,
)

# A news record is tens of kilobytes; json.loads and the analysis of a record
# take tens of times its size in memory, so a bigger one is not read at all.
MAX_RECORD_BYTES = 8 * 2**20
_SKIP_CHUNK = 2**20
# What reading a damaged file raises (gzip.BadGzipFile is an OSError).
DAMAGE = (OSError, EOFError, zlib.error)

# Fields printed with every hit: a longer id is refused, a longer section cut,
# a longer url dropped (a 7 MB id would be printed with every search).
MAX_ID_CHARS = 512
MAX_SECTION_CHARS = 200
MAX_URL_CHARS = 2048
GARBLED_LINES_NAMED = 10  # in the damage message; the rest are counted

Damaged = Callable[[str], None]  # hears why the file could not be read to its end


class Lines(Protocol):
    """A binary stream read line by line (a file, or a gzip stream)."""

    def readline(self, size: int, /) -> bytes: ...

    def read(self, size: int, /) -> bytes: ...


class Garbled(BadArticle):
    """A line that is not JSON at all (binary bytes, cut short): damage to the file,
    not a bad record, since the article it held is not known to be gone."""


def read_jsonl(path: Path, warn: Warn = ignore, skip: Warn | None = None,
               damaged: Damaged | None = None) -> Iterator[Article]:
    """Articles from a JSON Lines file (maybe gzipped): id, title, text, [date, section, url].

    `damaged` (default: a warning) hears why the file could not be read to its end.
    """
    skip = skip or warn
    damaged = damaged or (lambda reason: warn(f"{path.name}: {reason}"))
    articles = 0
    garbled: list[int] = []
    try:
        with _opened(path) as (lines, descriptor):
            before = os.fstat(descriptor)
            for number, line in enumerate(_bounded_lines(lines, MAX_RECORD_BYTES), start=1):
                where = f"{path.name}:{number}"
                if isinstance(line, int):
                    skip(f"{where}: skipped, the record is {line:,} bytes, over the "
                         f"{MAX_RECORD_BYTES // 2**20} MB one record may have")
                elif not line.endswith(b"\n") and line.strip() and not _parses(line):
                    damaged(f"it ends inside a record (line {number}): a copy in progress?")
                    return
                elif (article := _record_article(line, where, before.st_mtime_ns, warn,
                                                 skip, garbled, number)) is not None:
                    articles += 1
                    yield article
            after = os.fstat(descriptor)
    except DAMAGE as error:
        damaged(f"could not be read to its end ({_reason(error)})")
        return
    finally:
        if garbled:
            damaged(_garbled_message(garbled))
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        damaged("it changed while it was read: a copy in progress?")
    elif not articles:
        damaged("it holds no articles: a copy in progress?")


def _garbled_message(numbers: list[int]) -> str:
    named = ", ".join(str(number) for number in numbers[:GARBLED_LINES_NAMED])
    more = len(numbers) - GARBLED_LINES_NAMED
    rest = f" and {more:,} more" if more > 0 else ""
    return (f"line{'s' if len(numbers) > 1 else ''} {named}{rest} cannot be read as JSON "
            "(garbled or cut short)")


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


@contextmanager
def _opened(path: Path) -> Iterator[tuple[Lines, int]]:
    """The file's lines (uncompressed) and its descriptor; opened without blocking,
    so a FIFO put in its place cannot hang the run."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(descriptor, "rb") as raw:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if not path.name.lower().endswith(".gz"):
            yield raw, descriptor
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as lines:
            yield lines, descriptor


def _bounded_lines(stream: Lines, limit: int) -> Iterator[bytes | int]:
    """Each line of `stream`, or for a line longer than `limit`, its length: such a
    line is read on in chunks and dropped, never held whole."""
    while line := stream.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        length = len(line)
        while not line.endswith(b"\n") and (line := stream.readline(_SKIP_CHUNK)):
            length += len(line)
        yield length


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:  # UnicodeDecodeError included
        return False
    except RecursionError:
        return True  # complete, just too deep: reported as a bad record
    return True


def count_lines(path: Path) -> int:
    """Lines in a JSON Lines file (maybe gzipped): at most its number of articles."""
    lines = 0
    try:
        with _opened(path) as (data, _):
            while chunk := data.read(1 << 20):
                lines += chunk.count(b"\n")
    except DAMAGE:
        pass  # read_jsonl reports it
    return lines


def _record_article(line: bytes, where: str, mtime_ns: int, warn: Warn,
                    skip: Warn, garbled: list[int], number: int) -> Article | None:
    """The record's article, or None (with `skip` told why); one odd record never stops a
    run. A line that is not JSON at all is also added to `garbled`."""
    if not line.strip():
        return None
    try:
        return _jsonl_article(line, where, mtime_ns, warn)
    except Garbled as error:
        garbled.append(number)
        skip(str(error))
    except BadArticle as error:
        skip(str(error))
    except Exception as error:  # a record nested 100,000 deep, say (Ctrl+C still stops)
        skip(f"{where}: skipped, the record could not be read ({type(error).__name__}: "
             f"{str(error)[:200]})")
    return None


def _jsonl_article(line: bytes, where: str, mtime_ns: int, warn: Warn) -> Article:
    try:
        record = json.loads(decode(line, where, warn))
    except json.JSONDecodeError as error:
        raise Garbled(where, f"not JSON ({error})") from error
    except BadArticle as error:
        raise Garbled(where, f"not JSON ({error.reason})") from error
    if not isinstance(record, dict) or record.get("id") is None \
            or not str(record["id"]).strip():
        raise BadArticle(where, "the record has no id")
    article_id = valid_unicode(str(record["id"]).strip())
    if len(article_id) > MAX_ID_CHARS:
        raise BadArticle(where, f"its id is {len(article_id):,} characters, over the "
                                f"{MAX_ID_CHARS} an id may have")
    title, body = _capped(clean_text(valid_unicode(str(record.get("title") or ""))),
                          clean_text(valid_unicode(str(record.get("text") or ""))), where, warn)
    if not title and not body:
        raise BadArticle(where, f"record {article_id!r} has neither title nor text")
    date = parse_date(str(record["date"])) if record.get("date") else None
    if record.get("date") and date is None:
        warn(f"{where}: date {str(record['date'])[:80]!r} not understood; indexed without "
             "a date")
    return Article(
        id=article_id, title=title, body=body, section=_section(record, where, warn),
        date=date, url=_url(record, where, warn), size=len(line), mtime_ns=mtime_ns,
        content_hash=content_hash(line),
    )


def _section(record: dict[str, object], where: str, warn: Warn) -> str | None:
    section = record.get("section") or record.get("category")
    if not section:
        return None
    text = clean_text(valid_unicode(str(section)))
    if len(text) <= MAX_SECTION_CHARS:
        return text
    warn(f"{where}: its section is {len(text):,} characters; only its first "
         f"{MAX_SECTION_CHARS} are indexed")
    return text[:MAX_SECTION_CHARS].rstrip()


def _url(record: dict[str, object], where: str, warn: Warn) -> str | None:
    if not record.get("url"):
        return None
    url = valid_unicode(str(record["url"]))
    if len(url) <= MAX_URL_CHARS:
        return url
    warn(f"{where}: its url is {len(url):,} characters, over the {MAX_URL_CHARS} a url "
         "may have; indexed without it")
    return None


def _capped(title: str, body: str, where: str, warn: Warn) -> tuple[str, str]:
    """Title and text together cut to MAX_ARTICLE_BYTES (at a line break or space),
    with a warning, like a .txt file."""
    if len(title) + len(body) <= MAX_ARTICLE_BYTES // 4:  # 4 bytes a character at most
        return title, body
    head, text = title.encode("utf-8"), body.encode("utf-8")
    if len(head) + len(text) <= MAX_ARTICLE_BYTES:
        return title, body
    head = cut(head, MAX_ARTICLE_BYTES)
    text = cut(text, MAX_ARTICLE_BYTES - len(head)) if len(head) < MAX_ARTICLE_BYTES else b""
    warn(f"{where}: larger than {MAX_ARTICLE_BYTES // 2**20} MB; only its first "
         f"{len(head) + len(text):,} bytes of text are indexed")
    return head.decode("utf-8", "ignore"), text.decode("utf-8", "ignore")
