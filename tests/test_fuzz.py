"""Anything typed into the search box gets an answer: property-based tests.

Hypothesis throws arbitrary Unicode mixed with pieces of query syntax at the
query layer, the CLI and the web (page and API). The promise: never an
exception, a traceback or a 5xx, and long queries are cut with a notice.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.cli import cli
from indexer.query_text import MAX_QUERY_LENGTH, MAX_QUERY_WORDS
from indexer.whoosh_engine import open_index, open_searcher
from indexer.whoosh_engine.search.searching import search

SYNTAX = ['"', "(", ")", "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "-", "+", "*", "a*", "*a*",
          "g*d*w*r*", "?", "~", "harbour~", "harbour~999999", "^", "^-1", "harbour^1e308", ":",
          "title:", "title::", "section:", "body:(", "date:", "date:2013", "date:[", "date:]",
          "date:[2014 to 2013]", "date:[x TO y]", "date:[2013-13 to 2013-02-31]", "date:>2013",
          "date:1987-13-45", "{", "}", "[", "]", "TO", "\\", "'", "\x00", "\u202e", "\u200f",
          "\ufeff", "🙂", "👨‍👩‍👧", "שלום", "مرحبا", "Peña", "harbour", "Nieto", "%", "&",
          "<script>", "</p>", "&lt;", "\n", "\t", "\r\n", "#", "/", "../", "%00", "¿"]

queries = st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=12)), max_size=25).map(
    lambda parts: " ".join(parts) if len(parts) % 2 else "".join(parts))
huge = st.sampled_from([
    "harbour " * 2000,  # 2,000 words
    "x" * 10_000,  # 10,000 characters
    " ".join(f"w{n}*" for n in range(3000)),
    '"' * 5000 + "harbour",
    "(" * 3000 + "harbour",
])
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def searcher(web_config):
    with open_searcher(open_index(web_config)) as opened:
        yield opened


@FUZZ
@given(text=st.one_of(queries, huge), plain=st.booleans(),
       sort=st.sampled_from(["relevance", "newest", "oldest"]))
def test_query_layer_always_answers(searcher, text, plain, sort):
    results = search(searcher, text, sort=sort, plain=plain)  # answered, not raised
    assert len(results.hits) <= results.per_page and results.total >= len(results.hits)
    assert all(searcher.document_number(id=hit.id) is not None for hit in results.hits)
    answer = results.to_json()
    assert json.loads(json.dumps(answer)) == answer
    if len(text.split()) > MAX_QUERY_WORDS or len(text.strip()) > MAX_QUERY_LENGTH:
        assert results.notice and "Only the first" in results.notice


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.one_of(queries, huge).filter(lambda t: "\x00" not in t))
def test_cli_always_answers(web_config, text):
    # argv cannot carry NUL, so the CLI is fuzzed without it (the web gets it).
    result = CliRunner().invoke(cli, ["search", "--corpus", str(web_config.corpus), "--index",
                                      str(web_config.index), "--json", "--", text])
    assert "Traceback" not in result.output
    answer = json.loads(result.stdout)
    assert result.exit_code == (0 if answer["total"] else 1), result.output  # 1: nothing found
    assert result.exception is None or isinstance(result.exception, SystemExit)


@FUZZ
@given(text=st.one_of(queries, huge), page=st.sampled_from(["1", "2", "0", "-1", "x", "1e9", ""]),
       sort=st.sampled_from(["relevance", "newest", "bogus", ""]))
def test_web_page_and_api_always_answer(client, text, page, sort):
    options = {"q": text, "page": page, "sort": sort}
    page_response = client.get("/search", query_string=options)
    assert page_response.status_code in (200, 400), page_response.status_code
    assert b"Traceback" not in page_response.data
    api_response = client.get("/api/search", query_string=options)
    assert api_response.status_code in (200, 400), api_response.status_code
    assert api_response.is_json
