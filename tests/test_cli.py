"""The `seedsearch` command, driven through click's CliRunner on real indexes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest
from click.testing import CliRunner

from indexer import Config, SearchRequest, open_engine
from indexer.cli import cli
from indexer.records import human_size
from indexer.terminal import format_results

from .helpers import ROOT, SEED_ID, write


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
    assert result.exit_code == 1  # nothing matched
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
    assert result.stderr == (f"Error: There is no index at {config.index.resolve()} yet.\n"
                             f"Build it with: seedsearch index --corpus {config.corpus.resolve()} "
                             f"--index {config.index.resolve()}\n")


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


def test_info_shows_a_size_people_read_and_json_keeps_bytes(runner, seed_config):
    size = json.loads(invoke(runner, seed_config, "info", "--json").stdout)["size_bytes"]
    assert isinstance(size, int) and size > 1024
    text = invoke(runner, seed_config, "info").stdout
    assert f"size on disk: {human_size(size)} ({size:,} bytes)" in text
    assert re.search(r"size on disk: \d+\.\d (KiB|MiB) \(", text)


@pytest.mark.parametrize("size, shown", [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"),
                                         (18_892_557, "18.0 MiB"), (5 * 1024 ** 3, "5.0 GiB"),
                                         (3 * 1024 ** 5, "3072.0 TiB")])
def test_human_sizes(size, shown):
    assert human_size(size) == shown


def test_python_dash_m_runs_the_same_cli(seed_config):
    done = subprocess.run([sys.executable, "-m", "indexer", "search", "--index",
                           str(seed_config.index), "--json", "kidnappings"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout)["hits"][0]["id"] == SEED_ID


# ------------------------------------------------------------------ what a search prints

STORM_BODY = " ".join(
    "The storm closed the harbour on Tuesday and the ferries stayed in port while the "
    "coastguard warned fishermen to keep their boats tied up until the wind dropped. "
    "Waves broke over the sea wall near the lighthouse, the quay was flooded and the "
    "council opened the school hall for families from the lower streets. Forecasters "
    "said the gale would ease by the weekend, but the harbour master told skippers that "
    "the channel would stay shut until divers had checked the moorings and the buoys "
    "were back in place.".split())


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory):
    """Three copies of one story (one word changed in each), and two other stories."""
    folder = tmp_path_factory.mktemp("newsroom")
    corpus = folder / "corpus"
    for number, word in enumerate(("Tuesday", "Wednesday", "Thursday"), start=1):
        write(corpus, f"storm/{number}.txt",
              f"Storm closes the harbour\n\n{STORM_BODY.replace('Tuesday', word)}\n")
    write(corpus, "keeper.txt", "Lighthouse keeper retires\n\nAfter forty years the "
                                "lighthouse keeper climbed the stairs for the last time.\n")
    write(corpus, "market.txt", "Fish market moves\n\nThe fish market leaves the harbour "
                                "for a new hall on the ring road.\n")
    config = Config(corpus=corpus, index=folder / "index")
    with open_engine(config) as engine:
        engine.sync()
    return config


def test_the_header_counts_articles_and_stories_and_a_hit_shows_its_copies(runner, newsroom):
    done = invoke(runner, newsroom, "search", "harbour")
    assert done.exit_code == 0
    lines = done.stdout.splitlines()
    assert lines[0].startswith("4 articles in 2 stories for 'harbour' (")
    (copies,) = [line.strip() for line in lines if line.strip().startswith("+")]
    kept = next(line for line in lines if "storm/" in line and "·" not in line[:5])
    listed = sorted(copies.removeprefix("+2 copies: ").split(", "))
    assert copies.startswith("+2 copies: ")
    assert sorted([*listed, kept.split(" · ")[-1].strip()]) == [
        "storm/1.txt", "storm/2.txt", "storm/3.txt"]
    data = json.loads(invoke(runner, newsroom, "search", "--json", "harbour").stdout)
    assert (data["total"], data["articles"]) == (2, 4)  # what the header said


def test_without_copies_the_header_says_results(runner, newsroom):
    done = invoke(runner, newsroom, "search", "keeper")
    assert done.stdout.splitlines()[0].startswith("1 result for 'keeper' (")
    assert "copies" not in done.stdout and "copy" not in done.stdout


def test_did_you_mean_also_when_the_other_words_match(runner, newsroom):
    done = invoke(runner, newsroom, "search", "harbour", "lighthuose")
    assert done.exit_code == 0
    lines = done.stdout.splitlines()
    assert "stories for 'harbour lighthuose'" in lines[0]
    assert lines[1] == "Did you mean: harbour lighthouse?"
    data = json.loads(invoke(runner, newsroom, "search", "--json", "harbour",
                             "lighthuose").stdout)
    assert data["suggestion"] == "harbour lighthouse"


def test_a_search_that_finds_nothing_exits_1_also_with_json(runner, newsroom):
    done = invoke(runner, newsroom, "search", "zeppelin")
    assert done.exit_code == 1
    assert done.stdout == "No results for 'zeppelin'.\n"
    as_json = invoke(runner, newsroom, "search", "--json", "zeppelin")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["total"] == 0  # the JSON is still printed
    assert invoke(runner, newsroom, "search", "--json", "harbour").exit_code == 0
    past = invoke(runner, newsroom, "search", "--page", "5", "harbour")
    assert past.exit_code == 0 and "past the last page" in past.stdout  # matches exist
    assert "status 1 when nothing matches" in " ".join(
        invoke(runner, newsroom, "search", "--help").stdout.split())


def test_an_explanation_follows_no_results(newsroom):
    with open_engine(newsroom) as engine:
        nothing = engine.search(SearchRequest("zeppelin"))
    why = "No article is dated 1999; the years are 2013 to 2014."
    text = format_results(replace(nothing, explanation=why))
    assert text.splitlines() == ["No results for 'zeppelin'.", why]
    hostile = format_results(replace(nothing, explanation="bad \x1b[2J section"))
    assert "\x1b" not in hostile and "bad \\x1b[2J section" in hostile


def test_a_lower_bound_says_at_least(newsroom):
    with open_engine(newsroom) as engine:
        found = engine.search(SearchRequest("harbour"))
    text = format_results(replace(found, total_exact=False))
    assert text.startswith("4 articles in at least 2 stories for 'harbour'")


def test_similar_names_the_article_it_is_like(runner, newsroom):
    done = invoke(runner, newsroom, "similar", "storm/1.txt")
    assert done.exit_code == 0
    header = done.stdout.splitlines()[0]
    assert re.match(r"\d+ articles? (in \d+ stor(y|ies) )?like 'Storm closes the harbour' "
                    r"\(storm/1\.txt\)", header), header
    assert "like storm/1.txt" not in done.stdout


def test_thousands_are_written_with_separators(runner, stories):
    done = invoke(runner, stories, "search", "story")
    header = done.stdout.splitlines()[0]
    assert header.startswith("1,500 articles in "), header
    assert re.search(r"\+1,\d{3} copies: s\d{4}\.txt, s\d{4}\.txt, s\d{4}\.txt, …",
                     done.stdout)


@pytest.fixture(scope="module")
def bbc_built(bbc_tree, tmp_path_factory):
    """BBC indexed by the command, stderr a pipe (the CliRunner's): what CI's log gets."""
    config = Config(corpus=bbc_tree, index=tmp_path_factory.mktemp("bbc-cli") / "index")
    return config, invoke(CliRunner(), config, "index")


def test_bbc_shows_did_you_mean_with_its_hits(bbc_built, runner):
    config, _ = bbc_built
    done = invoke(runner, config, "search", "gordon", "brwon")
    assert done.exit_code == 0
    lines = done.stdout.splitlines()
    assert re.match(r"[\d,]+ articles in [\d,]+ stories for 'gordon brwon' · page 1 of \d+",
                    lines[0]), lines[0]
    assert lines[1] == "Did you mean: gordon brown?"


def test_a_piped_bbc_build_names_its_stages(bbc_built):
    _, built = bbc_built
    assert built.exit_code == 0, built.output
    lines = built.stderr.splitlines()
    starts = [line for line in lines if line.endswith("…")]
    assert starts == ["reading…", "writing the index…", "committing…", "publishing…"]
    assert lines[-1].startswith("Built ")
    assert "\r" not in built.stderr and "\x1b" not in built.stderr
    warning = next(line for line in lines if line.startswith("warning: "))
    assert warning.startswith("warning: sport/199.txt: not valid UTF-8")


# ------------------------------------------------------------------ progress of `index`

def index_lines(runner, config, *options):
    done = invoke(runner, config, "index", *options)
    assert done.exit_code == 0, done.output
    assert "\r" not in done.stderr and "\x1b" not in done.stderr  # a pipe gets plain lines
    return done.stderr.splitlines()


@pytest.fixture
def corpus_of_five(tmp_path):
    corpus = tmp_path / "five"
    for number in range(5):
        write(corpus, f"{number}.txt", f"Story {number}\n\nHarbour story {number}.\n")
    write(corpus, "empty.txt", "")
    return Config(corpus=corpus, index=tmp_path / "index")


def test_piped_progress_counts_every_interval(runner, corpus_of_five, monkeypatch):
    monkeypatch.setattr("indexer.progress.PLAIN_SECONDS", 0.0)  # a line at every article
    lines = index_lines(runner, corpus_of_five)
    assert lines[0] == "reading…"
    counts = [line for line in lines if re.match(r"reading: \d of 6 articles", line)]
    assert len(counts) >= 6 and counts[-1].startswith("reading: 6 of 6 articles")
    assert "warning: empty.txt: skipped, it is empty" in lines
    assert [line for line in lines if line.endswith("…")] == [
        "reading…", "writing the index…", "committing…", "publishing…"]
    assert lines[-1].startswith("Built ")


def test_a_quick_piped_run_names_its_stages_without_counts(runner, corpus_of_five,
                                                          monkeypatch):
    monkeypatch.setattr("indexer.progress.PLAIN_SECONDS", 3600.0)  # the run is quicker
    lines = index_lines(runner, corpus_of_five)
    assert lines[0] == "reading…" and lines[-1].startswith("Built ")
    assert not [line for line in lines if "articles" in line]  # under PLAIN_SECONDS


def test_verbose_says_how_long_each_stage_took(runner, corpus_of_five):
    lines = index_lines(runner, corpus_of_five, "--verbose")
    took = [line for line in lines if re.search(r": (.*, )?done in \d+\.\d s$", line)]
    assert [line.split(":")[0] for line in took] == [
        "reading", "writing the index", "committing", "publishing"]


def test_quiet_prints_the_summary_only(runner, corpus_of_five):
    lines = index_lines(runner, corpus_of_five, "--quiet")
    assert len(lines) == 1 and lines[0].startswith("Built ")
    again = index_lines(runner, corpus_of_five, "-q")
    assert len(again) == 1 and again[0].startswith("Updated ")
