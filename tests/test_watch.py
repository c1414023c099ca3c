"""Following the corpus: `serve --watch` and `seedsearch watch` pick up changes in seconds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from indexer import Config, SearchRequest, open_engine

from .helpers import ROOT, SEEDS, free_port, poll, wait_until_up, write


def api_ids(base: str, text: str) -> list[str]:
    url = f"{base}/api/search?q={urllib.parse.quote(text)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return [hit["id"] for hit in json.load(response)["hits"]]


@pytest.fixture
def watched_server(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", "serve", "--watch", "--corpus", str(corpus),
         "--index", str(tmp_path / "index"), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process)
        yield corpus, base
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def test_serve_watch_shows_added_edited_and_deleted_articles(watched_server):
    corpus, base = watched_server
    write(corpus, "new/zeppelin.txt", "Zeppelin over the bay\n\nA zeppelin drifted over the bay.")
    _, seconds_added = poll(lambda: api_ids(base, "zeppelin") == ["new/zeppelin.txt"])

    write(corpus, "new/zeppelin.txt", "Balloon over the bay\n\nA balloon drifted over the bay.")
    _, seconds_edited = poll(lambda: api_ids(base, "balloon") == ["new/zeppelin.txt"]
                             and api_ids(base, "zeppelin") == [])

    (corpus / "new" / "zeppelin.txt").unlink()
    _, seconds_deleted = poll(lambda: api_ids(base, "balloon") == [])
    assert max(seconds_added, seconds_edited, seconds_deleted) < 5  # target: about 2 s


def test_watch_command_keeps_the_index_in_step(tmp_path):
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    shutil.copytree(SEEDS, config.corpus)
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", "watch", "--corpus", str(config.corpus), "--index",
         str(config.index)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        cwd=ROOT)
    try:
        assert process.stderr.readline().startswith("Watching")
        assert process.stderr.readline().startswith("Built")

        def found(text: str) -> list[str]:
            with open_engine(config) as engine:
                return [hit.id for hit in engine.search(SearchRequest(text)).hits]

        write(config.corpus, "okapi.txt", "Okapi seen\n\nAn okapi was seen in the forest.")
        poll(lambda: found("okapi") == ["okapi.txt"])
        (config.corpus / "okapi.txt").rename(config.corpus / "renamed.txt")
        poll(lambda: found("okapi") == ["renamed.txt"])
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
