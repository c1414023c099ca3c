"""What an index records about itself, and what a setting that differs means.

Each generation's settings.json names the schema version, the language and
(since it was added; older indexes lack it) the corpus it was built from. A
setting nobody gave is taken from there (`recorded_config`), so an index built
for Spanish is searched as Spanish without `--language`. A setting given that
differs means, for readers, a refusal naming what to run (`check_readable`);
for writers, a rebuild for a language or schema change (`rebuild_reason`) and
a refusal for another corpus (`check_same_corpus`): updating an index with
another corpus would silently replace its articles, which only `--rebuild` may.

The index folder's own path is recorded too: an index moved or copied along
with its corpus (the corpus where it was relative to the index) is the same
index, not one pointed at another corpus, and learns its new paths.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import snowballstemmer

from indexer.config import Config, resolved
from indexer.errors import CorpusMismatch, SeedsearchError, SettingsMismatch
from indexer.hints import corpus_mismatch_hint, index_command, language_mismatch_hint

from ..codec.schema import SCHEMA_VERSION
from .index_files import (
    SETTINGS_FILE,
    IndexSettings,
    check_index_dir,
    current_generation,
    read_settings,
    remove_entry,
    write_failed,
    write_new_file,
)


def recorded_config(config: Config, generation: Path | None = None) -> Config:
    """`config` with the corpus and language nobody gave taken from what the index
    (its live generation, or `generation`) recorded. Unchanged when there is no
    index or it cannot be read: the step that opens it reports why."""
    if config.given("corpus") and config.given("language"):
        return config
    try:
        if generation is None:
            check_index_dir(config.index)  # never read a folder of the user's files
            generation = current_generation(config.index)
        built = read_settings(generation) if generation is not None else None
    except (SeedsearchError, OSError):
        return config
    if built is None:
        return config
    changes: dict[str, object] = {}
    if not config.given("language") and built.language in snowballstemmer.algorithms():
        changes["language"] = built.language
    if not config.given("corpus") and built.corpus:
        changes["corpus"] = _moved_corpus(config, built) or Path(built.corpus)
    return config.with_(**changes)


def _moved_corpus(config: Config, built: IndexSettings) -> Path | None:
    """Where the corpus is now if the index was moved or copied with it: at the same
    place relative to the index folder, when something is there."""
    if built.corpus is None or built.index is None:
        return None
    here = resolved(config.index)
    if here == Path(built.index):
        return None
    moved = Path(os.path.normpath(here / os.path.relpath(built.corpus, built.index)))
    return moved if os.path.exists(moved) else None


def check_readable(config: Config, built: IndexSettings) -> None:
    """SettingsMismatch, in plain words with the commands to run, when an index built
    with `built` cannot be searched with `config`: another schema version, or
    another language given."""
    index = resolved(config.index)
    if built.schema_version != SCHEMA_VERSION:
        raise SettingsMismatch(
            f"The index at {index} was made by another version of seedsearch (index "
            f"format {built.schema_version}; this version reads format {SCHEMA_VERSION}).",
            f"Rebuild it with: {index_command(config, '--rebuild')}")
    if config.given("language") and built.language != config.language:
        raise SettingsMismatch(f"The index at {index} was built for {built.language}, not "
                               f"{config.language}.",
                               language_mismatch_hint(config, built.language))


def rebuild_reason(config: Config, built: IndexSettings | None) -> str | None:
    """Why a writer must build a new generation rather than update this one: it was
    built with another schema version or language, or what it was built with cannot
    be read. None when it can be updated."""
    if built is None:
        return "what it was built with cannot be read"
    if built.schema_version != SCHEMA_VERSION:
        return f"it is in index format {built.schema_version}, this version writes " \
               f"{SCHEMA_VERSION}"
    if built.language != config.language:
        return f"it was built for {built.language}, not {config.language}"
    return None


def check_same_corpus(config: Config, built: IndexSettings | None) -> None:
    """CorpusMismatch naming both corpora and the two ways out (`--rebuild`, or a new
    `--index`) when the index holds another corpus. An index that has not recorded
    its corpus (made before it was recorded) is taken to hold this one, and so is
    an index moved with its corpus."""
    if built is None or built.corpus is None:
        return
    wanted = resolved(config.corpus)
    if Path(built.corpus) != wanted and _moved_corpus(config, built) != wanted:
        raise CorpusMismatch(f"The index at {resolved(config.index)} holds the corpus "
                             f"{built.corpus}, not {wanted}.", corpus_mismatch_hint(config))


def record_paths(generation: Path, config: Config) -> None:
    """Record where the corpus and the index are in the settings of a generation that
    does not say (made before they were recorded) or says otherwise (moved with its
    corpus); with the write lock held, after `check_same_corpus`. So the next run
    with another corpus is refused. The file is replaced atomically: readers see
    the old or the new one."""
    built = read_settings(generation)
    corpus, index = str(resolved(config.corpus)), str(resolved(config.index))
    if built is None or (built.corpus, built.index) == (corpus, index):
        return
    settings = replace(built, corpus=corpus, index=index)
    pending = generation / f"{SETTINGS_FILE}.tmp"
    try:
        remove_entry(pending)  # left by a run killed here
        write_new_file(pending, settings.to_json())
        os.replace(pending, generation / SETTINGS_FILE)
    except OSError as error:
        remove_entry(pending)
        raise write_failed(generation.parent, "record the corpus's path in", error) from error
