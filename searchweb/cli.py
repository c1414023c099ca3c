"""`seedsearch serve`: index when needed, then serve the web app with waitress.

The `seedsearch` group finds this command through the `seedsearch.commands`
entry point, so `indexer` never imports `searchweb`.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

import click

from indexer import (
    LOCK_TIMEOUT,
    Config,
    Engine,
    InvalidSetting,
    SeedsearchError,
    SyncListener,
    SyncReport,
    open_engine,
)
from indexer.cli import settings_options
from indexer.terminal import AsciiFloat, AsciiInt, safe

from . import create_app
from .health import start_watcher
from .security import IP_LITERALS, PUBLIC_URL_ENV, allowed_hosts_from_env, host_name
from .workers import can_fork, listening_socket, run_workers

# Searches are Python code (one core per process whatever the count), but a thread
# each lets light searches interleave with heavy ones instead of queueing behind them.
THREADS = 8
WILDCARDS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@settings_options
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; only loopback unless you name another.")
@click.option("--port", default=8000, show_default=True, type=AsciiInt(0, 65535))
@click.option("--threads", default=THREADS, show_default=True, type=AsciiInt(1, 64),
              help="Worker threads answering searches.")
@click.option("--workers", default=1, show_default=True, type=AsciiInt(1, 32),
              help="Server processes sharing the port (one core each); needs fork.")
@click.option("--watch", is_flag=True,
              help="Keep following the corpus: changed files are searchable within seconds.")
@click.option("--lock-timeout", default=LOCK_TIMEOUT, show_default=True,
              type=AsciiFloat(0, 86400),
              help="Seconds to wait for another writer before serving the index as it is.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer requests for this Host name (a reverse proxy's); "
                   "repeatable; * allows any. Also from SEEDSEARCH_ALLOWED_HOSTS (commas).")
@click.option("--public-url", envvar=PUBLIC_URL_ENV, show_envvar=True, metavar="URL",
              help="Where readers reach the server (https://search.example.org): "
                   "absolute links in feeds and OpenSearch use it.")
def serve(config: Config, host: str, port: int, threads: int, workers: int, watch: bool,
          lock_timeout: float, allow_hosts: tuple[str, ...], public_url: str | None) -> None:
    """Index the corpus when needed, then serve the search page and API."""
    if workers > 1 and not can_fork():
        raise click.BadParameter("more than one worker needs fork (Linux).",
                                 param_hint="--workers")
    update_index(config, lock_timeout)
    if not is_loopback(host):
        click.echo(safe(f"warning: listening on {host}, reachable from other machines"), err=True)
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}. "
                                   "Try another --port.") from error
    stop = threading.Event()
    settings = app_settings(config, host, sock.getsockname()[1], allow_hosts, public_url)
    if watch:
        settings["SEEDSEARCH_WATCHER"] = start_watcher(config, _report_change, _warn, stop)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    click.echo(safe(f"Serving {config.corpus} on http://{shown}:{bound_port}/  (Ctrl+C to stop)"))
    sys.stdout.flush()
    try:
        status = run_workers(sock, lambda: create_app(settings), workers, threads)
    finally:
        stop.set()
        sock.close()
    click.echo("Stopped.", err=True)
    sys.exit(status)


def update_index(config: Config, lock_timeout: float) -> None:
    """Bring the index up to date; when that fails but an index exists, serve it as it is.

    A locked index, a full disk or a damaged corpus must not keep readers from the
    articles already indexed; only when there is no usable index does `serve` give up.
    The engine is let go before serving: each server process opens its own.
    """
    with open_engine(config) as engine:
        try:
            report = engine.sync(listener=SyncListener(warn=_warn), lock_timeout=lock_timeout)
        except InvalidSetting:
            raise  # another corpus, an index folder that is not ours: the user's to change
        except SeedsearchError as error:
            if not index_usable(engine):
                raise
            _serving_as_it_was(error)
            return
    click.echo(safe(f"Index {config.index}: {report.summary()}"), err=True)
    for message in report.incomplete:
        _warn(f"could not update the index fully: {_one_line(message)}; serving it as it is")


def _serving_as_it_was(error: SeedsearchError) -> None:
    message = error.args[0] if error.args else error  # its hint is for `index` runs
    _warn(f"could not update the index: {_one_line(message)}; serving it as it was")


def index_usable(engine: Engine) -> bool:
    """Whether the engine can search its index as it is (counting it is the least search)."""
    try:
        engine.document_count()
    except SeedsearchError:
        return False
    return True


def app_settings(config: Config, host: str, port: int, allow_hosts: tuple[str, ...],
                 public_url: str | None) -> dict[str, Any]:
    """What `create_app` needs: the index, and the names and address the server answers as."""
    public = public_url or f"http://{_url_host(host)}:{port}"
    # a setting not given stays so: the app takes the index's own corpus and language,
    # even after a rebuild for another language
    given = {name: getattr(config, name) if config.given(name) else None
             for name in ("corpus", "index", "language", "engine")}
    return {**given, "SEEDSEARCH_ALLOWED_HOSTS": allowed_hosts(host, allow_hosts, public),
            "SEEDSEARCH_PUBLIC_URL": public}


def allowed_hosts(host: str, extra: tuple[str, ...], public_url: str) -> list[str]:
    """Loopback names, the address served on, the public URL's host and any named;
    for a wildcard address also this machine's names and any IP address."""
    names = [*allowed_hosts_from_env(), *(name.strip().lower() for name in extra)]
    if host in WILDCARDS:
        names += [*machine_names(), IP_LITERALS]
    else:
        names.append(host_name(host))
    names.append(host_name(urlsplit(public_url).netloc))
    return sorted(set(names))


def machine_names() -> list[str]:
    name = socket.gethostname().lower()
    return [name, name.partition(".")[0], socket.getfqdn(name).lower()]


def _url_host(host: str) -> str:
    if host in WILDCARDS:
        return socket.gethostname().lower()
    return f"[{host}]" if ":" in host else host


def _one_line(error: object) -> str:
    return " ".join(str(error).split())


def _warn(message: str) -> None:
    click.echo(f"warning: {safe(message)}", err=True)


def _report_change(report: SyncReport) -> None:
    if report.added or report.updated or report.removed or report.rebuilt:
        click.echo(safe(f"Index updated: {report.summary()}"), err=True)
