"""`seedsearch serve`: index when needed, then serve the web app with waitress.

The `seedsearch` group finds this command through the `seedsearch.commands`
entry point, so `indexer` never imports `searchweb`.
"""

from __future__ import annotations

import ipaddress
import sys
import threading

import click

from indexer import Config, SyncReport, sync
from indexer.cli import settings_options
from indexer.watch import follow

from . import create_app
from .workers import can_fork, listening_socket, run_workers


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
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads answering requests.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 32),
              help="Server processes sharing the port (one core each); needs fork.")
@click.option("--watch", is_flag=True,
              help="Keep following the corpus: changed files are searchable within seconds.")
def serve(config: Config, host: str, port: int, threads: int, workers: int,
          watch: bool) -> None:
    """Index the corpus when needed, then serve the search page and API."""
    if workers > 1 and not can_fork():
        raise click.BadParameter("more than one worker needs fork (Linux).",
                                 param_hint="--workers")
    report = sync(config, warn=_warn)
    click.echo(f"Index {config.index}: {report.summary()}", err=True)
    if not is_loopback(host):
        click.echo(f"warning: listening on {host}, reachable from other machines", err=True)
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}. "
                                   "Try another --port.") from error
    stop = threading.Event()
    if watch:
        threading.Thread(target=follow, name="seedsearch-watch", daemon=True,
                         args=(config, _report_change, _warn, stop)).start()
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    click.echo(f"Serving {config.corpus} on http://{shown}:{bound_port}/  (Ctrl+C to stop)")
    sys.stdout.flush()
    settings = {"corpus": config.corpus, "index": config.index, "language": config.language}
    try:
        status = run_workers(sock, lambda: create_app(settings), workers, threads)
    finally:
        stop.set()
        sock.close()
    click.echo("Stopped.", err=True)
    sys.exit(status)


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def _report_change(report: SyncReport) -> None:
    if report.added or report.updated or report.removed or report.rebuilt:
        click.echo(f"Index updated: {report.summary()}", err=True)
