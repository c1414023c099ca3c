"""The benchmark scripts: the assembled large corpus, the statistics, one real small run.

None of these needs the shared corpora: the collections are small hand-made
JSONL files, and nothing here asserts a timing.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench import corpus, median_figures, percentile, sync, web
from indexer.sources import read_jsonl, scan_folder

from .helpers import ROOT

# Per shared collection: (folder, records). Two records have neither title nor
# text (like Reuters 12793 and Cranfield 471/995); one line is not UTF-8 (cp1252 £).
COLLECTIONS = {
    "reuters21578": [{"id": "1", "title": "Cocoa prices rise", "text": "Cocoa rose."},
                     {"id": "2", "title": "", "text": ""},
                     {"id": "3", "title": "Grain exports", "text": "Wheat and maize."}],
    "20newsgroups-bydate": [{"id": "sci.space/1", "title": "Moon base", "text": "Orbits."},
                            {"id": "sci.space/2", "title": "Mars rover", "text": "Wheels."}],
    "bbc": [{"id": "sport/199", "title": "Striker signs", "text": "A \u00a315.8m signing."},
            {"id": "tech/001", "title": "Phones get smarter", "text": "Chips."}],
    "scifact": [{"id": "4983", "title": "Microstructural development", "text": "Brains."}],
    "cranfield": [{"id": "1", "title": "wing flutter", "text": "slender wings ."},
                  {"id": "471", "title": "", "text": ""}],
}
ORIGINALS = 8


def write_shared(folder: Path) -> Path:
    for name, records in COLLECTIONS.items():
        (folder / name).mkdir(parents=True)
        lines = [json.dumps(record, ensure_ascii=False) for record in records]
        data = "\n".join(lines).encode("utf-8")
        if name == "bbc":
            data = data.replace("\u00a3".encode("utf-8"), b"\xa3")
        with gzip.open(folder / name / "corpus.jsonl.gz", "wb") as sink:
            sink.write(data + b"\n")
    return folder


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    return write_shared(tmp_path / "shared")


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(values, 0.5) == 51.0  # rank round(0.5 * 99) = 50 (0-based)
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.0) == 1.0 and percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0  # sorts first


@pytest.mark.parametrize("values, fraction", [([], 0.5), ([1.0], 1.5), ([1.0], -0.1)])
def test_percentile_refuses_nonsense(values, fraction):
    with pytest.raises(ValueError):
        percentile(values, fraction)


def test_median_figures_takes_medians_and_keeps_labels():
    runs = [{"docs": 10, "p50_ms": 3.0, "corpus": "a"}, {"docs": 10, "p50_ms": 1.0, "corpus": "a"},
            {"docs": 10, "p50_ms": 2.5, "corpus": "a"}]
    assert median_figures(runs) == {"docs": 10, "p50_ms": 2.5, "corpus": "a"}
    assert median_figures(runs[:2])["p50_ms"] == 2.0


def test_scale_names():
    assert corpus.scale_of("100k") == 100_000
    assert corpus.scale_of("3K") == 3000
    assert corpus.scale_of("bbc/corpus.jsonl.gz") is None
    assert corpus.scale_of("100") is None


def test_an_existing_path_is_never_a_scale(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "5k").mkdir()
    assert corpus.scale_of("5k") is None


def test_assembled_corpus_has_unique_prefixed_ids_and_declared_copies(shared, tmp_path):
    path, manifest = corpus.scaled_corpus(20, shared, tmp_path / "cache")
    records = [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8")]
    ids = [record["id"] for record in records]
    assert len(ids) == 20 and len(set(ids)) == 20
    assert ids[:ORIGINALS] == ["reuters/1", "reuters/3", "20newsgroups/sci.space/1",
                               "20newsgroups/sci.space/2", "bbc/sport/199", "bbc/tech/001",
                               "scifact/4983", "cranfield/1"]
    assert ids[ORIGINALS:2 * ORIGINALS] == [f"copy-2/{id_}" for id_ in ids[:ORIGINALS]]
    assert ids[2 * ORIGINALS:] == [f"copy-3/{id_}" for id_ in ids[:4]]
    assert manifest["docs"] == 20 and manifest["originals"] == ORIGINALS
    assert manifest["copies"] == 12 and manifest["copy_rounds"] == 3
    assert manifest["per_collection"] == {"reuters": 2, "20newsgroups": 2, "bbc": 2,
                                          "scifact": 1, "cranfield": 1}
    assert manifest["reused"] is False
    # A copy is the same article under another id; the cp1252 byte was read as £.
    assert records[ORIGINALS + 4]["text"] == records[4]["text"] == "A \u00a315.8m signing."
    # Every record is an article seedsearch indexes: none is skipped.
    assert [article.id for article in read_jsonl(path)] == ids


def test_an_exact_count_below_the_originals(shared, tmp_path):
    path, manifest = corpus.scaled_corpus(5, shared, tmp_path / "cache")
    assert sum(1 for _ in gzip.open(path, "rt", encoding="utf-8")) == 5
    assert manifest["copies"] == 0 and manifest["originals"] == 5


def test_the_assembled_corpus_is_reused(shared, tmp_path):
    cache = tmp_path / "cache"
    path, first = corpus.scaled_corpus(1000, shared, cache)
    assert path == cache / "corpus-1k.jsonl.gz" and first["reused"] is False
    assert first["docs"] == 1000 and first["copies"] == 1000 - ORIGINALS
    written = path.stat().st_mtime_ns
    again, second = corpus.resolve("1k", shared=tmp_path / "gone", cache=cache)
    assert again == path and second["reused"] is True and second["docs"] == 1000
    assert path.stat().st_mtime_ns == written
    assert "1,000 articles = 8 originals" in corpus.describe(path, second)
    assert not list(cache.glob("*.partial"))


def test_a_missing_collection_is_named(shared, tmp_path):
    (shared / "scifact" / "corpus.jsonl.gz").unlink()
    with pytest.raises(corpus.MissingCorpus, match=r"scifact/corpus\.jsonl\.gz is missing"):
        corpus.scaled_corpus(20, shared, tmp_path / "cache")
    assert not (tmp_path / "cache" / "corpus-20.jsonl.gz").exists()


def test_a_plain_path_is_taken_as_is(tmp_path):
    assert corpus.resolve(str(tmp_path)) == (tmp_path.resolve(), {})


def test_the_sync_tree_follows_the_ids(tmp_path):
    jsonl = tmp_path / "small.jsonl"
    ids = ["bbc/sport/199", "copy-2/bbc/sport/199", "a b/../x", "a_b/_/x", ".hidden/y", "7"]
    jsonl.write_text("".join(json.dumps({"id": id_, "title": f"Title {number}", "text": "Body."})
                             + "\n" for number, id_ in enumerate(ids)), encoding="utf-8")
    tree = tmp_path / "tree"
    count, middle = sync.write_tree(jsonl, tree)
    assert count == 6 and middle == tree / "a_b" / "_" / "x-3.txt"  # written 4th, renamed
    found = sorted(source.id for source in scan_folder(tree))
    assert found == ["7.txt", "_hidden/y.txt", "a_b/_/x-3.txt", "a_b/_/x.txt",
                     "bbc/sport/199.txt", "copy-2/bbc/sport/199.txt"]
    assert (tree / "bbc" / "sport" / "199.txt").read_text(encoding="utf-8") == "Title 0\n\nBody.\n"


class Counting(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a little JSON over HTTP/1.1 keep-alive; counts connections."""

    protocol_version = "HTTP/1.1"
    connections: list[int] = []

    def setup(self) -> None:
        super().setup()
        self.connections.append(1)

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        body = b'{"results": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_each_client_keeps_one_connection():
    """The load generator opens one connection per client, not one per request."""
    Counting.connections = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        paths = [f"/api/search?q=word{number}" for number in range(40)]
        samples, seconds = web.many_clients(base, paths, 8, time.monotonic() + 60)
        assert len(samples) == 40 and seconds > 0 and min(samples) > 0
        assert len(Counting.connections) == 8
        assert web.one_client(base, paths, time.monotonic() - 1) == []  # the deadline bounds it
    finally:
        server.shutdown()
        server.server_close()


TOPICS = ["harbour", "budget", "election", "football", "railway", "weather", "science", "music"]


def test_a_small_end_to_end_run(tmp_path):
    """`python -m bench` builds with both engines, times the queries and writes the JSON."""
    small = tmp_path / "small.jsonl.gz"
    with gzip.open(small, "wt", encoding="utf-8") as sink:
        for number in range(24):
            first, second = TOPICS[number % 8], TOPICS[(number * 3 + 1) % 8]
            sink.write(json.dumps({"id": f"n{number}", "title": f"{first} news about {second}",
                                   "text": f"The {first} report said {second} matters."}) + "\n")
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--corpus", str(small), "--runs", "1",
                           "--queries", "5", "--no-web", "--json-out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "error"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Machine: ")
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures == json.loads(done.stdout.strip().splitlines()[-1])
    assert {"corpus", "machine", "text_mb", "queries", "runs", "seedsearch", "whoosh", "web",
            "ratios", "per_run"} <= set(figures)
    assert figures["runs"] == 1 and len(figures["per_run"]) == 1 and figures["queries"] == 5
    for engine in ("seedsearch", "whoosh"):
        assert figures[engine]["docs"] == 24
        assert {"build_docs_per_s", "build_peak_rss_mb", "index_mb", "open_ms", "p50_ms",
                "p95_ms", "p99_ms"} <= set(figures[engine])
    assert figures["per_run"][0]["ratios"] == figures["ratios"]
    assert {"build_speed_ratio", "latency_p95_ratio"} <= set(figures["ratios"])
    assert figures["web"] == {} and figures["machine"]["cores"] >= 1


def test_the_paging_benchmark_runs_and_prints_its_figures(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    body = "The harbour board said the new pier opens in spring, after a long delay. " * 8
    for number in range(4):  # three copies of one story and another story
        text = body if number < 3 else "The market said prices fell again. " * 10
        (folder / f"{number}.txt").write_text(f"Story {number}\n\n{text}", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bench.paging", "--corpus", str(folder),
                          "--queries", "said,harbour", "--runs", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.splitlines()[-1])
    assert figures["'said' relevance: stories / articles"] == "2 / 4"
    assert figures["'harbour' newest: stories / articles"] == "1 / 3"
    assert "'said' relevance: page 1 ms" in figures
