"""Copies of one story fold into one hit; more like this; on hand-made
articles and on the BBC tree's real duplicate pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer import Config
from indexer.cli import cli
from indexer.minhash import SAME_STORY, signature, similarity
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.search.duplicates import copies_of
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.search.similar import similar
from indexer.whoosh_engine.store.readers import reading

from .helpers import client_for, indexed_jsonl
from .test_web import Page

STORY = ("Divers found an old anchor near the harbour wall on Monday. The anchor, "
         "thought to come from a merchant ship lost in a storm in 1850, was lifted by "
         "a crane and taken to the maritime museum, where experts will clean it. "
         "The harbour master said the find was a surprise to everyone at the port. "
         "Records kept by the town show that three vessels went down off the coast "
         "that winter, and the museum hopes the markings on the iron will tell which "
         "one it was. Volunteers have offered to help with the work, which could take "
         "several months, and the museum plans to put the piece on show next summer "
         "beside a model of the old quay as it looked at the time.")
ARTICLES = [
    {"id": "original", "title": "Old anchor found", "text": STORY, "section": "Ports",
     "date": "2014-01-02T08:00:00"},
    {"id": "rescrape", "title": "Old anchor found", "text": STORY, "section": "Ports",
     "date": "2014-01-02T08:00:00"},
    {"id": "correction", "title": "Old anchor found (corrected)",
     "text": STORY.replace("1850", "1851"), "section": "Ports", "date": "2014-01-03T08:00:00"},
    {"id": "other", "title": "New crane at the harbour",
     "text": "A new crane was delivered to the harbour, the port said. It can lift "
             "containers twice as fast as the old crane, which goes to a museum.",
     "section": "Ports", "date": "2014-02-01T08:00:00"},
    {"id": "unrelated", "title": "Election results", "text": "Voters chose a new mayor.",
     "section": "Politics", "date": "2014-03-01T08:00:00"},
]


@pytest.fixture(scope="module")
def harbour(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return indexed_jsonl(tmp_path_factory.mktemp("copies"), ARTICLES)


def test_signatures_estimate_similarity():
    assert similarity(signature(STORY), signature(STORY)) == 1.0
    assert similarity(signature(STORY), signature(STORY.replace("1850", "1851"))) >= SAME_STORY
    assert similarity(signature(STORY), signature(ARTICLES[3]["text"])) < 0.3


def test_copies_fold_into_the_best_hit(harbour):
    with reading(harbour) as searcher:
        results = search(searcher, "anchor harbour")
    hits = {hit.id: hit for hit in results.hits}
    assert (results.total, results.articles) == (2, 4)  # stories; every matching article
    (kept,) = [hit for hit in results.hits if hit.duplicates]
    assert kept.copies == 2
    assert {kept.id, *(copy.id for copy in kept.duplicates)} == {
        "original", "rescrape", "correction"}
    assert "other" in hits and not hits["other"].duplicates
    data = results.to_json()
    assert sorted(data["hits"][0]["duplicates"] + [data["hits"][0]["id"]]) == [
        "correction", "original", "rescrape"]
    assert (data["total"], data["articles"], data["hits"][0]["copies"]) == (2, 4, 2)


def test_an_article_knows_its_copies(harbour):
    with reading(harbour) as searcher:
        docnum = searcher.document_number(id="original")
        copies = {searcher.stored_fields(n)["id"] for n in copies_of(searcher, docnum)}
    assert copies == {"rescrape", "correction"}


def test_more_like_this_leaves_the_article_out(harbour):
    with reading(harbour) as searcher:
        results = similar(searcher, "other")
        assert similar(searcher, "no-such-id") is None
    ids = [hit.id for hit in results.hits]
    copies = [copy.id for hit in results.hits for copy in hit.duplicates]
    assert "other" not in ids + copies
    assert set(ids + copies) >= {"original", "rescrape", "correction"}
    assert ids[0] == "original"  # the story sharing the most telling words comes first


def test_cli_similar(harbour, runner):
    options = ["--corpus", str(harbour.corpus), "--index", str(harbour.index)]
    done = runner.invoke(cli, ["similar", *options, "--json", "other"], catch_exceptions=False)
    assert done.exit_code == 0
    data = json.loads(done.output)
    assert data["hits"] and all(hit["id"] != "other" for hit in data["hits"])
    unknown = runner.invoke(cli, ["similar", *options, "nope"])
    assert unknown.exit_code == 1
    assert "no article with the id 'nope'" in unknown.output
    assert "seedsearch search" in unknown.output


@pytest.fixture
def copies_client(harbour):
    with client_for(harbour) as client:
        yield client


def test_page_offers_the_copies_and_the_article_lists_them(copies_client):
    text = copies_client.get("/search?q=anchor+harbour").get_data(as_text=True)
    assert "+2 copies" in text and "<details" in text
    article = copies_client.get("/doc/original").get_data(as_text=True)
    page = Page(article)
    assert "Copies of this story" in article and "More like this" in article
    assert {href for href, _ in page.hrefs("/doc/")} >= {"/doc/rescrape", "/doc/correction"}


# ------------------------------------------------------------------ BBC's duplicate pairs

@pytest.fixture(scope="module")
def bbc(bbc_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = Config(corpus=bbc_tree, index=tmp_path_factory.mktemp("bbc-copies") / "index")
    sync(config)
    return config


def test_bbc_exact_duplicates_fold(bbc):
    with reading(bbc) as searcher:
        title = searcher.document(id="business/007.txt")["title"]
        results = search(searcher, title)
        docnum = searcher.document_number(id="business/007.txt")
        copies = {searcher.stored_fields(n)["id"] for n in copies_of(searcher, docnum)}
    assert "business/253.txt" in copies
    grouped = [{hit.id, *(copy.id for copy in hit.duplicates)} for hit in results.hits]
    assert {"business/007.txt", "business/253.txt"} in grouped
