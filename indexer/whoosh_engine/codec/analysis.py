"""Text analysis: one analyzer for indexing and for queries.

The analyzer is pickled into the index with the schema, so every piece of it
must be importable by name: the stem function and the filters live at module
level and carry only plain settings (the language), never a stemmer object.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any, cast

import snowballstemmer
from whoosh.analysis import Analyzer, Token
from whoosh.lang import NoStopWords, stopwords_for_language, two_letter_code
from whoosh.support.charset import accent_map

# One token: an acronym with dots (U.S.), a number with optional decimals and
# unit suffix ($9.2bn -> 9.2bn, 60,000), or a word whose parts may be joined by
# hyphens or apostrophes (co-operation, Mexico's).
_TOKEN = re.compile(
    r"(?P<acronym>(?:[^\W\d_]\.){2,})"
    r"|(?P<number>\d+(?:[.,]\d+)*[^\W_]*)"
    r"|(?P<word>[^\W_]+(?:['’\-‐][^\W_]+)*)"
)
_HYPHENS = re.compile(r"[\-‐]")
_POSSESSIVE = re.compile(r"['’]s$")


def _pieces(text: str, kind: str | None, mode: str) -> Iterator[tuple[str, int, int, int]]:
    """(text, start, end, position advance) of each token of one regex match,
    offsets relative to the match."""
    if kind == "acronym":
        yield text.rstrip("."), 0, len(text) - 1, 1
    elif kind == "number":
        yield text.replace(",", ""), 0, len(text), 1
    elif _HYPHENS.search(text):
        yield from _hyphenated(text, mode)
    else:
        yield _POSSESSIVE.sub("", text), 0, len(text), 1


def _hyphenated(text: str, mode: str) -> Iterator[tuple[str, int, int, int]]:
    parts = [(m.group(), m.start(), m.end()) for m in re.finditer(r"[^\-‐]+", text)]
    if mode != "query":
        joined = _POSSESSIVE.sub("", "".join(part for part, _, _ in parts))
        yield joined, parts[0][1], parts[-1][2], 0
    for part, part_start, part_end in parts:
        yield _POSSESSIVE.sub("", part), part_start, part_end, 1


# (term, is a stop word, start, end, position advance, text as written) of each
# token of a match
Piece = tuple[str, bool, int, int, int, str]


@lru_cache(maxsize=500_000)
def _match_pieces(text: str, kind: str | None, mode: str, language: str) -> tuple[Piece, ...]:
    """The tokens of one regex match, normalized; cached per written form, as a
    news vocabulary repeats a lot and most of analysis is this step."""
    return tuple((*normal_form(piece, language, kind != "word"), start, end, advance, piece)
                 for piece, start, end, advance in _pieces(text, kind, mode))


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=500_000)
def stem(word: str, language: str = "english") -> str:
    """Snowball stem of one lowercase word, cached: news vocabularies repeat a lot."""
    return _stemmer(language).stemWord(word)


@cache
def stop_words(language: str) -> frozenset[str]:
    """The language's stop list from Whoosh (accents folded too), or none when it has none."""
    code = two_letter_code(language)
    if code is None:
        return frozenset()
    try:
        words = stopwords_for_language(code)
    except NoStopWords:
        return frozenset()
    return frozenset(words) | {word.translate(accent_map) for word in words}


class NewsAnalyzer(Analyzer):
    """Tokenize, lowercase, fold accents, drop stop words, stem: in one pass.

    Tokens are words, numbers with decimals and unit suffixes ($9.2bn ->
    9.2bn, 60,000 -> 60000) and acronyms (U.S. -> u.s). Hyphenated words
    yield their parts and, at index time, also the joined form at the first
    part's position, so `cooperation` finds `co-operation` while a phrase of
    the parts still matches. Folding comes before stemming so that `résumé`
    and `resume`, `Peña` and `Pena`, reach the stemmer as the same word.
    Positions close up over removed stop words (phrases ignore them) without
    separating a joined form from its parts. One pass instead of a chain of
    Whoosh filters: analysis is most of the time spent indexing.
    """

    def __init__(self, language: str = "english") -> None:
        self.language = language

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NewsAnalyzer) and other.language == self.language

    def __hash__(self) -> int:
        return hash(self.language)

    def has_morph(self) -> bool:
        return True

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True,
                 start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: object) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if tokenize:
            tokens = _analysed(value, mode, self.language)
        else:
            term, stopped = normal_form(value, self.language)
            tokens = iter([(term, stopped, 0, len(value), 1, value)])
        position, removed, last_removed = start_pos, 0, None
        for term, stopped, start, end, advance, text in tokens:
            here, position = position, position + advance
            if stopped and removestops:
                if here != last_removed:
                    removed, last_removed = removed + 1, here
                continue
            token.text, token.stopped, token.boost = term, stopped, 1.0
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = here - removed
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token

    def postings(self, value: str) -> dict[str, list[int]]:
        """term -> [position, startchar, endchar, position, ...] of `value`
        analysed for indexing, the triples flattened.

        The same tokens as `self(value, positions=True, chars=True, mode="index")`
        gives, without making a Token per word: what building an index needs.
        """
        found: dict[str, list[int]] = {}
        position = 0  # with stop words closed up
        known = _INDEX_FORMS.setdefault(self.language, {})
        known_form, found_postings = known.get, found.get
        for match in _TOKEN.finditer(value):
            form = known_form(match[0])
            if form is None:
                form = _index_form(match, self.language, known)
            if form.__class__ is str:  # most words: one term spanning the match
                postings = found_postings(form)
                if postings is None:
                    found[form] = [position, *match.span()]
                else:
                    postings += (position, *match.span())
                position += 1
            elif form is not _STOP_WORD:  # not a str (the test above is quicker than isinstance)
                pieces = cast("tuple[Piece, ...]", form)
                position = _add_pieces(found, pieces, match.start(), position)
        return found


def _add_pieces(found: dict[str, list[int]], pieces: tuple[Piece, ...], offset: int,
                position: int) -> int:
    """Adds the tokens of a match that is not one plain word (a hyphenated
    word, an acronym); returns the position after it.

    A stop word among the pieces closes up once per position: a joined form
    and its first part share one."""
    removed, last_removed = 0, -1
    for term, stopped, start, end, advance, _ in pieces:
        here = position
        position += advance
        if stopped:
            if here != last_removed:
                removed += 1
                last_removed = here
            continue
        postings = found.get(term)
        if postings is None:
            found[term] = [here - removed, offset + start, offset + end]
        else:
            postings += (here - removed, offset + start, offset + end)
    return position - removed


# language -> written form -> its index term when it is one term spanning the
# whole match, else its pieces; bounded by INDEX_FORMS entries per language.
_INDEX_FORMS: dict[str, dict[str, str | tuple[Piece, ...]]] = {}
INDEX_FORMS = 500_000
_STOP_WORD: Any = object()  # the form of a match that is one stop word


def _index_form(match: re.Match[str], language: str,
                known: dict[str, str | tuple[Piece, ...]]) -> str | tuple[Piece, ...]:
    text = match.group()
    pieces = _match_pieces(text, match.lastgroup, "index", language)
    form: str | tuple[Piece, ...] = pieces
    if len(pieces) == 1:
        term, stopped, start, end, advance, _ = pieces[0]
        if advance == 1 and stopped:
            form = _STOP_WORD
        elif (start, end, advance) == (0, len(text), 1):
            form = term
    if len(known) >= INDEX_FORMS:
        known.clear()
    known[text] = form
    return form


def _analysed(value: str, mode: str,
              language: str) -> Iterator[tuple[str, bool, int, int, int, str]]:
    """(term, stopped, start, end, advance, text as written) of each token of `value`."""
    for match in _TOKEN.finditer(value):
        offset = match.start()
        for term, stopped, start, end, advance, text in _match_pieces(
                match.group(), match.lastgroup, mode, language):
            yield term, stopped, offset + start, offset + end, advance, text


@lru_cache(maxsize=500_000)
def normal_form(word: str, language: str, literal: bool = False) -> tuple[str, bool]:
    """(index term, is a stop word) of one token as written; numbers and acronyms
    are not stemmed. Cached: news vocabularies repeat a lot."""
    folded = word.lower().translate(accent_map)
    if folded in stop_words(language):
        return folded, True
    return (folded if literal else stem(folded, language)), False


def news_analyzer(language: str = "english") -> Analyzer:
    return NewsAnalyzer(language)


def terms(text: str, language: str = "english", mode: str = "index") -> list[str]:
    """The index terms of `text`, in order (for tests, suggestions and debugging)."""
    return [token.text for token in news_analyzer(language)(text, mode=mode)]
