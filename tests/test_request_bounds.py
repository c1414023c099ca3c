"""Every search request does bounded work: deep pages refused, copies folded in
linear work, did-you-mean capped and remembered, monstrous articles read in
part, and a time budget after which optional work is left out (on Reuters
where it matters; each bound is asserted through what it counts, never a time)."""

from __future__ import annotations

import random
import string
from collections import Counter
from itertools import islice

import numpy as np
import pytest

from indexer import Config, InvalidSetting
from indexer.minhash import BANDS, BUCKET_CHECKS, HASHES, MAX_COPIES, SAME_STORY, collapse
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.search import suggest as spelling
from indexer.whoosh_engine.search import suggest_terms
from indexer.whoosh_engine.search.documents import MARK_CHARS, article_at
from indexer.whoosh_engine.search.duplicates import copies_of, signatures_of
from indexer.whoosh_engine.search.query import build_parser, parse
from indexer.whoosh_engine.search.scoring import top_results
from indexer.whoosh_engine.search.searching import (
    FOLD_CANDIDATES,
    LISTED_COPIES,
    MAX_RESULTS,
    search,
)
from indexer.whoosh_engine.search.similar import KEY_TERM_CHARS, key_text, similar_to
from indexer.whoosh_engine.search.snippets import SNIPPET_SCAN_CHARS
from indexer.whoosh_engine.search.suggest import (
    MAX_CANDIDATES,
    MAX_WORDS_CHECKED,
    SURFACE_DOCUMENTS,
    SpellingWork,
    completions,
    suggest,
)
from indexer.whoosh_engine.store.readers import reading

from .helpers import client_for, indexed_jsonl, write


@pytest.fixture(scope="module")
def reuters(reuters_index: Config) -> Config:
    return reuters_index


def quadratic_collapse(hits: list, signatures: np.ndarray) -> list[tuple]:
    """The folding as it was: every hit compared with every kept hit before it (no
    bands, no bound on the comparisons), kept here as the reference the linear
    folding must equal."""
    signed = np.count_nonzero(signatures, axis=1) > 0
    kept: list[int] = []
    kept_rows = np.zeros_like(signatures)
    groups: dict[int, list] = {}
    for index, hit in enumerate(hits):
        same = np.flatnonzero((kept_rows[:len(kept)] == signatures[index]).mean(axis=1)
                              >= SAME_STORY) if signed[index] else []
        if len(same):
            groups[kept[int(same[0])]].append(hit)
            continue
        kept_rows[len(kept)] = signatures[index]
        kept.append(index)
        groups[index] = []
    return [(hits[index], copies) for index, copies in groups.items()]


def folded_reference(searcher, text: str) -> list[tuple[str, list[str]]]:
    """(kept id, its copies' ids) for `text`'s best FOLD_CANDIDATES articles, folded by
    the quadratic reference: the stories a search pages through."""
    parsed = parse(build_parser(searcher.schema), text)
    top = top_results(searcher, parsed.query, FOLD_CANDIDATES)
    assert top is not None
    docnums = [hit.docnum for hit in top]
    ids = {docnum: searcher.stored_fields(docnum)["id"] for docnum in docnums}
    return [(ids[kept], [ids[copy] for copy in copies]) for kept, copies in
            quadratic_collapse(docnums, signatures_of(searcher, docnums))]


def as_listed(stories: list[tuple[str, list[str]]]) -> list[tuple[str, list[str], int]]:
    """The stories as hits show them: at most LISTED_COPIES copies named, all counted."""
    return [(kept, copies[:LISTED_COPIES], len(copies)) for kept, copies in stories]


def shown(results) -> list[tuple[str, list[str], int]]:
    return [(hit.id, [copy.id for copy in hit.duplicates], hit.copies) for hit in results.hits]


# ------------------------------------------------------------------ deep pages

@pytest.mark.parametrize("page, per_page", [(1000, 100), (11, 100), (101, 10), (1000, 2)])
def test_a_page_past_the_deepest_result_is_refused_by_name(reuters, page, per_page):
    with reading(reuters) as searcher, pytest.raises(InvalidSetting) as refused:
        search(searcher, "said", page=page, per_page=per_page)
    message = str(refused.value)
    assert f"page {page} × per_page {per_page}" in message
    assert f"{page * per_page:,}" in message and f"{MAX_RESULTS:,} results" in message


def test_the_api_answers_the_deep_page_with_a_400_naming_it(reuters):
    with client_for(reuters) as client:
        response = client.get("/api/search?q=said&page=1000&per_page=100")
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "page 1000" in message and "per_page 100" in message


def test_the_deepest_allowed_pages_answer_with_the_right_hits(reuters):
    with reading(reuters) as searcher:
        wide = search(searcher, "said", page=10, per_page=100)
        deep = search(searcher, "said", page=1000, per_page=1)
        reference = folded_reference(searcher, "said")
    assert len(reference) >= MAX_RESULTS  # no deeper fold was needed
    assert [hit.rank for hit in wide.hits] == list(range(901, 1001))
    assert shown(wide) == as_listed(reference[900:1000])
    assert [(hit.rank, hit.id) for hit in deep.hits] == [(1000, wide.hits[-1].id)]
    assert (wide.last_page, deep.last_page) == (10, 1000)
    assert wide.total == deep.total == len(reference) and not wide.total_exact


def test_last_page_is_the_last_page_that_can_be_asked_for(reuters):
    with reading(reuters) as searcher:
        results = search(searcher, "said", per_page=7)
        assert results.pages > results.last_page == MAX_RESULTS // 7
        assert search(searcher, "said", page=results.last_page, per_page=7).hits
        with pytest.raises(InvalidSetting):
            search(searcher, "said", page=results.last_page + 1, per_page=7)
        few = search(searcher, "coffee", per_page=100)
    assert few.last_page == few.pages == -(-few.total // 100)


# ------------------------------------------------------------------ folding copies

QUERIES = ["said", "bank rate", "mln dlrs", "oil", "shr cts net", "record", "qtly div",
           "coffee", "grain"]


@pytest.mark.parametrize("text", QUERIES)
def test_folding_equals_the_quadratic_reference_on_reuters(reuters, text):
    with reading(reuters) as searcher:
        parsed = parse(build_parser(searcher.schema), text)
        top = top_results(searcher, parsed.query, FOLD_CANDIDATES)
        assert top is not None
        hits = [hit.docnum for hit in top]
        signatures = signatures_of(searcher, hits)
        first_pages = [(page, search(searcher, text, page=page, per_page=100))
                       for page in (1, 2, 3)]
        reference = folded_reference(searcher, text)
    work: Counter[str] = Counter()
    assert collapse(hits, signatures, work) == quadratic_collapse(hits, signatures)
    assert work["compared"] <= len(hits) * BANDS * BUCKET_CHECKS
    for page, results in first_pages:  # as the quadratic folding pages them
        assert shown(results) == as_listed(reference[(page - 1) * 100:page * 100])
        assert results.total == len(reference)


def test_thousands_of_copies_and_a_crowded_band_fold_in_linear_work():
    rng = np.random.default_rng(7)
    story = rng.integers(1, 2**32, HASHES, dtype=np.uint32)
    copies = np.tile(story, (1500, 1))  # one story copied 1,500 times
    crowded = rng.integers(1, 2**32, (1000, HASHES), dtype=np.uint32)
    crowded[:, :4] = 12345  # 1,000 different stories sharing one band
    unsigned = np.zeros((10, HASHES), dtype=np.uint32)
    signatures = np.concatenate([copies, crowded, unsigned])
    order = rng.permutation(len(signatures))
    signatures, hits = signatures[order], list(order)
    work: Counter[str] = Counter()
    folded = collapse(hits, signatures, work)
    assert folded == quadratic_collapse(hits, signatures)
    assert sum(1 for _, found in folded if len(found) == 1499) == 1
    assert len(folded) == 1 + 1000 + 10
    assert work["compared"] <= len(hits) * BANDS * BUCKET_CHECKS


def test_copies_byte_for_byte_the_same_fold_without_comparisons():
    rng = np.random.default_rng(23)
    stories = rng.integers(1, 2**32, (100, HASHES), dtype=np.uint32)
    signatures = np.repeat(stories, 23, axis=0)[rng.permutation(2300)]  # each story 23 times
    work: Counter[str] = Counter()
    folded = collapse(list(range(2300)), signatures, work)
    assert folded == quadratic_collapse(list(range(2300)), signatures)
    assert len(folded) == 100 and all(len(copies) == 22 for _, copies in folded)
    assert work["compared"] == 0
    # folding is prefix-stable: the first 1,000 fold as they do among all 2,300
    first = collapse(list(range(1000)), signatures[:1000])
    assert [kept for kept, _ in first] == [kept for kept, _ in folded if kept < 1000]


def test_an_article_lists_at_most_max_copies(tmp_path):
    text = " ".join(f"word{number}" for number in range(80))
    records = [{"id": f"copy-{number:02d}", "title": "Same story", "text": text}
               for number in range(MAX_COPIES + 10)]
    config = indexed_jsonl(tmp_path, records)
    with reading(config) as searcher:
        docnum = searcher.document_number(id="copy-00")
        listed = copies_of(searcher, docnum)
        three = copies_of(searcher, docnum, limit=3)
    assert len(listed) == MAX_COPIES and docnum not in listed
    assert three == listed[:3]


# ------------------------------------------------------------------ did you mean

def non_words(count: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 5)))
                    for _ in range(count))


def test_did_you_mean_checks_a_capped_number_of_words_and_remembers_them(reuters):
    text = non_words(64, seed=1987)
    with reading(reuters) as searcher:
        first, again = SpellingWork(), SpellingWork()
        suggestion = suggest(searcher, text, "english", work=first)
        assert suggest(searcher, text, "english", work=again) == suggestion
        results = search(searcher, text, budget=60.0)
    assert first.words_checked == MAX_WORDS_CHECKED and first.memo_hits == 0
    assert 0 < first.candidates <= MAX_WORDS_CHECKED * MAX_CANDIDATES
    assert first.documents_read <= first.candidates * SURFACE_DOCUMENTS
    assert (again.words_checked, again.memo_hits, again.candidates, again.documents_read) == (
        MAX_WORDS_CHECKED, MAX_WORDS_CHECKED, 0, 0)
    assert results.suggestion == suggestion and not results.partial
    assert suggestion is not None and len(suggestion.split()) == 64


def test_a_word_with_hundreds_of_close_spellings_looks_at_the_closest_few(reuters):
    with reading(reuters) as searcher:
        work = SpellingWork()
        suggestion = suggest(searcher, "stok prices", "english", work=work)
        near = suggest_terms.near_terms(searcher.reader(), "body", "stok")
    assert len(near) > MAX_CANDIDATES
    assert work.words_checked == 1 and work.candidates == MAX_CANDIDATES
    assert suggestion == "stock prices"


def test_near_terms_are_whoosh_terms_within(reuters):
    with reading(reuters) as searcher:
        reader = searcher.reader()
        for word in ["govenment", "stok", "dolar", "qzx", "1987", "petrolium", "zz"]:
            for field in ("title", "body"):
                assert suggest_terms.near_terms(reader, field, word) == set(
                    reader.terms_within(field, word, suggest_terms.MAX_EDITS, prefix=1))


def test_completions_scan_a_bounded_number_of_terms(reuters, monkeypatch):
    with reading(reuters) as searcher:
        uncapped = completions(searcher, "pla", "english", limit=4)
        monkeypatch.setattr(spelling, "MAX_PREFIX_TERMS", 3)
        first_three = [term.decode() for term in
                       islice(searcher.reader().expand_prefix("title", "pl"), 3)]
        capped = completions(searcher, "pla", "english")
        assert completions(searcher, "pla", "english") == capped  # remembered
    # "pla" completes to words (plan, plant, play, ...) whose title terms lie past
    # the first three under "pl"; with the cap, only those three may be offered
    assert len(uncapped) == 4 and not set(uncapped) & set(first_three)
    assert capped and all(word in first_three for word in capped)


# ------------------------------------------------------------------ monstrous articles

WORDS = 230_000
HARBOUR_EVERY = 2_000  # words


@pytest.fixture(scope="module")
def monstrous(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A 2 MB article of 230,000 distinct words ("harbour" every 2,000 words and
    "lighthouse" only past the first 100,000 characters), and small articles
    sharing the words it repeats near its start, or near its end."""
    folder = tmp_path_factory.mktemp("monstrous")
    rng = random.Random(230)
    words = list({"".join(rng.choice(string.ascii_lowercase) for _ in range(7))
                  for _ in range(WORDS + 5_000)})[:WORDS]
    body = [word if number % HARBOUR_EVERY else f"harbour {word}"
            for number, word in enumerate(words)]
    body[20_000] += " lighthouse"  # about 160,000 characters in
    # the most telling words: five repeated near the start, five more often near the end
    head, tail = words[:5], words[-5:]
    body[100] += " " + " ".join(head * 10)
    body[-100] += " " + " ".join(tail * 20)
    lines = "\n".join(" ".join(body[start:start + 12]) for start in range(0, WORDS, 12))
    corpus = folder / "corpus"
    write(corpus, "monster.txt", f"Monster headline\n\n{lines}\n")
    write(corpus, "head.txt", "Head story\n\nIt says " + " ".join(head) + ".\n")
    write(corpus, "tail.txt", "Tail story\n\nIt says " + " ".join(tail) + ".\n")
    write(corpus, "other.txt", "Lighthouse keeper\n\nThe lighthouse by the harbour.\n")
    assert (corpus / "monster.txt").stat().st_size < 2 * 2**20  # indexed whole
    config = Config(corpus=corpus, index=folder / "index")
    sync(config)
    return config


def test_a_monstrous_article_page_marks_words_in_its_first_part_only(monstrous):
    with reading(monstrous) as searcher:
        docnum = searcher.document_number(id="monster.txt")
        body = searcher.stored_fields(docnum)["body"]
        article = article_at(searcher, docnum, "harbour")
    assert article.marking_stopped
    position, marks = len(article.title.plain()), []
    for paragraph in article.paragraphs:
        for text, matched in paragraph.parts:
            if matched:
                marks.append(position)
            position += len(text)
    assert max(marks) < MARK_CHARS < body.rfind("harbour")
    assert len(marks) >= body[:MARK_CHARS - 100].count("harbour") >= 5
    assert "\n\n".join(paragraph.plain() for paragraph in article.paragraphs) == body.strip()


def test_a_monstrous_article_finds_similar_ones_from_its_head(monstrous):
    with reading(monstrous) as searcher:
        docnum = searcher.document_number(id="monster.txt")
        text, cut = key_text(searcher.stored_fields(docnum))
        results = similar_to(searcher, docnum, per_page=5)
    assert cut and len(text) <= KEY_TERM_CHARS
    assert f"{KEY_TERM_CHARS:,} characters" in (results.notice or "")
    found = [hit.id for hit in results.hits]
    assert "head.txt" in found and "tail.txt" not in found and "monster.txt" not in found


def test_a_monstrous_article_gets_a_snippet_from_its_first_part(monstrous):
    with reading(monstrous) as searcher:
        near = search(searcher, "harbour", budget=60.0)
        far = search(searcher, "lighthouse", budget=60.0)
        body = searcher.document(id="monster.txt")["body"]
    assert body.find("lighthouse") > SNIPPET_SCAN_CHARS > body.find("harbour")
    assert "<mark>harbour</mark>" in {hit.id: hit for hit in near.hits}["monster.txt"] \
        .snippet.html()
    by_id = {hit.id: hit for hit in far.hits}
    assert "<mark>lighthouse</mark>" in by_id["other.txt"].snippet.html()
    deep = by_id["monster.txt"].snippet  # matched past SNIPPET_SCAN_CHARS: its opening
    assert "<mark>" not in deep.html() and deep.plain().startswith(body.split()[0])


# ------------------------------------------------------------------ the time budget

def test_a_spent_budget_still_answers_with_hits_and_says_what_was_left_out(reuters):
    with reading(reuters) as searcher:
        spent = search(searcher, "oil pricez", budget=0.0)
        whole = search(searcher, "oil pricez", budget=60.0)
    assert spent.partial and not whole.partial
    assert spent.total == whole.total and [h.id for h in spent.hits] == [h.id for h in whole.hits]
    assert len(spent.hits) == 10
    assert spent.notice is not None and spent.notice.startswith("Took too long:")
    assert "spelling suggestions" in spent.notice and "facets" in spent.notice
    assert "highlighted passages of 10 of 10 hits" in spent.notice
    assert all("<mark>" not in hit.snippet.html() for hit in spent.hits)
    assert spent.suggestion is None and whole.suggestion in ("oil price", "oil prices")
    assert any("<mark>" in hit.snippet.html() for hit in whole.hits)
    data = spent.to_json()
    assert data["partial"] is True and data["facets"] == {"section": [], "year": [],
                                                          "source": []}
    assert whole.to_json()["partial"] is False


def test_similar_takes_a_budget_too(reuters):
    with reading(reuters) as searcher:
        docnum = searcher.document_number(id=search(searcher, "coffee").hits[0].id)
        spent = similar_to(searcher, docnum, per_page=5, budget=0.0)
    assert spent.partial and spent.hits and spent.notice.startswith("Took too long:")
