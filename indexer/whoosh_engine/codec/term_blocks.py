"""A term's postings in a segment being built, and writing them as Whoosh W3 blocks.

The layout is Whoosh's own (`whoosh.codec.whoosh3`): what its postings
writer would write for the same postings, so Whoosh's reader reads it. Only
the way it is produced differs: a term's postings are handed over a block at
a time, and a term that fits in one block is written in one go.
"""

from __future__ import annotations

import zlib
from array import array
from pickle import dumps
from typing import TypeAlias

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3PostingsWriter
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

from ..internals import TERM_INFO_ROW

# Whoosh compresses every postings block (zlib level 3): for a term with
# few postings that costs more time than it saves bytes (a block of one
# posting does not shrink at all). The level is recorded per block, so
# Whoosh reads either kind.
COMPRESSION = 3
COMPRESS_FROM = 32  # postings: a smaller block costs more to compress than it saves


class Postings:
    """One term's postings in one segment: parallel arrays, in document order;
    the encoded values are concatenated, `ends` says where each stops."""

    __slots__ = ("docs", "weights", "values", "ends")

    def __init__(self) -> None:
        self.docs = array("I")
        self.weights = array("f")
        self.values = bytearray()
        self.ends = array("I")


def write_term(fieldwriter: W3FieldWriter, btext: bytes, postings: Postings,
               lengths: array[int]) -> None:
    """Write one term of the field being written, with its postings."""
    writer = fieldwriter._postwriter  # Whoosh 2.7.5 private: made by `start_field`
    if len(postings.docs) <= writer._blocklimit:  # Whoosh 2.7.5 private: postings per block
        _write_one_block_term(fieldwriter, writer, btext, postings, lengths)
        return
    fieldwriter.start_term(btext)
    _write_postings(writer, postings, lengths)
    fieldwriter.finish_term()


def _write_postings(writer: W3PostingsWriter, postings: Postings, lengths: array[int]) -> None:
    """Hand a term's postings to Whoosh's postings writer a block at a time;
    each block is written by Whoosh's own `_write_block` (the last one by
    `finish_term`)."""
    data = bytes(postings.values)
    count, limit = len(postings.docs), writer._blocklimit  # Whoosh 2.7.5 private: per block
    # Whoosh 2.7.5 private: the zlib level `_write_block` compresses with
    writer._compression = COMPRESSION if count >= COMPRESS_FROM else 0
    for first in range(0, count, limit):
        if first:
            writer._write_block()  # Whoosh 2.7.5 private: writes the buffer and empties it
        _fill_block(writer, postings, data, lengths, first, min(first + limit, count))


Block: TypeAlias = "tuple[array[int], array[float], float, int | None, int]"
"""A block's document numbers, weights, largest weight, smallest and largest
non-zero field length (None and 0 when no document has a length)."""


def _fill_block(writer: W3PostingsWriter, postings: Postings, data: bytes, lengths: array[int],
                first: int, last: int) -> Block:
    """Put postings `first` to `last` in the writer's block buffer: what
    `W3PostingsWriter.add_posting` does for one posting (append the id,
    weight and non-empty value, track the block's largest weight and its
    smallest and largest non-zero field length), done for a block at once."""
    ends = postings.ends
    ids = postings.docs[first:last]
    starts = ends[first - 1:last - 1] if first else [0, *ends[:last - 1]]
    known = len(lengths)
    doc_lengths = [length for length in (lengths[docnum] for docnum in ids if docnum < known)
                   if length]
    weights = postings.weights[first:last]
    values = [data[start:end]
              for start, end in zip(starts, ends[first:last], strict=True) if end > start]
    block = (ids, weights, max(0, max(weights)), min(doc_lengths) if doc_lengths else None,
             max(doc_lengths) if doc_lengths else 0)
    # Whoosh 2.7.5 private: W3PostingsWriter's block buffer, as `add_posting` leaves it
    (writer._ids, writer._weights, writer._maxweight, writer._minlength, writer._maxlength,
     writer._values) = (*block, values)
    return block


def _write_one_block_term(fieldwriter: W3FieldWriter, writer: W3PostingsWriter, btext: bytes,
                          postings: Postings, lengths: array[int]) -> None:
    """The bytes `start_term`, `add_posting` and `finish_term` of Whoosh's W3
    codec write for a term whose postings fill at most one block, written at
    once: most terms of a segment are in a handful of documents, and Whoosh's
    per-term bookkeeping (a term info object, four file writes) was a quarter
    of a build's time.

    Same layout as `W3PostingsWriter._write_block(last=True)`, with its own
    `_mini_*` encodings: the block header magic, the negative block length, the
    pickled block info and the pickled (delta ids, weights, values); then the
    term's info row.
    """
    writer._format = fieldwriter._format  # Whoosh 2.7.5 private: what `_mini_values` reads
    count = len(postings.docs)
    docs, weights, max_weight, min_length, max_length = _fill_block(
        writer, postings, bytes(postings.values), lengths, 0, count)
    compression = COMPRESSION if count >= COMPRESS_FROM else 0
    # Whoosh 2.7.5 private: the block's encodings, as `_write_block` makes them
    data = dumps((writer._mini_ids(), writer._mini_weights(), writer._mini_values()), 2)
    if compression:
        data = zlib.compress(data, compression)
    info = dumps((count, docs[-1], max_weight, compression, length_to_byte(min_length),
                  length_to_byte(max_length)), 2)
    block = WHOOSH3_HEADER_MAGIC + pack_int(-(len(info) + len(data))) + info + data
    postfile = fieldwriter._postfile  # Whoosh 2.7.5 private: the segment's postings file
    offset = postfile.tell()
    postfile.write(block)
    terminfo = TERM_INFO_ROW.pack(False, sum(weights), count,
                                  0 if min_length is None else length_to_byte(min_length),
                                  length_to_byte(max_length), max_weight, docs[0], docs[-1])
    # Whoosh 2.7.5 private: the terms index, keyed by the field's number and the term
    fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + btext,
                            terminfo + pack_long(offset) + pack_int(len(block)))
