"""Measuring ranking quality the way IR research does: queries, judgments, ir-measures.

`seedsearch eval` builds (or reuses) the index of a collection, runs every
query as a sentence (bag of words, no syntax), and scores the run with
`ir-measures`, so figures are comparable with published ones. It ranks through
the engine (`Engine.rank`), so any engine is measured the same way.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import ir_measures

from . import Config, Engine, open_engine
from .engine import RUN_DEPTH
from .errors import SeedsearchError

DEFAULT_METRICS = ("nDCG@10", "AP@100", "R@100", "RR@10")


class EvalInputError(SeedsearchError):
    """A queries or qrels file seedsearch cannot read; the message names it."""


@dataclass
class EvalReport:
    metrics: dict[str, float]
    queries: int
    index_seconds: float
    search_seconds: float
    run: dict[str, list[tuple[str, float]]] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, float | int]:
        return {**self.metrics, "queries": self.queries}


def _open_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def load_queries(path: Path) -> dict[str, str]:
    """Queries from JSON Lines ({"id", "text"}, maybe gzipped) or TSV (id, text)."""
    if not path.is_file():
        raise EvalInputError(f"Queries file {path} does not exist.")
    with _open_text(path) as lines:
        if ".jsonl" in path.name:
            records = (json.loads(line) for line in lines if line.strip())
            queries = {str(r["id"]): str(r["text"]) for r in records}
        else:
            rows = [row for row in (line.rstrip("\n").split("\t", 1) for line in lines)
                    if len(row) == 2]
            if rows and rows[0][0].lower() in ("id", "query-id", "qid", "query_id"):
                rows = rows[1:]
            queries = {row[0]: row[1] for row in rows}
    if not queries:
        raise EvalInputError(f"No queries found in {path}.", "Expected JSONL {id, text} or TSV.")
    return queries


def load_qrels(path: Path) -> list[ir_measures.Qrel]:
    """Judgments from TSV with a header (query-id, corpus-id, score) or TREC (qid 0 doc rel)."""
    if not path.is_file():
        raise EvalInputError(f"Qrels file {path} does not exist.")
    qrels = []
    with _open_text(path) as lines:
        for number, line in enumerate(lines, start=1):
            parts = line.split()
            if not parts or (number == 1 and not _is_grade(parts[-1])):
                continue
            if len(parts) not in (3, 4) or not _is_grade(parts[-1]):
                raise EvalInputError(f"{path.name}:{number}: not a qrels line: {line.strip()!r}")
            qrels.append(ir_measures.Qrel(parts[0], parts[-2], int(parts[-1])))
    return qrels


def _is_grade(text: str) -> bool:
    """A relevance grade: ASCII digits, maybe negative (int() also takes "²" and "١")."""
    return re.fullmatch(r"-?[0-9]{1,6}", text) is not None


def rank(engine: Engine, queries: dict[str, str],
         depth: int = RUN_DEPTH) -> Iterator[tuple[str, list[tuple[str, float]]]]:
    """(query id, [(doc id, score), ...]) for every query, best first."""
    for query_id, text in queries.items():
        yield query_id, engine.rank(text, depth)


def evaluate(config: Config, queries_path: Path, qrels_path: Path,
             metrics: tuple[str, ...] = DEFAULT_METRICS,
             engine: Engine | None = None) -> EvalReport:
    """Sync the collection's index, run every query, score the run.

    `engine` is the one measured (a variant of the ranking, say), left open for
    its caller; by default the engine `config` names, closed at the end."""
    measures = [_measure(name) for name in metrics]
    queries, qrels = load_queries(queries_path), load_qrels(qrels_path)
    with _measured(config, engine) as measured:
        started = time.perf_counter()
        measured.sync()
        index_seconds = time.perf_counter() - started
        run = dict(rank(measured, queries))
        search_seconds = time.perf_counter() - started - index_seconds
    scored = [ir_measures.ScoredDoc(qid, doc, score)
              for qid, docs in run.items() for doc, score in docs]
    values = ir_measures.calc_aggregate(measures, qrels, scored)
    figures = {name: float(values.get(measure, 0.0))
               for name, measure in zip(metrics, measures, strict=True)}
    return EvalReport(figures, len(queries), index_seconds, search_seconds, run)


def _measured(config: Config, engine: Engine | None) -> AbstractContextManager[Engine]:
    """The engine given, kept open; else the one `config` names, closed after use."""
    return nullcontext(engine) if engine is not None else open_engine(config)


def _measure(name: str) -> ir_measures.Measure:
    try:
        return ir_measures.parse_measure(name)
    except (ValueError, NameError, SyntaxError, TypeError, AttributeError) as error:
        raise EvalInputError(f"Unknown metric {name!r} ({error}).",
                             "Examples: nDCG@10 AP@100 R@100 RR@10 P@5") from None


def write_trec_run(run: dict[str, list[tuple[str, float]]], path: Path,
                   tag: str = "seedsearch") -> None:
    with open(path, "w", encoding="utf-8") as out:
        for query_id, docs in run.items():
            for position, (doc_id, score) in enumerate(docs, start=1):
                out.write(f"{query_id} Q0 {doc_id} {position} {score:.6f} {tag}\n")
