"""`seedsearch serve` as a user runs it: worker processes, a busy port, stopping."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .helpers import ROOT, SEEDS, free_port, poll, wait_until_up


def start(tmp_path: Path, port: int, *options: str) -> subprocess.Popen:
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        shutil.copytree(SEEDS, corpus)
    return subprocess.Popen(
        [sys.executable, "-m", "indexer", "serve", "--corpus", str(corpus),
         "--index", str(tmp_path / "index"), "--port", str(port), *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)


@contextmanager
def running(tmp_path: Path, port: int, *options: str) -> Iterator[subprocess.Popen]:
    """`serve` started and, whatever the test did, gone afterwards."""
    process = start(tmp_path, port, *options)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return status != "Z"


def search_ids(base: str, text: str) -> list[str]:
    with urllib.request.urlopen(f"{base}/api/search?q={text}", timeout=5) as response:
        return [hit["id"] for hit in json.load(response)["hits"]]


needs_proc = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")


@needs_proc
def test_workers_answer_and_stop_when_the_parent_is_killed(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(tmp_path, port, "--workers", "2") as process:
        wait_until_up(f"{base}/healthz", process)
        workers, _ = poll(lambda: children(process.pid) if len(children(process.pid)) == 2
                          else None)
        seed = [path.name for path in SEEDS.glob("*.txt")]
        for _ in range(20):  # new connections each time: both workers answer some
            assert search_ids(base, "kidnappings") == seed
        process.kill()
        process.wait(timeout=10)
        poll(lambda: not any(alive(pid) for pid in workers), timeout=10)


def test_ctrl_c_stops_every_worker_cleanly(tmp_path: Path) -> None:
    port = free_port()
    with running(tmp_path, port, "--workers", "2") as process:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert "Stopped." in process.stderr.read()


def test_a_busy_port_is_named_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start(tmp_path, port)
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in errors
    assert "Try another --port" in errors
    assert "Traceback" not in errors


def test_zero_workers_is_refused_naming_the_option(tmp_path: Path) -> None:
    process = start(tmp_path, free_port(), "--workers", "0")
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "--workers" in errors


def test_listening_beyond_loopback_only_when_asked_and_with_a_warning(tmp_path: Path) -> None:
    port = free_port()
    with running(tmp_path, port, "--host", "0.0.0.0") as process:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        process.terminate()
        process.wait(timeout=10)
        errors = process.stderr.read()
    assert "warning: listening on 0.0.0.0, reachable from other machines" in errors
    port = free_port()
    with running(tmp_path, port) as process:  # the default: loopback, no warning
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        process.terminate()
        process.wait(timeout=10)
        assert "reachable from other machines" not in process.stderr.read()
