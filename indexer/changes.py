"""What a sync has to do: the corpus's articles that are new, changed or gone.

The index is the record of what was read: each document keeps its source's
size, mtime and content hash (`Known`). A sync stats every file, reads only
those whose size or mtime changed, rewrites only those whose content changed,
and deletes documents whose files are gone; a source that cannot be read this
time keeps what the index has from it (`indexer.unread`). Every engine asks
the same questions of the corpus, so the answers are worked out here, from
what the engine says it holds; writing them is the engine's part.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .articles import Article
from .config import Config
from .errors import CorpusNotFound
from .hints import missing_corpus
from .minhash import signature
from .records import SyncReport
from .sources import (
    BadArticle,
    SourceFile,
    Warn,
    check_corpus,
    count_lines,
    is_jsonl,
    read_jsonl,
    read_text_file,
    scan_folder,
)
from .unread import Unread

Progress = Callable[[int, int], None]
Stage = Callable[[str], None]
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


@dataclass(frozen=True)
class Candidate:
    """A source seen in the corpus; `article` is None when it is unchanged."""

    id: str
    article: Article | None


@dataclass
class Run:
    """One sync: the corpus it reads, what it reports to."""

    corpus: Path
    report: SyncReport
    warn: Warn
    skip: Warn
    progress: Progress | None
    say: Stage

    def unread_source(self, message: str) -> None:
        if len(self.report.incomplete) < MAX_WARNINGS_KEPT:  # a million unreadable files
            self.report.incomplete.append(message)
        self.warn(message)


def checked_corpus(config: Config) -> Path:
    """The corpus to read; CorpusNotFound, saying where it was looked for, if it is not there."""
    try:
        return check_corpus(config.corpus)
    except CorpusNotFound as error:
        raise missing_corpus(config, error) from None


def reporters(report: SyncReport, warn: Warn) -> tuple[Warn, Warn]:
    """(warn, skip) for a run: `warn` told at most MAX_WARNINGS_SHOWN messages; the
    report keeps at most MAX_WARNINGS_KEPT and counts the rest (memory stays bounded
    whatever a file holds). `skip` also counts the article skipped."""
    def warn_and_keep(message: str) -> None:
        report.warnings_total += 1
        if len(report.warnings) < MAX_WARNINGS_KEPT:
            report.warnings.append(message)
        else:
            report.warnings_dropped += 1
        if report.warnings_total <= MAX_WARNINGS_SHOWN:
            warn(message)

    def skip(message: str) -> None:
        report.skipped += 1
        warn_and_keep(message)
    return warn_and_keep, skip


def say_dropped(report: SyncReport, warn: Warn) -> None:
    """Tell `warn`, once the run is over, how many warnings it was not told."""
    more = report.warnings_total - MAX_WARNINGS_SHOWN
    if more > 0:
        warn(f"… and {more:,} more warnings (first {MAX_WARNINGS_SHOWN} shown)")


def corpus_candidates(run: Run, known: dict[str, Known],
                      unread: Unread) -> tuple[int, Iterator[Candidate]]:
    """(how many sources, each of them): a file whose size and mtime are those the
    index knows is not read again."""
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


def changed_documents(known: dict[str, Known], candidates: tuple[int, Iterator[Candidate]],
                      run: Run, seen: set[str]) -> Iterator[tuple[bool, dict[str, object]]]:
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


def settle(unread: Unread, known: Collection[str], seen: set[str],
           run: Run) -> tuple[list[str], list[str]]:
    """(ids kept, ids deleted) of the indexed articles this run did not meet."""
    kept, deleted, messages = unread.settle(known, (i for i in known if i not in seen))
    run.report.kept += len(kept)
    for message in messages:
        run.unread_source(message)
    return kept, deleted


def document(article: Article) -> dict[str, object]:
    """The fields of an article, as every engine stores them; absent parts are left
    out, not stored as None."""
    fields: dict[str, object] = {
        "id": article.id, "title": article.title, "standfirst": article.standfirst,
        "body": article.body, "section": article.section, "date": article.date,
        "source": article.source, "url": article.url, "path": article.path,
        "size": article.size, "mtime_ns": article.mtime_ns,
        "content_hash": article.content_hash,
    }
    return {name: value for name, value in fields.items() if value is not None}


def with_signature(fields: dict[str, object]) -> dict[str, object]:
    """The fields plus the article's near-duplicate signature (`indexer.minhash`);
    a bulk build computes it in its worker processes."""
    text = " ".join(str(fields[name]) for name in ("title", "standfirst", "body") if name in fields)
    return {**fields, "minhash": signature(text)}
