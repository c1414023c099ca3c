"""Building a fresh index fast: one `SegmentBuilder` per core.

`build_segments` runs builders (`indexer.segment_builder`) in worker
processes fed by a bounded queue; each worker writes its own segments (no
final merge), and the caller commits them all at once with
`commit_segments`. Workers die with their parent.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import queue
import signal
import traceback
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from typing import Any, Callable, Iterable, Iterator, Sequence

from whoosh.codec.base import Segment
from whoosh.index import FileIndex

from .segment_builder import Fields, SegmentBuilder, commit_segments

__all__ = ["build_segments", "commit_segments", "collector_paused"]

Prepare = Callable[[Fields], Fields]  # run where the document is indexed (in its worker)
BATCH = 64  # documents per message to a worker
POLL_SECONDS = 0.5  # how often a waiting worker checks that its parent lives


def _as_given(fields: Fields) -> Fields:
    return fields


def build_segments(ix: FileIndex, documents: Iterable[Fields], procs: int,
                   limitmb: int, prepare: Prepare = _as_given) -> list[Segment]:
    """Write `documents` into new segments of `ix`, in `procs` processes, each
    with its own `limitmb` budget; returns the segments, not yet committed."""
    with collector_paused():
        if procs > 1:
            return _build_in_workers(ix, documents, procs, limitmb, prepare)
        return _build_in_process(ix, documents, limitmb, prepare)


def _build_in_process(ix: FileIndex, documents: Iterable[Fields], limitmb: int,
                      prepare: Prepare) -> list[Segment]:
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
            if outcome == "oserror":  # a full disk, say: the caller says what to do
                raise OSError(*value)
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
    with collector_paused():
        try:
            segments = _build_in_process(ix, _queued(work, parent), limitmb, prepare)
        except OSError as error:
            results.put(("oserror", (error.errno, error.strerror or str(error),
                                     error.filename)))
            return
        except BaseException:
            results.put(("error", traceback.format_exc()))
            return
    results.put(("done", segments))


def _queued(work: Any, parent: int) -> Iterator[Fields]:
    """The documents of the batches the parent queues, until it says there are no more."""
    while (batch := _next_batch(work, parent)) is not None:
        yield from batch


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

