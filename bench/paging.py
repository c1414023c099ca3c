"""What paging over stories costs: page 1 and a deep page, per query and sort.

Copies are folded over a depth that depends on the query, never the page
(indexer/searching.py), so page 1 pays for folding the best FOLD_CANDIDATES
articles. This prints, per query and sort, the median time of page 1 (10 a
page) and of page 10 at 100 a page, with the stories, articles and whether
the story count is exact.

    python -m bench.paging --corpus ../shared/corpora/reuters21578/corpus.jsonl.gz
    python -m bench.paging --corpus FOLDER --index DIR --queries "gordon brown,said"
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from indexer import Config
from indexer.records import SearchResults
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.store.readers import reading

from . import print_figures

QUERIES = "said,market,the year,gordon brown"


def median_ms(run: Callable[[], SearchResults], runs: int) -> tuple[float, SearchResults]:
    """The median wall time of `runs` calls after one warm-up, and the last answer."""
    answer = run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def measure(config: Config, queries: list[str], runs: int) -> dict[str, object]:
    figures: dict[str, object] = {}
    with reading(config) as searcher:
        for sort in ("relevance", "newest"):
            for query in queries:
                first, answer = median_ms(
                    partial(search, searcher, query, sort=sort, budget=60), runs)
                deep, _ = median_ms(partial(search, searcher, query, sort=sort, page=10,
                                            per_page=100, budget=60), runs)
                name = f"{query!r} {sort}"
                figures[f"{name}: page 1 ms"] = round(first, 1)
                figures[f"{name}: page 10 x 100 ms"] = round(deep, 1)
                figures[f"{name}: stories / articles"] = (
                    f"{'' if answer.total_exact else '>='}{answer.total:,} / "
                    f"{answer.articles if answer.articles is not None else answer.total:,}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, help="an index of the corpus to reuse")
    parser.add_argument("--queries", default=QUERIES, help="comma-separated")
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    queries = [query.strip() for query in options.queries.split(",") if query.strip()]
    with tempfile.TemporaryDirectory() as scratch:
        config = Config(corpus=options.corpus, index=options.index or Path(scratch) / "index")
        sync(config)
        print_figures(measure(config, queries, options.runs))


if __name__ == "__main__":
    main()
