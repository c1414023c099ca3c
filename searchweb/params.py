"""The query string of a search or article URL, each parameter checked once.

A bad value is a `BadParameter` naming it (a 400 page, or JSON from the API);
numbers are ASCII digits only: str.isdigit() and int() also take "²", "①",
"١" and full-width digits, and \\d matches any Unicode digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import request

from indexer import MAX_PAGE, SORTS, Filters, SearchRequest

from .errors import BadParameter

MAX_QUERY_CHARS = 500
NUMBER = re.compile(r"[0-9]{1,7}")
# A year from 0001 to 9999, as the year parameter allows.
MONTH = re.compile(r"(?!0000)[0-9]{4}-(0[1-9]|1[0-2])")


def query_param() -> str:
    text = request.args.get("q", "")
    if len(text) > MAX_QUERY_CHARS:
        raise BadParameter(f"q is too long: {len(text)} characters, at most {MAX_QUERY_CHARS}.")
    return text.strip()


def whole_number(raw: str, lowest: int, highest: int) -> int | None:
    """`raw` as a number written in ASCII digits within the bounds, else None."""
    if not NUMBER.fullmatch(raw):
        return None
    number = int(raw)
    return number if lowest <= number <= highest else None


def int_param(name: str, default: int, highest: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    number = whole_number(raw, 1, highest)
    if number is None:
        raise BadParameter(f"{name} must be a whole number from 1 to {highest}, not {raw[:20]!r}.")
    return number


def sort_param() -> str:
    sort = request.args.get("sort", "") or "relevance"
    if sort not in SORTS:
        raise BadParameter(f"sort must be one of {', '.join(SORTS)}, not {sort[:20]!r}.")
    return sort


def filters_param() -> Filters:
    """The facet filters chosen: section, year, month (YYYY-MM)."""
    section = request.args.get("section", "").strip() or None
    if section is not None and len(section) > MAX_QUERY_CHARS:
        raise BadParameter(f"section is too long: at most {MAX_QUERY_CHARS} characters.")
    year_text = request.args.get("year", "")
    year = whole_number(year_text, 1, 9999) if year_text else None
    if year_text and year is None:
        raise BadParameter(f"year must be a year such as 2013, not {year_text[:20]!r}.")
    month = request.args.get("month", "") or None
    if month is not None and not MONTH.fullmatch(month):
        raise BadParameter(f"month must be written YYYY-MM, such as 2013-05, not {month[:20]!r}.")
    source = request.args.get("source", "").strip()[:MAX_QUERY_CHARS] or None
    return Filters(section=section, year=year, month=month, source=source)


@dataclass(frozen=True)
class SearchParams:
    """What a search URL asks for; its page size is the route's to choose (the feed's
    is not the page's), so it becomes the engine's `SearchRequest` only then."""

    text: str
    page: int
    sort: str
    filters: Filters

    @classmethod
    def from_args(cls, sort: str | None = None) -> SearchParams:
        """From the query string; `sort` fixes the order (the feed is newest first)."""
        return cls(text=query_param(), page=int_param("page", 1, MAX_PAGE),
                   sort=sort or sort_param(), filters=filters_param())

    def request(self, per_page: int) -> SearchRequest:
        return SearchRequest(self.text, page=self.page, per_page=per_page, sort=self.sort,
                             filters=self.filters)
