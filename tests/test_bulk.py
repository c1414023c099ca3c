"""Fresh builds write segments directly (indexer.whoosh_engine.build.bulk): the same index Whoosh's
writer makes, in one or several processes, and no process outlives the build."""

from __future__ import annotations

import importlib
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.formats import Characters
from whoosh.index import FileIndex

from indexer import Config
from indexer.changes import document
from indexer.sources import read_jsonl
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.build.bulk import build_segments, commit_segments
from indexer.whoosh_engine.codec.analysis import NewsAnalyzer
from indexer.whoosh_engine.codec.packed_format import PackedCharacters
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.store.generations import current_generation
from indexer.whoosh_engine.store.readers import reading

from .helpers import ROOT, poll

sync_module = importlib.import_module("indexer.whoosh_engine.build.sync")  # `sync`: also a function

TRICKY = ("U.S. co-operation with Mexico's rail-road firms rose 9.2bn; the résumé "
          "of Peña's co-op-era plan: 60,000 jobs by 2027, O'Neill said. It's the the end.")
WORDS = ("market trade bank oil price shares profit loss dollar yen tonnes crop wheat "
         "rate growth export import company merger bid board quarter year record").split()


def articles(count: int, seed: int = 7) -> list[dict[str, str]]:
    pick = random.Random(seed)
    records = []
    for number in range(count):
        body = " ".join(pick.choice(WORDS) + (str(pick.randrange(50)) if pick.random() < .1
                                              else "") for _ in range(120))
        records.append({"id": f"a{number:05d}", "title": f"Item {number} {pick.choice(WORDS)}",
                        "text": f"{body}. {TRICKY if number % 50 == 0 else ''}",
                        "date": f"2024-01-{number % 28 + 1:02d}T10:00:00Z"})
    return records


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def open_live(config: Config) -> FileIndex:
    generation = current_generation(config.index)
    assert generation is not None
    return whoosh_index.open_dir(str(generation))


def postings(ix: FileIndex) -> dict[tuple[str, bytes], list[tuple]]:
    """Every term's postings with their block statistics, as Whoosh reads them."""
    found = {}
    with ix.reader() as reader:
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            rows = []
            while matcher.is_active():
                rows.append((matcher.id(), matcher.weight(), matcher.value(),
                             matcher.block_max_weight(), matcher.block_min_length(),
                             matcher.block_max_length()))
                matcher.next()
            found[fieldname, text] = rows
    return found


def term_infos(reader: Any) -> dict[tuple[str, bytes], tuple]:
    """Every term's statistics: its row of the term table, file offset aside."""
    found = {}
    for field, text in reader.all_terms():
        info = reader.term_info(field, text)
        found[field, text] = (info.weight(), info.doc_frequency(), info.min_length(),
                              info.max_length(), info.max_weight(), info.min_id(),
                              info.max_id())
    return found


def test_analyzer_postings_are_the_tokens_whoosh_would_index():
    analyzer, characters, packed = NewsAnalyzer(), Characters(), PackedCharacters()
    for text in (TRICKY, "a-b-c don't U.S.A. 1,000.5kg", "", "the of and",
                 "the a-the the-a of-the-of x the"):
        expected = {term: characters.decode_characters(value) for term, _, _, value
                    in characters.word_values(text, analyzer, mode="index")}
        assert {term: list(zip(flat[0::3], flat[1::3], flat[2::3], strict=True))
                for term, flat in analyzer.postings(text).items()} == expected
        assert {term: packed.decode_characters(value) for term, _, _, value
                in packed.word_values(text, analyzer, mode="index")} == expected


def test_a_built_segment_holds_what_whoosh_s_writer_writes(tmp_path):
    config = Config(corpus=write_jsonl(tmp_path / "c.jsonl", articles(300)),
                    index=tmp_path / "index")
    sync(config)
    built = open_live(config)
    assert len(built._segments()) == 1

    by_whoosh = whoosh_index.create_in(str(tmp_path), built.schema)
    with by_whoosh.writer() as writer:
        for article in read_jsonl(config.corpus):
            writer.add_document(**document(article))
    assert postings(built) == postings(by_whoosh)
    with built.reader() as ours, by_whoosh.reader() as theirs:
        assert term_infos(ours) == term_infos(theirs)
        assert list(ours.all_stored_fields()) == list(theirs.all_stored_fields())
        for name in ("id", "date", "size", "mtime_ns", "content_hash"):
            assert list(ours.column_reader(name)) == list(theirs.column_reader(name))
        for name in ("title", "body"):
            assert ours.field_length(name) == theirs.field_length(name)
            assert [ours.doc_field_length(n, name) for n in range(300)] == \
                [theirs.doc_field_length(n, name) for n in range(300)]
    assert not (config.index / current_generation(config.index).name / "MAIN.tmp").exists()


def hits(config: Config, *queries: str, plain: bool = False) -> list[list[tuple[str, float]]]:
    """Each query's first 100 (id, score), best first; on a full page, without those
    tied with the last (which of them make the page depends on document numbers)."""
    pages = []
    with reading(config) as searcher:
        for query in queries:
            page = [(hit.id, round(hit.score, 4))
                    for hit in search(searcher, query, per_page=100, plain=plain).hits]
            if len(page) == 100:
                page = [(doc_id, score) for doc_id, score in page if score > page[-1][1]]
            pages.append(sorted(page, key=lambda hit: (-hit[1], hit[0])))
    return pages


QUERIES = ("oil price", "wheat tonnes export", '"co-operation"', "cooperation", "peña résumé",
           "item 1234", "merger bid board")


def test_several_processes_and_segments_give_the_same_results(tmp_path, monkeypatch):
    corpus = write_jsonl(tmp_path / "c.jsonl", articles(2500))
    one = Config(corpus=corpus, index=tmp_path / "one")
    assert sync(one, procs=1).added == 2500
    monkeypatch.setattr(sync_module, "WRITER_LIMIT_MB", 1)  # several segments per process
    two = Config(corpus=corpus, index=tmp_path / "two")
    assert sync(two, procs=2).added == 2500
    assert len(open_live(one)._segments()) == 1
    assert len(open_live(two)._segments()) > 2
    with reading(one) as a, reading(two) as b:
        assert sorted(a.all_stored_fields(), key=lambda f: f["id"]) == \
            sorted(b.all_stored_fields(), key=lambda f: f["id"])
    assert hits(one, *QUERIES) == hits(two, *QUERIES)
    assert all(hits(one, *QUERIES))
    # questions: word pairs are counted over every segment (indexer/proximity.py)
    questions = ("what oil price rise came with the wheat export?", "board merger bid news")
    assert hits(one, *questions, plain=True) == hits(two, *questions, plain=True)
    assert all(hits(one, *questions, plain=True))


def test_a_small_build_stays_in_one_process(tmp_path):
    config = Config(corpus=write_jsonl(tmp_path / "c.jsonl", articles(50)),
                    index=tmp_path / "index")
    assert sync(config, procs=4).added == 50
    assert len(open_live(config)._segments()) == 1


def test_a_failing_worker_fails_the_build(tmp_path):
    config = Config(corpus=write_jsonl(tmp_path / "c.jsonl", articles(10)),
                    index=tmp_path / "index")
    sync(config)
    ix = open_live(config)
    with pytest.raises(RuntimeError, match="indexing process failed"):
        build_segments(ix, ({"no such field": "x"} for _ in range(200)), 2, 16)
    segments = build_segments(ix, iter([]), 2, 16)
    assert segments == []
    commit_segments(ix, segments)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_die_with_a_killed_build_and_the_next_run_finishes(tmp_path):
    config = Config(corpus=write_jsonl(tmp_path / "c.jsonl", articles(12000)),
                    index=tmp_path / "index")
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", "index", "-q", "--procs", "2", "--corpus",
         str(config.corpus), "--index", str(config.index)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        workers = poll(lambda: len(children(process.pid)) >= 2 and children(process.pid),
                          timeout=30)[0]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    poll(lambda: not any(alive(pid) for pid in workers), timeout=10)
    assert current_generation(config.index) is None  # nothing was published

    report = sync(config)
    assert report.added == 12000
    assert [p.name for p in config.index.glob("gen-*")] == [current_generation(config.index).name]
    assert not os.path.exists(config.index / "trash-gen-000001")
    assert hits(config, "item 11999")[0][0][0] == "a11999"


def test_the_cli_builds_with_one_process_per_core_by_default(tmp_path):
    config = Config(corpus=write_jsonl(tmp_path / "c.jsonl", articles(2100)),
                    index=tmp_path / "index")
    done = subprocess.run([sys.executable, "-m", "indexer", "index", "-q", "--corpus",
                           str(config.corpus), "--index", str(config.index)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert 1 <= len(open_live(config)._segments()) <= len(os.sched_getaffinity(0))
    assert hits(config, "item 2099")[0][0][0] == "a02099"
    assert sync_module.usable_procs(None) == len(os.sched_getaffinity(0))
    assert sync_module.usable_procs(3) == 3


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_builds_work_when_processes_are_not_forked(tmp_path, method):
    """macOS and Windows start processes by spawning, and Python 3.14 makes
    forkserver the Linux default: the workers' arguments must travel by pickle."""
    config = Config(corpus=write_jsonl(tmp_path / "c.jsonl", articles(2100)),
                    index=tmp_path / "index")
    script = ("import multiprocessing, sys\n"
              f"multiprocessing.set_start_method({method!r})\n"
              "from indexer.cli import main\n"
              "main()\n")
    done = subprocess.run([sys.executable, "-c", script, "index", "-q", "--procs", "2",
                           "--corpus", str(config.corpus), "--index", str(config.index)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "2,100 added" in done.stdout + done.stderr
    assert len(open_live(config)._segments()) == 2
    assert hits(config, "item 2099")[0][0][0] == "a02099"


# --- a failing or interrupted multi-process build never hangs ------------------

FAILING_BUILD = """\
import errno, os, sys
from whoosh import index
from indexer.whoosh_engine.build.bulk import build_segments

def fail(fields):
    if sys.argv[2] == "oserror":
        raise OSError(errno.ENOSPC, "No space left on device")
    if sys.argv[2] == "exit":
        os._exit(0)  # gone without a word, and with a success code
    raise ValueError("a broken document")

documents = ({"id": f"a{n:05d}", "title": "t", "body": "b " * 200} for n in range(3000))
try:
    build_segments(index.open_dir(sys.argv[1]), documents, 2, 16, fail)
except Exception as error:
    print(type(error).__name__, getattr(error, "errno", None), str(error).splitlines()[0])
try:
    print("children left:", os.waitpid(-1, os.WNOHANG))
except ChildProcessError:
    print("no children left")
"""


@pytest.mark.parametrize("failure, expected", [
    ("oserror", "OSError 28 [Errno 28] No space left on device"),
    ("valueerror", "RuntimeError None an indexing process failed:"),
    ("exit", "RuntimeError None an indexing process exited with code 0 before it finished"),
])
def test_workers_failing_while_the_work_queue_is_full_fail_the_build(tmp_path, failure,
                                                                     expected):
    """Every worker fails on its first document while the parent still has dozens of
    batches to queue: the parent stops feeding, says why, and leaves no process."""
    config = Config(corpus=write_jsonl(tmp_path / "c.jsonl", articles(10)),
                    index=tmp_path / "index")
    sync(config)
    done = subprocess.run([sys.executable, "-c", FAILING_BUILD,
                           str(current_generation(config.index)), failure],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [expected, "no children left"]
    assert done.stderr == ""


def test_a_full_disk_during_a_two_process_build_says_so(tmp_path):
    """A real write failure (RLIMIT_FSIZE, as a full disk) in both workers of a
    rebuild big enough to fill the work queue."""
    config = Config(corpus=write_jsonl(tmp_path / "c.jsonl", articles(3000)),
                    index=tmp_path / "index")
    limit = 256 * 1024

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        import resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run([sys.executable, "-m", "indexer", "index", "-q", "--rebuild",
                           "--procs", "2", "--corpus", str(config.corpus),
                           "--index", str(config.index)],
                          capture_output=True, text=True, cwd=ROOT, preexec_fn=limited,
                          timeout=120)
    assert done.returncode == 1
    assert f"Could not write the index at {config.index}: File too large" in done.stderr
    assert "Traceback" not in done.stderr
    assert current_generation(config.index) is None


def test_ctrl_c_stops_a_default_build_and_its_workers(tmp_path):
    config = Config(corpus=write_jsonl(tmp_path / "c.jsonl", articles(12000)),
                    index=tmp_path / "index")
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", "index", "-q", "--procs", "2", "--corpus",
         str(config.corpus), "--index", str(config.index)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        workers = poll(lambda: len(children(process.pid)) >= 2 and children(process.pid),
                       timeout=30)[0]
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode != 0
    assert "Aborted!" in stderr
    poll(lambda: not any(alive(pid) for pid in workers), timeout=10)
    assert current_generation(config.index) is None
