"""SIGKILL `seedsearch index` at several moments: the last commit stays readable,
every document is in its old or its new state, and the next run finishes the sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from whoosh.index import open_dir

from indexer import Config
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.store.generations import current_generation
from indexer.whoosh_engine.store.readers import reading

from .helpers import ROOT, STORIES, copy_of, write_version


def state(config: Config) -> dict[str, str]:
    with reading(config) as searcher:
        return {fields["id"]: fields["title"] for fields in searcher.all_stored_fields()}


def kill_index_run(config: Config, extra: list[str], at_stage: str, delay: float) -> str:
    """Start `seedsearch index -v`, SIGKILL it `delay` s after it reports `at_stage`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", "index", "-v", "--corpus", str(config.corpus),
         "--index", str(config.index), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    seen = []
    for line in process.stderr:
        seen.append(line.strip())
        if line.startswith(at_stage):
            time.sleep(delay)
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    return " | ".join(seen)


MOMENTS = [("reading", 0.5), ("reading", 1.5), ("committing", 0.0), ("committing", 0.2),
           ("committing", 0.6)]


@pytest.mark.parametrize("rebuild", [False, True], ids=["update", "rebuild"])
@pytest.mark.parametrize("stage, delay", MOMENTS)
def test_killed_run_leaves_a_readable_index_and_the_next_run_finishes(
        stories, tmp_path, rebuild, stage, delay):
    config = copy_of(stories, tmp_path)
    old = state(config)
    write_version(config.corpus, 2)
    new = {f"s{n:04d}.txt": f"Story {n} v2" for n in range(200, STORIES + 300)}

    log = kill_index_run(config, ["--rebuild"] if rebuild else [], stage, delay)

    after_kill = state(config)  # opens: the last commit is readable
    assert after_kill in (old, new), log  # all old or all new: commits are atomic
    for doc_id, title in after_kill.items():
        assert title in (old.get(doc_id), new.get(doc_id))

    report = sync(config)
    assert state(config) == new
    assert report.skipped == 0
    assert [p.name for p in config.index.glob("gen-*")] == [current_generation(config.index).name]
    assert not list(config.index.glob("trash-*"))
    assert orphan_segment_files(config) == []


def orphan_segment_files(config: Config) -> list[str]:
    """Segment files that no commit refers to (left by a killed writer)."""
    generation = current_generation(config.index)
    live = {segment.segment_id() for segment in open_dir(str(generation))._segments()}
    return sorted(p.name for p in generation.iterdir()
                  if p.name.startswith("MAIN_") and p.name != "MAIN_WRITELOCK"
                  and p.name.split(".")[0] not in live)


def test_killed_first_build_is_finished_by_the_next_run(tmp_path):
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    config.corpus.mkdir()
    write_version(config.corpus, 1)
    kill_index_run(config, [], "committing", 0.0)
    sync(config)
    assert len(state(config)) == STORIES
    assert len(list(config.index.glob("gen-*"))) == 1
    assert os.listdir(config.index)
