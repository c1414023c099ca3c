"""Writing documents straight into Whoosh segments, for a fresh build.

Whoosh's writer turns every posting into a tuple, pickles it into sorted runs
on disk and merges the runs back at commit, then looks up each posting's
field length again in the column it has just written. A build into an empty
generation needs none of that: `SegmentBuilder` keeps each term's postings
in compact arrays in memory, already in document order, and writes them
sorted by term through Whoosh's own codec when its memory budget is reached
or the build ends. The files are Whoosh's (same codec, same schema, same
posting values), read by Whoosh's normal reader; only the way they are
produced differs. Text fields analysed by `NewsAnalyzer` skip Whoosh's
per-token objects (`NewsAnalyzer.postings`); other fields use their own
`index()`.
"""

from __future__ import annotations

from array import array
from contextlib import suppress
from typing import Any

from whoosh.analysis import IDTokenizer
from whoosh.codec import default_codec
from whoosh.codec.base import Segment
from whoosh.fields import ID, NUMERIC, FieldType
from whoosh.formats import Existence
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..internals import read_toc
from .analysis import NewsAnalyzer
from .packed_format import PackedCharacters, pack
from .schema import DayDATETIME
from .term_blocks import Postings, write_term

Fields = dict[str, Any]

# Estimated bytes per posting (document number, weight, value end) and per
# new term (its arrays, key and dictionary slot), for the memory budget.
POSTING_BYTES = 12
TERM_BYTES = 400
TERM_CACHE = 100_000  # remembered values per number or date field


class SegmentBuilder:
    """Writes added documents into new segments of `ix`, at most `limitmb` held in memory.

    The segments are not part of the index until `commit_segments` lists them.
    """

    def __init__(self, ix: FileIndex, limitmb: int) -> None:
        self._storage, self._indexname, self._schema = ix.storage, ix.indexname, ix.schema
        self._limit = limitmb * 1024 * 1024
        self._codec = default_codec()
        self._fast = {name for name, field in self._schema.items()
                      if isinstance(field.analyzer if field.indexed else None, NewsAnalyzer)
                      and type(field.format) is PackedCharacters and field.format.field_boost == 1.0
                      and field.scorable}
        self._stored = {name for name, field in self._schema.items() if field.stored}
        self._plain_ids = {name for name, field in self._schema.items()
                           if type(field) is ID and type(field.analyzer) is IDTokenizer
                           and type(field.format) is Existence
                           and field.format.field_boost == 1.0}
        self._term_cache: dict[str, dict[Any, list[tuple[bytes, int, float, bytes]]]] = {}
        self.segments: list[Segment] = []
        self._start()

    def _start(self) -> None:
        self._segment = self._codec.new_segment(self._storage, self._indexname)
        self._perdoc: Any = None  # opened by the segment's first document
        self._postings: dict[str, dict[Any, Postings]] = {}
        self._lengths: dict[str, array[int]] = {}
        self._docnum = 0
        self._bytes = 0

    def add(self, fields: Fields) -> None:
        """Add one document (field name -> value, as for Whoosh's `add_document`)."""
        docnum = self._docnum
        perdoc = self._perdoc
        if perdoc is None:
            perdoc = self._perdoc = self._codec.per_document_writer(self._storage,
                                                                    self._segment)
        perdoc.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = self._schema[name]
            if name in self._fast:
                length = self._add_text(name, field, value, docnum)
            elif field.indexed:
                length = self._add_terms(name, field, value, docnum)
            else:
                length = 0
            if length:
                self._length_column(name)[docnum] = byte_to_length(length_to_byte(length))
            perdoc.add_field(name, field, value if name in self._stored else None, length)
            column = field.column_type
            if column:
                perdoc.add_column_value(name, column, field.to_column_value(value))
        perdoc.finish_doc()
        self._docnum += 1
        if self._bytes >= self._limit:
            self.flush()

    def _table(self, name: str) -> dict[Any, Postings]:
        table = self._postings.get(name)
        if table is None:
            table = self._postings[name] = {}
        return table

    def _length_column(self, name: str) -> array[int]:
        lengths = self._lengths.get(name)
        if lengths is None:
            lengths = self._lengths[name] = array("I")
        missing = self._docnum + 1 - len(lengths)
        if missing > 0:
            lengths.frombytes(bytes(4 * missing))
        return lengths

    def _add_text(self, name: str, field: FieldType, value: str, docnum: int) -> int:
        table = self._table(name)
        length = added = 0
        for term, flat in field.analyzer.postings(value).items():
            postings = table.get(term)
            if postings is None:
                postings = table[term] = Postings()
                added += TERM_BYTES
            encoded, freq = pack(flat), len(flat) // 3
            postings.docs.append(docnum)
            postings.weights.append(freq)
            values = postings.values
            values += encoded
            postings.ends.append(len(values))
            length += freq
            added += POSTING_BYTES + len(encoded)
        self._bytes += added
        return length

    def _add_terms(self, name: str, field: FieldType, value: Any, docnum: int) -> int:
        table = self._table(name)
        length = 0
        for tbytes, freq, weight, encoded in self._terms(name, field, value):
            postings = table.get(tbytes)
            if postings is None:
                postings = table[tbytes] = Postings()
                self._bytes += TERM_BYTES
            postings.docs.append(docnum)
            postings.weights.append(weight)
            postings.values += encoded
            postings.ends.append(len(postings.values))
            if field.scorable:
                length += freq
            self._bytes += POSTING_BYTES + len(encoded)
        return length

    def _terms(self, name: str, field: FieldType,
               value: Any) -> list[tuple[bytes, int, float, bytes]]:
        """`field.index(value)`, without analysis for plain ids and remembered for
        numbers and dates (dates are indexed by their day: a corpus has few
        distinct days, and each makes eight terms)."""
        if name in self._plain_ids:
            return [(value.encode("utf-8"), 1, 1.0, b"")]
        if not isinstance(field, NUMERIC):
            return list(field.index(value))
        cache = self._term_cache.setdefault(name, {})
        key = field.day(value) if isinstance(field, DayDATETIME) else value
        terms = cache.get(key)
        if terms is None:
            if len(cache) >= TERM_CACHE:
                cache.clear()
            terms = cache[key] = list(field.index(value))
        return terms

    def flush(self) -> None:
        """Write what is held as one segment (nothing when no document was added)."""
        if not self._docnum:
            return
        self._perdoc.close()
        fieldwriter = self._codec.field_writer(self._storage, self._segment)
        for name in sorted(self._postings):
            field, table = self._schema[name], self._postings.pop(name)
            lengths = self._lengths.get(name, array("I"))
            fieldwriter.start_field(name, field)
            for term in sorted(table):
                btext = term.encode("utf-8") if isinstance(term, str) else term
                write_term(fieldwriter, btext, table.pop(term), lengths)
            fieldwriter.finish_field()
        fieldwriter.close()
        self._segment.set_doc_count(self._docnum)
        self.segments.append(self._segment)
        self._start()

    def cancel(self) -> None:
        """Stop without writing what is held (the files written so far stay orphans, for
        the caller to remove). Closing may fail again on a full disk: that is ignored,
        the first failure is the one reported."""
        if self._perdoc is not None and not self._perdoc.is_closed:
            with suppress(Exception):
                self._perdoc.close()


def commit_segments(ix: FileIndex, segments: list[Segment]) -> None:
    """Make `segments` the content of the (empty, unpublished) index `ix`: one TOC write."""
    toc = read_toc(ix)
    generation = toc.generation + 1
    TOC(ix.schema, segments, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, segments)
    ix.storage.temp_storage(f"{ix.indexname}.tmp").destroy()  # the builders' scratch folder
