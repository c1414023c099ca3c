"""`seedsearch eval` on a tiny collection whose metric values are worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from indexer import Config
from indexer.cli import cli
from indexer.evaluation import EvalInputError, evaluate, load_qrels, load_queries

from .helpers import CORPORA, needs_shared, write

DOCS = [
    {"id": "A", "title": "Orchards", "text": "apple apple apple grows in orchards"},
    {"id": "B", "title": "Fruit", "text": "an apple fell from the tree near the river"},
    {"id": "C", "title": "Tropics", "text": "banana plantations cover the tropical coast"},
    {"id": "D", "title": "Weather", "text": "rain fell on the quiet town all day"},
]
# q1 "apple": ranking A, B. Judged relevant: B (gain 1) and C (gain 1, never retrieved).
#   RR@10 = 1/2; AP@100 = (1/2) / 2 relevant = 0.25; R@100 = 1/2;
#   nDCG@10 = (1/log2(3)) / (1 + 1/log2(3)).
# q2 "banana": ranking C. Judged relevant: C (gain 2). Every metric = 1.
Q1_NDCG = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
EXPECTED = {"nDCG@10": (Q1_NDCG + 1) / 2, "AP@100": (0.25 + 1) / 2, "R@100": 0.75,
            "RR@10": 0.75}


@pytest.fixture
def collection(tmp_path: Path) -> dict[str, Path]:
    return {
        "corpus": write(tmp_path, "corpus.jsonl", "".join(json.dumps(d) + "\n" for d in DOCS)),
        "queries": write(tmp_path, "queries.jsonl",
                         '{"id": "q1", "text": "apple?"}\n{"id": "q2", "text": "Banana:"}\n'),
        "qrels": write(tmp_path, "qrels.tsv",
                       "query-id\tcorpus-id\tscore\nq1\tB\t1\nq1\tC\t1\nq1\tD\t0\nq2\tC\t2\n"),
    }


def test_metrics_match_the_hand_computed_values(collection, tmp_path):
    config = Config(corpus=collection["corpus"], index=tmp_path / "index")
    report = evaluate(config, collection["queries"], collection["qrels"])
    assert report.queries == 2
    for name, value in EXPECTED.items():
        assert report.metrics[name] == pytest.approx(value), name
    assert [doc for doc, _ in report.run["q1"]] == ["A", "B"]


def test_cli_json_uses_the_metric_names_as_given(collection, runner, tmp_path):
    run_file = tmp_path / "run.trec"
    result = runner.invoke(cli, [
        "eval", "--corpus", str(collection["corpus"]), "--queries", str(collection["queries"]),
        "--qrels", str(collection["qrels"]), "--index", str(tmp_path / "ix"),
        "--metrics", "nDCG@10 RR@10 P@1", "--run-out", str(run_file), "--json"],
        catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["nDCG@10", "RR@10", "P@1", "queries"]
    assert data["nDCG@10"] == pytest.approx(EXPECTED["nDCG@10"])
    assert data["P@1"] == pytest.approx(0.5) and data["queries"] == 2
    lines = run_file.read_text().splitlines()
    assert lines[0].split()[:4] == ["q1", "Q0", "A", "1"] and lines[1].split()[2:4] == ["B", "2"]


def test_cli_table_and_default_index_location(collection, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["eval", "--corpus", str(collection["corpus"]), "--queries",
                                 str(collection["queries"]), "--qrels",
                                 str(collection["qrels"])], catch_exceptions=False)
    assert result.exit_code == 0
    assert "   nDCG@10  0.6934" in result.stdout and "   queries  2" in result.stdout
    assert list((tmp_path / ".seedsearch" / "eval").iterdir())  # not the main index


def test_tsv_queries_and_trec_qrels(tmp_path):
    queries = write(tmp_path, "q.tsv", "id\ttext\n1\twhat is it?\n2\t\"quoted\" words\n")
    qrels = write(tmp_path, "q.trec", "1 0 doc7 1\n2 0 doc9 0\n")
    assert load_queries(queries) == {"1": "what is it?", "2": '"quoted" words'}
    assert [(q.query_id, q.doc_id, q.relevance) for q in load_qrels(qrels)] == [
        ("1", "doc7", 1), ("2", "doc9", 0)]


@pytest.mark.parametrize("bad, message", [
    ("queries", "does not exist"), ("qrels", "does not exist"), ("metric", "Unknown metric")])
def test_bad_inputs_are_named(collection, runner, tmp_path, bad, message):
    args = {"queries": str(collection["queries"]), "qrels": str(collection["qrels"]),
            "metrics": "nDCG@10"}
    if bad == "metric":
        args["metrics"] = "Bogus@@3"
    else:
        args[bad] = str(tmp_path / "missing.tsv")
    result = runner.invoke(cli, ["eval", "--corpus", str(collection["corpus"]), "--index",
                                 str(tmp_path / "ix"), *[f"--{k}={v}" for k, v in args.items()]])
    assert result.exit_code == 1 and message in result.stderr


def test_bad_qrels_line_is_named(tmp_path):
    with pytest.raises(EvalInputError, match="q.tsv:2"):
        load_qrels(write(tmp_path, "q.tsv", "query-id\tcorpus-id\tscore\nq1 B\n"))


@pytest.mark.parametrize("text", [
    "What is (the) effect of X-rays on 0-dimensional materials?",
    'Is "heat transfer" related to: boundary-layer flow?', "AND OR NOT", '"', "(((", "",
    "title: date:[ -minus +plus ^2 ~3 *", "Peña's co-operation re-position U.S. $9.2bn?"])
def test_natural_language_queries_run_without_errors(collection, tmp_path, text):
    queries = write(tmp_path, "nl.jsonl", json.dumps({"id": "n", "text": text}) + "\n")
    write(tmp_path, "nl.tsv", "query-id\tcorpus-id\tscore\nn\tA\t1\n")
    report = evaluate(Config(corpus=collection["corpus"], index=tmp_path / "index"), queries,
                      tmp_path / "nl.tsv")
    assert report.queries == 1


def test_quoted_phrases_stay_phrases_in_sentences(collection, tmp_path):
    queries = write(tmp_path, "p.jsonl", '{"id": "p", "text": "which \\"apple fell\\"?"}\n')
    report = evaluate(Config(corpus=collection["corpus"], index=tmp_path / "index"), queries,
                      collection["qrels"])
    assert [doc for doc, _ in report.run["p"]] == ["B"]


# Floors at the figures reached (docs/ranking.md). The aims are 0.690 and 0.400:
# SciFact passes it (0.698); Cranfield (0.399) does not yet.
@pytest.mark.parametrize("name, target", [("scifact", 0.695), ("cranfield", 0.395)])
def test_default_ranking_keeps_its_measured_quality(name, target, tmp_path):
    folder = needs_shared(CORPORA / name)
    report = evaluate(Config(corpus=folder / "corpus.jsonl.gz", index=tmp_path / "index"),
                      folder / "queries.jsonl.gz", folder / "qrels.tsv", ("nDCG@10",))
    assert report.metrics["nDCG@10"] >= target
