"""The Flask front end, through Flask's test client against a real index on disk.

The web corpus (conftest.web_corpus) holds the seed article, a hostile article
(hostile.txt) and 24 harbour stories ports/00.txt..ports/23.txt dated 2000..2023,
so "harbour" matches 25 articles.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape

from indexer import open_index, open_searcher, search
from searchweb import create_app

from .conftest import HOSTILE_BODY, HOSTILE_TITLE, SEED_ID

SEED_TITLE = "Putting an end to Mexico's drug war?"
CONTRACT_KEYS = {"query", "total", "page", "per_page", "took_ms", "suggestion", "hits",
                 "filters", "facets", "timeline",  # these three added by facets, unbroken
                 "partial", "notice"}  # added with the time budget: true when it ran out, and why
HIT_KEYS = {"rank", "id", "score", "title", "section", "date", "path", "snippet", "duplicates"}
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
    with open_searcher(open_index(web_config)) as searcher:
        expected = search(searcher, args["q"], page=int(args.get("page", 1)),
                          per_page=int(args.get("per_page", 10)),
                          sort=args.get("sort", "relevance")).to_json()
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
    app.add_url_rule("/api/crash", "api_crash", crash)
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
