"""Absolute links (feeds, OpenSearch): on the configured public address only."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on the configured public address, never on the request's Host
    (which a client chooses: it must not end up in links others follow)."""
    return current_app.config["SEEDSEARCH_PUBLIC_URL"] + url_for(endpoint, **values)
