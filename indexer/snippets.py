"""Snippets: the best passage of an article, cut from stored character offsets.

Text fields store each term's character range, so Whoosh's pinpoint
highlighter finds passages without analysing the text again, and what is
highlighted is the reader's own word form, never a stem.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any, Collection, Iterator

from whoosh.analysis import Token
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher, Matcher
from whoosh.highlight import Formatter, Fragment, Highlighter, PinpointFragmenter
from whoosh.searching import Hit as WhooshHit

from .results import Snippet

SNIPPET_CHARS = 240
SNIPPET_SCAN_CHARS = 2**15  # where passages are looked for: Whoosh's own default charlimit
_SPACES = re.compile(r"\s+")
# Where a passage may come from, best first: the body, else what matched.
SNIPPET_FIELDS = ("body", "standfirst", "title")


class PartsFormatter(Formatter):
    """Turns Whoosh fragments into a Snippet of (text, matched) parts."""

    def format(self, fragments: list[Fragment], replace: bool = False) -> Snippet:
        parts: list[tuple[str, bool]] = []
        for number, fragment in enumerate(fragments):
            if number:
                parts.append((" … ", False))
            parts.extend(_fragment_parts(fragment))
        return _tidy(parts)


def _fragment_parts(fragment: Fragment) -> list[tuple[str, bool]]:
    text = fragment.text
    start, end = _word_bounds(fragment)
    parts: list[tuple[str, bool]] = [("…", False)] if start > 0 and text[start - 1] != "\n" else []
    index = start
    for token in fragment.matches:
        if token.startchar < index or token.endchar > end:
            continue
        parts.append((text[index:token.startchar], False))
        parts.append((text[token.startchar:token.endchar], True))
        index = token.endchar
    parts.append((text[index:end], False))
    if end < len(text) and text[end] != "\n":
        parts.append(("…", False))
    return parts


def _word_bounds(fragment: Fragment) -> tuple[int, int]:
    """The fragment neither starting nor ending mid-word."""
    text, start, end = fragment.text, fragment.startchar, fragment.endchar
    first = fragment.matches[0].startchar if fragment.matches else end
    last = fragment.matches[-1].endchar if fragment.matches else start
    if start > 0 and not text[start - 1].isspace():
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    if end < len(text) and not text[end].isspace():
        space = text.rfind(" ", last, end)
        end = space if space >= 0 else end
    return start, end


def _tidy(parts: list[tuple[str, bool]]) -> Snippet:
    """One line of text: newlines and runs of spaces become single spaces."""
    tidy = [(_SPACES.sub(" ", text), matched) for text, matched in parts if text]
    return Snippet(tuple(tidy))


class ParagraphFragmenter(PinpointFragmenter):
    """Whoosh's pinpoint fragments, split so that none crosses a line break.

    A passage that runs from a bullet into the next paragraph reads badly; the
    scorer then picks the line with the most matches.
    """

    def fragment_matches(self, text: str, tokens: list[Token]) -> Iterator[Fragment]:
        for fragment in super().fragment_matches(text, tokens):
            yield from _split_by_line(text, fragment)


def _split_by_line(text: str, fragment: Fragment) -> Iterator[Fragment]:
    """Line breaks are looked for inside the fragment only: one outside it changes
    nothing, and searching a long text without breaks from its start for every
    matched word would cost the text's length each time."""
    by_line: dict[int, list[Token]] = {}
    for token in fragment.matches:
        by_line.setdefault(text.rfind("\n", fragment.startchar, token.startchar), []).append(token)
    for line_start, matches in by_line.items():
        line_end = text.find("\n", matches[-1].endchar, fragment.endchar)
        start = max(fragment.startchar, line_start + 1)
        end = line_end if line_end >= 0 else fragment.endchar
        yield Fragment(text, matches, start, end)


class OffsetsHighlighter(Highlighter):
    """Whoosh's pinpoint highlighter, reading character offsets segment by segment.

    Whoosh loads them through the searcher, which sets up a scorer for every
    term of every field (a third of a page's snippet time); offsets need no
    scoring, so each segment's own postings are read directly. Given `docnums`
    (the hits shown), only those are loaded, not every candidate fetched.
    """

    def __init__(self, docnums: Collection[int] | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.docnums = None if docnums is None else frozenset(docnums)

    # Whoosh 2.7.5's highlight_hit calls self._load_chars(results, fieldname,
    # words, to_bytes) once per results and field, then reads
    # results._char_cache[fieldname][docnum] for the hit it highlights.
    def _load_chars(self, results, fieldname, texts, to_bytes):  # type: ignore[no-untyped-def]
        cache = results._char_cache[fieldname] = {}
        docnums = sorted(docnum for _, docnum in results.top_n
                         if self.docnums is None or docnum in self.docnums)
        for docnum in docnums:
            cache[docnum] = {}
        leaves = results.searcher.reader().leaf_readers()
        for text in texts:
            term = to_bytes(text)
            matched = set(results.termdocs.get((fieldname, term), ()))
            wanted = [docnum for docnum in docnums if docnum in matched]
            for reader, offset in leaves:
                local = [d - offset for d in wanted if 0 <= d - offset < reader.doc_count_all()]
                if local:
                    postings = reader.postings(fieldname, term)
                    if isinstance(postings, FilterMatcher):  # deletions: top hits are live
                        postings = postings.child
                    for docnum in local:
                        _move_to(postings, docnum)
                        cache[docnum + offset][text] = postings.value_as("characters")


def _move_to(postings: Matcher, docnum: int) -> None:
    """`postings.skip_to(docnum)`, with a binary search inside the block where
    Whoosh steps one posting at a time."""
    if not isinstance(postings, W3LeafMatcher):
        postings.skip_to(docnum)
        return
    if docnum > postings.block_max_id():
        postings._skip_to_block(lambda: docnum > postings.block_max_id())
    if postings._ids is None:
        postings._read_ids()
    postings._i = bisect_left(postings._ids, docnum, postings._i)


def highlighter(docnums: Collection[int] | None = None) -> Highlighter:
    """The snippet highlighter; `docnums`: the hits it will be asked for (None: any).

    Only matches within the first SNIPPET_SCAN_CHARS characters of a field are
    read (Whoosh's fragmenter `charlimit`), so a 2 MB article costs no more
    than a long one; a hit matching only further on shows its opening instead.
    """
    fragmenter = ParagraphFragmenter(maxchars=SNIPPET_CHARS, surround=80,
                                     charlimit=SNIPPET_SCAN_CHARS)
    return OffsetsHighlighter(docnums, fragmenter=fragmenter, formatter=PartsFormatter())


def snippet_for(hit: WhooshHit, highlight: Highlighter) -> Snippet:
    """The best passage from the first field (body, standfirst, title) the query matched."""
    matched_fields = ({field for field, _ in hit.matched_terms()}
                      if hit.results.has_matched_terms() else set())
    for field in SNIPPET_FIELDS:
        if field in matched_fields and hit.get(field):
            snippet = highlight.highlight_hit(hit, field, top=1, minscore=1)
            if snippet and snippet.parts:
                return snippet
    return lead(hit.get("standfirst") or hit.get("body") or "")


def lead(text: str) -> Snippet:
    """The opening of an article, for hits that matched no text (a date filter, say)."""
    if len(text) <= SNIPPET_CHARS:
        return _tidy([(text, False)])
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return _tidy([(text[:cut if cut > 0 else SNIPPET_CHARS], False), ("…", False)])
