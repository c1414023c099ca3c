"""seedsearch's library: read articles, keep an index in step, search it.

The front ends (the CLI, the watcher, the evaluation, the web app) use only
what is exported here: settings, errors, the records, and an `Engine` opened
by `open_engine`. Each engine lives in its own package (`whoosh_engine`, the
local one) that only `indexer.engines` imports.
"""

from .articles import Article, Warn
from .config import Config, load_config
from .engine import LOCK_TIMEOUT, QUIET, Engine, SearchRequest, SyncListener
from .engines import open_engine
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
from .records import (
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_RESULTS,
    NO_FILTERS,
    SORTS,
    ArticleView,
    Copy,
    Facets,
    FacetValue,
    Filters,
    Hit,
    IndexInfo,
    SearchResults,
    Snippet,
    SyncReport,
)

__all__ = [
    "Article", "Warn", "Config", "load_config", "LOCK_TIMEOUT", "QUIET", "Engine", "SearchRequest",
    "SyncListener", "open_engine", "CorpusNotFound", "IndexDamaged", "IndexLocked",
    "IndexNotFound", "IndexWriteFailed", "InvalidSetting", "SeedsearchError", "SettingsMismatch",
    "MAX_PAGE", "MAX_PER_PAGE", "MAX_RESULTS", "NO_FILTERS", "SORTS", "ArticleView", "Copy",
    "FacetValue", "Facets", "Filters", "Hit", "IndexInfo", "SearchResults", "Snippet",
    "SyncReport",
]
