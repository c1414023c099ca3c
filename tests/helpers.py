"""Helpers the tests share: paths, small corpora written to disk, servers started for real."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer import Config
from indexer.whoosh_engine import sync

ROOT = Path(__file__).resolve().parents[1]


SEEDS = ROOT / "seeds"


SEED_ID = "000_db9b66e5f295726a.txt"


SHARED = ROOT.parent / "shared"


CORPORA = SHARED / "corpora"


def needs_shared(path: Path) -> Path:
    """Skip (with the reason) when the shared corpora are not beside the checkout.

    CI always has them, so there a missing corpus is a failure, not a skip.
    """
    if not path.exists():
        reason = f"needs {path} (the shared corpora beside the checkout)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def indexed_jsonl(folder: Path, records: list[dict]) -> Config:
    """A JSONL corpus of `records` in `folder`, indexed: the small hand-made collections."""
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(record) + "\n" for record in records))
    config = Config(corpus=corpus, index=folder / "index")
    sync(config)
    return config


def write(folder: Path, name: str, text: str | bytes) -> Path:
    """Write an article file (creating folders), as text or raw bytes."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


HOSTILE_TITLE = 'Harbour <script>alert(1)</script> report'


HOSTILE_BODY = 'The harbour master wrote "><img src=x onerror=alert(1)> in the log & left.'


# Hostile text in every other part of an article, its file name (its id) included.
HOSTILE_ID = 'odd/<img src=x onerror=alert(2)>.txt'


HOSTILE_PARTS = ('<script>alert(3)</script>', 'Blimp "><svg onload=alert(4)> seen',
                 'A blimp <i onclick=alert(5)>standfirst</i>.',
                 'A blimp <iframe src=javascript:alert(6)></iframe> drifted by.')


def scraped_article(section: str, title: str, standfirst: str, when: str, body: str) -> str:
    """An article in the scraped-page layout, chrome and footer included."""
    return (f"{section}\n\n{title}\n\n{standfirst}\n\nLast Modified: {when}\n"
            "Email Article\nPrint Article\nShare article\nSend Feedback\n\n"
            f"{body}\n\n\nNews Site\nEmail Article\nTopics in this article\n"
            "Featured on News Site\nA teaser about lighthouses.\njoin our mailing list\n")


@contextmanager
def client_for(config: Config) -> Iterator:
    """A Flask test client on `config`'s index, its searchers closed afterwards."""
    from searchweb import create_app

    app = create_app({"corpus": config.corpus, "index": config.index, "TESTING": True})
    try:
        yield app.test_client()
    finally:
        app.extensions["seedsearch"].close()


STORIES = 1500


PADDING = " ".join(f"word{n}" for n in range(120))


def story(number: int, version: int) -> str:
    return f"Story {number} v{version}\n\nVersion {version} of story {number}. {PADDING}\n"


def write_version(corpus: Path, version: int) -> None:
    """Version 1: stories 0..1499. Version 2: each rewritten, 200 deleted, 300 added."""
    numbers = range(STORIES) if version == 1 else range(200, STORIES + 300)
    if version == 2:
        for number in range(200):
            (corpus / f"s{number:04d}.txt").unlink()
    for number in numbers:
        write(corpus, f"s{number:04d}.txt", story(number, version))


def copy_of(template: Config, folder: Path) -> Config:
    config = Config(corpus=folder / "corpus", index=folder / "index")
    shutil.copytree(template.corpus, config.corpus)
    shutil.copytree(template.index, config.index)
    return config


@contextmanager
def serving_copy(config: Config, folder: Path, *options: str) -> Iterator[str]:
    """A real `seedsearch serve` on a free loopback port, on a copy of `config`'s
    index (so tests that serve it cannot disturb others); yields its base URL."""
    index = folder / "index"
    shutil.copytree(config.index, index)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "indexer", "serve", "--corpus", str(config.corpus),
         "--index", str(index), "--port", str(port), *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Poll `url` until it answers 200 (bounded); fail if the server exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def poll(check, timeout: float = 10.0, interval: float = 0.05):
    """Call `check` until it returns something truthy; return it and the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        value = check()
        if value:
            return value, time.monotonic() - started
        time.sleep(interval)
    raise TimeoutError(f"not true within {timeout} s")
