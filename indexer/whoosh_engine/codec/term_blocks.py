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

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3PostingsWriter, W3TermInfo
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

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
    if len(postings.docs) <= fieldwriter._postwriter._blocklimit:
        _write_one_block_term(fieldwriter, btext, postings, lengths)
        return
    fieldwriter.start_term(btext)
    _write_postings(fieldwriter._postwriter, postings, lengths)
    fieldwriter.finish_term()


def _write_postings(writer: W3PostingsWriter, postings: Postings, lengths: array[int]) -> None:
    """Hand a term's postings to Whoosh's postings writer a block at a time;
    each block is written by Whoosh's own `_write_block` (the last one by
    `finish_term`)."""
    data = bytes(postings.values)
    count, limit = len(postings.docs), writer._blocklimit
    writer._compression = COMPRESSION if count >= COMPRESS_FROM else 0
    for first in range(0, count, limit):
        if first:
            writer._write_block()
        _fill_block(writer, postings, data, lengths, first, min(first + limit, count))


def _fill_block(writer: W3PostingsWriter, postings: Postings, data: bytes, lengths: array[int],
                first: int, last: int) -> None:
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
    writer._ids = ids
    writer._weights = postings.weights[first:last]
    writer._values = [data[start:end]
                      for start, end in zip(starts, ends[first:last], strict=True) if end > start]
    writer._maxweight = max(0, max(writer._weights))
    writer._minlength = min(doc_lengths) if doc_lengths else None
    writer._maxlength = max(doc_lengths) if doc_lengths else 0


def _write_one_block_term(fieldwriter: W3FieldWriter, btext: bytes, postings: Postings,
                          lengths: array[int]) -> None:
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
    writer = fieldwriter._postwriter
    writer._format = fieldwriter._format
    count = len(postings.docs)
    _fill_block(writer, postings, bytes(postings.values), lengths, 0, count)
    compression = COMPRESSION if count >= COMPRESS_FROM else 0
    data = dumps((writer._mini_ids(), writer._mini_weights(), writer._mini_values()), 2)
    if compression:
        data = zlib.compress(data, compression)
    docs, min_length, max_length = writer._ids, writer._minlength, writer._maxlength
    info = dumps((count, docs[-1], writer._maxweight, compression, length_to_byte(min_length),
                  length_to_byte(max_length)), 2)
    block = WHOOSH3_HEADER_MAGIC + pack_int(-(len(info) + len(data))) + info + data
    postfile = fieldwriter._postfile
    offset = postfile.tell()
    postfile.write(block)
    terminfo = _TERM_INFO.pack(False, sum(writer._weights), count,
                               0 if min_length is None else length_to_byte(min_length),
                               length_to_byte(max_length), writer._maxweight, docs[0], docs[-1])
    fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + btext,
                            terminfo + pack_long(offset) + pack_int(len(block)))


_TERM_INFO = W3TermInfo._struct
