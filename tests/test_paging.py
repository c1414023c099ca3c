"""Pages count stories: copies of a story fold into one hit, and paging walks the
stories. At every page size, every page but the last is full, the last page is
the last with hits, each story is on exactly one page, and the pages together
list the same stories in the same order; on a folder of heavily copied
stories, on BBC and on Reuters, by relevance and by date, with filters, and
for more like this."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from indexer import Config, InvalidSetting
from indexer.cli import cli
from indexer.records import MAX_RESULTS, Filters, SearchResults
from indexer.whoosh_engine.search import explain, searching
from indexer.whoosh_engine.search.searching import FOLD_CANDIDATES, LISTED_COPIES, search
from indexer.whoosh_engine.search.similar import similar_to
from indexer.whoosh_engine.store.readers import reading

from .copied_stories import MOST_COPIES, STORIES, Story, indexed_copied_stories, matching

PAGE_SIZES = (1, 3, 7, 10, 25)
Fetch = Callable[[int, int], SearchResults]  # (page, per_page) -> that page


@dataclass(frozen=True)
class Walk:
    """Every page of one search at one page size, checked page by page."""

    first: SearchResults
    heads: list[str]  # the stories' kept hits, in page order
    groups: dict[str, list[str]]  # kept hit -> the copies it names


def walk(fetch: Fetch, per_page: int) -> Walk:
    """Ask for every page from the first to `last_page`, and check the invariants."""
    first = fetch(1, per_page)
    pages = [first] + [fetch(page, per_page) for page in range(2, first.last_page + 1)]
    for number, page in enumerate(pages, 1):
        assert (page.total, page.articles, page.total_exact) == (
            first.total, first.articles, first.total_exact)
        assert page.last_page == first.last_page
        if number < len(pages):
            assert len(page.hits) == per_page, f"page {number} of {len(pages)} is not full"
    assert pages[-1].hits or first.total == 0, "the last page is empty"
    after = first.last_page + 1
    if after * per_page <= MAX_RESULTS:
        assert fetch(after, per_page).hits == [], "a page after the last has hits"
    hits = [hit for page in pages for hit in page.hits]
    heads = [hit.id for hit in hits]
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))
    assert len(heads) == min(first.total, first.last_page * per_page)
    named = heads + [copy.id for hit in hits for copy in hit.duplicates]
    assert len(named) == len(set(named)), "an article is on two pages, or twice"
    assert all(hit.copies >= len(hit.duplicates) for hit in hits)
    assert first.articles is not None and first.articles >= first.total
    return Walk(first, heads, {hit.id: [copy.id for copy in hit.duplicates] for hit in hits})


def walks(fetch: Fetch, sizes: tuple[int, ...] = PAGE_SIZES) -> list[Walk]:
    """The walks at each page size: the same stories, in the same order, at every size."""
    done = [walk(fetch, size) for size in sizes]
    for one in done[1:]:
        shared = min(len(one.heads), len(done[0].heads))
        assert one.heads[:shared] == done[0].heads[:shared]
        assert one.first.total == done[0].first.total
        assert {head: one.groups[head] for head in one.heads[:shared]} == \
            {head: done[0].groups[head] for head in done[0].heads[:shared]}
    return done


def searching_for(searcher: Any, text: str, **options: Any) -> Fetch:
    return lambda page, per_page: search(searcher, text, page=page, per_page=per_page,
                                         budget=60.0, **options)


# ------------------------------------------------------------------ heavily copied stories

@pytest.fixture(scope="module")
def copied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, list[Story]]:
    return indexed_copied_stories(tmp_path_factory.mktemp("copied"))


def story_of(stories: list[Story]) -> dict[str, int]:
    return {doc_id: story.number for story in stories for doc_id in story.ids}


@pytest.mark.parametrize("word", ["report", "harbour", "storm", "ferry"])
def test_each_written_story_is_one_hit_and_total_counts_stories(copied, word):
    config, stories = copied
    expected = matching(stories, word)
    with reading(config) as searcher:
        results = search(searcher, word, per_page=100)
    numbers = story_of(stories)
    assert (results.total, results.articles, results.total_exact) == (
        len(expected), sum(len(story.ids) for story in expected), True)
    assert len(results.hits) == len(expected)
    assert {numbers[hit.id] for hit in results.hits} == {story.number for story in expected}
    by_number = {story.number: story for story in stories}
    for hit in results.hits:
        story = by_number[numbers[hit.id]]
        assert {numbers[copy.id] for copy in hit.duplicates} <= {story.number}
        assert hit.copies == len(story.ids) - 1
        assert len(hit.duplicates) == min(hit.copies, LISTED_COPIES)


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("text", ["report", "harbour OR storm", "ferry NOT storm",
                                  '"report" title:ferry'])
def test_pages_of_copied_stories_at_every_size(copied, sort, text):
    config, stories = copied
    with reading(config) as searcher:
        done = walks(searching_for(searcher, text, sort=sort))
    numbers = story_of(stories)
    heads = done[0].heads
    assert len({numbers[head] for head in heads}) == len(heads) == done[0].first.total


@pytest.mark.parametrize("sort", ["relevance", "newest"])
@pytest.mark.parametrize("filters, text", [
    (Filters(section="ports"), "report"), (Filters(year=2013), "report"),
    (Filters(), "report date:2013-05"), (Filters(section="weather"), "harbour OR ferry")])
def test_pages_with_filters_at_every_size(copied, sort, filters, text):
    config, stories = copied
    with reading(config) as searcher:
        done = walks(searching_for(searcher, text, sort=sort, filters=filters))
    numbers = story_of(stories)
    by_number = {story.number: story for story in stories}
    kept = [by_number[numbers[head]] for head in done[0].heads]
    assert kept and len(kept) == done[0].first.total
    if filters.section:
        assert {story.section for story in kept} == {filters.section}
    if filters.year or "date:" in text:
        assert all(story.dated for story in kept)


def test_newest_first_pages_keep_the_date_order(copied):
    config, _ = copied
    with reading(config) as searcher:
        hits = [hit for page in range(1, 8)
                for hit in search(searcher, "report", page=page, per_page=10,
                                  sort="newest").hits]
    dated = [hit.date for hit in hits if hit.date]
    assert len(hits) == STORIES and len(dated) == STORIES // 2
    assert dated == sorted(dated, reverse=True)
    assert all(hit.date for hit in hits[:len(dated)])  # undated stories last


def test_more_like_this_pages_over_stories(copied):
    config, stories = copied
    with reading(config) as searcher:
        docnum = searcher.document_number(id=stories[3].ids[0])
        done = walks(lambda page, per_page: similar_to(searcher, docnum, per_page=per_page,
                                                       page=page, budget=60.0), (1, 3, 7))
        with pytest.raises(InvalidSetting):
            similar_to(searcher, docnum, per_page=10, page=MAX_RESULTS)
    named = done[0].heads + [copy for copies in done[0].groups.values() for copy in copies]
    assert stories[3].ids[0] not in named
    assert done[0].heads[0] in stories[3].ids  # its own copies are the most alike


def test_a_limit_of_three_prints_three_stories(copied, runner):
    config, _ = copied
    done = runner.invoke(cli, ["search", "--corpus", str(config.corpus), "--index",
                               str(config.index), "--json", "--limit", "3", "report"],
                         catch_exceptions=False)
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert len(data["hits"]) == 3
    assert (data["total"], data["articles"], data["total_exact"]) == (STORIES, 888, True)
    assert all(len(hit["duplicates"]) == min(hit["copies"], LISTED_COPIES)
               for hit in data["hits"])


def test_a_hit_names_at_most_listed_copies_and_counts_them_all(copied):
    config, stories = copied
    with reading(config) as searcher:
        results = search(searcher, "report", per_page=100)
    (hit,) = [hit for hit in results.hits if hit.id in stories[0].ids]
    assert MOST_COPIES - 1 > LISTED_COPIES
    assert hit.copies == MOST_COPIES - 1 and len(hit.duplicates) == LISTED_COPIES
    data = hit.to_json()
    assert data["copies"] == MOST_COPIES - 1 and len(data["duplicates"]) == LISTED_COPIES


def test_hits_carry_their_files_mtime(copied):
    config, _ = copied
    with reading(config) as searcher:
        hits = search(searcher, "harbour", per_page=25).hits
    for hit in hits:
        stamp = os.stat(config.corpus / hit.id).st_mtime_ns
        assert hit.modified == datetime.fromtimestamp(stamp / 1e9, tz=UTC)


def test_past_fold_candidates_the_total_is_a_lower_bound(copied, monkeypatch):
    config, _ = copied
    with reading(config) as searcher:
        monkeypatch.setattr(searching, "FOLD_CANDIDATES", 40)
        monkeypatch.setattr(searching, "MAX_FOLD_CANDIDATES", 40)
        shallow = walks(searching_for(searcher, "report"), (1, 4))[0]
        monkeypatch.setattr(searching, "MAX_FOLD_CANDIDATES", 400)
        deeper = walks(searching_for(searcher, "report"), (1, 4))[0]
        monkeypatch.undo()
        whole = search(searcher, "report", per_page=100)
    assert FOLD_CANDIDATES > 888
    assert (shallow.first.articles, deeper.first.articles, whole.articles) == (888, 888, 888)
    assert not shallow.first.total_exact and not deeper.first.total_exact
    assert whole.total_exact and whole.total == STORIES
    assert 1 < shallow.first.total < deeper.first.total < STORIES
    # folding deeper only adds stories after those already found
    assert deeper.heads[:len(shallow.heads)] == shallow.heads
    assert [hit.id for hit in whole.hits][:len(deeper.heads)] == deeper.heads


def test_no_hits_with_filters_asks_why(copied, monkeypatch):
    config, _ = copied
    asked: list[tuple[str, Filters]] = []

    def why_empty(searcher, text, filters):  # the explanation's own tests are elsewhere
        asked.append((text, filters))
        return f"nothing for {text}"

    monkeypatch.setattr(explain, "why_empty", why_empty)
    with reading(config) as searcher:
        filtered = search(searcher, "harbour", filters=Filters(section="nowhere"))
        typed = search(searcher, "harbour date:1999")
        found = search(searcher, "harbour", filters=Filters(section="ports"))
        unfiltered = search(searcher, "xylophone")
    assert (filtered.total, filtered.explanation) == (0, "nothing for harbour")
    assert filtered.to_json()["explanation"] == "nothing for harbour"
    assert (typed.total, typed.explanation) == (0, "nothing for harbour date:1999")
    assert found.total and found.explanation is None
    assert unfiltered.total == 0 and unfiltered.explanation is None
    assert asked == [("harbour", Filters(section="nowhere")), ("harbour date:1999", Filters())]
    assert unfiltered.to_json()["articles"] == 0


# ------------------------------------------------------------------ BBC and Reuters

@pytest.fixture(scope="module")
def bbc(bbc_tree_index: Config) -> Config:
    return bbc_tree_index


@pytest.mark.parametrize("sort", ["relevance", "newest"])
@pytest.mark.parametrize("text", ["growth", "gordon brown"])
def test_bbc_pages_of_stories(bbc, sort, text):
    with reading(bbc) as searcher:
        done = walks(searching_for(searcher, text, sort=sort))
        sport = walks(searching_for(searcher, text, sort=sort, filters=Filters(section="sport")),
                      (1, 7, 10))
    first = done[0].first
    assert first.total_exact and first.articles > first.total  # BBC holds copies
    assert sport[0].first.total <= first.total


@pytest.fixture(scope="module")
def reuters(reuters_index: Config) -> Config:
    return reuters_index


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_reuters_opec_every_article_is_on_a_page_at_every_size(reuters, sort):
    with reading(reuters) as searcher:
        done = walks(searching_for(searcher, "opec", sort=sort), PAGE_SIZES + (100,))
    first = done[0].first
    assert first.total_exact and first.articles > first.total
    for one in done:
        named = set(one.heads) | {copy for copies in one.groups.values() for copy in copies}
        if all(len(copies) < LISTED_COPIES for copies in one.groups.values()):
            assert len(named) == first.articles


@pytest.mark.parametrize("sort, sizes", [("relevance", (7, 25, 100)), ("newest", (25, 100))])
def test_reuters_broad_query_pages_to_the_last_reachable_story(reuters, sort, sizes):
    with reading(reuters) as searcher:
        done = walks(searching_for(searcher, "said", sort=sort), sizes)
    first = done[0].first
    assert first.total >= MAX_RESULTS and not first.total_exact
    assert first.articles > FOLD_CANDIDATES
    for one in done:
        assert one.first.last_page == MAX_RESULTS // one.first.per_page
