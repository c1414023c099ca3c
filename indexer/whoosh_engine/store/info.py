"""Facts about an index, for `seedsearch info` and the web's health check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from indexer.config import Config
from indexer.records import IndexInfo

from ..codec.integrity import latest_toc
from .generations import generation_size, lease_index, settings_of
from .readers import open_searcher


def index_info(config: Config) -> IndexInfo:
    """Raises IndexNotFound / SettingsMismatch / IndexDamaged like any other reader:
    the index is opened and checked the way a search opens it."""
    ix, lease = lease_index(config)
    try:
        generation = lease.generation
        with open_searcher(ix) as searcher:
            documents = searcher.doc_count()
        return IndexInfo(
            corpus=str(config.corpus.resolve()), index=str(config.index.resolve()),
            documents=documents, last_update=_modified(generation / latest_toc(generation)),
            size_bytes=generation_size(generation), language=config.language,
            schema_version=settings_of(generation).schema_version, generation=generation.name,
        )
    finally:
        lease.release()


def _modified(toc: Path) -> str | None:
    """When the commit was made: its table of contents' mtime (Whoosh's `last_modified`)."""
    try:
        updated = toc.stat().st_mtime
    except OSError:  # replaced by a newer commit since
        return None
    return datetime.fromtimestamp(updated, UTC).isoformat(timespec="seconds") \
        if updated > 0 else None
