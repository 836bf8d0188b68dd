"""The whole app: the JSON API and the screens, two faces over the same services.

Neither face imports the other (import-linter checks it); this module puts them together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.cli import FlaskGroup
from werkzeug.middleware.proxy_fix import ProxyFix

import web
from api import create_app as create_api_app


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: the API (configuration, database, /api/v1, its docs), then the screens."""
    settings: dict[str, Any] = {
        # None: decided by web.init_app (Secure unless debugging or testing)
        "SESSION_COOKIE_SECURE": _env_flag("SESSION_COOKIE_SECURE"),
        # how many proxies in front set X-Forwarded-For and X-Forwarded-Proto (0: none)
        "PROXY_FIX_HOPS": int(os.environ.get("PROXY_FIX_HOPS", "0")),
    }
    settings.update(config or {})
    app = create_api_app(settings)
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops:
        # the client's address (rate limits) and https (CSRF's referrer check) as the proxy saw
        # them; X-Forwarded-Host is not trusted, the proxy passes Host on
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    web.init_app(app)
    return app


def _env_flag(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def main() -> None:
    """Run the `sasaeai` command (the Flask CLI with this app)."""
    FlaskGroup(create_app=create_app)()
