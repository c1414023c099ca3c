"""The blueprint: search and article pages, the JSON API, OpenSearch, health."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from indexer import SORTS
from indexer.records import Filters, SearchResults, Snippet
from indexer.whoosh_engine import search
from indexer.whoosh_engine.search.documents import article_at, get_article
from indexer.whoosh_engine.search.duplicates import copies_of
from indexer.whoosh_engine.search.searching import MAX_PAGE, MAX_PER_PAGE, MAX_RESULTS
from indexer.whoosh_engine.search.similar import similar_to
from indexer.whoosh_engine.store.searchers import SearchService

from .errors import BadParameter, clipped
from .feeds import atom_time, commit_time, entry_times
from .health import watcher_report
from .heavy import HeavyGate
from .paging import page_window
from .suggestions import (
    FORMATS,
    OPENSEARCH_MIMETYPE,
    Suggestions,
    opensearch_json,
    page_json,
    suggestions_for,
)

bp = Blueprint("seedsearch", __name__)
MAX_QUERY_CHARS = 500
PER_PAGE = 10
FEED_ENTRIES = 20
SIMILAR = 5  # "more like this" on an article's page
# ASCII digits only: str.isdigit() and int() also take "²", "①", "١" and full-width
# digits, and \d matches any Unicode digit.
NUMBER = re.compile(r"[0-9]{1,7}")
# A year from 0001 to 9999, as the year parameter allows.
MONTH = re.compile(r"(?!0000)[0-9]{4}-(0[1-9]|1[0-2])")


def service() -> SearchService:
    return current_app.extensions["seedsearch"]


bp.add_app_template_global(page_window)


@bp.app_template_filter("marked")
def marked(snippet: Snippet | None) -> Markup:
    """A snippet's HTML: its text escaped, our <mark> the only markup."""
    return Markup(snippet.html()) if snippet else Markup("")


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
class SearchRequest:
    """What a search URL asks for, each parameter checked once."""

    text: str
    page: int
    sort: str
    filters: Filters

    @classmethod
    def from_args(cls, sort: str | None = None) -> SearchRequest:
        """From the query string; `sort` fixes the order (the feed is newest first)."""
        return cls(text=query_param(), page=int_param("page", 1, MAX_PAGE),
                   sort=sort or sort_param(), filters=filters_param())


def run_search(wanted: SearchRequest, per_page: int) -> SearchResults | None:
    """The results asked for; None when there is no query."""
    if not wanted.text:
        return None
    with heavy_gate().turn_for(wanted.text, wanted.page, per_page):
        return search(service().searcher(), wanted.text, page=wanted.page, per_page=per_page,
                      sort=wanted.sort, language=service().config.language,
                      filters=wanted.filters)


def heavy_gate() -> HeavyGate:
    return current_app.extensions["seedsearch_heavy"]


@bp.get("/")
@bp.get("/search")
def search_page() -> str:
    wanted = SearchRequest.from_args()
    results = run_search(wanted, PER_PAGE)
    return render_template("search.html", query=wanted.text, results=results, sort=wanted.sort,
                           sorts=SORTS, link=results_link(wanted.text, wanted.sort,
                                                          wanted.filters),
                           max_results=MAX_RESULTS)


def results_link(query: str, sort: str, filters: Filters) -> Callable[..., str]:
    """This search's URL with some parameters changed; a None value removes one."""
    def link(**changes: object) -> str:
        params: dict[str, Any] = {"q": query, "sort": sort, **filters.to_json(), **changes}
        return url_for("seedsearch.search_page",
                       **{name: value for name, value in params.items() if value is not None})
    return link


@bp.get("/doc/<path:doc_id>")
def article_page(doc_id: str) -> str:
    text = query_param()
    searcher = service().searcher()
    docnum = searcher.document_number(id=doc_id)
    if docnum is None:
        abort(404, description=f"There is no article with the id {clipped(doc_id)!r}.")
    back = {"q": text, "page": int_param("page", 1, MAX_PAGE), "sort": sort_param()}
    copies = [searcher.stored_fields(n) for n in copies_of(searcher, docnum)]
    return render_template("article.html", article=article_at(searcher, docnum, text),
                           query=text, back=back, copies=copies,
                           similar=similar_to(searcher, docnum, per_page=SIMILAR).hits)


@bp.get("/api/search")
def api_search() -> Response:
    results = run_search(SearchRequest.from_args(), int_param("per_page", PER_PAGE, MAX_PER_PAGE))
    if results is None:
        raise BadParameter("q is required: /api/search?q=words")
    return jsonify(results.to_json())


@bp.get("/api/suggest")
def api_suggest() -> Response:
    """Search-as-you-type: words completing the last one typed, and matching titles;
    `format=opensearch` gives them as a browser's search bar wants them."""
    text, shape = query_param(), format_param()
    found = (suggestions_for(service().searcher(), text, service().config.language) if text
             else Suggestions(text, [], []))  # no searcher needed: nothing to complete
    if shape == "json":
        return jsonify(page_json(found))
    body = opensearch_json(
        found, lambda words: external_url("seedsearch.search_page", q=words),
        lambda doc_id: external_url("seedsearch.article_page", doc_id=doc_id))
    return Response(json.dumps(body, ensure_ascii=False), mimetype=OPENSEARCH_MIMETYPE)


def format_param() -> str:
    shape = request.args.get("format", "") or FORMATS[0]
    if shape not in FORMATS:
        raise BadParameter(f"format must be one of {', '.join(FORMATS)}, not {shape[:20]!r}.")
    return shape


@bp.get("/api/doc/<path:doc_id>")
def api_article(doc_id: str) -> Response:
    article = get_article(service().searcher(), doc_id)
    if article is None:
        abort(404, description=f"There is no article with the id {clipped(doc_id)!r}.")
    return jsonify(article.to_json())


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    body = render_template("opensearch.xml")
    return Response(body, mimetype="application/opensearchdescription+xml")


@bp.get("/feed")
def feed() -> Response:
    """An Atom feed of the newest articles matching the query: follow a story."""
    wanted = SearchRequest.from_args(sort="newest")
    results = run_search(wanted, FEED_ENTRIES)
    if results is None:
        raise BadParameter("q is required: /feed?q=words")
    updated, times = entry_times(results.hits, commit_time(service().index().last_modified()))
    feed_id = external_url("seedsearch.feed", q=wanted.text, **wanted.filters.to_json())
    body = render_template("feed.xml", query=wanted.text, updated=atom_time(updated),
                           entries=[(hit, atom_time(when))
                                    for hit, when in zip(results.hits, times, strict=True)],
                           feed_id=feed_id)
    return Response(body, mimetype="application/atom+xml")


@bp.app_template_global()
def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on the configured public address, never on the request's Host
    (which a client chooses: it must not end up in links others follow)."""
    return current_app.config["SEEDSEARCH_PUBLIC_URL"] + url_for(endpoint, **values)


@bp.get("/healthz")
def health() -> Response | tuple[Response, int]:
    """Whether this server can answer: its index, and its watcher when it has one."""
    watcher = current_app.config.get("SEEDSEARCH_WATCHER")
    healthy, said = watcher_report(watcher) if watcher is not None else (True, None)
    if not healthy:
        return jsonify({"status": "unhealthy", "watcher": said}), 503
    body: dict[str, Any] = {"status": "ok", "documents": service().searcher().doc_count()}
    if said is not None:
        body["watcher"] = said
    return jsonify(body)
