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
from typing import Any

from whoosh.codec.whoosh3 import (WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3PostingsWriter,
                                  W3TermInfo)
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode

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
    """Hand a term's postings to Whoosh's postings writer a block at a time.

    What `W3PostingsWriter.add_posting` does for one posting (append the id,
    weight and non-empty value, track the block's largest weight and its
    smallest and largest non-zero field length), done here for a whole block
    at once; the block is then written by Whoosh's own `_write_block` (the
    last one by `finish_term`).
    """
    data = bytes(postings.values)
    docs, weights, ends = postings.docs, postings.weights, postings.ends
    known = len(lengths)
    limit = writer._blocklimit
    writer._compression = COMPRESSION if len(docs) >= COMPRESS_FROM else 0
    for first in range(0, len(docs), limit):
        if first:
            writer._write_block()
        last = min(first + limit, len(docs))
        ids = docs[first:last]
        starts = ends[first - 1:last - 1] if first else [0, *ends[:last - 1]]
        block_weights = weights[first:last]
        doc_lengths = [lengths[docnum] for docnum in ids if docnum < known]
        doc_lengths = [length for length in doc_lengths if length]
        writer._ids = ids
        writer._weights = block_weights
        writer._values = [data[start:end]
                          for start, end in zip(starts, ends[first:last], strict=True)
                          if end > start]
        writer._maxweight = max(0, max(block_weights))
        writer._minlength = min(doc_lengths) if doc_lengths else None
        writer._maxlength = max(doc_lengths) if doc_lengths else 0


def _write_one_block_term(fieldwriter: W3FieldWriter, btext: bytes, postings: Postings,
                          lengths: array[int]) -> None:
    """The bytes `start_term`, `add_posting` and `finish_term` of Whoosh's W3
    codec write for a term whose postings fill at most one block, written at
    once: most terms of a segment are in a handful of documents, and Whoosh's
    per-term bookkeeping (a term info object, a block buffer, four file
    writes) was a quarter of a build's time.

    Same layout as `W3PostingsWriter._write_block(last=True)`: the block
    header magic, the negative block length, the pickled block info and the
    pickled (delta ids, weights, values); then the term's info row.
    """
    docs, weights = postings.docs, postings.weights
    count = len(docs)
    known = len(lengths)
    doc_lengths = [lengths[docnum] for docnum in docs if docnum < known]
    doc_lengths = [length for length in doc_lengths if length]
    min_length = min(doc_lengths) if doc_lengths else None
    max_length = max(doc_lengths) if doc_lengths else 0
    max_weight = max(0, max(weights))
    compression = COMPRESSION if count >= COMPRESS_FROM else 0
    data = dumps((tuple(delta_encode(docs)), _mini_weights(weights),
                  _mini_values(fieldwriter._format, postings)), 2)
    if compression:
        data = zlib.compress(data, compression)
    info = dumps((count, docs[-1], max_weight, compression, length_to_byte(min_length),
                  length_to_byte(max_length)), 2)
    block = WHOOSH3_HEADER_MAGIC + pack_int(-(len(info) + len(data))) + info + data
    postfile = fieldwriter._postfile
    offset = postfile.tell()
    postfile.write(block)
    terminfo = _TERM_INFO.pack(False, sum(weights), count,
                               0 if min_length is None else length_to_byte(min_length),
                               length_to_byte(max_length), max_weight, docs[0], docs[-1])
    fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + btext,
                            terminfo + pack_long(offset) + pack_int(len(block)))


_TERM_INFO = W3TermInfo._struct


def _mini_weights(weights: array[float]) -> Any:
    """`W3PostingsWriter._mini_weights`."""
    if all(weight == 1.0 for weight in weights):
        return None
    if all(weight == weights[0] for weight in weights):
        return weights[0]
    return tuple(weights)


def _mini_values(format_: Any, postings: Postings) -> Any:
    """`W3PostingsWriter._mini_values` of a term's non-empty values."""
    data, ends = postings.values, postings.ends
    values = [bytes(data[start:end]) for start, end
              in zip([0, *ends[:-1]], ends, strict=True) if end > start]
    fixed = format_.fixed_value_size()
    if fixed is None or fixed < 0:
        return tuple(values)
    if fixed == 0:
        return None
    return b"".join(values)
