"""Hostile clients beside normal ones, against a real `seedsearch serve`.

A few hundred generated articles are enough: what is proved here is that no
client can lock others out or get a 5xx (idle sockets, trickled headers, deep
pages, fresh unknown words, odd digits), which does not depend on the
corpus's size. How fast the answers are on Reuters is measured by
`python -m bench.hostile`, whose functions these tests run; no timing is
asserted, the percentiles are printed.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import pytest

from bench import hostile
from bench.queries import title_queries
from indexer import Config

from .helpers import indexed_jsonl

ARTICLES = 400
SECONDS = 4.0
SYLLABLES = ("ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "ve", "zu", "bar", "dor", "fen")
SECTIONS = ("Markets", "Grain", "Energy", "Metals")


def made_up_word(rng: random.Random) -> str:
    return "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))


def articles(count: int = ARTICLES, seed: int = 7) -> list[dict[str, str]]:
    """Dated wire stories in four sections, from a vocabulary of about 800 made-up words."""
    rng = random.Random(seed)
    vocabulary = sorted({made_up_word(rng) for _ in range(800)})
    return [{"id": f"wire/{number}", "title": " ".join(rng.sample(vocabulary, 4)).title(),
             "text": " ".join(rng.choices(vocabulary, k=80)) + " the minister said.",
             "date": f"{1986 + number % 3}-{number % 12 + 1:02d}-{number % 27 + 1:02d}",
             "section": SECTIONS[number % len(SECTIONS)]} for number in range(count)]


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return indexed_jsonl(tmp_path_factory.mktemp("hostile"), articles())


def server_for(config: Config) -> hostile.Server:
    return functools.partial(hostile.serving, config.corpus, config.index)


def normal_paths(corpus: Path) -> list[str]:
    return [hostile.Case("", "/api/search", {"q": q, "page": 1, "per_page": 10}).path()
            for q in title_queries(corpus, 200)]


def test_normal_clients_are_served_while_hostile_clients_attack(wire: Config):
    with server_for(wire)() as port:
        figures = hostile.attack(port, normal_paths(wire.corpus), SECONDS, random.Random(),
                                 timeout=5.0)
    print({name: figures[name] for name in ("normal_requests", "normal_rps", "normal_p50_ms",
                                            "normal_p95_ms", "normal_max_ms")})
    print(figures)
    answered = figures["normal_requests"]
    assert figures["idle_sockets"] == hostile.IDLE_SOCKETS
    assert figures["normal_errors"] == 0, figures["first_problems"]
    assert isinstance(answered, int) and answered >= 50, figures["normal_outcomes"]
    # 150 silent sockets held open must not keep a newcomer waiting for a slot.
    assert figures["newcomer_with_idle_held"] == "200"
    # Every hostile request got an answer (a 400 refusing a deep page, a 503 asking a
    # heavy search to come back) or a deliberate close: never a 500, a timeout or garbage.
    assert figures["hostile_problems"] == 0, figures["first_problems"]
    for name in ("deep_pages", "unknown_words"):
        outcomes = figures[f"{name}_outcomes"]
        assert isinstance(outcomes, dict) and outcomes.keys() <= hostile.HOSTILE_ANSWERS


def test_every_worst_case_request_gets_an_answer_never_a_5xx(wire: Config):
    longest = hostile.longest_article(wire.corpus)

    def cases(connection: hostile.Connection) -> list[hostile.Case]:
        return hostile.worst_cases(connection, longest, monster=False, rng=random.Random())
    rows = hostile.measure_worst(server_for(wire), cases, times=1)
    hostile.print_rows(rows)
    assert len(rows) > 30
    assert [(row.label, row.statuses) for row in rows if row.broken] == []
