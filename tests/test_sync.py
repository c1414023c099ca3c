"""Building and updating a real index on disk from a changing corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer import Config, IndexLocked, IndexNotFound, SettingsMismatch
from indexer.whoosh_engine import open_index, sync
from indexer.whoosh_engine.build.sync import known_documents
from indexer.whoosh_engine.store.generations import current_generation, write_lock

from .helpers import SEED_ID, write


def doc_ids(config: Config) -> set[str]:
    with open_index(config).searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


def test_first_run_builds_the_index(config):
    report = sync(config)
    assert (report.added, report.rebuilt) == (1, True)
    assert doc_ids(config) == {SEED_ID}


def test_second_run_changes_nothing(seed_config):
    report = sync(seed_config)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 1)
    assert not report.rebuilt


def test_new_changed_and_deleted_files_are_applied(seed_config):
    corpus = seed_config.corpus
    write(corpus, "new.txt", "Zebra crossing\n\nA zebra crossed.")
    os.remove(corpus / SEED_ID)
    report = sync(seed_config)
    assert (report.added, report.removed) == (1, 1)
    assert doc_ids(seed_config) == {"new.txt"}

    write(corpus, "new.txt", "Giraffe crossing\n\nA giraffe crossed, at length.")
    report = sync(seed_config)
    assert (report.updated, report.added) == (1, 0)
    with open_index(seed_config).searcher() as searcher:
        assert searcher.document(id="new.txt")["title"] == "Giraffe crossing"
        assert searcher.doc_count() == 1


def test_touched_but_unchanged_file_is_not_rewritten(seed_config):
    path = seed_config.corpus / SEED_ID
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    report = sync(seed_config)
    assert (report.unchanged, report.updated) == (1, 0)


def test_rename_removes_the_old_id(seed_config):
    corpus = seed_config.corpus
    (corpus / "moved").mkdir()
    os.rename(corpus / SEED_ID, corpus / "moved" / "renamed.txt")
    report = sync(seed_config)
    assert (report.added, report.removed) == (1, 1)
    assert doc_ids(seed_config) == {"moved/renamed.txt"}


def test_stored_change_facts_match_the_file(seed_config):
    known = known_documents(open_index(seed_config))
    stat = (seed_config.corpus / SEED_ID).stat()
    assert known[SEED_ID].size == stat.st_size
    assert known[SEED_ID].mtime_ns == stat.st_mtime_ns
    assert len(known[SEED_ID].content_hash) == 32


def test_bad_file_is_skipped_and_the_run_goes_on(seed_config):
    write(seed_config.corpus, "empty.txt", "")
    write(seed_config.corpus, "good.txt", "Good title\n\nGood body.")
    warnings: list[str] = []
    report = sync(seed_config, warn=warnings.append)
    assert (report.added, report.skipped) == (1, 1)
    assert any("empty.txt" in warning for warning in warnings)


def test_rebuild_publishes_a_new_generation_and_drops_the_old(seed_config):
    old = current_generation(seed_config.index)
    report = sync(seed_config, rebuild=True)
    new = current_generation(seed_config.index)
    assert report.rebuilt and report.added == 1
    assert new != old and not old.exists()
    assert doc_ids(seed_config) == {SEED_ID}


def test_no_index_says_how_to_build_it(config):
    with pytest.raises(IndexNotFound, match="seedsearch index"):
        open_index(config)


def test_other_language_is_refused_for_reading_and_rebuilt_for_indexing(seed_config):
    french = seed_config.with_(language="french")
    with pytest.raises(SettingsMismatch, match="--rebuild --language french"):
        open_index(french)
    warnings: list[str] = []
    report = sync(french, warn=warnings.append)
    assert report.rebuilt and report.added == 1
    assert any("rebuilding" in warning for warning in warnings)
    open_index(french)


def test_jsonl_corpus_updates_by_record(tmp_path: Path):
    corpus = write(tmp_path, "c.jsonl", '{"id": "a", "title": "Alpha", "text": "one"}\n'
                                        '{"id": "b", "title": "Beta", "text": "two"}\n')
    config = Config(corpus=corpus, index=tmp_path / "index")
    assert sync(config).added == 2
    write(tmp_path, "c.jsonl", '{"id": "a", "title": "Alpha", "text": "one"}\n'
                               '{"id": "c", "title": "Gamma", "text": "three"}\n')
    report = sync(config)
    assert (report.added, report.removed, report.unchanged) == (1, 1, 1)
    assert doc_ids(config) == {"a", "c"}


def test_duplicate_jsonl_ids_keep_the_first(tmp_path: Path):
    corpus = write(tmp_path, "c.jsonl", '{"id": "a", "title": "First", "text": "x"}\n'
                                        '{"id": "a", "title": "Second", "text": "y"}\n')
    config = Config(corpus=corpus, index=tmp_path / "index")
    warnings: list[str] = []
    report = sync(config, warn=warnings.append)
    assert (report.added, report.skipped) == (1, 1)
    assert any("a: skipped" in warning for warning in warnings)


def test_a_second_writer_gets_a_clear_message(seed_config):
    with write_lock(seed_config.index):
        with pytest.raises(IndexLocked, match="Another seedsearch process") as error:
            with write_lock(seed_config.index, timeout=0.2):
                pass
    assert "run the command again" in str(error.value)


def test_every_left_out_article_is_counted_as_skipped(tmp_path: Path):
    corpus = write(tmp_path, "c.jsonl", '{"id": "a", "title": "Alpha", "text": "one"}\n'
                                        '{"id": "b", "title": "", "text": ""}\n'
                                        'not json\n')
    report = sync(Config(corpus=corpus, index=tmp_path / "index"))
    # the line that is not JSON is also damage to the file (its articles would be kept)
    assert (report.added, report.skipped, len(report.warnings)) == (1, 2, 3)
    assert len(report.incomplete) == 1 and "line 3 cannot be read" in report.incomplete[0]


def test_link_leaving_the_corpus_is_skipped_and_counted(seed_config, tmp_path: Path):
    outside = write(tmp_path, "outside.txt", "Secret\n\nNot part of the corpus.")
    (seed_config.corpus / "link.txt").symlink_to(outside)
    report = sync(seed_config)
    assert report.skipped == 1 and "link.txt" in report.warnings[0]
    assert doc_ids(seed_config) == {SEED_ID}


def found(config: Config, text: str) -> list[str]:
    from indexer.whoosh_engine.search.searching import search
    from indexer.whoosh_engine.store.readers import reading

    with reading(config) as searcher:
        return [hit.id for hit in search(searcher, text, per_page=100).hits]


def count(config: Config) -> int:
    with open_index(config).searcher() as searcher:
        return searcher.doc_count()


def test_each_change_shows_in_search_results_and_counts(seed_config):
    corpus = seed_config.corpus
    write(corpus, "a/zebra.txt", "Zebra news\n\nThe zebra escaped from the zoo.")
    sync(seed_config)
    assert (found(seed_config, "zebra"), count(seed_config)) == (["a/zebra.txt"], 2)

    write(corpus, "a/zebra.txt", "Okapi news\n\nThe okapi escaped from the zoo.")
    sync(seed_config)
    assert found(seed_config, "zebra") == [] and found(seed_config, "okapi") == ["a/zebra.txt"]

    (corpus / "b").mkdir()
    os.rename(corpus / "a" / "zebra.txt", corpus / "b" / "okapi.txt")
    sync(seed_config)
    assert (found(seed_config, "okapi"), count(seed_config)) == (["b/okapi.txt"], 2)

    os.remove(corpus / "b" / "okapi.txt")
    for _ in range(3):  # a deleted article never comes back
        sync(seed_config)
        assert (found(seed_config, "okapi"), count(seed_config)) == ([], 1)
    sync(seed_config, rebuild=True)
    assert (found(seed_config, "okapi"), count(seed_config)) == ([], 1)


def test_touch_without_change_keeps_the_document(seed_config):
    path = seed_config.corpus / SEED_ID
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    report = sync(seed_config)
    assert (report.unchanged, report.updated, count(seed_config)) == (1, 0, 1)
    assert found(seed_config, "kidnappings") == [SEED_ID]


def test_several_processes_index_the_same_documents(tmp_path: Path):
    from .helpers import write_version

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_version(corpus, 1)
    one = Config(corpus=corpus, index=tmp_path / "one")
    two = Config(corpus=corpus, index=tmp_path / "two")
    assert sync(one).added == sync(two, procs=2).added == 1500
    write_version(corpus, 2)
    report = sync(two, procs=2)
    assert (report.updated, report.added, report.removed) == (1300, 300, 200)
    sync(one)
    with open_index(one).searcher() as a, open_index(two).searcher() as b:
        assert a.doc_count() == b.doc_count() == 1600
        assert sorted(a.all_stored_fields(), key=lambda f: f["id"]) == \
            sorted(b.all_stored_fields(), key=lambda f: f["id"])
    # equal scores may come in another order (document numbers differ by segment)
    assert found(one, "story 1234")[0] == found(two, "story 1234")[0] == "s1234.txt"
    assert found(one, '"story 1234"') == found(two, '"story 1234"') == ["s1234.txt"]
