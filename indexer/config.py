"""Settings shared by the CLI and the web app, declared once.

Each setting has a name, a default, an environment variable and a help text;
the CLI builds its options from these and the web app reads the same
environment, so both always agree on which corpus and index they use.

An index records the corpus and language it was built with. A setting nobody
gave (no option, no environment variable) is listed in `Config.defaulted`:
readers and writers then use the index's own (`indexer.whoosh_engine.store.index_settings`), and
the default only for a new index. So an index built for Spanish is searched as
Spanish, and a plain `seedsearch index` updates the corpus the index holds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import snowballstemmer

from .errors import InvalidSetting


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    envvar: str
    help: str
    recorded: bool = False  # the index records it: when not given, the index's is used


SETTINGS: tuple[Setting, ...] = (
    Setting("corpus", "seeds", "SEEDSEARCH_CORPUS",
            "Folder of .txt articles, or a .jsonl / .jsonl.gz file.", recorded=True),
    Setting("index", ".seedsearch/index", "SEEDSEARCH_INDEX",
            "Folder holding the search index (created when missing)."),
    Setting("language", "english", "SEEDSEARCH_LANGUAGE",
            "Snowball stemmer language used for indexing and queries.", recorded=True),
    Setting("engine", "whoosh", "SEEDSEARCH_ENGINE",
            "Search engine: whoosh (a local index folder)."),
)
ENGINES = ("whoosh",)  # the names `engine` takes; `indexer.engines` opens each

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Config:
    """Resolved settings. Paths are kept as given; `resolved()` makes them absolute.

    `defaulted` names the settings that took their default because nobody gave
    them (see the module's docstring); a Config made in code gives all three.
    """

    corpus: Path
    index: Path
    language: str = "english"
    defaulted: frozenset[str] = frozenset()
    engine: str = "whoosh"

    def __post_init__(self) -> None:
        check_language(self.language)
        check_engine(self.engine)

    def given(self, name: str) -> bool:
        """Whether the setting came from an option, the environment or the caller."""
        return name not in self.defaulted

    def with_(self, **changes: object) -> Config:
        """A copy with `changes`. Callers gather them by name at run time, so their
        values cannot be typed field by field: replace() refuses a name that is not a
        setting, and __post_init__ checks the language and the engine."""
        return replace(self, **cast(dict[str, Any], changes))


def check_language(language: str) -> str:
    if language not in snowballstemmer.algorithms():
        choices = ", ".join(sorted(snowballstemmer.algorithms()))
        raise InvalidSetting(f"Unknown language {language!r}.", f"Choose one of: {choices}.")
    return language


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise InvalidSetting(f"Unknown engine {engine!r}.", f"Choose one of: {', '.join(ENGINES)}.")
    return engine


def resolved(path: Path) -> Path:
    """`path` made absolute with its links followed, as messages and settings.json
    name it; never raises (a loop of links is left as it is, for the next step to
    report)."""
    return Path(os.path.realpath(path))


def load_config(overrides: Mapping[str, object] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Settings from explicit values, else the environment, else the defaults
    (those listed in `defaulted`)."""
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    values: dict[str, str] = {}
    defaulted: set[str] = set()
    for setting in SETTINGS:
        value = overrides.get(setting.name)
        if value is None:
            value = environ.get(setting.envvar) or None  # an empty variable is not set
        if value is None:
            value = setting.default
            defaulted.add(setting.name)
        values[setting.name] = str(value)
    return Config(corpus=Path(values["corpus"]), index=Path(values["index"]),
                  language=values["language"], defaulted=frozenset(defaulted),
                  engine=values["engine"])
