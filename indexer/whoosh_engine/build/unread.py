"""What a rebuild carries over of the sources it cannot read now.

Which sources could not be read, and so which articles are kept rather than
deleted, is decided engine-neutrally (`indexer.unread.Unread`). A rebuild
writes a new generation: the articles it keeps are copied here from the
generation it replaces (`carried_over`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import FileIndex

from indexer.articles import Warn

from ..store.generations import current_generation

CHANGE_FACTS = ("size", "mtime_ns", "content_hash")  # columns only: not in stored fields


def previous_generation(index_dir: Path, warn: Warn) -> tuple[FileIndex | None, set[str]]:
    """The live generation a rebuild replaces, and its ids; (None, empty) when there is
    none or it cannot be read (a damaged index is a reason to rebuild, not to stop one)."""
    generation = current_generation(index_dir)
    if generation is None:
        return None, set()
    try:
        previous = whoosh_index.open_dir(str(generation))
        with previous.reader() as reader:
            ids = reader.column_reader("id")
            return previous, {ids[docnum] for docnum in reader.all_doc_ids()}
    except Exception as error:
        warn(f"the index being replaced cannot be read ({type(error).__name__}); the articles "
             "of sources that cannot be read now are not kept")
        return None, set()


def carried_over(previous: FileIndex, ids: Collection[str],
                 names: Collection[str]) -> Iterator[dict[str, Any]]:
    """The documents `ids` of the generation a rebuild replaces, as fields of the new
    one (`names`): what it holds of the sources that could not be read this time."""
    wanted = set(ids)
    if not wanted:
        return
    with previous.reader() as reader:
        id_column = reader.column_reader("id")
        facts = {name: reader.column_reader(name) for name in CHANGE_FACTS
                 if reader.has_column(name)}
        for docnum in reader.all_doc_ids():
            if id_column[docnum] in wanted:
                fields = {**reader.stored_fields(docnum),
                          **{name: column[docnum] for name, column in facts.items()}}
                yield {name: value for name, value in fields.items()
                       if name in names and value is not None}
