"""Errors as pages in the site's style, or as JSON under /api/.

No request may end in a traceback: the library's errors and bad parameters
become 400 / 404 / 503 with a message saying what to do; anything else is a
500 page that names nothing internal.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from indexer import (IndexDamaged, IndexNotFound, InvalidSetting, SeedsearchError,
                     SettingsMismatch)

TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed",
          500: "Something went wrong", 503: "Index unavailable"}


class BadParameter(InvalidSetting):
    """A query-string parameter seedsearch cannot use; the message names it."""


def error_response(status: int, message: str, hint: str = "") -> tuple[Response | str, int]:
    if request.path.startswith("/api/") or request.path == "/healthz":
        body = {"error": {"status": status, "message": message}}
        if hint:
            body["error"]["hint"] = hint
        return jsonify(body), status
    return render_template("error.html", status=status, title=TITLES.get(status, "Error"),
                           message=message, hint=hint,
                           query=request.args.get("q", "")[:500]), status


def _http_error(error: HTTPException) -> tuple[Response | str, int]:
    status = error.code or 500
    message = error.description if status != 500 else "The server could not answer."
    return error_response(status, message or TITLES.get(status, "Error"))


def _library_error(error: SeedsearchError) -> tuple[Response | str, int]:
    message = str(error.args[0]) if error.args else str(error)
    if isinstance(error, (IndexNotFound, IndexDamaged, SettingsMismatch)):
        return error_response(503, message, error.hint)
    if isinstance(error, InvalidSetting):
        return error_response(400, message, error.hint)
    return error_response(500, message, error.hint)


def _unexpected(error: Exception) -> tuple[Response | str, int]:
    current_app.logger.exception("Unexpected error on %s", request.path)
    return _http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(SeedsearchError, _library_error)
    app.register_error_handler(Exception, _unexpected)
