"""How a text field's postings hold word positions and character offsets.

Whoosh's `Characters` format pickles a list of delta tuples for every posting
of every word: 20 bytes for a word found once, and making those pickles was a
fifth of a build's time. Here a posting's value is one type byte followed by
the flat (position, start, end) triples as little-endian unsigned shorts, or
unsigned ints once a number passes 65,535: 7 bytes for a word found once,
packed by a single `struct` call. Phrases, proximity and snippets read it
through the `decode_*` methods Whoosh calls, so nothing else changes.

The class is pickled into the index with the schema: it must stay importable
here under this name.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

from whoosh.formats import Characters

from .analysis import NewsAnalyzer

_SHORT, _INT = b"H", b"I"
_SHORT_LIMIT = 1 << 16
_ITEM_SIZE = {_SHORT[0]: 2, _INT[0]: 4}
_SWAP = sys.byteorder == "big"  # values are little-endian on disk


@lru_cache(maxsize=4096)
def _packer(kind: bytes, count: int) -> Callable[..., bytes]:
    return struct.Struct(f"<c{count}{kind.decode()}").pack


_PACK_ONE_SHORT = struct.Struct("<c3H").pack


def pack(flat: Sequence[int]) -> bytes:
    """The stored value of [position, start, end, position, start, end, ...]."""
    if len(flat) == 3 and flat[0] < _SHORT_LIMIT and flat[2] < _SHORT_LIMIT:  # found once
        return _PACK_ONE_SHORT(_SHORT, *flat)
    kind = _SHORT if max(flat) < _SHORT_LIMIT else _INT
    return _packer(kind, len(flat))(kind, *flat)


def unpack(value: bytes) -> array[int]:
    """The flat triples of a stored value."""
    codes = array(chr(value[0]))
    codes.frombytes(value[1:])
    if _SWAP:
        codes.byteswap()
    return codes


class PackedCharacters(Characters):
    """Whoosh's `Characters` (positions and character offsets per posting),
    stored as packed numbers instead of pickles."""

    def word_values(self, value: Any, analyzer: Any,
                    **kwargs: Any) -> Iterator[tuple[str, int, float, bytes]]:
        if type(analyzer) is NewsAnalyzer and kwargs.get("mode") == "index":
            boost = self.field_boost
            for term, flat in analyzer.postings(value).items():
                freq = len(flat) // 3
                yield term, freq, freq * boost, pack(flat)
        else:
            yield from super().word_values(value, analyzer, **kwargs)

    def encode(self, poslist: Iterable[tuple[int, int, int]]) -> bytes:
        return pack(list(chain.from_iterable(poslist)))

    def decode_characters(self, value: bytes) -> list[tuple[int, int, int]]:
        codes = unpack(value)
        return list(zip(codes[0::3], codes[1::3], codes[2::3], strict=True))

    def decode_positions(self, value: bytes) -> list[int]:
        return unpack(value)[0::3].tolist()

    def decode_frequency(self, value: bytes) -> int:
        return (len(value) - 1) // (3 * _ITEM_SIZE[value[0]])

    def decode_weight(self, value: bytes) -> float:
        return self.decode_frequency(value) * self.field_boost
