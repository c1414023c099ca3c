"""Generations: a rebuild never pulls an index from under a reader; leftovers are removed."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading

from indexer.cli import cli
from indexer.whoosh_engine import open_searcher, sync
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.store.generations import (
    CURRENT,
    create_generation,
    current_generation,
    lease_index,
    write_lock,
)
from indexer.whoosh_engine.store.readers import reading

from .helpers import ROOT, SEED_ID


def generations(config) -> list[str]:
    return sorted(p.name for p in config.index.glob("gen-*"))


def test_rebuild_keeps_a_leased_generation_until_it_is_released(seed_config):
    old = current_generation(seed_config.index)
    index, lease = lease_index(seed_config)
    with open_searcher(index) as searcher:
        sync(seed_config, rebuild=True)
        assert old.exists() and current_generation(seed_config.index) != old
        assert search(searcher, "kidnappings").hits[0].id == SEED_ID  # still answers
    lease.release()
    sync(seed_config)
    assert not old.exists()
    assert generations(seed_config) == [current_generation(seed_config.index).name]


def test_a_reader_that_finds_its_generation_just_removed_reads_current_again(seed_config):
    """A rebuild can publish and remove between a reader's reading CURRENT and
    opening what it named; the reader must try again, not report no index."""
    live = current_generation(seed_config.index)
    pointer = seed_config.index / CURRENT

    def publish(name: str) -> None:
        (seed_config.index / "CURRENT.tmp").write_text(name)
        os.replace(seed_config.index / "CURRENT.tmp", pointer)

    publish("gen-999999")  # named, but already gone
    later = threading.Timer(0.1, publish, args=(live.name,))
    later.start()
    try:
        index, lease = lease_index(seed_config)
    finally:
        later.join()
    lease.release()
    assert index.doc_count() == 1


def test_leftovers_of_a_killed_build_are_removed(seed_config):
    (seed_config.index / "gen-000099").mkdir()  # a build killed before it was set up
    (seed_config.index / "trash-gen-000007-4242-1700000000000000000").mkdir()  # killed mid-remove
    sync(seed_config)
    assert generations(seed_config) == [current_generation(seed_config.index).name]
    assert not list(seed_config.index.glob("trash-*"))


def test_a_reader_never_sees_a_missing_index_during_rebuilds(seed_config):
    for _ in range(5):
        sync(seed_config, rebuild=True)
        with reading(seed_config) as searcher:
            assert searcher.doc_count() == 1


def test_no_op_sync_writes_nothing(seed_config):
    toc = sorted(p.name for p in current_generation(seed_config.index).glob("*.toc"))
    sync(seed_config)
    assert sorted(p.name for p in current_generation(seed_config.index).glob("*.toc")) == toc


def test_second_index_process_waits_then_says_so(seed_config, runner):
    with write_lock(seed_config.index):
        result = runner.invoke(cli, ["index", "--corpus", str(seed_config.corpus), "--index",
                                     str(seed_config.index), "--lock-timeout", "0.3"])
    assert result.exit_code == 1
    assert "Another seedsearch process is updating" in result.stderr
    assert "waited 0.3 s" in result.stderr and "run the command again" in result.stderr


def test_second_index_process_runs_once_the_first_is_done(seed_config):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from indexer.whoosh_engine.store.generations import write_lock\n"
         "with write_lock(Path(sys.argv[1])):\n print('held', flush=True); time.sleep(1)",
         str(seed_config.index)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout.readline().strip() == "held"
    done = subprocess.run([sys.executable, "-m", "indexer", "index", "--corpus",
                           str(seed_config.corpus), "--index", str(seed_config.index)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    holder.wait(timeout=10)
    holder.stdout.close()
    assert done.returncode == 0, done.stderr
    assert "1 unchanged" in done.stderr


STORE_STEP = """
import sys
from pathlib import Path
from indexer import Config
from indexer.errors import IndexWriteFailed
from indexer.whoosh_engine.store.generations import create_generation, publish
config = Config(corpus=Path(sys.argv[1]), index=Path(sys.argv[2]))
try:
    create_generation(config) if sys.argv[3] == "create" else publish(config.index / sys.argv[3])
except IndexWriteFailed as error:
    print(error)
    sys.exit(3)
"""


def run_with_no_room(config, step: str) -> subprocess.CompletedProcess:
    """Run a store step in a process that may not grow any file (RLIMIT_FSIZE 0: every
    write fails, as on a full disk, with EFBIG instead of ENOSPC)."""
    def no_room() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    return subprocess.run([sys.executable, "-c", STORE_STEP, str(config.corpus),
                           str(config.index), step], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, preexec_fn=no_room,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def listing(config) -> list[str]:
    return sorted(p.name for p in config.index.iterdir())


def test_a_generation_that_cannot_be_written_leaves_nothing_behind(seed_config):
    before = listing(seed_config)
    failed = run_with_no_room(seed_config, "create")
    assert failed.returncode == 3, failed.stderr
    assert "Could not create a new generation in" in failed.stdout
    assert "The index is as it was before" in failed.stdout
    assert listing(seed_config) == before
    with reading(seed_config) as searcher:
        assert searcher.doc_count() == 1


def test_a_switch_that_cannot_be_written_leaves_current_as_it_was(seed_config):
    pointer = (seed_config.index / CURRENT).read_bytes()
    generation, _ = create_generation(seed_config)  # built, not yet published
    failed = run_with_no_room(seed_config, generation.name)
    assert failed.returncode == 3, failed.stderr
    assert f"Could not publish {generation.name} in" in failed.stdout
    assert (seed_config.index / CURRENT).read_bytes() == pointer
    assert not (seed_config.index / "CURRENT.tmp").exists()
    with reading(seed_config) as searcher:
        assert searcher.doc_count() == 1
    sync(seed_config)  # the next run removes the unpublished generation
    assert generations(seed_config) == [current_generation(seed_config.index).name]
