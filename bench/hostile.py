"""The worst requests we can construct, and normal searches while hostile clients attack.

    python -m bench.hostile --corpus ../shared/corpora/reuters21578/corpus.jsonl.gz \
        [--seconds 30] [--times 3] [--workers N] [--monster] [--only worst|load]

Builds the corpus's index once under `.seedsearch/bench/hostile/` (later runs
reuse it), starts a real `seedsearch serve` (its default 8 threads; one
process for the worst cases, --workers, default one per core as a deployment
would run it, for the load) on a free loopback port, then:

1. Worst cases: each hostile request (deep pages, the commonest words, 64 fresh
   unknown words, 40-character words, 500 characters of operators, every date,
   everything sorted by date, every facet filter, the longest article and its
   "more like this", long suggestion prefixes, digits that are not ASCII; with
   --monster, a copy of the corpus with a 2 MB article of 230,000 distinct
   words) is sent --times times. Prints request, statuses, p50 and max ms, and
   the worst one. Target: every answer within 2 s, never a 5xx or a broken
   connection. A 400 (a refused deep page, say) is a correct, fast answer.
2. Load under attack: 150 idle sockets are opened and held, then for --seconds
   8 normal clients search (title queries, page 1, 10 per page, one keep-alive
   connection each) beside 2 slow clients trickling a header byte a second, 2
   deep-page clients and 2 clients sending 64 fresh unknown words. Target:
   normal p95 <= 100 ms with no normal request failed, a newcomer answered
   while the idle sockets are still held, and every hostile request answered
   (never a 5xx) or deliberately closed by the server.

Exits 1 when a target is missed. All traffic stays on 127.0.0.1; every loop is
bounded in time. tests/test_hostile_load.py reuses these functions.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import random
import shutil
import statistics
import string
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import machine_line, print_figures
from .attack import HOSTILE_ANSWERS, IDLE_SOCKETS, Tally, attack, load_verdict  # noqa: F401
from .corpus import CACHE
from .exchange import Answer, Case, Connection, Param, elapsed_ms, fresh, random_words  # noqa: F401
from .web import WORKERS

WORST_MS = 2000.0  # the target for the worst request on Reuters
WORST_TIMEOUT = 10.0  # a worst case unanswered by then is reported as "no answer"
MONSTER_ID = "hostile-monster"
EVERYTHING = "date:[1900 to 2100]"  # every dated article
Server = Callable[..., AbstractContextManager[int]]  # starts a server (workers=N), yields its port


# --- corpus and index --------------------------------------------------------------------------

def cached_index(corpus: Path, cache: Path = CACHE / "hostile") -> Path:
    """The corpus's index in the cache folder, built or brought in step by `seedsearch index`."""
    index = cache / f"{corpus.parent.name}-{corpus.name.split('.')[0]}-index"
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "indexer", "index", "-q", "--corpus", str(corpus),
                    "--index", str(index)], check=True, timeout=3600)
    return index


@functools.cache
def monster_text(words: int = 230_000, size: int = 2_000_000, seed: int = 13) -> str:
    """About `size` characters holding `words` distinct made-up words, 80 to a line."""
    rng = random.Random(seed)
    vocabulary: dict[str, None] = {}
    while len(vocabulary) < words:
        vocabulary["".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 8)))] = None
    chosen = list(vocabulary)
    while sum(len(word) + 1 for word in chosen) < size:
        chosen.extend(rng.sample(chosen[:words], 10_000))
    return "\n".join(" ".join(chosen[at:at + 80]) for at in range(0, len(chosen), 80))[:size]


def with_monster(corpus: Path, cache: Path = CACHE / "hostile") -> Path:
    """A JSONL.gz copy of a JSONL corpus plus the monstrous article, written once."""
    copy = cache / f"{corpus.parent.name}-{corpus.name.split('.')[0]}-monster.jsonl.gz"
    if not copy.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(copy.name + ".partial")
        opener = gzip.open if corpus.name.endswith(".gz") else open
        with opener(corpus, "rb") as source, gzip.open(partial, "wb") as sink:
            shutil.copyfileobj(source, sink)
            record = {"id": MONSTER_ID, "title": "A monstrous article", "date": "1987-06-01",
                      "text": monster_text()}
            sink.write(("\n" + json.dumps(record) + "\n").encode("utf-8"))
        partial.replace(copy)
    return copy


def longest_article(corpus: Path) -> str:
    """The id of the article with the longest body: the dearest article page."""
    from .compare import read_articles

    return max(read_articles(corpus), key=lambda article: len(article.body)).id


@contextmanager
def serving(corpus: Path, index: Path, workers: int = 1) -> Iterator[int]:
    """A real `seedsearch serve` (`workers` processes, 8 threads each by default) on a
    free port: its port."""
    from .web import served

    with served(corpus, index, workers=workers) as base:
        yield urllib.parse.urlsplit(base).port or 80


# --- worst cases -------------------------------------------------------------------------------

def search_cases(rng: random.Random) -> list[Case]:
    """Deep pages, common words, unknown and long words, operators, dates, sorting, odd digits."""
    def search(label: str, q: Param, route: str = "/api/search", **params: Param) -> Case:
        return Case(label, route, {"q": q, **params})
    soups = {"parentheses": "(", "quotes": '"said ', "operators": "AND OR NOT ",
             "mixed": '("said" AND (oil OR -"the" NOT (title:( date:[ '}
    return [search(f"said page {page} x {per}", "said", page=page, per_page=per)
            for page, per in ((1000, 100), (10, 100), (100, 10))] + [
        search("html said page 1000", "said", "/search", page=1000),
        search("said", "said"), search("the said reuters", "the said reuters"),
        search("html the said reuters", "the said reuters", "/search"),
        search("64 unknown 3-5 letter words", fresh(rng, 64, 3, 5)),
        search("html 64 unknown words", fresh(rng, 64, 3, 5), "/search"),
        search("64 words of 40 chars", fresh(rng, 64, 40, 40)),
        search("12 words of 40 chars", fresh(rng, 12, 40, 40)),
        search(EVERYTHING, EVERYTHING), search(f"{EVERYTHING} newest", EVERYTHING, sort="newest"),
        search("said newest page 100", "said", sort="newest", page=100),
        search("feed said", "said", "/feed"), search(f"feed {EVERYTHING}", EVERYTHING, "/feed"),
        *(search(f"500 chars of {name}", (piece * 500)[:500]) for name, piece in soups.items()),
        search("page=²", "said", page="²"), search("per_page=٣", "said", per_page="٣"),
        search("year=²⁰¹³", "said", year="²⁰¹³"), search("html page=１", "said", "/search",
                                                        page="１")]


def facet_cases(connection: Connection) -> list[Case]:
    """Each facet filter with a value the index has (or one it lacks), then all at once."""
    answer = connection.get("/api/search?q=said")
    about = json.loads(answer.body) if answer.status == 200 else {}
    facets = about.get("facets") or {}
    chosen: dict[str, Param] = {name: str(facets[name][0]["value"]) if facets.get(name)
                                else "Nowhere" for name in ("section", "year", "source")}
    year = str(chosen["year"]) if str(chosen["year"]).isdigit() else "1987"
    bars = (about.get("timeline") or {}).get("bars") or []
    chosen |= {"year": year, "month": next(
        (str(bar["value"]) for bar in bars if len(str(bar["value"])) == 7), f"{year}-03")}
    return [Case(f"said {name}={value}", "/api/search", {"q": "said", name: value})
            for name, value in chosen.items()] + [
        Case("said, every filter", "/api/search", {"q": "said", **chosen})]


def article_cases(doc_id: str, label: str) -> list[Case]:
    """An article's page (its "more like this" included), with and without a query; its JSON."""
    quoted = urllib.parse.quote(doc_id)
    return [Case(f"/doc {label}", f"/doc/{quoted}"),
            Case(f"/doc {label} q=said", f"/doc/{quoted}", {"q": "said"}),
            Case(f"/api/doc {label}", f"/api/doc/{quoted}")]


def suggest_cases(rng: random.Random) -> list[Case]:
    prefixes: dict[str, Param] = {
        "s": "s", "the said reuters s": "the said reuters s", "40 x a": "a" * 40,
        "499 x s": "s" * 499, "60 unknown words then s": lambda: random_words(rng, 60, 3, 5) + " s"}
    return [Case(f"suggest {name}", "/api/suggest", {"q": text}) for name, text in prefixes.items()]


def worst_cases(connection: Connection, longest: str, monster: bool,
                rng: random.Random) -> list[Case]:
    """Every hostile request this script knows, labelled."""
    cases = search_cases(rng) + facet_cases(connection) + suggest_cases(rng)
    cases += article_cases(longest, "longest article")
    if monster:
        words = " ".join(monster_text().split()[:40])
        cases += [*article_cases(MONSTER_ID, "monster"),
                  Case("40 of the monster's words", "/api/search", {"q": words})]
    return cases


@dataclass(frozen=True)
class Row:
    """One kind of hostile request sent a few times: what it got and how long it took."""

    label: str
    answers: list[Answer]

    @property
    def statuses(self) -> str:
        return ",".join(sorted({answer.outcome for answer in self.answers}))

    @property
    def worst_ms(self) -> float:
        return max(answer.ms for answer in self.answers)

    @property
    def broken(self) -> bool:
        """A 5xx or no answer at all."""
        return any(answer.status is None or answer.status >= 500 for answer in self.answers)

    @property
    def partial(self) -> bool:
        return any(b'"partial":true' in answer.body for answer in self.answers)


def measure_case(connection: Connection, case: Case, times: int) -> Row:
    """The case sent `times` times; not again once unanswered (the server is still busy on it)."""
    answers: list[Answer] = []
    while len(answers) < times and (not answers or answers[-1].status is not None):
        answers.append(connection.get(case.path()))
    return Row(case.label, answers)


def measure_worst(server: Server, make_cases: Callable[[Connection], list[Case]], times: int,
                  timeout: float = WORST_TIMEOUT) -> list[Row]:
    """Every case in turn; after one left unanswered, on a fresh server, so that the request
    it is still working on cannot slow the next case down."""
    rows: list[Row] = []
    cases: list[Case] | None = None
    while cases is None or len(rows) < len(cases):
        with server() as port:
            connection = Connection(port, timeout)
            cases = make_cases(connection) if cases is None else cases
            for case in cases[len(rows):]:
                rows.append(measure_case(connection, case, times))
                if rows[-1].answers[-1].status is None:
                    break
            connection.close()
    return rows


def print_rows(rows: list[Row]) -> None:
    print("| request | status | p50 ms | max ms | partial |\n|---|---|---|---|---|")
    for row in rows:
        p50 = statistics.median(answer.ms for answer in row.answers)
        print(f"| {row.label} | {row.statuses} | {p50:.1f} | {row.worst_ms:.1f} | "
              f"{'yes' if row.partial else ''} |")
    worst = max(rows, key=lambda row: row.worst_ms)
    missed = sum(row.broken or row.worst_ms > WORST_MS for row in rows)
    print(f"Worst: {worst.label}: {worst.worst_ms:.0f} ms ({worst.statuses}); {missed} of "
          f"{len(rows)} kinds got a 5xx, no answer, or took over {WORST_MS:.0f} ms")


# --- the command -------------------------------------------------------------------------------

def run_worst(server: Server, longest: str, monster: bool, times: int,
              rng: random.Random) -> bool:
    def cases(connection: Connection) -> list[Case]:
        return worst_cases(connection, longest, monster, rng)
    rows = measure_worst(server, cases, times)
    print_rows(rows)
    return not any(row.broken or row.worst_ms > WORST_MS for row in rows)


def run_load(server: Server, corpus: Path, seconds: float, idle: int, rng: random.Random,
             hostile: bool = True, workers: int = 1) -> bool:
    from .queries import title_queries

    normal = [Case("", "/api/search", {"q": q, "page": 1, "per_page": 10}).path()
              for q in title_queries(corpus, 500)]
    with server(workers=workers) as port:
        figures = attack(port, normal, seconds, rng, idle=idle, hostile=hostile)
    print_figures({"server_processes": workers, **figures})
    missed = load_verdict(figures)
    print("Load under attack: " + ("; ".join(missed) if missed else "every target met"))
    return not missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=30.0, help="of load under attack")
    parser.add_argument("--times", type=int, default=3, help="each worst case is sent")
    parser.add_argument("--idle", type=int, default=IDLE_SOCKETS, help="idle sockets held")
    parser.add_argument("--monster", action="store_true", help="add a 2 MB, 230,000-word article")
    parser.add_argument("--only", choices=("worst", "load"), help="run one part only")
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help="server processes for the load (seedsearch serve --workers)")
    parser.add_argument("--calm", action="store_true",
                        help="load with normal clients only (and --idle sockets): a reference")
    args = parser.parse_args()
    print(machine_line(), flush=True)
    corpus = with_monster(args.corpus.resolve()) if args.monster else args.corpus.resolve()
    server = functools.partial(serving, corpus, cached_index(corpus))
    rng, ok = random.Random(), True
    if args.only != "load":
        ok = run_worst(server, longest_article(args.corpus), args.monster, args.times, rng)
    if args.only != "worst":
        ok = run_load(server, corpus, args.seconds, args.idle, rng, not args.calm,
                      args.workers) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
