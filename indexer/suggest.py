""""Did you mean": close spellings the index knows, in the reader's word form.

The text fields hold stems, so Whoosh's own corrector would suggest stems
("secur"). Here candidates are stems within two edits of the query word's
stem; each is turned back into a real word by finding it in a document that
contains it, and ranked by edit distance to what was typed, then by how many
documents hold it.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator

from whoosh.searching import Searcher

from .analysis import _TOKEN, news_analyzer
from .query import _OPERATOR_WORDS

SPELLING_FIELDS = ("title", "body")
MAX_EDITS = 2
MAX_WORD_LENGTH = 40
SAMPLED_DOCUMENTS = 10  # read to find how a stem is usually written


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


def suggest(searcher: Searcher, text: str, language: str) -> str | None:
    """The query with unknown words replaced by their best known spelling, or None."""
    analyzer = news_analyzer(language)
    changed, pieces, last = False, [], 0
    for match in _TOKEN.finditer(text):
        word = match.group()
        pieces.append(text[last:match.start()])
        last = match.end()
        better = None if word in _OPERATOR_WORDS else _better_spelling(searcher, analyzer, word)
        pieces.append(better or word)
        changed = changed or better is not None
    pieces.append(text[last:])
    return "".join(pieces) if changed else None


def _better_spelling(searcher: Searcher, analyzer, word: str) -> str | None:  # type: ignore[no-untyped-def]
    if len(word) > MAX_WORD_LENGTH:  # no real word; and edit distances grow with length
        return None
    stems = [token.text for token in analyzer(word, mode="query")]
    if len(stems) != 1 or len(stems[0]) < 3:
        return None
    stem, reader = stems[0], searcher.reader()
    if any(reader.doc_frequency(field, stem) for field in SPELLING_FIELDS):
        return None
    candidates = {(field, term) for field in SPELLING_FIELDS
                  for term in reader.terms_within(field, stem, MAX_EDITS, prefix=1)}
    ranked = []
    for field, term in candidates:
        surface = _surface_form(searcher, analyzer, field, term)
        if surface:
            ranked.append((edit_distance(word.lower(), surface), -reader.doc_frequency(field, term),
                           surface))
    return min(ranked)[2] if ranked else None


def _surface_form(searcher: Searcher, analyzer, field: str, term: str,  # type: ignore[no-untyped-def]
                  wanted: str = "") -> str | None:
    """How `term` (a stem) is most often written, among the first documents holding it,
    in a form starting with `wanted`."""
    forms = Counter(form for form in _written_forms(searcher, analyzer, field, term)
                    if form.startswith(wanted))
    return forms.most_common(1)[0][0] if forms else None


def _written_forms(searcher: Searcher, analyzer, field: str, term: str,  # type: ignore[no-untyped-def]
                   documents: int = SAMPLED_DOCUMENTS) -> Iterator[str]:
    postings = searcher.reader().postings(field, term)
    for _ in range(documents):
        if not postings.is_active():
            return
        text = searcher.stored_fields(postings.id()).get(field) or ""
        for token in analyzer(text, chars=True, mode="query"):
            if token.text == term:
                yield text[token.startchar:token.endchar].lower()
        postings.next()


def completions(searcher: Searcher, text: str, language: str, limit: int = 5) -> list[str]:
    """Words of the index that complete the last word typed, most frequent first,
    in the readers' word form (search-as-you-type)."""
    words = [match.group() for match in _TOKEN.finditer(text)]
    if not words or text[-1:].isspace() or len(words[-1]) < 2:
        return []
    analyzer, reader = news_analyzer(language), searcher.reader()
    last = words[-1].lower()
    stems = [token.text for token in analyzer(last, mode="query")]
    prefix = stems[0][:len(last) - 1] if stems else last
    terms = (term.decode("utf-8") if isinstance(term, bytes) else term
             for term in reader.expand_prefix("title", prefix))
    candidates = sorted(((reader.doc_frequency("title", term), term) for term in terms),
                        reverse=True)
    found: list[str] = []
    for _, term in candidates[:limit * 4]:
        surface = _surface_form(searcher, analyzer, "title", term, wanted=last)
        if surface and surface not in found:
            found.append(surface)
        if len(found) == limit:
            break
    head = text[:len(text) - len(words[-1])]
    return [head + word for word in found]
