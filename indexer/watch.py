"""Following the corpus: sync once, then again after every batch of file changes.

`watchfiles` (inotify on Linux) groups events that arrive close together into
one batch (`debounce`), so saving many files at once costs one sync, and a
sync only re-reads what changed. Syncs go through the engine the settings name,
opened once for the whole watch.

The watcher outlives any failed sync; `WatcherHealth` lets other processes
(forked web server workers) see whether it still runs.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from multiprocessing.sharedctypes import SynchronizedString
from pathlib import Path
from typing import cast

import watchfiles

from . import Config, Engine, SyncListener, SyncReport, open_engine
from .errors import InvalidSetting, SeedsearchError
from .sources import Warn, ignore, is_jsonl

DEBOUNCE_MS = 300
RETRY_SECONDS = 30.0  # a failed sync is tried again after this long, even with no change
FOLDER_PATIENCE = 10.0  # seconds a corpus folder moved away may take to be back
_STATES = ("starting", "watching", "stopped", "failed")


class WatchFailed(SeedsearchError):
    """The watch loop itself ended (the folder could no longer be watched)."""


class WatcherHealth:
    """Whether a watcher runs, readable from any process forked after it is made.

    The state lives in shared memory (`multiprocessing.Value` and `Array`), so
    web server workers forked by `serve --workers N` read what the parent's
    watcher thread writes. `state` is "starting" until the watch loop runs,
    "watching" while it runs (`alive`), then "stopped" (asked to stop) or
    "failed" (the loop ended by an exception). `last_error` is a one-line
    reason: the last failed sync (cleared by the next good one) or why the
    loop ended; None when there is none.
    """

    ERROR_BYTES = 512

    def __init__(self) -> None:
        self._state = multiprocessing.Value("i", 0)
        # typeshed types Array("c") as a plain SynchronizedArray; it is a string one
        self._error = cast(SynchronizedString, multiprocessing.Array("c", self.ERROR_BYTES))

    @property
    def state(self) -> str:
        return _STATES[self._state.value]

    @property
    def alive(self) -> bool:
        return self.state == "watching"

    @property
    def last_error(self) -> str | None:
        with self._error.get_lock():
            value: bytes = self._error.value
        return value.decode("utf-8", "replace") or None

    def as_dict(self) -> dict[str, object]:
        """For a health endpoint: {"alive", "state", "last_error"}."""
        return {"alive": self.alive, "state": self.state, "last_error": self.last_error}

    def set_state(self, state: str, error: str | None = None) -> None:
        self._state.value = _STATES.index(state)
        if error is not None:
            self.set_error(error)

    def set_error(self, error: str | None) -> None:
        encoded = (error or "").encode("utf-8")[:self.ERROR_BYTES - 1]
        with self._error.get_lock():
            self._error.value = encoded.decode("utf-8", "ignore").encode("utf-8")


def follow(config: Config, on_sync: Callable[[SyncReport], None], warn: Warn = ignore,
           stop: threading.Event | None = None, debounce_ms: int = DEBOUNCE_MS,
           health: WatcherHealth | None = None) -> None:
    """Keep the index in step with the corpus until `stop` is set (or Ctrl+C).

    A failed sync (a locked index, a corpus briefly missing, a full disk, or
    anything unexpected) is reported through `warn` with a one-line reason and
    tried again at the next change, or after RETRY_SECONDS; an InvalidSetting
    (another corpus than the index's, an index folder that is not ours) ends
    the watch, raised as it is. A corpus folder replaced by another of the same
    name (moved away, made again) is watched afresh. `health` hears whether the
    loop runs; if the loop itself fails, WatchFailed says why.
    """
    engine = open_engine(config)  # reads the index's settings only: the corpus it holds
    corpus = engine.config.corpus.resolve()
    folder = corpus.parent if is_jsonl(corpus) else corpus
    stop = stop or threading.Event()
    try:
        with engine:
            while not stop.is_set():
                _watch_folder(engine, folder, on_sync, warn, stop, debounce_ms, health)
    except KeyboardInterrupt:
        if health:
            health.set_state("stopped")
        raise
    except InvalidSetting as error:  # retrying cannot help: it says what to change
        if health:
            health.set_state("failed", f"watching stopped: {one_line(error)}")
        raise
    except Exception as error:
        reason = one_line(error)
        if health:
            health.set_state("failed", f"watching stopped: {reason}")
        raise WatchFailed(f"Watching {folder} stopped: {reason}",
                          "Run the command again.") from error
    if health:
        health.set_state("stopped")


def _watch_folder(engine: Engine, folder: Path, on_sync: Callable[[SyncReport], None],
                  warn: Warn, stop: threading.Event, debounce_ms: int,
                  health: WatcherHealth | None) -> None:
    """Watch `folder` until `stop`, or until the folder at that path is another one.

    inotify follows the folder itself, not its path: after `mv corpus old;
    mkdir corpus` it would go on watching `old`. The folder's identity is
    checked at every quiet turn (every half second), and a change ends this
    watch so that the caller starts one on the new folder, with a full sync.
    """
    identity = _identity(folder)
    first, retry_at = True, None
    # Yielding on timeout tells us when the watcher is running; only then is the
    # first full sync made, so nothing changed in between can be missed.
    for changes in watchfiles.watch(folder, watch_filter=_relevant(engine.config),
                                    debounce=debounce_ms, step=50, stop_event=stop,
                                    rust_timeout=500, yield_on_timeout=True):
        if first and health:
            health.set_state("watching")
        due = retry_at is not None and time.monotonic() >= retry_at
        if first or changes or due:
            ok = _sync_and_report(engine, on_sync, warn, health)
            retry_at = None if ok else time.monotonic() + RETRY_SECONDS
        first = False
        if _identity(folder) != identity:
            _wait_for(folder, stop)
            return


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        found = folder.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _wait_for(folder: Path, stop: threading.Event) -> None:
    """Until a folder is back at this path (a move and a new folder are two steps);
    one still missing after FOLDER_PATIENCE seconds ends the watch, as a folder
    missing at the start does."""
    deadline = time.monotonic() + FOLDER_PATIENCE
    while not stop.is_set() and not folder.is_dir():
        if time.monotonic() > deadline:
            raise FileNotFoundError(f"the corpus folder {folder} is gone")
        stop.wait(0.5)


def _sync_and_report(engine: Engine, on_sync: Callable[[SyncReport], None], warn: Warn,
                     health: WatcherHealth | None) -> bool:
    """One sync; False when it failed (reported, never raised: Ctrl+C and a setting
    that must be changed, such as another corpus than the index's, aside)."""
    try:
        on_sync(engine.sync(listener=SyncListener(warn=warn)))
    except InvalidSetting:
        raise
    except Exception as error:  # whatever else happens, the watcher keeps watching
        reason = one_line(error)
        if health:
            health.set_error(f"sync failed: {reason}")
        with suppress(Exception):
            warn(f"sync failed, will retry at the next change (or in {RETRY_SECONDS:g} s): "
                 f"{reason}")
        return False
    if health:
        health.set_error(None)
    return True


def one_line(error: BaseException) -> str:
    """An error as one line: the message (and hint) of ours, the type and message of others."""
    text = str(error) if isinstance(error, SeedsearchError) \
        else f"{type(error).__name__}: {error}".rstrip(": ")
    return " ".join(text.split())


def _relevant(config: Config) -> Callable[[watchfiles.Change, str], bool]:
    """Changes that can matter: the JSONL file itself, or anything in the folder
    except the index (when it lives inside the corpus) and hidden files."""
    corpus = config.corpus.resolve()
    index = config.index.resolve()

    def relevant(change: watchfiles.Change, path: str) -> bool:
        changed = Path(path)
        if is_jsonl(corpus):
            return changed == corpus
        if changed == index or index in changed.parents:
            return False
        if not changed.is_relative_to(corpus):  # a path we did not expect: let a sync look
            return True
        return not any(part.startswith(".") for part in changed.relative_to(corpus).parts)

    return relevant
