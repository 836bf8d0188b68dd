"""The HTTP face of sasaeai: create_app() builds the Flask app with the JSON API.

The whole app, with the screens too, is sasaeai_app.create_app().
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import Flask, g, send_from_directory
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import IntegerConverter

from db import default_database_url, make_engine
from matching import dispatch

API_PREFIX = "/api/v1"
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """werkzeug's int converter, bounded to what a PostgreSQL INTEGER id can hold."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


_SWAGGER_DIST = Path(flask_swagger_ui.__file__).parent / "dist"


#: The rate-limit scope the おためし form (web.trial) and POST /trial-signups share.
TRIAL_SIGNUP_SCOPE = "trial-signup"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database, API blueprints, errors, commands."""
    app = Flask(__name__, instance_relative_config=True)
    # ids are PostgreSQL INTEGERs: a larger number in a path is simply not found (404)
    app.url_map.converters["int"] = IdConverter
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY"),
        DATABASE_URL=None,
        TIME_ZONE="Asia/Tokyo",
        API_TITLE="sasaeai 支え合い",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # served from the installed flask-swagger-ui package: ward LANs have no internet
        OPENAPI_SWAGGER_UI_URL="/docs-assets/",
        # every operation needs a bearer token unless it says security: [] (the public ones)
        API_SPEC_OPTIONS={"security": [{"bearer": []}]},
        # the おためし signup form is public: keep bots from filling the volunteer list
        TRIAL_SIGNUP_RATE_LIMIT=os.environ.get(
            "TRIAL_SIGNUP_RATE_LIMIT", "5 per minute;30 per day"
        ),
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        RATELIMIT_HEADERS_ENABLED=True,
        # the ward's walking speed between the tasks of a round (m/min; 67 is 4 km/h)
        WALKING_M_PER_MIN=os.environ.get("WALKING_M_PER_MIN", "67"),
        MAX_CONTENT_LENGTH=256 * 1024,
        JSON_SORT_KEYS=False,
    )
    if config:
        app.config.from_mapping(config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = default_database_url()
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    # a wrong speed stops the app at start, not the SC's first match run
    app.config["MATCH_WEIGHTS"] = dispatch.weights_for(app.config["WALKING_M_PER_MIN"])

    # every table the app touches must be mapped before the first query
    import access.models  # noqa: F401
    import matching.models  # noqa: F401
    import notify.models  # noqa: F401
    import points.models  # noqa: F401

    engine = app.config.get("ENGINE") or make_engine(app.config["DATABASE_URL"])
    app.extensions["sasaeai.engine"] = engine
    app.extensions["sasaeai.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    _register_session(app)
    _register_api(app)

    from api.cli import register_commands

    register_commands(app)
    return app


def _instance_secret(instance: Path) -> str:
    """Read the instance's secret key, making one on first start.

    Voucher codes are keyed with it, so it must survive restarts: a key that changed would
    make every outstanding voucher unredeemable. Set SECRET_KEY in production instead.
    """
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f".secret_key.{os.getpid()}"
        draft.touch(mode=0o600)
        draft.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        with contextlib.suppress(FileExistsError):  # another worker was first: use theirs
            os.link(draft, path)
        draft.unlink()
    return path.read_text(encoding="utf-8").strip()


def get_session() -> Session:
    """Return this request's session (one per request, committed once at its end)."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = current_app.extensions["sasaeai.sessionmaker"]()
    session: Session = g.db_session
    return session


def _register_session(app: Flask) -> None:
    from api.errors import commit_or_error_response

    @app.after_request
    def _commit(response):  # type: ignore[no-untyped-def]
        session = g.pop("db_session", None)
        if session is None:
            return response
        try:
            if response.status_code < 400:
                failure = commit_or_error_response(session)
                if failure is not None:
                    return failure
            else:
                session.rollback()
        finally:
            session.close()
        return response

    @app.teardown_request
    def _close(_exc):  # type: ignore[no-untyped-def]
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def _register_api(app: Flask) -> None:
    from api import (
        assignments,
        categories,
        help_requests,
        match_runs,
        points,
        residents,
        series,
        shops,
        trial_signups,
        volunteers,
    )
    from api.errors import SasaeaiApi, register_error_handlers
    from api.schemas import storable_text

    api = SasaeaiApi(app)
    # before any schema is turned into the document: every text field says it takes no NUL
    api.ma_plugin.converter.add_attribute_function(storable_text)
    api.register_converter(
        IdConverter, lambda _: {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    )
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "API token or shop key"}
    )
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        default_limits=[],
    )
    # the screens limit their own forms with the same limiter (one storage, one key function)
    app.extensions["sasaeai.limiter"] = limiter
    # one count per address for the form and this endpoint: either way is one signup
    limiter.shared_limit(
        app.config["TRIAL_SIGNUP_RATE_LIMIT"], scope=TRIAL_SIGNUP_SCOPE, methods=["POST"]
    )(trial_signups.blp)
    for module in (
        categories,
        residents,
        volunteers,
        trial_signups,
        help_requests,
        match_runs,
        assignments,
        points,
        shops,
        series,
    ):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX)
    register_error_handlers(app)

    @app.get("/docs-assets/<path:filename>")
    def _swagger_assets(filename: str):  # type: ignore[no-untyped-def]
        return send_from_directory(_SWAGGER_DIST, filename)
