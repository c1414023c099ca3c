"""A running app sees each new commit and each rebuilt generation without a restart."""

from __future__ import annotations

import shutil

from indexer import Config
from indexer.whoosh_engine import sync
from searchweb import create_app

from .helpers import write


def test_new_commits_and_rebuilds_are_seen_without_restart(web_config, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(web_config.corpus, corpus)
    config = Config(corpus=corpus, index=tmp_path / "index")
    sync(config)
    app = create_app({"corpus": corpus, "index": config.index, "TESTING": True})
    client = app.test_client()
    assert client.get("/api/search?q=zeppelin").get_json()["total"] == 0

    write(corpus, "new/zeppelin.txt", "Zeppelin returns\n\nA zeppelin flew over the harbour.")
    sync(config)
    assert client.get("/api/search?q=zeppelin").get_json()["hits"][0]["id"] == "new/zeppelin.txt"

    write(corpus, "new/zeppelin.txt", "Balloon returns\n\nA balloon flew over the harbour.")
    sync(config)  # Whoosh's refresh() would still match the old text here
    assert client.get("/api/search?q=zeppelin").get_json()["total"] == 0
    assert client.get("/api/search?q=balloon").get_json()["total"] == 1

    (corpus / "new" / "zeppelin.txt").unlink()
    sync(config)
    assert client.get("/api/search?q=balloon").get_json()["total"] == 0

    write(corpus, "new/okapi.txt", "Okapi\n\nAn okapi.")
    sync(config, rebuild=True)
    assert client.get("/api/search?q=okapi").get_json()["total"] == 1
    assert client.get("/healthz").get_json()["documents"] == 28
    app.extensions["seedsearch"].close()


def test_health_is_503_until_there_is_an_index(tmp_path, web_config):
    config = Config(corpus=web_config.corpus, index=tmp_path / "index")
    app = create_app({"corpus": config.corpus, "index": config.index})
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    sync(config)
    assert client.get("/healthz").get_json() == {"status": "ok", "documents": 27}
    app.extensions["seedsearch"].close()
