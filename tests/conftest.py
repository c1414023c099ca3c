"""Shared fixtures: real corpora on disk and real indexes built from them."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import Config
from indexer.whoosh_engine import sync

from .helpers import (
    CORPORA,
    HOSTILE_BODY,
    HOSTILE_ID,
    HOSTILE_PARTS,
    HOSTILE_TITLE,
    SEEDS,
    needs_shared,
    scraped_article,
    write,
    write_version,
)


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


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def stories(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """An index of version 1 of the stories: a template that tests copy (`copy_of`)."""
    folder = tmp_path_factory.mktemp("stories")
    config = Config(corpus=folder / "corpus", index=folder / "index")
    config.corpus.mkdir()
    write_version(config.corpus, 1)
    sync(config)
    return config
