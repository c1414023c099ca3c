"""Small, targeted fixes to Whoosh 2.7.5 (pinned), applied when this module is imported
(`indexer/__init__.py` imports it first).

Each fix names the Whoosh function it replaces and why; none changes what
Whoosh writes to disk or what a search returns.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec import whoosh3
from whoosh.matching import binary

_MISSING = object()


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    """`W3PerDocReader._cached_reader`, remembering absent columns too.

    Whoosh caches a column reader only when the column exists; for fields
    without a length column (ids, hashes) it asks the filesystem whether the
    file exists again for every posting of every commit (`add_postings` calls
    `doc_field_length` per posting): 426,000 `stat` calls for 2,225 articles.
    """
    reader = self._readers.get(fieldname, _MISSING)
    if reader is _MISSING:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
    return reader


whoosh3.W3PerDocReader._cached_reader = _cached_reader


def _find_first(self: Any) -> None:
    """`AndNotMatcher._find_first`, skipping every banned document at the start.

    Whoosh's only moves on when the two first documents are the same one:
    when the banned side starts before the wanted side and also holds its
    first document, that document was kept (`mexico -cuba` found an article
    about both). `_find_next` skips the banned side to the wanted one first.
    """
    if self.a.is_active() and self.b.is_active():
        self._find_next()


binary.AndNotMatcher._find_first = _find_first
