"""Facets and the timeline: counts of matching articles by section and by date.

Every document's section and date are read once per segment from columns
into arrays (`DocFacts`); counting the sections, years or months of a set
of matching documents is then one `bincount`. Filters (a section, a year, a
month) are boolean masks over the same arrays, so they cost the same
whatever the query.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh.query import NumericRange
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from indexer.records import Facets, FacetValue, Filters

from ..codec.segment_arrays import fixed_width_bytes, per_segment

MONTHLY_BELOW_YEARS = 3  # a timeline spanning fewer years is drawn by month
MAX_SECTIONS = 20  # section values listed, most frequent first
MAX_LISTED_VALUES = 1000  # values counted for an explanation (explain.py), most frequent first
UNDATED = 2**64 - 1  # the date column's value for articles without a date
MICROSECONDS_A_DAY = 86_400_000_000



class DocFacts:
    """Section code, source code, day, year and month (YYYYMM) of every document
    of one segment."""

    def __init__(self, reader: IndexReader) -> None:
        size = reader.doc_count_all()
        self.sections, self.names = _codes(reader, size, "section")
        self.sources, self.source_names = _codes(reader, size, "source")
        days = _date_days(reader, size)
        dated = days >= 0
        calendar = (np.datetime64("0001-01-01", "D") + np.where(dated, days, 0)
                    .astype("timedelta64[D]"))
        years = calendar.astype("datetime64[Y]").astype(np.int64) + 1970
        months = calendar.astype("datetime64[M]").astype(np.int64) % 12 + 1
        self.years = np.where(dated, years, 0).astype(np.int32)
        self.months = np.where(dated, years * 100 + months, 0).astype(np.int32)
        self.days = days


def _date_days(reader: IndexReader, size: int) -> np.ndarray:
    """Days since 0001-01-01 of each document's date (-1: undated), read from the
    date column's bytes (Whoosh stores microseconds since then, big-endian)."""
    days = np.full(size, -1, dtype=np.int64)
    if not reader.has_column("date"):
        return days
    column = reader.column_reader("date", translate=False)
    values = np.frombuffer(fixed_width_bytes(column, size, 8, fill=0xFF), dtype=">u8")
    dated = values != UNDATED
    days[dated] = (values[dated] // MICROSECONDS_A_DAY).astype(np.int64)
    return days


def _codes(reader: IndexReader, size: int, name: str) -> tuple[np.ndarray, list[str]]:
    """Each document's value of a text column as a number, and the values by number."""
    codes = np.full(size, -1, dtype=np.int32)
    if not reader.has_column(name):
        return codes, []
    numbers: dict[str, int] = {}
    column = reader.column_reader(name)
    for docnum in range(size):
        name = column[docnum]
        if name:
            codes[docnum] = numbers.setdefault(name, len(numbers))
    return codes, list(numbers)


def facts(reader: IndexReader) -> DocFacts:
    return per_segment(reader, "facts", DocFacts)


def live(reader: IndexReader) -> np.ndarray:
    """A mask over one segment's documents: True where not deleted. (The facts
    cover deleted documents too: a segment's deletions grow between commits.)"""
    mask = np.ones(reader.doc_count_all(), dtype=bool)
    if reader.has_deletions():
        mask[np.fromiter(reader.deleted_docs_set, dtype=np.int64)] = False
    return mask


def live_docs(searcher: Searcher) -> np.ndarray:
    """A mask over the searcher's document numbers: True where not deleted."""
    masks = [live(reader) for reader, _ in searcher.reader().leaf_readers()]
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def corpus_counts(searcher: Searcher) -> Facets:
    """Sections, sources and years of every live article, each value counted
    (sections and sources up to MAX_LISTED_VALUES, most frequent first)."""
    return count(searcher, np.flatnonzero(live_docs(searcher)), listed=MAX_LISTED_VALUES)


def month_counts(searcher: Searcher) -> dict[int, int]:
    """Live articles by month (YYYYMM), for the months of a corpus."""
    counts: dict[int, int] = {}
    for reader, _ in searcher.reader().leaf_readers():
        months = facts(reader).months[live(reader)]
        for month, number in _counted(months[months > 0]):
            counts[month] = counts.get(month, 0) + number
    return counts


def allowed(searcher: Searcher, filters: Filters) -> np.ndarray | None:
    """A mask over the searcher's document numbers: True where the filters allow."""
    if not filters:
        return None
    masks = []
    for reader, _ in searcher.reader().leaf_readers():
        segment = facts(reader)
        mask = np.ones(reader.doc_count_all(), dtype=bool)
        if filters.section is not None:
            mask &= segment.sections == _code(segment.names, filters.section)
        if filters.source is not None:
            mask &= segment.sources == _code(segment.source_names, filters.source)
        if filters.year is not None:
            mask &= segment.years == filters.year
        if filters.month is not None:
            year, month = filters.month.split("-")
            mask &= segment.months == int(year) * 100 + int(month)
        masks.append(mask)
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def in_date_ranges(searcher: Searcher, ranges: list[NumericRange]) -> np.ndarray:
    """A mask over the searcher's document numbers: True where the article's date,
    as indexed (its day), is inside every one of `date:` ranges of a query."""
    masks = []
    for reader, _ in searcher.reader().leaf_readers():
        days = facts(reader).days
        indexed = days * MICROSECONDS_A_DAY  # what the date field indexes: the day
        mask = days >= 0
        for where in ranges:
            if where.start is not None:
                mask &= indexed > where.start if where.startexcl else indexed >= where.start
            if where.end is not None:
                mask &= indexed < where.end if where.endexcl else indexed <= where.end
        masks.append(mask)
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def _code(names: list[str], value: str) -> int:
    return names.index(value) if value in names else -2  # -2: no document has it


def count(searcher: Searcher, docnums: np.ndarray, listed: int = MAX_SECTIONS) -> Facets:
    """Section, year and timeline counts over the matching documents (`listed`
    sections and sources at most, the most frequent)."""
    sections: dict[str, int] = {}
    sources: dict[str, int] = {}
    years: list[np.ndarray] = []
    months: list[np.ndarray] = []
    for reader, offset in searcher.reader().leaf_readers():
        size = reader.doc_count_all()
        local = docnums[(docnums >= offset) & (docnums < offset + size)] - offset
        segment = facts(reader)
        _tally(sections, segment.sections[local], segment.names)
        _tally(sources, segment.sources[local], segment.source_names)
        years.append(segment.years[local])
        months.append(segment.months[local])
    year_values = np.concatenate(years) if years else np.zeros(0, dtype=np.int32)
    month_values = np.concatenate(months) if months else np.zeros(0, dtype=np.int32)
    by_year = _counted(year_values[year_values > 0])
    return Facets(
        section=_most_frequent(sections, listed), source=_most_frequent(sources, listed),
        year=tuple(FacetValue(str(value), number) for value, number in by_year),
        **_timeline(by_year, month_values[month_values > 0]))


def _tally(counts: dict[str, int], codes: np.ndarray, names: list[str]) -> None:
    for code, number in enumerate(np.bincount(codes[codes >= 0], minlength=len(names))):
        if number:
            counts[names[code]] = counts.get(names[code], 0) + int(number)


def _most_frequent(counts: dict[str, int], listed: int) -> tuple[FacetValue, ...]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(FacetValue(name, number) for name, number in ranked[:listed])


def _counted(values: np.ndarray) -> list[tuple[int, int]]:
    found, counts = np.unique(values, return_counts=True)
    return [(int(value), int(number)) for value, number in zip(found, counts, strict=True)]


def _timeline(by_year: list[tuple[int, int]], months: np.ndarray) -> dict[str, Any]:
    """Bars for every year (or month) from the first to the last, empty ones included."""
    if not by_year:
        return {}
    first, last = by_year[0][0], by_year[-1][0]
    if last - first + 1 >= MONTHLY_BELOW_YEARS:
        counts = dict(by_year)
        bars = [FacetValue(str(year), counts.get(year, 0)) for year in range(first, last + 1)]
        return {"timeline": tuple(bars), "timeline_unit": "year"}
    counts = dict(_counted(months))
    low, high = min(counts), max(counts)
    bars = []
    year, month = divmod(low, 100)
    while year * 100 + month <= high:
        bars.append(FacetValue(f"{year}-{month:02d}", counts.get(year * 100 + month, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return {"timeline": tuple(bars), "timeline_unit": "month"}
