"""Latency and throughput of `/api/search` against a real `seedsearch serve` on loopback.

    python -m bench.web --corpus ../shared/corpora/bbc/corpus.jsonl.gz [--clients 8]

Indexes the corpus into a temporary folder (unless --index is given), starts
the server on a free loopback port, sends a fixed list of title queries one
at a time (latency) and then from N concurrent clients (throughput; the
target is >= 300 req/s with p95 <= 50 ms for 8 clients on BBC), and prints a
Markdown table and the same figures as JSON. Every loop is bounded in count
and time; all traffic stays on 127.0.0.1.

The load generator is kept cheap so that it measures the server, not itself:
the server is its own process, and each client is a thread holding one
persistent HTTP/1.1 connection (`http.client`, no connection set up per
request, no urllib machinery), taking the next query from a shared list.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from . import machine_line, percentile, print_figures
from .queries import title_queries

MAX_SECONDS = 120.0  # per loop
CLIENTS = 8
WORKERS = os.cpu_count() or 1  # server processes: one per core, as a deployment would
WARM_UP = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(corpus: Path, index: Path, workers: int = 1) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "indexer", "serve", "--corpus", str(corpus),
                                "--index", str(index), "--port", str(port),
                                "--workers", str(workers)],
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


class Client:
    """One persistent connection to the server, as a browser keeps one open."""

    def __init__(self, base: str) -> None:
        address = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(address.hostname or "127.0.0.1",
                                                     address.port, timeout=30)

    def _get(self, path: str) -> None:
        self.connection.request("GET", path)
        with self.connection.getresponse() as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")

    def timed_get(self, path: str) -> float:
        """Milliseconds for one request; a connection the server closed is opened again."""
        started = time.perf_counter()
        try:
            self._get(path)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()
            self._get(path)
        return (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self.connection.close()


def one_client(base: str, paths: Iterable[str], deadline: float) -> list[float]:
    """The latencies of one client sending the paths in turn, until they or the time run out."""
    client = Client(base)
    try:
        samples = []
        for path in paths:
            if time.monotonic() > deadline:
                break
            samples.append(client.timed_get(path))
        return samples
    finally:
        client.close()


def many_clients(base: str, paths: list[str], clients: int,
                 deadline: float) -> tuple[list[float], float]:
    """Latencies of `clients` concurrent clients sharing the paths, and the seconds it took."""
    pending = iter(paths)
    lock = threading.Lock()

    def share() -> Iterator[str]:
        while True:
            with lock:
                path = next(pending, None)
            if path is None:
                return
            yield path

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        done = [pool.submit(one_client, base, share(), deadline) for _ in range(clients)]
        samples = [sample for future in done for sample in future.result()]
    return samples, time.perf_counter() - started


def run(corpus: Path, index: Path, count: int, clients: int,
        workers: int = WORKERS) -> dict[str, float | int | str]:
    paths = [f"/api/search?q={urllib.parse.quote(q)}" for q in title_queries(corpus, count)]
    with served(corpus, index, workers) as base:
        one_client(base, paths[:WARM_UP], time.monotonic() + MAX_SECONDS)  # open segments
        latencies = one_client(base, paths, time.monotonic() + MAX_SECONDS)
        cpu = time.process_time()
        concurrent, elapsed = many_clients(base, paths, clients, time.monotonic() + MAX_SECONDS)
        cpu = time.process_time() - cpu  # the load generator's own CPU time, all threads
    return {
        "corpus": str(corpus), "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "clients": clients, "workers": workers, "concurrent_requests": len(concurrent),
        "throughput_rps": round(len(concurrent) / elapsed, 1),
        "concurrent_p50_ms": round(statistics.median(concurrent), 2),
        "concurrent_p95_ms": round(percentile(concurrent, 0.95), 2),
        "client_cpu_ms_per_request": round(cpu * 1000 / len(concurrent), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, help="reuse this index folder")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help="server processes (seedsearch serve --workers)")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as scratch:
        index = args.index or Path(scratch) / "index"
        figures = run(args.corpus, index, args.queries, args.clients, args.workers)
    print_figures(figures)


if __name__ == "__main__":
    main()
