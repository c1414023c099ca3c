"""Building a fresh index fast: documents go straight into Whoosh segments.

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

`build_segments` runs builders in worker processes fed by a bounded queue;
each worker writes its own segments (no final merge), and the caller commits
them all at once with `commit_segments`. Workers die with their parent.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import queue
import signal
from pickle import dumps
import traceback
import zlib
from array import array
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from typing import Any, Callable, Iterable, Iterator, Sequence

from whoosh.codec import default_codec
from whoosh.codec.base import Segment
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3PostingsWriter, W3TermInfo
from whoosh.analysis import IDTokenizer
from whoosh.fields import ID, NUMERIC, FieldType
from whoosh.formats import Existence
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.numlists import delta_encode

from .analysis import NewsAnalyzer
from .packed_format import SHORT, SHORT_LIMIT, PackedCharacters, pack, pack_one_short
from .schema import DayDATETIME

Fields = dict[str, Any]
Prepare = Callable[[Fields], Fields]  # run where the document is indexed (in its worker)


def _as_given(fields: Fields) -> Fields:
    return fields

# Estimated bytes per posting (document number, weight, value end) and per
# new term (its arrays, key and dictionary slot), for the memory budget.
POSTING_BYTES = 12
TERM_BYTES = 400
# Whoosh compresses every postings block (zlib level 3): for a term with
# few postings that costs more time than it saves bytes (a block of one
# posting does not shrink at all). The level is recorded per block, so
# Whoosh reads either kind.
COMPRESSION = 3
COMPRESS_FROM = 32  # postings: a smaller block costs more to compress than it saves
TERM_CACHE = 100_000  # remembered values per number or date field
BATCH = 64  # documents per message to a worker
POLL_SECONDS = 0.5  # how often a waiting worker checks that its parent lives


class Postings:
    """One term's postings in one segment: parallel arrays, in document order;
    the encoded values are concatenated, `ends` says where each stops."""

    __slots__ = ("docs", "weights", "values", "ends")

    def __init__(self) -> None:
        self.docs = array("I")
        self.weights = array("f")
        self.values = bytearray()
        self.ends = array("I")


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
            if len(flat) == 3 and flat[2] < SHORT_LIMIT:  # most words: found once
                encoded, freq = pack_one_short(SHORT, *flat), 1
            else:
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
            limit = fieldwriter._postwriter._blocklimit
            for term in sorted(table):
                btext = term.encode("utf-8") if isinstance(term, str) else term
                postings = table.pop(term)
                if len(postings.docs) <= limit:
                    _write_one_block_term(fieldwriter, btext, postings, lengths)
                    continue
                fieldwriter.start_term(btext)
                _write_postings(fieldwriter._postwriter, postings, lengths)
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        fieldwriter.close()
        self._segment.set_doc_count(self._docnum)
        self.segments.append(self._segment)
        self._start()

    def cancel(self) -> None:
        """Stop without writing what is held (the files written so far stay orphans)."""
        if self._perdoc is not None and not self._perdoc.is_closed:
            self._perdoc.close()


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


def commit_segments(ix: FileIndex, segments: list[Segment]) -> None:
    """Make `segments` the content of the (empty, unpublished) index `ix`: one TOC write."""
    toc = ix._read_toc()
    generation = toc.generation + 1
    TOC(ix.schema, segments, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, segments)
    ix.storage.temp_storage(f"{ix.indexname}.tmp").destroy()  # the builders' scratch folder


def build_segments(ix: FileIndex, documents: Iterable[Fields], procs: int,
                   limitmb: int, prepare: Prepare = _as_given) -> list[Segment]:
    """Write `documents` into new segments of `ix`, in `procs` processes, each
    with its own `limitmb` budget; returns the segments, not yet committed."""
    with collector_paused():
        if procs > 1:
            return _build_in_workers(ix, documents, procs, limitmb, prepare)
        builder = SegmentBuilder(ix, limitmb)
        try:
            for fields in documents:
                builder.add(prepare(fields))
            builder.flush()
        except BaseException:
            builder.cancel()
            raise
        return builder.segments


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the block.

    A build makes millions of small lists and tuples while the analysis
    caches hold hundreds of thousands of entries; every full collection walks
    them all, looking for reference cycles a build does not make. That was a
    tenth of a build's time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build_in_workers(ix: FileIndex, documents: Iterable[Fields], procs: int,
                      limitmb: int, prepare: Prepare) -> list[Segment]:
    context = multiprocessing.get_context()
    work: Any = context.Queue(maxsize=2 * procs)
    results: Any = context.Queue()
    workers = [context.Process(target=_worker,
                               args=(ix, limitmb, work, results, os.getpid(), prepare),
                               daemon=True) for _ in range(procs)]
    for worker in workers:
        worker.start()
    try:
        for batch in _batches(documents, BATCH):
            _put(work, batch, workers)
        for _ in workers:
            _put(work, None, workers)
        segments: list[Segment] = []
        for _ in workers:
            outcome, value = _get(results, workers)
            if outcome == "error":
                raise RuntimeError(f"an indexing process failed:\n{value}")
            segments.extend(value)
        for worker in workers:
            worker.join()
        return segments
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()
        work.close()
        results.close()


def _batches(documents: Iterable[Fields], size: int) -> Iterator[list[Fields]]:
    batch: list[Fields] = []
    for fields in documents:
        batch.append(fields)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _put(work: Any, item: object, workers: Sequence[BaseProcess]) -> None:
    while True:
        try:
            work.put(item, timeout=POLL_SECONDS)
            return
        except queue.Full:
            _check_alive(workers)


def _get(results: Any, workers: Sequence[BaseProcess]) -> tuple[str, Any]:
    while True:
        try:
            outcome: tuple[str, Any] = results.get(timeout=POLL_SECONDS)
            return outcome
        except queue.Empty:
            _check_alive(workers)


def _check_alive(workers: Sequence[BaseProcess]) -> None:
    for worker in workers:
        if worker.exitcode not in (None, 0):
            raise RuntimeError(f"an indexing process exited with code {worker.exitcode}")


def _worker(ix: FileIndex, limitmb: int, work: Any, results: Any, parent: int,
            prepare: Prepare) -> None:
    die_with_parent(parent)
    gc.disable()  # see collector_paused; the process ends with the build
    builder = SegmentBuilder(ix, limitmb)
    try:
        while True:
            batch = _next_batch(work, parent)
            if batch is None:
                break
            for fields in batch:
                builder.add(prepare(fields))
        builder.flush()
    except BaseException:
        builder.cancel()
        results.put(("error", traceback.format_exc()))
        return
    results.put(("done", builder.segments))


def _next_batch(work: Any, parent: int) -> list[Fields] | None:
    while True:
        try:
            batch: list[Fields] | None = work.get(timeout=POLL_SECONDS)
            return batch
        except queue.Empty:
            if not parent_alive(parent):
                os._exit(1)


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux), and exit
    now if the parent is already gone. Where the call is unavailable,
    `parent_alive` polling while waiting for work does the job."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if not parent_alive(parent):
        os._exit(1)


def parent_alive(parent: int) -> bool:
    if os.getppid() == parent:
        return True
    try:
        os.kill(parent, 0)  # another start method (forkserver): the parent is not ours
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

