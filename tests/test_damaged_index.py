"""A damaged index says so, never follows CURRENT out of its folder, and
`seedsearch index --rebuild` always brings it back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import indexer.whoosh_engine.store.generations
import indexer.whoosh_engine.store.readers
from indexer import Config
from indexer.cli import cli
from indexer.errors import IndexDamaged
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.store.generations import (
    CURRENT,
    current_generation,
    live_generation_or_none,
)
from searchweb import create_app

from .helpers import ROOT, SEED_ID

Damage = Callable[[Config, Path], None]


@pytest.fixture(autouse=True)
def short_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing file is retried for 5 s in case a rebuild is swapping generations;
    damage that lasts is reported after that. 0.2 s keeps these tests short."""
    monkeypatch.setattr(indexer.whoosh_engine.store.generations, "LEASE_PATIENCE", 0.2)
    monkeypatch.setattr(indexer.whoosh_engine.store.readers, "OPEN_PATIENCE", 0.2)


def live(config: Config) -> Path:
    generation = current_generation(config.index)
    assert generation is not None
    return generation


def segment_file(config: Config, suffix: str) -> Path:
    (path,) = [p for p in live(config).iterdir() if p.name.endswith(suffix)]
    return path


def truncate(path: Path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def point_current(text: str | bytes) -> Damage:
    def damage(config: Config, outside: Path) -> None:
        data = text if isinstance(text, bytes) else text.replace("OUTSIDE", str(outside))
        (config.index / CURRENT).write_bytes(data if isinstance(data, bytes) else data.encode())
    return damage


def symlinked_generation(config: Config, outside: Path) -> None:
    (config.index / "gen-000002").symlink_to(outside, target_is_directory=True)
    (config.index / CURRENT).write_text("gen-000002\n")


def toc_zeros(config: Config, outside: Path) -> None:
    toc = segment_file(config, ".toc")
    toc.write_bytes(bytes(toc.stat().st_size))


# damage -> (how to do it, what the message must say)
DAMAGES: dict[str, tuple[Damage, str]] = {
    "current-garbage": (point_current(b"\x00\xff\xfe garbage \x1b[31m"),
                        "CURRENT is damaged: it names"),
    "current-dotdot": (point_current("x/../../elsewhere\n"),
                       "CURRENT is damaged: it names 'x/../../elsewhere', not a generation"),
    "current-parent": (point_current("../elsewhere"), "CURRENT is damaged: it names '../"),
    "current-absolute": (point_current("OUTSIDE\n"), "CURRENT is damaged: it names '/"),
    "current-empty": (point_current(b""), "CURRENT is damaged: it is empty"),
    "current-huge": (point_current(b"gen-000001\n" * 100_000),
                     "CURRENT is damaged: it is over 256 bytes long"),
    "current-two-names": (point_current("gen-000001\ngen-000002\n"),
                          "CURRENT is damaged: it names 'gen-000001\\ngen-000002'"),
    "current-names-missing-generation": (point_current("gen-000042\n"),
                                         "CURRENT names gen-000042, which is not there"),
    "generation-is-a-symlink": (symlinked_generation, "gen-000002, a symbolic link"),
    "toc-truncated": (lambda c, o: truncate(segment_file(c, ".toc"), 0.5),
                      "its table of contents _MAIN_1.toc cannot be read (truncated)"),
    "toc-zeros": (toc_zeros, "its table of contents _MAIN_1.toc cannot be read"),
    "toc-deleted": (lambda c, o: segment_file(c, ".toc").unlink(),
                    "its table of contents (_MAIN_*.toc) is missing"),
    "postings-truncated": (lambda c, o: truncate(segment_file(c, ".pst"), 0.5),
                           ".pst cannot be read"),
    "terms-truncated": (lambda c, o: truncate(segment_file(c, ".trm"), 0.5),
                        ".trm cannot be read"),
    "terms-deleted": (lambda c, o: segment_file(c, ".trm").unlink(), ".trm is missing"),
    "stored-fields-truncated": (lambda c, o: truncate(segment_file(c, "._stored.col"), 0.5),
                                "the column file MAIN_"),
    "dates-column-emptied": (lambda c, o: truncate(segment_file(c, ".date.col"), 0),
                             ".date.col cannot be read"),
    "lengths-column-deleted": (lambda c, o: segment_file(c, "._body_len.col").unlink(),
                               "._body_len.col is missing"),
    "settings-garbage": (lambda c, o: (live(c) / "settings.json").write_bytes(b"{not json"),
                         "settings.json is damaged: it is not JSON"),
    "settings-missing": (lambda c, o: (live(c) / "settings.json").unlink(),
                         "settings.json is missing"),
}


@pytest.fixture
def outside(tmp_path: Path, seed_config: Config) -> Path:
    """A folder beside the index holding a copy of a generation (but no readers.lock),
    which a CURRENT naming it must never make seedsearch read or write."""
    folder = tmp_path / "elsewhere"
    shutil.copytree(live(seed_config), folder)
    (folder / "readers.lock").unlink()
    return folder


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def invoke(runner, config: Config, *args: str):
    return runner.invoke(cli, [*args, "--corpus", str(config.corpus), "--index", str(config.index)])


def assert_reported(result, expected: str) -> None:
    """Exit 1 with one message naming the problem and the repair; no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught error
    assert expected in result.output
    assert "seedsearch index --rebuild" in result.output
    assert "Traceback" not in result.output and "Aborted!" not in result.output


@pytest.mark.parametrize("name", DAMAGES)
def test_a_damaged_index_says_so_and_rebuild_recovers_it(seed_config, outside, runner, name):
    damage, expected = DAMAGES[name]
    damage(seed_config, outside)
    before = snapshot(outside)

    assert_reported(invoke(runner, seed_config, "search", "x"), expected)
    assert_reported(invoke(runner, seed_config, "info"), expected)

    rebuilt = invoke(runner, seed_config, "index", "--rebuild", "--quiet")
    assert rebuilt.exit_code == 0, rebuilt.output
    found = invoke(runner, seed_config, "search", "kidnappings", "--json")
    assert found.exit_code == 0, found.output
    answer = json.loads(found.stdout)
    assert answer["total"] == 1 and answer["hits"][0]["id"] == SEED_ID
    generations = [p.name for p in seed_config.index.iterdir()
                   if p.name.startswith("gen-") and not p.is_symlink()]
    assert generations == [live(seed_config).name]  # the damaged ones are gone, links left
    assert snapshot(outside) == before  # nothing outside the index was read into or written


WEB_DAMAGES = ["current-garbage", "current-absolute", "toc-truncated", "postings-truncated",
               "settings-garbage", "terms-deleted"]


@pytest.mark.parametrize("name", WEB_DAMAGES)
def test_the_web_answers_503_naming_the_damage(seed_config, outside, name):
    damage, expected = DAMAGES[name]
    damage(seed_config, outside)
    before = snapshot(outside)
    app = create_app({"corpus": seed_config.corpus, "index": seed_config.index,
                      "TESTING": True})
    client = app.test_client()
    try:
        for url in ("/api/search?q=x", "/healthz", "/api/search?q=x"):
            response = client.get(url)
            assert response.status_code == 503, (url, response.get_json())
            error = response.get_json()["error"]
            assert expected in error["message"]
            assert "seedsearch index --rebuild" in error["hint"]
        sync(seed_config, rebuild=True)  # picked up without a restart: nothing broken was kept
        assert client.get("/api/search?q=kidnappings").get_json()["total"] == 1
        assert client.get("/healthz").get_json()["documents"] == 1
    finally:
        app.extensions["seedsearch"].close()
    assert snapshot(outside) == before


def test_a_running_app_reports_current_damaged_under_it_then_follows_the_rebuild(
        seed_config, outside):
    app = create_app({"corpus": seed_config.corpus, "index": seed_config.index,
                      "TESTING": True})
    client = app.test_client()
    try:
        assert client.get("/api/search?q=kidnappings").get_json()["total"] == 1
        point_current(str(outside) + "\n")(seed_config, outside)
        response = client.get("/healthz")
        assert response.status_code == 503
        assert "CURRENT is damaged" in response.get_json()["error"]["message"]
        sync(seed_config, rebuild=True)
        assert client.get("/api/search?q=kidnappings").get_json()["total"] == 1
    finally:
        app.extensions["seedsearch"].close()


def test_writers_treat_a_damaged_current_as_no_live_generation(seed_config):
    (seed_config.index / CURRENT).write_text("../../etc\n")
    with pytest.raises(IndexDamaged, match="not a generation of this index"):
        current_generation(seed_config.index)
    assert live_generation_or_none(seed_config.index) is None


def test_rebuild_recovers_from_what_killed_and_hostile_runs_leave(seed_config, tmp_path,
                                                                    runner):
    """Garbage CURRENT, a stray CURRENT.tmp (a link out of the index, even), trash
    folders: a rebuild removes them. A file or links posing as generations or trash
    are not ours: they are left alone, and followed by nothing."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    index = seed_config.index
    (index / CURRENT).write_bytes(b"\xff" * 300)
    (index / "CURRENT.tmp").symlink_to(outside / "precious.txt")
    trash = index / "trash-gen-000001-4242-1700000000000000000"  # a run killed mid-remove
    trash.mkdir()
    (trash / "MAIN_x.pst").write_bytes(b"x" * 100)
    (index / "trash-gen-000003-1-2").symlink_to(outside, target_is_directory=True)
    (index / "gen-000007").write_text("not a folder")
    (index / "gen-000008").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)

    result = invoke(runner, seed_config, "index", "--rebuild", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in index.iterdir()) == sorted([
        CURRENT, live(seed_config).name, "gen-000007", "gen-000008", "trash-gen-000003-1-2",
        "write.lock"])
    assert snapshot(outside) == before
    assert invoke(runner, seed_config, "search", "kidnappings").exit_code == 0


def test_rebuild_recovers_when_current_is_a_folder(seed_config, runner):
    (seed_config.index / CURRENT).unlink()
    (seed_config.index / CURRENT).mkdir()
    assert_reported(invoke(runner, seed_config, "search", "x"),
                    "CURRENT is damaged: it is not a file")
    assert invoke(runner, seed_config, "index", "--rebuild", "-q").exit_code == 0
    assert invoke(runner, seed_config, "search", "kidnappings").exit_code == 0


def test_opening_a_generation_writes_nothing_in_it(seed_config):
    """The checks read: they never write, lock or create anything in a generation."""
    before = snapshot(live(seed_config))
    with indexer.whoosh_engine.store.readers.reading(seed_config) as searcher:
        assert searcher.doc_count() == 1
    assert snapshot(live(seed_config)) == before


def test_lease_file_is_never_followed_out_of_the_index(seed_config, tmp_path, runner):
    target = tmp_path / "elsewhere.lock"
    lock = live(seed_config) / "readers.lock"
    lock.unlink()
    lock.symlink_to(target)
    assert_reported(invoke(runner, seed_config, "search", "x"), "readers.lock is damaged")
    assert not target.exists()
    assert invoke(runner, seed_config, "index", "--rebuild", "-q").exit_code == 0
    assert not target.exists()



# A read-only index: chmod -R a-w, or a read-only mount. Root ignores file
# permissions, so as root the search runs in a process without the capabilities
# that override them (setpriv, util-linux); the mount runs in a private mount
# namespace (unshare), where the container allows it.

def without_write_override() -> list[str]:
    """A command prefix under which this user cannot write a read-only file."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, "--bounding-set", caps, "--inh-caps", caps, "--"]


def make_read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)


def make_writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)


def search_command(config: Config) -> list[str]:
    return [sys.executable, "-m", "indexer", "search", "kidnappings", "--json",
            "--corpus", str(config.corpus), "--index", str(config.index)]


def run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


@pytest.mark.parametrize("lease_file", ["present", "missing"])
def test_a_read_only_index_can_be_searched(seed_config, lease_file):
    if lease_file == "missing":  # an index copied without it: nothing may create it now
        (live(seed_config) / "readers.lock").unlink()
    prefix = without_write_override()
    before = snapshot(seed_config.index)
    make_read_only(seed_config.index)
    try:
        probe = run([*prefix, sys.executable, "-c", "import sys; open(sys.argv[1], 'a')",
                     str(seed_config.index / CURRENT)])
        if "PermissionError" not in probe.stderr:  # setpriv refused, or root still writes
            pytest.skip(f"file permissions cannot be enforced here: {probe.stderr[-200:]}")
        result = run([*prefix, *search_command(seed_config)])
    finally:
        make_writable(seed_config.index)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hits"][0]["id"] == SEED_ID
    assert snapshot(seed_config.index) == before  # nothing written, created or locked


@pytest.mark.parametrize("lease_file", ["present", "missing"])
def test_an_index_on_a_read_only_mount_can_be_searched(seed_config, lease_file):
    if lease_file == "missing":
        (live(seed_config) / "readers.lock").unlink()
    unshare = shutil.which("unshare")
    mount = 'mount --bind -o ro "$1" "$1"'
    if unshare is None or os.geteuid() != 0 or run(
            [unshare, "--mount", "--", "sh", "-ec", mount, "sh", str(seed_config.index)]
    ).returncode != 0:
        pytest.skip("this container does not allow a private read-only bind mount")
    # the probe must fail with "Read-only file system" before the search runs
    script = f'{mount}; if touch "$1/probe" 2>/dev/null; then exit 99; fi; shift; exec "$@"'
    result = run([unshare, "--mount", "--", "sh", "-ec", script, "sh", str(seed_config.index),
                  *search_command(seed_config)])
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert json.loads(result.stdout)["hits"][0]["id"] == SEED_ID
    assert not (seed_config.index / "probe").exists()
