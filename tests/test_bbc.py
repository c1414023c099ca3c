"""The raw BBC tree (2,225 plain-layout files, one of them not UTF-8), indexed for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import Config
from indexer.whoosh_engine import open_index, open_searcher, sync
from indexer.whoosh_engine.search.searching import search


@pytest.fixture(scope="module")
def bbc(bbc_tree: Path, tmp_path_factory: pytest.TempPathFactory):
    config = Config(corpus=bbc_tree, index=tmp_path_factory.mktemp("bbc-index") / "index")
    warnings: list[str] = []
    report = sync(config, warn=warnings.append)
    return config, report, warnings


def test_every_article_is_indexed(bbc):
    config, report, _ = bbc
    assert (report.added, report.skipped) == (2225, 0)
    with open_index(config).searcher() as searcher:
        assert searcher.doc_count() == 2225


def test_one_warning_naming_the_cp1252_file(bbc):
    _, _, warnings = bbc
    assert len(warnings) == 1
    assert warnings[0].startswith("sport/199.txt: not valid UTF-8") and "cp1252" in warnings[0]


def test_the_cp1252_file_is_found_by_its_headline(bbc):
    config, _, _ = bbc
    with open_searcher(open_index(config)) as searcher:
        results = search(searcher, "Chelsea sack Mutu")
    top = results.hits[0]
    assert (top.id, top.title, top.section) == ("sport/199.txt", "Chelsea sack Mutu", "sport")
    with open_index(config).searcher() as searcher:
        assert "£15.8m" in searcher.document(id="sport/199.txt")["body"]


def test_titles_come_from_first_lines(bbc, bbc_tree: Path):
    config, _, _ = bbc
    with open_index(config).searcher() as searcher:
        for doc_id in ("business/001.txt", "tech/401.txt", "politics/100.txt"):
            first_line = (bbc_tree / doc_id).read_text(encoding="utf-8").split("\n")[0].strip()
            stored = searcher.document(id=doc_id)
            assert stored["title"] == first_line
            assert not stored["body"].startswith(first_line)


def test_a_second_run_only_stats(bbc):
    config, _, _ = bbc
    report = sync(config)
    assert (report.unchanged, report.added, report.updated, report.removed) == (2225, 0, 0, 0)
