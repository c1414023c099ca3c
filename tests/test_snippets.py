"""Snippets: the best passage, the reader's word forms marked, no chrome, escaped."""

from __future__ import annotations

import pytest

from indexer import Config
from indexer.whoosh_engine import open_index, open_searcher
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.search.snippets import SNIPPET_CHARS

from .helpers import indexed_jsonl

CHROME = ("Email Article", "Print Article", "Share article", "Send Feedback", "Al Jazeera",
          "Topics in this article", "Featured on", "mailing list")


def snippet(config: Config, text: str) -> str:
    with open_searcher(open_index(config)) as searcher:
        return search(searcher, text).hits[0].snippet.html()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Config:
    folder = tmp_path_factory.mktemp("small")
    records = [
        {"id": "title-only", "title": "Volcano erupts near town",
         "text": "Ash covered the island for a week. " * 20},
        {"id": "markup", "title": "Tags", "text": "The <script>alert(1)</script> tag & friends."},
        {"id": "standfirst", "title": "Elsewhere", "text": "Nothing here."},
        {"id": "long", "title": "Long",
         "text": "Filler words here. " * 200 + "The harbour closed."},
    ]
    return indexed_jsonl(folder, records)


def test_readers_word_form_is_marked_not_the_stem(seed_config):
    html = snippet(seed_config, "kidnappings")
    assert "<mark>kidnapping</mark>" in html
    assert "<mark>kidnap</mark>" not in html


def test_accented_query_marks_the_unaccented_text(seed_config):
    assert "<mark>Pena</mark>" in snippet(seed_config, "Peña")


def test_snippet_shows_no_chrome(seed_config):
    for query in ("Washington", "Obama", "drug", "Pena Nieto", "security", "US president"):
        html = snippet(seed_config, query)
        assert not any(chrome in html for chrome in CHROME), (query, html)


def test_title_only_match_shows_the_title(small):
    assert snippet(small, "title:volcano") == "<mark>Volcano</mark> erupts near town"


def test_passage_is_found_deep_in_a_long_body(small):
    html = snippet(small, "harbour")
    assert "<mark>harbour</mark>" in html
    # whole sentences before the match, up to the end of the text: nothing cut
    assert html.startswith("Filler words here.")
    assert html.endswith("The <mark>harbour</mark> closed.")
    assert len(html.replace("<mark>", "").replace("</mark>", "")) <= SNIPPET_CHARS


def test_text_is_escaped_and_mark_is_the_only_markup(small):
    html = snippet(small, "script friends")
    assert "<script>" not in html
    assert "&lt;<mark>script</mark>&gt;" in html and "&amp;" in html
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_hit_without_matched_text_shows_the_lead(seed_config):
    html = snippet(seed_config, "date:2013")
    assert html.startswith("Pena Nieto set to meet Obama")
    assert "<mark>" not in html


def test_snippet_does_not_cut_words(seed_config):
    text = snippet(seed_config, "extortion").replace("<mark>", "").replace("</mark>", "")
    with open_index(seed_config).searcher() as searcher:
        body = searcher.document()["body"].replace("\n", " ")
    words = text.strip("…").split()
    assert words[0] in body.split() and words[-1] in body.split()
