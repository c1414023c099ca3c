"""Bringing the index in step with the corpus.

The index is the record of what was read: each document keeps its source's
size, mtime and content hash. A sync stats every file, reads only those whose
size or mtime changed, rewrites only those whose content changed, and deletes
documents whose files are gone. A rebuild writes a fresh generation and
publishes it atomically.

A source that cannot be read this time (`indexer.whoosh_engine.build.unread`) keeps the articles
the index has from it; a write that fails (a full disk) leaves the index as it
was and raises IndexWriteFailed (`indexer.whoosh_engine.build.writer`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator

from whoosh.index import FileIndex

from indexer.articles import Article
from .bulk import build_segments, commit_segments
from indexer.config import Config
from ..search.duplicates import signature
from indexer.errors import CorpusNotFound, SeedsearchError
from indexer.hints import missing_corpus
from indexer.records import SyncReport
from ..store.index_settings import check_same_corpus, rebuild_reason, record_paths, recorded_config
from ..codec.integrity import closing_on_failure, damaged, describe
from indexer.sources import (BadArticle, SourceFile, Warn, check_corpus, count_lines, ignore,
                      is_jsonl, read_jsonl, read_text_file, scan_folder)
from ..store.generations import (LOCK_TIMEOUT, check_index_folder, create_generation, current_generation,
                    open_generation, publish, read_settings, remove_unused_generations,
                    write_lock)
from .unread import Unread, carried_over, previous_generation
from .writer import WRITER_LIMIT_MB, LazyWriter, failed_writes, remove_orphan_files

Progress = Callable[[int, int], None]
Stage = Callable[[str], None]
SMALL_BUILD = 2_000  # documents: fewer are built in one process
# A tiny file can hold millions of bad records: the report keeps this many warnings
# and `warn` hears this many, then one line saying how many more there were.
MAX_WARNINGS_KEPT = 1_000
MAX_WARNINGS_SHOWN = 200


@dataclass(frozen=True)
class Known:
    """What the index holds about one document's source."""

    size: int
    mtime_ns: int
    content_hash: str


@dataclass
class _Run:
    """One sync: where it reads, what it reports to."""

    corpus: Path
    index_dir: Path
    report: SyncReport
    warn: Warn
    skip: Warn
    progress: Progress | None
    say: Stage
    procs: int

    def unread_source(self, message: str) -> None:
        if len(self.report.incomplete) < MAX_WARNINGS_KEPT:  # a million unreadable files
            self.report.incomplete.append(message)
        self.warn(message)


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
    try:
        corpus = check_corpus(config.corpus)
    except CorpusNotFound as error:
        raise missing_corpus(config, error) from None
    check_index_folder(config)  # never write into, or clean, a folder that is not ours
    report = SyncReport()
    say = stage or (lambda name: None)

    warn_and_keep = _capped_warnings(report, warn)

    def skip(message: str) -> None:
        report.skipped += 1
        warn_and_keep(message)

    run = _Run(corpus, config.index, report, warn_and_keep, skip, progress, say,
               usable_procs(procs))
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
        say("reading")
        try:
            _apply(ix, run)
        finally:
            _say_dropped(report, warn)
        if report.rebuilt:
            say("publishing")
            publish(generation)
    report.seconds = time.perf_counter() - started
    return report


def _capped_warnings(report: SyncReport, warn: Warn) -> Warn:
    """`warn`, told at most MAX_WARNINGS_SHOWN messages; the report keeps at most
    MAX_WARNINGS_KEPT and counts the rest (memory stays bounded whatever a file holds)."""
    def warn_and_keep(message: str) -> None:
        report.warnings_total += 1
        if len(report.warnings) < MAX_WARNINGS_KEPT:
            report.warnings.append(message)
        else:
            report.warnings_dropped += 1
        if report.warnings_total <= MAX_WARNINGS_SHOWN:
            warn(message)
    return warn_and_keep


def _say_dropped(report: SyncReport, warn: Warn) -> None:
    more = report.warnings_total - MAX_WARNINGS_SHOWN
    if more > 0:
        warn(f"… and {more:,} more warnings (first {MAX_WARNINGS_SHOWN} shown)")


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
        for replaces, fields in _changes(known, _candidates(run, known, unread), run, seen):
            if replaces:
                writer.get().update_document(**with_signature(fields))
            else:
                writer.get().add_document(**with_signature(fields))
        for doc_id in _settle(unread, known, seen, run)[1]:
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


def _settle(unread: Unread, known: Collection[str], seen: set[str],
            run: _Run) -> tuple[list[str], list[str]]:
    """(ids kept, ids deleted) of the indexed articles this run did not meet."""
    kept, deleted, messages = unread.settle(known, (i for i in known if i not in seen))
    run.report.kept += len(kept)
    for message in messages:
        run.unread_source(message)
    return kept, deleted


def _build(ix: FileIndex, run: _Run) -> None:
    """Fill a new, empty generation: straight into segments (`indexer.whoosh_engine.build.bulk`), one
    commit at the end; several processes unless the corpus is small. What the
    generation it replaces holds of sources that cannot be read now is carried over."""
    unread = Unread(run.skip)
    total, candidates = _candidates(run, {}, unread)
    seen: set[str] = set()
    changes = (fields for _, fields in _changes({}, (total, candidates), run, seen))
    kept = _carried_over(unread, seen, run, set(ix.schema.names()))
    segments = build_segments(ix, chain(changes, kept), 1 if total < SMALL_BUILD else run.procs,
                              WRITER_LIMIT_MB, prepare=with_signature, stage=run.say)
    run.say("committing")
    commit_segments(ix, segments)


def _carried_over(unread: Unread, seen: set[str], run: _Run,
                  names: Collection[str]) -> Iterator[dict[str, object]]:
    """After the corpus is read: the previous generation's documents from sources
    this run could not read (nothing is opened when every source was read)."""
    previous, known = previous_generation(run.index_dir, run.warn) if unread else (None, set())
    kept, _ = _settle(unread, known, seen, run)
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


@dataclass(frozen=True)
class Candidate:
    """A source seen in the corpus; `article` is None when it is unchanged."""

    id: str
    article: Article | None


def _candidates(run: _Run, known: dict[str, Known],
                unread: Unread) -> tuple[int, Iterator[Candidate]]:
    if is_jsonl(run.corpus):
        articles = read_jsonl(run.corpus, run.warn, run.skip,
                              unread.damaged_corpus(run.corpus.name))
        return count_lines(run.corpus), (Candidate(a.id, a) for a in articles)
    files = scan_folder(run.corpus, run.warn, run.skip, unread.damage)
    if not files and known and "" not in unread.folders:
        unread.empty_folder(str(run.corpus))
    return len(files), _read_changed(files, known, unread, run.warn)


def _read_changed(files: Iterable[SourceFile], known: dict[str, Known], unread: Unread,
                  warn: Warn) -> Iterator[Candidate]:
    for source in files:
        before = known.get(source.id)
        if before and (before.size, before.mtime_ns) == (source.size, source.mtime_ns):
            yield Candidate(source.id, None)
            continue
        try:
            yield Candidate(source.id, read_text_file(source, warn))
        except BadArticle as error:
            unread.file(source.id, error.reason)


def _changes(known: dict[str, Known], candidates: tuple[int, Iterator[Candidate]],
             run: _Run, seen: set[str]) -> Iterator[tuple[bool, dict[str, object]]]:
    """(replaces an indexed document?, fields) for each new or changed article,
    counted in the report; the ids met are added to `seen`."""
    total, stream = candidates
    report = run.report
    done = 0
    for done, candidate in enumerate(stream, start=1):
        if run.progress:
            run.progress(done, total)
        if candidate.id in seen:
            run.skip(f"{candidate.id}: skipped, another article already has this id")
            continue
        seen.add(candidate.id)
        article, before = candidate.article, known.get(candidate.id)
        if article is None or (before and before.content_hash == article.content_hash
                               and not _stale(before, article)):
            report.unchanged += 1
        elif before:
            report.updated += 1
            yield True, document(article)
        else:
            report.added += 1
            yield False, document(article)
    if run.progress and done != total:  # files skipped unread, blank lines: end it full
        run.progress(total, total)


def _stale(before: Known, article: Article) -> bool:
    """The same content, recorded with facts that make every sync read it again: a file
    that changed while it was read (mtime 0), or a big file's cut size recorded by an
    older version. Rewritten once with the real facts."""
    return before.mtime_ns == 0 or before.size != article.size


def document(article: Article) -> dict[str, object]:
    """The Whoosh fields of an article; absent parts are left out, not stored as None."""
    fields: dict[str, object] = {
        "id": article.id, "title": article.title, "standfirst": article.standfirst,
        "body": article.body, "section": article.section, "date": article.date,
        "source": article.source, "url": article.url, "path": article.path,
        "size": article.size, "mtime_ns": article.mtime_ns,
        "content_hash": article.content_hash,
    }
    return {name: value for name, value in fields.items() if value is not None}


def with_signature(fields: dict[str, object]) -> dict[str, object]:
    """The fields plus the article's near-duplicate signature (indexer/duplicates.py);
    a bulk build computes it in its worker processes."""
    text = " ".join(str(fields[name]) for name in ("title", "standfirst", "body") if name in fields)
    return {**fields, "minhash": signature(text)}
