"""Errors as pages in the site's style, or as JSON under /api/.

No request may end in a traceback: the library's errors and bad parameters
become 400 / 404 / 503 with a message saying what to do; anything else is a
500 page that names nothing internal.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from indexer import IndexDamaged, IndexNotFound, InvalidSetting, SeedsearchError, SettingsMismatch

TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed",
          500: "Something went wrong", 503: "Index unavailable"}
ECHOED_CHARS = 200  # of a client's value quoted back in a message


class BadParameter(InvalidSetting):
    """A query-string parameter seedsearch cannot use; the message names it."""


def clipped(value: str, limit: int = ECHOED_CHARS) -> str:
    """`value` cut to `limit` characters (marked with an ellipsis), to quote it back:
    an unknown id of 60,000 characters must not make a 60 KB error page."""
    return value if len(value) <= limit else value[:limit] + "\u2026"


def error_response(status: int, message: str, hint: str = "") -> tuple[Response | str, int]:
    if request.path.startswith("/api/") or request.path == "/healthz":
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


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(SeedsearchError, _library_error)
    app.register_error_handler(Exception, _unexpected)
