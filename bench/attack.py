"""Load under attack: normal clients searching beside slow, deep-page and
unknown-word clients and a crowd of idle sockets (run by bench/hostile.py,
tested by tests/test_hostile_load.py)."""

from __future__ import annotations

import itertools
import random
import select
import socket
import statistics
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from . import percentile
from .exchange import Case, Connection, fresh

NORMAL_P95_MS = 100.0
IDLE_SOCKETS = 150
NORMAL_ANSWERS = frozenset({"200"})
# A refused deep page (400) and "wait your turn" (503 with Retry-After, for a heavy
# search that waited 5 s) are deliberate answers; a 500 or no answer is not.
HOSTILE_ANSWERS = frozenset({"200", "400", "503", "closed"})


@dataclass
class Tally:
    """What one class of clients got: outcomes counted, latencies of answers, problems met."""

    outcomes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: str, ms: float | None = None, problem: str = "") -> None:
        with self._lock:
            self.outcomes[outcome] += 1
            self.latencies += [] if ms is None else [ms]
            self.problems += [problem] if problem else []


def keep_alive_client(port: int, paths: Callable[[], str], tally: Tally, stop: threading.Event,
                      accepted: frozenset[str], timeout: float) -> None:
    """Send the paths one after another on one connection until told to stop."""
    connection = Connection(port, timeout)
    try:
        while not stop.is_set():
            path = paths()
            answer = connection.get(path)
            wrong = answer.outcome not in accepted
            tally.add(answer.outcome, answer.ms,
                      f"{path[:80]}: {answer.problem or answer.outcome}" if wrong else "")
    finally:
        connection.close()


TRICKLED = b"GET /api/search?q=said HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: " + b"x" * 60_000


def trickle(sock: socket.socket, stop: threading.Event) -> str:
    """Send a request's header a byte a second until the server answers or closes the socket."""
    for byte in TRICKLED:
        if stop.is_set():
            return "held to the end"
        try:
            sock.sendall(bytes([byte]))
            if not select.select([sock], [], [], 1.0)[0]:
                continue
            reply = sock.recv(64)
        except (BrokenPipeError, ConnectionResetError):
            return "closed"
        if not reply:
            return "closed"
        return reply.split(b" ", 2)[1].decode("ascii", "replace") if reply[:5] == b"HTTP/" \
            else "garbage"
    return "held to the end"


def slow_client(port: int, tally: Tally, stop: threading.Event) -> None:
    """A client trickling its header, connecting again each time the server drops it."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                outcome = trickle(sock, stop)
        except OSError as error:
            tally.add("no connection", problem=repr(error))
            stop.wait(1.0)
            continue
        bad = outcome == "garbage" or outcome.startswith("5")
        tally.add(outcome, problem=f"trickled header answered {outcome}" if bad else "")


def open_idle(port: int, count: int = IDLE_SOCKETS) -> list[socket.socket]:
    """`count` connections that never send a byte, for the caller to hold and close."""
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]


def still_open(sockets: list[socket.socket]) -> int:
    """How many of the sockets the server has not closed (nothing to read from them yet)."""
    count = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            sock.recv(1)  # b"": closed; bytes: an answer (a 408, say) before the close
        except BlockingIOError:
            count += 1
        except OSError:
            pass
    return count


def shared(paths: list[str]) -> Callable[[], str]:
    """The paths in turn, forever, shared by several threads."""
    cycle, lock = itertools.cycle(paths), threading.Lock()

    def next_path() -> str:
        with lock:
            return next(cycle)
    return next_path


def hostile_paths(rng: random.Random) -> dict[str, Callable[[], str]]:
    deep = [Case("", "/api/search", {"q": "said", "page": 1000, "per_page": 100}),
            Case("", "/api/search", {"q": "the", "page": 10, "per_page": 100}),
            Case("", "/search", {"q": "said", "page": 1000}),
            Case("", "/api/search", {"q": "said", "page": 100})]
    return {"deep pages": shared([case.path() for case in deep]),
            "unknown words": Case("", "/api/search", {"q": fresh(rng, 64, 3, 5)}).path}


def run_clients(port: int, normal: list[str], seconds: float, rng: random.Random,
                timeout: float, clients: int = 8, hostile: bool = True) -> dict[str, Tally]:
    """Normal and (unless not `hostile`) hostile clients side by side for `seconds`."""
    stop = threading.Event()
    tallies = {name: Tally() for name in ("normal", "slow", "deep pages", "unknown words")}
    jobs: list[tuple[Callable[..., None], tuple[object, ...]]] = [
        (keep_alive_client, (port, shared(normal), tallies["normal"], stop, NORMAL_ANSWERS,
                             timeout))] * clients
    jobs += [(slow_client, (port, tallies["slow"], stop))] * 2 * hostile
    for name, paths in hostile_paths(rng).items():
        jobs += [(keep_alive_client, (port, paths, tallies[name], stop, HOSTILE_ANSWERS,
                                      timeout))] * 2 * hostile
    threads = [threading.Thread(target=job, args=args, daemon=True) for job, args in jobs]
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout + 5)
    return tallies


def attack(port: int, normal: list[str], seconds: float, rng: random.Random,
           timeout: float = 10.0, idle: int = IDLE_SOCKETS,
           hostile: bool = True) -> dict[str, object]:
    """Hold `idle` silent sockets, run the clients, then ask as a newcomer: the figures."""
    held = open_idle(port, idle)
    try:
        tallies = run_clients(port, normal, seconds, rng, timeout, hostile=hostile)
        newcomer = Connection(port, timeout)
        first = newcomer.get("/healthz")
        newcomer.close()
        left = still_open(held)
    finally:
        for sock in held:
            sock.close()
    return {**normal_figures(tallies["normal"], seconds), **hostile_figures(tallies),
            "idle_sockets": len(held), "idle_still_open_at_end": left,
            "newcomer_with_idle_held": first.outcome, "newcomer_ms": round(first.ms, 1)}


def normal_figures(normal: Tally, seconds: float) -> dict[str, object]:
    latencies = normal.latencies or [0.0]
    return {"seconds": seconds, "normal_requests": len(normal.latencies),
            "normal_errors": len(normal.problems),
            "normal_rps": round(len(normal.latencies) / seconds, 1),
            "normal_p50_ms": round(statistics.median(latencies), 1),
            "normal_p95_ms": round(percentile(latencies, 0.95), 1),
            "normal_max_ms": round(max(latencies), 1)}


def hostile_figures(tallies: dict[str, Tally]) -> dict[str, object]:
    hostile = [tally for name, tally in tallies.items() if name != "normal"]
    return {**{f"{name.replace(' ', '_')}_outcomes": dict(tally.outcomes)
               for name, tally in tallies.items()},
            "hostile_problems": sum(len(tally.problems) for tally in hostile),
            "first_problems": [p for tally in tallies.values() for p in tally.problems[:2]]}


def load_verdict(figures: dict[str, object]) -> list[str]:
    """The targets the load under attack missed (none: it passed)."""
    checks = {f"{figures['normal_errors']} normal requests failed":
              figures["normal_errors"] != 0 or figures["normal_requests"] == 0,
              f"normal p95 {figures['normal_p95_ms']} ms > {NORMAL_P95_MS:.0f} ms":
              float(str(figures["normal_p95_ms"])) > NORMAL_P95_MS,
              f"{figures['hostile_problems']} hostile requests got a 500 or no answer":
              figures["hostile_problems"] != 0,
              f"a newcomer got {figures['newcomer_with_idle_held']} with the idle sockets held":
              figures["newcomer_with_idle_held"] != "200"}
    return [message for message, missed in checks.items() if missed]
