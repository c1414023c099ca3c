"""Response headers that keep the pages safe even if escaping ever failed, and the
Host check that keeps other sites' pages from reading the API.

DNS rebinding: a page on evil.example can point its own name at 127.0.0.1 and
then read http://evil.example:8000/api/... as same-origin, API answers (with
absolute server paths) included. The browser still sends `Host:
evil.example`, so only names seedsearch was told it serves under are
answered. This is checked here rather than with Flask's TRUSTED_HOSTS so the
400 can name the host and say what to do, and so `*` can allow any host
behind a proxy that checks it.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Iterable

from flask import Flask, Response, current_app, request

from .errors import error_response

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "connect-src 'self'", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
ANY_HOST = "*"
IP_LITERALS = "ip"  # an entry allowing any address written as such (wildcard listens)
ALLOWED_HOSTS_ENV = "SEEDSEARCH_ALLOWED_HOSTS"
PUBLIC_URL_ENV = "SEEDSEARCH_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def relative_redirect(response: Response) -> Response:
    """A redirect to this same server names a path only, never the Host it was asked as.

    Werkzeug builds its own redirects (a merged double slash, say) with the request's
    Host; browsers resolve a relative Location against the page they asked for.
    """
    location = response.headers.get("Location", "")
    for prefix in (f"{request.scheme}://{request.host}/", f"//{request.host}/"):
        if location.startswith(prefix):
            response.headers["Location"] = location[len(prefix) - 1:]
    return response


def host_name(host: str) -> str:
    """The name in a Host header value, without its port, lowercased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def is_allowed(name: str, allowed: Iterable[str]) -> bool:
    allowed = set(allowed)
    if ANY_HOST in allowed or name.rstrip(".") in allowed:
        return True
    if IP_LITERALS in allowed:  # no DNS name is involved, so no rebinding
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False
    return False


def check_host() -> tuple[Response | str, int] | None:
    """Refuse a request whose Host seedsearch does not serve under (a 400 naming it)."""
    sent = request.headers.get("Host")
    if sent is None:  # HTTP/1.0 without a Host: not a browser, so no rebinding
        return None
    if is_allowed(host_name(sent), current_app.config["SEEDSEARCH_ALLOWED_HOSTS"]):
        return None
    return error_response(400, f"Unknown host {sent[:100]!r}: start seedsearch with "
                          "--host NAME (or --allow-host NAME) to serve under that name.")


def allowed_hosts_from_env() -> list[str]:
    """The loopback names plus SEEDSEARCH_ALLOWED_HOSTS (a comma-separated list)."""
    extra = os.environ.get(ALLOWED_HOSTS_ENV, "")
    return [*LOOPBACK_NAMES, *(name.strip().lower() for name in extra.split(",") if name.strip())]


def init_app(app: Flask) -> None:
    app.config.setdefault("SEEDSEARCH_ALLOWED_HOSTS", allowed_hosts_from_env())
    public = app.config.get("SEEDSEARCH_PUBLIC_URL") or os.environ.get(PUBLIC_URL_ENV)
    app.config["SEEDSEARCH_PUBLIC_URL"] = (public or DEFAULT_PUBLIC_URL).rstrip("/")
    app.before_request(check_host)
    app.after_request(relative_redirect)
    app.after_request(add_headers)
