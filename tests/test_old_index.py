"""An index made by the previous version (index format 9) meets this one.

tests/data/index-format-9/ holds such an index, built from the seed article
beside it (seeds/). Its schema pickles class paths that have since moved, so
it cannot be read: `search` refuses it, naming the format and the command that
rebuilds it; `index` and `serve` rebuild it by themselves, saying why.

Each test copies both folders, keeping their layout: the index records where
its corpus was, and an index moved with its corpus is the same index.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from indexer import LOCK_TIMEOUT, SearchRequest, load_config, open_engine
from indexer.cli import cli
from indexer.whoosh_engine.codec.schema import SCHEMA_VERSION
from searchweb.cli import update_index

from .helpers import SEED_ID

FORMAT_9 = Path(__file__).parent / "data" / "index-format-9"
WHY = "rebuilding the index: it is in index format 9"
UNSET = {"SEEDSEARCH_CORPUS": None, "SEEDSEARCH_INDEX": None, "SEEDSEARCH_LANGUAGE": None,
         "SEEDSEARCH_ENGINE": None}  # only the options given count


@pytest.fixture
def old_index(tmp_path: Path) -> Path:
    """A copy of the format-9 index, its corpus beside it as when it was built."""
    for folder in ("index", "seeds"):
        shutil.copytree(FORMAT_9 / folder, tmp_path / folder)
    return tmp_path / "index"


def run(index: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [args[0], "--index", str(index), *args[1:]], env=UNSET)


def test_the_copy_is_a_format_9_index_recorded_elsewhere(old_index):
    generation = old_index / (old_index / "CURRENT").read_text().strip()
    settings = json.loads((generation / "settings.json").read_text())
    assert settings["schema_version"] == 9 < SCHEMA_VERSION
    assert Path(settings["index"]) != old_index.resolve()  # moved, with its corpus


def test_search_refuses_it_naming_the_format_and_the_rebuild(old_index):
    result = run(old_index, "search", "Nieto")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stdout == "" and "Traceback" not in result.output
    assert "made by another version of seedsearch" in result.stderr
    assert f"index format 9; this version reads format {SCHEMA_VERSION}" in result.stderr
    assert (f"Rebuild it with: seedsearch index --rebuild --corpus "
            f"{old_index.parent.resolve() / 'seeds'} --index {old_index.resolve()}"
            in result.stderr)


def test_index_rebuilds_it_saying_why_and_then_search_finds_the_article(old_index):
    rebuilt = run(old_index, "index")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"{WHY}, this version writes {SCHEMA_VERSION}" in rebuilt.stderr
    assert "1 added" in rebuilt.stderr
    found = run(old_index, "search", "--json", "Nieto")
    assert found.exit_code == 0, found.output
    assert [hit["id"] for hit in json.loads(found.stdout)["hits"]] == [SEED_ID]
    again = run(old_index, "index")
    assert again.exit_code == 0 and "rebuilding" not in again.stderr
    assert "1 unchanged" in again.stderr


def test_info_after_the_rebuild_says_the_current_format(old_index):
    assert run(old_index, "index").exit_code == 0
    info = run(old_index, "info", "--json")
    assert info.exit_code == 0, info.output
    facts = json.loads(info.stdout)
    assert facts["schema_version"] == SCHEMA_VERSION == 10
    assert facts["documents"] == 1
    assert facts["corpus"] == str(old_index.parent.resolve() / "seeds")


def test_serve_rebuilds_it_before_serving(old_index, capsys):
    """`serve` brings the index up to date with `update_index` before it listens."""
    config = load_config({"index": str(old_index)}, environ={})
    update_index(config, LOCK_TIMEOUT)
    assert WHY in capsys.readouterr().err
    with open_engine(config) as engine:
        assert engine.info().schema_version == SCHEMA_VERSION
        assert [hit.id for hit in engine.search(SearchRequest("Nieto")).hits] == [SEED_ID]
