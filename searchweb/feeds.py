"""The times an Atom feed states: each entry's, and the feed's own.

Atom requires an `<updated>` on every entry and on the feed. An article
without a date (a plain-text corpus, say) is dated by its source file's
modification time, which is when it last changed as far as anyone can tell;
an article with neither falls back to the feed's time. The feed's time is
its newest entry's, or when there are no entries, the index's last commit.
The epoch is never used: a reader would show "1970" on every entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from indexer.records import Hit


def utc(when: datetime) -> datetime:
    """`when` as an aware UTC time; a naive time (an article's date) is taken as UTC."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def atom_time(when: datetime) -> str:
    """RFC 3339 in UTC, as Atom wants."""
    return utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def commit_time(last_modified: float) -> datetime:
    """The index's last commit (the engine's `last_modified()`, seconds since the epoch;
    -1 or 0 when unknown: then now, which is when the feed was made)."""
    if last_modified > 0:
        return datetime.fromtimestamp(last_modified, tz=UTC)
    return datetime.now(UTC)


def entry_times(hits: Iterable[Hit], committed: datetime) -> tuple[datetime, list[datetime]]:
    """The feed's `<updated>` and each hit's: its date, else its file's mtime, else the
    feed's. The feed's is the newest of the entries' known times, else `committed`."""
    known = [utc(hit.date) if hit.date else utc(hit.modified) if hit.modified else None
             for hit in hits]
    updated = max((when for when in known if when is not None), default=utc(committed))
    return updated, [updated if when is None else when for when in known]
