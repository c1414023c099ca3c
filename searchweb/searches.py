"""What both blueprints ask of the app: its engine, and searches that take turns
when heavy (`heavy.HeavyGate`)."""

from __future__ import annotations

from flask import current_app

from indexer import Engine, SearchResults

from .heavy import HeavyGate
from .params import SearchParams

PER_PAGE = 10


def engine() -> Engine:
    """The app's engine (`create_app` opens it): safe to share between threads."""
    return current_app.extensions["seedsearch"]


def heavy_gate() -> HeavyGate:
    return current_app.extensions["seedsearch_heavy"]


def run_search(wanted: SearchParams, per_page: int) -> SearchResults | None:
    """The results asked for; None when there is no query."""
    if not wanted.text:
        return None
    with heavy_gate().turn_for(wanted.text, wanted.page, per_page):
        return engine().search(wanted.request(per_page))
