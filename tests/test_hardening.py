"""Web hardening: hostile input in every query position, odd methods, and
malformed or oversized requests against the real server (waitress)."""

from __future__ import annotations

import socket
import urllib.request
import xml.etree.ElementTree as ElementTree

import pytest

from .helpers import HOSTILE_ID, HOSTILE_PARTS, SEED_ID, serving_copy
from .test_web import ALL_ROUTES, Page

PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
            "javascript:alert(1)", "'-alert(1)-'", "</title><svg onload=alert(1)>"]
POSITIONS = ["/search?q={p}", "/search?q=harbour&page={p}", "/search?q=harbour&sort={p}",
             "/search?q=harbour&per_page={p}", "/search?q={p}&page=2", "/doc/{p}",
             f"/doc/{SEED_ID}?q={{p}}", "/api/search?q={p}", "/api/search?q=harbour&sort={p}",
             "/api/doc/{p}", "/opensearch.xml?{p}", "/{p}"]


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_in_any_position_is_never_markup(client, position, payload):
    url = position.format(p=urllib.request.quote(payload, safe=""))
    response = client.get(url)
    assert response.status_code < 500
    body = response.get_data(as_text=True)
    if response.mimetype == "application/json":
        return  # JSON is data: the page's JavaScript never inserts it as HTML
    if any(char in payload for char in "<>\"'"):
        assert payload not in body  # escaped wherever it is echoed
    assert_no_markup(body)


def assert_no_markup(body: str) -> None:
    page = Page(body)
    assert not page.find("img") and not page.find("iframe") and not page.find("i")
    assert all(attrs.get("class") == "bars" for attrs in page.find("svg"))  # our timeline only
    for attrs, script in page.scripts:
        assert attrs.get("src") and not script.strip()
    for _, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")]
        assert not str(attrs.get("href", "")).lower().startswith("javascript:")


HOSTILE_URLS = ["/search?q=blimp", "/search?q=blimp&sort=newest",
                f"/doc/{urllib.request.quote(HOSTILE_ID)}",
                f"/doc/{urllib.request.quote(HOSTILE_ID)}?q=blimp",
                "/search?q=blimp&section=" + urllib.request.quote(HOSTILE_PARTS[0])]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_text_in_every_article_part_and_id_is_escaped(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Blimp" in body or "blimp" in body
    assert_no_markup(body)


def test_hostile_articles_in_the_feed_stay_text(client):
    response = client.get("/feed?q=blimp+harbour+" + urllib.request.quote(PAYLOADS[0]))
    feed = ElementTree.fromstring(response.data)  # well-formed despite the payloads
    names = {element.tag for element in feed.iter()}
    assert all(name.startswith("{http://www.w3.org/2005/Atom}") for name in names), names
    titles = [entry.findtext("{http://www.w3.org/2005/Atom}title") for entry in
              feed.iter("{http://www.w3.org/2005/Atom}entry")]
    assert HOSTILE_PARTS[1] in titles  # the title as text, not markup


def test_hostile_articles_in_the_api_are_data(client):
    data = client.get("/api/search?q=blimp").get_json()
    assert data["hits"][0]["id"] == HOSTILE_ID
    assert data["hits"][0]["title"] == HOSTILE_PARTS[1]
    assert "<iframe" not in data["hits"][0]["snippet"]  # snippets are escaped HTML


@pytest.mark.parametrize("url", ALL_ROUTES)
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writing_methods_are_refused_with_405(client, url, method):
    response = client.open(url, method=method, data=b"x" * 1000)
    assert response.status_code == 405 or (url == "/no/such/page" and
                                           response.status_code == 404)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("url", ["/", "/search?q=harbour", "/api/search?q=harbour", "/healthz"])
def test_head_and_options_answer_without_a_body(client, url):
    head = client.head(url)
    assert head.status_code == 200
    assert head.data == b""
    options = client.options(url)
    assert options.status_code == 200
    assert "GET" in options.headers["Allow"]


@pytest.fixture(scope="module")
def server(web_config, tmp_path_factory):
    with serving_copy(web_config, tmp_path_factory.mktemp("hardened")) as base:
        yield int(base.rsplit(":", 1)[1])


def raw(port: int, request: bytes) -> bytes:
    """Send bytes as they are (no client library tidies them) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse before everything is sent
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


MALFORMED = {
    "garbage request line": b"NOT A REQUEST\r\n\r\n",
    "invalid UTF-8 in the query": b"GET /search?q=%ff%fe%80 HTTP/1.1\r\nHost: localhost\r\n"
                                  b"Connection: close\r\n\r\n",
    "raw invalid UTF-8 in the path": b"GET /doc/\xff\xfe HTTP/1.1\r\nHost: localhost\r\n"
                                     b"Connection: close\r\n\r\n",
    "a 1 MB header": b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 2**20 +
                     b"\r\nConnection: close\r\n\r\n",
    "a 100 KB URL": b"GET /search?q=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: localhost\r\n"
                    b"Connection: close\r\n\r\n",
    "a body that never comes": b"POST /api/search HTTP/1.1\r\nHost: localhost\r\n"
                               b"Content-Length: 999999999\r\nConnection: close\r\n\r\nabc",
    "a bad Content-Length": b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n"
                            b"Connection: close\r\n\r\n",
    "HTTP/0.9": b"GET /\r\n\r\n",
    "a NUL in the path": b"GET /search?q=a\x00b HTTP/1.1\r\nHost: localhost\r\n"
                         b"Connection: close\r\n\r\n",
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_requests_get_a_4xx_and_the_server_keeps_serving(server, name):
    answer = raw(server, MALFORMED[name])
    assert 200 <= status(answer) < 500, answer[:200]  # 400, 413, 431, or a page for what was read
    assert b"Traceback" not in answer
    with urllib.request.urlopen(f"http://127.0.0.1:{server}/healthz", timeout=5) as response:
        assert response.status == 200
