"""Searches an index in a loop until told to stop, counting failures (a test helper).

Two threads: one opens a fresh engine per query (as a CLI command does), one
keeps a single engine, which refreshes its searcher per thread (as the web app does).
Usage: python -m tests.searcher_loop CORPUS INDEX STOPFILE
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from pathlib import Path

from indexer import Config, SearchRequest, open_engine

QUERIES = ["story version", "version 2", "story 1200", "padding word7", '"story 5"']


def loop(name: str, run, stop: Path, totals: dict) -> None:
    done = failed = 0
    deadline = time.monotonic() + 300
    while not stop.exists() and time.monotonic() < deadline:
        try:
            run(QUERIES[done % len(QUERIES)])
            done += 1
        except Exception:  # noqa: BLE001 - counting every failure is the point
            failed += 1
            totals.setdefault("errors", []).append(traceback.format_exc())
    totals[name] = {"searches": done, "failed": failed}


def main() -> None:
    corpus, index, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    config = Config(corpus=corpus, index=index)
    kept = open_engine(config)
    totals: dict = {}

    def fresh(text: str) -> None:
        with open_engine(config) as engine:
            engine.search(SearchRequest(text))

    def refreshed(text: str) -> None:
        kept.search(SearchRequest(text))

    threads = [threading.Thread(target=loop, args=(name, run, stop, totals))
               for name, run in (("fresh", fresh), ("refreshed", refreshed))]
    for thread in threads:
        thread.start()
    print("started", flush=True)
    for thread in threads:
        thread.join()
    with open_engine(config) as engine:
        totals["final_documents"] = engine.document_count()
    kept.close()
    print(json.dumps(totals), flush=True)


if __name__ == "__main__":
    main()
