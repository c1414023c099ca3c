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

Hostile connections. waitress 3.0 watches sockets with select() unless told
otherwise, and select() raises ValueError (ending the process) for a socket
numbered 1,024 or more: poll() is used. A connection reads no more while it
has a request being answered, but one read (up to 64 KB) can hold a thousand
pipelined requests, each answer of which would be kept (a static file held
open) until a client that never reads takes it: a connection keeps at most
`MAX_PIPELINED` requests, answers them, then is closed, as RFC 9112 9.3.2
lets a server do (a pipelining client sends the rest again). Static files are
copied into the output buffer rather than kept open (no `wsgi.file_wrapper`),
and a connection whose client leaves more than `PENDING_OUTPUT` bytes unread
gets no further answer made until it reads (its idle timeout still runs).
waitress's own answers (400, 413, 431, 500, and the 503 below) carry the same
security headers as the application's.

Every waitress private name relied on is commented with the waitress 3.0
behaviour it depends on.
"""

from __future__ import annotations

import json
import logging
import resource
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import Error

from .security import HEADERS

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

REQUEST_DEADLINE = 10.0  # seconds from a request's first byte to its last
IDLE_TIMEOUT = 5.0  # seconds a connection may stay open with no request under way
CHECK_INTERVAL = 1  # seconds between deadline checks (waitress's cleanup_interval, an int)
CONNECTION_LIMIT = 1000
FILES_KEPT_FREE = 256  # open-file slots left for the index, the searchers and logs
LIGHT_PATHS = ("/healthz", "/static/", "/opensearch.xml", "/favicon.ico")
LIGHT_THREADS = 2
QUEUED_PER_THREAD = 4  # searches waiting for a thread, per thread, before new ones get a 503
RETRY_AFTER = 2  # seconds, in the 503's Retry-After
MAX_PIPELINED = 16  # requests one connection may have waiting; beyond, it is closed
PENDING_OUTPUT = 1024 * 1024  # bytes unread by a client before its next answer waits
LOG_REPEAT_SECONDS = 60.0  # one waitress message of a kind per minute at most
LIMITS: dict[str, Any] = {
    # Every route is a GET: a request body is refused at once rather than awaited.
    "max_request_body_size": 64 * 1024, "max_request_header_size": 64 * 1024,
    # waitress 3.0's channel_timeout is read only by the maintenance GuardedServer replaces.
    "cleanup_interval": CHECK_INTERVAL,
    # select() fails for descriptors >= 1,024; poll() has no such limit.
    "asyncore_use_poll": True,
    # A client's reset connection is not the server's error: no traceback per client.
    "log_socket_errors": False,
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
        headers = [("Retry-After", str(RETRY_AFTER)), *HEADERS.items()]
        if self.path.startswith("/api/"):
            body = json.dumps({"error": {"status": self.code, "message": self.body}})
            headers.append(("Content-Type", "application/json"))
        else:
            body = f"{self.reason}\n\n{self.body}\n"
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        return f"{self.code} {self.reason}", headers, body.encode()


class SecureErrorTask(ErrorTask):
    """waitress's own error answers, with the security headers the application sends.

    waitress 3.0: ErrorTask.execute() writes `request.error.to_response()`; the channel
    makes one for a request that could not be parsed (400, 413, 431, 501...) and for an
    application that failed before its first byte (500).
    """

    def execute(self) -> None:
        status, headers, body = self.request.error.to_response(self.channel.server.adj.ident)
        named = {name.lower() for name, _ in headers}
        self.status = status
        self.response_headers.extend(headers)
        self.response_headers.extend((name, value) for name, value in HEADERS.items()
                                     if name.lower() not in named)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class DeadlineChannel(HTTPChannel):
    """A connection that remembers when the request it is reading began, keeps at most
    MAX_PIPELINED requests, and makes no answer while PENDING_OUTPUT bytes wait unread.

    waitress 3.0: `requests` is the list of parsed requests waiting (the first being
    answered), `total_outbufs_len` the bytes answered but not yet sent, `readable()`
    is asked by the event loop before each read, and `service()` answers `requests[0]`
    in a task thread, then queues the channel again while requests remain.
    """

    error_task_class = SecureErrorTask
    request_started: float | None = None
    _timed: object = None
    flooded = False  # more than MAX_PIPELINED requests came: close once they are answered
    held = False  # an answer waits for the client to read what it was sent

    def received(self, data: bytes) -> bool:
        answer = super().received(data)
        with self.requests_lock:
            if len(self.requests) > MAX_PIPELINED:
                for dropped in self.requests[MAX_PIPELINED:]:
                    dropped.close()
                del self.requests[MAX_PIPELINED:]
                self.request, self.flooded = None, True
        # waitress 3.0: `self.request` is the parser of a request not yet complete
        # (headers or body still arriving); it is reset to None once the request is
        # queued, and a new parser is made for the next request on the connection.
        pending = self.request
        if pending is None:
            self.request_started = None
        elif pending is not self._timed:
            self._timed, self.request_started = pending, time.time()
        return answer

    def readable(self) -> bool:
        """Read nothing more from a flooding connection or one whose answers wait; give a
        held answer back to the threads once the client has read enough (this runs in
        the event loop's thread, on every turn)."""
        if self.held and self.total_outbufs_len <= PENDING_OUTPUT and not self.will_close:
            self.held = False
            self.server.add_task(self)
        return not (self.flooded or self.held) and bool(super().readable())

    def service(self) -> None:
        if self.connected and self.total_outbufs_len > PENDING_OUTPUT:
            self.held = True  # not answered now: readable() queues it again
            self.server.pull_trigger()
            return
        super().service()
        if self.flooded and not self.requests:
            with self.requests_lock:
                self.close_when_flushed = True
            self.server.pull_trigger()


class GuardedServer(TcpWSGIServer):
    """waitress's TCP server with request deadlines, idle timeouts and a light lane."""

    # waitress 3.0: BaseWSGIServer.handle_accept makes each connection with channel_class.
    channel_class = DeadlineChannel

    def __init__(self, app: WsgiApp, sock: socket.socket, adj: Adjustments,
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
            if channel.requests and not getattr(channel, "held", False):
                continue  # being answered (a held answer waits for a client that may not read)
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


def create_server(app: WsgiApp, sock: socket.socket, threads: int) -> GuardedServer:
    """The server for `app` on the already listening `sock`, with `threads` for searches."""
    adj = Adjustments(sockets=[sock], threads=threads, connection_limit=connection_limit(),
                      **LIMITS)
    main, light = ThreadedTaskDispatcher(), ThreadedTaskDispatcher()
    main.set_thread_count(threads)
    light.set_thread_count(LIGHT_THREADS)
    quiet_logs()
    return GuardedServer(without_file_wrapper(app), sock, adj, main, light)


def without_file_wrapper(app: WsgiApp) -> WsgiApp:
    """`app` with no `wsgi.file_wrapper`: Werkzeug then copies a static file into the
    answer and closes it, where waitress 3.0 would keep the file open until a client
    (who may never read) has taken it all, one open file per answer waiting."""
    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop("wsgi.file_wrapper", None)
        return app(environ, start_response)
    return serve


class OncePerInterval(logging.Filter):
    """Lets a message of one kind through once per `seconds`: clients choose how often
    waitress would say it (the connection limit reached, say), stderr must not grow
    with them."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.said: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        kind, now = f"{record.levelno}:{str(record.msg)[:32]}", time.monotonic()
        if now - self.said.get(kind, -self.seconds) < self.seconds:
            return False
        if len(self.said) > 1000:  # kinds that vary with the request: keep the memory bounded
            self.said.clear()
        self.said[kind] = now
        return True


def quiet_logs() -> None:
    """No line on stderr per request: waitress 3.0 warns "Task queue depth is N" on
    the `waitress.queue` logger for every request queued behind busy threads."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress_log = logging.getLogger("waitress")
    if not any(isinstance(known, OncePerInterval) for known in waitress_log.filters):
        waitress_log.addFilter(OncePerInterval(LOG_REPEAT_SECONDS))
