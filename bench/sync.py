"""How fast the index follows a folder: full build, no-op sync, one changed file.

    python -m bench.sync --corpus ../shared/corpora/reuters21578/corpus.jsonl.gz
    python -m bench.sync --corpus 100k [--shared ../shared/corpora]

Writes each JSONL record out as a `.txt` file (headline, blank line, body) in
a temporary folder, one record at a time (never the whole corpus in memory),
at the path its id names (`bbc/sport/199` -> `bbc/sport/199.txt`), then
times, each in a fresh process: the first build, a sync with nothing
changed, a sync after one file is edited, a sync after one file is touched
without change, and a sync after one file is deleted. `--corpus 100k` is the
assembled corpus of bench.corpus (declared copies included); the target for
its no-op sync of 100,000 files is 5 s or less. Prints the machine line, a
Markdown table and the same figures as JSON.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from indexer.sources import read_jsonl

from . import corpus, machine_line, print_figures

UNSAFE = re.compile(r"[^\w.-]")
NOOP_TARGET_S = 5.0


def tree_path(folder: Path, article_id: str) -> Path:
    """Where the article with this id is written: its id as a relative path, made safe."""
    parts = [UNSAFE.sub("_", part) for part in article_id.split("/")]
    # a name starting with a dot would be hidden from the scan (and "..", a way out)
    parts = ["_" + part.lstrip(".") if part.startswith(".") or not part else part
             for part in parts]
    return folder.joinpath(*parts).with_name(parts[-1] + ".txt")


def write_tree(jsonl: Path, folder: Path) -> tuple[int, Path | None]:
    """Write the corpus as .txt files, one article at a time; the count and the middle file.

    The middle file is the one written at position count // 2 (the one edited later);
    an id that would land on a file already written gets a numbered name instead.
    """
    count, written = 0, []
    for article in read_jsonl(jsonl):
        path = tree_path(folder, article.id)
        if path.exists():
            path = path.with_name(f"{path.stem}-{count}.txt")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{article.title}\n\n{article.body}\n", encoding="utf-8")
        written.append(path)
        count += 1
    return count, written[count // 2] if written else None


def timed_index(folder: Path, index: Path, *extra: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB, and the summary line of one `seedsearch index` run."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c",
         "import resource, sys\nfrom indexer.cli import main\n"
         "try:\n    main()\nexcept SystemExit:\n    pass\n"
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)",
         "index", "-q", "--corpus", str(folder), "--index", str(index), *extra],
        capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    lines = done.stderr.strip().splitlines()
    return seconds, int(lines[-1]) / 1024, lines[-2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", required=True,
                        help="a .jsonl(.gz) corpus, or <N>k (e.g. 100k, see bench.corpus)")
    parser.add_argument("--shared", type=Path, default=corpus.SHARED,
                        help="the shared corpora for <N>k (default: ../shared/corpora)")
    args = parser.parse_args()
    print(machine_line(), flush=True)
    try:
        jsonl, about = corpus.resolve(args.corpus, args.shared)
    except corpus.MissingCorpus as error:
        parser.error(str(error))
    if about:
        print(corpus.describe(jsonl, about), flush=True)
    figures: dict[str, object] = {"corpus": str(jsonl)}
    if about:
        figures.update(originals=about["originals"], copies=about["copies"])
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as scratch:
        folder, index = Path(scratch) / "tree", Path(scratch) / "index"
        folder.mkdir()
        started = time.perf_counter()
        count, victim = write_tree(jsonl, folder)
        figures.update(files=count, tree_written_s=round(time.perf_counter() - started, 1))
        if victim is None:
            parser.error(f"{jsonl} holds no article")
        seconds, rss, summary = timed_index(folder, index)
        figures.update(build_s=round(seconds, 2), build_docs_per_s=round(count / seconds),
                       build_peak_rss_mb=round(rss), build_summary=summary)
        seconds, rss, figures["noop_summary"] = timed_index(folder, index)
        figures.update(noop_s=round(seconds, 2), noop_peak_rss_mb=round(rss))
        if count >= 100_000:
            figures["noop_target_met"] = seconds <= NOOP_TARGET_S
        victim.write_text(victim.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
        figures["one_edit_s"] = round(timed_index(folder, index)[0], 2)
        os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 10**9))
        figures["one_touch_s"] = round(timed_index(folder, index)[0], 2)
        victim.unlink()
        figures["one_delete_s"] = round(timed_index(folder, index)[0], 2)
    print_figures(figures)


if __name__ == "__main__":
    main()
