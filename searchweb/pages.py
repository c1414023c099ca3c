"""The pages blueprint: search and article pages, the Atom feed, OpenSearch's
description. Its errors are pages in the site's style (`errors`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, render_template, url_for
from markupsafe import Markup

from indexer import MAX_PAGE, MAX_RESULTS, SORTS, Filters, Snippet

from .errors import BadParameter, clipped
from .feeds import atom_time, commit_time, entry_times
from .links import external_url
from .paging import page_window
from .params import SearchParams, int_param, query_param, sort_param
from .searches import PER_PAGE, engine, run_search

bp = Blueprint("pages", __name__)
FEED_ENTRIES = 20
SIMILAR = 5  # "more like this" on an article's page

bp.add_app_template_global(page_window)
bp.add_app_template_global(external_url)


@bp.app_template_filter("marked")
def marked(snippet: Snippet | None) -> Markup:
    """A snippet's HTML: its text escaped, our <mark> the only markup."""
    return Markup(snippet.html()) if snippet else Markup("")


@bp.get("/")
@bp.get("/search")
def search_page() -> str:
    wanted = SearchParams.from_args()
    results = run_search(wanted, PER_PAGE)
    return render_template("search.html", query=wanted.text, results=results, sort=wanted.sort,
                           sorts=SORTS, link=results_link(wanted.text, wanted.sort,
                                                          wanted.filters),
                           max_results=MAX_RESULTS)


def results_link(query: str, sort: str, filters: Filters) -> Callable[..., str]:
    """This search's URL with some parameters changed; a None value removes one."""
    def link(**changes: object) -> str:
        params: dict[str, Any] = {"q": query, "sort": sort, **filters.to_json(), **changes}
        return url_for("pages.search_page",
                       **{name: value for name, value in params.items() if value is not None})
    return link


@bp.get("/doc/<path:doc_id>")
def article_page(doc_id: str) -> str:
    text = query_param()
    article = engine().article(doc_id, text)
    if article is None:
        abort(404, description=f"There is no article with the id {clipped(doc_id)!r}.")
    back = {"q": text, "page": int_param("page", 1, MAX_PAGE), "sort": sort_param()}
    similar = engine().similar(doc_id, per_page=SIMILAR)  # None: removed since
    return render_template("article.html", article=article, query=text, back=back,
                           copies=engine().copies(doc_id),
                           similar=similar.hits if similar is not None else [])


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    body = render_template("opensearch.xml")
    return Response(body, mimetype="application/opensearchdescription+xml")


@bp.get("/feed")
def feed() -> Response:
    """An Atom feed of the newest articles matching the query: follow a story."""
    wanted = SearchParams.from_args(sort="newest")
    results = run_search(wanted, FEED_ENTRIES)
    if results is None:
        raise BadParameter("q is required: /feed?q=words")
    updated, times = entry_times(results.hits, commit_time(engine().last_modified()))
    feed_id = external_url("pages.feed", q=wanted.text, **wanted.filters.to_json())
    body = render_template("feed.xml", query=wanted.text, updated=atom_time(updated),
                           entries=[(hit, atom_time(when))
                                    for hit, when in zip(results.hits, times, strict=True)],
                           feed_id=feed_id)
    return Response(body, mimetype="application/atom+xml")
