"""Latency and throughput of `/api/search` against a real `seedsearch serve` on loopback.

    python -m bench.web --corpus ../shared/corpora/bbc/corpus.jsonl.gz

Indexes the corpus into a temporary folder (unless --index is given), starts
the server on a free loopback port, sends a fixed list of title queries one
at a time (latency) and then from N concurrent clients (throughput), and
prints a Markdown table and the same figures as JSON. Every loop is bounded
in count and time; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from . import print_figures
from .queries import title_queries

MAX_SECONDS = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(corpus: Path, index: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "indexer", "serve", "--corpus", str(corpus),
                                "--index", str(index), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"seedsearch serve exited with status {process.returncode}")
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(corpus: Path, index: Path, count: int, clients: int) -> dict[str, float | int | str]:
    queries = title_queries(corpus, count)
    urls = lambda base: [f"{base}/api/search?q={urllib.parse.quote(q)}" for q in queries]  # noqa: E731
    with served(corpus, index) as base:
        for url in urls(base)[:20]:
            timed_get(url)  # warm-up: open segments, fill caches
        deadline = time.monotonic() + MAX_SECONDS
        latencies = []
        for url in urls(base):
            if time.monotonic() > deadline:
                break
            latencies.append(timed_get(url))
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            concurrent = list(pool.map(timed_get, urls(base)))
        elapsed = time.perf_counter() - started
    return {
        "corpus": str(corpus), "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "clients": clients, "throughput_rps": round(len(concurrent) / elapsed, 1),
        "concurrent_p95_ms": round(percentile(concurrent, 0.95), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, help="reuse this index folder")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        index = args.index or Path(scratch) / "index"
        figures = run(args.corpus, index, args.queries, args.clients)
    print_figures(figures)


if __name__ == "__main__":
    main()
