"""What a sync does with a source it cannot read: it keeps what the index holds from it.

A folder that cannot be listed, a known file that cannot be opened (or is
empty or binary for now: a copy in progress), a JSON Lines file that cannot
be read to its end: none of these means its articles are gone. `Unread`
collects such sources during a sync; at the end, the indexed articles they
cover are kept as they were instead of deleted, and each source is named in
a warning and in the report's `incomplete` list. A file that is really gone
is still a deletion, and a rebuild carries the kept articles over from the
generation it replaces (`carried_over`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.index import FileIndex

from indexer.articles import Warn
from indexer.sources import Damage
from ..store.generations import current_generation

CHANGE_FACTS = ("size", "mtime_ns", "content_hash")  # columns only: not in stored fields


@dataclass
class Unread:
    """The sources a sync could not read; `skip` hears about those the index does not have."""

    skip: Warn
    files: dict[str, str] = field(default_factory=dict)  # id -> why
    folders: dict[str, str] = field(default_factory=dict)  # folder ("" = the corpus) -> why
    corpus_file: tuple[str, str] | None = None  # (JSON Lines file name, why)
    empty_corpus: str | None = None  # the corpus folder, when it held no article file

    def __bool__(self) -> bool:
        return bool(self.files or self.folders or self.corpus_file or self.empty_corpus)

    def empty_folder(self, folder: str) -> None:
        """The corpus folder holds no article file while the index holds articles: far
        more often an unmounted disk than a wish to delete them all, so all are kept."""
        self.empty_corpus = folder

    def damage(self, damage: Damage) -> None:
        """`scan_folder`'s `damaged`."""
        if damage.folder:
            self.folders[damage.name] = damage.reason
        else:
            self.file(damage.name, damage.reason)

    def file(self, doc_id: str, reason: str) -> None:
        """A file that cannot be read now (kept if indexed, else skipped: see `settle`)."""
        self.files[doc_id] = reason

    def damaged_corpus(self, name: str) -> Callable[[str], None]:
        """`read_jsonl`'s `damaged` for the JSON Lines file `name`."""
        def damaged(reason: str) -> None:
            if self.corpus_file is not None:  # garbled lines, then a cut: both are said
                reason = f"{self.corpus_file[1]}; {reason}"
            self.corpus_file = (name, reason)
        return damaged

    def settle(self, known: Collection[str],
               unseen: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
        """(ids kept, ids to delete, one message per unread source) for the indexed
        articles (`known`) not met by this run (`unseen`); unread files the index does
        not have are skipped."""
        for doc_id in [doc_id for doc_id in self.files if doc_id not in known]:
            self.skip(f"{doc_id}: skipped, {self.files.pop(doc_id)}")
        kept: dict[str, list[str]] = {}
        deleted: list[str] = []
        for doc_id in sorted(unseen):
            source = self._covering(doc_id)
            if source is None:
                deleted.append(doc_id)
            else:
                kept.setdefault(source, []).append(doc_id)
        return [doc_id for ids in kept.values() for doc_id in ids], deleted, \
            self._messages({source: len(ids) for source, ids in kept.items()})

    def _covering(self, doc_id: str) -> str | None:
        """The unread source `doc_id` may come from ("file:…", "folder:…", "corpus")."""
        if doc_id in self.files:
            return f"file:{doc_id}"
        if self.corpus_file is not None or self.empty_corpus is not None:
            return "corpus"
        for folder in self.folders:
            if not folder or doc_id.startswith(folder + "/"):
                return f"folder:{folder}"
        return None

    def _messages(self, kept: dict[str, int]) -> list[str]:
        if self.empty_corpus is not None:
            return [f"the corpus folder {self.empty_corpus} is empty; "
                    f"{_articles(kept.get('corpus', 0))} kept — run seedsearch index --rebuild "
                    "to empty the index"]
        messages = [f"{doc_id}: {reason}; the article indexed from it is kept as it was"
                    for doc_id, reason in self.files.items()]
        for folder, reason in self.folders.items():
            count = kept.get(f"folder:{folder}", 0)
            messages.append(f"{folder or '.'}/: {reason}; {_articles(count)} indexed from "
                            f"this folder {'is' if count == 1 else 'are'} kept as "
                            f"{'it was' if count == 1 else 'they were'}")
        if self.corpus_file is not None:
            name, reason = self.corpus_file
            count = kept.get("corpus", 0)
            messages.append(f"{name}: {reason}; the records before the damage are applied, and "
                            f"{_articles(count)} indexed from the rest "
                            f"{'is' if count == 1 else 'are'} kept as "
                            f"{'it was' if count == 1 else 'they were'}")
        return messages


def _articles(count: int) -> str:
    return f"{count:,} article{'' if count == 1 else 's'}"


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
