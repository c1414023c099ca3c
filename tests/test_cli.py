"""The `seedsearch` command, driven through click's CliRunner on real indexes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from indexer.cli import cli

from .conftest import ROOT, SEED_ID, write


def invoke(runner, config, *args, env=None):
    options = ["--corpus", str(config.corpus), "--index", str(config.index)]
    return runner.invoke(cli, [args[0], *options, *args[1:]], env=env, catch_exceptions=False)


def test_index_builds_then_updates(runner, config):
    first = invoke(runner, config, "index")
    assert first.exit_code == 0
    assert "Built" in first.stderr and "1 added" in first.stderr
    second = invoke(runner, config, "index")
    assert "Updated" in second.stderr and "1 unchanged" in second.stderr


def test_index_reads_settings_from_the_environment(runner, config):
    env = {"SEEDSEARCH_CORPUS": str(config.corpus), "SEEDSEARCH_INDEX": str(config.index)}
    result = runner.invoke(cli, ["index"], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and config.index.joinpath("CURRENT").exists()


def test_index_warns_about_bad_files_and_still_exits_0(runner, config):
    write(config.corpus, "binary.txt", b"\x00\x01\x02")
    result = invoke(runner, config, "index")
    assert result.exit_code == 0
    assert "warning: binary.txt: skipped" in result.stderr
    assert "1 skipped" in result.stderr


@pytest.mark.parametrize("query", ["Pena Nieto", "Peña Nieto", "kidnappings"])
def test_search_json_finds_the_seed(runner, seed_config, query):
    result = invoke(runner, seed_config, "search", "--json", query)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    hit = data["hits"][0]
    assert (hit["id"], hit["title"], hit["section"], hit["date"]) == (
        SEED_ID, "Putting an end to Mexico's drug war?", "Inside Story Americas",
        "2013-05-01T10:12:00")
    assert "<mark>" in hit["snippet"]
    assert data["query"] == query and data["total"] == 1


def test_search_text_is_plain_when_piped(runner, seed_config):
    result = invoke(runner, seed_config, "search", "kidnappings")
    assert "1 result for 'kidnappings'" in result.stdout
    assert "Putting an end to Mexico's drug war?" in result.stdout
    assert "2013-05-01 · Inside Story Americas" in result.stdout
    assert "\x1b[" not in result.stdout


def test_search_colours_matches_on_a_terminal(runner, seed_config):
    result = runner.invoke(cli, ["search", "--index", str(seed_config.index), "kidnappings"],
                           color=True, catch_exceptions=False)
    assert "\x1b[33m\x1b[1mkidnapping\x1b[0m" in result.stdout


@pytest.mark.parametrize("switch", [["--no-color"], []])
def test_no_color_flag_and_env(runner, seed_config, switch):
    env = {} if switch else {"NO_COLOR": "1"}
    result = runner.invoke(cli, ["search", "--index", str(seed_config.index), *switch,
                                 "kidnappings"], color=True, env=env, catch_exceptions=False)
    assert "kidnapping" in result.stdout and "\x1b[" not in result.stdout


def test_no_results_suggests_a_spelling(runner, seed_config):
    result = invoke(runner, seed_config, "search", "mexco")
    assert result.exit_code == 0
    assert "No results for 'mexco'." in result.stdout
    assert "Did you mean: mexico?" in result.stdout


def test_unparseable_query_gets_a_note_not_a_traceback(runner, seed_config):
    result = invoke(runner, seed_config, "search", '"drug war')
    assert result.exit_code == 0
    assert "note: Searched for the plain words 'drug war': a quote is not closed." in result.stderr
    assert "1 result" in result.stdout


def test_search_without_index_says_what_to_run(runner, config):
    result = invoke(runner, config, "search", "anything")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: No index at {config.index}.\n"
                             f"Build it with: seedsearch index --corpus {config.corpus}\n")


def test_missing_corpus_is_named(runner, tmp_path):
    result = runner.invoke(cli, ["index", "--corpus", str(tmp_path / "nope"), "--index",
                                 str(tmp_path / "ix")], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"Corpus {tmp_path / 'nope'} does not exist." in result.stderr


@pytest.mark.parametrize("args, name", [(["--limit", "0"], "--limit"), (["--page", "0"], "--page"),
                                        (["--sort", "random"], "--sort")])
def test_bad_options_are_usage_errors_naming_the_option(runner, seed_config, args, name):
    result = invoke(runner, seed_config, "search", *args, "drug")
    assert result.exit_code == 2 and name in result.stderr


def test_unknown_language_is_refused_with_choices(runner, config):
    result = invoke(runner, config, "index", "--language", "klingon")
    assert result.exit_code == 1
    assert "Unknown language 'klingon'" in result.stderr and "english" in result.stderr


def test_paging_and_sort_options(runner, seed_config):
    result = invoke(runner, seed_config, "search", "--json", "--limit", "1", "--page", "2",
                    "--sort", "newest", "drug")
    data = json.loads(result.stdout)
    assert (data["page"], data["per_page"], data["hits"]) == (2, 1, [])


def test_info_json(runner, seed_config):
    data = json.loads(invoke(runner, seed_config, "info", "--json").stdout)
    assert data["documents"] == 1
    assert data["corpus"] == str(seed_config.corpus.resolve())
    assert data["index"] == str(seed_config.index.resolve())
    assert data["size_bytes"] > 0 and data["last_update"]


def test_info_text(runner, seed_config):
    result = invoke(runner, seed_config, "info")
    assert "documents: 1" in result.stdout


def test_python_dash_m_runs_the_same_cli(seed_config):
    done = subprocess.run([sys.executable, "-m", "indexer", "search", "--index",
                           str(seed_config.index), "--json", "kidnappings"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout)["hits"][0]["id"] == SEED_ID
