"""The Whoosh schema, and the version that says when an index must be rebuilt.

Text fields store word positions and character offsets (packed, see
`packed_format`) so snippets are cut from the postings without analysing each
hit's text again. The change-detection
facts are columns, so a sync reads them without loading stored bodies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from whoosh import columns
from whoosh.fields import COLUMN, DATETIME, ID, NUMERIC, STORED, TEXT, FieldType, Schema

from indexer.minhash import SIGNATURE_BYTES

from .analysis import news_analyzer
from .packed_format import PackedCharacters

# Bump when fields or analysis change in a way old indexes cannot serve.
SCHEMA_VERSION = 10  # 10: classes pickled in the schema moved to indexer.whoosh_engine

TEXT_FIELDS = ("title", "standfirst", "body")


def build_schema(language: str = "english") -> Schema:
    analyzer = news_analyzer(language)

    def text(**options: object) -> TEXT:
        field = TEXT(analyzer=analyzer, stored=True, chars=True, phrase=True,
                     multitoken_query="phrase", **options)
        field.format = PackedCharacters(field_boost=field.format.field_boost)
        return field

    return Schema(
        id=ID(unique=True, stored=True, sortable=True),
        title=text(),
        standfirst=text(),
        body=text(),
        section=text(sortable=True),  # a column too: the section facet
        date=DayDATETIME(stored=True, sortable=True),
        source=column_only(ID(stored=True, sortable=True)),  # a column: the source facet
        url=STORED(),
        path=STORED(),
        size=column_only(NUMERIC(int, bits=64, sortable=True)),
        mtime_ns=column_only(NUMERIC(int, bits=64, sortable=True)),
        content_hash=column_only(ID(sortable=True)),
        # near-duplicates (indexer/duplicates.py): a MinHash signature per article
        minhash=COLUMN(columns.FixedBytesColumn(SIGNATURE_BYTES)),
    )


class DayDATETIME(DATETIME):
    """A date searched by its day, sorted by its exact time.

    `date:` queries name days, months and years; indexing the exact second
    gave Reuters 85,000 date terms (8 tiers of mostly one article each), 47 %
    of all its terms. Indexed as its day, a date adds a few terms per day of
    the corpus; the column (sorting, facets) keeps the exact value.
    """

    @staticmethod
    def day(num: Any) -> Any:
        """What is indexed of a value: a datetime's day, anything else as it is."""
        if isinstance(num, datetime):
            return num.replace(hour=0, minute=0, second=0, microsecond=0)
        return num

    def index(self, num: Any, **kwargs: Any) -> Any:
        return super().index(self.day(num), **kwargs)


def column_only(field: FieldType) -> FieldType:
    """A field kept as a column and not indexed: the change-detection facts are
    read by document, never searched, and indexing them cost a term or four per
    document (content hashes are all distinct)."""
    field.indexed = False
    return field
