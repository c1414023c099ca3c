"""Facts about an index, for `seedsearch info` and the web's health check."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from .config import Config
from .store import current_generation, disk_size, open_index, read_settings


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
    """Raises IndexNotFound / SettingsMismatch like any other reader."""
    ix = open_index(config)
    generation = current_generation(config.index)
    assert generation is not None  # open_index succeeded
    settings = read_settings(generation)
    updated = ix.last_modified()
    with ix.reader() as reader:
        documents = reader.doc_count()
    return IndexInfo(
        corpus=str(config.corpus.resolve()), index=str(config.index.resolve()),
        documents=documents,
        last_update=datetime.fromtimestamp(updated, timezone.utc).isoformat(timespec="seconds")
        if updated > 0 else None,
        size_bytes=disk_size(config.index), language=config.language,
        schema_version=settings.schema_version if settings else 0,
        generation=generation.name,
    )
