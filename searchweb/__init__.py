"""seedsearch's web front end: search pages, article pages and a JSON API.

The app holds one `Engine` (`indexer.open_engine`) for all its threads and
asks it for records only; two blueprints serve them: `pages` (HTML, the feed,
OpenSearch) and `api` (JSON, /healthz).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from indexer import load_config, open_engine
from indexer.config import SETTINGS_BY_NAME

from . import api, errors, pages, security
from .heavy import HeavyGate


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask app. `config` may set corpus, index, language and engine (else the
    environment).

    Other keys go to Flask's own config (TESTING, say), and seedsearch's own:
    SEEDSEARCH_ALLOWED_HOSTS (the Host names answered; default: loopback names
    plus the SEEDSEARCH_ALLOWED_HOSTS environment variable), SEEDSEARCH_PUBLIC_URL
    (the origin absolute links are built on; default: that variable, else
    http://127.0.0.1:8000) and SEEDSEARCH_WATCHER (the `indexer.watch.WatcherHealth`
    of a watcher, reported by /healthz).

    The engine is `app.extensions["seedsearch"]`; whoever made the app closes it.
    """
    config = dict(config or {})
    settings = load_config({name: config.pop(name, None) for name in SETTINGS_BY_NAME})
    app = Flask(__name__)
    app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["seedsearch"] = open_engine(settings)
    app.extensions["seedsearch_heavy"] = HeavyGate()
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    errors.init_app(app, json_blueprints={api.bp.name: api.PREFIX})
    security.init_app(app)
    return app
