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
import re
from collections.abc import Iterable

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
MAX_PORT = 65535
# A name or IPv4 address (labels of letters, digits, "-" and "_", one trailing dot at
# most), or [IPv6]; then an optional port. ASCII only: an IDN arrives punycoded.
HOST = re.compile(r"(?:(?P<name>(?:[a-z0-9_-]+\.)*[a-z0-9_-]+\.?)|\[(?P<ipv6>[0-9a-f:.]+)\])"
                  r"(?::(?P<port>[0-9]{1,5}))?", re.ASCII)
# `scheme://authority` (or `//authority`) at the start of a URL.
AUTHORITY_PREFIX = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*", re.ASCII)
# An absolute-form request target's authority (a target "//x/y" is a path).
ABSOLUTE_TARGET = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?P<authority>[^/?#]*)", re.ASCII)


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def relative_redirect(response: Response) -> Response:
    """A redirect names a path on this same server only, never the Host it was asked as.

    Werkzeug builds its own redirects (a merged double slash, say) on the request's
    Host, in whatever case or form the client wrote it, so any `scheme://authority`
    is cut, and leading slashes are merged: `//evil.example/` (or `/\\evil.example/`)
    would be another site to a browser. Browsers resolve a path against the page asked.
    """
    location = response.headers.get("Location")
    if location:
        path = AUTHORITY_PREFIX.sub("", location, count=1)
        if path != location or location.startswith(("//", "/\\")):
            response.headers["Location"] = "/" + path.lstrip("/\\")
    return response


def host_name(host: str) -> str:
    """The name in a Host header value, without its port, lowercased (lenient: for the
    names given on the command line; requests go through `parse_host`)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def parse_host(value: str) -> str | None:
    """The lowercased name (or address) in a Host value, or None when it is malformed.

    Strict, so that what is checked is what Werkzeug and the browser saw: a DNS name or
    IPv4 address (one trailing dot at most) or a bracketed IPv6 address, then an optional
    `:` and a port of 1-5 ASCII digits up to 65535. `localhost:abc`, `localhost:`,
    `[::1`, `[::1]evil.example` and `evil..example` are refused, not guessed at.
    """
    found = HOST.fullmatch(value.lower())
    if found is None or found["port"] is not None and int(found["port"]) > MAX_PORT:
        return None
    if found["ipv6"] is None:
        return found["name"]
    try:
        return str(ipaddress.IPv6Address(found["ipv6"]))
    except ValueError:
        return None


def is_allowed(name: str, allowed: Iterable[str]) -> bool:
    allowed = set(allowed)
    if ANY_HOST in allowed or name.removesuffix(".") in allowed:
        return True
    if IP_LITERALS in allowed:  # no DNS name is involved, so no rebinding
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False
    return False


def authority_asked() -> str | None:
    """The host a request asks for: its target's authority when the target is absolute
    (`GET http://evil.example/ HTTP/1.1`, which RFC 9112 3.2.2 says wins over the Host
    header), else its Host header.

    waitress 3.0 answers an absolute target with PATH_INFO set to its path alone and
    keeps the target as sent in REQUEST_URI; Werkzeug then reads HTTP_HOST only.
    """
    target = ABSOLUTE_TARGET.match(request.environ.get("REQUEST_URI", ""))
    if target is not None:
        return target["authority"]
    return request.headers.get("Host")


def check_host() -> tuple[Response | str, int] | None:
    """Refuse a request whose Host seedsearch does not serve under (a 400 naming it)."""
    sent = authority_asked()
    if sent is None:
        if request.environ.get("SERVER_PROTOCOL") == "HTTP/1.1":  # RFC 9112 3.2: a 400
            return error_response(400, "An HTTP/1.1 request must send a Host header.")
        return None  # HTTP/1.0 without a Host: not a browser, so no rebinding
    name = parse_host(sent)
    if name is not None and is_allowed(name, current_app.config["SEEDSEARCH_ALLOWED_HOSTS"]):
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
