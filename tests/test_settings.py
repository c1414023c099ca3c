"""The index knows itself: the language and corpus it was built with are used when
not given, another corpus is refused instead of silently replacing it, and every
hint names the paths that would really be used. Driven through the CLI (and the
web app) on real indexes in temporary folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import Config
from indexer.cli import cli
from indexer.whoosh_engine.codec.schema import SCHEMA_VERSION
from indexer.whoosh_engine.store.generations import CURRENT, current_generation

from .helpers import ROOT, client_for, write

# "correr" and "corren" share the Spanish stem "corr"; English stems leave them apart,
# so only an index (and a query) analysed as Spanish finds the article by "correr".
SPANISH = "Los gatos de Madrid\n\nLos gatos corren por las calles cada mañana.\n"
OTHER = "Harbour news\n\nShips came into the harbour at dawn.\n"
NO_SETTINGS_ENV = {"SEEDSEARCH_CORPUS": None, "SEEDSEARCH_INDEX": None,
                   "SEEDSEARCH_LANGUAGE": None}


@pytest.fixture
def runner() -> CliRunner:
    """A runner that does not see SEEDSEARCH_* variables of the test's environment."""
    return CliRunner(env=NO_SETTINGS_ENV)


def cli_run(runner: CliRunner, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def spanish(tmp_path: Path, runner: CliRunner) -> Config:
    """A corpus of one Spanish article, indexed with --language spanish."""
    config = Config(corpus=tmp_path / "es", index=tmp_path / "index", language="spanish")
    write(config.corpus, "gatos.txt", SPANISH)
    built = cli_run(runner, "index", "--corpus", str(config.corpus), "--index",
                    str(config.index), "--language", "spanish", "-q")
    assert built.exit_code == 0, built.output
    return config


@pytest.fixture
def other(tmp_path: Path) -> Path:
    corpus = tmp_path / "other"
    write(corpus, "harbour.txt", OTHER)
    return corpus


def settings(index: Path) -> dict:
    generation = current_generation(index)
    assert generation is not None
    return json.loads((generation / "settings.json").read_text())


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
            for p in sorted(folder.rglob("*"))}


def search_json(runner: CliRunner, *args: str) -> dict:
    result = cli_run(runner, "search", "--json", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


# ------------------------------------------------------------------ the language


def test_a_spanish_index_is_searched_as_spanish_without_language(spanish, runner):
    found = search_json(runner, "--index", str(spanish.index), "correr")
    assert found["total"] == 1 and found["hits"][0]["id"] == "gatos.txt"
    info = json.loads(cli_run(runner, "info", "--json", "--index", str(spanish.index)).stdout)
    assert info["language"] == "spanish"
    assert info["corpus"] == str(spanish.corpus.resolve())  # the index's, not ./seeds


def test_the_same_corpus_built_without_language_is_english(spanish, runner, tmp_path):
    english = tmp_path / "english-index"
    assert cli_run(runner, "index", "--corpus", str(spanish.corpus), "--index", str(english),
                   "-q").exit_code == 0
    assert settings(english)["language"] == "english"
    assert search_json(runner, "--index", str(english), "correr")["total"] == 0


def test_another_language_given_is_refused_in_plain_words(spanish, runner):
    result = cli_run(runner, "search", "--index", str(spanish.index), "--language",
                     "english", "correr")
    assert result.exit_code == 1
    message = result.stderr
    assert f"The index at {spanish.index.resolve()} was built for spanish, not english." \
        in message
    assert "Search it without --language (or with --language spanish)" in message
    assert "rebuild it for english: seedsearch index --rebuild --language english" in message
    assert "IndexSettings" not in message and "schema_version" not in message


def test_the_language_from_the_environment_counts_as_given(spanish, runner):
    result = cli_run(runner, "search", "--index", str(spanish.index), "correr",
                     env={"SEEDSEARCH_LANGUAGE": "english"})
    assert result.exit_code == 1
    assert "was built for spanish" in result.stderr
    assert "without --language and SEEDSEARCH_LANGUAGE unset" in result.stderr


def test_index_keeps_the_index_language_and_rebuilds_for_one_given(spanish, runner):
    index = str(spanish.index)
    rebuilt = cli_run(runner, "index", "--index", index, "--rebuild", "-q")
    assert rebuilt.exit_code == 0 and settings(spanish.index)["language"] == "spanish"
    changed = cli_run(runner, "index", "--index", index, "--language", "english")
    assert changed.exit_code == 0, changed.output
    assert "rebuilding the index: it was built for spanish, not english" in changed.stderr
    assert "Built" in changed.stderr and settings(spanish.index)["language"] == "english"
    assert search_json(runner, "--index", index, "correr")["total"] == 0


def test_the_web_searches_the_index_in_its_language(spanish):
    with client_for(Config(corpus=spanish.corpus, index=spanish.index,
                           defaulted=frozenset({"language"}))) as client:
        found = client.get("/api/search?q=correr")
        assert found.status_code == 200 and found.get_json()["total"] == 1


def test_serve_passes_on_settings_not_given(spanish):
    from searchweb import create_app
    from searchweb.cli import app_settings

    given = Config(corpus=spanish.corpus, index=spanish.index, language="spanish",
                   defaulted=frozenset({"language", "corpus"}))
    app = create_app({**app_settings(given, "127.0.0.1", 8000, (), None), "TESTING": True})
    try:
        service = app.extensions["seedsearch"]
        assert not service.config.given("language") and service.config.language == "spanish"
        assert service.config.corpus == spanish.corpus.resolve()
        assert app.test_client().get("/api/search?q=correr").get_json()["total"] == 1
    finally:
        app.extensions["seedsearch"].close()


# ------------------------------------------------------------------ the corpus


def test_a_new_index_records_its_corpus_and_folder(spanish):
    recorded = settings(spanish.index)
    assert recorded == {"schema_version": SCHEMA_VERSION, "language": "spanish",
                        "corpus": str(spanish.corpus.resolve()),
                        "index": str(spanish.index.resolve())}


def test_another_corpus_is_refused_and_the_index_left_as_it_was(spanish, other, runner):
    before = snapshot(spanish.index)
    result = cli_run(runner, "index", "--corpus", str(other), "--index", str(spanish.index))
    assert result.exit_code == 1
    assert (f"The index at {spanish.index.resolve()} holds the corpus "
            f"{spanish.corpus.resolve()}, not {other.resolve()}.") in result.stderr
    assert f"seedsearch index --rebuild --corpus {other.resolve()}" in result.stderr
    assert f"--corpus {other.resolve()} --index NEW_FOLDER" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(spanish.index) == before
    assert search_json(runner, "--index", str(spanish.index), "correr")["total"] == 1


def test_rebuild_replaces_the_corpus_and_a_new_index_keeps_both(spanish, other, runner,
                                                                 tmp_path):
    second = tmp_path / "second-index"
    kept = cli_run(runner, "index", "--corpus", str(other), "--index", str(second), "-q")
    assert kept.exit_code == 0, kept.output
    assert search_json(runner, "--index", str(second), "harbour")["total"] == 1
    assert search_json(runner, "--index", str(spanish.index), "correr")["total"] == 1
    replaced = cli_run(runner, "index", "--corpus", str(other), "--index",
                       str(spanish.index), "--rebuild", "-q")
    assert replaced.exit_code == 0, replaced.output
    assert settings(spanish.index)["corpus"] == str(other.resolve())
    assert search_json(runner, "--index", str(spanish.index), "harbour")["total"] == 1
    # --rebuild kept the index's language (none was given)
    assert settings(spanish.index)["language"] == "spanish"


def test_index_without_corpus_updates_the_corpus_the_index_holds(spanish, runner, tmp_path,
                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path / "es")  # ./seeds does not exist here
    write(spanish.corpus, "mas.txt", "Perros\n\nLos perros corren también.\n")
    result = cli_run(runner, "index", "--index", str(spanish.index))
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stderr and "1 unchanged" in result.stderr


@pytest.mark.parametrize("command", [["watch"], ["serve", "--port", "0"]])
def test_watch_and_serve_refuse_another_corpus(spanish, other, command):
    """Run as processes with a timeout: a command that did not refuse would go on
    watching or serving, and fail the test by the timeout."""
    done = subprocess.run([sys.executable, "-m", "indexer", *command, "--corpus", str(other),
                           "--index", str(spanish.index)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 1, done.stderr
    assert f"holds the corpus {spanish.corpus.resolve()}, not {other.resolve()}" in done.stderr
    assert "--rebuild" in done.stderr and "sync failed" not in done.stderr


def test_an_index_without_recorded_paths_is_accepted_then_learns_them(spanish, other, runner):
    generation = current_generation(spanish.index)
    legacy = {"schema_version": SCHEMA_VERSION, "language": "spanish"}
    (generation / "settings.json").write_text(json.dumps(legacy, indent=2) + "\n")
    assert search_json(runner, "--index", str(spanish.index), "correr")["total"] == 1
    updated = cli_run(runner, "index", "--corpus", str(spanish.corpus), "--index",
                      str(spanish.index))
    assert updated.exit_code == 0, updated.output
    assert "Updated" in updated.stderr and "1 unchanged" in updated.stderr
    assert current_generation(spanish.index) == generation  # updated, not rebuilt
    assert settings(spanish.index) == {**legacy, "corpus": str(spanish.corpus.resolve()),
                                       "index": str(spanish.index.resolve())}
    refused = cli_run(runner, "index", "--corpus", str(other), "--index", str(spanish.index))
    assert refused.exit_code == 1 and "holds the corpus" in refused.stderr


def test_an_index_moved_with_its_corpus_is_the_same_index(spanish, runner, tmp_path):
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(spanish.corpus, moved / "es")
    shutil.move(spanish.index, moved / "index")
    result = cli_run(runner, "index", "--index", str(moved / "index"))
    assert result.exit_code == 0, result.output
    assert "Updated" in result.stderr and "1 unchanged" in result.stderr
    assert settings(moved / "index")["corpus"] == str((moved / "es").resolve())
    assert settings(moved / "index")["index"] == str((moved / "index").resolve())


# ------------------------------------------------------------------ hints name real paths


def test_from_another_folder_the_hint_says_the_corpus_is_not_there(tmp_path, runner,
                                                                    monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli_run(runner, "search", "anything")
    assert result.exit_code == 1
    here = tmp_path.resolve()
    assert (f"There is no index at {here / '.seedsearch' / 'index'} yet, and the corpus "
            f"folder {here / 'seeds'} does not exist.") in result.stderr
    assert "seedsearch index --corpus FOLDER" in result.stderr
    built = cli_run(runner, "index")
    assert built.exit_code == 1
    assert f"Corpus seeds ({here / 'seeds'}) does not exist." in built.stderr


def test_the_hint_names_the_corpus_resolved_and_the_index_given(tmp_path, runner,
                                                                monkeypatch):
    write(tmp_path / "seeds", "a.txt", OTHER)
    monkeypatch.chdir(tmp_path)
    plain = cli_run(runner, "search", "harbour")
    here = tmp_path.resolve()
    assert plain.stderr.endswith(f"Build it with: seedsearch index --corpus {here / 'seeds'}\n")
    elsewhere = cli_run(runner, "search", "--index", "ix", "--language", "french", "harbour")
    assert elsewhere.stderr.endswith(
        f"Build it with: seedsearch index --language french --corpus {here / 'seeds'} "
        f"--index {here / 'ix'}\n")
    assert cli_run(runner, "index", "--index", "ix", "-q").exit_code == 0
    assert search_json(runner, "--index", "ix", "harbour")["total"] == 1


def test_a_damaged_index_hint_names_the_command_for_these_settings(spanish, runner,
                                                                   tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (spanish.index / CURRENT).write_text("not a generation\n")
    result = cli_run(runner, "search", "--corpus", "es", "--index", "index", "correr")
    assert result.exit_code == 1 and "is damaged" in result.stderr
    assert result.stderr.endswith(
        f"Rebuild it with: seedsearch index --rebuild --corpus {spanish.corpus.resolve()} "
        f"--index {spanish.index.resolve()}\n")


# ------------------------------------------------------------------ the web


@pytest.mark.parametrize("url", ["/api/search?q=x", "/healthz"])
def test_a_file_given_as_the_index_is_a_503_saying_so_on_the_web(tmp_path, other, url):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with client_for(Config(corpus=other, index=afile)) as client:
        response = client.get(url)
    assert response.status_code == 503
    message = response.get_json()["error"]["message"]
    assert message == f"{afile} is not a folder: choose a folder for the index with --index."
    assert afile.read_text() == "x"


def test_the_web_503_without_an_index_names_the_resolved_corpus(tmp_path, other):
    with client_for(Config(corpus=other, index=tmp_path / "missing")) as client:
        error = client.get("/api/search?q=x").get_json()["error"]
    assert error["message"] == f"There is no index at {(tmp_path / 'missing').resolve()} yet."
    assert error["hint"] == (f"Build it with: seedsearch index --corpus {other.resolve()} "
                             f"--index {(tmp_path / 'missing').resolve()}")
