"""Searches in another process never fail while updates and a full rebuild run."""

from __future__ import annotations

import json
import subprocess
import sys

from indexer.whoosh_engine import sync

from .helpers import ROOT, STORIES, copy_of, write_version


def test_searches_never_fail_during_updates_and_rebuilds(stories, tmp_path):
    config = copy_of(stories, tmp_path)
    stop = tmp_path / "stop"
    searcher = subprocess.Popen(
        [sys.executable, "-m", "tests.searcher_loop", str(config.corpus), str(config.index),
         str(stop)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert searcher.stdout.readline().strip() == "started"
        write_version(config.corpus, 2)
        assert sync(config).updated == STORIES - 200
        sync(config, rebuild=True)
        (config.corpus / "s0300.txt").unlink()
        assert sync(config).removed == 1
        sync(config, rebuild=True)
    finally:
        stop.touch()
        out, err = searcher.communicate(timeout=120)
    totals = json.loads(out.splitlines()[-1])
    assert totals.get("errors") is None, totals["errors"][:3]
    print(totals)
    for name in ("fresh", "refreshed"):
        assert totals[name]["failed"] == 0
        assert totals[name]["searches"] > 20, totals
    assert totals["final_documents"] == STORIES + 100 - 1
