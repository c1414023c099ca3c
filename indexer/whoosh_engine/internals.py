"""Every use of a Whoosh 2.7.5 private name, and the fixes to Whoosh, in one module.

Whoosh 2.7.5 (pinned) has no public way to do a few things this engine needs:
read the newest table of contents, open a segment's column files up front,
read a fixed-width column or a posting list a block at a time, hand a
highlighter character offsets. The rule: no other module reads, writes,
calls, imports or overrides a Whoosh name that starts with an underscore;
it calls a function or subclasses a class here, and each one says which
Whoosh 2.7.5 behaviour it relies on. A Whoosh upgrade then checks this
module and the codec writer only (tests/test_whoosh_internals.py keeps the
rule).

The codec writer (codec/term_blocks.py) writes Whoosh's postings format by
filling the block buffer of Whoosh's own postings writer; those lines stay
beside the layout they produce, each marked `# Whoosh 2.7.5 private:`:

    W3FieldWriter     _postwriter, _format, _postfile, _tindex, _fieldid
    W3PostingsWriter  _blocklimit, _compression, _format, the block buffer
                      (_ids, _weights, _values, _maxweight, _minlength,
                      _maxlength), _write_block(), _mini_ids(),
                      _mini_weights(), _mini_values()

Grouped by Whoosh object: the index and its table of contents; segments,
segment readers and columns; the terms file; postings and matchers; results
and highlighting; then the fixes, applied when this module is imported
(`indexer.whoosh_engine` imports it first). None of the fixes changes what
Whoosh writes to disk or what a search returns.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from whoosh import columns, matching
from whoosh.codec import whoosh3
from whoosh.codec.base import Segment
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3TermInfo
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.highlight import Highlighter
from whoosh.index import TOC, FileIndex
from whoosh.matching import binary
from whoosh.reading import IndexReader
from whoosh.searching import Results

# --- the index and its table of contents -------------------------------------------------


def read_toc(ix: FileIndex) -> TOC:
    """The newest table of contents of `ix`.

    Whoosh 2.7.5: `FileIndex._read_toc()` reads it as `reader()` and
    `writer()` do (`TOC.read` of the latest generation, with the index's schema).
    """
    toc: TOC = ix._read_toc()
    return toc


# --- segments, segment readers and columns -----------------------------------------------


def field_length_totals(segment: Segment) -> dict[str, int]:
    """Each field's total length over the segment (none known: empty).

    Whoosh 2.7.5: `W3PerDocWriter.close` stores them on the segment as
    `_fieldlengths`, which `W3PerDocReader.field_length` reads.
    """
    totals: dict[str, int] = getattr(segment, "_fieldlengths", {})
    return totals


def reader_folder(reader: IndexReader) -> str:
    """The folder of the index a segment reader reads.

    Whoosh 2.7.5: `SegmentReader` keeps the storage it reads in `_storage`.
    """
    folder: str = reader._storage.folder
    return folder


def has_segment_storage(reader: IndexReader) -> bool:
    """Whether `reader` reads one segment's files (an empty reader does not).

    Whoosh 2.7.5: only `SegmentReader` has a `_storage`.
    """
    return hasattr(reader, "_storage")


def column_files_segment(reader: IndexReader) -> Segment | None:
    """The segment whose column files `reader` opens on first use (None: it opens none so).

    Whoosh 2.7.5: `SegmentReader` keeps its per-document reader in `_perdoc`;
    `W3PerDocReader` knows its segment as `_segment` and opens a column file
    the first time it is read, through `_get_column_file`.
    """
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_get_column_file"):
        return None
    segment: Segment = perdoc._segment
    return segment


def open_column_file(reader: IndexReader, column: str) -> None:
    """Open `column`'s file now rather than on first use (for `column_files_segment` readers).

    Whoosh 2.7.5: `W3PerDocReader.column_reader` opens a column's file through
    `_get_column_file` into `_colfiles` unless it is there, and reads it from there.
    """
    perdoc = reader._perdoc
    if column not in perdoc._colfiles:
        perdoc._colfiles[column] = perdoc._get_column_file(column)


def length_column(reader: IndexReader, field: str) -> Any:
    """The column reader of a field's lengths in a segment, None when it has none.

    Whoosh 2.7.5: `W3PerDocReader._cached_reader` keeps one reader per column
    (the fix below remembers absent ones too); a field's length column is
    named by `whoosh3._lenfield` (`_<field>_len`).
    """
    return reader._perdoc._cached_reader(whoosh3._lenfield(field), LENGTHS_COLUMN)


def fixed_column_rows(column: Any, width: int) -> bytes:
    """The rows a fixed-width column reader holds, `width` bytes each, in one read.

    Whoosh 2.7.5: `FixedBytesColumn.Reader` (and `NumericColumn.Reader`) keeps
    its file in `_dbfile`, where its rows start in `_basepos` and how many there
    are in `_count` (rows up to the last document with a value).
    """
    return bytes(column._dbfile.get(column._basepos, column._count * width))


def wrapped_column(column: columns.WrappedColumn) -> columns.Column:
    """The column a wrapping column (a pickle column, say) stores its bytes in.

    Whoosh 2.7.5: `WrappedColumn` keeps it in `_child`.
    """
    child: columns.Column = column._child
    return child


def numeric_typecode(column: columns.NumericColumn) -> str:
    """The struct typecode a numeric column's rows are packed with (native size).

    Whoosh 2.7.5: `NumericColumn` keeps it in `_typecode`; its reader's row
    width is `struct.calcsize` of it.
    """
    typecode: str = column._typecode
    return typecode


def fixed_length(column: columns.FixedBytesColumn) -> int:
    """The width of a fixed-bytes column's rows.

    Whoosh 2.7.5: `FixedBytesColumn` keeps it in `_fixedlen`.
    """
    return int(column._fixedlen)


# --- the terms file ----------------------------------------------------------------------

TERM_INFO_ROW: struct.Struct = W3TermInfo._struct
"""How a term's info row is packed (`!BfIBBfII`: inlined, total weight, document
frequency, min and max length bytes, max weight, first and last document).
Whoosh 2.7.5: `W3TermInfo` keeps the struct in its class attribute `_struct`."""


def key_position(terms: OrderedHashReader, number: int) -> int:
    """Where the `number`-th key (in sorted order) of a terms file is.

    Whoosh 2.7.5: `OrderedHashReader._get_pos(offset)` reads one entry of its
    sorted index of key positions (entries of `indexsize` bytes from `indexbase`).
    """
    position: int = terms._get_pos(terms.indexbase + number * terms.indexsize)
    return position


# --- postings and matchers ---------------------------------------------------------------


def leaf_blocks(matcher: W3LeafMatcher) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(document numbers, weights) of each block of postings left, moving to the end.

    Whoosh 2.7.5: `W3LeafMatcher` decodes a block's ids and weights on demand
    (`_read_ids`, `_read_weights`, into `_ids` and `_weights`) and moves to the
    next block with `_next_block()`.
    """
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        yield matcher._ids, matcher._weights
        matcher._next_block()


def leaf_skip_to(postings: W3LeafMatcher, docnum: int) -> None:
    """`postings.skip_to(docnum)`, with a binary search inside the block where
    Whoosh steps one posting at a time.

    Whoosh 2.7.5: `W3LeafMatcher._skip_to_block(skipwhile)` moves whole blocks;
    the block's ids are in `_ids` (None until `_read_ids()`), the place in it in `_i`.
    """
    if docnum > postings.block_max_id():
        postings._skip_to_block(lambda: docnum > postings.block_max_id())
    if postings._ids is None:
        postings._read_ids()
    postings._i = bisect_left(postings._ids, docnum, postings._i)


class RewrappingMatcher(matching.WrappingMatcher):
    """A wrapping matcher that `rewrapped` rebuilds around a new child.

    Whoosh 2.7.5: `WrappingMatcher.replace` rebuilds the wrapper around a
    replaced child with `_replacement(newchild)`, which by default passes the
    class only the child and `boost`.
    """

    def _replacement(self, newchild: matching.Matcher) -> matching.Matcher:
        return self.rewrapped(newchild)

    def rewrapped(self, newchild: matching.Matcher) -> matching.Matcher:
        """This matcher, with the same settings, around `newchild`."""
        raise NotImplementedError


# --- results and highlighting ------------------------------------------------------------


def set_total(results: Results, total: int) -> None:
    """Give results the number of documents that matched.

    Whoosh 2.7.5: `Results` keeps it in `_total`; `len(results)` asks the
    collector only while it is None (as `Results.__init__` leaves it).
    """
    results._total = total


Offsets = dict[int, dict[str, Any]]  # docnum -> word -> its (position, start, end) list


class OffsetsLoadingHighlighter(Highlighter):
    """Whoosh's highlighter, the character offsets of pinpoint highlighting
    loaded by `load_offsets` rather than through the searcher.

    Whoosh 2.7.5: `Highlighter.highlight_hit` calls `self._load_chars(results,
    fieldname, words, to_bytes)` once per results and field, then reads
    `results._char_cache[fieldname][docnum]` for the hit it highlights.
    """

    def _load_chars(self, results: Results, fieldname: str, texts: Collection[str],
                    to_bytes: Callable[[str], bytes]) -> None:
        cache: Offsets = {}
        results._char_cache[fieldname] = cache
        self.load_offsets(cache, results, fieldname, texts, to_bytes)

    def load_offsets(self, cache: Offsets, results: Results, fieldname: str,
                     texts: Collection[str], to_bytes: Callable[[str], bytes]) -> None:
        """Fill `cache` with the offsets of `texts` in `fieldname` for the hits
        that will be highlighted; `to_bytes` makes a word a term."""
        raise NotImplementedError


# --- fixes, applied on import ------------------------------------------------------------

_MISSING = object()


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    """`W3PerDocReader._cached_reader`, remembering absent columns too.

    Whoosh caches a column reader only when the column exists; for fields
    without a length column (ids, hashes) it asks the filesystem whether the
    file exists again for every posting of every commit (`add_postings` calls
    `doc_field_length` per posting): 426,000 `stat` calls for 2,225 articles.
    Relies on Whoosh 2.7.5 keeping the cache in `_readers`. `has_column` asks the
    disk: engine verbs hold their generation's lease, so it cannot vanish meanwhile.
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
    Relies on Whoosh 2.7.5 calling `_find_first` on creation and reset.
    """
    if self.a.is_active() and self.b.is_active():
        self._find_next()


binary.AndNotMatcher._find_first = _find_first
