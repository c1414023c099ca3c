"""An --index folder that is not ours is never touched: a folder of the user's files
is refused before anything is written, and the cleaner removes only what it made."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer import Config
from indexer.cli import cli
from indexer.errors import InvalidSetting
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.store.generations import CURRENT, check_index_folder, current_generation

from .helpers import SEED_ID


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under `folder`: a file's bytes, None for a folder or a link."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() and not p.is_symlink()
                                         else None)
            for p in sorted(folder.rglob("*"))}


def run(runner, *args: str):
    return runner.invoke(cli, list(args))


def assert_refused(result, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output


@pytest.fixture
def c3(tmp_path: Path) -> Path:
    """The reviewed case: a corpus whose subfolders are named like our leftovers."""
    corpus = tmp_path / "c3"
    (corpus / "gen-2013").mkdir(parents=True)
    (corpus / "trash-talk").mkdir()
    (corpus / "gen-2013" / "a.txt").write_text("A\n\nalpha one\n")
    (corpus / "trash-talk" / "b.txt").write_text("B\n\nalpha two\n")
    (corpus / "c.txt").write_text("C\n\nalpha three\n")
    return corpus


def test_the_corpus_given_as_index_is_refused_and_left_byte_for_byte(c3, runner):
    before = snapshot(c3)
    result = run(runner, "index", "--corpus", str(c3), "--index", str(c3))
    assert_refused(result, "the index cannot be the corpus folder or hold it")
    assert snapshot(c3) == before  # nothing removed, nothing (not even write.lock) created
    with pytest.raises(InvalidSetting, match="the index cannot be the corpus folder or hold it"):
        check_index_folder(Config(corpus=c3, index=c3))
    with pytest.raises(InvalidSetting, match="the index cannot be the corpus folder or hold it"):
        check_index_folder(Config(corpus=c3, index=c3.parent))


def test_a_folder_of_the_users_files_is_refused_and_left_byte_for_byte(c3, tmp_path, runner):
    docs = tmp_path / "mydocs"
    (docs / "gen-notes").mkdir(parents=True)
    (docs / "gen-notes" / "notes.md").write_text("my notes\n")
    (docs / "trash-list.txt").write_text("things to throw away\n")
    before = snapshot(docs)
    for extra in ([], ["--rebuild"]):
        result = run(runner, "index", "--corpus", str(c3), "--index", str(docs), *extra)
        assert_refused(result, f"{docs} is not a seedsearch index: it holds other files "
                               "(gen-notes, trash-list.txt)",
                       "Choose an empty or new folder with --index.")
        assert snapshot(docs) == before
    assert_refused(run(runner, "search", "alpha", "--corpus", str(c3), "--index", str(docs)),
                   "is not a seedsearch index")


def test_an_index_inside_the_corpus_works(c3, runner):
    index = c3 / "ix"
    assert run(runner, "index", "--corpus", str(c3), "--index", str(index), "-q").exit_code == 0
    again = run(runner, "index", "--corpus", str(c3), "--index", str(index), "--rebuild", "-q")
    assert again.exit_code == 0, again.output
    found = run(runner, "search", "alpha", "--corpus", str(c3), "--index", str(index))
    assert found.exit_code == 0, found.output
    assert "3 results" in found.output  # the index's own files are not taken for articles
    assert (c3 / "gen-2013" / "a.txt").read_text() == "A\n\nalpha one\n"


def test_a_folder_holding_only_an_empty_generation_is_accepted_and_cleaned(config):
    (config.index / "gen-000001").mkdir(parents=True)  # a build killed before it wrote
    sync(config)
    live = current_generation(config.index)
    assert live is not None
    assert sorted(p.name for p in config.index.iterdir()) == [CURRENT, live.name, "write.lock"]


def test_a_real_index_still_drops_its_old_generations_after_rebuild(seed_config, runner):
    old = current_generation(seed_config.index)
    result = run(runner, "index", "--rebuild", "-q", "--corpus", str(seed_config.corpus),
                 "--index", str(seed_config.index))
    assert result.exit_code == 0, result.output
    new = current_generation(seed_config.index)
    assert new is not None and old is not None and new != old and not old.exists()
    found = run(runner, "search", "kidnappings", "--corpus", str(seed_config.corpus),
                "--index", str(seed_config.index))
    assert found.exit_code == 0 and SEED_ID in found.output


def test_things_named_like_ours_but_not_ours_are_left_alone(seed_config, tmp_path):
    """A link named like a generation or trash is neither followed nor removed; nor is
    a folder of the user's that has a generation's name but not our marker."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me")
    index = seed_config.index
    (index / "gen-000050").symlink_to(elsewhere, target_is_directory=True)
    (index / "trash-gen-000051-1-2").symlink_to(elsewhere, target_is_directory=True)
    (index / "gen-000052").mkdir()
    (index / "gen-000052" / "mine.txt").write_text("not an index file")
    (index / "trash-notes").mkdir()
    before = snapshot(elsewhere)
    sync(seed_config, rebuild=True)
    sync(seed_config, rebuild=True)
    assert snapshot(elsewhere) == before
    for name in ("gen-000050", "trash-gen-000051-1-2", "gen-000052", "trash-notes"):
        assert (index / name).is_symlink() or (index / name).is_dir(), name
    assert (index / "gen-000052" / "mine.txt").read_text() == "not an index file"


@pytest.mark.parametrize("command", [["index"], ["search", "alpha"], ["info"]])
def test_an_index_that_is_a_file_says_so(c3, tmp_path, runner, command):
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = run(runner, *command, "--corpus", str(c3), "--index", str(afile))
    assert_refused(result, f"{afile} is not a folder: choose a folder for the index "
                           "with --index.")
    assert "Run the command again" not in result.output and "Rebuild" not in result.output
    through = run(runner, *command, "--corpus", str(c3), "--index", str(afile / "sub"))
    assert_refused(through, f"{afile / 'sub'} is not a folder ({afile} is a file)")
    assert afile.read_text() == "x"


def test_a_new_or_empty_folder_is_fine(c3, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for index in (empty, tmp_path / "new" / "deeper"):
        sync(Config(corpus=c3, index=index))
        assert current_generation(index) is not None
    shutil.rmtree(empty)
