"""Snippets of hard-wrapped text (wire copy wrapped at about 60 characters): lines
joined into sentences, paragraphs kept apart, "…" where a sentence was cut."""

from __future__ import annotations

import gzip
import json
import re
import textwrap
from itertools import islice

import pytest

from indexer import Config
from indexer.snippets_text import passage_around
from indexer.whoosh_engine import open_index, open_searcher
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.search.snippets import SNIPPET_CHARS, SNIPPET_WINDOW_CHARS

from .helpers import CORPORA, indexed_jsonl, needs_shared

SENTENCES = [
    "Showers continued throughout the week in the Bahia cocoa zone, alleviating the "
    "drought since early January and improving prospects for the coming harvest.",
    "Arrivals for the week ended February 22 were 155,221 bags of 60 kilos, making a "
    "cumulative total for the season of 5.93 mln against 5.81 at the same stage last year.",
    "Exporters said the lighthouse cargo was delayed by the strike at the port of Ilheus.",
    "Comissaria Smith said there is still some doubt as to how much old crop cocoa is "
    "still available as harvesting has practically come to an end.",
]
OTHER = [
    "Brazilian exporters expect the lighthouse shipments to resume next week, "
    "traders in Sao Paulo said on Thursday after the talks.",
    "The harvest was put at 7.8 mln bags by the trade, against 6.9 mln forecast "
    "earlier this year by most dealers in the market.",
]
TAIL = "The second paragraph speaks of zeppelins and nothing else at all, for a while."


def wire(paragraphs: list[str], indent: str = "    ") -> str:
    """Reuters' layout: lines wrapped at 60 characters, each new paragraph indented."""
    return "\n".join(indent + textwrap.fill(text, 60) if number else textwrap.fill(text, 60)
                     for number, text in enumerate(paragraphs))


def plain(html: str) -> str:
    return re.sub(r"</?mark>", "", html).replace("&quot;", '"').replace("&#x27;", "'") \
        .replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def assert_one_tidy_line(html: str) -> None:
    text = plain(html)
    assert "\n" not in html and "  " not in text, html
    assert text == text.strip() and not text.lstrip("…").startswith(" "), html
    assert not text.rstrip("…").endswith(" "), html
    assert "<mark>" in html, html


def whole_or_cut(html: str, body: str | None = None) -> None:
    """Starts at a sentence start or with "…"; ends at a sentence end, at the end of
    its paragraph in `body`, or with "…"."""
    text = plain(html)
    assert text.startswith("…") or text[0].isupper() or text[0].isdigit() or text[0] in "\"'", html
    if text.endswith("…") or text[-1] in ".!?\"')":
        return
    assert body is not None, html
    last = r"\s+".join(map(re.escape, text.split()[-4:]))
    assert re.search(last + r"(?:\s*$|\n[ \t]*\n|\n[ \t]+\S|\n• )", body), html


@pytest.fixture(scope="module")
def wrapped(tmp_path_factory: pytest.TempPathFactory) -> Config:
    long_sentence = " ".join(f"word{n}" for n in range(400)) + " needle " + \
        " ".join(f"more{n}" for n in range(400)) + "."
    records = [
        {"id": "wire", "title": "Cocoa review", "date": "1987-02-26",
         "text": wire([" ".join(SENTENCES), TAIL])},
        {"id": "blank", "title": "Cocoa again",
         "text": textwrap.fill(" ".join(OTHER), 60) + "\n\n" + textwrap.fill(TAIL, 60)},
        {"id": "long", "title": "One long sentence", "text": textwrap.fill(long_sentence, 60)},
        {"id": "bullets", "title": "Bullets",
         "text": "Points made:\n• The quayside crane broke down\n• A tugboat sank"},
        {"id": "far", "title": "Far",
         "text": "Opening words. " + "plain " * (SNIPPET_WINDOW_CHARS // 6 + 10) + "beacon end."},
    ]
    return indexed_jsonl(tmp_path_factory.mktemp("wrapped"), records)


def snippets(config: Config, query: str) -> dict[str, str]:
    with open_searcher(open_index(config)) as searcher:
        return {hit.id: hit.snippet.html() for hit in search(searcher, query).hits}


def test_wrapped_lines_are_joined_into_sentences(wrapped):
    found = snippets(wrapped, "lighthouse")
    assert set(found) == {"wire", "blank"}
    for html in found.values():
        assert_one_tidy_line(html)
        whole_or_cut(html)
        assert len(plain(html)) > 60  # more than the one physical line it was on
    assert "Exporters said the <mark>lighthouse</mark> cargo was delayed by the strike at " \
           "the port of Ilheus." in found["wire"]
    assert found["blank"].startswith("Brazilian exporters expect the <mark>lighthouse</mark> "
                                     "shipments to resume next week, traders in Sao Paulo")


def test_a_paragraph_break_is_not_crossed(wrapped):
    wire_html = snippets(wrapped, "practically")["wire"]  # the last words of paragraph one
    assert_one_tidy_line(wire_html)
    assert "zeppelins" not in wire_html and wire_html.endswith("come to an end.")
    blank_html = snippets(wrapped, "dealers")["blank"]
    assert "zeppelins" not in blank_html and blank_html.endswith("dealers</mark> in the market.")
    found = snippets(wrapped, "zeppelins")
    assert set(found) == {"wire", "blank"}
    for html in found.values():  # the second paragraph alone, from its first word
        assert plain(html) == TAIL


def test_bullets_stay_apart(wrapped):
    html = snippets(wrapped, "crane")["bullets"]
    assert html == "• The quayside <mark>crane</mark> broke down"


def test_a_sentence_too_long_is_cut_between_words_with_ellipses(wrapped):
    html = snippets(wrapped, "needle")["long"]
    assert_one_tidy_line(html)
    text = plain(html)
    assert text.startswith("…") and text.endswith("…")
    words = text.strip("…").split()
    assert re.fullmatch(r"word\d+", words[0]) and re.fullmatch(r"more\d+", words[-1])
    assert len(text) <= SNIPPET_CHARS + 2


def test_a_sentence_start_past_the_window_is_not_looked_for(wrapped):
    """SNIPPET_WINDOW_CHARS: the opening sentence is further back than the passage
    may look, so the passage starts between words, cut."""
    html = snippets(wrapped, "beacon")["far"]
    assert "Opening" not in html and html.startswith("…plain") and html.endswith("end.")
    text = "Opening words. " + "plain " * (SNIPPET_WINDOW_CHARS // 6) + "beacon end."
    first = text.index("beacon")
    passage = passage_around(text, first, first + 6)
    assert passage.cut_start and passage.start >= first - SNIPPET_CHARS
    near = passage_around("Opening words. plain plain beacon end.", 27, 33)
    assert (near.start, near.cut_start) == (0, False)  # within the window: found


def test_the_lead_of_wrapped_text_is_one_line(wrapped):
    html = snippets(wrapped, "date:1987")["wire"]
    assert "\n" not in html and "<mark>" not in html
    assert html.startswith("Showers continued throughout the week in the Bahia")
    assert html.endswith("…") or html.endswith(".")
    assert len(html) <= SNIPPET_CHARS + 1


def test_offsets_still_point_at_the_matched_words(wrapped):
    for query in ("bahia", "kilos", "cumulative", "crop cocoa", "february"):
        for html in snippets(wrapped, query).values():
            marked = re.findall(r"<mark>(.*?)</mark>", html)
            assert marked and all(word.lower() in query.split() or word.lower().startswith(
                tuple(query.split())) for word in marked), (query, html)


REUTERS_ARTICLES = 2000
REUTERS_QUERIES = ("cocoa", "oil prices", "opec", "dollar", "bank rate", "wheat exports",
                   "coffee quota", "trade deficit")


@pytest.fixture(scope="module")
def reuters_part(tmp_path_factory: pytest.TempPathFactory) -> Config:
    corpus = needs_shared(CORPORA / "reuters21578" / "corpus.jsonl.gz")
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in islice(lines, REUTERS_ARTICLES)]
    return indexed_jsonl(tmp_path_factory.mktemp("reuters-snippets"), records)


def test_reuters_snippets_are_tidy_sentences(reuters_part):
    seen = 0
    with open_searcher(open_index(reuters_part)) as searcher:
        for query in REUTERS_QUERIES:
            for hit in search(searcher, query).hits:
                html = hit.snippet.html()
                body = searcher.document(id=hit.id)["body"]
                assert "\n" in body.strip()  # the stored text is hard-wrapped
                assert_one_tidy_line(html)
                whole_or_cut(html, body)
                joined = " ".join(body.split())
                for piece in plain(html).split("…"):
                    assert piece.strip() in joined, (query, hit.id, html)
                seen += 1
    assert seen >= 50


def test_reuters_snippets_run_past_one_wrapped_line(reuters_part):
    with open_searcher(open_index(reuters_part)) as searcher:
        lengths = [len(plain(hit.snippet.html())) for hit in search(searcher, "cocoa").hits]
    assert min(lengths) > 60 and max(lengths) > 150
