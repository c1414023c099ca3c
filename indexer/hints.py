"""The commands messages tell people to run, with the paths that would really be used.

"Build it with: seedsearch index --corpus seeds" sent people from another folder
after a `seeds` that is not there, and a hint without `--index` rebuilt the
default index instead of the one asked for. So every suggested command names the
corpus resolved to an absolute path, the index when one was given, the language
when one was given, and a message says so when the corpus folder does not exist.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import SETTINGS_BY_NAME, Config, resolved
from .errors import CorpusNotFound, IndexDamaged, IndexNotFound

PLACEHOLDER_CORPUS = "FOLDER"
PLACEHOLDER_INDEX = "NEW_FOLDER"


def quoted(path: Path) -> str:
    """An absolute path as a shell word."""
    return shlex.quote(str(resolved(path)))


def index_command(config: Config, *flags: str, corpus: str | None = None,
                  index: str | None = None, language: str | None = None) -> str:
    """`seedsearch index FLAGS --language L --corpus /abs/corpus --index /abs/index`:
    the language and the index only when given (else the index's own, or the
    default, are what the command uses anyway); `corpus`, `index` and `language`
    replace what `config` says (a placeholder, say)."""
    words = ["seedsearch", "index", *flags]
    language = language or (config.language if config.given("language") else None)
    if language:
        words += ["--language", language]
    words += ["--corpus", corpus or quoted(config.corpus)]
    if index or config.given("index"):
        words += ["--index", index or quoted(config.index)]
    return " ".join(words)


def corpus_noun(path: Path) -> str:
    """"corpus folder", or "corpus" for a JSON Lines file."""
    return "corpus" if path.name.endswith((".jsonl", ".jsonl.gz")) else "corpus folder"


def no_index(config: Config) -> IndexNotFound:
    """There is no index yet: the command that builds it, or, when the corpus it would
    read is not there either, a placeholder for it."""
    index, corpus = resolved(config.index), resolved(config.corpus)
    if os.path.exists(corpus):
        return IndexNotFound(f"There is no index at {index} yet.",
                             f"Build it with: {index_command(config)}")
    return IndexNotFound(
        f"There is no index at {index} yet, and the {corpus_noun(corpus)} {corpus} does "
        "not exist.", f"Build it from your articles with: "
                      f"{index_command(config, corpus=PLACEHOLDER_CORPUS)}")


def language_mismatch_hint(config: Config, built_for: str) -> str:
    """What to do when `--language` names another language than the index's."""
    unset = " and SEEDSEARCH_LANGUAGE unset" \
        if os.environ.get(SETTINGS_BY_NAME["language"].envvar) else ""
    return (f"Search it without --language{unset} (or with --language {built_for}), or "
            f"rebuild it for {config.language}: {index_command(config, '--rebuild')}")


def corpus_mismatch_hint(config: Config) -> str:
    """The two ways out when the index holds another corpus: replace it, or a new index."""
    return (f"Replace it with this one: {index_command(config, '--rebuild')}\n"
            f"or keep both, giving this one an index of its own: "
            f"{index_command(config, index=PLACEHOLDER_INDEX)}")


def missing_corpus(config: Config, error: CorpusNotFound) -> CorpusNotFound:
    """A corpus that is not there, named as the absolute path looked for, and as the
    index's own when it came from the index (no --corpus given, an absolute path)."""
    if os.path.lexists(config.corpus):  # there, but not a corpus: said as it is
        return error
    if not config.given("corpus") and config.corpus.is_absolute():
        return CorpusNotFound(f"The corpus the index at {resolved(config.index)} was built "
                              f"from, {config.corpus}, does not exist.",
                              "Bring it back, or pass --corpus PATH.")
    if config.corpus.is_absolute():
        return error
    return CorpusNotFound(f"Corpus {config.corpus} ({resolved(config.corpus)}) does not "
                          "exist.", error.hint)


@contextmanager
def commands_named(config: Config) -> Iterator[None]:
    """Errors whose hint is a generic command get the one for these settings."""
    try:
        yield
    except IndexDamaged as error:
        if error.hint == IndexDamaged.hint:
            error.hint = f"Rebuild it with: {index_command(config, '--rebuild')}"
        raise
