"""Several server processes on one listening socket.

Searching is Python code, so one process uses one core whatever its thread
count. `seedsearch serve --workers N` binds the socket once, then forks N
processes that each run waitress on it; the kernel hands each new
connection to one of them. Every process opens its own engine
(`create_app`), which follows the index's new commits, so an update made by
the parent's watcher or by `seedsearch index` reaches all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable

from flask import Flask

from .server import create_server

PARENT_CHECK_SECONDS = 1.0


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "darwin"


def listening_socket(host: str, port: int) -> socket.socket:
    """The bound, listening socket every worker accepts on (IPv4 or IPv6)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.set_inheritable(True)
    return sock


def run_workers(sock: socket.socket, make_app: Callable[[], Flask], workers: int,
                threads: int) -> int:
    """Serve on `sock` in `workers` processes until Ctrl+C or one of them fails.

    Returns the exit status for the command.
    """
    if workers == 1:
        return _serve(sock, make_app, threads)
    children = [_fork_worker(sock, make_app, threads) for _ in range(workers)]
    try:
        _, status = os.wait()
        return os.waitstatus_to_exitcode(status) or 1  # a worker ended on its own
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)


def _fork_worker(sock: socket.socket, make_app: Callable[[], Flask], threads: int) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    status = 1
    try:
        status = _serve(sock, make_app, threads)
    except KeyboardInterrupt:  # SIGTERM from the parent before serving began
        status = 0
    except BaseException:  # noqa: BLE001 - os._exit below would lose the reason
        _say_why_worker_died()
    finally:
        os._exit(status)


def _say_why_worker_died() -> None:
    """Print the traceback of a worker's failure: os._exit skips the interpreter's own
    report (a forked child must not run the parent's exit handlers)."""
    try:
        sys.stderr.write(f"error: server worker {os.getpid()} stopped:\n"
                         f"{traceback.format_exc()}")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - stderr itself may be what failed
        pass


def _serve(sock: socket.socket, make_app: Callable[[], Flask], threads: int) -> int:
    app = make_app()
    server = create_server(app, sock, threads)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["seedsearch"].close()
    return 0


def _exit_with(parent: int) -> None:
    """A worker whose parent was killed (even with SIGKILL) stops too."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _stop(children: list[int]) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for pid in children:
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
