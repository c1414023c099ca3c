"""Load while indexing: clients search a real `seedsearch serve` while
`seedsearch index` applies a batch of updates and then a full rebuild.

    python -m bench.load [--stories 3000] [--clients 8] [--workers 1]
                         [--max-requests 100000] [--max-seconds 300]

Writes a corpus of generated stories, builds its index, starts the server
on a free loopback port and N client threads sending `/api/search` requests
(each on its own keep-alive connection). Meanwhile: every story is
rewritten, a tenth deleted and a fifth added, `seedsearch index` brings the
index in step, then `seedsearch index --rebuild` builds it afresh. Then the
clients stop and the final index is compared with the corpus, document by
document. Prints the figures (failed requests, latency percentiles during
the run, documents lost, stale or extra) as a table and as JSON. Bounded in
requests and time; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from indexer import Config
from indexer.sources import scan_folder
from indexer.whoosh_engine.store.readers import reading

from . import percentile, print_figures
from .web import served

WORDS = ("harbour", "cargo", "ferry", "storm", "quay", "crane", "tide", "pilot", "anchor", "buoy")


def story(number: int, version: int) -> str:
    topic = " ".join(WORDS[(number + k) % len(WORDS)] for k in range(3))
    return (f"Story {number} version {version}\n\n"
            f"Report {number}, version {version}, about the {topic}. " * 3 + "\n")


def write_stories(corpus: Path, numbers: range, version: int) -> None:
    for number in numbers:
        (corpus / f"s{number:05d}.txt").write_text(story(number, version), encoding="utf-8")


def change_corpus(corpus: Path, stories: int) -> None:
    """Version 2: every story rewritten, the first tenth deleted, a fifth more added."""
    deleted = stories // 10
    for number in range(deleted):
        (corpus / f"s{number:05d}.txt").unlink()
    write_stories(corpus, range(deleted, stories + stories // 5), version=2)


def seedsearch(config: Config, *arguments: str) -> float:
    """Run one `seedsearch` command to completion; its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "indexer", *arguments, "--corpus", str(config.corpus),
                    "--index", str(config.index)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=3600)
    return time.perf_counter() - started


@dataclass
class Clients:
    """Client threads searching until told to stop, or out of requests or time."""

    port: int
    count: int
    max_requests: int
    deadline: float
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = number
        while not self.stop.is_set() and sent < self.max_requests \
                and time.monotonic() < self.deadline:
            words = f"{WORDS[sent % len(WORDS)]} {WORDS[(sent * 7) % len(WORDS)]}"
            self._one(connection, "/api/search?q=" + urllib.parse.quote(words))
            sent += self.count
        connection.close()

    def _one(self, connection: http.client.HTTPConnection, path: str) -> None:
        started = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            problem = None if response.status == 200 else f"{path}: HTTP {response.status}"
        except (OSError, http.client.HTTPException) as error:
            problem = f"{path}: {error!r}"
            connection.close()
        elapsed = (time.perf_counter() - started) * 1000
        with self._lock:
            self.latencies.append(elapsed)
            if problem:
                self.failures.append(problem)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.run, args=(n,), daemon=True)
                   for n in range(self.count)]
        for thread in threads:
            thread.start()
        return threads


def compare_with_corpus(config: Config) -> dict[str, int]:
    """Documents the final index lacks, has in excess, or holds in an old version."""
    expected = {source.id: source.path.read_text(encoding="utf-8").split("\n", 1)[0]
                for source in scan_folder(config.corpus)}
    with reading(config) as searcher:
        found = {fields["id"]: fields.get("title", "") for fields in searcher.all_stored_fields()}
    return {"documents_expected": len(expected), "documents_found": len(found),
            "lost": len(expected.keys() - found.keys()), "extra": len(found.keys() - expected),
            "stale": sum(1 for key in expected.keys() & found.keys()
                         if expected[key] != found[key])}


def run_load(folder: Path, stories: int = 3000, clients: int = 8, workers: int = 1,
             max_requests: int = 100_000, max_seconds: float = 300.0) -> dict[str, object]:
    config = Config(corpus=folder / "corpus", index=folder / "index")
    config.corpus.mkdir(parents=True)
    write_stories(config.corpus, range(stories), version=1)
    build_s = seedsearch(config, "index", "-q")
    with served(config.corpus, config.index, workers) as base:
        load = Clients(urllib.parse.urlsplit(base).port or 80, clients, max_requests,
                       time.monotonic() + max_seconds)
        threads = load.start()
        started = time.perf_counter()
        time.sleep(1.0)
        change_corpus(config.corpus, stories)
        update_s = seedsearch(config, "index", "-q")
        rebuild_s = seedsearch(config, "index", "-q", "--rebuild")
        time.sleep(1.0)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.perf_counter() - started
    latencies = load.latencies or [0.0]
    return {"stories_before": stories, "clients": clients, "workers": workers,
            "requests": len(load.latencies), "failed": len(load.failures),
            "first_failures": load.failures[:3], "seconds": round(elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 2),
            "p95_ms": round(percentile(latencies, 0.95), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
            "max_ms": round(max(latencies), 2), "first_build_s": round(build_s, 2),
            "update_s": round(update_s, 2), "rebuild_s": round(rebuild_s, 2),
            **compare_with_corpus(config)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        print_figures(run_load(Path(scratch), args.stories, args.clients, args.workers,
                               args.max_requests, args.max_seconds))


if __name__ == "__main__":
    main()
