"""seedsearch against Whoosh used as its documentation teaches: same corpus, same queries.

    python -m bench --corpus ../shared/corpora/bbc/corpus.jsonl.gz \
        [--runs 3] [--queries 500] [--clients 8] [--json-out FILE] [--no-web]
    python -m bench --corpus 100k [--shared ../shared/corpora]

(`python -m bench.compare` is the same.) The corpus is a folder of .txt
articles, a .jsonl/.jsonl.gz file, or `<N>k`: N thousand articles assembled
from the shared corpora with declared copies (bench.corpus). Both engines
index the articles as `indexer.sources` reads them, and both answer the same
fixed list of title queries (2-4 words, fixed seed).

Everything below is measured --runs times (default 3), each run in fresh
temporary folders, seedsearch then Whoosh back to back. The figures shown are
the medians over the runs; each ratio is computed within one run (both
engines under the same machine load) and the median of those ratios is
shown. The JSON keeps every run's figures and ratios. Measured in each run:

- the index build, each in its own subprocess and fresh temporary folder:
  wall time (docs/s, and MB/s of article text, title + body characters / 10**6),
  peak RSS of that subprocess, size of the index on disk;
- the median time to open (and close) a searcher, over 20 opens;
- single-threaded top-10 latency p50/p95/p99 after 20 warm-up queries, one
  searcher kept open: seedsearch's `search` (snippets included); Whoosh with
  `hit.highlights("body")` for each hit, and without highlights;
- seedsearch only: `/api/search` latency and the throughput of N concurrent
  clients against a real `seedsearch serve` on 127.0.0.1 (bench.web).

"Whoosh as documented": `id=ID(stored=True, unique=True)`, `title` and `body`
as `TEXT(analyzer=StemmingAnalyzer(), stored=True)`, a default `ix.writer()`,
`add_document` for each article, one commit; queries parsed with
`MultifieldParser(["title", "body"], schema, group=OrGroup)`. Its build and
searches run in subprocesses (hidden modes of this script) that never import
`indexer.whoosh_engine`, whose import patches Whoosh
(indexer/whoosh_engine/internals.py): that Whoosh is the unmodified one.

Prints the machine line (cores, CPU, RAM, Python), a Markdown table (each
figure for both engines and, where they compare, a ratio that is > 1 when
seedsearch is better: faster, leaner or smaller), then all figures as one
JSON line (also written to --json-out).
Every loop is bounded in count and time; temporary folders are removed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.searching import Searcher

from . import machine, machine_line, median_figures, percentile

if TYPE_CHECKING:
    from indexer.articles import Article

# `indexer` and the modules importing it (bench.queries, bench.web, bench.corpus) are imported
# inside the functions that measure seedsearch, so that the Whoosh-only modes
# below run on unpatched Whoosh.

ROOT = Path(__file__).resolve().parent.parent  # where `-m bench.compare` resolves
MAX_SECONDS = 120.0  # per latency loop
BUILD_TIMEOUT = 3600.0
WARM_UP = 20
OPENS = 20
TOP = 10
MB = 10**6
PATCHES = "indexer.whoosh_engine.internals"
RUNS = 3
CLIENTS = 8

Figures = dict[str, float | int | str]

# (row label, figure key, ratio key or "" when the figure is not compared)
ROWS: tuple[tuple[str, str, str], ...] = (
    ("documents indexed", "docs", ""),
    ("build wall time (s)", "build_s", ""),
    ("build docs/s", "build_docs_per_s", "build_speed_ratio"),
    ("build MB/s of title+body text", "build_mb_per_s", ""),
    ("build peak RSS (MB)", "build_peak_rss_mb", "peak_rss_ratio"),
    ("index size on disk (MB)", "index_mb", "index_size_ratio"),
    (f"searcher open, median of {OPENS} (ms)", "open_ms", "open_ratio"),
    ("queries timed", "queries", ""),
    ("latency p50, snippets / highlights (ms)", "p50_ms", "latency_p50_ratio"),
    ("latency p95, snippets / highlights (ms)", "p95_ms", "latency_p95_ratio"),
    ("latency p99, snippets / highlights (ms)", "p99_ms", "latency_p99_ratio"),
    ("latency p50, Whoosh without highlights (ms)", "plain_p50_ms", "latency_p50_plain_ratio"),
    ("latency p95, Whoosh without highlights (ms)", "plain_p95_ms", "latency_p95_plain_ratio"),
    ("latency p99, Whoosh without highlights (ms)", "plain_p99_ms", ""),
)


def sources() -> types.ModuleType:
    """`indexer.sources`; in a process that has not imported `indexer`, without
    running `indexer/__init__.py` (it patches Whoosh, and sources needs none of it)."""
    if "indexer" not in sys.modules:
        spec = importlib.util.find_spec("indexer")
        if spec is None or spec.submodule_search_locations is None:
            raise ImportError("the indexer package is not installed")
        package = types.ModuleType("indexer")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["indexer"] = package
    return importlib.import_module("indexer.sources")


def read_articles(corpus: Path) -> Iterator[Article]:
    """The corpus's articles as seedsearch reads them; unreadable files are left out."""
    src = sources()
    if src.is_jsonl(corpus):
        yield from src.read_jsonl(corpus)
        return
    for source in src.scan_folder(corpus):
        try:
            yield src.read_text_file(source)
        except src.BadArticle:
            continue


def text_mb(corpus: Path) -> float:
    return sum(len(article.title) + len(article.body) for article in read_articles(corpus)) / MB


def disk_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / MB


def run_measured(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one subprocess, from its own rusage."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        status, usage = _wait(process, BUILD_TIMEOUT)
        seconds = time.perf_counter() - started
        if status != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} exited with {status}:\n"
                               f"{errors.read().decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports kilobytes


def _wait(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, resource.struct_rusage]:
    """The exit code and rusage of this one child (RUSAGE_CHILDREN would mix in others)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage
        time.sleep(0.01)
    process.kill()
    process.wait()
    raise TimeoutError(f"process {process.pid} took more than {timeout:.0f} s")


def build_figures(seconds: float, rss_mb: float, docs: int, mb: float, index: Path) -> Figures:
    return {"docs": docs, "build_s": round(seconds, 2),
            "build_docs_per_s": round(docs / seconds, 1),
            "build_mb_per_s": round(mb / seconds, 3), "build_peak_rss_mb": round(rss_mb, 1),
            "index_mb": round(disk_mb(index), 2)}


def median_ms(action: Callable[[], object], times: int = OPENS) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def latencies(run_one: Callable[[str], object], queries: list[str], prefix: str = "") -> Figures:
    """p50/p95/p99 (ms) of `run_one` over the queries, after a warm-up; at most MAX_SECONDS."""
    for text in queries[:WARM_UP]:
        run_one(text)
    deadline = time.monotonic() + MAX_SECONDS
    samples: list[float] = []
    for text in queries:
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        run_one(text)
        samples.append((time.perf_counter() - started) * 1000)
    return {f"{prefix}queries": len(samples),
            f"{prefix}p50_ms": round(statistics.median(samples), 2),
            f"{prefix}p95_ms": round(percentile(samples, 0.95), 2),
            f"{prefix}p99_ms": round(percentile(samples, 0.99), 2)}


def measure_seedsearch(corpus: Path, index: Path, mb: float, queries: list[str]) -> Figures:
    from indexer import Config
    from indexer.whoosh_engine import open_index, open_searcher
    from indexer.whoosh_engine.search.searching import search

    seconds, rss_mb = run_measured([sys.executable, "-m", "indexer", "index", "--corpus",
                                    str(corpus), "--index", str(index), "-q"])
    config = Config(corpus=corpus, index=index)
    open_ms = median_ms(lambda: open_searcher(open_index(config)).close())
    with open_searcher(open_index(config)) as searcher:
        figures = build_figures(seconds, rss_mb, searcher.doc_count(), mb, index)
        figures["open_ms"] = open_ms
        figures.update(latencies(lambda text: search(searcher, text, per_page=TOP), queries))
    return figures


def documented_schema() -> Schema:
    return Schema(id=ID(stored=True, unique=True),
                  title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
                  body=TEXT(analyzer=StemmingAnalyzer(), stored=True))


def check_unpatched() -> None:
    if PATCHES in sys.modules:
        raise RuntimeError(f"{PATCHES} is loaded: this would not be Whoosh as documented")


def whoosh_build(corpus: Path, folder: Path) -> None:
    """The hidden --whoosh-build mode: an index built the way Whoosh's docs teach."""
    folder.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(folder), documented_schema())
    writer = ix.writer()
    for article in read_articles(corpus):
        writer.add_document(title=article.title, body=article.body, id=article.id)
    writer.commit()
    check_unpatched()


def whoosh_query(searcher: Searcher, parser: MultifieldParser,
                 highlights: bool) -> Callable[[str], list[tuple[str, ...]]]:
    def run_one(text: str) -> list[tuple[str, ...]]:
        results = searcher.search(parser.parse(text), limit=TOP)
        if highlights:
            return [(hit["id"], hit["title"], hit.highlights("body")) for hit in results]
        return [(hit["id"], hit["title"]) for hit in results]
    return run_one


def whoosh_search(folder: Path, queries: list[str]) -> Figures:
    """The hidden --whoosh-search mode: open time and latencies, with and without highlights."""
    figures: Figures = {"open_ms": median_ms(
        lambda: whoosh_index.open_dir(str(folder)).searcher().close())}
    ix = whoosh_index.open_dir(str(folder))
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
    with ix.searcher() as searcher:
        figures.update(latencies(whoosh_query(searcher, parser, True), queries))
        figures.update(latencies(whoosh_query(searcher, parser, False), queries, "plain_"))
    check_unpatched()
    return figures


def measure_whoosh(corpus: Path, index: Path, mb: float, queries: Path) -> Figures:
    here = [sys.executable, "-m", "bench.compare"]
    seconds, rss_mb = run_measured(here + ["--whoosh-build", str(corpus), str(index)])
    done = subprocess.run(here + ["--whoosh-search", str(index), str(queries)], cwd=ROOT,
                          capture_output=True, text=True, check=True,
                          timeout=3 * MAX_SECONDS + 300)
    with whoosh_index.open_dir(str(index)).reader() as reader:
        figures = build_figures(seconds, rss_mb, reader.doc_count(), mb, index)
    figures.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return figures


def ratios(ours: Figures, theirs: Figures) -> dict[str, float]:
    """Each > 1 when seedsearch is better (faster, leaner, smaller)."""
    def better(key: str, lower_is_better: bool = True, their_key: str = "") -> float:
        a, b = float(ours[key]), float(theirs[their_key or key])
        return round(b / a if lower_is_better else a / b, 2)

    return {"build_speed_ratio": better("build_docs_per_s", lower_is_better=False),
            "peak_rss_ratio": better("build_peak_rss_mb"), "index_size_ratio": better("index_mb"),
            "open_ratio": better("open_ms"), "latency_p50_ratio": better("p50_ms"),
            "latency_p95_ratio": better("p95_ms"), "latency_p99_ratio": better("p99_ms"),
            "latency_p50_plain_ratio": better("p50_ms", their_key="plain_p50_ms"),
            "latency_p95_plain_ratio": better("p95_ms", their_key="plain_p95_ms")}


def table(ours: Figures, theirs: Figures, compared: dict[str, float], served: Figures,
          runs: int) -> str:
    lines = [f"| figure (median of {runs} run{'s' if runs > 1 else ''}) | seedsearch "
             "| Whoosh as documented | ratio (>1: seedsearch better) |",
             "|---|---|---|---|"]
    for label, key, ratio in ROWS:
        lines.append(f"| {label} | {ours.get(key, '—')} | {theirs.get(key, '—')} "
                     f"| {compared[ratio] if ratio else ''} |")
    for key, value in served.items():
        if key != "corpus":
            lines.append(f"| web /api/search: {key} | {value} | — | |")
    return "\n".join(lines)


@dataclass
class Run:
    """The figures of one run: both engines back to back, and the web part."""

    seedsearch: Figures
    whoosh: Figures
    web: Figures

    def ratios(self) -> dict[str, float]:
        return ratios(self.seedsearch, self.whoosh)

    def as_dict(self) -> dict[str, object]:
        return {"seedsearch": self.seedsearch, "whoosh": self.whoosh, "web": self.web,
                "ratios": self.ratios()}


@dataclass
class Comparison:
    corpus: Path
    text_mb: float
    queries: int
    runs: list[Run]
    about_corpus: dict[str, object] = field(default_factory=dict)

    @property
    def seedsearch(self) -> Figures:
        return median_figures([run.seedsearch for run in self.runs])  # type: ignore[return-value]

    @property
    def whoosh(self) -> Figures:
        return median_figures([run.whoosh for run in self.runs])  # type: ignore[return-value]

    @property
    def web(self) -> Figures:
        served = [run.web for run in self.runs if run.web]
        return median_figures(served) if served else {}  # type: ignore[return-value]

    def ratios(self) -> dict[str, float]:
        """The median, over the runs, of each ratio computed within one run."""
        return median_figures([run.ratios() for run in self.runs])  # type: ignore[return-value]

    def table(self) -> str:
        return table(self.seedsearch, self.whoosh, self.ratios(), self.web, len(self.runs))

    def as_json(self) -> str:
        return json.dumps({"corpus": str(self.corpus), "corpus_assembly": self.about_corpus,
                           "machine": machine(), "text_mb": round(self.text_mb, 2),
                           "queries": self.queries, "runs": len(self.runs),
                           "seedsearch": self.seedsearch, "whoosh": self.whoosh, "web": self.web,
                           "ratios": self.ratios(),
                           "per_run": [run.as_dict() for run in self.runs]})


def measure_web(corpus: Path, index: Path, count: int, clients: int) -> Figures:
    """bench.web against the seedsearch index; a server that never answers is reported."""
    from . import web

    try:
        return web.run(corpus, index, count, clients)
    except OSError as error:  # bench.web waits 300 s for /healthz, then fails on first query
        return {"error": f"seedsearch serve did not answer: {error}"}


def compare(corpus: Path, count: int, clients: int, with_web: bool, runs: int = RUNS,
            about_corpus: dict[str, object] | None = None) -> Comparison:
    from .queries import title_queries

    queries = title_queries(corpus, count)
    mb = text_mb(corpus)
    done = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-compare-") as scratch:
            listed = Path(scratch) / "queries.json"
            listed.write_text(json.dumps(queries), encoding="utf-8")
            ours = measure_seedsearch(corpus, Path(scratch) / "seedsearch", mb, queries)
            theirs = measure_whoosh(corpus, Path(scratch) / "whoosh", mb, listed)
            served = measure_web(corpus, Path(scratch) / "seedsearch", count, clients) \
                if with_web else {}
        done.append(Run(ours, theirs, served))
    return Comparison(corpus, mb, len(queries), done, about_corpus or {})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", help="folder of .txt articles, .jsonl(.gz), or <N>k "
                        "(e.g. 100k: assembled from the shared corpora)")
    parser.add_argument("--shared", type=Path, help="the shared corpora for <N>k "
                        "(default: ../shared/corpora beside the checkout)")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs to take medians of")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--json-out", type=Path, help="also write the JSON figures here")
    parser.add_argument("--no-web", action="store_true", help="skip the seedsearch serve part")
    parser.add_argument("--whoosh-build", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--whoosh-search", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.whoosh_build:
        whoosh_build(*args.whoosh_build)
    elif args.whoosh_search:
        index, queries = args.whoosh_search
        print(json.dumps(whoosh_search(index, json.loads(queries.read_text(encoding="utf-8")))))
    elif args.corpus is None:
        parser.error("--corpus is required")
    elif args.runs < 1 or args.queries < 1 or args.clients < 1:
        parser.error("--runs, --queries and --clients must be at least 1")
    else:
        from . import corpus

        print(machine_line(), flush=True)
        try:
            path, about = corpus.resolve(args.corpus, args.shared or corpus.SHARED)
        except corpus.MissingCorpus as error:
            parser.error(str(error))
        if about:
            print(corpus.describe(path, about), flush=True)
        comparison = compare(path, args.queries, args.clients, not args.no_web, args.runs, about)
        print(comparison.table())
        print(comparison.as_json())
        if args.json_out:
            args.json_out.write_text(comparison.as_json() + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
