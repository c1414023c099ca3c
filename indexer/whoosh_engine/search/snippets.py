"""Snippets: the best passage of an article, cut from stored character offsets.

Text fields store each term's character range, so Whoosh's pinpoint
highlighter finds passages without analysing the text again, and what is
highlighted is the reader's own word form, never a stem.

A snippet is one line of at most SNIPPET_CHARS characters from one
paragraph: wrapped lines joined, whole sentences where they fit, never a
word cut, and "…" at a side where a sentence was cut (`snippets_text`
chooses the passage in the stored text's own offsets).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterator
from typing import Any

from whoosh.analysis import Token
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.highlight import Formatter, Fragment, Highlighter, PinpointFragmenter
from whoosh.matching import FilterMatcher, Matcher
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Results

from indexer.records import Snippet
from indexer.snippets_text import (  # noqa: F401
    SNIPPET_CHARS,
    SNIPPET_WINDOW_CHARS,
    Passage,
    lead_passage,
    one_line,
    paragraph_breaks,
    passage_around,
)

from ..internals import Offsets, OffsetsLoadingHighlighter, leaf_skip_to

SNIPPET_SCAN_CHARS = 2**15  # where passages are looked for: Whoosh's own default charlimit
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
        return Snippet(tuple(part for part in parts if part[0]))


def _fragment_parts(fragment: Fragment) -> list[tuple[str, bool]]:
    """The fragment's passage (`passage_around` its matched words) in one line, its
    matched words marked, "…" where a sentence was cut."""
    text, matches = fragment.text, fragment.matches
    if not matches:
        return []
    passage = passage_around(text, matches[0].startchar, max(t.endchar for t in matches))
    every = getattr(fragment, "every_match", matches)
    shown = every[bisect_left(every, passage.start, key=_start_of):
                  bisect_left(every, passage.end, key=_start_of)]
    pieces: list[tuple[str, bool]] = []
    index = passage.start
    for token in shown:
        if token.startchar < index or token.endchar > passage.end:
            continue
        pieces += [(text[index:token.startchar], False),
                   (text[token.startchar:token.endchar], True)]
        index = token.endchar
    pieces.append((text[index:passage.end], False))
    return _one_line(pieces, passage)


def _start_of(token: Token) -> int:
    return int(token.startchar)


def _one_line(pieces: list[tuple[str, bool]], passage: Passage) -> list[tuple[str, bool]]:
    """The pieces as one line: no line breaks, runs of spaces or spaces at either end;
    "…" at a side where a sentence was cut."""
    tidy = [(one_line(text), matched) for text, matched in pieces]
    if tidy and not tidy[0][1]:
        tidy[0] = (tidy[0][0].lstrip(), False)
    if tidy and not tidy[-1][1]:
        tidy[-1] = (tidy[-1][0].rstrip(), False)
    parts = [("…", False)] if passage.cut_start else []
    parts += [piece for piece in tidy if piece[0]]
    return parts + ([("…", False)] if passage.cut_end else [])


class ParagraphFragmenter(PinpointFragmenter):
    """Whoosh's pinpoint fragments, split so that none crosses a paragraph break.

    A passage that runs from a bullet into the next paragraph reads badly; the
    scorer then picks the paragraph with the most matches. A single line break
    is not a paragraph break: wire copy is wrapped at about 60 characters
    (see `snippets_text`).
    """

    def fragment_matches(self, text: str, tokens: list[Token]) -> Iterator[Fragment]:
        for fragment in super().fragment_matches(text, tokens):
            yield from _split_by_paragraph(text, fragment, tokens)


class PassageFragment(Fragment):
    """A fragment that also knows every matched word of its text (`every_match`,
    in order), so the passage cut around it marks those its neighbours hold."""

    def __init__(self, text: str, matches: list[Token], startchar: int, endchar: int,
                 every_match: list[Token]) -> None:
        super().__init__(text, matches, startchar, endchar)
        self.every_match = every_match


def _split_by_paragraph(text: str, fragment: Fragment, tokens: list[Token]
                        ) -> Iterator[Fragment]:
    """Paragraph breaks are looked for inside the fragment only: one outside it
    changes nothing, and searching a long text from its start for every matched
    word would cost the text's length each time."""
    breaks = paragraph_breaks(text, fragment.startchar, fragment.endchar)
    by_paragraph: dict[int, list[Token]] = {}
    for token in fragment.matches:
        by_paragraph.setdefault(bisect_right(breaks, (token.startchar, 0)) - 1, []).append(token)
    for number, matches in by_paragraph.items():
        start = max(fragment.startchar, breaks[number][1]) if number >= 0 else fragment.startchar
        end = breaks[number + 1][0] if number + 1 < len(breaks) else fragment.endchar
        yield PassageFragment(text, matches, start, end, tokens)


class OffsetsHighlighter(OffsetsLoadingHighlighter):
    """Whoosh's pinpoint highlighter, reading character offsets segment by segment.

    Whoosh loads them through the searcher, which sets up a scorer for every
    term of every field (a third of a page's snippet time); offsets need no
    scoring, so each segment's own postings are read directly. Given `docnums`
    (the hits shown), only those are loaded, not every candidate fetched.
    """

    def __init__(self, docnums: Collection[int] | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.docnums = None if docnums is None else frozenset(docnums)

    def load_offsets(self, cache: Offsets, results: Results, fieldname: str,
                     texts: Collection[str], to_bytes: Callable[[str], bytes]) -> None:
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
    """`postings.skip_to(docnum)`; a segment's own postings are searched inside a
    block (`leaf_skip_to`), where Whoosh steps one posting at a time."""
    if isinstance(postings, W3LeafMatcher):
        leaf_skip_to(postings, docnum)
    else:
        postings.skip_to(docnum)


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
    passage = lead_passage(text)
    return Snippet(tuple(_one_line([(text[passage.start:passage.end], False)], passage)))
