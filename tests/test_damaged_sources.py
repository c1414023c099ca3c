"""Sources that cannot be read never delete articles; any file system; a full disk.

A corpus file read only in part (truncated, a copy in progress), a folder that
cannot be listed, a known file that cannot be read now: the articles indexed
from them are kept, with a warning and an entry in `report.incomplete`. Odd
names and odd files (FIFOs, sockets) never stop a run; huge records are not
held in memory; a failed write leaves the index as it was.
"""

from __future__ import annotations

import ctypes
import gzip
import json
import multiprocessing
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest

from indexer import Config, SeedsearchError, sources, watch
from indexer.changes import MAX_WARNINGS_KEPT, MAX_WARNINGS_SHOWN
from indexer.errors import IndexDamaged
from indexer.jsonl import MAX_RECORD_BYTES, read_jsonl
from indexer.sources import MAX_ARTICLE_BYTES
from indexer.watch import WatcherHealth, follow
from indexer.whoosh_engine import WhooshEngine, open_index, sync
from indexer.whoosh_engine.build.sync import known_documents
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.store.generations import current_generation
from indexer.whoosh_engine.store.readers import reading

from .helpers import CORPORA, ROOT, STORIES, copy_of, needs_shared, poll, write, write_version


def doc_count(config: Config) -> int:
    with reading(config) as searcher:
        return searcher.doc_count()


def stored(config: Config) -> dict[str, dict]:
    with reading(config) as searcher:
        return {fields["id"]: fields for fields in searcher.all_stored_fields()}


def found(config: Config, words: str) -> list[str]:
    with reading(config) as searcher:
        return [hit.id for hit in search(searcher, words, per_page=100).hits]


def record(number: int, version: int = 1) -> dict:
    # varied words, so that gzip cannot squeeze many records into a few bytes
    words = " ".join(f"w{(number * 7919 + k * 104729) % 100003}" for k in range(60))
    return {"id": f"r{number:04d}", "title": f"Record {number} version {version}",
            "text": f"Body of record {number}. {words}"}


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")


# --- a corpus file that cannot be read to its end --------------------------

def test_truncated_jsonl_gz_keeps_every_article_and_applies_what_it_read(tmp_path):
    corpus = tmp_path / "corpus.jsonl.gz"
    corpus.write_bytes(gzip.compress(jsonl([record(n) for n in range(300)])))
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    changed = [record(0, version=2)] + [record(n) for n in range(1, 300)]
    data = gzip.compress(jsonl(changed))
    corpus.write_bytes(data[:len(data) // 3])  # a copy in progress

    warnings: list[str] = []
    report = sync(config, warn=warnings.append)

    assert doc_count(config) == 300
    assert stored(config)["r0000"]["title"] == "Record 0 version 2"  # read before the damage
    assert report.updated == 1 and report.removed == 0
    assert report.kept == 300 - report.unchanged - report.updated > 0
    assert len(report.incomplete) == 1 and report.incomplete[0].startswith("corpus.jsonl.gz:")
    assert f"{report.kept:,} articles indexed from the rest are kept" in report.incomplete[0]
    assert report.incomplete[0] in warnings
    assert f"{report.kept:,} kept (source unreadable)" in report.summary()


def test_plain_jsonl_cut_inside_a_record_keeps_every_article(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(jsonl([record(n) for n in range(50)]))
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    data = corpus.read_bytes()
    corpus.write_bytes(data[:len(data) // 2])  # ends inside a record, no final line break

    report = sync(config)
    assert doc_count(config) == 50
    assert report.removed == 0 and report.kept == 50 - report.unchanged
    assert "ends inside a record" in report.incomplete[0]


def test_jsonl_emptied_by_a_copy_in_progress_keeps_every_article(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(jsonl([record(n) for n in range(20)]))
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    corpus.write_bytes(b"")  # `cp` truncates the target first

    report = sync(config)
    assert (doc_count(config), report.kept, report.removed) == (20, 20, 0)
    assert "holds no articles" in report.incomplete[0]


def test_jsonl_changing_while_read_keeps_what_it_did_not_reach(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(jsonl([record(n) for n in range(3)]))
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    corpus.write_bytes(jsonl([record(0)]))  # a copy that has written one record so far

    def copier_goes_on(done: int, total: int) -> None:
        if done == 1:
            with corpus.open("ab") as out:
                out.write(jsonl([record(1)]))

    report = sync(config, progress=copier_goes_on)
    assert doc_count(config) == 3  # record 2, not reached, is kept
    assert (report.removed, report.kept) == (0, 1)
    assert "changed while it was read" in report.incomplete[0]


def test_rebuild_carries_over_what_it_cannot_read_now(tmp_path):
    records = [{**record(n), "date": f"2013-05-{n % 28 + 1:02d}T10:12:00", "section": "world",
                "url": f"https://example.com/{n}"} for n in range(300)]
    corpus = tmp_path / "corpus.jsonl.gz"
    corpus.write_bytes(gzip.compress(jsonl(records)))
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    before, facts = stored(config), known_documents(open_index(config))
    data = corpus.read_bytes()
    corpus.write_bytes(data[:len(data) // 3])

    report = sync(config, rebuild=True)

    assert report.rebuilt and report.kept == 300 - report.added > 0
    assert stored(config) == before  # every field of every article, as it was
    after = known_documents(open_index(config))
    assert {i: (f.size, f.content_hash) for i, f in after.items()} == \
        {i: (f.size, f.content_hash) for i, f in facts.items()}
    assert sum(after[i] == facts[i] for i in facts) == report.kept  # those read: a new mtime
    assert found(config, "record 299")[0] == "r0299"


def test_reuters_truncated_to_a_tenth_keeps_every_article(tmp_path):
    shared = needs_shared(CORPORA / "reuters21578" / "corpus.jsonl.gz")
    corpus = Path(shutil.copy(shared, tmp_path / "corpus.jsonl.gz"))
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    before = doc_count(config)
    os.truncate(corpus, corpus.stat().st_size // 10)

    report = sync(config)

    assert doc_count(config) == before
    assert report.removed == 0
    assert report.kept == before - report.unchanged > 0.8 * before
    assert [m for m in report.incomplete if m.startswith("corpus.jsonl.gz:")]


# --- folders that cannot be listed, files that cannot be read --------------

def without_root_privileges() -> None:
    """For a child process: drop the capabilities that let root read any file
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from the bounding set before exec,
    so that permissions apply to it as to any user. Tests run as root here and
    root reads a chmod 000 folder as if nothing were wrong; a real user cannot."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


SYNC_AND_REPORT = ("import json, sys; from pathlib import Path; "
                   "from indexer import Config, open_engine; "
                   "c = Config(corpus=Path(sys.argv[1]), index=Path(sys.argv[2])); "
                   "r = open_engine(c).sync(); "
                   "print(json.dumps({'kept': r.kept, 'removed': r.removed, "
                   "'incomplete': r.incomplete}))")


def sync_as_a_user(config: Config) -> dict:
    done = subprocess.run([sys.executable, "-c", SYNC_AND_REPORT, str(config.corpus),
                           str(config.index)], capture_output=True, text=True, cwd=ROOT,
                          preexec_fn=without_root_privileges, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def unreadable_for_users(path: Path) -> None:
    path.chmod(0)
    probe = subprocess.run(["ls", str(path)], capture_output=True,
                           preexec_fn=without_root_privileges)
    if probe.returncode == 0 and path.is_dir():
        pytest.skip("permissions do not apply here, not even without root's capabilities")


@pytest.fixture
def sections(tmp_path) -> Config:
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    for number in range(3):
        write(config.corpus, f"sport/{number}.txt", f"Match {number}\n\nA match report.")
    write(config.corpus, "news/a.txt", "Harbour news\n\nThe harbour reopened.")
    write(config.corpus, "top.txt", "Top story\n\nA top story.")
    sync(config)
    return config


def test_folder_that_cannot_be_listed_keeps_its_articles(sections):
    folder = sections.corpus / "sport"
    try:
        unreadable_for_users(folder)
        report = sync_as_a_user(sections)
    finally:
        folder.chmod(0o755)
    assert (report["kept"], report["removed"]) == (3, 0)
    assert [m for m in report["incomplete"] if m.startswith("sport/: cannot list it")]
    assert doc_count(sections) == 5

    shutil.rmtree(folder)  # a folder really deleted: its articles go
    report = sync(sections)
    assert (report.removed, report.kept, doc_count(sections)) == (3, 0, 2)


def test_known_file_that_cannot_be_read_keeps_its_article(sections):
    path = sections.corpus / "top.txt"
    path.write_text("Top story\n\nA top story, edited.")  # changed: it must be read again
    try:
        unreadable_for_users(path)
        report = sync_as_a_user(sections)
    finally:
        path.chmod(0o644)
    assert (report["kept"], report["removed"]) == (1, 0)
    assert report["incomplete"][0].startswith("top.txt: cannot read it (Permission denied)")
    assert stored(sections)["top.txt"]["body"] == "A top story."
    assert sync(sections).updated == 1


def test_known_file_emptied_for_now_keeps_its_article(sections):
    path = sections.corpus / "news" / "a.txt"
    path.write_bytes(b"")  # a copy in progress
    report = sync(sections)
    assert (report.kept, report.removed, report.skipped) == (1, 0, 0)
    assert "news/a.txt: it is empty" in report.incomplete[0]
    assert found(sections, "harbour") == ["news/a.txt"]

    path.write_text("Harbour news\n\nThe harbour closed again.")
    report = sync(sections)
    assert (report.updated, report.incomplete) == (1, [])
    assert stored(sections)["news/a.txt"]["body"] == "The harbour closed again."


def test_file_gone_between_scan_and_read_is_kept_until_the_next_run(sections):
    for name in ("news/a.txt", "top.txt"):  # both changed, so both are read
        path = sections.corpus / name
        path.write_text(path.read_text() + "\nMore.")

    def delete_top(done: int, total: int) -> None:
        (sections.corpus / "top.txt").unlink(missing_ok=True)  # after news/a.txt is read

    report = sync(sections, progress=delete_top)
    assert (report.kept, report.removed) == (1, 0)
    report = sync(sections)
    assert (report.removed, report.kept, doc_count(sections)) == (1, 0, 4)


# --- any file system --------------------------------------------------------

def test_undecodable_file_name_is_indexed_under_a_safe_id(tmp_path):
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    config.corpus.mkdir()
    with open(os.fsencode(config.corpus) + b"/caf\xe9.txt", "wb") as out:  # not UTF-8
        out.write(b"Cafe reopens\n\nThe cafe reopened with zeppelin coffee.")
    write(config.corpus, "good.txt", "Good news\n\nA good day.")
    warnings: list[str] = []

    report = sync(config, warn=warnings.append)

    assert (report.added, report.skipped) == (2, 0)
    assert found(config, "zeppelin") == ["caf\\xe9.txt"]
    assert stored(config)["caf\\xe9.txt"]["path"].endswith("/corpus/caf\\xe9.txt")
    assert [w for w in warnings if w.startswith("caf\\xe9.txt:") and "UTF-8" in w]
    assert sync(config).unchanged == 2  # the same id at every run


def index_in_a_subprocess(config: Config) -> subprocess.CompletedProcess:
    """`seedsearch index`, with a timeout: a run that hangs fails instead of blocking."""
    return subprocess.run(
        [sys.executable, "-m", "indexer", "index", "--corpus", str(config.corpus),
         "--index", str(config.index)], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_fifo_and_socket_are_skipped_and_the_run_finishes(tmp_path):
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(config.corpus, "good.txt", "Good news\n\nA good day.")
    os.mkfifo(config.corpus / "x.txt")  # opening it to read would wait for a writer
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(config.corpus / "sock.txt"))
        done = index_in_a_subprocess(config)
    assert done.returncode == 0, done.stderr
    assert "x.txt: skipped, it is a FIFO, not a regular file" in done.stderr
    assert "sock.txt: skipped, it is a socket, not a regular file" in done.stderr
    assert set(stored(config)) == {"good.txt"}


def test_device_is_skipped_without_being_opened(tmp_path):
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(config.corpus, "good.txt", "Good news\n\nA good day.")
    try:  # /dev/zero's numbers: reading it would never end
        os.mknod(config.corpus / "zero.txt", stat.S_IFCHR | 0o644, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("this system does not let us make a device node")
    warnings: list[str] = []
    report = sync(config, warn=warnings.append)
    assert (report.added, report.skipped) == (1, 1)
    assert "zero.txt: skipped, it is a character device, not a regular file" in warnings


def test_fifo_put_in_place_of_a_scanned_file_is_not_waited_for(tmp_path):
    script = ("import os, sys; from pathlib import Path; "
              "from indexer.sources import BadArticle, SourceFile, read_text_file\n"
              "path = Path(sys.argv[1]); os.mkfifo(path)\n"
              "try: read_text_file(SourceFile('x.txt', path, 10, 0))\n"
              "except BadArticle as error: print(error)")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "x.txt")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "x.txt: skipped, it is a FIFO, not a regular file"


def test_huge_jsonl_record_is_skipped_without_being_held(tmp_path):
    path = tmp_path / "corpus.jsonl"
    huge = {"id": "huge", "title": "Huge", "text": "word " * (49 * 2**20 // 5)}
    with path.open("wb") as out:
        out.write(jsonl([record(1)]))
        out.write(json.dumps(huge).encode() + b"\n")
        out.write(jsonl([record(2)]))
    skipped: list[str] = []
    tracemalloc.start()
    try:
        ids = [article.id for article in read_jsonl(path, skip=skipped.append)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ids == ["r0001", "r0002"]
    size = len(json.dumps(huge)) + 1
    assert skipped == [f"corpus.jsonl:2: skipped, the record is {size:,} bytes, over the 8 MB "
                       "one record may have"]
    assert peak < 3 * MAX_RECORD_BYTES < 49 * 2**20  # never the whole 49 MB line


def test_jsonl_record_over_the_article_cap_is_cut_with_a_warning(tmp_path):
    text = "cargo manifest entry " * (3 * 2**20 // 21)
    config = Config(corpus=write(tmp_path, "corpus.jsonl", jsonl(
        [{"id": "big", "title": "Port log", "text": text}, record(1)])), index=tmp_path / "index")
    warnings: list[str] = []
    report = sync(config, warn=warnings.append)
    assert report.added == 2
    assert [w for w in warnings if w.startswith("corpus.jsonl:1:") and "first" in w]
    body = stored(config)["big"]["body"]
    assert 0 < len(body.encode("utf-8")) <= MAX_ARTICLE_BYTES and text.startswith(body)


def test_hostile_jsonl_records_are_skipped_or_mended(tmp_path):
    corpus = write(tmp_path, "corpus.jsonl", "\n".join([
        "[" * 200_000,  # json.loads: RecursionError
        json.dumps({"id": "caf\udce9", "title": "Lone surrogate", "text": "Odd id."}),
        json.dumps({"id": "old", "title": "Year one", "text": "x",
                    "date": "0001-01-01T00:00:00+01:00"}),  # before datetime.min in UTC
        json.dumps({"id": "fine", "title": "Fine", "text": "A fine record."}),
    ]) + "\n")
    config = Config(corpus=corpus, index=tmp_path / "index")
    report = sync(config)
    assert (report.added, report.skipped) == (3, 1)
    assert set(stored(config)) == {"caf?", "old", "fine"}


def test_big_file_is_not_read_again_at_every_sync(tmp_path):
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    path = write(config.corpus, "big.txt", "Port log\n\n" + "ledger line\n" * (3 * 2**20 // 12))
    sync(config)
    known = known_documents(open_index(config))["big.txt"]
    assert (known.size, known.mtime_ns) == (path.stat().st_size, path.stat().st_mtime_ns)
    report = sync(config)
    assert (report.unchanged, report.updated) == (1, 0)


def test_file_changed_after_the_scan_is_read_again_next_time(tmp_path):
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(config.corpus, "a.txt", "First\n\nThe first article.")
    path = write(config.corpus, "b.txt", "Second\n\nThe second article.")
    warnings: list[str] = []

    def writer_appends(done: int, total: int) -> None:
        if done == 1:  # a.txt read; b.txt scanned but not read yet
            with path.open("a") as out:
                out.write(" Appended.")

    sync(config, warn=warnings.append, progress=writer_appends)
    assert "b.txt: changed while it was read; it is read again at the next sync" in warnings
    assert known_documents(open_index(config))["b.txt"].mtime_ns == 0
    report = sync(config)
    assert report.updated == 1  # read again, its real mtime recorded
    assert known_documents(open_index(config))["b.txt"].mtime_ns == path.stat().st_mtime_ns
    assert sync(config).unchanged == 2


# --- a full disk --------------------------------------------------------------

def limited_file_size(limit: int):
    """For a child process: writes past `limit` bytes fail with EFBIG (SIGXFSZ ignored),
    as a full disk makes them fail with ENOSPC."""
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def files_of(config: Config) -> set[str]:
    """Every file and folder of the index; Whoosh's lock file, made by every update
    and left in place, aside."""
    return {p.relative_to(config.index).as_posix() for p in config.index.rglob("*")
            if p.name != "MAIN_WRITELOCK"}


# `seedsearch` with every build in worker processes, however small the corpus
EVERY_BUILD_IN_WORKERS = ("import indexer.whoosh_engine.build.sync as s; s.SMALL_BUILD = 0; "
                          "from indexer.cli import main; main()")


@pytest.mark.parametrize("extra, limit, entry", [
    ([], 64 * 1024, ["-m", "indexer"]),  # fails while adding documents
    ([], 1024 * 1024, ["-m", "indexer"]),  # fails in the commit (the postings)
    (["--rebuild"], 64 * 1024, ["-m", "indexer"]),  # a new generation, one process
    (["--rebuild", "--procs", "2"], 64 * 1024, ["-c", EVERY_BUILD_IN_WORKERS]),  # two processes
], ids=["update-adding", "update-commit", "rebuild", "rebuild-2-procs"])
def test_disk_full_leaves_the_index_as_it_was(stories, tmp_path, extra, limit, entry):
    config = copy_of(stories, tmp_path)
    before = files_of(config)
    write_version(config.corpus, 2)

    done = subprocess.run(
        [sys.executable, *entry, "index", "-q", "--corpus", str(config.corpus),
         "--index", str(config.index), *extra], capture_output=True, text=True, cwd=ROOT,
        preexec_fn=limited_file_size(limit), timeout=300)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"Could not write the index at {config.index}: File too large" in done.stderr
    assert files_of(config) == before  # nothing left behind
    assert doc_count(config) == STORIES and stored(config)["s0042.txt"]["title"] == "Story 42 v1"
    report = sync(config, rebuild="--rebuild" in extra)
    assert doc_count(config) == STORIES + 100 and report.skipped == 0
    assert current_generation(config.index) is not None


# --- watching never dies -------------------------------------------------------

@pytest.fixture
def watched(tmp_path):
    """A folder to be followed by `follow` in a thread (started by the test), with its
    health: yields (config, health, warnings, thread), then stops the watcher."""
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(config.corpus, "first.txt", "First\n\nThe first article.")
    health, stop, warnings = WatcherHealth(), threading.Event(), []
    thread = threading.Thread(target=follow, args=(config, lambda report: None,
                                                   warnings.append, stop),
                              kwargs={"debounce_ms": 50, "health": health}, daemon=True)
    yield config, health, warnings, thread
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert health.state == "stopped" and not health.alive


def failing_once(monkeypatch, error: Exception) -> list[int]:
    """Make the watcher's first sync raise `error`; later ones run for real."""
    calls: list[int] = []
    real = WhooshEngine.sync

    def sync_failing_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise error
        return real(self, *args, **kwargs)

    monkeypatch.setattr(WhooshEngine, "sync", sync_failing_once)
    return calls


def indexed(config: Config) -> set[str]:
    try:
        return set(stored(config))
    except SeedsearchError:
        return set()


def test_watch_survives_a_sync_that_raises_anything(watched, monkeypatch):
    config, health, warnings, thread = watched
    failing_once(monkeypatch, ZeroDivisionError("division by zero"))
    thread.start()
    poll(lambda: health.last_error)
    assert health.alive
    assert health.last_error == "sync failed: ZeroDivisionError: division by zero"
    assert [w for w in warnings if w.startswith("sync failed, will retry")
            and w.endswith("ZeroDivisionError: division by zero")]

    write(config.corpus, "second.txt", "Second\n\nThe second article.")  # the next change
    poll(lambda: indexed(config) == {"first.txt", "second.txt"})
    poll(lambda: health.last_error is None)
    assert health.alive


def test_watch_retries_a_failed_sync_without_waiting_for_a_change(watched, monkeypatch):
    config, health, warnings, thread = watched
    monkeypatch.setattr(watch, "RETRY_SECONDS", 0.0)
    calls = failing_once(monkeypatch, OSError(28, "No space left on device"))
    thread.start()
    poll(lambda: indexed(config) == {"first.txt"})
    assert len(calls) >= 2 and health.alive


def test_watcher_health_is_read_by_a_forked_process(watched):
    config, health, warnings, thread = watched
    thread.start()
    poll(lambda: health.alive)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=lambda: sender.send(health.as_dict()))
    child.start()
    assert receiver.recv() == {"alive": True, "state": "watching", "last_error": None}
    child.join(timeout=30)


def test_watch_loop_that_cannot_run_says_so_and_marks_itself_failed(tmp_path):
    health = WatcherHealth()
    config = Config(corpus=tmp_path / "missing", index=tmp_path / "index")
    with pytest.raises(watch.WatchFailed, match="Watching .*missing stopped"):
        follow(config, lambda report: None, health=health)
    assert (health.state, health.alive) == ("failed", False)
    assert health.last_error.startswith("watching stopped: FileNotFoundError")


def test_watch_follows_a_corpus_folder_replaced_by_another(watched):
    # inotify watches the folder, not its path: after `mv corpus old; mkdir corpus`
    # the new folder must be the one followed.
    config, health, warnings, thread = watched
    thread.start()
    poll(lambda: indexed(config) == {"first.txt"})
    config.corpus.rename(config.corpus.with_name("corpus.old"))
    write(config.corpus, "fresh.txt", "Fresh\n\nA fresh article in the new folder.")
    poll(lambda: indexed(config) == {"fresh.txt"})
    write(config.corpus, "later.txt", "Later\n\nWritten once the new folder is watched.")
    poll(lambda: indexed(config) == {"fresh.txt", "later.txt"})
    assert health.alive


def test_watch_of_a_corpus_folder_gone_for_good_fails_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(watch, "FOLDER_PATIENCE", 0.5)
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(config.corpus, "first.txt", "First\n\nThe first article.")
    health, errors = WatcherHealth(), []

    def run() -> None:
        try:
            follow(config, lambda report: None, debounce_ms=50, health=health)
        except watch.WatchFailed as error:
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    poll(lambda: health.alive)
    shutil.rmtree(config.corpus)
    thread.join(timeout=30)
    assert health.state == "failed" and "is gone" in (health.last_error or "")
    assert errors and "is gone" in str(errors[0])


# --- a corpus that vanishes, garbled records, floods of warnings, huge fields ---

def folder_corpus(tmp_path: Path, count: int, sub: str = "") -> Config:
    corpus = tmp_path / "corpus"
    for number in range(count):
        write(corpus, f"{sub}a{number:03d}.txt", f"Story {number}\n\nBody of story {number}.")
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    return config


def renaming_during_the_scan(monkeypatch, folder: Path, away: Path, replace: bool = False):
    """Rename `folder` away (really) as soon as the scan lists a folder."""
    def listed(folder_listed: Path) -> None:
        if folder.exists():
            folder.rename(away)
            if replace:
                folder.mkdir()
    monkeypatch.setattr(sources, "listed", listed)


@pytest.mark.parametrize("replace", [False, True])
def test_corpus_folder_vanishing_mid_scan_keeps_every_article(tmp_path, monkeypatch, replace):
    config = folder_corpus(tmp_path, 30)
    renaming_during_the_scan(monkeypatch, config.corpus, tmp_path / "away", replace)
    report = sync(config)
    assert (report.removed, report.kept) == (0, 30)
    assert "vanished" in report.incomplete[0]
    assert doc_count(config) == 30


def test_subfolder_vanishing_mid_scan_keeps_its_articles(tmp_path, monkeypatch):
    config = folder_corpus(tmp_path, 20, sub="world/")
    write(config.corpus, "top.txt", "Top\n\nA story at the top.")
    sync(config)
    renaming_during_the_scan(monkeypatch, config.corpus / "world", tmp_path / "away")
    report = sync(config)
    assert (report.removed, report.kept) == (0, 20)
    assert report.incomplete and report.incomplete[0].startswith("world/")
    assert doc_count(config) == 21


def test_empty_corpus_folder_keeps_the_index_until_a_rebuild(tmp_path):
    config = folder_corpus(tmp_path, 13)
    config.corpus.rename(tmp_path / "away")
    config.corpus.mkdir()  # an unmounted mount point looks like this
    report = sync(config)
    assert (report.removed, report.kept) == (0, 13)
    assert report.incomplete == [f"the corpus folder {config.corpus} is empty; 13 articles "
                                 "kept — run seedsearch index --rebuild to empty the index"]
    assert doc_count(config) == 13
    report = sync(config, rebuild=True)
    assert not report.incomplete and doc_count(config) == 0


def test_garbled_jsonl_lines_keep_their_articles(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    records = [record(n) for n in range(40)]
    corpus.write_bytes(jsonl(records))
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    lines = jsonl(records).splitlines(keepends=True)
    for number in range(0, 24, 2):  # twelve records garbled: binary bytes, cut short
        lines[number] = b"\x00\xff\xfe garbage\n" if number % 4 else lines[number][:20] + b"\n"
    lines.append(json.dumps({"title": "no id"}).encode() + b"\n")  # invalid, not garbled
    corpus.write_bytes(b"".join(lines))
    report = sync(config)
    assert (report.removed, report.kept, report.skipped) == (0, 12, 13)
    assert report.incomplete == ["corpus.jsonl: lines 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 and 2 "
                                 "more cannot be read as JSON (garbled or cut short); the "
                                 "records before the damage are applied, and 12 articles "
                                 "indexed from the rest are kept as they were"]
    assert doc_count(config) == 40


def test_a_flood_of_bad_records_keeps_a_bounded_number_of_warnings(tmp_path):
    corpus = tmp_path / "corpus.jsonl.gz"
    corpus.write_bytes(gzip.compress(jsonl([record(0)]) + b"{}\n" * 50_000))
    heard: list[str] = []
    report = sync(Config(corpus=corpus, index=tmp_path / "index"), warn=heard.append)
    assert report.skipped == 50_000 and report.added == 1
    assert len(report.warnings) == MAX_WARNINGS_KEPT
    assert report.warnings_dropped == 50_000 - MAX_WARNINGS_KEPT
    assert len(heard) == MAX_WARNINGS_SHOWN + 1
    assert heard[-1] == (f"… and {50_000 - MAX_WARNINGS_SHOWN:,} more warnings "
                         f"(first {MAX_WARNINGS_SHOWN} shown)")


def test_huge_id_section_and_url_are_refused_cut_or_dropped(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    huge = "x" * 100_000
    corpus.write_bytes(jsonl([
        {"id": huge, "title": "Huge id", "text": "Its id is huge."},
        {"id": "s", "title": "Huge section", "text": "Long.", "section": huge, "url": huge},
        {"id": "ok", "title": "Fine", "text": "Fine.", "section": "World",
         "url": "https://example.com/a"}]))
    config = Config(corpus=corpus, index=tmp_path / "index")
    report = sync(config)
    assert (report.added, report.skipped) == (2, 1)
    documents = stored(config)
    assert set(documents) == {"s", "ok"}
    assert len(documents["s"]["section"]) == 200 and "url" not in documents["s"]
    assert documents["ok"]["url"] == "https://example.com/a"
    assert sum("over the 512 an id may have" in w for w in report.warnings) == 1


def test_txt_path_over_the_id_cap_is_skipped(tmp_path):
    corpus = tmp_path / "corpus"
    deep = "/".join(["d" * 200] * 3) + "/story.txt"  # 614 characters
    write(corpus, deep, "Deep\n\nA story deep down.")
    write(corpus, "top.txt", "Top\n\nA story at the top.")
    report = sync(Config(corpus=corpus, index=tmp_path / "index"))
    assert (report.added, report.skipped) == (1, 1)


def truncate_one(generation: Path, suffix: str) -> None:
    path = next(p for p in generation.iterdir() if p.name.endswith(suffix))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garble_one(generation: Path, suffix: str) -> None:
    path = next(p for p in generation.iterdir() if p.name.endswith(suffix))
    path.write_bytes(b"\xff" * path.stat().st_size)


@pytest.mark.parametrize("damage, suffix", [
    (truncate_one, ".trm"), (truncate_one, ".content_hash.col"), (garble_one, ".id.col"),
    (truncate_one, ".id.col")])
def test_plain_index_on_a_damaged_index_says_it_is_damaged(tmp_path, damage, suffix):
    config = folder_corpus(tmp_path, 10)
    generation = current_generation(config.index)
    damage(generation, suffix)
    with pytest.raises(IndexDamaged) as raised:
        sync(config)
    assert str(generation) in str(raised.value) or str(config.index) in str(raised.value)
    assert "seedsearch index --rebuild" in str(raised.value)
