"""seedsearch's library: read articles, keep a Whoosh index in step, search it.

The public API is re-exported here; the CLI and the web app use nothing else.
"""

from .articles import Article
from .config import Config, load_config
from .errors import (
                     CorpusNotFound,
                     IndexDamaged,
                     IndexLocked,
                     IndexNotFound,
                     IndexWriteFailed,
                     InvalidSetting,
                     SeedsearchError,
                     SettingsMismatch,
)
from .records import Hit, SearchResults, Snippet
from .whoosh_engine import internals  # noqa: F401 - fixes Whoosh on import, before anything uses it
from .whoosh_engine.build.sync import SyncReport, sync
from .whoosh_engine.search.searching import SORTS, open_searcher, search
from .whoosh_engine.store.generations import open_index
from .whoosh_engine.store.info import IndexInfo, index_info

__all__ = [
    "Article", "Config", "load_config", "CorpusNotFound", "IndexDamaged", "IndexLocked",
    "IndexNotFound", "IndexWriteFailed",
    "InvalidSetting", "SeedsearchError", "SettingsMismatch", "IndexInfo", "index_info", "Hit",
    "SearchResults", "Snippet", "SORTS", "open_searcher", "search", "open_index", "SyncReport",
    "sync",
]
