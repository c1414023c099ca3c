"""Opening the engine the settings name: the one place that knows every engine.

Front ends call `open_engine(config)` and hold what it returns as an `Engine`;
an engine's package is imported only when it is chosen.
"""

from __future__ import annotations

from .config import Config
from .engine import Engine


def open_engine(config: Config) -> Engine:
    """The engine `config.engine` names, over `config`'s index (not opened yet:
    opening it is the first verb's job, so `sync` can build a missing index)."""
    if config.engine == "whoosh":
        from .whoosh_engine.engine import WhooshEngine

        return WhooshEngine(config)
    raise AssertionError(f"unknown engine {config.engine!r}")  # Config refuses others
