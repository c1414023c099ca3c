"""How likely a known word is to be what the reader meant by what they typed.

A noisy-channel ranking: a candidate's score is the log of how many
documents hold it (how likely a reader is to look for it) minus
EDIT_PENALTY for each unit of typing error between the candidate and what was
typed (how likely that slip is). One unit of error is worth EDIT_PENALTY's
factor of documents: a word twenty times as common one edit further away
ties. So "Blare" becomes "Blair" (180 BBC articles) rather than "Blake" (10),
while a rare word one slip away still beats a common one three slips away.

Typing errors are weighted as typists make them (`typo_cost`): a vowel for
another vowel, a letter for one that sounds alike (c/k, c/s, s/z, k/q, g/j),
a vowel dropped or added, or a letter doubled or undoubled costs half an
edit ("Blare" is one unit from "Blair", as far as from "blame"); any other
substitution, insertion, deletion or swap of neighbours costs one.

A stem's documents are shared among its written forms in the proportion the
forms have in the documents read (so "oper", a table heading, does not borrow
the documents of "operations").
"""

from __future__ import annotations

import math

EDIT_PENALTY = math.log(20)  # one unit of typing error, in log documents
MAX_TYPO_COST = 2.0  # a written form further than this from what was typed is never offered
SLIGHT = 0.5  # the cost of the slips typists make most (see the module docstring)
_VOWELS = frozenset("aeiouy")
_SOUND_ALIKE = frozenset(frozenset(pair) for pair in ("ck", "cs", "sz", "kq", "gj"))


def score(documents: float, cost: float) -> float:
    """The candidate's log-odds, up to a constant shared by every candidate."""
    return math.log(max(documents, 1.0)) - EDIT_PENALTY * cost


def typo_cost(typed: str, word: str) -> float:
    """The weighted edit distance (optimal string alignment) between `typed` and `word`."""
    rows = len(typed) + 1
    cols = len(word) + 1
    table = [[0.0] * cols for _ in range(rows)]
    for i in range(1, rows):
        table[i][0] = table[i - 1][0] + _indel(typed, i - 1)
    for j in range(1, cols):
        table[0][j] = table[0][j - 1] + _indel(word, j - 1)
    for i in range(1, rows):
        a = typed[i - 1]
        for j in range(1, cols):
            b = word[j - 1]
            best = min(table[i - 1][j] + _indel(typed, i - 1),
                       table[i][j - 1] + _indel(word, j - 1),
                       table[i - 1][j - 1] + _substitution(a, b))
            if i > 1 and j > 1 and a == word[j - 2] and typed[i - 2] == b and a != b:
                best = min(best, table[i - 2][j - 2] + 1.0)
            table[i][j] = best
    return table[-1][-1]


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    alike = (a in _VOWELS and b in _VOWELS) or frozenset((a, b)) in _SOUND_ALIKE
    return SLIGHT if alike else 1.0


def _indel(text: str, index: int) -> float:
    """The cost of typing, or leaving out, `text[index]`: slight for a vowel or a
    doubled letter."""
    char = text[index]
    doubled = (index > 0 and text[index - 1] == char) or \
        (index + 1 < len(text) and text[index + 1] == char)
    return SLIGHT if char in _VOWELS or doubled else 1.0
