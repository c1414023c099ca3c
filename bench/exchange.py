"""One HTTP exchange with a running server, and the kinds of request the hostile
benchmark sends (bench/hostile.py, bench/attack.py)."""

from __future__ import annotations

import functools
import http.client
import random
import string
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

Param = str | int | Callable[[], str]  # a callable is called afresh for each request


@dataclass(frozen=True)
class Answer:
    """What one request got: its HTTP status (None: no answer), milliseconds, body."""

    status: int | None
    ms: float
    body: bytes = b""
    problem: str = ""
    closed: bool = False  # the server closed the connection instead of answering

    @property
    def outcome(self) -> str:
        return str(self.status) if self.status else "closed" if self.closed else "no answer"


class Connection:
    """One keep-alive connection; one the server closed between requests is opened again."""

    def __init__(self, port: int, timeout: float) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def get(self, path: str) -> Answer:
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.http.request("GET", path)
                with self.http.getresponse() as response:
                    return Answer(response.status, elapsed_ms(started), response.read())
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                self.http.close()
                if attempt == 2:
                    return Answer(None, elapsed_ms(started), problem=repr(error), closed=True)
            except (OSError, http.client.HTTPException) as error:
                self.http.close()
                return Answer(None, elapsed_ms(started), problem=repr(error))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.http.close()


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def random_words(rng: random.Random, count: int, shortest: int, longest: int) -> str:
    """`count` made-up lowercase words: nearly all unknown to the index, new at every call."""
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(shortest, longest)))
                    for _ in range(count))


def fresh(rng: random.Random, count: int, shortest: int, longest: int) -> Callable[[], str]:
    return functools.partial(random_words, rng, count, shortest, longest)


@dataclass(frozen=True)
class Case:
    """One kind of request: a route and its parameters (callables give fresh values)."""

    label: str
    route: str
    params: dict[str, Param] = field(default_factory=dict)

    def path(self) -> str:
        values = {name: value() if callable(value) else value
                  for name, value in self.params.items()}
        return f"{self.route}?{urllib.parse.urlencode(values)}" if values else self.route
