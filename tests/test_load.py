"""Load while indexing: 8 clients search a real server while the index is
updated and rebuilt under it. No request may fail and no document be lost."""

from __future__ import annotations

from pathlib import Path

from bench.load import run_load


def test_no_failed_request_and_no_lost_document_during_update_and_rebuild(tmp_path: Path):
    figures = run_load(tmp_path, stories=600, clients=8, max_requests=20_000, max_seconds=240)
    print(figures)  # the latency percentiles, for whoever reads the test log
    assert figures["requests"] > 100
    assert figures["failed"] == 0, figures["first_failures"]
    assert (figures["lost"], figures["extra"], figures["stale"]) == (0, 0, 0)
    assert figures["documents_found"] == 600 - 60 + 120
