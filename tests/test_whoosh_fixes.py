"""The fixes applied to Whoosh hold: no file-existence check per posting on commit."""

from __future__ import annotations

from whoosh.filedb.filestore import FileStorage

from indexer import Config
from indexer.whoosh_engine import sync

from .helpers import write_version


def test_commit_does_not_stat_a_file_per_posting(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_version(corpus, 1)  # 1,500 articles, about 190,000 postings
    calls = []
    original = FileStorage.file_exists

    def counting(self, name):
        calls.append(name)
        return original(self, name)

    monkeypatch.setattr(FileStorage, "file_exists", counting)
    report = sync(Config(corpus=corpus, index=tmp_path / "index"))
    assert report.added == 1500
    assert len(calls) < 100, f"{len(calls)} file_exists calls"
