"""Errors as pages in the site's style, or as JSON for the blueprints that answer in it.

No request may end in a traceback: the library's errors and bad parameters
become 400 / 404 / 503 with a message saying what to do; anything else is a
500 page that names nothing internal.

Which shape an error takes is the blueprint's the request is for (`blueprint_asked`).
Routing that failed leaves a request with none: then the route its path names
(under another method, or a Host refused before routing) decides, and a path no
route names is a JSON blueprint's when it is under that blueprint's prefix.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from indexer import IndexDamaged, IndexNotFound, InvalidSetting, SeedsearchError, SettingsMismatch

TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed",
          500: "Something went wrong", 503: "Index unavailable"}
ECHOED_CHARS = 200  # of a client's value quoted back in a message
JSON_BLUEPRINTS = "seedsearch_json_blueprints"  # app.extensions: blueprint name -> URL prefix


class BadParameter(InvalidSetting):
    """A query-string parameter seedsearch cannot use; the message names it."""


def clipped(value: str, limit: int = ECHOED_CHARS) -> str:
    """`value` cut to `limit` characters (marked with an ellipsis), to quote it back:
    an unknown id of 60,000 characters must not make a 60 KB error page."""
    return value if len(value) <= limit else value[:limit] + "\u2026"


def blueprint_asked() -> str | None:
    """The blueprint of the route this request is for, even when routing failed."""
    if request.url_rule is not None:
        return request.blueprint
    endpoint = endpoint_named(request.path)
    if endpoint is not None:
        return endpoint.rpartition(".")[0] or None
    prefixes: Mapping[str, str] = current_app.extensions.get(JSON_BLUEPRINTS, {})
    return next((name for name, prefix in prefixes.items() if request.path.startswith(prefix)),
                None)


def endpoint_named(path: str) -> str | None:
    """The endpoint a GET of `path` reaches. The app's own URL adapter is not used: a
    Host Werkzeug refused leaves none, and no route depends on the host."""
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:  # no such route, or a redirect (a slash added or merged)
        return None
    return str(endpoint)


def in_json() -> bool:
    return blueprint_asked() in current_app.extensions.get(JSON_BLUEPRINTS, {})


def error_response(status: int, message: str, hint: str = "") -> tuple[Response | str, int]:
    if in_json():
        body = {"error": {"status": status, "message": message}}
        if hint:
            body["error"]["hint"] = hint
        return jsonify(body), status
    if request_ctx.url_adapter is None:  # Werkzeug refused the Host: url_for cannot work
        return plain_error(status, message, hint), status
    try:
        return render_template("error.html", status=status, title=TITLES.get(status, "Error"),
                               message=message, hint=hint,
                               query=request.args.get("q", "")[:500]), status
    except Exception:  # noqa: BLE001 - an error page that fails would become a traceback
        return plain_error(status, message, hint), status


def plain_error(status: int, message: str, hint: str = "") -> Response:
    """The error page without the site's templates, links or styles: nothing in it can
    fail (an unusable Host leaves Flask no URL adapter, so `url_for` raises)."""
    title = escape(TITLES.get(status, "Error"))
    hint_html = f"<p><code>{escape(hint)}</code></p>\n" if hint else ""
    body = (f"<!doctype html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n"
            f"<title>{title} \u00b7 seedsearch</title>\n<h1>{title}</h1>\n"
            f"<p>{escape(message)}</p>\n{hint_html}<p><a href=\"/\">Start a new search</a></p>\n")
    return Response(body, status=status, mimetype="text/html")


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    message = error.description if status != 500 else "The server could not answer."
    response = make_response(error_response(status, message or TITLES.get(status, "Error")))
    retry_after = getattr(error, "retry_after", None)  # a 503 saying when to come back
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _library_error(error: SeedsearchError) -> tuple[Response | str, int]:
    message = str(error.args[0]) if error.args else str(error)
    if isinstance(error, (IndexNotFound, IndexDamaged, SettingsMismatch)):
        return error_response(503, message, error.hint)
    if isinstance(error, InvalidSetting):
        return error_response(400, message, error.hint)
    return error_response(500, message, error.hint)


def _unexpected(error: Exception) -> Response:
    current_app.logger.exception("Unexpected error on %s", request.path)
    return _http_error(InternalServerError())


def init_app(app: Flask, json_blueprints: Mapping[str, str]) -> None:
    """Handle every error; those of `json_blueprints` (name -> the prefix of its URLs)
    in JSON."""
    app.extensions[JSON_BLUEPRINTS] = dict(json_blueprints)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(SeedsearchError, _library_error)
    app.register_error_handler(Exception, _unexpected)
