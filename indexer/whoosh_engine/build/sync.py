"""Bringing the local index in step with the corpus.

What changed is worked out engine-free (`indexer.changes`): which articles are
new, changed or gone, and which sources could not be read this time (they keep
what the index has from them, `indexer.unread`). Here it is written: an update
of the live generation, or a rebuild into a fresh generation published
atomically. A write that fails (a full disk) leaves the index as it was and
raises IndexWriteFailed (`indexer.whoosh_engine.build.writer`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from whoosh.index import FileIndex

from indexer.changes import (
    Known,
    Progress,
    Run,
    Stage,
    changed_documents,
    checked_corpus,
    corpus_candidates,
    reporters,
    say_dropped,
    settle,
    with_signature,
)
from indexer.config import Config
from indexer.engine import LOCK_TIMEOUT
from indexer.errors import SeedsearchError
from indexer.records import SyncReport
from indexer.sources import Warn, ignore
from indexer.unread import Unread

from ..codec.integrity import closing_on_failure, damaged, describe
from ..store.generations import (
    check_index_folder,
    create_generation,
    current_generation,
    open_generation,
    publish,
    read_settings,
    remove_unused_generations,
    write_lock,
)
from ..store.index_settings import check_same_corpus, rebuild_reason, record_paths, recorded_config
from .bulk import build_segments, commit_segments
from .unread import carried_over, previous_generation
from .writer import WRITER_LIMIT_MB, LazyWriter, failed_writes, remove_orphan_files

SMALL_BUILD = 2_000  # documents: fewer are built in one process


@dataclass
class _Run(Run):
    """A sync of the local index: where it writes, how many processes a build uses."""

    index_dir: Path
    procs: int


def sync(config: Config, rebuild: bool = False, warn: Warn = ignore,
         progress: Progress | None = None, stage: Stage | None = None,
         lock_timeout: float = LOCK_TIMEOUT, procs: int | None = None) -> SyncReport:
    """Apply the corpus's changes to the index (building it when there is none).

    `stage` hears what the run is doing ("reading", "committing", ...). A run
    killed at any moment leaves the last commit readable; the next run
    finishes the job and removes what the killed one left behind. A run whose
    write fails (a full disk) removes what it wrote and raises IndexWriteFailed.

    A build into a new generation uses `procs` processes (default: one per
    core; one for a small corpus); an update of an existing index, one.
    """
    started = time.perf_counter()
    config = recorded_config(config)  # a corpus or language not given: the index's own
    corpus = checked_corpus(config)
    check_index_folder(config)  # never write into, or clean, a folder that is not ours
    report = SyncReport()
    warn_and_keep, skip = reporters(report, warn)
    run = _Run(corpus, report, warn_and_keep, skip, progress, stage or (lambda name: None),
               config.index, usable_procs(procs))
    with write_lock(config.index, lock_timeout), failed_writes(config.index):
        # A damaged CURRENT stops a plain run here, before any generation is removed:
        # the data may be intact, and only --rebuild decides to start again.
        reusable = None if rebuild else _reusable_generation(config, warn_and_keep)
        remove_unused_generations(config.index)
        if reusable is None:
            generation, ix = create_generation(config)
        else:
            generation, ix = reusable, open_generation(reusable)
        report.rebuilt = reusable is None
        run.say("reading")
        try:
            _apply(ix, run)
        finally:
            say_dropped(report, warn)
        if report.rebuilt:
            run.say("publishing")
            publish(generation)
    report.seconds = time.perf_counter() - started
    return report


def usable_procs(procs: int | None) -> int:
    """Processes for a build: `procs`, or by default one per core this process may use."""
    if procs is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else os.cpu_count() or 1
    return max(1, procs)


def _reusable_generation(config: Config, warn: Warn) -> Path | None:
    """The live generation, to be updated; None when a new one must be built (another
    language or schema version). CorpusMismatch when it holds another corpus: only
    --rebuild replaces it. An index that has not recorded its paths, or was moved
    with its corpus, learns them now."""
    generation = current_generation(config.index)
    if generation is None:
        return None
    built_with = read_settings(generation)
    check_same_corpus(config, built_with)
    reason = rebuild_reason(config, built_with)
    if reason is not None:
        warn(f"rebuilding the index: {reason}")
        return None
    record_paths(generation, config)
    return generation


def _apply(ix: FileIndex, run: _Run) -> None:
    if run.report.rebuilt:
        _build(ix, run)
        return
    known = known_documents(ix)
    unread = Unread(run.skip)
    writer = LazyWriter(ix)
    try:
        seen: set[str] = set()
        for replaces, fields in changed_documents(known, corpus_candidates(run, known, unread),
                                                   run, seen):
            if replaces:
                writer.get().update_document(**with_signature(fields))
            else:
                writer.get().add_document(**with_signature(fields))
        for doc_id in settle(unread, known, seen, run)[1]:
            writer.get().delete_by_term("id", doc_id)
            run.report.removed += 1
        if writer.opened:
            run.say("committing")
            writer.get().commit()
        else:
            remove_orphan_files(ix)
    except BaseException:
        writer.cancel()
        raise


def _build(ix: FileIndex, run: _Run) -> None:
    """Fill a new, empty generation: straight into segments (`bulk`), one commit at
    the end; several processes unless the corpus is small. What the generation it
    replaces holds of sources that cannot be read now is carried over."""
    unread = Unread(run.skip)
    total, candidates = corpus_candidates(run, {}, unread)
    seen: set[str] = set()
    added = (fields for _, fields in changed_documents({}, (total, candidates), run, seen))
    kept = _carried_over(unread, seen, run, set(ix.schema.names()))
    segments = build_segments(ix, chain(added, kept), 1 if total < SMALL_BUILD else run.procs,
                              WRITER_LIMIT_MB, prepare=with_signature, stage=run.say)
    run.say("committing")
    commit_segments(ix, segments)


def _carried_over(unread: Unread, seen: set[str], run: _Run,
                  names: Collection[str]) -> Iterator[dict[str, object]]:
    """After the corpus is read: the previous generation's documents from sources
    this run could not read (nothing is opened when every source was read)."""
    previous, known = previous_generation(run.index_dir, run.warn) if unread else (None, set())
    kept, _ = settle(unread, known, seen, run)
    if previous is not None:
        yield from carried_over(previous, kept, names)


def known_documents(ix: FileIndex) -> dict[str, Known]:
    """id -> source facts for every live document, read from columns only. These
    files are read outside the checks a searcher makes, so any failure to read them
    (a truncated column or terms file, garbled bytes) is reported as IndexDamaged."""
    folder = Path(ix.storage.folder)
    try:
        with closing_on_failure(ix.storage):  # Whoosh leaves files open when it fails
            return _known_documents(ix)
    except SeedsearchError:
        raise
    except Exception as error:  # Whoosh trusts its files: anything may come out of them
        raise damaged(folder, f"what it holds cannot be read ({describe(error)})") from error


def _known_documents(ix: FileIndex) -> dict[str, Known]:
    with ix.reader() as reader:
        if reader.doc_count() == 0:
            return {}
        ids = reader.column_reader("id")
        sizes = reader.column_reader("size")
        mtimes = reader.column_reader("mtime_ns")
        hashes = reader.column_reader("content_hash")
        return {ids[n]: Known(sizes[n], mtimes[n], hashes[n]) for n in reader.all_doc_ids()}
