""""Did you mean": close spellings the index knows, in the reader's word form.

The text fields hold stems, so Whoosh's own corrector would suggest stems
("secur"). Here candidates are stems within two edits of the query word's
stem; each is turned back into a real word by reading, in a few documents
that contain it, the characters its stored offsets point at, and ranked by
edit distance to what was typed, then by how many documents hold it.

Every step is bounded: the unknown words of a query given a spelling
(MAX_WORDS_CHECKED), the candidates per word (MAX_CANDIDATES), the documents
read per candidate (SURFACE_DOCUMENTS), the terms scanned for a completion
(MAX_PREFIX_TERMS). What was found is remembered per commit, so an unknown
word typed again, or a stem met again, costs nothing.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from typing import Any, Hashable

from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher
from whoosh.support.levenshtein import distance

from .analysis import _TOKEN, news_analyzer
from .budget import NO_DEADLINE, Deadline, Memo, commit_identity
from .query import _OPERATOR_WORDS
from .segment_arrays import segment_key

SPELLING_FIELDS = ("title", "body")
MAX_EDITS = 2
MAX_WORD_LENGTH = 40
MAX_WORDS_CHECKED = 8  # unknown words of one query given a spelling; later ones stay as typed
MAX_CANDIDATES = 20  # close spellings of one word looked at: the closest, most frequent first
SURFACE_DOCUMENTS = 10  # documents read to find how a stem is usually written
SURFACE_OCCURRENCES = 20  # of the stem, in each of those documents
MAX_PREFIX_TERMS = 20_000  # title terms scanned for the completions of one prefix

Forms = tuple[tuple[str, int], ...]  # written forms of a stem, most frequent first
_SPELLINGS: Memo[tuple[Hashable, ...], str | None] = Memo(20_000)
_FORMS: Memo[tuple[Hashable, ...], Forms] = Memo(50_000)
_COMPLETIONS: Memo[tuple[Hashable, ...], tuple[str, ...]] = Memo(5_000)
_BY_LENGTH: Memo[tuple[str, ...], dict[int, list[str]]] = Memo(2_000)  # segment, field, letter


@dataclass
class SpellingWork:
    """What one `suggest` call did, counted: its bounds made visible."""

    words_checked: int = 0  # unknown words given a spelling (from the memo or the index)
    memo_hits: int = 0  # of those, answered by the memo
    candidates: int = 0  # close spellings whose written form was looked up
    documents_read: int = 0  # stored documents read for written forms
    cut_short: bool = False  # the deadline stopped it before every word was checked


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def suggest(searcher: Searcher, text: str, language: str, deadline: Deadline = NO_DEADLINE,
            work: SpellingWork | None = None) -> str | None:
    """The query with unknown words replaced by their best known spelling, or None.

    Only the first MAX_WORDS_CHECKED unknown words are checked, and none once
    `deadline` has passed (`work.cut_short` then says so)."""
    work = SpellingWork() if work is None else work
    analyzer = news_analyzer(language)
    memo_key = (commit_identity(searcher), language)
    replaced: list[tuple[int, int, str]] = []
    for match in _TOKEN.finditer(text):
        if work.words_checked >= MAX_WORDS_CHECKED:
            break
        if match.group() in _OPERATOR_WORDS:
            continue
        if deadline.expired():
            work.cut_short = True
            break
        better = _better_spelling(searcher, analyzer, match.group(), memo_key, work)
        if better is not None:
            replaced.append((match.start(), match.end(), better))
    if not replaced:
        return None
    pieces, last = [], 0
    for start, end, better in replaced:
        pieces += [text[last:start], better]
        last = end
    return "".join(pieces) + text[last:]


def _better_spelling(searcher: Searcher, analyzer: Any, word: str,
                     memo_key: tuple[Hashable, ...], work: SpellingWork) -> str | None:
    stem = _unknown_stem(searcher.reader(), analyzer, word)
    if stem is None:
        return None
    work.words_checked += 1
    key = (*memo_key, word.lower())
    found, better = _SPELLINGS.get(key)
    if found:
        work.memo_hits += 1
        return better
    better = _closest_known(searcher, word, stem, memo_key[0], work)
    _SPELLINGS.put(key, better)
    return better


def _unknown_stem(reader: IndexReader, analyzer: Any, word: str) -> str | None:
    """The word's stem when it is one the index does not know and could correct."""
    if len(word) > MAX_WORD_LENGTH:  # no real word; and edit distances grow with length
        return None
    stems = [token.text for token in analyzer(word, mode="query")]
    if len(stems) != 1 or len(stems[0]) < 3:
        return None
    if any(reader.doc_frequency(field, stems[0]) for field in SPELLING_FIELDS):
        return None
    return stems[0]


def _closest_known(searcher: Searcher, word: str, stem: str, commit: Hashable,
                   work: SpellingWork) -> str | None:
    reader, ranked = searcher.reader(), []
    for field, term in _candidates(reader, stem):
        work.candidates += 1
        surface = _surface_form(searcher, field, term, commit, work)
        if surface:
            ranked.append((edit_distance(word.lower(), surface), -reader.doc_frequency(field, term),
                           surface))
    return min(ranked)[2] if ranked else None


def _candidates(reader: IndexReader, stem: str) -> list[tuple[str, str]]:
    """Known stems within MAX_EDITS of `stem`: the MAX_CANDIDATES closest, the most
    frequent first among equally close ones (short words have hundreds)."""
    found = {(field, term) for field in SPELLING_FIELDS for term in near_terms(reader, field, stem)}
    ranked = sorted((edit_distance(stem, term), -reader.doc_frequency(field, term), field, term)
                    for field, term in found)
    return [(field, term) for _, _, field, term in ranked[:MAX_CANDIDATES]]


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


def _surface_form(searcher: Searcher, field: str, term: str, commit: Hashable,
                  work: SpellingWork | None = None, wanted: str = "") -> str | None:
    """How `term` (a stem) is most often written, among the first documents holding it,
    in a form starting with `wanted`."""
    key = (commit, field, term)
    found, forms = _FORMS.get(key)
    if not found or forms is None:
        forms = _written_forms(searcher, field, term, work)
        _FORMS.put(key, forms)
    return next((form for form, _ in forms if form.startswith(wanted)), None)


def _written_forms(searcher: Searcher, field: str, term: str,
                   work: SpellingWork | None) -> Forms:
    """The stem's written forms in its first SURFACE_DOCUMENTS documents, cut from
    the stored text at the character offsets the index keeps (no text analysed)."""
    try:
        postings = searcher.reader().postings(field, term)
    except TermNotFound:
        return ()
    forms: Counter[str] = Counter()
    for _ in range(SURFACE_DOCUMENTS):
        if not postings.is_active():
            break
        text = searcher.stored_fields(postings.id()).get(field) or ""
        if work is not None:
            work.documents_read += 1
        for _, start, end in islice(postings.value_as("characters"), SURFACE_OCCURRENCES):
            forms[text[start:end].lower()] += 1
        postings.next()
    return tuple(forms.most_common())


def completions(searcher: Searcher, text: str, language: str, limit: int = 5) -> list[str]:
    """Words of the index that complete the last word typed, most frequent first,
    in the readers' word form (search-as-you-type)."""
    words = [match.group() for match in _TOKEN.finditer(text)]
    if not words or text[-1:].isspace() or len(words[-1]) < 2:
        return []
    last = words[-1].lower()
    commit = commit_identity(searcher)
    key = (commit, language, last, limit)
    found, known = _COMPLETIONS.get(key)
    if not found or known is None:
        known = _completed(searcher, language, last, limit, commit)
        _COMPLETIONS.put(key, known)
    head = text[:len(text) - len(words[-1])]
    return [head + word for word in known]


def _completed(searcher: Searcher, language: str, last: str, limit: int,
               commit: Hashable) -> tuple[str, ...]:
    """Written forms of the most frequent title terms under the typed word's prefix,
    among the first MAX_PREFIX_TERMS of them."""
    analyzer, reader = news_analyzer(language), searcher.reader()
    stems = [token.text for token in analyzer(last, mode="query")]
    prefix = stems[0][:len(last) - 1] if stems else last
    terms = (term.decode("utf-8") if isinstance(term, bytes) else term
             for term in islice(reader.expand_prefix("title", prefix), MAX_PREFIX_TERMS))
    candidates = heapq.nlargest(limit * 4, ((reader.doc_frequency("title", term), term)
                                            for term in terms))
    found: list[str] = []
    for _, term in candidates:
        surface = _surface_form(searcher, "title", term, commit, wanted=last)
        if surface and surface not in found:
            found.append(surface)
        if len(found) == limit:
            break
    return tuple(found)
