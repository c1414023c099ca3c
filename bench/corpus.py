"""The benchmark's corpora: a path given as is, or a large corpus assembled from the shared ones.

`--corpus 100k` (any `<N>k` that is not an existing path) names a corpus of
exactly N*1000 articles assembled from the shared collections beside the
checkout (`../shared/corpora`, or `--shared DIR`): every article of
Reuters-21578, 20 Newsgroups (bydate), BBC, SciFact and Cranfield, with its id
prefixed by its collection (`reuters/123`, `bbc/sport/199`), then **declared
copies** of the same articles, in the same order, with new ids
(`copy-2/reuters/123`, `copy-3/...`) until the count is reached. The copies
repeat text word for word: they make the index as large as 100,000 articles
but add no new vocabulary, which the figures must be read with. Records with
neither title nor text (Reuters 12793, Cranfield 471 and 995) are left out, so
that every assembled record is an article seedsearch indexes.

The assembled JSONL.gz is written once to `.seedsearch/bench/` in the
checkout (git-ignored), with a `.json` manifest beside it (counts per
collection, number of copies), and reused while both are there.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from indexer.sources import decode

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"
CACHE = ROOT / ".seedsearch" / "bench"
SCALE = re.compile(r"^(\d+)k$", re.IGNORECASE)

# (id prefix, folder under the shared corpora), in the order they are assembled
COLLECTIONS: tuple[tuple[str, str], ...] = (
    ("reuters", "reuters21578"),
    ("20newsgroups", "20newsgroups-bydate"),
    ("bbc", "bbc"),
    ("scifact", "scifact"),
    ("cranfield", "cranfield"),
)
Manifest = dict[str, object]


class MissingCorpus(Exception):
    """A shared collection the assembled corpus needs is not there; the message names it."""


def scale_of(name: str) -> int | None:
    """The article count `name` asks for (`100k` -> 100000), or None for a plain path."""
    match = SCALE.match(name)
    if match is None or Path(name).exists():
        return None
    return int(match.group(1)) * 1000


def shared_files(shared: Path) -> list[tuple[str, Path]]:
    files = [(prefix, shared / folder / "corpus.jsonl.gz") for prefix, folder in COLLECTIONS]
    for _, path in files:
        if not path.is_file():
            raise MissingCorpus(f"{path} is missing: the assembled corpus needs all of "
                                f"{', '.join(folder for _, folder in COLLECTIONS)} "
                                f"under {shared} (or pass --shared DIR)")
    return files


def records(prefix: str, path: Path) -> Iterator[dict[str, object]]:
    """The records of one shared collection that have a title or a text, ids prefixed."""
    with gzip.open(path, "rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record = json.loads(decode(line, f"{path}:{number}"))
            if not str(record.get("title") or "").strip() \
                    and not str(record.get("text") or "").strip():
                continue
            record["id"] = f"{prefix}/{record['id']}"
            yield record


def assemble(target: int, shared: Path, out: Path) -> Manifest:
    """Write exactly `target` records to `out` (JSONL.gz), streaming; return the manifest."""
    files = shared_files(shared)
    started = time.perf_counter()
    per_collection: dict[str, int] = {}
    written, copy = 0, 1
    partial = out.with_name(out.name + ".partial")
    with gzip.open(partial, "wt", encoding="utf-8", compresslevel=6) as sink:
        while written < target:
            before = written
            for prefix, path in files:
                for record in records(prefix, path):
                    if written == target:
                        break
                    if copy > 1:
                        record["id"] = f"copy-{copy}/{record['id']}"
                    else:
                        per_collection[prefix] = per_collection.get(prefix, 0) + 1
                    sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
            if written == before:
                raise MissingCorpus(f"the collections under {shared} hold no article")
            copy += 1
    os.replace(partial, out)
    originals = sum(per_collection.values())
    return {"docs": written, "originals": originals, "copies": written - originals,
            "copy_rounds": copy - 1, "per_collection": per_collection,
            "shared": str(shared), "assembled_s": round(time.perf_counter() - started, 1)}


def scaled_corpus(target: int, shared: Path = SHARED, cache: Path = CACHE) -> tuple[Path, Manifest]:
    """The assembled corpus of `target` articles and its manifest, assembled only once."""
    name = f"corpus-{target // 1000}k" if target % 1000 == 0 else f"corpus-{target}"
    corpus, about = cache / f"{name}.jsonl.gz", cache / f"{name}.json"
    if corpus.is_file() and about.is_file():
        manifest = json.loads(about.read_text(encoding="utf-8"))
        if manifest.get("docs") == target:
            return corpus, {**manifest, "reused": True}
    cache.mkdir(parents=True, exist_ok=True)
    manifest = assemble(target, shared, corpus)
    about.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return corpus, {**manifest, "reused": False}


def resolve(name: str, shared: Path = SHARED, cache: Path = CACHE) -> tuple[Path, Manifest]:
    """`--corpus` as given: a folder or JSONL file as is, or `<N>k` assembled (see above)."""
    target = scale_of(name)
    if target is None:
        return Path(name).resolve(), {}
    return scaled_corpus(target, shared, cache)


def describe(corpus: Path, manifest: Manifest) -> str:
    """One line saying what the assembled corpus holds, copies included."""
    counts = manifest.get("per_collection")
    parts = ", ".join(f"{name} {count:,}" for name, count in counts.items()) \
        if isinstance(counts, dict) else ""
    how = "reused" if manifest.get("reused") else f"assembled in {manifest.get('assembled_s')} s"
    return (f"Corpus: {corpus}, {manifest['docs']:,} articles = {manifest['originals']:,} "
            f"originals ({parts}) + {manifest['copies']:,} declared copies; {how}")
