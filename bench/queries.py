"""A fixed, reproducible list of queries drawn from a corpus's titles."""

from __future__ import annotations

import random
import re
from pathlib import Path

from indexer.sources import is_jsonl, read_jsonl, read_text_file, scan_folder
from indexer.whoosh_engine.codec.analysis import stop_words

WORD = re.compile(r"[^\W\d_]{3,}")


def titles(corpus: Path) -> list[str]:
    if is_jsonl(corpus):
        return [article.title for article in read_jsonl(corpus)]
    return [read_text_file(source).title for source in scan_folder(corpus)]


def title_queries(corpus: Path, count: int = 500, seed: int = 2026) -> list[str]:
    """`count` queries of 2 to 4 words, each taken from one title, drawn with a fixed seed."""
    stops = stop_words("english")
    pools = [words for words in ([w for w in WORD.findall(t) if w.lower() not in stops]
                                 for t in titles(corpus)) if len(words) >= 2]
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        words = rng.choice(pools)
        queries.append(" ".join(rng.sample(words, min(len(words), rng.randint(2, 4)))))
    return queries
