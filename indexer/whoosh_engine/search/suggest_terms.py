"""Known stems near a word: the candidates a spelling suggestion is chosen from."""

from __future__ import annotations

from collections.abc import Hashable

from whoosh.reading import IndexReader
from whoosh.support.levenshtein import distance

from indexer.budget import Memo

from ..codec.segment_arrays import segment_key

MAX_EDITS = 2  # (Damerau) edits between a stem typed and the known stems looked at
_BY_LENGTH: Memo[tuple[Hashable, ...], dict[int, list[str]]] = Memo(2_000)  # segment, field, letter


def near_terms(reader: IndexReader, field: str, stem: str) -> set[str]:
    """Whoosh's `reader.terms_within(field, stem, MAX_EDITS, prefix=1)`: the field's
    terms starting with the stem's letter and within MAX_EDITS (Damerau) edits.

    Whoosh measures the distance to every term starting with that letter
    (about 30 ms a word on Reuters); here each segment's terms starting with
    a letter are grouped by length once, and only those of a length within
    MAX_EDITS of the stem's, and sharing enough of its letters, are measured.
    """
    found: set[str] = set()
    letters = set(stem)
    for leaf, _ in reader.leaf_readers():
        if leaf.segment() is None:  # an empty index
            continue
        by_length = _terms_by_length(leaf, field, stem[:1])
        for length in range(len(stem) - MAX_EDITS, len(stem) + MAX_EDITS + 1):
            found.update(term for term in by_length.get(length, ())
                         if _few_letters_apart(letters, term)
                         and distance(term, stem, limit=MAX_EDITS) <= MAX_EDITS)
    return found


def _few_letters_apart(letters: set[str], term: str) -> bool:
    """False when `term` cannot be within MAX_EDITS edits of a word of these letters:
    an edit brings in at most one new letter and takes away at most one."""
    theirs = set(term)
    return len(theirs - letters) <= MAX_EDITS and len(letters - theirs) <= MAX_EDITS


def _terms_by_length(reader: IndexReader, field: str, letter: str) -> dict[int, list[str]]:
    """One segment's terms of `field` starting with `letter`, by length (a segment
    never changes, so this is kept for as long as it is used)."""
    key = (*segment_key(reader), field, letter)
    found, grouped = _BY_LENGTH.get(key)
    if found and grouped is not None:
        return grouped
    grouped = {}
    for raw in reader.expand_prefix(field, letter):
        term = raw.decode("utf-8")
        grouped.setdefault(len(term), []).append(term)
    _BY_LENGTH.put(key, grouped)
    return grouped
