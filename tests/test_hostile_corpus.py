"""A corpus folder with everything that can go wrong in it: every good article
is indexed, every bad file is named with its reason, memory stays bounded,
and the run ends normally."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from indexer import Config
from indexer.sources import MAX_ARTICLE_BYTES
from indexer.whoosh_engine import sync
from indexer.whoosh_engine.search.searching import search
from indexer.whoosh_engine.store.readers import reading

from .helpers import ROOT, write

GOOD = {
    "plain.txt": "Harbour reopens\n\nThe harbour reopened on Monday.",
    "with spaces in name.txt": "Quay repaired\n\nThe quay was repaired.",
    "ünïcödé/名前.txt": "Lighthouse lit\n\nThe lighthouse was lit again.",
    "new\nline.txt": "Ferry delayed\n\nThe ferry was delayed by fog.",
    "/".join(f"d{level}" for level in range(40)) + "/deep.txt":
        "Anchor found\n\nDivers found an old anchor.",
}
ENCODED = {  # good articles in other encodings: read, perhaps with a warning
    "utf16.txt": "\ufeffTide tables\n\nThe tide tables for Peña Bay.".encode("utf-16"),
    "utf16be.txt": b"\xfe\xff" + "Buoy moved\n\nThe buoy moved south.".encode("utf-16-be"),
    "latin1.txt": "Crane fixed\n\nThe crane at the Peña dock was fixed.".encode("latin-1"),
    "bad-utf8.txt": b"Pilot boat\n\nThe pilot boat cost \xa3 40,000.",
}
BAD = {  # file name -> words its warning must contain
    "empty.txt": "empty",
    "binary.txt": "binary",
    "loop.txt": "cannot read",
    "outside.txt": "outside the corpus",
    "vanishing.txt": "cannot read",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Config:
    folder = tmp_path_factory.mktemp("hostile")
    corpus = folder / "corpus"
    corpus.mkdir()
    for name, text in {**GOOD, **ENCODED}.items():
        write(corpus, name, text)
    write(corpus, "empty.txt", b"")
    write(corpus, "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    os.symlink("loop.txt", corpus / "loop.txt")  # a link to itself
    secret = write(folder, "secret.txt", "Secret\n\nOutside the corpus.")
    os.symlink(secret, corpus / "outside.txt")
    os.symlink(folder, corpus / "up")  # a folder link up the tree: a loop if followed
    write(corpus, "vanishing.txt", "Vanishing\n\nThis file is deleted during the run.")
    big = corpus / "big.txt"
    with big.open("w", encoding="utf-8") as out:
        out.write("Port log\n\n")
        line = "cargo manifest entry for the harbour ledger with container numbers\n"
        for _ in range(20 * 2**20 // len(line)):
            out.write(line)
    return Config(corpus=corpus, index=folder / "index")


@pytest.fixture(scope="module")
def run(hostile: Config):
    warnings: list[str] = []

    def delete_vanishing(done: int, total: int) -> None:
        (hostile.corpus / "vanishing.txt").unlink(missing_ok=True)

    report = sync(hostile, warn=warnings.append, progress=delete_vanishing)
    return report, warnings


def test_every_good_article_is_indexed(hostile, run):
    with reading(hostile) as searcher:
        for name, words in [("plain.txt", "harbour reopened"), ("with spaces in name.txt", "quay"),
                            ("ünïcödé/名前.txt", "lighthouse"), ("new\nline.txt", "ferry fog"),
                            (next(n for n in GOOD if n.endswith("deep.txt")), "anchor"),
                            ("utf16.txt", "tide Pena"), ("utf16be.txt", "buoy"),
                            ("latin1.txt", "crane Peña"), ("bad-utf8.txt", "pilot boat"),
                            ("big.txt", "manifest")]:
            assert name in [hit.id for hit in search(searcher, words).hits], (name, words)


def test_every_bad_file_is_named_with_its_reason(run):
    _, warnings = run
    for name, reason in BAD.items():
        assert [w for w in warnings if w.startswith(f"{name}:") and reason in w], (name, warnings)


def test_nothing_outside_the_corpus_or_behind_a_folder_link_is_read(hostile, run):
    with reading(hostile) as searcher:
        ids = {fields["id"] for fields in searcher.all_stored_fields()}
    assert ids == set(GOOD) | set(ENCODED) | {"big.txt"}


def test_the_big_file_is_cut_with_a_warning(hostile, run):
    _, warnings = run
    assert [w for w in warnings if w.startswith("big.txt:") and "first" in w]
    with reading(hostile) as searcher:
        (hit,) = [h for h in search(searcher, "manifest").hits if h.id == "big.txt"]
        stored = searcher.document(id="big.txt")
        assert len(stored["body"].encode("utf-8")) <= MAX_ARTICLE_BYTES


def test_the_run_counts_what_it_did(run):
    report, _ = run
    assert report.added == len(GOOD) + len(ENCODED) + 1  # + big.txt
    assert report.skipped == len(BAD)


def test_the_cli_run_exits_0_naming_the_bad_files(hostile, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "indexer", "index", "--corpus", str(hostile.corpus),
         "--index", str(tmp_path / "index")],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for name in ("empty.txt", "binary.txt", "loop.txt", "outside.txt", "big.txt"):
        assert f"{name}: " in done.stderr
