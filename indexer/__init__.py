"""seedsearch's library: read articles, keep a Whoosh index in step, search it.

The public API is re-exported here; the CLI and the web app use nothing else.
"""

from . import whoosh_fixes  # noqa: F401 - fixes Whoosh on import, before anything uses it
from .articles import Article
from .config import Config, load_config
from .errors import (CorpusNotFound, IndexDamaged, IndexLocked, IndexNotFound, IndexWriteFailed,
                     InvalidSetting, SeedsearchError, SettingsMismatch)
from .info import IndexInfo, index_info
from .results import Hit, SearchResults, Snippet
from .searching import SORTS, open_searcher, search
from .store import open_index
from .sync import SyncReport, sync

__all__ = [
    "Article", "Config", "load_config", "CorpusNotFound", "IndexDamaged", "IndexLocked",
    "IndexNotFound", "IndexWriteFailed",
    "InvalidSetting", "SeedsearchError", "SettingsMismatch", "IndexInfo", "index_info", "Hit",
    "SearchResults", "Snippet", "SORTS", "open_searcher", "search", "open_index", "SyncReport",
    "sync",
]
