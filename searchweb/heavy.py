"""Heavy searches take turns, so a few of them cannot crowd out everyone else.

Searching is Python code: all of a process's threads share one interpreter
lock, so two clients looping on deep pages or 64-word queries (each bounded,
but tens of times the cost of a normal search) take most of a process's
time from the normal searches beside them. A search is heavy when it pages
deep (`page × per_page` over HEAVY_RESULTS) or has more than HEAVY_WORDS
words (each unknown word may be given a spelling); HEAVY_AT_ONCE of them run
at a time per process, the others wait up to HEAVY_WAIT seconds for their
turn, then get a 503 with Retry-After. Normal searches never wait here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from werkzeug.exceptions import ServiceUnavailable

from indexer.records import MAX_RESULTS

HEAVY_RESULTS = 100  # page × per_page past which a search is heavy
HEAVY_WORDS = 16  # words of a query past which it is heavy
HEAVY_AT_ONCE = 1  # heavy searches running at a time, per process
HEAVY_WAIT = 5.0  # seconds a heavy search waits for its turn before a 503
RETRY_AFTER = 2  # seconds, in that 503's Retry-After


def is_heavy(text: str, page: int, per_page: int) -> bool:
    """Deep or long, but not past MAX_RESULTS: that is refused at once, with no turn."""
    if page * per_page > MAX_RESULTS:
        return False
    return page * per_page > HEAVY_RESULTS or len(text.split()) > HEAVY_WORDS


class HeavyGate:
    """Turns for heavy searches, HEAVY_AT_ONCE at a time."""

    def __init__(self, at_once: int = HEAVY_AT_ONCE, wait: float = HEAVY_WAIT) -> None:
        self._turns = threading.BoundedSemaphore(at_once)
        self.wait = wait

    def turn_for(self, text: str, page: int, per_page: int) -> AbstractContextManager[None]:
        """A turn when the search is heavy; nothing to wait for otherwise."""
        return self._turn() if is_heavy(text, page, per_page) else nullcontext()

    @contextmanager
    def _turn(self) -> Iterator[None]:
        if not self._turns.acquire(timeout=self.wait):
            raise ServiceUnavailable(
                "Too many heavy searches (deep pages, very long queries) are running; "
                "try again in a few seconds, or narrow the search.", retry_after=RETRY_AFTER)
        try:
            yield
        finally:
            self._turns.release()
