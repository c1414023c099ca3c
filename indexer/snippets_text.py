"""Where a passage of stored text may begin and end: paragraphs, sentences, words.

Wire copy is hard-wrapped (Reuters breaks its lines at about 60 characters),
so a line break is not where a thought ends: within a paragraph a single
line break reads as a space. A paragraph ends at a blank line, or where the
next line is indented (Reuters starts its paragraphs so) or is a bullet.

A passage is chosen in the stored text's own coordinates, so the character
offsets the index keeps for each word stay right; the text is only joined
into one line when the chosen passage is rendered (`one_line`). Passages
are whole sentences where they fit, else cut between words, and `Passage`
says on which side a sentence was cut (where the reader is shown "…").

Work is bounded: at most SNIPPET_WINDOW_CHARS characters around the matched
words are looked at, however long the paragraph or the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SNIPPET_CHARS = 240  # the passage's length, at most (unless the matched words need more)
# Characters of a field looked at to cut one passage: the matched words' span
# (at most SNIPPET_CHARS, the fragmenter's maxchars) and SNIPPET_CHARS on
# either side, for the paragraph and sentence bounds nearest to them.
SNIPPET_WINDOW_CHARS = 3 * SNIPPET_CHARS
# A passage ends at a sentence's end when that keeps at least this share of
# the room it may fill; else it runs on to a word boundary, cut ("…").
SENTENCE_FILL = 0.5

_PARAGRAPH_BREAK = re.compile(r"\n(?:[ \t]*\n|[ \t]+(?=\S)|(?=• ))\s*")
# The end of a sentence: . ! or ?, closing quotes or brackets, then space and
# a capital, a digit or an opening quote (checked in `_sentence_breaks`).
_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’»)\]]*(\s+)(?=[\"'“‘«(\[]*[^\W_])")
_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"\s*\Z")
# Words a full stop follows without ending a sentence ("Mr. Smith").
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "sen",
                            "rep", "gov", "lt", "col", "capt", "mt", "no", "vs", "etc"})


@dataclass(frozen=True)
class Passage:
    """Character offsets [start, end) in the stored text, and whether a sentence
    was cut at either side (the reader is then shown "…" there)."""

    start: int
    end: int
    cut_start: bool
    cut_end: bool


def one_line(text: str) -> str:
    """Line breaks, indentation and runs of spaces read as one space."""
    return _SPACES.sub(" ", text)


def paragraph_breaks(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """(start, end) of each paragraph break in [lo, hi): the paragraph before ends
    at start, the next begins at end."""
    return [(brk.start(), brk.end()) for brk in _PARAGRAPH_BREAK.finditer(text, lo, hi)]


def passage_around(text: str, first: int, last: int, budget: int = SNIPPET_CHARS) -> Passage:
    """The passage of `text` holding [first, last) (the matched words), within their
    paragraph: from the start of the first word's sentence and on to a sentence's
    end where they fit in `budget` characters, else from and to word boundaries."""
    room = max(0, budget - (last - first))
    lo = max(0, first - room)
    p0, p0_real = _paragraph_start(text, lo, first)
    p1, p1_real = _paragraph_end(text, last, min(len(text), last + room))
    breaks = _sentence_breaks(text, p0, p1)
    starts = ([p0] if p0_real else []) + [begin for _, begin in breaks]
    ends = [end for end, _ in breaks] + ([p1] if p1_real else [])
    start, cut_start = _start(text, first, first - room // 2, p0, starts)
    end, cut_end = _end(text, start, last, min(p1, start + max(budget, last - start)), p1,
                        ends, budget)
    if end - start < budget and start > p0:  # room left: fill it before
        earlier = [begin for begin in starts if end - budget <= begin <= start]
        if earlier:
            start, cut_start = min(earlier), False
        elif cut_start:
            start, cut_start = _start(text, first, max(p0, end - budget), p0, [])
    return Passage(start, end, cut_start, cut_end)


def lead_passage(text: str, budget: int = SNIPPET_CHARS) -> Passage:
    """The opening of `text`: up to a sentence's end (across paragraphs) when one
    comes late enough, else to a word boundary."""
    start = len(text) - len(text.lstrip())  # after the leading spaces
    hi = min(len(text), start + budget)
    real_end = hi == len(text)
    ends = [end for end, _ in _sentence_breaks(text, start, hi)]
    ends += [brk.start() for brk in _PARAGRAPH_BREAK.finditer(text, start, hi)]
    end, cut_end = _end(text, start, start, hi, hi if real_end else -1,
                        sorted(ends) + ([hi] if real_end else []), budget)
    return Passage(start, end, False, cut_end)


def _paragraph_start(text: str, lo: int, first: int) -> tuple[int, bool]:
    """Where the paragraph holding `first` starts, looking back to `lo` only; and
    whether that is its real start (rather than just where looking stopped)."""
    found = None
    for brk in _PARAGRAPH_BREAK.finditer(text, lo, first):
        found = brk
    if found is not None:
        return min(found.end(), first), True
    real = lo == 0
    while lo < first and text[lo].isspace():
        lo += 1
    return lo, real


def _paragraph_end(text: str, last: int, hi: int) -> tuple[int, bool]:
    """Where the paragraph holding `last` ends, looking on to `hi` only; and
    whether that is its real end."""
    found = _PARAGRAPH_BREAK.search(text, last, hi)
    if found is not None:
        return found.start(), True
    real = _TRAILING.match(text, hi) is not None  # nothing but spaces after it
    return _before_spaces(text, last, hi), real


def _sentence_breaks(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """(end of one sentence, start of the next) for each sentence break in [lo, hi)."""
    found = []
    for match in _SENTENCE_BREAK.finditer(text, lo, hi):
        begin = match.end()
        if begin < hi and _starts_sentence(text[begin:begin + 8]) and not _abbreviation(text, lo,
                                                                                 match.start()):
            found.append((match.start(1), begin))
    return found


def _starts_sentence(rest: str) -> bool:
    letter = rest.lstrip("\"'“‘«([")[:1]
    return letter.isupper() or letter.isdigit()


def _abbreviation(text: str, lo: int, stop: int) -> bool:
    """Whether the full stop at `stop` follows an initial ("U.S.", "J. Smith") or a
    title ("Mr."), not a sentence's last word."""
    if text[stop] != ".":
        return False
    word_start = stop
    while word_start > lo and text[word_start - 1].isalpha():
        word_start -= 1
    word = text[word_start:stop]
    return len(word) == 1 or word.lower() in _ABBREVIATIONS


def _start(text: str, first: int, target: int, p0: int, starts: list[int]) -> tuple[int, bool]:
    """The start of the first matched word's sentence, when one of `starts`, else
    the first word boundary from `target` on (cut)."""
    before = [start for start in starts if start <= first]
    if before:
        return max(before), False
    space = _SPACES.search(text, max(p0, target), first)
    return (space.end() if space else first), True


def _end(text: str, start: int, last: int, hi: int, p1: int, ends: list[int],
         budget: int) -> tuple[int, bool]:
    """The last sentence end in [last, hi] when it keeps SENTENCE_FILL of the room
    (or ends the paragraph), else the last word boundary before `hi` (cut)."""
    fits = [end for end in ends if last <= end <= hi]
    if fits and (max(fits) == p1 or max(fits) - start >= SENTENCE_FILL * budget):
        return max(fits), False
    if hi >= len(text):
        return _before_spaces(text, last, len(text)), False
    space = text.rfind(" ", last, hi + 1), text.rfind("\n", last, hi + 1)
    return _before_spaces(text, last, max(space) if max(space) > last else hi), True


def _before_spaces(text: str, lo: int, end: int) -> int:
    """`end` moved back over the spaces before it (not past `lo`)."""
    while end > lo and text[end - 1].isspace():
        end -= 1
    return end
