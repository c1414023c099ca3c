"""The words of a typed query that a spelling suggestion may change.

A suggestion keeps the query's syntax exactly as typed and changes only
misspelt words, so the query is read here piece by piece: the operator words
(AND, OR, NOT, ANDNOT, ANDMAYBE), field names (`title:`), ranges
(`date:[2013 to 2014]`), numbers and the values of filters (`date:`,
`source:`, `year:`...) are never words to correct. A word after `title:` or
inside `title:"..."` or `title:(...)` is looked up in that field only.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from indexer.query_text import OPERATOR_WORDS

from ..codec.analysis import _TOKEN

DEFAULT_FIELDS = ("title", "body")  # where a word typed without a field is looked up
# Fields (and their aliases) whose words may be corrected, and where they are looked up.
FIELDS_BY_NAME: dict[str, tuple[str, ...]] = {
    "title": ("title",), "headline": ("title",), "body": ("body",), "text": ("body",),
    "standfirst": ("standfirst",), "section": ("section",),
}
# Names that are fields too (filters, dates): their values are left as typed.
OTHER_FIELD_NAMES = frozenset({"date", "published", "year", "month", "source", "id", "url",
                               "path"})
_PIECE = re.compile(r'(?P<field>\w+):(?=\S)|"(?P<phrase>[^"]*)"?|\[[^\]]*\]?|(?P<open>\()'
                    r"|(?P<close>\))|(?P<space>\s+)")


@dataclass(frozen=True)
class QueryWord:
    """One word of the query: where it is in the text, and the fields it is looked
    up in (empty: leave it as typed)."""

    start: int
    end: int
    text: str
    fields: tuple[str, ...]


def query_words(text: str, field_names: Collection[str] = ()) -> Iterator[QueryWord]:
    """Every word of `text` that may be corrected, in order. `field_names`: the
    schema's fields (a name neither known here nor there is a plain word, as
    Whoosh reads it)."""
    known = set(FIELDS_BY_NAME) | OTHER_FIELD_NAMES | set(field_names)
    scopes: list[tuple[str, ...]] = [DEFAULT_FIELDS]
    pending: tuple[str, ...] | None = None
    index = 0
    while index < len(text):
        piece = _PIECE.match(text, index)
        if piece and piece.group("field") and piece.group("field") not in known:
            piece = None  # not a field: Whoosh reads "name:" as a word
        word = None if piece else _TOKEN.match(text, index)
        fields = scopes[-1] if pending is None else pending
        if piece is None and word is None:
            index += 1
            continue
        if word is not None:
            if word.group() not in OPERATOR_WORDS and word.lastgroup != "number":
                yield QueryWord(word.start(), word.end(), word.group(), fields)
            index, pending = word.end(), None
            continue
        assert piece is not None
        if piece.group("field"):
            pending = FIELDS_BY_NAME.get(piece.group("field"), ())
            index = piece.end()
            continue
        if piece.group("phrase") is not None:
            yield from _phrase_words(text, piece.start("phrase"), piece.end("phrase"), fields)
        elif piece.group("open"):
            scopes.append(fields)
        elif piece.group("close") and len(scopes) > 1:
            scopes.pop()
        index, pending = piece.end(), None


def _phrase_words(text: str, start: int, end: int, fields: tuple[str, ...]
                  ) -> Iterator[QueryWord]:
    for word in _TOKEN.finditer(text, start, end):
        if word.lastgroup != "number":
            yield QueryWord(word.start(), word.end(), word.group(), fields)


def in_typed_case(typed: str, word: str) -> str:
    """`word` (lower case) written as `typed` was: capitalised, or all capitals."""
    if len(typed) > 1 and typed.isupper():
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
