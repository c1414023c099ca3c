"""Facts about an index, for `seedsearch info` and the web's health check."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .config import Config
from .integrity import latest_toc
from .readers import open_searcher
from .store import generation_size, lease_index, settings_of


@dataclass(frozen=True)
class IndexInfo:
    corpus: str
    index: str
    documents: int
    last_update: str | None
    size_bytes: int
    language: str
    schema_version: int
    generation: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
    return datetime.fromtimestamp(updated, timezone.utc).isoformat(timespec="seconds") \
        if updated > 0 else None
