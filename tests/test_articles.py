"""Article parts from text: the scraped layout, the plain layout, clean_text and parse_date."""

from __future__ import annotations

from dataclasses import astuple
from datetime import datetime

import pytest

from indexer.articles import Parts, clean_text, parse_article_text, parse_date

from .helpers import SEED_ID, SEEDS

CHROME = ("Email Article", "Print Article", "Share article", "Send Feedback",
          "Topics in this article", "Featured on", "join our mailing list")
TEASERS = ("mealybugs", "investigative journalist", "Danish fighters", "cassava")


@pytest.fixture(scope="module")
def seed() -> Parts:
    raw = (SEEDS / SEED_ID).read_text(encoding="utf-8")
    return parse_article_text(clean_text(raw))


def text_parts(parts: Parts) -> list[str]:
    return [value for value in astuple(parts) if isinstance(value, str)]


# --- the scraped layout (the seed article) ---------------------------------

def test_seed_section(seed):
    assert seed.section == "Inside Story Americas"


def test_seed_title(seed):
    assert seed.title == "Putting an end to Mexico's drug war?"


def test_seed_standfirst(seed):
    assert seed.standfirst is not None
    assert seed.standfirst.startswith("Pena Nieto set to meet Obama")
    assert seed.standfirst.endswith("aim to shut out Washington.")


def test_seed_date(seed):
    assert seed.date == datetime(2013, 5, 1, 10, 12)


def test_seed_source(seed):
    assert seed.source == "Al Jazeera"


def test_seed_body_starts_and_ends_with_the_article(seed):
    assert seed.body.startswith("Barack Obama, the US president")
    assert seed.body.endswith("Barack Obama, US president")


def test_seed_body_holds_no_date_line(seed):
    assert "Last Modified" not in seed.body


@pytest.mark.parametrize("chrome", CHROME)
def test_seed_no_chrome_in_any_part(seed, chrome):
    for value in text_parts(seed):
        assert chrome.lower() not in value.lower()


@pytest.mark.parametrize("teaser", TEASERS)
def test_seed_no_teaser_in_any_part(seed, teaser):
    for value in text_parts(seed):
        assert teaser not in value


def test_seed_bullets_are_normalised(seed):
    bullets = [line for line in seed.body.split("\n") if "•" in line]
    assert bullets == [
        "• improving health and social services",
        "• preventing and treating drug addition",
        "• and creating jobs",
    ]


def test_seed_body_has_no_non_breaking_spaces_or_curly_quotes(seed):
    assert "\u00a0" not in seed.body
    assert "\u2019" not in seed.body
    assert "We've made great strides" in seed.body


def test_seed_body_keeps_paragraphs(seed):
    paragraphs = [p for p in seed.body.split("\n\n") if p.strip()]
    assert len(paragraphs) > 10
    assert paragraphs[1].startswith("The meeting between the two American leaders")


def test_scraped_layout_without_section():
    text = ("A headline\n\nA standfirst line.\n\nPublished: 2014-02-03T08:00:00Z\n"
            "Share article\n\nFirst paragraph.\n\nSecond paragraph.\n\n"
            "Example News\nEmail Article\nFeatured on Example News\nA teaser.")
    parts = parse_article_text(clean_text(text))
    assert parts.section is None
    assert parts.title == "A headline"
    assert parts.standfirst == "A standfirst line."
    assert parts.date == datetime(2014, 2, 3, 8, 0)
    assert parts.body == "First paragraph.\n\nSecond paragraph."
    assert parts.source == "Example News"


# --- the plain layout ------------------------------------------------------

PLAIN = ("Ad sales boost Time Warner profit\n\n"
         "Quarterly profits at US media giant TimeWarner jumped 76%.\n\n"
         "The firm, which is now one of the biggest investors in Google, benefited.\n")


def test_plain_layout_title_is_the_first_line():
    assert parse_article_text(clean_text(PLAIN)).title == "Ad sales boost Time Warner profit"


def test_plain_layout_body_is_the_paragraphs():
    parts = parse_article_text(clean_text(PLAIN))
    assert parts.body == (
        "Quarterly profits at US media giant TimeWarner jumped 76%.\n\n"
        "The firm, which is now one of the biggest investors in Google, benefited.")


def test_plain_layout_has_no_scraped_parts():
    parts = parse_article_text(clean_text(PLAIN))
    assert (parts.section, parts.standfirst, parts.date, parts.source) == (None, None, None, None)


def test_plain_layout_empty_text():
    parts = parse_article_text("")
    assert (parts.title, parts.body) == ("", "")


# --- clean_text -------------------------------------------------------------

def test_clean_text_nfc():
    cleaned = clean_text("Pen\u0303a Nieto")
    assert cleaned == "Peña Nieto"
    assert "\u0303" not in cleaned


def test_clean_text_non_breaking_space():
    assert clean_text("60,000\u00a0deaths") == "60,000 deaths"


def test_clean_text_curly_quotes_and_apostrophes():
    assert clean_text("\u201cWe\u2019ve\u201d \u2018said\u2019") == "\"We've\" 'said'"


@pytest.mark.parametrize("invisible", [
    "\u200b",  # zero-width space
    "\ufeff",  # zero-width no-break space (BOM)
    "\u00ad",  # soft hyphen
    "\u2060",  # word joiner
])
def test_clean_text_removes_zero_width_chars(invisible):
    assert clean_text(f"co{invisible}operation") == "cooperation"


def test_clean_text_crlf():
    assert clean_text("Title\r\n\r\nFirst line\r\nSecond line\r\n") == \
        "Title\n\nFirst line\nSecond line"


def test_clean_text_lone_cr_ends_a_line():
    assert clean_text("Title\r\rBody") == "Title\n\nBody"


def test_clean_text_bullets():
    assert clean_text("List:\n  - one\n * two\n\u25cf three") == "List:\n• one\n• two\n• three"


def test_clean_text_trims_line_ends_and_edges():
    assert clean_text("\n\n  Title   \nBody  \n\n") == "Title\nBody"


# --- parse_date -------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2013-05-01", datetime(2013, 5, 1)),
    ("2013-05-01T10:12:00", datetime(2013, 5, 1, 10, 12)),
    ("2013-05-01 10:12", datetime(2013, 5, 1, 10, 12)),
    ("2013-05-01T10:12:00Z", datetime(2013, 5, 1, 10, 12)),
    ("01 May 2013 10:12", datetime(2013, 5, 1, 10, 12)),
    ("  01 May 2013 10:12 ", datetime(2013, 5, 1, 10, 12)),
    ("1 September 2013 08:05", datetime(2013, 9, 1, 8, 5)),
    ("01 May 2013", datetime(2013, 5, 1)),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_parse_date_is_naive():
    parsed = parse_date("2013-05-01T10:12:00Z")
    assert parsed is not None and parsed.tzinfo is None


@pytest.mark.parametrize("text", ["", "yesterday", "32 May 2013 10:12", "2013-13-01"])
def test_parse_date_not_understood(text):
    assert parse_date(text) is None
