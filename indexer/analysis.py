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
from whoosh.analysis import (Analyzer, CharsetFilter, Filter, LowercaseFilter, StopFilter, Token,
                             Tokenizer)
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


class NewsTokenizer(Tokenizer):
    """Splits news text into words, numbers and acronyms.

    Hyphenated words yield their parts, and at index time also the joined form
    at the first part's position, so `cooperation` finds `co-operation` while a
    phrase of the parts still matches.
    """

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True,
                 start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: object) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            yield from _whole_value(token, value, start_pos, start_char)
            return
        pos = start_pos
        for match in _TOKEN.finditer(value):
            for text, start, end, advance in _pieces(match, mode):
                token.text = text
                token.boost = 1.0
                token.stopped = False
                token.literal = match.lastgroup != "word"
                if keeporiginal:
                    token.original = text
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + start
                    token.endchar = start_char + end
                yield token
                pos += advance


def _whole_value(token: Token, value: str, start_pos: int, start_char: int) -> Iterator[Token]:
    token.original = token.text = value
    token.boost = 1.0
    if token.positions:
        token.pos = start_pos
    if token.chars:
        token.startchar, token.endchar = start_char, start_char + len(value)
    yield token


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


class SnowballStemFilter(Filter):
    """Stems with `snowballstemmer` (PyStemmer's C code when installed)."""

    is_morph = True

    def __init__(self, language: str = "english") -> None:
        self.language = language

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnowballStemFilter) and other.language == self.language

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        language = self.language
        for token in tokens:
            if not (token.stopped or getattr(token, "literal", False)):
                token.text = stem(token.text, language)
            yield token


class NewsStopFilter(StopFilter):
    """Whoosh's StopFilter, renumbering positions without losing shared ones.

    Whoosh renumbers by counting tokens, which would push the parts of a
    hyphenated word one position away from their joined form.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stoplist, minsize, maxsize = self.stops, self.min, self.max
        removed = 0
        last_removed_pos = None
        for token in tokens:
            text = token.text
            if len(text) >= minsize and (maxsize is None or len(text) <= maxsize) \
                    and text not in stoplist:
                if token.positions:
                    token.pos -= removed
                yield token
            elif not token.removestops:
                token.stopped = True
                yield token
            elif token.positions and token.pos != last_removed_pos:
                removed += 1
                last_removed_pos = token.pos


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


def news_analyzer(language: str = "english") -> Analyzer:
    """Tokenize, lowercase, fold accents, drop stop words, stem.

    Folding comes before stemming so that `résumé` and `resume`, `Peña` and
    `Pena`, reach the stemmer as the same word and always give the same term.
    """
    return (NewsTokenizer()
            | LowercaseFilter()
            | CharsetFilter(accent_map)
            | NewsStopFilter(stoplist=stop_words(language), minsize=1)
            | SnowballStemFilter(language))


def terms(text: str, language: str = "english", mode: str = "index") -> list[str]:
    """The index terms of `text`, in order (for tests, suggestions and debugging)."""
    return [token.text for token in news_analyzer(language)(text, mode=mode)]
