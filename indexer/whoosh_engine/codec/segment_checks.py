"""Checking a segment's files before Whoosh reads them.

Whoosh 2.7.5 keeps no checksums, but each of its files implies sizes that a
damaged one rarely keeps: a column of values ends with one length per
document, and the lengths must add up to the bytes before them; fixed-width
columns hold whole rows, at most one per document, and at least up to the
last document with a value; the terms file ends with an index of its keys,
and the last term's postings end where the postings file ends. Checking this
reads a few bytes per document and per file, not the index.

What these checks cannot see: bytes changed in place without changing a size
(a flipped byte in a posting, a stored field or a date), a length or value
column missing only its last rows, and a column lost whose field is not also
indexed (the change-detection facts and the near-duplicate signatures: sync
then reads or rewrites more than it needs, no result changes).
"""

from __future__ import annotations

import struct
import sys
from array import array
from pathlib import Path

import numpy as np
from whoosh import columns
from whoosh.codec.base import Segment
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, W3TermInfo
from whoosh.fields import DATETIME, FieldType, Schema
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.filedb.structfile import StructFile
from whoosh.util.numeric import byte_to_length

from ..internals import (
    field_length_totals,
    fixed_length,
    key_position,
    numeric_typecode,
    wrapped_column,
)
from .integrity import BadLayout, damaged, missing, reading

TAIL_TERMS = 64  # terms looked at, from the last, to find where the postings file must end
VARBYTES_CODES = "bBhHiIlLqQ"
_DECODED = np.array([byte_to_length(byte) for byte in range(256)], dtype=np.int64)


def check_segment(folder: Path, sizes: dict[str, int], segment: Segment, schema: Schema) -> None:
    """Raise IndexDamaged when a file of `segment` is empty or the wrong size,
    FileNotFoundError (retried by the caller, then reported) when one is missing."""
    files = _SegmentFiles(folder, sizes, segment)
    if segment.is_compound():  # one .seg file holds the others
        files.need(".seg", nonempty=True)
        return
    docs = segment.doc_count_all()
    files.need(".pst")
    for name, last in _check_terms(files, schema).items():
        # Whoosh writes a field's column and its terms from the same value: an
        # indexed field with terms here has its column file here too, with a row
        # for the last document that has a number in it.
        if name in schema and schema[name].column_type is not None:
            values = files.need(f".{name}.col")
            if last is not None:
                _check_rows(files, values, schema[name].column_type, last)
    if docs:
        files.need("._stored.col", nonempty=True)
    # a field the segment records any length for has a length column
    for name, total in field_length_totals(segment).items():
        if total:
            lengths = files.need(f"._{name}_len.col", nonempty=True)
            with reading(folder, f"the column file {lengths}"):
                _check_lengths(folder / lengths, total)
    prefix = segment.segment_id() + "."
    for name, size in sizes.items():
        if name.startswith(prefix) and name.endswith(".col"):
            column = _column_type(name[len(prefix):-len(".col")], schema)
            if column is not None:
                with reading(folder, f"the column file {name}"):
                    _check_column(folder / name, size, column, docs)


class _SegmentFiles:
    """The files of one segment, as listed when the index was opened."""

    def __init__(self, folder: Path, sizes: dict[str, int], segment: Segment) -> None:
        self.folder, self.sizes, self.segment = folder, sizes, segment

    def name(self, ext: str) -> str:
        return str(self.segment.make_filename(ext))

    def need(self, ext: str, nonempty: bool = False) -> str:
        name = self.name(ext)
        if name not in self.sizes:
            raise missing(name)
        if nonempty and self.sizes[name] == 0:
            raise damaged(self.folder, f"{name} is empty")
        return name


def _column_type(column: str, schema: Schema) -> columns.Column | None:
    if column == "_stored":
        return STORED_COLUMN
    if column.startswith("_") and column.endswith("_len"):
        return LENGTHS_COLUMN
    if column in schema:
        return schema[column].column_type
    return None


def _check_column(path: Path, size: int, column: columns.Column, docs: int) -> None:
    while isinstance(column, columns.WrappedColumn):  # a pickle column over another
        column = wrapped_column(column)
    if isinstance(column, (columns.VarBytesColumn, columns.CompressedBytesColumn)):
        _check_varbytes(path, size, docs)
    elif isinstance(column, columns.FixedBytesColumn):
        _check_fixed(size, _row_width(column), docs)


def _row_width(column: columns.FixedBytesColumn) -> int:
    """A numeric column's rows are as wide as its typecode (native size, as its
    reader computes it); other fixed columns say their width."""
    if isinstance(column, columns.NumericColumn):
        return struct.calcsize(numeric_typecode(column))
    return fixed_length(column)


def _check_fixed(size: int, width: int, docs: int) -> None:
    """Whoosh writes fixed-width rows up to the last document with a value: a whole
    number of rows, at most one per document."""
    if size % width or size > width * docs:
        raise BadLayout(f"{size} bytes is not a whole number of {width}-byte rows, "
                        f"at most one for each of {docs} documents")


def _check_varbytes(path: Path, size: int, docs: int) -> None:
    """Whoosh 2.7.5's VarBytesColumn layout: the values, one length per document,
    (optionally one offset per document), then the arrays' typecodes (and "X").
    The lengths must add up to exactly the bytes left for the values."""
    with open(path, "rb") as handle:
        tail_size = min(size, 3 + docs * 16)
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
    if not tail:
        raise EOFError
    trailer, offsets_width = 1, 0
    lengths_code = chr(tail[-1])
    if lengths_code == "X":
        lengths_code, offsets_code = chr(tail[-3]), chr(tail[-2])
        offsets_width = _item_size(offsets_code)
        trailer = 3 + docs * offsets_width
    width = _item_size(lengths_code)
    start = len(tail) - trailer - docs * width
    if start < 0:
        raise EOFError
    lengths = array(lengths_code, tail[start:start + docs * width])
    if sys.byteorder == "little":  # Whoosh writes arrays big-endian
        lengths.byteswap()
    expected = sum(lengths) + docs * width + trailer
    if expected != size:
        raise BadLayout(f"it has {size} bytes where its lengths say {expected}")


def _check_lengths(path: Path, total: int) -> None:
    """A length column's lengths, decoded, add up to at least the total the segment
    records: Whoosh rounds each length up to the next value a byte can encode
    (`length_to_byte`), except lengths past the largest one (byte 255). A column
    truncated or zeroed falls short of it."""
    stored = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    if (stored == 255).any():
        return
    decoded = int(_DECODED[stored].sum())
    if decoded < total:
        raise BadLayout(f"its lengths add up to {decoded}, less than the {total} "
                        "its segment records")


def _item_size(code: str) -> int:
    if code not in VARBYTES_CODES:
        raise BadLayout(f"its last bytes name no array type ({code!r})")
    return array(code).itemsize


def _check_terms(files: _SegmentFiles, schema: Schema) -> dict[str, int | None]:
    """The terms file's own layout, and that the last term's postings end where the
    postings file ends (Whoosh writes postings in term order). Returns the fields
    that have terms, each with the last document holding a number in it (numeric
    fields) or None."""
    name, postings = files.need(".trm", nonempty=True), files.name(".pst")
    with reading(files.folder, f"the terms file {name}"):
        with open(files.folder / name, "rb") as handle:
            terms = OrderedHashReader(StructFile(handle), files.sizes[name])
            _check_terms_layout(terms, files.sizes[name])
            end = _postings_end(terms)
            fields = {field: _last_numbered(terms, number, schema[field] if field in schema
                                            else None)
                      for field, number in terms.extras.get("fieldmap", {}).items()}
    if end is not None and end != files.sizes[postings]:
        raise damaged(files.folder, f"the postings file {postings} cannot be read (it has "
                                    f"{files.sizes[postings]} bytes where its terms say {end})")
    return fields


def _check_rows(files: _SegmentFiles, name: str, column: columns.Column, last: int) -> None:
    if isinstance(column, columns.FixedBytesColumn):
        rows = files.sizes[name] // _row_width(column)
        if rows <= last:
            raise damaged(files.folder, f"the column file {name} cannot be read (it has "
                                        f"{rows} rows, but document {last} has a value)")


def _last_numbered(terms: OrderedHashReader, field_number: int, field: FieldType | None
                   ) -> int | None:
    """The last document with a date, for a date field; None for other fields.

    Whoosh 2.7.5 indexes a number once per tier (`shift_step`), each term
    prefixed by its shift; every document with a number has exactly one term in
    the coarsest tier, which sorts last in the field: those few terms' largest
    document number is the last document with a number. Only dates are checked:
    a date column's default (the largest 64-bit value) is no real date, so
    every dated document has a row, while a number equal to its column's
    default leaves none.
    """
    if not isinstance(field, DATETIME) or not field.shift_step:
        return None
    top = max(range(0, field.bits, field.shift_step))
    prefix = struct.pack("!H", field_number) + bytes([top])
    number, last = _first_key_after(terms, struct.pack("!H", field_number + 1)) - 1, None
    for _ in range(TAIL_TERMS):
        found = terms.key_and_range_at(key_position(terms, number)) if number >= 0 else None
        if found is None or not found[0].startswith(prefix):
            break
        highest = W3TermInfo.from_bytes(terms.dbfile.get(found[1], found[2])).max_id()
        if highest is not None:
            last = highest if last is None else max(last, highest)
        number -= 1
    return last


def _first_key_after(terms: OrderedHashReader, key: bytes) -> int:
    """The number of the first key not below `key` (indexlen when none is)."""
    low, high = 0, terms.indexlen
    while low < high:
        middle = (low + high) // 2
        if terms.key_at(key_position(terms, middle)) < key:
            low = middle + 1
        else:
            high = middle
    return low


def _check_terms_layout(terms: OrderedHashReader, size: int) -> None:
    # Whoosh 2.7.5's OrderedHashReader: the sorted index of key positions
    # (`indexbase`, `indexlen`, `indexsize`) ends where the file's last int begins.
    if terms.indexbase + terms.indexlen * terms.indexsize != size - 4:
        raise BadLayout("its index of terms does not end where the file ends")
    if terms.indexlen:
        last = terms.key_and_range_at(key_position(terms, terms.indexlen - 1))
        if last is None or last[1] + last[2] != terms.endofdata:
            raise BadLayout("its last term does not end where its hash tables begin")


def _postings_end(terms: OrderedHashReader) -> int | None:
    """Where the last term stored in the postings file ends; None when none is."""
    for number in range(terms.indexlen - 1, max(-1, terms.indexlen - 1 - TAIL_TERMS), -1):
        found = terms.key_and_range_at(key_position(terms, number))
        if found is None:
            raise BadLayout("a term points past the end of the terms")
        _, start, length = found
        info = W3TermInfo.from_bytes(terms.dbfile.get(start, length))
        if not info.is_inlined():
            offset, extent = info.extent()
            # Whoosh 2.7.5's from_bytes leaves the length as a 1-tuple
            return int(offset) + int(extent[0] if isinstance(extent, tuple) else extent)
    return None
