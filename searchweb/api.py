"""The API blueprint: search, suggestions and articles as JSON, and /healthz.

Its errors are JSON too (`errors` asks which blueprint a request is for), and
so are those of a URL under PREFIX that no route names: a script that
mistypes an API URL still reads the answer it expects.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from indexer import MAX_PER_PAGE

from .errors import BadParameter, clipped
from .health import watcher_report
from .links import external_url
from .params import SearchParams, int_param, query_param
from .searches import PER_PAGE, engine, run_search
from .suggestions import (
    FORMATS,
    OPENSEARCH_MIMETYPE,
    Suggestions,
    opensearch_json,
    page_json,
    suggestions_for,
)

bp = Blueprint("api", __name__)
PREFIX = "/api/"


@bp.get("/api/search")
def search() -> Response:
    results = run_search(SearchParams.from_args(), int_param("per_page", PER_PAGE, MAX_PER_PAGE))
    if results is None:
        raise BadParameter("q is required: /api/search?q=words")
    return jsonify(results.to_json())


@bp.get("/api/suggest")
def suggest() -> Response:
    """Search-as-you-type: words completing the last one typed, and matching titles;
    `format=opensearch` gives them as a browser's search bar wants them."""
    text, shape = query_param(), format_param()
    found = (suggestions_for(engine(), text) if text
             else Suggestions(text, [], []))  # the index is not needed: nothing to complete
    if shape == "json":
        return jsonify(page_json(found))
    body = opensearch_json(
        found, lambda words: external_url("pages.search_page", q=words),
        lambda doc_id: external_url("pages.article_page", doc_id=doc_id))
    return Response(json.dumps(body, ensure_ascii=False), mimetype=OPENSEARCH_MIMETYPE)


def format_param() -> str:
    shape = request.args.get("format", "") or FORMATS[0]
    if shape not in FORMATS:
        raise BadParameter(f"format must be one of {', '.join(FORMATS)}, not {shape[:20]!r}.")
    return shape


@bp.get("/api/doc/<path:doc_id>")
def article(doc_id: str) -> Response:
    found = engine().article(doc_id)
    if found is None:
        abort(404, description=f"There is no article with the id {clipped(doc_id)!r}.")
    return jsonify(found.to_json())


@bp.get("/healthz")
def health() -> Response | tuple[Response, int]:
    """Whether this server can answer: its index, and its watcher when it has one."""
    watcher = current_app.config.get("SEEDSEARCH_WATCHER")
    healthy, said = watcher_report(watcher) if watcher is not None else (True, None)
    if not healthy:
        return jsonify({"status": "unhealthy", "watcher": said}), 503
    body: dict[str, Any] = {"status": "ok", "documents": engine().document_count()}
    if said is not None:
        body["watcher"] = said
    return jsonify(body)
