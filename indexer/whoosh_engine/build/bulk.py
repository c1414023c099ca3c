"""Building a fresh index fast: one `SegmentBuilder` per core.

`build_segments` runs builders (`indexer.whoosh_engine.codec.segment_builder`) in worker
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from typing import Any

from whoosh.codec.base import Segment
from whoosh.index import FileIndex

from ..codec.segment_builder import Fields, SegmentBuilder, commit_segments

__all__ = ["build_segments", "commit_segments", "collector_paused"]

Prepare = Callable[[Fields], Fields]  # run where the document is indexed (in its worker)
Stage = Callable[[str], None]
WRITING = "writing the index"  # the stage after the last document is handed over
BATCH = 64  # documents per message to a worker
POLL_SECONDS = 0.5  # how often a waiting process checks that the other side lives
STOP_SECONDS = 10.0  # how long a worker may take to exit before it is killed


def _as_given(fields: Fields) -> Fields:
    return fields


def _unheard(name: str) -> None:
    """The default `stage`: nobody listens."""


def build_segments(ix: FileIndex, documents: Iterable[Fields], procs: int,
                   limitmb: int, prepare: Prepare = _as_given,
                   stage: Stage = _unheard) -> list[Segment]:
    """Write `documents` into new segments of `ix`, in `procs` processes, each
    with its own `limitmb` budget; returns the segments, not yet committed.

    `stage` hears WRITING once every document is handed over: the builders'
    last segments are then written, seconds of work the count shows no sign of."""
    with collector_paused():
        if procs > 1:
            return _build_in_workers(ix, documents, procs, limitmb, prepare, stage)
        return _build_in_process(ix, documents, limitmb, prepare, stage)


def _build_in_process(ix: FileIndex, documents: Iterable[Fields], limitmb: int,
                      prepare: Prepare, stage: Stage = _unheard) -> list[Segment]:
    builder = SegmentBuilder(ix, limitmb)
    try:
        for fields in documents:
            builder.add(prepare(fields))
        stage(WRITING)
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
                      limitmb: int, prepare: Prepare, stage: Stage) -> list[Segment]:
    """Every wait here is bounded: a worker that fails or vanishes fails the build
    within `POLL_SECONDS`, and the `finally` leaves no process and no queue thread
    the interpreter would wait for at exit (a Ctrl+C included)."""
    context = multiprocessing.get_context()
    work: Any = context.Queue(maxsize=2 * procs)
    results: Any = context.Queue()
    workers = [context.Process(target=_worker,
                               args=(number, ix, limitmb, work, results, os.getpid(),
                                     prepare),
                               daemon=True) for number in range(procs)]
    crew = _Crew(workers, results)
    try:
        for worker in workers:
            worker.start()
        for batch in _batches(documents, BATCH):
            _put(work, batch, crew)
        for _ in workers:
            _put(work, None, crew)
        stage(WRITING)
        while not crew.finished():
            if not crew.receive(POLL_SECONDS):
                crew.check()
        for worker in workers:
            worker.join(timeout=STOP_SECONDS)
        return crew.segments()
    finally:
        _stop(workers, work, results)


class _Crew:
    """The workers and the final reports they sent: ("done", segments) or a failure."""

    def __init__(self, workers: Sequence[BaseProcess], results: Any) -> None:
        self.workers = workers
        self.results = results
        self.reports: dict[int, list[Segment]] = {}

    def finished(self) -> bool:
        return len(self.reports) == len(self.workers)

    def segments(self) -> list[Segment]:
        return [segment for number in sorted(self.reports) for segment in self.reports[number]]

    def receive(self, timeout: float) -> bool:
        """Take one report if one comes within `timeout`; a failure report raises:
        an OSError stays one, so the caller can say the disk is full."""
        try:
            number, outcome, value = self.results.get(timeout=timeout)
        except queue.Empty:
            return False
        if outcome == "oserror":
            raise OSError(*value)
        if outcome == "error":
            raise RuntimeError(f"an indexing process failed:\n{value}")
        self.reports[number] = value
        return True

    def check(self) -> None:
        """Raise if a worker exited, whatever its code, without its final report.

        A worker's exit waits for its queue's feeder thread to have written the
        report into the pipe, so an exited worker's report is readable now."""
        for number, worker in enumerate(self.workers):
            if worker.exitcode is None or number in self.reports:
                continue
            while number not in self.reports and self.receive(0):
                pass
            if number not in self.reports:
                raise RuntimeError(f"an indexing process exited with code {worker.exitcode} "
                                   "before it finished")


def _stop(workers: Sequence[BaseProcess], *queues: Any) -> None:
    """End the workers still running and let the interpreter exit without
    flushing what the queues still buffer (no process is left to read it)."""
    for channel in queues:
        channel.cancel_join_thread()
    started = [worker for worker in workers if worker.pid is not None]
    for worker in started:
        if worker.is_alive():
            worker.terminate()
    for worker in started:
        worker.join(timeout=STOP_SECONDS)
        if worker.is_alive():
            worker.kill()
            worker.join(timeout=STOP_SECONDS)
    for channel in queues:
        channel.close()


def _batches(documents: Iterable[Fields], size: int) -> Iterator[list[Fields]]:
    batch: list[Fields] = []
    for fields in documents:
        batch.append(fields)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _put(work: Any, item: object, crew: _Crew) -> None:
    """Queue `item`, failing as soon as a worker reports a failure or is gone:
    checked before every batch, not only when the queue is full, so a failed
    worker stops the build before the others index the rest for nothing."""
    while True:
        crew.receive(0)
        crew.check()
        try:
            work.put(item, timeout=POLL_SECONDS)
            return
        except queue.Full:
            pass


def _worker(number: int, ix: FileIndex, limitmb: int, work: Any, results: Any, parent: int,
            prepare: Prepare) -> None:
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl+C is the parent's to handle
    with collector_paused():
        try:
            segments = _build_in_process(ix, _queued(work, parent), limitmb, prepare)
        except OSError as error:
            results.put((number, "oserror", (error.errno, error.strerror or str(error),
                                             error.filename)))
            return
        except BaseException:
            results.put((number, "error", traceback.format_exc()))
            return
    results.put((number, "done", segments))


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

