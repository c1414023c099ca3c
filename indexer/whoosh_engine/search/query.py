"""Turning what the user typed into a Whoosh query.

Free words (ranked, all-words first), "quoted phrases", AND / OR / NOT, -word,
words in one part (title:, headline:, standfirst:, body:), and filters that
keep the articles they name (section:, source:, year:, month:, date:2013,
date:[2013-01 to 2013-06]; see `query_filters`). Anything that does not parse
as written runs as plain words, with a notice saying so, never an error. The
checks on the text itself (its length, its syntax problems) are engine-free
(`indexer.query_text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import (
    FieldAliasPlugin,
    GroupPlugin,
    MultifieldPlugin,
    OperatorsPlugin,
    PhrasePlugin,
    PlusMinusPlugin,
    QueryParser,
    RangePlugin,
    WhitespacePlugin,
    plugins,
    syntax,
)

from indexer.query_text import (
    OPERATOR_WORDS,
    apart_at_hyphens,
    bounded,
    joined,
    quoted_pieces,
    syntax_problem,
    unsupported,
    without_words,
)

from ..codec.analysis import _TOKEN
from ..codec.schema import TEXT_FIELDS
from .bm25f import WordQuery
from .proximity import PairQuery
from .query_filters import DATE_ALIASES, Restrict, SourceFilter, Without, is_filter, typed_problem
from .ranking import DEFAULT_RANKING, CoordinatedOr, Ranking, coordinated_group

_FIELD_ALIASES = {"title": ["headline"], "body": ["text"], "date": ["published", *DATE_ALIASES]}


@dataclass(frozen=True)
class ParsedQuery:
    """The Whoosh query to run, and a notice when the text was not taken as written."""

    text: str
    query: wq.Query
    notice: str | None = None


def build_parser(schema: Schema, ranking: Ranking = DEFAULT_RANKING,
                 sentences: bool = False) -> NewsQueryParser:
    """The parser for typed queries, or (`sentences`) for questions used as queries."""
    bonus = ranking.sentence_word_bonus if sentences else ranking.word_bonus
    boosts = {name: ranking.field_boosts.get(name, 1.0) for name in TEXT_FIELDS}
    parser = NewsQueryParser(schema, ranking, plugins=[
        WhitespacePlugin(), plugins.SingleQuotePlugin(), plugins.FieldsPlugin(),
        PhrasePlugin(), RangePlugin(), GroupPlugin(), OperatorsPlugin(),
        WordsPlusMinusPlugin(), plugins.BoostPlugin(),
    ], group=coordinated_group(bonus))
    parser.add_plugin(FieldAliasPlugin(_FIELD_ALIASES))
    parser.add_plugin(MultifieldPlugin(TEXT_FIELDS, fieldboosts=boosts))
    return parser


class NewsQueryParser(QueryParser):
    """Whoosh's parser, whose word-over-fields queries are scored with BM25F."""

    def __init__(self, schema: Schema, ranking: Ranking, **options: Any) -> None:
        super().__init__(None, schema, **options)
        self.ranking = ranking

    def parse(self, text: str, normalize: bool = True, debug: bool = False) -> wq.Query:
        return as_bm25f(super().parse(text, normalize=normalize, debug=debug), self.ranking)


class WordsPlusMinusPlugin(PlusMinusPlugin):
    """+word / -word, only at the start of a word (so `co-operation` stays one word).

    Whoosh's version files optional words in a plain OrGroup, which would lose
    the parser's coordinated group; this one keeps it.
    """

    def __init__(self) -> None:
        super().__init__(plusexpr=r"(?:(?<=\s)|^)\+(?=\S)", minusexpr=r"(?:(?<=\s)|^)-(?=\S)")

    def do_plusminus(self, parser: QueryParser, group: syntax.GroupNode) -> syntax.GroupNode:
        required, banned = syntax.AndGroup(), syntax.OrGroup()
        optional = syntax.AndGroup() if isinstance(group, syntax.AndGroup) else parser.group()
        target = optional
        for node in group:
            if isinstance(node, self.Plus):
                target = required
            elif isinstance(node, self.Minus):
                target = banned
            else:
                target.append(node)
                target = optional
        result = optional
        if required:
            result = syntax.AndMaybeGroup([required, result])
        if banned:
            result = syntax.AndNotGroup([result, banned])
        return result


def as_bm25f(q: wq.Query, ranking: Ranking) -> wq.Query:
    """Each word searched over the text fields becomes one BM25F `WordQuery`."""
    if not ranking.bm25f:
        return q
    if isinstance(q, wq.Or) and not isinstance(q, CoordinatedOr) and _is_word_over_fields(q):
        weights = {term.fieldname: term.boost for term in q.subqueries}
        text = q.subqueries[0].text
        return WordQuery(text, weights, k1=ranking.k1,
                         b={f: ranking.field_b.get(f, ranking.b) for f in weights},
                         boost=q.boost, title_bonus=ranking.title_bonus)
    if isinstance(q, (wq.CompoundQuery, wq.Not)):
        return q.apply(lambda child: as_bm25f(child, ranking))
    return q


def _is_word_over_fields(q: wq.Or) -> bool:
    terms = q.subqueries
    fielded = all(type(t) is wq.Term and t.fieldname in TEXT_FIELDS for t in terms)
    return (len(terms) > 1 and fielded and len({t.text for t in terms}) == 1
            and len({t.fieldname for t in terms}) == len(terms))


def parse(parser: NewsQueryParser, text: str) -> ParsedQuery:
    """The query as written when it parses cleanly, else its plain words."""
    text, cut = bounded(text)
    left_out = unsupported(text)
    problem = typed_problem(text) or syntax_problem(text)
    if problem is None:
        parsed, problem = _strict_parse(parser, text)
        if parsed is not None:
            return ParsedQuery(text, shape(parsed), joined(cut, left_out))
    plain = plain_words(text)
    notice = joined(cut, left_out, f"Searched for the plain words {plain!r}: {problem}.")
    return ParsedQuery(text, parser.parse(plain) if plain else wq.NullQuery, notice)


def parse_plain(parser: NewsQueryParser, text: str) -> ParsedQuery:
    """Bag-of-words for sentences used as queries: every word ranked, no operators,
    but "quoted phrases" (when the quotes pair up) still searched as phrases."""
    text, cut = bounded(text)
    words = [plain_words(piece) if number % 2 else apart_at_hyphens(plain_words(piece))
             for number, piece in enumerate(quoted_pieces(text))]
    words = [piece if number % 2 else without_words(piece, parser.ranking.request_words)
             for number, piece in enumerate(words)]
    plain = " ".join(f'"{piece}"' if number % 2 and piece else piece
                     for number, piece in enumerate(words) if piece)
    if not plain:
        return ParsedQuery(text, wq.NullQuery, cut)
    return ParsedQuery(text, with_proximity(parser.parse(plain), parser.ranking), cut)


def _word_text(q: wq.Query) -> str | None:
    if isinstance(q, WordQuery):
        return q.text
    if isinstance(q, wq.Or) and _is_word_over_fields(q):
        return q.subqueries[0].text
    return None


def with_proximity(q: wq.Query, ranking: Ranking) -> wq.Query:
    """Reward documents where consecutive query words stand close together
    (`indexer/proximity.py`: each pair scored as a term of its own)."""
    if not ranking.proximity or not isinstance(q, CoordinatedOr):
        return q
    words = [text for text in map(_word_text, q.subqueries) if text]
    fields = {field: ranking.field_boosts.get(field, 1.0) for field in ranking.proximity_fields}
    b = {field: ranking.field_b.get(field, ranking.b) for field in ranking.proximity_fields}
    pairs = [PairQuery(first, second, fields, ranking.proximity_slop, ranking.proximity,
                       ranking.k1, b)
             for first, second in zip(words, words[1:], strict=False) if first != second]
    return CoordinatedOr([q, *pairs], bonus=1e-9) if pairs else q


def plain_words(text: str) -> str:
    """The words of `text` with every piece of query syntax removed."""
    words = (match.group() for match in _TOKEN.finditer(text))
    return " ".join(word.lower() if word in OPERATOR_WORDS else word for word in words)


def shape(q: wq.Query) -> wq.Query:
    """Give words written side by side the meaning readers expect.

    Whoosh ORs everything in an OR-by-default group, so `drugs NOT war` would
    match every article without "war", and `chelsea section:sport` every
    article about Chelsea or in sport. Here NOT excludes and a filter (a
    section, a source, a date) restricts, adding nothing to the ranking.
    """
    if isinstance(q, (wq.CompoundQuery, wq.Not)):
        q = q.apply(shape)
    elif not isinstance(q, (Restrict, SourceFilter)):
        return as_filter(q)
    if isinstance(q, wq.AndNot):
        return Without(q.a, q.b)
    if not isinstance(q, CoordinatedOr):
        return q
    words, filters, banned = [], [], []
    for child in q.subqueries:
        if isinstance(child, wq.Not):
            banned.append(child.query)
        elif is_filter(child):
            filters.append(child)
        else:
            words.append(child)
    result: wq.Query = wq.Every() if not words else (
        CoordinatedOr(words, bonus=q.bonus) if len(words) > 1 else words[0])
    if filters:
        result = wq.And([result, *filters] if words else filters)
    if banned:
        result = Without(result, wq.Or(banned) if len(banned) > 1 else banned[0])
    return result


def as_filter(q: wq.Query) -> wq.Query:
    """`date:` and `section:` (its words) as filters; a `source:` value as a
    `SourceFilter` (the source is a column, not an indexed field)."""
    field = getattr(q, "fieldname", None)
    if field in ("date", "section"):
        return Restrict(q)
    if field == "source" and isinstance(q, wq.Term):
        return SourceFilter(str(q.text))
    return q


def _strict_parse(parser: QueryParser, text: str) -> tuple[wq.Query | None, str | None]:
    """The query as written, or why it cannot be read.

    Whoosh reports some mistakes as error nodes and others by raising a bare
    Exception (a date range whose ends are not dates), so both are caught.
    """
    try:
        parsed = parser.parse(text)
    except Exception as error:  # noqa: BLE001 - Whoosh raises plain Exception here
        return None, f"could not read it ({error})"
    problem = _error_in(parsed)
    return (None, problem) if problem else (parsed, None)


def _error_in(node: wq.Query) -> str | None:
    error = getattr(node, "error", None)
    if error:
        return f"could not read it ({error})" if not isinstance(error, str) else error
    for child in node.children():
        found = _error_in(child)
        if found:
            return found
    return None
