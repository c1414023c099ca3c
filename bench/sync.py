"""How fast the index follows a folder: full build, no-op sync, one changed file.

    python -m bench.sync --corpus ../shared/corpora/reuters21578/corpus.jsonl.gz

Writes each JSONL record out as a `.txt` file (headline, blank line, body) in
a temporary folder, then times, each in a fresh process: the first build,
a sync with nothing changed, a sync after one file is edited, a sync after
one file is touched without change, and a sync after one file is deleted.
Prints a Markdown table and the same figures as JSON.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from indexer.sources import read_jsonl

from . import print_figures


def write_tree(jsonl: Path, folder: Path) -> int:
    count = 0
    for article in read_jsonl(jsonl):
        name = article.id.replace("/", "_") + ".txt"
        (folder / name).write_text(f"{article.title}\n\n{article.body}\n", encoding="utf-8")
        count += 1
    return count


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
    parser.add_argument("--corpus", type=Path, required=True, help="a .jsonl.gz corpus")
    args = parser.parse_args()
    figures: dict[str, object] = {"corpus": str(args.corpus)}
    with tempfile.TemporaryDirectory() as scratch:
        folder, index = Path(scratch) / "tree", Path(scratch) / "index"
        folder.mkdir()
        figures["files"] = count = write_tree(args.corpus, folder)
        seconds, rss, summary = timed_index(folder, index)
        figures.update(build_s=round(seconds, 2), build_docs_per_s=round(count / seconds),
                       build_peak_rss_mb=round(rss), build_summary=summary)
        seconds, _, figures["noop_summary"] = timed_index(folder, index)
        figures["noop_s"] = round(seconds, 2)
        victim = sorted(folder.iterdir())[count // 2]
        victim.write_text(victim.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
        figures["one_edit_s"] = round(timed_index(folder, index)[0], 2)
        os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 10**9))
        figures["one_touch_s"] = round(timed_index(folder, index)[0], 2)
        victim.unlink()
        figures["one_delete_s"] = round(timed_index(folder, index)[0], 2)
    print_figures(figures)


if __name__ == "__main__":
    main()
