"""Settings shared by the CLI and the web app, declared once.

Each setting has a name, a default, an environment variable and a help text;
the CLI builds its options from these and the web app reads the same
environment, so both always agree on which corpus and index they use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

import snowballstemmer

from .errors import InvalidSetting


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    envvar: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("corpus", "seeds", "SEEDSEARCH_CORPUS",
            "Folder of .txt articles, or a .jsonl / .jsonl.gz file."),
    Setting("index", ".seedsearch/index", "SEEDSEARCH_INDEX",
            "Folder holding the search index (created when missing)."),
    Setting("language", "english", "SEEDSEARCH_LANGUAGE",
            "Snowball stemmer language used for indexing and queries."),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Config:
    """Resolved settings. Paths are kept as given; `resolve()` makes them absolute."""

    corpus: Path
    index: Path
    language: str = "english"

    def __post_init__(self) -> None:
        check_language(self.language)

    def with_(self, **changes: object) -> "Config":
        return replace(self, **changes)  # type: ignore[arg-type]


def check_language(language: str) -> str:
    if language not in snowballstemmer.algorithms():
        choices = ", ".join(sorted(snowballstemmer.algorithms()))
        raise InvalidSetting(f"Unknown language {language!r}.", f"Choose one of: {choices}.")
    return language


def load_config(overrides: Mapping[str, object] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Settings from explicit values, else the environment, else the defaults."""
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    values: dict[str, str] = {}
    for setting in SETTINGS:
        value = overrides.get(setting.name)
        if value is None:
            value = environ.get(setting.envvar) or setting.default
        values[setting.name] = str(value)
    return Config(corpus=Path(values["corpus"]), index=Path(values["index"]),
                  language=values["language"])
