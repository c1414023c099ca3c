"""The blueprint: search and article pages, the JSON API, OpenSearch, health."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from markupsafe import Markup

from indexer import SORTS, search
from indexer.documents import get_article
from indexer.results import Snippet
from indexer.searching import MAX_PAGE, MAX_PER_PAGE

from .errors import BadParameter
from .searching import SearchService

bp = Blueprint("seedsearch", __name__)
MAX_QUERY_CHARS = 500
PER_PAGE = 10


def service() -> SearchService:
    return current_app.extensions["seedsearch"]


@bp.app_template_filter("marked")
def marked(snippet: Snippet | None) -> Markup:
    """A snippet's HTML: its text escaped, our <mark> the only markup."""
    return Markup(snippet.html()) if snippet else Markup("")


def query_param() -> str:
    text = request.args.get("q", "")
    if len(text) > MAX_QUERY_CHARS:
        raise BadParameter(f"q is too long: {len(text)} characters, at most {MAX_QUERY_CHARS}.")
    return text.strip()


def int_param(name: str, default: int, highest: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= highest:
        raise BadParameter(f"{name} must be a whole number from 1 to {highest}, not {raw[:20]!r}.")
    return int(raw)


def sort_param() -> str:
    sort = request.args.get("sort", "") or "relevance"
    if sort not in SORTS:
        raise BadParameter(f"sort must be one of {', '.join(SORTS)}, not {sort[:20]!r}.")
    return sort


def run_search(per_page: int) -> tuple[str, Any]:
    text, page, sort = query_param(), int_param("page", 1, MAX_PAGE), sort_param()
    if not text:
        return text, None
    searcher = service().searcher()
    language = service().config.language
    return text, search(searcher, text, page=page, per_page=per_page, sort=sort,
                        language=language)


@bp.get("/")
@bp.get("/search")
def search_page() -> str:
    text, results = run_search(PER_PAGE)
    return render_template("search.html", query=text, results=results, sort=sort_param(),
                           sorts=SORTS)


@bp.get("/doc/<path:doc_id>")
def article_page(doc_id: str) -> str:
    text = query_param()
    article = get_article(service().searcher(), doc_id, text)
    if article is None:
        abort(404, description=f"There is no article with the id {doc_id!r}.")
    back = {"q": text, "page": int_param("page", 1, MAX_PAGE), "sort": sort_param()}
    return render_template("article.html", article=article, query=text, back=back)


@bp.get("/api/search")
def api_search() -> Response:
    _, results = run_search(int_param("per_page", PER_PAGE, MAX_PER_PAGE))
    if results is None:
        raise BadParameter("q is required: /api/search?q=words")
    return jsonify(results.to_json())


@bp.get("/api/doc/<path:doc_id>")
def api_article(doc_id: str) -> Response:
    article = get_article(service().searcher(), doc_id)
    if article is None:
        abort(404, description=f"There is no article with the id {doc_id!r}.")
    return jsonify(article.to_json())


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    body = render_template("opensearch.xml")
    return Response(body, mimetype="application/opensearchdescription+xml")


@bp.get("/healthz")
def health() -> Response:
    return jsonify({"status": "ok", "documents": service().searcher().doc_count()})
