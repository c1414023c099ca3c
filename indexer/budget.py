"""Bounds on the work one request may cause: a deadline, and bounded memos.

A search does required work (rank, page, fold copies, count) and optional
work (did you mean, facets, snippets). Every piece of work has a named limit
in the module that does it; the deadline is the last guard, for what the
limits cannot foresee (a slow disk, a loaded machine): once it has passed,
optional work is skipped and the answer says what was left out. The budget
itself (`REQUEST_SECONDS`) is part of the request (`indexer.engine`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class Deadline:
    """A moment on the `time.perf_counter()` clock; `expired()` once it has passed."""

    ends: float

    @classmethod
    def after(cls, seconds: float, started: float | None = None) -> Deadline:
        """`seconds` after `started` (a perf_counter value; default: now)."""
        return cls((time.perf_counter() if started is None else started) + seconds)

    def expired(self) -> bool:
        return time.perf_counter() >= self.ends


NO_DEADLINE = Deadline(math.inf)


class Memo(Generic[K, V]):
    """A thread-safe map that forgets its least recently used entries beyond `size`.

    Web threads share one memo per kind, so a word checked by one request is
    free for the next; the bound keeps a stream of distinct words from
    growing it without end.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> tuple[bool, V | None]:
        """(found, value): a value may itself be None (a word with no better spelling)."""
        with self._lock:
            if key not in self._entries:
                return False, None
            self._entries.move_to_end(key)
            return True, self._entries[key]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
