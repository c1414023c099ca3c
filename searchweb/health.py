"""The watcher thread of `serve --watch`, and what /healthz says about it.

A watcher that died used to leave `/healthz` saying "ok" while the index
silently fell behind the corpus. The thread now keeps a `WatcherHealth`
(shared memory, made before the workers fork), so every worker's /healthz
can answer 503 naming why the watcher stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from indexer import Config, SyncReport, Warn
from indexer.watch import WatcherHealth, follow, one_line

STOPPED = ("stopped", "failed")  # WatcherHealth states in which nothing follows the corpus


def start_watcher(config: Config, on_sync: Callable[[SyncReport], None], warn: Warn,
                  stop: threading.Event) -> WatcherHealth:
    """Follow the corpus in a daemon thread until `stop`; the health says how it fares."""
    health = WatcherHealth()
    threading.Thread(target=_follow, name="seedsearch-watch", daemon=True,
                     args=(config, on_sync, warn, stop, health)).start()
    return health


def _follow(config: Config, on_sync: Callable[[SyncReport], None], warn: Warn,
            stop: threading.Event, health: WatcherHealth) -> None:
    try:
        follow(config, on_sync, warn, stop, health=health)
    except Exception as error:  # the thread's last act: say why, once, without a traceback
        reason = one_line(error.__cause__ or error)
        if health.state not in STOPPED:
            health.set_state("failed", reason)
        try:
            warn(f"the watcher stopped ({reason}); the index no longer follows the corpus")
        except Exception:  # noqa: BLE001 - stderr itself may be what failed
            pass


def watcher_report(health: WatcherHealth) -> tuple[bool, str]:
    """(healthy, what /healthz says): "running" (with the last failed sync, if any),
    "starting", or "stopped: <reason>"."""
    state = health.state
    if state not in STOPPED:
        # A sync that failed (another writer, a full disk) is retried: still healthy,
        # but the index may be behind the corpus, and the report says why.
        failed = f" ({health.last_error})" if health.last_error else ""
        return True, ("running" if health.alive else state) + failed
    # follow() words its own failure "watching stopped: <reason>"; say "stopped" once
    reason = (health.last_error or "the watcher ended").removeprefix("watching stopped: ")
    return False, f"stopped: {reason}"
