"""Facts about an index, for `seedsearch info` and the web's health check."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from indexer.config import Config

from ..codec.integrity import latest_toc
from .generations import generation_size, lease_index, settings_of
from .readers import open_searcher

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


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
        """The facts as they are: sizes in bytes, for scripts."""
        return asdict(self)

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) for people: counts with separators, the size in KiB/MiB/GiB."""
        return [("corpus", self.corpus), ("index", self.index),
                ("documents", f"{self.documents:,}"),
                ("last update", self.last_update or "unknown"),
                ("size on disk", f"{human_size(self.size_bytes)} ({self.size_bytes:,} bytes)"),
                ("language", self.language), ("schema version", str(self.schema_version)),
                ("generation", self.generation)]


def human_size(size: int) -> str:
    """`512 B`, `18.0 MiB`: binary units, as `du -h` and `ls -lh` count."""
    value, unit = float(size), "B"
    for unit in UNITS:
        if value < 1024 or unit == UNITS[-1]:
            break
        value /= 1024
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


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
