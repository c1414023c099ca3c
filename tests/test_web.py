"""The Flask front end, through Flask's test client against a real index on disk.

The web corpus (conftest.web_corpus) holds the seed article, a hostile article
(hostile.txt) and 24 harbour stories ports/00.txt..ports/23.txt dated 2000..2023,
so "harbour" matches 25 articles.
"""

from __future__ import annotations

import json
import os
import random
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import render_template_string
from markupsafe import escape

from indexer import Config, SearchRequest, open_engine
from indexer.records import MAX_RESULTS, Filters, SearchResults
from indexer.whoosh_engine import open_index, sync
from indexer.whoosh_engine.search.searching import LISTED_COPIES
from searchweb import create_app
from searchweb.paging import page_window
from searchweb.searches import PER_PAGE
from searchweb.suggestions import SUGGESTIONS

from .helpers import HOSTILE_BODY, HOSTILE_TITLE, SEED_ID, client_for, indexed_jsonl, write

SEED_TITLE = "Putting an end to Mexico's drug war?"
CONTRACT_KEYS = {"query", "total", "page", "per_page", "took_ms", "suggestion", "hits",
                 "filters", "facets", "timeline",  # these three added by facets, unbroken
                 "partial", "notice",  # added with the time budget: true when it ran out, and why
                 "articles", "total_exact", "explanation"}  # added with paging over stories
HIT_KEYS = {"rank", "id", "score", "title", "section", "date", "path", "snippet", "duplicates",
            "copies"}
HTML_PAGES = ["/", "/search?q=harbour", "/search?q=harbour&page=2", "/search?q=harbur",
              '/search?q="unclosed', f"/doc/{SEED_ID}", "/doc/hostile.txt?q=harbour",
              "/doc/ports/03.txt", "/doc/nope.txt", "/search?q=harbour&page=0", "/no/such/page"]
ALL_ROUTES = HTML_PAGES + ["/api/search?q=harbour", f"/api/doc/{SEED_ID}", "/api/doc/nope.txt",
                           "/api/search", "/opensearch.xml", "/healthz"]


class Page(HTMLParser):
    """A parsed HTML page: its start tags, links (with their text) and scripts."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.links: list[tuple[dict[str, str | None], str]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, list] = {}
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("a", "script"):
            self._open[tag] = [dict(attrs), ""]

    def handle_data(self, data: str) -> None:
        for element in self._open.values():
            element[1] += data

    def handle_endtag(self, tag: str) -> None:
        element = self._open.pop(tag, None)
        if element is not None:
            (self.links if tag == "a" else self.scripts).append((element[0], element[1]))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [found for name, found in self.tags
                if name == tag and all(found.get(key) == value for key, value in attrs.items())]

    def hrefs(self, prefix: str) -> list[tuple[str, str]]:
        return [(str(attrs["href"]), text.strip()) for attrs, text in self.links
                if str(attrs.get("href", "")).startswith(prefix)]

    def link(self, **attrs: str) -> str:
        (found,) = [a for a, _ in self.links if all(a.get(k) == v for k, v in attrs.items())]
        return str(found["href"])


def params(href: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}


def get_page(client, url: str, status: int = 200) -> tuple[str, Page]:
    response = client.get(url)
    assert response.status_code == status, url
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    return text, Page(text)


def result_titles(page: Page) -> list[str]:
    return [text for _, text in page.hrefs("/doc/")]


def error_message(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 400, url
    return response.get_json()["error"]["message"]


# ---------------------------------------------------------------- the home page and /search


def test_home_shows_a_labelled_autofocused_search_box_and_no_results(client):
    text, page = get_page(client, "/")
    (box,) = page.find("input", name="q")
    assert "autofocus" in box and box.get("value") == ""
    assert page.find("label", **{"for": str(box["id"])})
    assert page.find("form", role="search")
    assert not page.find("ol") and not page.hrefs("/doc/")
    assert "No results" not in text


def test_search_shows_the_count_and_keeps_the_query_in_the_box(client):
    text, page = get_page(client, "/search?q=harbour")
    assert re.search(r"<strong>25</strong>\s+results", text)
    (box,) = page.find("input", name="q")
    assert box["value"] == "harbour"
    assert re.search(r'class="took">\(\d+\.\d ms\)', text)


def test_search_results_link_to_their_articles_keeping_the_query(client):
    _, page = get_page(client, "/search?q=harbour")
    links = page.hrefs("/doc/")
    assert len(links) == 10
    assert "Harbour story number 0" in [title for _, title in links]
    for href, _ in links:
        assert re.fullmatch(r"/doc/ports/\d\d\.txt", urlsplit(href).path)
        assert params(href)["q"] == "harbour"


def test_search_snippets_mark_the_matched_words(client):
    text, _ = get_page(client, "/search?q=harbour")
    snippets = re.findall(r'<p class="snippet">(.*?)</p>', text, re.S)
    assert len(snippets) == 10
    assert all("<mark>harbour</mark>" in snippet for snippet in snippets)


def test_pagination_links_next_then_prev_and_next(client):
    _, first = get_page(client, "/search?q=harbour")
    assert params(first.link(rel="next")) == {"q": "harbour", "sort": "relevance", "page": "2"}
    assert not first.find("a", rel="prev")
    _, second = get_page(client, "/search?q=harbour&page=2")
    assert params(second.link(rel="prev"))["page"] == "1"
    assert params(second.link(rel="next"))["page"] == "3"
    _, last = get_page(client, "/search?q=harbour&page=3")
    assert not last.find("a", rel="next") and last.find("a", rel="prev")
    assert "Harbour story number 10" == result_titles(second)[0]


def test_sort_links_for_each_order_with_the_current_one_marked(client):
    _, page = get_page(client, "/search?q=harbour&sort=newest")
    sorts = {text: href for href, text in page.hrefs("/search?")
             if text in ("relevance", "newest", "oldest")}
    assert set(sorts) == {"relevance", "newest", "oldest"}
    for name, href in sorts.items():
        assert params(href) == {"q": "harbour", "sort": name}
    (current,) = page.find("a", **{"aria-current": "true"})
    assert params(str(current["href"]))["sort"] == "newest"
    assert page.find("input", type="hidden", name="sort", value="newest")


def test_sort_newest_puts_the_latest_story_first(client):
    _, page = get_page(client, "/search?q=harbour&sort=newest")
    titles = result_titles(page)
    assert titles[:2] == ["Harbour story number 23", "Harbour story number 22"]


def test_sort_oldest_puts_the_earliest_story_first(client):
    _, page = get_page(client, "/search?q=harbour&sort=oldest")
    assert result_titles(page)[:2] == ["Harbour story number 0", "Harbour story number 1"]


@pytest.mark.parametrize(("typo", "fixed"), [("harbur", "harbour"), ("mexco", "mexico")])
def test_a_misspelling_offers_did_you_mean(client, typo, fixed):
    text, page = get_page(client, f"/search?q={typo}")
    assert "No results for" in text and "Did you mean" in text
    suggested = [href for href, title in page.hrefs("/search?") if title == fixed]
    assert suggested and params(suggested[0])["q"] == fixed
    assert "check the spelling" in text


def test_no_results_shows_help_text(client):
    text, page = get_page(client, "/search?q=zeppelinxyzzy")
    assert "No results for" in text and "Try fewer or different words" in text
    assert not page.hrefs("/doc/")


def test_an_unparseable_query_shows_the_notice(client):
    text, _ = get_page(client, '/search?q="unclosed')
    assert re.search(r'<p class="notice"[^>]*>[^<]*quote is not closed', text)


def test_a_page_past_the_last_says_so(client):
    text, page = get_page(client, "/search?q=harbour&page=5")
    assert "past the last page" in text and not page.hrefs("/doc/")


def test_the_query_is_echoed_escaped(client):
    text, page = get_page(client, "/search?q=<script>alert(1)</script>")
    assert "<script>alert(1)" not in text
    assert page.find("input", name="q", value="<script>alert(1)</script>")


# ---------------------------------------------------------------- /doc/<id>


def test_article_page_shows_every_part(client):
    text, page = get_page(client, f"/doc/{SEED_ID}")
    assert re.search(r"<h1>Putting an end to Mexico(&#x27;|&#39;)s drug war\?</h1>", text)
    assert '<p class="section">Inside Story Americas</p>' in text
    assert page.find("time", datetime="2013-05-01T10:12:00") and "1 May 2013, 10:12" in text
    assert '<p class="standfirst">Pena Nieto set to meet Obama' in text
    paragraphs = client.get(f"/api/doc/{SEED_ID}").get_json()["paragraphs"]
    assert len(paragraphs) > 5
    assert text.count("\n  <p>") == len(paragraphs)
    assert "<mark>" not in text


def test_article_page_marks_the_query_words(client):
    text, _ = get_page(client, f"/doc/{SEED_ID}?q=mexico")
    marked = {word.lower() for word in re.findall(r"<mark>(.*?)</mark>", text)}
    assert marked == {"mexico", "mexico&#x27;s"}  # the possessive stems to mexico too
    assert "<h1>Putting an end to <mark>Mexico" in text


def test_article_page_links_back_to_the_results(client):
    _, page = get_page(client, "/doc/ports/03.txt?q=harbour&page=2&sort=newest")
    (back,) = [href for href, text in page.hrefs("/search") if "Back to results" in text]
    assert params(back) == {"q": "harbour", "page": "2", "sort": "newest"}
    assert page.find("input", name="q", value="harbour")


def test_article_page_without_a_query_offers_a_new_search(client):
    _, page = get_page(client, f"/doc/{SEED_ID}")
    assert ("/search", "← New search") in page.hrefs("/search")


def test_ids_with_a_slash_work(client):
    text, _ = get_page(client, "/doc/ports/03.txt?q=harbour")
    assert "<h1><mark>Harbour</mark> story number 3</h1>" in text
    assert "The <mark>harbour</mark> saw 3 ships today." in text


# ---------------------------------------------------------------- the JSON API


def test_api_search_keeps_the_json_contract(client):
    response = client.get("/api/search?q=harbour")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == CONTRACT_KEYS
    assert (body["query"], body["total"], body["page"], body["per_page"]) == ("harbour", 25, 1, 10)
    assert (body["articles"], body["total_exact"], body["explanation"]) == (25, True, None)
    assert body["suggestion"] is None and isinstance(body["took_ms"], float)
    assert len(body["hits"]) == 10
    assert all(set(hit) == HIT_KEYS for hit in body["hits"])
    assert [hit["rank"] for hit in body["hits"]] == list(range(1, 11))


def test_api_search_pages_with_per_page_and_page(client):
    body = client.get("/api/search?q=harbour&per_page=7&page=4").get_json()
    assert (body["page"], body["per_page"], body["total"]) == (4, 7, 25)
    assert [hit["rank"] for hit in body["hits"]] == [22, 23, 24, 25]


def test_api_search_suggests_a_spelling(client):
    body = client.get("/api/search?q=mexco").get_json()
    assert (body["total"], body["hits"], body["suggestion"]) == (0, [], "mexico")


@pytest.mark.parametrize("url_query", ["q=harbour&page=2", "q=harbour&sort=newest&per_page=5",
                                       "q=drug war"])
def test_api_search_answers_as_the_library_does(client, web_config, url_query):
    body = client.get(f"/api/search?{url_query}").get_json()
    args = params("?" + url_query)
    with open_engine(web_config) as engine:
        expected = engine.search(SearchRequest(args["q"], page=int(args.get("page", 1)),
                                               per_page=int(args.get("per_page", 10)),
                                               sort=args.get("sort", "relevance"))).to_json()
    assert [hit["id"] for hit in body["hits"]] == [hit["id"] for hit in expected["hits"]]
    body.pop("took_ms"), expected.pop("took_ms")
    assert body == expected


@pytest.mark.parametrize("url", ["/api/search", "/api/search?q=", "/api/search?q=%20%20"])
def test_api_search_without_q_is_a_json_400(client, url):
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.get_json()["error"]["message"].startswith("q is required")


def test_api_doc_returns_the_article(client):
    response = client.get(f"/api/doc/{SEED_ID}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    article = response.get_json()
    assert {"id", "title", "section", "standfirst", "date", "body", "paragraphs"} <= set(article)
    assert article["id"] == SEED_ID and article["title"] == SEED_TITLE
    assert article["section"] == "Inside Story Americas"
    assert article["date"] == "2013-05-01T10:12:00"
    assert article["standfirst"].startswith("Pena Nieto set to meet Obama")
    assert article["body"] == "\n\n".join(article["paragraphs"])
    assert article["paragraphs"][0].startswith("Barack Obama, the US president")


def test_api_doc_with_a_slash_in_the_id(client):
    article = client.get("/api/doc/ports/03.txt").get_json()
    assert (article["id"], article["title"]) == ("ports/03.txt", "Harbour story number 3")


def test_api_doc_unknown_id_is_a_json_404(client):
    response = client.get("/api/doc/nope.txt")
    assert response.status_code == 404 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == 404 and "nope.txt" in error["message"]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(("query", "parameter"), [
    ("q=harbour&page=0", "page"), ("q=harbour&page=abc", "page"),
    ("q=harbour&page=99999", "page"), ("q=harbour&page=-1", "page"),
    ("q=harbour&per_page=1000", "per_page"), ("q=harbour&per_page=0", "per_page"),
    ("q=harbour&sort=random", "sort"), ("q=" + "a" * 501, "q"),
])
def test_bad_parameters_are_400s_naming_the_parameter(client, query, parameter):
    message = error_message(client, f"/api/search?{query}")
    assert message.startswith(f"{parameter} ")
    if parameter != "per_page":  # the HTML search page has no per_page
        text, _ = get_page(client, f"/search?{query}", status=400)
        assert str(escape(message)) in text


def test_a_query_of_exactly_500_characters_is_allowed(client):
    assert client.get("/search?q=" + "a" * 500).status_code == 200


@pytest.mark.parametrize(("url", "status"), [
    ("/search?q=harbour&page=0", 400), ("/doc/nope.txt", 404), ("/no/such/page", 404)])
def test_html_errors_are_full_pages_in_the_site_style(client, url, status):
    text, page = get_page(client, url, status=status)
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert page.find("link", rel="stylesheet")
    assert page.find("form", role="search") and page.find("input", name="q")
    assert re.search(r'<section class="error">\s*<h1>(Bad request|Not found)</h1>', text)


def test_json_errors_under_api(client):
    response = client.get("/api/no/such/thing")
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json()["error"]["status"] == 404


@pytest.fixture
def no_index_client(tmp_path: Path):
    app = create_app({"corpus": tmp_path / "corpus", "index": tmp_path / "missing",
                      "TESTING": True})
    yield app.test_client()
    app.extensions["seedsearch"].close()


def test_no_index_yet_is_a_503_page_saying_how_to_build_it(no_index_client):
    text, page = get_page(no_index_client, "/search?q=x", status=503)
    assert "Index unavailable" in text and "seedsearch index" in text
    assert page.find("form", role="search") and page.find("link", rel="stylesheet")


@pytest.mark.parametrize("url", ["/api/search?q=x", "/healthz"])
def test_no_index_yet_is_a_json_503(no_index_client, url):
    response = no_index_client.get(url)
    assert response.status_code == 503 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == 503 and "seedsearch index" in error["hint"]


def test_the_home_page_works_without_an_index(no_index_client):
    assert no_index_client.get("/").status_code == 200


@pytest.fixture
def crashing_client(web_config):
    app = create_app({"corpus": web_config.corpus, "index": web_config.index, "TESTING": True})

    def crash():
        raise RuntimeError("secret detail")

    app.add_url_rule("/crash", "crash", crash)
    app.add_url_rule("/api/crash", "api.crash", crash)  # a view of the API blueprint
    yield app.test_client()
    app.extensions["seedsearch"].close()


def test_an_unexpected_error_is_a_500_page_naming_nothing_internal(crashing_client):
    text, page = get_page(crashing_client, "/crash", status=500)
    assert "Something went wrong" in text and page.find("form", role="search")
    assert "secret detail" not in text and "Traceback" not in text
    assert "RuntimeError" not in text


def test_an_unexpected_api_error_is_a_json_500(crashing_client):
    response = crashing_client.get("/api/crash")
    assert response.status_code == 500 and response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert "secret detail" not in text and "Traceback" not in text


# ---------------------------------------------------------------- /healthz and OpenSearch


def test_healthz_counts_the_documents(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {"status": "ok", "documents": 27}


def test_opensearch_description(client):
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.data)
    namespace = "{http://a9.com/-/spec/opensearch/1.1/}"
    templates = {url.get("type"): url.get("template") for url in root.iter(f"{namespace}Url")}
    # on the configured public address (by default the one `serve` listens on), not the Host
    assert templates["text/html"] == "http://127.0.0.1:8000/search?q={searchTerms}"
    assert "{searchTerms}" in templates["application/json"]
    assert templates["application/x-suggestions+json"] == \
        "http://127.0.0.1:8000/api/suggest?q={searchTerms}&format=opensearch"


@pytest.mark.parametrize("url", HTML_PAGES)
def test_every_html_page_links_the_opensearch_description(client, url):
    text = client.get(url).get_data(as_text=True)
    assert '<link rel="search"' in text
    (link,) = Page(text).find("link", rel="search")
    assert link["href"] == "/opensearch.xml"
    assert link["type"] == "application/opensearchdescription+xml"


# ---------------------------------------------------------------- security


@pytest.mark.parametrize("url", ALL_ROUTES)
def test_every_route_sends_the_security_headers(client, url):
    headers = client.get(url).headers
    policy = {part.split()[0]: part.split()[1:]
              for part in headers["Content-Security-Policy"].split(";")}
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]


def test_error_responses_send_the_security_headers_too(no_index_client, crashing_client):
    for response in (no_index_client.get("/search?q=x"), crashing_client.get("/crash")):
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", HTML_PAGES + ["/search?q=report", "/search?q=harbour&page=3"])
def test_no_inline_scripts_or_event_handlers(client, url):
    page = Page(client.get(url).get_data(as_text=True))
    assert page.scripts
    for attrs, body in page.scripts:
        assert attrs.get("src") and not body.strip()
    for _, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")]


def test_hostile_article_is_escaped_in_search_results(client):
    text, page = get_page(client, "/search?q=harbour&page=3")
    assert "hostile.txt" in [urlsplit(href).path[len("/doc/"):] for href, _ in page.hrefs("/doc/")]
    assert HOSTILE_TITLE in result_titles(page)
    assert "Harbour &lt;script&gt;alert(1)&lt;/script&gt; report" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert not page.find("img") and all(attrs.get("src") for attrs, _ in page.scripts)
    assert "<script>alert" not in text and "<img" not in text


def test_hostile_article_is_escaped_on_its_page(client):
    text, page = get_page(client, "/doc/hostile.txt?q=harbour")
    assert "<h1><mark>Harbour</mark> &lt;script&gt;alert(1)&lt;/script&gt; report</h1>" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text
    assert not page.find("img") and not page.find("b")
    assert all(attrs.get("src") for attrs, _ in page.scripts)
    assert "<script>alert" not in text and "<img" not in text


def test_hostile_article_in_api_search(client):
    body = client.get("/api/search?q=report").get_json()
    (hit,) = [hit for hit in body["hits"] if hit["id"] == "hostile.txt"]
    assert hit["title"] == HOSTILE_TITLE
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hit["snippet"]
    assert "<script>" not in hit["snippet"]
    assert re.sub(r"</?mark>", "", hit["snippet"]) == str(escape(HOSTILE_TITLE))
    body = client.get("/api/search?q=master").get_json()
    (hit,) = body["hits"]
    assert "&lt;img src=x" in hit["snippet"] and "<img" not in hit["snippet"]


def test_hostile_article_in_api_doc_is_the_raw_text_as_json(client):
    response = client.get("/api/doc/hostile.txt")
    assert response.mimetype == "application/json"
    article = response.get_json()
    assert article["title"] == HOSTILE_TITLE
    assert article["body"] == HOSTILE_BODY
    assert article["standfirst"] == "A standfirst with <b>bold</b> claims."


@pytest.mark.parametrize("url", ["/doc/../../etc/passwd", "/doc/..%2F..%2Fetc%2Fpasswd",
                                 "/doc/%2e%2e/%2e%2e/etc/passwd", "/api/doc/../../etc/passwd",
                                 "/api/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/doc//etc/passwd",
                                 "/doc/../hostile.txt", "/doc/./hostile.txt"])
def test_path_traversal_never_reads_a_file(client, url):
    # Werkzeug merges the double slash of /doc//etc/passwd with a redirect to
    # /doc/etc/passwd, which is then an unknown id like any other.
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 404
    assert all(urlsplit(step.location).path.startswith(("/doc/", "/api/doc/"))
               for step in response.history)
    text = response.get_data(as_text=True)
    assert "root:" not in text and HOSTILE_BODY not in text


# ---------------------------------------------------------------- queries that must never 500

ODD_QUERIES = [
    "", "   ", "AND", "OR", "NOT", "AND OR NOT", '"', '""', "(((", ")))", "title:", "section:",
    "date:[", "date:[2013 to", "date:]", "date:2099", "*", "?", "-", "+", "~", "^", "a*" * 100,
    "\x00", "harbour\x00", "Peña", "Ünïcödé", "北京", "🚢⚓", "a" * 500, "harbour" * 71,
    "title:(harbour", "-harbour", "--", "<script>", "%", "\\", "'", "{}[]",
    "date:[x TO y]", "date:[2013 TO y]", "date:[x to]",
]


@pytest.mark.parametrize("base", ["/search", "/api/search"])
@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_never_500(client, base, query):
    response = client.get(base, query_string={"q": query})
    assert response.status_code in (200, 400), (base, query, response.status_code)



# ---------------------------------------------------------------- stories, pages and feeds
# A folder of plain (undated) articles: one story in 3 near-identical copies, one in
# 12, and 119 distinct harbour notes (section "notes"), each file with a known mtime.

SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
FIRST_MTIME_NS = 1_600_000_000 * 10**9  # 2020-09-13; each file an hour after the one before
NOTES = 119


def made_up(rng: random.Random, count: int) -> str:
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
                    for _ in range(count))


def story_files() -> dict[str, str]:
    rng = random.Random(7)
    anchor = f"Divers lifted an old anchor from the harbour. {made_up(rng, 80)}"
    light = f"The lighthouse keeper retired. {made_up(rng, 80)}"
    files = {f"story/anchor-{n}.txt": "Old anchor found\n\n" + (
        anchor if n < 2 else anchor.replace("anchor from", "anchor off")) for n in range(3)}
    files |= {f"light/copy-{n:02d}.txt": f"Lighthouse keeper retires\n\n{light}"
              for n in range(12)}
    files |= {f"notes/{n:03d}.txt": f"Harbour note {made_up(rng, 1)}\n\nThe harbour log: "
              f"{made_up(rng, 30)}" for n in range(NOTES)}
    return files


def indexed_stories(folder: Path) -> Config:
    """The story files written under `folder`/corpus, an hour apart, and indexed."""
    for number, (name, text) in enumerate(sorted(story_files().items())):
        path = write(folder / "corpus", name, text + "\n")
        stamp = FIRST_MTIME_NS + number * 3600 * 10**9
        os.utime(path, ns=(stamp, stamp))
    config = Config(corpus=folder / "corpus", index=folder / "index")
    sync(config)
    return config


@pytest.fixture(scope="module")
def stories_config(tmp_path_factory) -> Config:
    return indexed_stories(tmp_path_factory.mktemp("web-stories"))


@pytest.fixture
def stories_client(stories_config):
    with client_for(stories_config) as client:
        yield client


def count_line(text: str) -> str:
    """The results line as a reader sees it: tags gone, spaces collapsed."""
    (line,) = re.findall(r'<p class="count">(.*?)</p>', text, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip()


def page_links(page: Page) -> list[tuple[str, str]]:
    """The numbered pages' (text, href), in order, with ("…", "") for a gap."""
    return [(text, str(attrs.get("href", ""))) for attrs, text in page.links
            if str(attrs.get("aria-label", "")).startswith("Page ")]


def window_of(text: str) -> list[str]:
    """The pagination's numbers and gaps, as shown."""
    (nav,) = re.findall(r'<nav class="pagination" aria-label="Pages">(.*?)</nav>', text, re.S)
    return re.findall(r'<li[^>]*>(?:<a[^>]*>)?([^<]+)', nav)


@pytest.mark.parametrize(("url", "line"), [
    ("/search?q=anchor", "3 articles in 1 story for anchor"),
    ("/search?q=harbour", "122 articles in 120 stories for harbour · page 1 of 12"),
    ("/search?q=lighthouse", "12 articles in 1 story for lighthouse"),
    ("/search?q=harbour&section=notes", "119 results for harbour · page 1 of 12"),
    ("/search?q=log", "119 results for log · page 1 of 12"),
])
def test_the_results_line_counts_articles_and_stories(stories_client, url, line):
    text, _ = get_page(stories_client, url)
    assert re.fullmatch(re.escape(line) + r" \(\d+\.\d ms\)", count_line(text)), count_line(text)


def test_a_count_over_the_best_candidates_only_says_at_least(app):
    at_least = SearchResults(query="x", total=160, page=1, per_page=10, took_ms=1.0,
                             articles=3657, total_exact=False)
    same = SearchResults(query="x", total=230, page=1, per_page=10, took_ms=1.0, articles=None)
    template = '{% from "paging.html" import counted %}{{ counted(results) }}'
    with app.test_request_context("/"):
        shown = [re.sub(r"<[^>]+>", "", render_template_string(template, results=results))
                 for results in (at_least, same)]
    assert shown == ["3,657 articles in at least 160 stories", "230 results"]


def test_a_story_with_copies_shows_them_folded_under_one_hit(stories_client):
    text, page = get_page(stories_client, "/search?q=anchor")
    assert len(re.findall(r'<li class="result">', text)) == 1
    (folded,) = re.findall(r'<details class="duplicates">(.*?)</details>', text, re.S)
    assert re.search(r"<summary>\+2 copies</summary>", folded)
    shown = {urlsplit(href).path for href, _ in page.hrefs("/doc/")}
    assert shown == {f"/doc/story/anchor-{n}.txt" for n in range(3)}
    assert "Every copy" not in folded  # both copies are listed


def test_more_copies_than_listed_link_to_the_articles_page(stories_client):
    text, page = get_page(stories_client, "/search?q=lighthouse")
    (folded,) = re.findall(r'<details class="duplicates">(.*?)</details>', text, re.S)
    assert "<summary>+11 copies</summary>" in folded
    assert len(re.findall(r"<li>", folded)) == LISTED_COPIES
    (every,) = [href for href, title in page.hrefs("/doc/") if title.startswith("Every copy")]
    assert urlsplit(every).fragment == "copies-title"
    _, article = get_page(stories_client, every.partition("#")[0])
    copies = {urlsplit(href).path for href, _ in article.hrefs("/doc/light/")}
    assert len(copies) == 11


def test_did_you_mean_shows_beside_hits_keeping_the_filters(stories_client):
    text, page = get_page(stories_client, "/search?q=harbour+anchr&section=story")
    assert "3 articles in 1 story" in count_line(text)
    (suggested,) = [href for href, title in page.hrefs("/search?") if title == "harbour anchor"]
    assert params(suggested) == {"q": "harbour anchor", "sort": "relevance", "section": "story"}


@pytest.mark.parametrize(("url", "section", "named"), [
    ("/search?q=harbour&section=nowhere", "nowhere", "'notes'"),  # the sections there are
    ("/search?q=date:2013", None, "date"),  # an undated corpus
    ("/search?q=zeppelinxyzzy", None, None),  # the words alone: nothing more to say
])
def test_an_empty_page_says_why_when_a_filter_explains_it(stories_client, stories_config, url,
                                                          section, named):
    with open_engine(stories_config) as engine:
        expected = engine.search(SearchRequest(parse_qs(urlsplit(url).query)["q"][0],
                                               filters=Filters(section=section))).explanation
    text, _ = get_page(stories_client, url)
    assert "No results for" in text
    shown = re.findall(r'<p class="explanation">(.*?)</p>', text, re.S)
    if named is None:
        assert expected is None and shown == []
    else:
        assert shown == [str(escape(expected))] and str(escape(named)) in shown[0]


def test_numbered_pages_show_a_window_keeping_the_query_and_filters(stories_client):
    text, page = get_page(stories_client, "/search?q=harbour&section=notes&page=6")
    assert window_of(text) == ["1", "…", "4", "5", "6", "7", "8", "…", "12"]
    for number, href in page_links(page):
        assert params(href) == {"q": "harbour", "sort": "relevance", "section": "notes",
                                "page": number}
    (current,) = page.find("a", **{"aria-current": "page"})
    assert params(str(current["href"]))["page"] == "6"
    assert params(page.link(rel="prev"))["page"] == "5"
    assert params(page.link(rel="next"))["page"] == "7"


def test_the_first_and_last_pages_link_no_further(stories_client):
    first_text, first = get_page(stories_client, "/search?q=harbour")
    assert window_of(first_text) == ["1", "2", "3", "…", "12"]
    assert not first.find("a", rel="prev")
    last_text, last = get_page(stories_client, "/search?q=harbour&page=12")
    assert window_of(last_text) == ["1", "…", "10", "11", "12"]
    assert not last.find("a", rel="next")
    assert last_text.count('<li class="result">') == 120 - 11 * 10


@pytest.fixture(scope="module")
def thousand_stories(tmp_path_factory) -> Config:
    """More stories than paging reaches (MAX_RESULTS), each distinct."""
    rng = random.Random(11)
    records = [{"id": f"item{n:04d}", "title": f"Zebra item {n}",
                "text": f"zebra {made_up(rng, 12)}"} for n in range(MAX_RESULTS + 10)]
    return indexed_jsonl(tmp_path_factory.mktemp("thousand"), records)


def test_pagination_stops_where_paging_does(thousand_stories):
    with client_for(thousand_stories) as client:
        text, page = get_page(client, "/search?q=zebra&page=100")
        assert count_line(text).startswith(
            "1,010 results for zebra · page 100 of 100 · showing the first 1,000 results")
        assert window_of(text) == ["1", "…", "98", "99", "100"]
        assert not page.find("a", rel="next")
        assert max(int(number) for number, _ in page_links(page)) == MAX_RESULTS // PER_PAGE
        assert client.get("/search?q=zebra&page=101").status_code == 400


@pytest.mark.parametrize(("current", "last", "window"), [
    (1, 1, [1]),
    (1, 2, [1, 2]),
    (1, 12, [1, 2, 3, None, 12]),
    (4, 12, [1, 2, 3, 4, 5, 6, None, 12]),
    (5, 12, [1, 2, 3, 4, 5, 6, 7, None, 12]),  # a gap of one page shows the page
    (6, 12, [1, None, 4, 5, 6, 7, 8, None, 12]),
    (12, 12, [1, None, 10, 11, 12]),
    (40, 12, [1, None, 10, 11, 12]),  # past the end: the last pages
    (50, 100, [1, None, 48, 49, 50, 51, 52, None, 100]),
])
def test_page_window(current, last, window):
    assert page_window(current, last) == window


def test_opensearch_suggestions_format(client):
    response = client.get("/api/suggest?q=harb&format=opensearch")
    assert response.status_code == 200
    assert response.mimetype == "application/x-suggestions+json"
    query, words, descriptions, urls = json.loads(response.get_data(as_text=True))
    assert query == "harb" and words[0] == "harbour"
    assert len(words) == len(descriptions) == len(urls)
    assert urls[0] == "http://127.0.0.1:8000/search?q=harbour"
    titles = [word for word, description in zip(words, descriptions, strict=True)
              if description == "Article"]
    assert len(titles) == SUGGESTIONS  # 25 articles match: the titles are capped
    assert all(url.startswith("http://127.0.0.1:8000/doc/") for url in urls[1:])


def test_opensearch_suggestions_are_on_the_public_url(web_config):
    app = create_app({"corpus": web_config.corpus, "index": web_config.index, "TESTING": True,
                      "SEEDSEARCH_PUBLIC_URL": "https://news.example/"})
    try:
        body = app.test_client().get("/api/suggest?q=harb&format=opensearch").get_json(force=True)
        assert body[3][0] == "https://news.example/search?q=harbour"
        description = app.test_client().get("/opensearch.xml").get_data(as_text=True)
        assert 'template="https://news.example/api/suggest?q={searchTerms}&amp;format=opensearch"' \
            in description
    finally:
        app.extensions["seedsearch"].close()


@pytest.mark.parametrize(("url", "answer"), [
    ("/api/suggest?q=&format=opensearch", ["", [], [], []]),
    ("/api/suggest?q=zzzzqqq&format=opensearch", ["zzzzqqq", [], [], []]),
])
def test_opensearch_suggestions_with_nothing_to_suggest(client, url, answer):
    response = client.get(url)
    assert response.mimetype == "application/x-suggestions+json"
    assert json.loads(response.get_data(as_text=True)) == answer


@pytest.mark.parametrize(("url", "parameter"), [
    ("/api/suggest?q=harb&format=xml", "format"),
    ("/api/suggest?format=opensearch&q=" + "a" * 501, "q"),
])
def test_bad_suggestion_requests_are_json_400s(client, url, parameter):
    assert error_message(client, url).startswith(parameter)


def test_the_page_suggestions_keep_their_shape(client):
    body = client.get("/api/suggest?q=harb").get_json()
    assert set(body) == {"query", "completions", "titles"} and body["completions"][0] == "harbour"
    assert len(body["titles"]) == SUGGESTIONS and set(body["titles"][0]) == {"id", "title"}


def feed_entries(client, url: str) -> tuple[str, dict[str, str]]:
    """The feed's <updated>, and each entry's, by article id."""
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = {entry.findtext(f"{atom}id").rpartition("/doc/")[2]: entry.findtext(f"{atom}updated")
               for entry in root.iter(f"{atom}entry")}
    return root.findtext(f"{atom}updated"), entries


def mtime_of(config: Config, doc_id: str) -> str:
    stamp = (config.corpus / doc_id).stat().st_mtime
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_feed_of_an_undated_corpus_dates_entries_by_their_files(stories_client, stories_config):
    updated, entries = feed_entries(stories_client, "/feed?q=harbour")
    assert len(entries) == 20
    assert entries == {doc_id: mtime_of(stories_config, doc_id) for doc_id in entries}
    assert len(set(entries.values())) == 20  # each file's own time, not one for all
    assert updated == max(entries.values())
    assert "1970" not in updated + "".join(entries.values())


def test_feed_of_a_dated_corpus_uses_the_articles_dates(client):
    updated, entries = feed_entries(client, "/feed?q=harbour")
    assert updated == entries["ports/23.txt"] == "2023-03-24T09:30:00Z"


def test_feed_without_entries_is_dated_by_the_last_commit(stories_client, stories_config):
    updated, entries = feed_entries(stories_client, "/feed?q=zeppelinxyzzy")
    assert entries == {}
    committed = open_index(stories_config).last_modified()
    assert updated == datetime.fromtimestamp(committed, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def test_the_feed_links_keep_the_filters(stories_client):
    _, page = get_page(stories_client, "/search?q=harbour&section=notes&page=2")
    (alternate,) = page.find("link", rel="alternate", type="application/atom+xml")
    follow = page.link(type="application/atom+xml")
    for href in (str(alternate["href"]), follow):
        assert urlsplit(href).path == "/feed"
        assert params(href) == {"q": "harbour", "section": "notes"}
