"""Article records, the bytes they are decoded from, and the text layouts they are read from.

A scraped page is more than its article: site chrome (share buttons), a footer
and teasers of other stories. This module keeps only the article's parts, so
chrome words are neither indexed nor shown in snippets.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

Warn = Callable[[str], None]
FALLBACK_ENCODING = "cp1252"
# A news article is tens of kilobytes; a bigger file or record is indexed up to
# this size, so that one log or dump in the corpus cannot take the indexer's memory.
MAX_ARTICLE_BYTES = 2 * 2**20
_BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                     (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))

# Lines of site chrome, compared after lower-casing and trimming.
CHROME_LINES = frozenset({
    "email article", "print article", "share article", "send feedback",
    "topics in this article", "join our mailing list",
})
_FOOTER_PREFIXES = ("featured on ",)
_DATE_LINE = re.compile(r"^(?:last modified|last updated|published)\s*:\s*(?P<date>.+)$", re.I)
_DATE_FORMATS = ("%d %b %Y %H:%M", "%d %B %Y %H:%M", "%d %b %Y", "%d %B %Y")
_BULLET = re.compile(r"^\s*[•◦▪▫‣⁃●·∙\-\*]\s+")
_CHAR_FIXES = str.maketrans({
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u200b": None, "\u2060": None, "\ufeff": None, "\u00ad": None,
})


@dataclass(frozen=True)
class Article:
    """One article as seedsearch indexes it.

    `size`, `mtime_ns` and `content_hash` describe the source so a later sync
    can tell whether it changed without reading it again.
    """

    id: str
    title: str
    body: str
    section: str | None = None
    standfirst: str | None = None
    date: datetime | None = None
    source: str | None = None
    url: str | None = None
    path: str | None = None
    size: int = 0
    mtime_ns: int = 0
    content_hash: str = ""


@dataclass(frozen=True)
class Parts:
    """The parts of an article found in a text file."""

    title: str
    body: str
    section: str | None = None
    standfirst: str | None = None
    date: datetime | None = None
    source: str | None = None


def clean_text(text: str) -> str:
    """NFC, plain spaces and quotes, no invisible characters, tidy bullets and line ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).translate(_CHAR_FIXES)
    lines = (_BULLET.sub("• ", line).rstrip() for line in text.split("\n"))
    return "\n".join(lines).strip()


def valid_unicode(text: str) -> str:
    """`text`, its lone surrogates (JSON can spell them: "\\udce9") replaced by "?":
    the index stores UTF-8, which cannot hold them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def parse_date(text: str) -> datetime | None:
    """A date from ISO-8601 (converted to UTC) or the `01 May 2013 10:12` style of scraped pages."""
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    except (ValueError, OverflowError):  # year 1 at +01:00 is before datetime.min in UTC
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def split_blocks(text: str) -> list[list[str]]:
    """Blank-line separated blocks of non-empty lines."""
    blocks: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            blocks[-1].append(line.strip() if not line.startswith("• ") else line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def is_chrome(line: str) -> bool:
    lowered = line.strip().lower()
    return lowered in CHROME_LINES or lowered.startswith(_FOOTER_PREFIXES)


def parse_article_text(text: str) -> Parts:
    """Find the article's parts in cleaned text: the scraped layout or the plain one."""
    blocks = split_blocks(text)
    for index, block in enumerate(blocks[:6]):
        date_line = _DATE_LINE.match(block[0])
        if date_line:
            return _parse_scraped(blocks, index, parse_date(date_line.group("date")))
    return _parse_plain(blocks)


def _parse_plain(blocks: list[list[str]]) -> Parts:
    """Headline on the first line, then the body (the BBC layout)."""
    if not blocks:
        return Parts(title="", body="")
    title, rest = blocks[0][0], [blocks[0][1:]] + blocks[1:]
    return Parts(title=title, body=_join(rest))


def _parse_scraped(blocks: list[list[str]], date_index: int, date: datetime | None) -> Parts:
    """[section] headline [standfirst], a date line (its `date` read) with chrome,
    body, then a footer."""
    head = [" ".join(block) for block in blocks[:date_index]]
    section = head.pop(0) if len(head) >= 3 else None
    title = head[0] if head else ""
    standfirst = " ".join(head[1:]) or None
    date_block = blocks[date_index]
    leftover = [line for line in date_block[1:] if not is_chrome(line)]
    body_blocks, source = _cut_footer(([leftover] if leftover else []) + blocks[date_index + 1:])
    return Parts(title=title, body=_join(body_blocks), section=section,
                 standfirst=standfirst, date=date, source=source)


def _cut_footer(blocks: list[list[str]]) -> tuple[list[list[str]], str | None]:
    """Drop the first block holding chrome and all after it; its first line names the site."""
    for index, block in enumerate(blocks):
        chrome_at = next((i for i, line in enumerate(block) if is_chrome(line)), None)
        if chrome_at is None:
            continue
        kept = block[:chrome_at]
        source = kept.pop() if kept else None
        return blocks[:index] + ([kept] if kept else []), source
    return blocks, None


def _join(blocks: list[list[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks if block)


def ignore(message: str) -> None:
    """A `warn` that drops the message."""


class BadArticle(Exception):
    """This source cannot be indexed: the message names it and says why (`reason`)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: skipped, {reason}")
        self.name, self.reason = name, reason

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return type(self), (self.name, self.reason)


def cut(data: bytes, limit: int) -> bytes:
    """The first `limit` bytes, ending at a line break or space (never inside a character)."""
    data = data[:limit]
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
                raise BadArticle(name, f"it starts as {encoding} but is not "
                                       f"({error.reason} at offset {error.start})") from error
    if b"\x00" in data[:8192]:
        raise BadArticle(name, "it looks binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        warn(f"{name}: not valid UTF-8 (byte 0x{data[error.start]:02x} at offset "
             f"{error.start}); read as {FALLBACK_ENCODING}")
        return data.decode(FALLBACK_ENCODING, errors="replace")


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
