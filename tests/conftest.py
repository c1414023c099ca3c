"""Shared fixtures: real corpora on disk and real indexes built from them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

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


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    """A private copy of seeds/, so a test may change it."""
    return Path(shutil.copytree(SEEDS, tmp_path / "seeds"))


@pytest.fixture
def config(seed_corpus: Path, tmp_path: Path) -> Config:
    return Config(corpus=seed_corpus, index=tmp_path / "index")


@pytest.fixture
def seed_config(config: Config) -> Config:
    """The seed corpus, indexed."""
    sync(config)
    return config


@pytest.fixture(scope="session")
def bbc_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The raw BBC tarball unpacked: bbc/<category>/<NNN>.txt, byte for byte."""
    tarball = needs_shared(CORPORA / "bbc" / "bbc-fulltext-raw.tar.gz")
    target = tmp_path_factory.mktemp("bbc")
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data")
    return target / "bbc"


@pytest.fixture(scope="session")
def reuters_index(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """Reuters-21578 indexed once per test session, for the tests that only read it."""
    corpus = needs_shared(CORPORA / "reuters21578" / "corpus.jsonl.gz")
    config = Config(corpus=corpus, index=tmp_path_factory.mktemp("reuters-index") / "index")
    sync(config)
    return config


@pytest.fixture(scope="session")
def bbc_tree_index(bbc_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The raw BBC tree indexed once per test session, for the tests that only read it."""
    config = Config(corpus=bbc_tree, index=tmp_path_factory.mktemp("bbc-tree-index") / "index")
    sync(config)
    return config


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


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


@pytest.fixture(scope="session")
def web_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed, two hostile articles and 24 dated harbour stories (enough to paginate)."""
    corpus = tmp_path_factory.mktemp("web") / "corpus"
    shutil.copytree(SEEDS, corpus)
    write(corpus, "hostile.txt", scraped_article(
        "Security", HOSTILE_TITLE, "A standfirst with <b>bold</b> claims.",
        "02 Jan 2014 08:00", HOSTILE_BODY))
    section, title, standfirst, body = HOSTILE_PARTS
    write(corpus, HOSTILE_ID, scraped_article(section, title, standfirst, "03 Jan 2014 08:00",
                                              body))
    for number in range(24):
        write(corpus, f"ports/{number:02d}.txt", scraped_article(
            "Ports" if number % 2 else "Shipping", f"Harbour story number {number}",
            f"Ships and the harbour, part {number}.",
            f"{number + 1:02d} Mar {2000 + number} 09:30",
            f"The harbour saw {number} ships today.\n\nDockers unloaded cargo at the quay."))
    return corpus


@pytest.fixture(scope="session")
def web_config(web_corpus: Path) -> Config:
    config = Config(corpus=web_corpus, index=web_corpus.parent / "index")
    sync(config)
    return config


@pytest.fixture
def app(web_config: Config):
    from searchweb import create_app

    app = create_app({"corpus": web_config.corpus, "index": web_config.index, "TESTING": True})
    yield app
    app.extensions["seedsearch"].close()


@contextmanager
def client_for(config: Config) -> Iterator:
    """A Flask test client on `config`'s index, its searchers closed afterwards."""
    from searchweb import create_app

    app = create_app({"corpus": config.corpus, "index": config.index, "TESTING": True})
    try:
        yield app.test_client()
    finally:
        app.extensions["seedsearch"].close()


@pytest.fixture
def client(app):
    return app.test_client()


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


@pytest.fixture(scope="session")
def stories(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """An index of version 1 of the stories: a template that tests copy (`copy_of`)."""
    folder = tmp_path_factory.mktemp("stories")
    config = Config(corpus=folder / "corpus", index=folder / "index")
    config.corpus.mkdir()
    write_version(config.corpus, 1)
    sync(config)
    return config


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
