"""One stored article, for reading: its parts, with a query's words marked.

Articles are looked up by id in the index, never by path, so an id from a URL
can never reach a file outside the index. Marking analyses the text again,
so it stops after MARK_CHARS characters: a 2 MB article is shown whole, its
query words marked in its first part only (`ArticleView.marking_stopped`).
"""

from __future__ import annotations

from typing import Any

from whoosh.searching import Searcher

from indexer.records import ArticleView, Snippet

from ..codec.schema import TEXT_FIELDS
from .query import build_parser, parse

MARK_CHARS = 100_000  # characters of an article (title first) in which query words are marked


def get_article(searcher: Searcher, doc_id: str, query_text: str = "") -> ArticleView | None:
    """The article with this id, its words matching `query_text` marked; None if unknown."""
    docnum = searcher.document_number(id=doc_id)
    return None if docnum is None else article_at(searcher, docnum, query_text)


def article_at(searcher: Searcher, docnum: int, query_text: str = "") -> ArticleView:
    """The article with this document number, its words matching `query_text` marked
    within its first MARK_CHARS characters."""
    stored = searcher.stored_fields(docnum)
    words = query_words(searcher, query_text) if query_text.strip() else frozenset()
    marker = Marker(words, searcher.schema["body"].analyzer)
    title = marker.mark(stored.get("title", ""))
    standfirst = stored.get("standfirst")
    marked_standfirst = marker.mark(standfirst) if standfirst else None
    paragraphs = [p for p in (stored.get("body") or "").split("\n\n") if p.strip()]
    return ArticleView(
        id=stored["id"], title=title, section=stored.get("section"),
        standfirst=marked_standfirst, date=stored.get("date"),
        paragraphs=[marker.mark(paragraph) for paragraph in paragraphs],
        source=stored.get("source"), url=stored.get("url"), path=stored.get("path"),
        marking_stopped=marker.stopped,
    )


class Marker:
    """Marks words in one text after another until `budget` characters in all have
    been analysed; the rest is left unmarked, and `stopped` says so."""

    def __init__(self, words: frozenset[str], analyzer: Any, budget: int = MARK_CHARS) -> None:
        self.words, self.analyzer, self.left = words, analyzer, budget
        self.stopped = False

    def mark(self, text: str) -> Snippet:
        if not self.words:
            return Snippet(((text, False),))
        cut = _word_break(text, self.left)
        self.left -= cut
        head = mark_words(text[:cut], self.words, self.analyzer)
        if cut == len(text):
            return head
        self.stopped = True
        parts = list(head.parts)
        if parts and not parts[-1][1]:
            parts[-1] = (parts[-1][0] + text[cut:], False)
        else:
            parts.append((text[cut:], False))
        return Snippet(tuple(parts))


def _word_break(text: str, limit: int) -> int:
    """Where to stop marking `text` to analyse at most `limit` characters: the
    whole text if it fits, else the last space or line break before `limit`."""
    if len(text) <= limit:
        return len(text)
    if limit <= 0:
        return 0
    space = max(text.rfind(" ", 0, limit), text.rfind("\n", 0, limit))
    return space if space > 0 else limit


def query_words(searcher: Searcher, query_text: str) -> frozenset[str]:
    """The index terms a query looks for in the article text."""
    parsed = parse(build_parser(searcher.schema), query_text)
    return frozenset(text if isinstance(text, str) else text.decode("utf-8")
                     for field, text in parsed.query.iter_all_terms(phrases=True)
                     if field in TEXT_FIELDS)


def mark_words(text: str, words: frozenset[str], analyzer: Any) -> Snippet:
    """The whole text as a Snippet, each word whose term is in `words` marked."""
    if not words:
        return Snippet(((text, False),))
    spans: list[tuple[int, int]] = []
    for token in analyzer(text, chars=True, mode="query"):
        if token.text in words:
            spans.append((token.startchar, token.endchar))
    parts: list[tuple[str, bool]] = []
    index = 0
    for start, end in sorted(spans):
        if start < index:
            continue
        parts += [(text[index:start], False), (text[start:end], True)]
        index = end
    parts.append((text[index:], False))
    return Snippet(tuple(part for part in parts if part[0]))
