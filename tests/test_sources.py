"""Finding and reading a corpus on disk: folders of .txt files and JSON Lines files."""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from indexer.errors import CorpusNotFound
from indexer.sources import (
    BadArticle,
    SourceFile,
    check_corpus,
    read_jsonl,
    read_text_file,
    scan_folder,
)

from .helpers import SEED_ID, write

PLAIN = "A headline\n\nThe first paragraph.\n"


def scan(root: Path) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    ids = [source.id for source in scan_folder(root, warnings.append)]
    return ids, warnings


def source_for(root: Path, article_id: str) -> SourceFile:
    return next(source for source in scan_folder(root) if source.id == article_id)


def read(root: Path, article_id: str) -> tuple:
    warnings: list[str] = []
    article = read_text_file(source_for(root, article_id), warnings.append)
    return article, warnings


# --- scan_folder --------------------------------------------------------------

def test_scan_folder_is_recursive_with_slash_ids(tmp_path):
    for name in ("business/001.txt", "business/002.txt", "sport/199.txt",
                 "world/europe/010.txt"):
        write(tmp_path, name, PLAIN)
    ids, warnings = scan(tmp_path)
    assert ids == ["business/001.txt", "business/002.txt", "sport/199.txt",
                   "world/europe/010.txt"]
    assert warnings == []


def test_scan_folder_sorts_within_a_folder(tmp_path):
    for name in ("c.txt", "a.txt", "b.txt", "sub/z.txt", "sub/y.txt"):
        write(tmp_path, name, PLAIN)
    ids, _ = scan(tmp_path)
    assert ids == ["a.txt", "b.txt", "c.txt", "sub/y.txt", "sub/z.txt"]


def test_scan_folder_ids_are_sorted_overall(tmp_path):
    for name in ("z.txt", "a/1.txt"):
        write(tmp_path, name, PLAIN)
    ids, _ = scan(tmp_path)
    assert ids == sorted(ids) == ["a/1.txt", "z.txt"]


def test_scan_folder_ids_are_relative_to_the_root(tmp_path):
    root = tmp_path / "corpus"
    write(root, "sport/199.txt", PLAIN)
    source = scan_folder(root)[0]
    assert source.id == "sport/199.txt"
    assert source.path == root / "sport" / "199.txt"


def test_scan_folder_only_txt_files(tmp_path):
    for name in ("keep.txt", "upper.TXT", "notes.md", "data.json", "keep.txt.bak",
                 "image.png", "txt"):
        write(tmp_path, name, PLAIN)
    ids, _ = scan(tmp_path)
    assert ids == ["keep.txt", "upper.TXT"]


def test_scan_folder_skips_hidden_files_and_folders(tmp_path):
    for name in ("visible.txt", ".hidden.txt", ".git/inside.txt", "sub/.secret.txt",
                 "sub/shown.txt"):
        write(tmp_path, name, PLAIN)
    ids, _ = scan(tmp_path)
    assert sorted(ids) == ["sub/shown.txt", "visible.txt"]


@pytest.mark.parametrize("name", ["README.TXT", "readme.txt", "sport/README.TXT", "LICENSE.txt"])
def test_scan_folder_skips_corpus_documentation(tmp_path, name):
    write(tmp_path, "article.txt", PLAIN)
    write(tmp_path, name, "This corpus holds 2225 BBC articles.\n")
    ids, _ = scan(tmp_path)
    assert ids == ["article.txt"]


def test_scan_folder_skips_symlink_leaving_the_folder(tmp_path):
    root = tmp_path / "corpus"
    write(root, "article.txt", PLAIN)
    outside = write(tmp_path, "outside.txt", PLAIN)
    (root / "escape.txt").symlink_to(outside)
    ids, warnings = scan(root)
    assert ids == ["article.txt"]
    assert len(warnings) == 1
    assert "escape.txt" in warnings[0]


def test_scan_folder_skips_relative_symlink_leaving_the_folder(tmp_path):
    root = tmp_path / "corpus"
    write(root, "sub/article.txt", PLAIN)
    write(tmp_path, "outside.txt", PLAIN)
    (root / "sub" / "escape.txt").symlink_to(Path("..", "..", "outside.txt"))
    ids, warnings = scan(root)
    assert ids == ["sub/article.txt"]
    assert len(warnings) == 1
    assert "sub/escape.txt" in warnings[0]


def test_scan_folder_allows_symlink_inside_the_folder(tmp_path):
    root = tmp_path / "corpus"
    write(root, "real.txt", PLAIN)
    (root / "alias.txt").symlink_to("real.txt")
    ids, warnings = scan(root)
    assert ids == ["alias.txt", "real.txt"]
    assert warnings == []


def test_scan_folder_skips_broken_symlink(tmp_path):
    root = tmp_path / "corpus"
    write(root, "article.txt", PLAIN)
    (root / "broken.txt").symlink_to("missing.txt")
    ids, warnings = scan(root)
    assert ids == ["article.txt"]
    assert len(warnings) == 1
    assert "broken.txt" in warnings[0]


def test_scan_folder_records_size_and_mtime(tmp_path):
    path = write(tmp_path, "article.txt", PLAIN)
    os.utime(path, ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    source = source_for(tmp_path, "article.txt")
    assert source.size == len(PLAIN.encode("utf-8"))
    assert source.mtime_ns == path.stat().st_mtime_ns
    assert source.mtime_ns // 1_000_000_000 == 1_600_000_000


# --- read_text_file ---------------------------------------------------------

def test_read_text_file_plain_article(tmp_path):
    write(tmp_path, "article.txt", "A headline\n\nFirst paragraph.\n\nSecond paragraph.\n")
    article, warnings = read(tmp_path, "article.txt")
    assert article.id == "article.txt"
    assert article.title == "A headline"
    assert article.body == "First paragraph.\n\nSecond paragraph."
    assert article.section is None
    assert article.path == str((tmp_path / "article.txt").absolute())
    assert warnings == []


def test_read_text_file_seed_article(seed_corpus):
    article, warnings = read(seed_corpus, SEED_ID)
    assert article.title == "Putting an end to Mexico's drug war?"
    assert article.section == "Inside Story Americas"
    assert article.date == datetime(2013, 5, 1, 10, 12)
    assert article.source == "Al Jazeera"
    assert warnings == []


def test_read_text_file_falls_back_to_cp1252(tmp_path):
    write(tmp_path, "old.txt", b"Title\n\nA \xa315.8m signing")
    article, warnings = read(tmp_path, "old.txt")
    assert article.title == "Title"
    assert article.body == "A £15.8m signing"
    assert len(warnings) == 1
    assert "old.txt" in warnings[0]
    assert "cp1252" in warnings[0]


def test_read_text_file_utf8_bom_is_not_text(tmp_path):
    write(tmp_path, "bom.txt", "\ufeffTitle\n\nBody.\n".encode("utf-8"))
    article, warnings = read(tmp_path, "bom.txt")
    assert article.title == "Title"
    assert warnings == []


@pytest.mark.parametrize("content", [b"", b"   \n\n\t  \r\n", "\ufeff\u200b\n".encode("utf-8")],
                         ids=["empty", "whitespace", "invisible"])
def test_read_text_file_empty_is_bad(tmp_path, content):
    write(tmp_path, "sport/empty.txt", content)
    with pytest.raises(BadArticle, match="sport/empty.txt"):
        read(tmp_path, "sport/empty.txt")


def test_read_text_file_binary_is_bad(tmp_path):
    write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(BadArticle, match="image.txt") as error:
        read(tmp_path, "image.txt")
    assert "binary" in str(error.value)


def test_read_text_file_unreadable_is_bad(tmp_path):
    source = SourceFile("gone.txt", tmp_path / "gone.txt", 10, 0)
    with pytest.raises(BadArticle, match="gone.txt"):
        read_text_file(source)


def test_read_text_file_content_hash_follows_bytes(tmp_path):
    path = write(tmp_path, "article.txt", PLAIN)
    first, _ = read(tmp_path, "article.txt")
    again, _ = read(tmp_path, "article.txt")
    path.write_text(PLAIN.replace("first", "second"), encoding="utf-8")
    changed, _ = read(tmp_path, "article.txt")
    assert first.content_hash and first.content_hash == again.content_hash
    assert changed.content_hash != first.content_hash


def test_read_text_file_records_size_and_mtime(tmp_path):
    data = "Title\n\nBody with £ and é.\n".encode()
    path = write(tmp_path, "article.txt", data)
    os.utime(path, ns=(1_500_000_000_000_000_000, 1_500_000_000_000_000_000))
    article, _ = read(tmp_path, "article.txt")
    assert article.size == len(data) == path.stat().st_size
    assert article.mtime_ns == path.stat().st_mtime_ns
    assert article.mtime_ns // 1_000_000_000 == 1_500_000_000


def test_read_text_file_folder_is_the_section(tmp_path):
    write(tmp_path, "sport/199.txt", PLAIN)
    article, _ = read(tmp_path, "sport/199.txt")
    assert article.section == "sport"


def test_read_text_file_nested_folders_name_the_section(tmp_path):
    write(tmp_path, "world/europe/1.txt", PLAIN)
    article, _ = read(tmp_path, "world/europe/1.txt")
    assert article.section == "world / europe"


def test_read_text_file_text_section_beats_the_folder(seed_corpus):
    target = seed_corpus / "sport" / "seed.txt"
    target.parent.mkdir()
    (seed_corpus / SEED_ID).rename(target)
    article, _ = read(seed_corpus, "sport/seed.txt")
    assert article.section == "Inside Story Americas"


# --- read_jsonl ---------------------------------------------------------------

def jsonl_lines(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def read_all(path: Path) -> tuple[list, list[str]]:
    warnings: list[str] = []
    return list(read_jsonl(path, warnings.append)), warnings


GOOD = {"id": "a1", "title": "First title", "text": "First body.", "date": "2013-05-01T10:12:00",
        "section": "world", "url": "https://example.com/a1"}
OTHER = {"id": "a2", "title": "Second title", "text": "Second body."}


def test_read_jsonl_fields(tmp_path):
    path = write(tmp_path, "news.jsonl", jsonl_lines(GOOD))
    (article,), warnings = read_all(path)
    assert article.id == "a1"
    assert article.title == "First title"
    assert article.body == "First body."
    assert article.date == datetime(2013, 5, 1, 10, 12)
    assert article.section == "world"
    assert article.url == "https://example.com/a1"
    assert warnings == []


def test_read_jsonl_optional_fields_missing(tmp_path):
    path = write(tmp_path, "news.jsonl", jsonl_lines(OTHER))
    (article,), _ = read_all(path)
    assert (article.date, article.section, article.url) == (None, None, None)


def test_read_jsonl_category_is_the_section(tmp_path):
    path = write(tmp_path, "news.jsonl", jsonl_lines({**OTHER, "category": "business"}))
    (article,), _ = read_all(path)
    assert article.section == "business"


def test_read_jsonl_cleans_text(tmp_path):
    record = {"id": " a3 ", "title": "Mexico\u2019s war", "text": "Pen\u0303a\u00a0Nieto"}
    path = write(tmp_path, "news.jsonl", jsonl_lines(record))
    (article,), _ = read_all(path)
    assert article.id == "a3"
    assert article.title == "Mexico's war"
    assert article.body == "Peña Nieto"


def test_read_jsonl_gzip(tmp_path):
    path = tmp_path / "news.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(jsonl_lines(GOOD, OTHER))
    articles, warnings = read_all(path)
    assert [a.id for a in articles] == ["a1", "a2"]
    assert articles[0].title == "First title"
    assert warnings == []


def test_read_jsonl_skips_blank_lines(tmp_path):
    path = write(tmp_path, "news.jsonl", jsonl_lines(GOOD, "", "   ", OTHER))
    articles, warnings = read_all(path)
    assert [a.id for a in articles] == ["a1", "a2"]
    assert warnings == []


def test_read_jsonl_content_hash_per_record(tmp_path):
    path = write(tmp_path, "news.jsonl", jsonl_lines(GOOD, OTHER))
    first, second = read_all(path)[0]
    assert first.content_hash and second.content_hash
    assert first.content_hash != second.content_hash


@pytest.mark.parametrize("bad", [
    "{not json",
    json.dumps({"title": "No id", "text": "Body."}),
    json.dumps({"id": "", "title": "Empty id", "text": "Body."}),
    json.dumps(["a", "list"]),
    json.dumps({"id": "a9"}),
    json.dumps({"id": "a9", "title": "  ", "text": ""}),
], ids=["bad-json", "no-id", "empty-id", "not-an-object", "no-title-or-text",
        "blank-title-and-text"])
def test_read_jsonl_skips_bad_record_with_warning(tmp_path, bad):
    path = write(tmp_path, "news.jsonl", jsonl_lines(GOOD, bad, OTHER))
    articles, warnings = read_all(path)
    assert [a.id for a in articles] == ["a1", "a2"]
    # A line that is not JSON also makes the file damaged: its articles are kept.
    assert len(warnings) == (2 if bad == "{not json" else 1)
    assert "news.jsonl:2" in warnings[0]


def test_read_jsonl_bad_date_warns_and_keeps_record(tmp_path):
    path = write(tmp_path, "news.jsonl", jsonl_lines(OTHER, {**GOOD, "date": "last Tuesday"}))
    articles, warnings = read_all(path)
    assert [a.id for a in articles] == ["a2", "a1"]
    assert articles[1].date is None
    assert len(warnings) == 1
    assert "news.jsonl:2" in warnings[0]
    assert "last Tuesday" in warnings[0]


def test_read_jsonl_integer_id_zero(tmp_path):
    path = write(tmp_path, "news.jsonl", jsonl_lines({"id": 0, "title": "Zero", "text": "Body."}))
    articles, warnings = read_all(path)
    assert [a.id for a in articles] == ["0"]
    assert warnings == []


def test_read_jsonl_integer_id(tmp_path):
    path = write(tmp_path, "news.jsonl", jsonl_lines({"id": 17, "title": "Seventeen"}))
    (article,), _ = read_all(path)
    assert article.id == "17"


# --- check_corpus -------------------------------------------------------------

def test_check_corpus_missing_path(tmp_path):
    with pytest.raises(CorpusNotFound, match="does not exist"):
        check_corpus(tmp_path / "nowhere")


@pytest.mark.parametrize("name", ["articles.csv", "article.txt", "news.json"])
def test_check_corpus_non_jsonl_file(tmp_path, name):
    path = write(tmp_path, name, "id,title\n1,x\n")
    with pytest.raises(CorpusNotFound, match=name):
        check_corpus(path)


def test_check_corpus_accepts_folder(tmp_path):
    assert check_corpus(tmp_path) == tmp_path


@pytest.mark.parametrize("name", ["news.jsonl", "news.JSONL", "news.jsonl.gz"])
def test_check_corpus_accepts_jsonl_file(tmp_path, name):
    path = write(tmp_path, name, "")
    assert check_corpus(path) == path
