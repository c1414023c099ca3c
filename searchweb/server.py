"""waitress, with deadlines for slow clients and a lane of its own for health checks.

waitress closes a connection only after `channel_timeout` seconds *without
any activity*, so a client that trickles one header byte every few seconds
keeps its connection (and a slot under `connection_limit`) for ever, and a
few hundred idle sockets lock everyone else out. Here:

- a request must be complete, headers and body, within `REQUEST_DEADLINE`
  seconds of its first byte, however steadily it trickles;
- a connection with no request under way (opened and silent, or kept alive
  after an answer) is closed after `IDLE_TIMEOUT` seconds;
- the connection limit is raised to `CONNECTION_LIMIT` (kept below the
  process's open-file limit), since an idle connection costs a socket and
  no thread.

Fairness. waitress has one FIFO queue in front of its threads, so a request
waits for every request queued before it. Measured on Reuters (2 cores, a
client asking /healthz and one a light search every 0.2 s beside clients
looping on a heavy search):

- 4 threads, 4 clients on a 1.7 s search (before the engine's time budget):
  /healthz and the light search each waited about 4 s;
- 8 threads, 12 clients on a 0.4 s search: /healthz p50 2.1 s, while in its
  own pool (below) p50 0.1 s, p95 0.3 s; the light search p50 1.4 s.

A semaphore held by search routes cannot help a request still in that queue,
so light requests (`/healthz`, static files, the OpenSearch description; see
`LIGHT_PATHS`) go to a small pool of their own and never wait behind a
search: what they wait for is the interpreter lock only. Searches share the
main pool (8 threads by default, so light searches interleave with heavy
ones; the engine bounds each search's cost); when
`QUEUED_PER_THREAD` searches per thread wait already, a new one is answered
503 with Retry-After at once instead of joining a queue of many seconds.

Every waitress private name relied on is commented with the waitress 3.0
behaviour it depends on.
"""

from __future__ import annotations

import json
import resource
import socket
import time
from typing import Any

from flask import Flask
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher
from waitress.utilities import Error

REQUEST_DEADLINE = 10.0  # seconds from a request's first byte to its last
IDLE_TIMEOUT = 5.0  # seconds a connection may stay open with no request under way
CHECK_INTERVAL = 1  # seconds between deadline checks (waitress's cleanup_interval, an int)
CONNECTION_LIMIT = 1000
FILES_KEPT_FREE = 256  # open-file slots left for the index, the searchers and logs
LIGHT_PATHS = ("/healthz", "/static/", "/opensearch.xml", "/favicon.ico")
LIGHT_THREADS = 2
QUEUED_PER_THREAD = 4  # searches waiting for a thread, per thread, before new ones get a 503
RETRY_AFTER = 2  # seconds, in the 503's Retry-After
LIMITS: dict[str, Any] = {
    # Every route is a GET: a request body is refused at once rather than awaited.
    "max_request_body_size": 64 * 1024, "max_request_header_size": 64 * 1024,
    # waitress 3.0's channel_timeout is read only by the maintenance GuardedServer replaces.
    "cleanup_interval": CHECK_INTERVAL,
}


class ServerBusy(Error):
    """The answer when too many searches wait already: come back shortly.

    waitress 3.0: a parsed request whose `error` is set is answered by an ErrorTask
    with `to_response()`, then the connection is closed.
    """

    code = 503
    reason = "Service Unavailable"

    def __init__(self, path: str) -> None:
        super().__init__("The server is busy; try again in a few seconds.")
        self.path = path

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        headers = [("Retry-After", str(RETRY_AFTER)), ("X-Content-Type-Options", "nosniff")]
        if self.path.startswith("/api/"):
            body = json.dumps({"error": {"status": self.code, "message": self.body}})
            headers.append(("Content-Type", "application/json"))
        else:
            body = f"{self.reason}\n\n{self.body}\n"
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        return f"{self.code} {self.reason}", headers, body.encode()


class DeadlineChannel(HTTPChannel):
    """A connection that remembers when the request it is reading began."""

    request_started: float | None = None
    _timed: object = None

    def received(self, data: bytes) -> bool:
        answer = super().received(data)
        # waitress 3.0: `self.request` is the parser of a request not yet complete
        # (headers or body still arriving); it is reset to None once the request is
        # queued, and a new parser is made for the next request on the connection.
        pending = self.request
        if pending is None:
            self.request_started = None
        elif pending is not self._timed:
            self._timed, self.request_started = pending, time.time()
        return answer


class GuardedServer(TcpWSGIServer):
    """waitress's TCP server with request deadlines, idle timeouts and a light lane."""

    # waitress 3.0: BaseWSGIServer.handle_accept makes each connection with channel_class.
    channel_class = DeadlineChannel

    def __init__(self, app: Flask, sock: socket.socket, adj: Adjustments,
                 dispatcher: ThreadedTaskDispatcher, light: ThreadedTaskDispatcher) -> None:
        self.light_dispatcher = light
        sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
        # waitress 3.0: the arguments waitress.create_server passes for a socket it is
        # given (`map`, `_start`, `_sock` positional; bind_socket=False: already bound).
        super().__init__(app, {}, True, sock, dispatcher=dispatcher, adj=adj,
                         bind_socket=False, sockinfo=sockinfo)

    def maintenance(self, now: float) -> None:
        """Close connections past their deadline (replaces waitress's idle-only check).

        waitress 3.0 calls this from `readable()` every `cleanup_interval` seconds, in
        the event loop's thread, the one that reads sockets; `will_close` makes the loop
        close the connection at its next turn. `active_channels` maps each open
        connection; `requests` holds those read and being answered (their cost is
        the application's to bound), `last_activity` the time of the last byte read
        or written.
        """
        for channel in list(self.active_channels.values()):
            if channel.requests:
                continue
            started = getattr(channel, "request_started", None)
            if started is not None:
                expired = now - started > REQUEST_DEADLINE
            else:
                expired = now - channel.last_activity > IDLE_TIMEOUT
            if expired:
                channel.will_close = True

    def add_task(self, task: HTTPChannel) -> None:
        """Queue a connection's next request, on the light lane when it is cheap.

        waitress 3.0 passes the channel itself, whose `requests[0]` is the parsed
        request about to be answered (its `path` absent when the request line was
        unreadable).
        """
        request = task.requests[0] if task.requests else None
        path = getattr(request, "path", "")
        if request is not None and not path.startswith(LIGHT_PATHS) and self.saturated():
            request.error = ServerBusy(path)
        if path.startswith(LIGHT_PATHS) or request is not None and request.error:
            self.light_dispatcher.add_task(task)
        else:
            super().add_task(task)

    def saturated(self) -> bool:
        """Too many requests wait for a search thread already.

        waitress 3.0: ThreadedTaskDispatcher.queue holds the tasks no thread has taken.
        """
        dispatcher = self.task_dispatcher
        return len(dispatcher.queue) >= QUEUED_PER_THREAD * max(1, len(dispatcher.threads))

    def run(self) -> None:
        """Serve until Ctrl+C; waitress 3.0's run() then stops only the main pool."""
        try:
            super().run()
        finally:
            self.light_dispatcher.shutdown()


def connection_limit() -> int:
    """CONNECTION_LIMIT, or less when the open-file limit cannot make room for it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + FILES_KEPT_FREE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(16, min(CONNECTION_LIMIT, soft - FILES_KEPT_FREE))


def create_server(app: Flask, sock: socket.socket, threads: int) -> GuardedServer:
    """The server for `app` on the already listening `sock`, with `threads` for searches."""
    adj = Adjustments(sockets=[sock], threads=threads, connection_limit=connection_limit(),
                      **LIMITS)
    main, light = ThreadedTaskDispatcher(), ThreadedTaskDispatcher()
    main.set_thread_count(threads)
    light.set_thread_count(LIGHT_THREADS)
    return GuardedServer(app, sock, adj, main, light)
