"""Bringing the index in step with the corpus.

The index is the record of what was read: each document keeps its source's
size, mtime and content hash. A sync stats every file, reads only those whose
size or mtime changed, rewrites only those whose content changed, and deletes
documents whose files are gone. A rebuild writes a fresh generation and
publishes it atomically.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.index import FileIndex, LockError
from whoosh.writing import IndexWriter

from .articles import Article
from .bulk import build_segments, commit_segments
from .config import Config
from .errors import IndexLocked
from .duplicates import signature
from .sources import (BadArticle, SourceFile, Warn, check_corpus, count_lines, ignore,
                      is_jsonl, read_jsonl, read_text_file, scan_folder)
from .store import (LOCK_TIMEOUT, IndexSettings, create_generation, current_generation, publish,
                    read_settings, remove_unused_generations, write_lock)

Progress = Callable[[int, int], None]
Stage = Callable[[str], None]
WRITER_LIMIT_MB = 128
SMALL_BUILD = 2_000  # documents: fewer are built in one process


@dataclass(frozen=True)
class Known:
    """What the index holds about one document's source."""

    size: int
    mtime_ns: int
    content_hash: str


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.removed} removed, "
                f"{self.unchanged} unchanged, {self.skipped} skipped in {self.seconds:.1f} s")


def sync(config: Config, rebuild: bool = False, warn: Warn = ignore,
         progress: Progress | None = None, stage: Stage | None = None,
         lock_timeout: float = LOCK_TIMEOUT, procs: int | None = None) -> SyncReport:
    """Apply the corpus's changes to the index (building it when there is none).

    `stage` hears what the run is doing ("reading", "committing", ...). A run
    killed at any moment leaves the last commit readable; the next run
    finishes the job and removes what the killed one left behind.

    A build into a new generation uses `procs` processes (default: one per
    core; one for a small corpus); an update of an existing index, one.
    """
    started = time.perf_counter()
    corpus = check_corpus(config.corpus)
    report = SyncReport()
    say = stage or (lambda name: None)

    def warn_and_keep(message: str) -> None:
        report.warnings.append(message)
        warn(message)

    def skip(message: str) -> None:
        report.skipped += 1
        warn_and_keep(message)

    with write_lock(config.index, lock_timeout):
        remove_unused_generations(config.index)
        reusable = None if rebuild else _reusable_generation(config, warn_and_keep)
        if reusable is None:
            generation, ix = create_generation(config)
        else:
            generation, ix = reusable, whoosh_index.open_dir(str(reusable))
        report.rebuilt = reusable is None
        say("reading")
        _apply(ix, corpus, report, warn_and_keep, skip, progress, say, usable_procs(procs))
        if report.rebuilt:
            say("publishing")
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
    generation = current_generation(config.index)
    if generation is None:
        return None
    built_with = read_settings(generation)
    if built_with != IndexSettings.of(config):
        warn(f"index was built with {built_with}; rebuilding with {IndexSettings.of(config)}")
        return None
    return generation


def _apply(ix: FileIndex, corpus: Path, report: SyncReport, warn: Warn, skip: Warn,
           progress: Progress | None, say: Stage, procs: int = 1) -> None:
    if report.rebuilt:
        _build(ix, corpus, report, warn, skip, progress, say, procs)
        return
    known = known_documents(ix)
    writer = LazyWriter(ix)
    try:
        seen: set[str] = set()
        for replaces, fields in _changes(known, _candidates(corpus, known, warn, skip), report,
                                         skip, progress, seen):
            if replaces:
                writer.get().update_document(**with_signature(fields))
            else:
                writer.get().add_document(**with_signature(fields))
        for doc_id in known.keys() - seen:
            writer.get().delete_by_term("id", doc_id)
            report.removed += 1
        if writer.opened:
            say("committing")
            writer.get().commit()
        else:
            _remove_orphan_segments(ix)
    except BaseException:
        writer.cancel()
        raise


def _build(ix: FileIndex, corpus: Path, report: SyncReport, warn: Warn, skip: Warn,
           progress: Progress | None, say: Stage, procs: int) -> None:
    """Fill a new, empty generation: straight into segments (`indexer.bulk`), one
    commit at the end; several processes unless the corpus is small."""
    total, candidates = _candidates(corpus, {}, warn, skip)
    if total < SMALL_BUILD:
        procs = 1
    changes = _changes({}, (total, candidates), report, skip, progress, set())
    segments = build_segments(ix, (fields for _, fields in changes), procs, WRITER_LIMIT_MB,
                              prepare=with_signature)
    say("committing")
    commit_segments(ix, segments)


def _remove_orphan_segments(ix: FileIndex) -> None:
    """Files of segments no commit refers to: what a writer killed after its commit left.

    A writer that commits cleans these itself; a run with nothing to write
    does it here.
    """
    toc = ix._read_toc()
    whoosh_index.clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)


class LazyWriter:
    """Opens Whoosh's writer at the first change, so a run with none writes nothing."""

    def __init__(self, ix: FileIndex) -> None:
        self._ix = ix
        self._writer: IndexWriter | None = None

    @property
    def opened(self) -> bool:
        return self._writer is not None

    def get(self) -> IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._ix.writer(timeout=5.0, limitmb=WRITER_LIMIT_MB,
                                               compound=False)
            except LockError:
                raise IndexLocked("The index is locked by another writer.",
                                  "Wait for it to finish, then run the command again.") from None
        return self._writer

    def cancel(self) -> None:
        if self._writer is not None:
            self._writer.cancel()


def known_documents(ix: FileIndex) -> dict[str, Known]:
    """id -> source facts for every live document, read from columns only."""
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


def _candidates(corpus: Path, known: dict[str, Known], warn: Warn,
                skip: Warn) -> tuple[int, Iterator[Candidate]]:
    if is_jsonl(corpus):
        return count_lines(corpus), (Candidate(a.id, a) for a in read_jsonl(corpus, warn, skip))
    files = scan_folder(corpus, warn, skip)
    return len(files), _read_changed(files, known, warn, skip)


def _read_changed(files: Iterable[SourceFile], known: dict[str, Known], warn: Warn,
                  skip: Warn) -> Iterator[Candidate]:
    for source in files:
        before = known.get(source.id)
        if before and (before.size, before.mtime_ns) == (source.size, source.mtime_ns):
            yield Candidate(source.id, None)
            continue
        try:
            yield Candidate(source.id, read_text_file(source, warn))
        except BadArticle as error:
            skip(str(error))


def _changes(known: dict[str, Known], candidates: tuple[int, Iterator[Candidate]],
             report: SyncReport, skip: Warn, progress: Progress | None,
             seen: set[str]) -> Iterator[tuple[bool, dict[str, object]]]:
    """(replaces an indexed document?, fields) for each new or changed article,
    counted in `report`; the ids met are added to `seen`."""
    total, stream = candidates
    for done, candidate in enumerate(stream, start=1):
        if progress:
            progress(done, total)
        if candidate.id in seen:
            skip(f"{candidate.id}: skipped, another article already has this id")
            continue
        seen.add(candidate.id)
        article, before = candidate.article, known.get(candidate.id)
        if article is None or (before and before.content_hash == article.content_hash):
            report.unchanged += 1
        elif before:
            report.updated += 1
            yield True, document(article)
        else:
            report.added += 1
            yield False, document(article)


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
