"""Search as you type, in two shapes: the page's own JSON and OpenSearch's.

The page's script reads `{"query", "completions", "titles"}`. A browser that
added seedsearch as a search engine (through /opensearch.xml) asks the same
question and wants the OpenSearch suggestions format instead: a JSON array
`[query, [completions], [descriptions], [urls]]` sent as
application/x-suggestions+json. Both come from one lookup, bounded the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from indexer import Engine, SearchRequest

SUGGESTIONS = 5  # of each kind, as you type
FORMATS = ("json", "opensearch")  # the `format` parameter of /api/suggest
OPENSEARCH_MIMETYPE = "application/x-suggestions+json"
TITLE_DESCRIPTION = "Article"  # what a title stands for, in the OpenSearch descriptions


@dataclass(frozen=True)
class Suggestions:
    query: str
    completions: list[str]
    titles: list[tuple[str, str]]  # (id, title) of matching articles


def suggestions_for(engine: Engine, text: str, limit: int = SUGGESTIONS) -> Suggestions:
    """Words completing the last one typed, and the titles of matching articles."""
    completed = engine.completions(text, limit)
    # Titles for what the reader is most likely typing: the first completion.
    hits = engine.search(SearchRequest(completed[0] if completed else text, per_page=limit,
                                       facets=False)).hits
    return Suggestions(text, completed, [(hit.id, hit.title or hit.id) for hit in hits])


def page_json(found: Suggestions) -> dict[str, Any]:
    """The shape the page's script reads."""
    return {"query": found.query, "completions": found.completions,
            "titles": [{"id": doc_id, "title": title} for doc_id, title in found.titles]}


def opensearch_json(found: Suggestions, search_url: Callable[[str], str],
                    article_url: Callable[[str], str]) -> list[Any]:
    """The OpenSearch suggestions format: completions first, then article titles (a
    browser that ignores the URLs searches for the title, which finds the article);
    absolute URLs built by `search_url(words)` and `article_url(id)`."""
    words = [*found.completions, *(title for _, title in found.titles)]
    descriptions = [""] * len(found.completions) + [TITLE_DESCRIPTION] * len(found.titles)
    urls = [*map(search_url, found.completions),
            *(article_url(doc_id) for doc_id, _ in found.titles)]
    return [found.query, words, descriptions, urls]
