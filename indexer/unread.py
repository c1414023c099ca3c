"""What a sync does with a source it cannot read: it keeps what the index holds from it.

A folder that cannot be listed, a known file that cannot be opened (or is
empty or binary for now: a copy in progress), a JSON Lines file that cannot
be read to its end: none of these means its articles are gone. `Unread`
collects such sources during a sync; at the end, the indexed articles they
cover are kept as they were instead of deleted, and each source is named in
a warning and in the report's `incomplete` list. A file that is really gone
is still a deletion, and a rebuild carries the kept articles over from what
it replaces (each engine its own way).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from .articles import Warn
from .sources import Damage


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
