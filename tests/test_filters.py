"""Filters typed in the query (`section:`, `source:`, `year:`, `month:`, `date:`)
restrict the words beside them, rank as Whoosh would, and an empty page says
which filter value the corpus does not have (`indexer/explain.py`).

On a hand-made newsroom (sections "bbc / politics" ..., three sources, dates
over three years), an undated corpus with many sections, and the BBC and
Reuters collections."""

from __future__ import annotations

import shutil

import pytest
from whoosh import query as wq

from indexer import Config
from indexer.records import NO_FILTERS, Filters
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.search.explain import MAX_LISTED, MAX_VALUE_CHARS, why_empty
from indexer.whoosh_engine.search.facets import MAX_LISTED_VALUES, corpus_counts
from indexer.whoosh_engine.search.query import build_parser, parse
from indexer.whoosh_engine.search.query_filters import filters_apart
from indexer.whoosh_engine.search.scoring import top_results
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.store.readers import reading

from .helpers import indexed_jsonl, scraped_article, write

NEWSROOM = {  # id: (section, source, date, title, body)
    "pol1": ("bbc / politics", "Al Jazeera", "01 May 2013 10:00", "Harbour vote",
             "The harbour election was close."),
    "pol2": ("bbc / politics", "BBC News", "02 Mar 2014 10:00", "Election night",
             "An election, and nothing of ports."),
    "sp1": ("bbc / sport", "Al Jazeera", "03 Mar 2014 10:00", "Harbour derby",
            "Fans at the harbour cheered the derby."),
    "sp2": ("bbc / sport", "BBC News", "04 Apr 2014 10:00", "Harbour marathon",
            "The marathon ran by the harbour and the harbour wall."),
    "sp3": ("bbc / sport", "Reuters", "05 Jun 2014 10:00", "Cup final",
            "A cup final far from the sea."),
    "biz": ("Business", "Reuters", "06 Jan 2012 10:00", "Harbour fees rise",
            "Harbour fees rose, the port said."),
}


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Config:
    folder = tmp_path_factory.mktemp("newsroom")
    for name, parts in NEWSROOM.items():
        write(folder / "corpus", f"{name}.txt", newsroom_page(*parts))
    config = Config(corpus=folder / "corpus", index=folder / "index")
    sync(config)
    return config


def ids(results) -> set[str]:
    return {hit.id.removesuffix(".txt") for hit in results.hits}


def articles(results) -> int:
    """Matching articles (copies included), whether `total` counts stories or not."""
    return results.articles if results.articles is not None else results.total


def facet(results, name: str) -> dict[str, int]:
    return {value.value: value.count for value in getattr(results.facets, name)}


@pytest.mark.parametrize(("text", "expected"), [
    ("harbour section:sport", {"sp1", "sp2"}),
    ("section:sport harbour", {"sp1", "sp2"}),
    ("harbour section:politics", {"pol1"}),
    ('harbour section:"bbc / politics"', {"pol1"}),
    ("harbour section:'bbc / sport'", {"sp1", "sp2"}),
    ("harbour AND section:sport", {"sp1", "sp2"}),
    ("(section:sport OR section:business) harbour", {"sp1", "sp2", "biz"}),
    ("harbour -section:sport", {"pol1", "biz"}),
    ("harbour source:jazeera", {"pol1", "sp1"}),
    ('harbour source:"Al Jazeera"', {"pol1", "sp1"}),
    ('harbour source:"al-jazeera"', {"pol1", "sp1"}),
    ('source:"BBC News" harbour', {"sp2"}),
    ("harbour -source:jazeera", {"sp2", "biz"}),
    ("harbour year:2014", {"sp1", "sp2"}),
    ("harbour month:2014-03", {"sp1"}),
    ("harbour date:2014-03", {"sp1"}),
    ("harbour wall section:sport year:2014 source:bbc", {"sp2"}),
])
def test_filters_beside_words_restrict_and_rank_as_whoosh_does(newsroom, text, expected):
    """The filter keeps its articles; the words rank them; the array scorer ran
    (words apart, filters as a mask) and gave Whoosh's hits, order and scores."""
    with reading(newsroom) as searcher:
        ours = search(searcher, text, per_page=100)
        newest = search(searcher, text, per_page=100, sort="newest")
        parsed = parse(build_parser(searcher.schema), text)
        words, mask = filters_apart(searcher, parsed.query)
        fast = top_results(searcher, words, 100, mask)
        theirs = searcher.search(parsed.query, limit=None)
        their_ids = [hit["id"] for hit in theirs]
    assert ids(ours) == ids(newest) == expected
    assert articles(ours) == len(expected) and ours.notice is None
    assert fast is not None, "the array scorer ranked the words"
    assert fast.top_n == [(hit.score, hit.docnum) for hit in theirs]
    assert [hit.id for hit in ours.hits] == their_ids


def newsroom_page(section: str, source: str, when: str, title: str, body: str) -> str:
    return scraped_article(section, title, f"A standfirst about {title.lower()}.", when,
                           body).replace("News Site", source)


def test_filters_over_several_segments_with_deletions(newsroom, tmp_path):
    """An edited article (its old copy deleted) and a new one, in a second
    segment: the masks and Whoosh's matchers see each live article once."""
    config = Config(corpus=tmp_path / "corpus", index=tmp_path / "index")
    shutil.copytree(newsroom.corpus, config.corpus)
    shutil.copytree(newsroom.index, config.index)
    write(config.corpus, "sp1.txt", newsroom_page("bbc / sport", "Al Jazeera",
                                                  "03 Mar 2014 10:00", "Harbour derby again",
                                                  "Fans at the harbour cheered."))
    write(config.corpus, "sp4.txt", newsroom_page("bbc / sport", "Al Jazeera",
                                                  "09 Sep 2014 10:00", "Harbour swim",
                                                  "A swim in the harbour."))
    sync(config)
    with reading(config) as searcher:
        segments = list(searcher.reader().leaf_readers())
        assert len(segments) == 2 and segments[0][0].has_deletions()
        for text, expected in [("harbour section:sport", {"sp1", "sp2", "sp4"}),
                               ("source:jazeera", {"pol1", "sp1", "sp4"}),
                               ("year:2014 -section:politics", {"sp1", "sp2", "sp3", "sp4"}),
                               ("harbour source:jazeera month:2014-09", {"sp4"})]:
            for sort in ("relevance", "newest"):
                results = search(searcher, text, per_page=100, sort=sort)
                assert [hit.id for hit in results.hits].count("sp1.txt") <= 1, text
                assert ids(results) == expected and articles(results) == len(expected), text


@pytest.mark.parametrize("text", ["mexico -cuba", "mexico NOT cuba", "mexico ANDNOT cuba",
                                  "mexico -section:cuba"])
def test_not_excludes_when_the_banned_word_comes_first(tmp_path, text):
    """Whoosh's AndNotMatcher kept the first article of the words when an article
    before it held the banned word and it held it too (`query_filters.Without`)."""
    config = indexed_jsonl(tmp_path, [
        {"id": "d0", "title": "Cuba", "text": "Cuba.", "section": "cuba"},
        {"id": "d1", "title": "Mexico and Cuba", "text": "Mexico, Cuba.", "section": "cuba"},
        {"id": "d2", "title": "Mexico", "text": "Mexico.", "section": "mexico"}])
    with reading(config) as searcher:
        for sort in ("relevance", "newest"):
            assert [hit.id for hit in search(searcher, text, sort=sort).hits] == ["d2"], sort


@pytest.mark.parametrize(("text", "expected"), [
    ("section:sport", {"sp1", "sp2", "sp3"}),
    ('section:"bbc / politics"', {"pol1", "pol2"}),
    ("source:reuters", {"sp3", "biz"}),
    ("year:2014", {"pol2", "sp1", "sp2", "sp3"}),
    ("month:2014-03 section:sport", {"sp1"}),
    ("section:bbc -section:sport", {"pol1", "pol2"}),
])
def test_filters_alone_keep_their_articles(newsroom, text, expected):
    with reading(newsroom) as searcher:
        results = search(searcher, text, per_page=100)
    assert ids(results) == expected and articles(results) == len(expected)
    assert results.explanation is None


def test_words_in_one_part_still_rank_rather_than_filter(newsroom):
    """`title:` (like headline:, standfirst:, body:) says where a word counts:
    `title:derby harbour` is every harbour article, the derby first."""
    with reading(newsroom) as searcher:
        results = search(searcher, "title:derby harbour", per_page=100)
    assert ids(results) == {"pol1", "sp1", "sp2", "biz"}
    assert results.hits[0].id == "sp1.txt"


def test_facets_and_timeline_describe_the_filtered_articles(newsroom):
    with reading(newsroom) as searcher:
        results = search(searcher, "harbour section:sport")
        sourced = search(searcher, "harbour source:jazeera")
    assert facet(results, "section") == {"bbc / sport": 2}
    assert facet(results, "year") == {"2014": 2}
    assert facet(results, "source") == {"Al Jazeera": 1, "BBC News": 1}
    assert {bar.value for bar in results.facets.timeline if bar.count} == {"2014-03",
                                                                           "2014-04"}
    assert facet(sourced, "source") == {"Al Jazeera": 2}
    assert facet(sourced, "section") == {"bbc / politics": 1, "bbc / sport": 1}


@pytest.mark.parametrize(("text", "named"), [
    ("harbour year:abc", "year:abc"), ("harbour year:99999", "year:99999"),
    ("harbour year:٢٠٠٥", "year:٢٠٠٥"), ("harbour year:0000", "year:0000"),
    ("harbour year:201", "year:201"), ("harbour month:2014-13", "month:2014-13"),
    ("harbour month:2014-3", "month:2014-3"), ('harbour year:"20 14"', "year:20 14"),
])
def test_bad_filter_values_run_as_plain_words_with_a_notice(newsroom, text, named):
    with reading(newsroom) as searcher:
        results = search(searcher, text)
    assert results.notice and "plain words" in results.notice and named in results.notice
    assert "harbour" in results.notice


@pytest.mark.parametrize("text", [
    'harbour source:"!!"', 'harbour source:""', "harbour section:", "source:",
    "harbour date:٢٠٠٥", "harbour date:99999", "section:( harbour", 'section:"bbc',
])
def test_odd_filter_values_never_raise(newsroom, text):
    with reading(newsroom) as searcher:
        results = search(searcher, text)  # answered, not raised
    assert ids(results) <= set(NEWSROOM) and results.total >= len(results.hits)
    assert results.hits or results.notice or results.explanation  # an empty page says why


# ------------------------------------------------------------------ explanations

def explained(config: Config, text: str, filters: Filters = NO_FILTERS) -> str | None:
    with reading(config) as searcher:
        results = search(searcher, text, filters=filters)
        assert results.total == 0
        direct = why_empty(searcher, text, filters)
    assert results.explanation in (None, direct)
    return direct


def test_an_unknown_section_lists_the_sections_closest_first(newsroom):
    chosen = explained(newsroom, "harbour", Filters(section="politics"))
    assert chosen == ("No section is named 'politics'. Sections (closest first): "
                      "'bbc / politics' (2), 'bbc / sport' (3), 'Business' (1).")
    typed = explained(newsroom, "harbour section:politicks")
    assert typed.startswith("No section has the words 'politicks'. Sections (closest "
                            "first): 'bbc / politics' (2), ")
    with reading(newsroom) as searcher:
        assert search(searcher, "harbour section:politicks").explanation == typed


def test_an_unknown_source_lists_the_sources_closest_first(newsroom):
    chosen = explained(newsroom, "harbour", Filters(source="Jazeera"))
    assert chosen.startswith("No source is named 'Jazeera'. Sources (closest first): "
                             "'Al Jazeera' (2), ")
    typed = explained(newsroom, "harbour source:bloomberg")
    assert typed.startswith("No source has the words 'bloomberg'. Sources (closest first):")
    assert all(name in typed for name in ("'Al Jazeera' (2)", "'BBC News' (2)",
                                          "'Reuters' (2)"))


def test_a_year_or_month_without_articles_lists_the_nearest(newsroom):
    assert explained(newsroom, "harbour", Filters(year=2031)) == (
        "No article is dated 2031. Years (nearest first): 2014 (4), 2013 (1), 2012 (1).")
    assert explained(newsroom, "harbour year:2011") == (
        "No article matches year:2011. Years (nearest first): 2012 (1), 2013 (1), 2014 (4).")
    assert explained(newsroom, "harbour", Filters(month="2014-05")) == (
        "No article is dated 2014-05. Months (nearest first): 2014-04 (1), 2014-06 (1), "
        "2014-03 (2), 2013-05 (1), 2012-01 (1).")
    assert explained(newsroom, "harbour date:[2020 to 2030]").startswith(
        "No article matches date:[2020 to 2030]. Years (nearest first): 2014 (4), ")


def test_filters_that_exclude_each_other_or_the_words_say_so(newsroom):
    assert explained(newsroom, "harbour section:politics year:2012") == (
        "No article matches section:politics and year:2012 together, though each matches "
        "some on its own.")
    assert explained(newsroom, "marathon section:politics") == (
        "The words match 1 article, but none with section:politics.")
    assert explained(newsroom, "marathon", Filters(section="Business")) == (
        "The words match 1 article, but none with section 'Business'.")


def test_no_explanation_when_the_words_alone_find_nothing(newsroom):
    assert explained(newsroom, "volcano section:sport") is None
    assert explained(newsroom, "volcano", Filters(section="bbc / sport", year=2014)) is None
    assert explained(newsroom, "volcano") is None


MANY_SECTIONS = MAX_LISTED_VALUES + 5
LONG_SECTION = "Arts" + " and letters" * 30  # listed before the desks


@pytest.fixture(scope="module")
def undated(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """No dates, MAX_LISTED_VALUES + 5 sections (one of them very long)."""
    records = [{"id": f"d{n}", "title": f"Harbour note {n}", "text": "The harbour was calm.",
                "section": f"Desk {n:04d}"} for n in range(MANY_SECTIONS)]
    records.append({"id": "long", "title": "Harbour essay", "text": "Harbour.",
                    "section": LONG_SECTION})
    return indexed_jsonl(tmp_path_factory.mktemp("undated"), records)


@pytest.mark.parametrize(("text", "filters"), [
    ("harbour year:2013", NO_FILTERS), ("harbour date:2013", NO_FILTERS),
    ("harbour month:2013-05", NO_FILTERS), ("harbour", Filters(year=2013)),
    ("harbour", Filters(month="2013-05")),
])
def test_a_date_filter_on_an_undated_corpus_says_it_has_no_dates(undated, text, filters):
    explanation = explained(undated, text, filters)
    assert explanation.startswith("No article in this corpus has a date, so ")


def test_explanations_are_bounded(undated):
    with reading(undated) as searcher:
        counted = corpus_counts(searcher)
        explanation = why_empty(searcher, "harbour", Filters(section="Desk 99999"))
        long = why_empty(searcher, "harbour", Filters(section="Arts and letters"))
    assert len(counted.section) == MAX_LISTED_VALUES < MANY_SECTIONS + 1
    listed = explanation.split("(closest first): ", 1)[1]
    assert listed.count("'Desk ") == MAX_LISTED
    cut = LONG_SECTION[:MAX_VALUE_CHARS] + "…"
    assert long.startswith(f"No section is named 'Arts and letters'. Sections (closest first): "
                           f"{cut!r} (1), ")
    assert LONG_SECTION not in long


# ------------------------------------------------------------------ real collections

@pytest.fixture(scope="module")
def bbc(bbc_tree_index: Config) -> Config:
    return bbc_tree_index


def test_bbc_section_beside_a_word_keeps_that_section(bbc):
    """`section:sport chelsea` is the sport articles with "chelsea" (it was every
    sport article or Chelsea one, 515), counted four independent ways."""
    with reading(bbc) as searcher:
        typed = search(searcher, "section:sport chelsea")
        chosen = search(searcher, "chelsea", filters=Filters(section="sport"))
        every = search(searcher, "chelsea")
        chelsea = parse(build_parser(searcher.schema), "chelsea").query
        anded = len(searcher.search(wq.And([chelsea, wq.Term("section", "sport")]),
                                    limit=None))
        parsed = parse(build_parser(searcher.schema), "section:sport chelsea").query
        words, mask = filters_apart(searcher, parsed)
        fast = top_results(searcher, words, 1000, mask)
        theirs = searcher.search(parsed, limit=1000)
    assert articles(typed) == articles(chosen) == facet(every, "section")["sport"] == anded
    assert 0 < articles(typed) < articles(every) < 515
    assert [hit.id for hit in typed.hits] == [hit.id for hit in chosen.hits]
    assert facet(typed, "section") == {"sport": articles(typed)}
    assert fast is not None and fast.top_n == [(hit.score, hit.docnum) for hit in theirs]


def test_bbc_a_section_alone_and_its_explanation(bbc):
    with reading(bbc) as searcher:
        sport = search(searcher, "section:sport")
        wrong = search(searcher, "chelsea", filters=Filters(section="sports"))
    assert articles(sport) == 511 and facet(sport, "section") == {"sport": 511}
    assert wrong.explanation.startswith("No section is named 'sports'. Sections (closest "
                                        "first): 'sport' (511), ")


@pytest.fixture(scope="module")
def reuters(reuters_index: Config) -> Config:
    return reuters_index


def test_reuters_dates_typed_beside_words_still_restrict(reuters):
    with reading(reuters) as searcher:
        typed = search(searcher, "date:1987-03 opec")
        month = search(searcher, "month:1987-03 opec")
        chosen = search(searcher, "opec", filters=Filters(month="1987-03"))
        year = search(searcher, "opec year:1987")
        every = search(searcher, "opec")
        later = search(searcher, "opec year:1989")
    assert articles(typed) == articles(month) == articles(chosen) > 0
    assert [hit.id for hit in typed.hits] == [hit.id for hit in chosen.hits]
    assert all(hit.date.strftime("%Y-%m") == "1987-03" for hit in typed.hits)
    assert articles(year) == articles(every) > articles(typed)
    assert later.explanation == f"No article matches year:1989. Years (nearest first): " \
        f"1987 ({corpus_total(reuters):,})."


def corpus_total(config: Config) -> int:
    with reading(config) as searcher:
        return corpus_counts(searcher).year[0].count
