"""The local engine: a Whoosh 2.7.5 index in a folder. The only package that imports Whoosh.

    internals.py  every use of a Whoosh private name, and the fixes to Whoosh
    engine.py     WhooshEngine: the `indexer.engine.Engine` verbs over this package
    codec/        the index's format: schema, analyzer, segment files written directly
    store/        the index folder: generations, leases, settings, checked readers
    build/        writing: the bulk build, updates, what a failed write leaves
    search/       reading: queries, BM25F, the array scorer, snippets, facets, ...

The fixes are applied when this package is first imported, before any of its
modules uses Whoosh.
"""

from . import internals  # noqa: F401 - fixes Whoosh on import, before anything uses it
from .build.sync import sync
from .engine import WhooshEngine
from .store.generations import open_index
from .store.info import index_info
from .store.readers import open_searcher, reading

# What tests and benchmarks reach for. `search`, the function, is not among them:
# it would hide the `search` sub-package (`indexer.whoosh_engine.search.searching`).
__all__ = ["WhooshEngine", "index_info", "open_index", "open_searcher", "reading", "sync"]
