"""Checks on what the user typed, made before any engine reads it.

Every search ends in bounded time because the text is cut first (to so many
characters, then so many words). A query that cannot be taken as written runs
as plain words with a notice, never an error: the problems found here (an
unclosed quote or parenthesis, an operator or a field name with nothing after
it) are said in the same words whatever engine parses the query. Wildcards
and fuzzy matching are not offered, and a notice says they were left out.
"""

from __future__ import annotations

import re

from .articles import clean_text

MAX_QUERY_LENGTH = 1000  # characters searched; the rest is left out, with a notice
MAX_QUERY_WORDS = 64  # likewise for words (a long paste is not a query)
OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
UNSUPPORTED_NOTICE = ("Wildcards (*) and fuzzy matching (~) are not supported: "
                      "the words were searched without them.")
_UNSUPPORTED = re.compile(r"[*~]")
_QUOTED = re.compile(r'"([^"]*)"')
_HYPHENS = re.compile(r"[\-‐]")


def bounded(text: str) -> tuple[str, str | None]:
    """The query cut to what is searched (so every search ends in bounded time),
    and a notice saying what was left out."""
    text = clean_text(text)
    if len(text) > MAX_QUERY_LENGTH:
        text = text[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] if " " in text[:MAX_QUERY_LENGTH] \
            else text[:MAX_QUERY_LENGTH]
        return _bounded_words(text, f"Only the first {MAX_QUERY_LENGTH:,} characters "
                                    "were searched.")
    return _bounded_words(text, None)


def _bounded_words(text: str, notice: str | None) -> tuple[str, str | None]:
    words = text.split()
    if len(words) <= MAX_QUERY_WORDS:
        return text, notice
    cut = f"Only the first {MAX_QUERY_WORDS} words were searched."
    return " ".join(words[:MAX_QUERY_WORDS]), cut


def unsupported(text: str) -> str | None:
    """The notice for wildcards or fuzzy marks in `text`, which are searched without them."""
    return UNSUPPORTED_NOTICE if _UNSUPPORTED.search(text) else None


def joined(*notices: str | None) -> str | None:
    """One notice of all those given (None: nothing to say)."""
    return " ".join(notice for notice in notices if notice) or None


def syntax_problem(text: str) -> str | None:
    """Why `text` cannot be taken as written, checked before an engine guesses."""
    if text.count('"') % 2:
        return "a quote is not closed"
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return "a closing parenthesis has no opening one"
    if depth:
        return "a parenthesis is not closed"
    if re.search(r"(^|\s)(AND|OR|NOT|ANDNOT|ANDMAYBE)\s*$", text) or \
            re.match(r"^\s*(AND|OR|ANDNOT|ANDMAYBE)(\s|$)", text):
        return "an operator is missing a word"
    if re.search(r"\b\w+:(\s|$)", text):
        return "a field name is not followed by a value"
    return None


def quoted_pieces(text: str) -> list[str]:
    """`text` split at its pairs of quotes: the pieces at odd positions were quoted.
    A quote left without a pair stays, as text, in the piece after the last pair."""
    return _QUOTED.split(text)


def apart_at_hyphens(text: str) -> str:
    """A hyphenated word as its words: outside quotes "three-dimensional" must not
    demand the phrase (docs/ranking.md, experiment 3)."""
    return _HYPHENS.sub(" ", text)


def without_words(text: str, unwanted: frozenset[str]) -> str:
    """`text` without the words (compared lowercased) of `unwanted`."""
    return " ".join(word for word in text.split() if word.lower() not in unwanted)
