"""The web page in a real browser (Debian's chromium via Playwright) against `seedsearch serve`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .helpers import ROOT, indexed_jsonl, serving_copy
from .test_duplicates import ARTICLES as COPIES
from .test_web import indexed_stories

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def server(web_config, tmp_path_factory):
    with serving_copy(web_config, tmp_path_factory.mktemp("served")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: install Debian's chromium (.ci/run does)")
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    yield page
    context.close()
    assert errors == [], errors


def search_from_home(page, server, words):
    page.goto(server + "/")
    page.get_by_label("Search the articles").fill(words)
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")


def test_type_a_query_and_see_highlighted_results(page, server):
    search_from_home(page, server, "Peña Nieto")
    assert "1 result" in page.locator(".count").inner_text()
    first = page.locator(".result").first
    assert first.locator("h2").inner_text() == "Putting an end to Mexico's drug war?"
    marks = first.locator(".snippet mark").all_inner_texts()
    assert "Pena" in marks and "Nieto" in marks
    assert page.get_by_label("Search the articles").input_value() == "Peña Nieto"


def test_slash_focuses_the_search_box(page, server):
    page.goto(server + "/search?q=harbour")
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"


def test_open_an_article_and_go_back(page, server):
    search_from_home(page, server, "kidnappings")
    page.locator(".result h2 a").first.click()
    page.wait_for_url("**/doc/**")
    assert page.locator("article h1").inner_text() == "Putting an end to Mexico's drug war?"
    assert "kidnapping" in page.locator("article mark").all_inner_texts()
    assert page.locator("article .section").text_content() == "Inside Story Americas"
    page.get_by_role("link", name="Back to results").click()
    page.wait_for_url("**/search?**")
    assert page.locator(".result").count() == 1


def test_paginate(page, server):
    search_from_home(page, server, "harbour")
    first_page = page.locator(".result h2").all_inner_texts()
    assert len(first_page) == 10
    page.locator("a[rel=next]").click()
    page.wait_for_url("**page=2**")
    second_page = page.locator(".result h2").all_inner_texts()
    assert len(second_page) == 10 and not set(first_page) & set(second_page)
    assert "page 2 of 3" in page.locator(".count").inner_text()
    assert page.locator(".pagination [aria-current=page]").inner_text() == "2"
    page.locator("a[rel=prev]").click()
    page.wait_for_url("**page=1**")
    assert page.locator(".result h2").all_inner_texts() == first_page


def test_change_the_sort(page, server):
    search_from_home(page, server, "harbour")
    page.get_by_role("link", name="newest").click()
    page.wait_for_url("**sort=newest**")
    assert page.locator(".result h2").first.inner_text() == "Harbour story number 23"
    page.get_by_role("link", name="oldest").click()
    page.wait_for_url("**sort=oldest**")
    assert page.locator(".result h2").first.inner_text() == "Harbour story number 0"
    page.locator("a[rel=next]").click()
    page.wait_for_url("**page=2**")
    assert "sort=oldest" in page.url


def test_hostile_article_shows_as_text(page, server):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    search_from_home(page, server, "harbour master")
    assert "<script>alert(1)</script>" in page.locator(".result h2").first.inner_text()
    page.locator(".result h2 a").first.click()
    page.wait_for_url("**/doc/hostile.txt**")
    assert '"><img src=x onerror=alert(1)>' in page.locator("article").inner_text()
    assert page.locator("article img").count() == 0 and dialogs == []


def test_filter_by_a_section_facet_then_remove_it(page, server):
    search_from_home(page, server, "harbour")
    page.locator(".facet-section a", has_text="Ports").click()
    page.wait_for_url("**section=Ports**")
    assert "12 results" in page.locator(".count").inner_text()
    assert set(page.locator(".result .section").all_inner_texts()) == {"Ports"}
    page.locator(".facet-section a.chosen").click()
    page.wait_for_url(lambda url: "section=" not in url)
    assert "25 results" in page.locator(".count").inner_text()  # the hostile one too


def test_click_a_timeline_bar(page, server):
    search_from_home(page, server, "harbour")
    page.locator(".timeline a.bar[aria-label^='2005:']").click()
    page.wait_for_url("**year=2005**")
    assert "1 result" in page.locator(".count").inner_text()
    assert page.locator(".result time").first.get_attribute("datetime").startswith("2005")


def test_pick_a_suggestion_while_typing(page, server):
    page.goto(server + "/")
    page.get_by_label("Search the articles").press_sequentially("harb", delay=50)
    completion = page.locator(".suggestions .completion").first
    completion.wait_for()
    assert completion.inner_text() == "harbour"
    assert page.locator(".suggestions .title").count() > 0
    completion.click()
    page.wait_for_url("**/search?q=harbour**")
    assert "25 results" in page.locator(".count").inner_text()


def test_the_search_box_works_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    page.get_by_label("Search the articles").fill("harbour")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=harbour**")
    assert "25 results" in page.locator(".count").inner_text()
    assert page.locator(".facet-section a").count() > 0
    context.close()


@pytest.fixture(scope="module")
def copies_server(tmp_path_factory):
    config = indexed_jsonl(tmp_path_factory.mktemp("copies-corpus"), COPIES)
    with serving_copy(config, tmp_path_factory.mktemp("copies-served")) as base:
        yield base


def test_expand_a_group_of_copies(page, copies_server):
    search_from_home(page, copies_server, "anchor harbour")
    group = page.locator(".result details.duplicates").first
    assert not group.locator("li").first.is_visible()
    group.locator("summary").click()
    assert group.locator("li").count() == 2 and group.locator("li").first.is_visible()
    group.locator("li a").first.click()
    page.wait_for_url("**/doc/**")
    assert "Copies of this story" in page.locator(".copies").inner_text()


def open_suggestions(page, server, words="harb"):
    """The home page with `words` typed and the suggestions shown; the box and options."""
    page.goto(server + "/")
    box = page.get_by_role("combobox", name="Search the articles")
    box.press_sequentially(words, delay=50)
    page.get_by_role("listbox", name="Suggestions").wait_for()
    options = page.get_by_role("option")
    return box, [options.nth(n).get_attribute("id") for n in range(options.count())]


def selected(page) -> list[str]:
    return [option.get_attribute("id")
            for option in page.locator("[role=option][aria-selected=true]").all()]


def test_the_suggestions_are_an_aria_combobox(page, server):
    box, ids = open_suggestions(page, server)
    assert len(ids) == 6 and len(set(ids)) == 6  # "harbour", then five titles
    assert page.get_by_role("option", name="harbour", exact=True).get_attribute("id") == ids[0]
    assert page.get_by_role("option", name=re.compile(r", article$")).count() == 5
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-autocomplete") == "list"
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    assert listbox.get_attribute("role") == "listbox"
    assert box.get_attribute("aria-activedescendant") is None and selected(page) == []
    for wanted in [*ids, ids[0]]:  # down through every option, then round to the first
        box.press("ArrowDown")
        assert box.get_attribute("aria-activedescendant") == wanted
        assert selected(page) == [wanted]
        assert page.evaluate("document.activeElement.id") == "q"  # the focus stays in the box
    box.press("ArrowUp")  # above the first: back to the text typed
    assert box.get_attribute("aria-activedescendant") is None and selected(page) == []
    box.press("ArrowUp")  # and from the text to the last
    assert box.get_attribute("aria-activedescendant") == ids[-1]


def test_down_down_up_enter_picks_the_first_suggestion(page, server):
    box, ids = open_suggestions(page, server)
    for key in ("ArrowDown", "ArrowDown", "ArrowUp"):
        box.press(key)
    assert box.get_attribute("aria-activedescendant") == ids[0]
    box.press("Enter")
    page.wait_for_url("**/search?q=harbour**")
    assert "25 results" in page.locator(".count").inner_text()


def test_enter_on_a_title_opens_its_article(page, server):
    box, ids = open_suggestions(page, server)
    for key in ("ArrowDown", "ArrowDown", "ArrowDown", "ArrowUp"):
        box.press(key)
    title = page.locator("#" + ids[1]).inner_text()
    box.press("Enter")
    page.wait_for_url("**/doc/**")
    assert page.locator("article h1").inner_text() == title


def test_escape_closes_the_suggestions_then_empties_the_box(page, server):
    box, ids = open_suggestions(page, server)
    box.press("ArrowDown")
    box.press("Escape")
    assert page.locator("#suggestions").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-activedescendant") is None
    assert box.input_value() == "harb"
    box.press("ArrowDown")  # the list opens again, on its first option
    assert page.locator("#suggestions").is_visible()
    assert box.get_attribute("aria-activedescendant") == ids[0]
    box.press("Escape")
    box.press("Escape")
    assert box.input_value() == "" and page.locator("#suggestions").is_hidden()


def test_enter_without_a_chosen_suggestion_searches_for_the_text(page, server):
    box, _ = open_suggestions(page, server, "harbour")
    box.press("Enter")
    page.wait_for_url("**/search?q=harbour")
    assert "25 results" in page.locator(".count").inner_text()


@pytest.fixture(scope="module")
def stories_server(tmp_path_factory):
    config = indexed_stories(tmp_path_factory.mktemp("stories-corpus"))
    with serving_copy(config, tmp_path_factory.mktemp("stories-served")) as base:
        yield base


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_results_page_screenshots(browser, stories_server, width, height):
    """A query whose best hit has copies and whose last word is misspelt, with pages."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(stories_server + "/search?q=anchor+harbour+logg&page=1")
    copies = page.locator(".result details.duplicates").first
    copies.locator("summary").click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"results-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    suggestion = page.locator(".suggestion")
    assert suggestion.is_visible() and "Did you mean anchor harbour log?" in suggestion.inner_text()
    assert copies.locator("summary").inner_text() == "+2 copies"
    assert copies.locator("li").count() == 2 and copies.locator("li").first.is_visible()
    assert "122 articles in 120 stories" in page.locator(".count").inner_text()
    pages = page.get_by_role("navigation", name="Pages")
    assert pages.get_by_role("link", name="Page 12").is_visible()
    box = pages.bounding_box()
    context.close()
    assert path.stat().st_size > 10_000
    assert fits and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_the_widest_pagination_fits_a_phone(browser, stories_server):
    """Page 6 of 12 shows the most links: first, last, two each side, both gaps."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(stories_server + "/search?q=harbour&page=6")
    pages = page.get_by_role("navigation", name="Pages")
    pages.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages.screenshot(path=str(SCREENSHOTS / "pages-390.png"))
    shown = pages.inner_text().split()
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = pages.bounding_box()
    numbers = pages.locator("ol").bounding_box()
    rows = {round(link.bounding_box()["y"]) for link in pages.locator("ol a").all()}
    context.close()
    assert shown == ["←", "Previous", "1", "…", "4", "5", "6", "7", "8", "…", "12", "Next", "→"]
    assert fits and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert len(rows) == 1 and numbers["width"] <= 390  # the numbers on one row
