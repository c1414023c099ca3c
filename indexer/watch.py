"""Following the corpus: sync once, then again after every batch of file changes.

`watchfiles` (inotify on Linux) groups events that arrive close together into
one batch (`debounce`), so saving many files at once costs one sync, and a
sync only re-reads what changed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

import watchfiles

from .config import Config
from .errors import SeedsearchError
from .sources import Warn, ignore, is_jsonl
from .sync import SyncReport, sync

DEBOUNCE_MS = 300


def follow(config: Config, on_sync: Callable[[SyncReport], None], warn: Warn = ignore,
           stop: threading.Event | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
    """Keep the index in step with the corpus until `stop` is set (or Ctrl+C).

    A failed sync (a locked index, a corpus briefly missing) is reported
    through `warn` and retried at the next change.
    """
    corpus = config.corpus.resolve()
    folder = corpus.parent if is_jsonl(corpus) else corpus
    first = True
    # Yielding on timeout tells us when the watcher is running; only then is the
    # first full sync made, so nothing changed in between can be missed.
    for changes in watchfiles.watch(folder, watch_filter=_relevant(config),
                                    debounce=debounce_ms, step=50, stop_event=stop,
                                    rust_timeout=500, yield_on_timeout=True):
        if first or changes:
            _sync_and_report(config, on_sync, warn)
        first = False


def _sync_and_report(config: Config, on_sync: Callable[[SyncReport], None], warn: Warn) -> None:
    try:
        on_sync(sync(config, warn=warn))
    except SeedsearchError as error:
        warn(f"sync failed, will retry at the next change: {error}")


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
        return not any(part.startswith(".") for part in changed.relative_to(corpus).parts)

    return relevant
