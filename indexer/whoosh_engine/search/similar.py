"""More like this: articles that share an article's most telling words.

The article's key terms (Whoosh's Bo1 weighting over its title and body)
become a ranked query of the same BM25F words a search uses, each weighted
by how telling it is; the article itself is left out of the results.

Whoosh weighs every distinct word of the text it is given (two lookups each:
17 s for a 2 MB article of 230,000 distinct words), so key terms are taken
from the first KEY_TERM_CHARS characters only: every article of Reuters
(13,430 at most) and BBC (25,485) whole, and enough to say what a longer
text is about (a 2 MB one costs about 0.2 s instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.engine import REQUEST_SECONDS
from indexer.records import SearchResults

from ..codec.schema import TEXT_FIELDS
from .bm25f import WordQuery
from .query import ParsedQuery
from .ranking import DEFAULT_RANKING, CoordinatedOr, Ranking
from .searching import check_paging, results_page

KEY_TERMS = 15
KEY_TERM_CHARS = 30_000  # of an article's text (title first) read for its key terms


def similar(searcher: Searcher, doc_id: str, per_page: int = 10,
            ranking: Ranking = DEFAULT_RANKING, page: int = 1) -> SearchResults | None:
    """Articles like the one with this id, best first; None when there is no such article."""
    docnum = searcher.document_number(id=doc_id)
    return None if docnum is None else similar_to(searcher, docnum, per_page, ranking,
                                                  page=page)


def similar_to(searcher: Searcher, docnum: int, per_page: int = 10,
               ranking: Ranking = DEFAULT_RANKING,
               budget: float = REQUEST_SECONDS, page: int = 1) -> SearchResults:
    """Articles like the one with this document number, best first, itself left out;
    copies of a story folded and paged as a search's are (`searching.results_page`).

    A notice says when only the article's first KEY_TERM_CHARS characters were read."""
    check_paging(page, per_page, "relevance")
    stored = searcher.stored_fields(docnum)
    text, cut = key_text(stored)
    terms = searcher.key_terms_from_text("body", text, numterms=KEY_TERMS)
    fields = {field: ranking.field_boosts.get(field, 1.0) for field in TEXT_FIELDS}
    b = {field: ranking.field_b.get(field, ranking.b) for field in TEXT_FIELDS}
    words: list[wq.Query] = [
        WordQuery(term, fields, k1=ranking.k1, b=b, boost=weight / terms[0][1],
                  title_bonus=ranking.title_bonus) for term, weight in terms]
    mask = np.ones(searcher.doc_count_all(), dtype=bool)
    mask[docnum] = False
    query = CoordinatedOr(words, bonus=ranking.sentence_word_bonus) if len(words) > 1 \
        else (words[0] if words else wq.NullQuery)
    notice = (f"Only the first {KEY_TERM_CHARS:,} characters of the article were read "
              "to find its key terms.") if cut else None
    parsed = ParsedQuery(f"like {stored['id']}", query, notice)
    return results_page(searcher, parsed, page, per_page, "relevance", mask,
                        facets_language=None, budget=budget)


def key_text(stored: dict[str, Any]) -> tuple[str, bool]:
    """The article's text its key terms are taken from (at most KEY_TERM_CHARS
    characters, ending at a word break), and whether the text was cut."""
    text = "\n".join(stored.get(field) or "" for field in TEXT_FIELDS)
    if len(text) <= KEY_TERM_CHARS:
        return text, False
    space = max(text.rfind(" ", 0, KEY_TERM_CHARS), text.rfind("\n", 0, KEY_TERM_CHARS))
    return text[:space if space > 0 else KEY_TERM_CHARS], True
