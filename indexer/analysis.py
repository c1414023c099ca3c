"""Text analysis: one analyzer for indexing and for queries.

The analyzer is pickled into the index with the schema, so every piece of it
must be importable by name: the stem function and the filters live at module
level and carry only plain settings (the language), never a stemmer object.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

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


def _pieces(match: re.Match[str], mode: str) -> Iterator[tuple[str, int, int, int]]:
    """(text, start, end, position advance) for each token of one regex match."""
    text, start, end = match.group(), match.start(), match.end()
    kind = match.lastgroup
    if kind == "acronym":
        yield text.rstrip("."), start, end - 1, 1
    elif kind == "number":
        yield text.replace(",", ""), start, end, 1
    elif _HYPHENS.search(text):
        yield from _hyphenated(text, start, mode)
    else:
        yield _POSSESSIVE.sub("", text), start, end, 1


def _hyphenated(text: str, start: int, mode: str) -> Iterator[tuple[str, int, int, int]]:
    parts = [(m.group(), start + m.start(), start + m.end())
             for m in re.finditer(r"[^\-‐]+", text)]
    if mode != "query":
        joined = _POSSESSIVE.sub("", "".join(part for part, _, _ in parts))
        yield joined, parts[0][1], parts[-1][2], 0
    for part, part_start, part_end in parts:
        yield _POSSESSIVE.sub("", part), part_start, part_end, 1


@lru_cache(maxsize=None)
def _stemmer(language: str) -> "snowballstemmer.stemmer":
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=500_000)
def stem(word: str, language: str = "english") -> str:
    """Snowball stem of one lowercase word, cached: news vocabularies repeat a lot."""
    return _stemmer(language).stemWord(word)


@lru_cache(maxsize=None)
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
        pieces = _all_pieces(value, mode) if tokenize else [(value, 0, len(value), 1, False)]
        position, removed, last_removed = start_pos, 0, None
        for text, start, end, advance, literal in pieces:
            term, stopped = normal_form(text, self.language, literal)
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


def _all_pieces(value: str, mode: str) -> Iterator[tuple[str, int, int, int, bool]]:
    for match in _TOKEN.finditer(value):
        literal = match.lastgroup != "word"
        for text, start, end, advance in _pieces(match, mode):
            yield text, start, end, advance, literal


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
