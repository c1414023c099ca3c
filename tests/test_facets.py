"""Facets, filters, the timeline and the Atom feed: on hand-made articles, on
the BBC tree (sections from folders) and on Reuters (real 1987 dates); and
every news feature (copies, more like this, suggestions) on both collections."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime

import pytest

from indexer import Config
from indexer.cli import cli
from indexer.records import Filters
from indexer.whoosh_engine.search.duplicates import copies_of
from indexer.whoosh_engine.search.query import build_parser, parse
from indexer.whoosh_engine.search.query_filters import filters_apart
from indexer.whoosh_engine.search.scoring import top_results
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.search.similar import similar
from indexer.whoosh_engine.search.suggest import completions
from indexer.whoosh_engine.store.readers import reading

from .helpers import client_for, indexed_jsonl
from .test_web import get_page, params

ATOM = "{http://www.w3.org/2005/Atom}"
ARTICLES = [
    {"id": f"a{n}", "title": f"Harbour story {n}", "text": f"The harbour and its ships, {n}.",
     "section": section, "date": date}
    for n, (section, date) in enumerate([
        ("World", "2012-03-01T08:00:00"), ("World", "2013-05-02T08:00:00"),
        ("Business", "2013-05-20T08:00:00"), ("Business", "2013-11-20T08:00:00"),
        ("Business", "2014-01-05T08:00:00"), ("Sport", None)])
] + [{"id": "other", "title": "Volcano", "text": "Ash.", "section": "World",
      "date": "2015-01-01T00:00:00"}]


@pytest.fixture(scope="module")
def harbour(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return indexed_jsonl(tmp_path_factory.mktemp("harbour"), ARTICLES)


def articles(results) -> int:
    """Matching articles: facets count articles, `total` counts stories (copies folded)."""
    return results.articles if results.articles is not None else results.total


def facet(results, name: str) -> dict[str, int]:
    return {value.value: value.count for value in getattr(results.facets, name)}


def test_facets_count_every_matching_article_not_only_the_page(harbour):
    with reading(harbour) as searcher:
        results = search(searcher, "harbour", per_page=2)
    assert articles(results) == 6 and len(results.hits) == 2
    assert facet(results, "section") == {"Business": 3, "World": 2, "Sport": 1}
    assert facet(results, "year") == {"2012": 1, "2013": 3, "2014": 1}
    assert results.to_json()["facets"]["section"][0] == {"value": "Business", "count": 3}


@pytest.mark.parametrize(("filters", "ids"), [
    (Filters(section="Business"), {"a2", "a3", "a4"}),
    (Filters(year=2013), {"a1", "a2", "a3"}),
    (Filters(month="2013-05"), {"a1", "a2"}),
    (Filters(section="Business", year=2013), {"a2", "a3"}),
    (Filters(section="Nowhere"), set()),
])
def test_filters_keep_only_their_articles(harbour, filters, ids):
    for sort in ("relevance", "newest"):
        with reading(harbour) as searcher:
            results = search(searcher, "harbour", filters=filters, per_page=100, sort=sort)
        assert {hit.id for hit in results.hits} == ids
        assert articles(results) == len(ids)
        assert sum(facet(results, "section").values()) == len(ids)


def test_the_same_filters_on_a_phrase_query_whoosh_runs(harbour):
    with reading(harbour) as searcher:
        results = search(searcher, '"harbour story"', filters=Filters(year=2013))
    assert {hit.id for hit in results.hits} == {"a1", "a2", "a3"}
    assert facet(results, "year") == {"2013": 3}


@pytest.mark.parametrize("text", [
    "harbour date:2013", "harbour ships date:2013-05", "date:[2013-05-02 to 2013-11-20] harbour",
    "harbour date:[2013-05-03 to]", "harbour date:2013 date:2013-05", "harbour date:1999",
])
def test_dates_in_the_query_keep_whoosh_s_hits_order_and_total(harbour, text):
    """Words beside `date:` ranges are scored by the array scorer, the ranges
    turned into a mask: the same articles in the same order, with the same
    scores, as Whoosh gives (a filter adds nothing to a score)."""
    with reading(harbour) as searcher:
        parsed = parse(build_parser(searcher.schema), text)
        words, mask = filters_apart(searcher, parsed.query)
        fast = top_results(searcher, words, 10, mask)
        assert mask is not None and fast is not None  # the fast path ran
        ours = search(searcher, text)
        theirs = searcher.search(parsed.query, limit=None)
        assert [hit.id for hit in ours.hits] == [hit["id"] for hit in theirs]
        assert fast.top_n == [(hit.score, hit.docnum) for hit in theirs][:10]  # scores too
        assert articles(ours) == len(theirs)
        assert sum(facet(ours, "year").values()) == articles(ours)


def test_timeline_by_year_over_long_spans_with_empty_years(harbour):
    with reading(harbour) as searcher:
        results = search(searcher, "harbour OR volcano")
    assert results.facets.timeline_unit == "year"
    assert [(bar.value, bar.count) for bar in results.facets.timeline] == [
        ("2012", 1), ("2013", 3), ("2014", 1), ("2015", 1)]


def test_timeline_by_month_over_short_spans(harbour):
    with reading(harbour) as searcher:
        results = search(searcher, "harbour", filters=Filters(year=2013))
    assert results.facets.timeline_unit == "month"
    bars = {bar.value: bar.count for bar in results.facets.timeline}
    assert list(bars)[0] == "2013-05" and list(bars)[-1] == "2013-11"
    assert bars["2013-05"] == 2 and bars["2013-08"] == 0 and bars["2013-11"] == 1


def test_cli_filters_and_text_timeline(harbour, runner):
    options = ["--corpus", str(harbour.corpus), "--index", str(harbour.index)]
    done = runner.invoke(cli, ["search", *options, "--section", "Business", "--timeline",
                               "harbour"], catch_exceptions=False)
    assert done.exit_code == 0
    assert "3 results" in done.output
    assert "Matching articles by month:" in done.output or "by year" in done.output
    assert " 2013 " in done.output or "2013-05" in done.output
    bad = runner.invoke(cli, ["search", *options, "--month", "2013-13", "harbour"])
    assert bad.exit_code == 2 and "--month" in bad.output


@pytest.fixture
def harbour_client(harbour):
    with client_for(harbour) as client:
        yield client


def test_page_facet_links_filter_and_can_be_removed(harbour_client):
    _, page = get_page(harbour_client, "/search?q=harbour")
    (business,) = [href for href, text in page.hrefs("/search") if text.startswith("Business")]
    assert params(business)["section"] == "Business"
    text, filtered = get_page(harbour_client, business)
    assert "<strong>3</strong> results" in text
    (chosen,) = filtered.find("a", **{"class": "chosen"})
    assert "section" not in params(str(chosen["href"]))


def test_page_timeline_bars_link_to_their_period(harbour_client):
    text, page = get_page(harbour_client, "/search?q=harbour")
    bars = [attrs for attrs in page.find("a", **{"class": "bar"})]
    assert [bar["aria-label"] for bar in bars][:2] == ["2012: 1 article", "2013: 3 articles"]
    text, _ = get_page(harbour_client, str(bars[1]["href"]))
    assert "<strong>3</strong> results" in text


def test_bad_filter_parameters_are_400s_naming_them(harbour_client):
    for url, name in [("/api/search?q=harbour&year=abc", "year"),
                      ("/api/search?q=harbour&month=2013-5", "month")]:
        response = harbour_client.get(url)
        assert response.status_code == 400
        assert name in response.get_json()["error"]["message"]


def test_atom_feed_newest_first_and_valid(harbour_client, harbour):
    response = harbour_client.get("/feed?q=harbour")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)
    for name in ("id", "title", "updated"):
        assert feed.find(ATOM + name).text
    entries = feed.findall(ATOM + "entry")
    assert len(entries) == 6
    updated = [entry.find(ATOM + "updated").text for entry in entries]
    dated, undated = updated[:5], updated[5]  # undated last, as sort=newest puts them
    assert dated[0] == "2014-01-05T08:00:00Z" and dated == sorted(dated, reverse=True)
    mtime = datetime.fromtimestamp(harbour.corpus.stat().st_mtime, UTC)
    assert undated == mtime.strftime("%Y-%m-%dT%H:%M:%SZ")  # its file's time, never 1970
    assert feed.find(ATOM + "updated").text == max(updated)
    for entry in entries:
        for name in ("id", "title", "updated", "summary"):
            assert entry.find(ATOM + name) is not None, name
        # absolute links are on the public address, never the Host a request sent
        assert entry.find(ATOM + "link").get("href").startswith("http://127.0.0.1:8000/doc/")
    _, page = get_page(harbour_client, "/search?q=harbour")
    assert page.find("link", rel="alternate", type="application/atom+xml")


def test_feed_escapes_hostile_text(client):
    response = client.get("/feed?q=harbour")
    assert b"<script>" not in response.data
    ElementTree.fromstring(response.data)  # still well-formed XML


# ------------------------------------------------------------------ real collections


@pytest.fixture(scope="module")
def bbc(bbc_tree_index: Config) -> Config:
    return bbc_tree_index


def test_bbc_sections_come_from_folders(bbc):
    with reading(bbc) as searcher:
        results = search(searcher, "said")
        sport = search(searcher, "said", filters=Filters(section="sport"))
    sections = facet(results, "section")
    assert set(sections) == {"business", "entertainment", "politics", "sport", "tech"}
    assert sum(sections.values()) == articles(results)
    assert articles(sport) == sections["sport"]
    assert all(hit.section == "sport" for hit in sport.hits)


@pytest.fixture(scope="module")
def reuters(reuters_index: Config) -> Config:
    return reuters_index


def test_reuters_1987_by_month_and_a_month_filter(reuters):
    with reading(reuters) as searcher:
        results = search(searcher, "oil")
        march = search(searcher, "oil", filters=Filters(month="1987-03"))
    assert facet(results, "year") == {"1987": articles(results)}
    assert results.facets.timeline_unit == "month"
    bars = {bar.value: bar.count for bar in results.facets.timeline}
    assert articles(march) == bars["1987-03"] > 0
    assert all(hit.date.strftime("%Y-%m") == "1987-03" for hit in march.hits)


def test_reuters_year_filter(reuters):
    with reading(reuters) as searcher:
        every = search(searcher, "oil")
        in_1987 = search(searcher, "oil", filters=Filters(year=1987))
        in_1986 = search(searcher, "oil", filters=Filters(year=1986))
    assert articles(in_1987) == articles(every) > 1000
    assert in_1986.total == 0 and in_1986.hits == []


def test_reuters_reissues_fold_into_one_hit(reuters):
    with reading(reuters) as searcher:
        results = search(searcher, "Andreotti coalition bid")  # a story sent twice
        folded = [hit for hit in results.hits if hit.duplicates]
        assert folded, "a re-issued Reuters story folds into its first copy"
        assert all(hit.title == copy.title for hit in folded for copy in hit.duplicates)
        docnum = searcher.document_number(id=folded[0].id)
        copies = {searcher.stored_fields(n)["id"] for n in copies_of(searcher, docnum)}
    assert {copy.id for copy in folded[0].duplicates} <= copies


@pytest.mark.parametrize("collection", ["bbc", "reuters"])
def test_feed_similar_and_completions_on_real_collections(collection, request):
    config = request.getfixturevalue(collection)
    with reading(config) as searcher:
        first = search(searcher, "government").hits[0]
        like = similar(searcher, first.id)
        assert like is not None and like.hits
        assert first.id not in [hit.id for hit in like.hits]
        assert "government" in completions(searcher, "governm", "english")
    with client_for(config) as client:
        feed = ElementTree.fromstring(client.get("/feed?q=government").data)
    updated = [entry.find(ATOM + "updated").text for entry in feed.findall(ATOM + "entry")]
    assert len(updated) == 20 and updated == sorted(updated, reverse=True)


def test_source_facet_from_scraped_pages(seed_config, runner):
    with reading(seed_config) as searcher:
        results = search(searcher, "kidnappings")
        other = search(searcher, "kidnappings", filters=Filters(source="Elsewhere"))
    assert facet(results, "source") == {"Al Jazeera": 1}
    assert other.total == 0
    done = runner.invoke(cli, ["search", "--corpus", str(seed_config.corpus), "--index",
                               str(seed_config.index), "--source", "Al Jazeera", "--json",
                               "kidnappings"], catch_exceptions=False)
    assert '"total": 1' in done.output and '"source": "Al Jazeera"' in done.output
