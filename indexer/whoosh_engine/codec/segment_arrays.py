"""Arrays read once per segment from Whoosh's fixed-width columns.

The array scorer (field lengths), facets (dates) and near-duplicates
(signatures) each need one value per document of a segment. A fixed-width
column is read in one call instead of a lookup per document. A segment never
changes once written (deletions are kept apart), so what is derived from it
is cached by segment and shared by every reader of that segment: each web
thread has its own searcher, hence its own readers, over the same segments.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from whoosh.reading import IndexReader

from ..internals import fixed_column_rows, reader_folder

T = TypeVar("T")
MAX_ENTRIES = 256  # arrays kept per process, least recently used dropped first

_entries: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
_lock = threading.Lock()


def segment_key(reader: IndexReader) -> tuple[str, str]:
    """Names one segment for good: its index folder and its unique id."""
    return reader_folder(reader), reader.segment().segment_id()


def per_segment(reader: IndexReader, kind: str, compute: Callable[[IndexReader], T]) -> T:
    """`compute(reader)`, computed once per segment (and index folder) and `kind`."""
    key = (*segment_key(reader), kind)
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            found: T = _entries[key]
            return found
    value = compute(reader)
    with _lock:
        _entries[key] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def fixed_width_bytes(column: Any, documents: int, width: int, fill: int = 0) -> bytes:
    """Every document's value in a fixed-width column reader, `width` bytes each.

    Whoosh writes values up to the last document that has one; the documents
    after it get `fill` bytes (the column's default).
    """
    stored = fixed_column_rows(column, width)
    return stored + bytes([fill]) * (documents * width - len(stored))
