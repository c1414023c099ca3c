""""Did you mean": close spellings the index knows, in the reader's word form.

The text fields hold stems, so Whoosh's own corrector would suggest stems
("secur"). Here candidates are stems within two edits of the query word's
stem; each is turned back into a real word by reading, in a few documents
that contain it, the characters its stored offsets point at, and ranked by
how many documents hold it and how far it is from what was typed
(`suggest_scoring`: a noisy-channel score, so "Blare" becomes "Blair", in 180
BBC articles, not "Blake", in 10, though Blake is one letter closer).

The rules of a suggestion:
- Only misspelt words change; the query's syntax is kept exactly as typed:
  AND / OR / NOT (never lowercased, never corrected), -word, quotes,
  parentheses, `field:` names (`title:blare` becomes `title:blair`, looked up
  in titles), dates, numbers and filter values (`suggest_words`).
- A word is misspelt when the index does not know it, or knows it from fewer
  than RARE_DOCUMENTS documents and a close spelling scores better; a word in
  RARE_DOCUMENTS documents or more is taken as written. A changed word keeps
  the typed case (Blare: Blair).
- A suggestion is offered only when it would find something: the suggested
  query, run as typed, matches at least one article. So `mexico AND obama`
  on a corpus from before Obama may become `mexico AND osama` only if some
  article holds both words; otherwise there is no suggestion.

Every step is bounded: the words of a query given a spelling
(MAX_WORDS_CHECKED), the candidates per word (MAX_CANDIDATES), the documents
read per candidate (SURFACE_DOCUMENTS), the terms scanned for a completion
(MAX_PREFIX_TERMS). What was found is remembered per commit, so a word typed
again, or a stem met again, costs nothing.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher

from indexer.budget import NO_DEADLINE, Deadline, Memo
from indexer.suggest_scoring import MAX_TYPO_COST, score, typo_cost

from ..codec.analysis import _POSSESSIVE, _TOKEN, news_analyzer
from .budget import commit_identity
from .query import build_parser, parse
from .suggest_terms import near_terms
from .suggest_words import QueryWord, in_typed_case, query_words

MAX_WORD_LENGTH = 40
MAX_WORDS_CHECKED = 8  # words of one query given a spelling; later ones stay as typed
MAX_CANDIDATES = 20  # close spellings of one word looked at: the best scored first
RARE_DOCUMENTS = 3  # a word known from fewer documents may still be a misspelling
SURFACE_DOCUMENTS = 10  # documents read to find how a stem is usually written
SURFACE_OCCURRENCES = 20  # of the stem, in each of those documents
MAX_PREFIX_TERMS = 20_000  # title terms scanned for the completions of one prefix

Forms = tuple[tuple[str, int], ...]  # written forms of a stem, most frequent first
_SPELLINGS: Memo[tuple[Hashable, ...], str | None] = Memo(20_000)
_FORMS: Memo[tuple[Hashable, ...], Forms] = Memo(50_000)
_COMPLETIONS: Memo[tuple[Hashable, ...], tuple[str, ...]] = Memo(5_000)


@dataclass
class SpellingWork:
    """What one `suggest` call did, counted: its bounds made visible."""

    words_checked: int = 0  # unknown or rare words given a spelling (memo or index)
    memo_hits: int = 0  # of those, answered by the memo
    candidates: int = 0  # close spellings whose written form was looked up
    documents_read: int = 0  # stored documents read for written forms
    cut_short: bool = False  # the deadline stopped it before every word was checked


def suggest(searcher: Searcher, text: str, language: str, deadline: Deadline = NO_DEADLINE,
            work: SpellingWork | None = None) -> str | None:
    """The query with misspelt words replaced by their best known spelling, or None
    (nothing to change, or the changed query would find nothing).

    Only the first MAX_WORDS_CHECKED unknown or rare words are checked, and none
    once `deadline` has passed (`work.cut_short` then says so)."""
    work = SpellingWork() if work is None else work
    analyzer = news_analyzer(language)
    memo_key = (commit_identity(searcher), language)
    replaced: list[tuple[int, int, str]] = []
    for word in query_words(text, searcher.schema.names()):
        if work.words_checked >= MAX_WORDS_CHECKED:
            break
        if not word.fields:
            continue
        if deadline.expired():
            work.cut_short = True
            break
        better = _better_spelling(searcher, analyzer, word, memo_key, work)
        if better is not None:
            replaced.append((word.start, word.end, in_typed_case(word.text, better)))
    if not replaced:
        return None
    pieces, last = [], 0
    for start, end, better in replaced:
        pieces += [text[last:start], better]
        last = end
    suggestion = "".join(pieces) + text[last:]
    if deadline.expired():  # unchecked, it might find nothing
        work.cut_short = True
        return None
    return suggestion if finds_something(searcher, suggestion) else None


def finds_something(searcher: Searcher, text: str) -> bool:
    """Whether `text`, read as a typed query, matches at least one article."""
    query = parse(build_parser(searcher.schema), text).query
    return next(iter(searcher.docs_for_query(query)), None) is not None


def _better_spelling(searcher: Searcher, analyzer: Any, word: QueryWord,
                     memo_key: tuple[Hashable, ...], work: SpellingWork) -> str | None:
    stem = _doubtful_stem(searcher.reader(), analyzer, word)
    if stem is None:
        return None
    work.words_checked += 1
    key = (*memo_key, word.fields, word.text.lower())
    found, better = _SPELLINGS.get(key)
    if found:
        work.memo_hits += 1
        return better
    better = _closest_known(searcher, word, stem, memo_key[0], work)
    _SPELLINGS.put(key, better)
    return better


def _doubtful_stem(reader: IndexReader, analyzer: Any, word: QueryWord) -> str | None:
    """The word's stem when the index does not know it, or knows it from fewer than
    RARE_DOCUMENTS documents, and a spelling could be looked for."""
    if len(word.text) > MAX_WORD_LENGTH:  # no real word; and edit distances grow with length
        return None
    stems = [token.text for token in analyzer(word.text, mode="query")]
    if len(stems) != 1 or len(stems[0]) < 3:
        return None
    if max(reader.doc_frequency(field, stems[0]) for field in word.fields) >= RARE_DOCUMENTS:
        return None
    return stems[0]


def _closest_known(searcher: Searcher, word: QueryWord, stem: str, commit: Hashable,
                   work: SpellingWork) -> str | None:
    """The best scored written form of the candidates (`suggest_scoring.score`),
    or None when that is the word as typed (a rare word, but the likeliest)."""
    typed, best, best_score = word.text.lower(), None, -math.inf
    for term, documents, field in _candidates(searcher.reader(), stem, word.fields):
        work.candidates += 1
        if term == stem:  # the word as typed, in any of its forms: it finds all of them
            found = score(documents, 0.0)
            if found > best_score:
                best, best_score = typed, found
            continue
        forms = _forms(searcher, field, term, commit, work)
        if not forms:
            continue
        cost, count, form = min((typo_cost(typed, form), -count, form) for form, count in forms)
        # the documents holding this form: the stem's, in the share the form has of them
        found = score(documents * -count / sum(n for _, n in forms), cost)
        if cost <= MAX_TYPO_COST and found > best_score:
            best, best_score = form, found
    return None if best == typed else best


def _candidates(reader: IndexReader, stem: str, fields: tuple[str, ...]
                ) -> list[tuple[str, int, str]]:
    """(term, documents, field it is most frequent in) for the known stems within
    MAX_EDITS of `stem`: the MAX_CANDIDATES best scored (short words have hundreds)."""
    found: dict[str, tuple[int, str]] = {}
    for field in fields:
        for term in near_terms(reader, field, stem):
            documents = reader.doc_frequency(field, term)
            if documents >= found.get(term, (0, ""))[0]:  # a tie: the later field (body)
                found[term] = (documents, field)
    ranked = sorted(found.items(),
                    key=lambda item: (-score(item[1][0], typo_cost(stem, item[0])), item[0]))
    return [(term, documents, field) for term, (documents, field) in ranked[:MAX_CANDIDATES]]


def _forms(searcher: Searcher, field: str, term: str, commit: Hashable,
           work: SpellingWork | None = None) -> Forms:
    """How `term` (a stem) is written, most often first, in the first documents
    holding it (remembered per commit)."""
    key = (commit, field, term)
    found, forms = _FORMS.get(key)
    if not found or forms is None:
        forms = _written_forms(searcher, field, term, work)
        _FORMS.put(key, forms)
    return forms


def _surface_form(searcher: Searcher, field: str, term: str, commit: Hashable,
                  wanted: str = "") -> str | None:
    """How `term` is most often written, in a form starting with `wanted`."""
    forms = _forms(searcher, field, term, commit)
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
            forms[_POSSESSIVE.sub("", text[start:end].lower())] += 1
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
    """Written forms of the title terms under the typed word's prefix (among the
    first MAX_PREFIX_TERMS of them) that may complete it, those in the most
    documents first (titles and bodies: how often readers meet the word)."""
    analyzer, reader = news_analyzer(language), searcher.reader()
    stems = [token.text for token in analyzer(last, mode="query")]
    stem = stems[0] if stems else last
    terms = (term.decode("utf-8") if isinstance(term, bytes) else term
             for term in islice(reader.expand_prefix("title", stem[:len(last) - 1]),
                                MAX_PREFIX_TERMS))
    candidates = heapq.nlargest(limit * 4, (_frequency(reader, term) for term in terms
                                            if term.startswith(stem) or stem.startswith(term)))
    found: list[str] = []
    for _, in_body, in_title, term in candidates:
        # written as in titles, unless too few titles hold it to tell (BBC: "governs")
        field = "title" if in_title >= min(in_body, SURFACE_DOCUMENTS) else "body"
        surface = _surface_form(searcher, field, term, commit, wanted=last)
        if surface and surface not in found:
            found.append(surface)
        if len(found) == limit:
            break
    return tuple(found)


def _frequency(reader: IndexReader, term: str) -> tuple[int, int, int, str]:
    """(documents with `term` in title or body, counted twice when in both; in
    the body; in the title; the term)."""
    title, body = reader.doc_frequency("title", term), reader.doc_frequency("body", term)
    return title + body, body, title, term
