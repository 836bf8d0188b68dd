"""Test fixtures: one migrated database per run (SQLite or PostgreSQL), a rolled-back
transaction per test, and factories that give defaults so a test states only what matters."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from access.models import ApiToken, User
from access.tokens import new_token
from db import make_engine
from matching import services
from matching.models import HelpRequest, Resident, Volunteer
from sasaeai_app import create_app

ROOT = Path(__file__).resolve().parent.parent
TOKYO = ZoneInfo("Asia/Tokyo")
ALL_WEEK = [{"weekday": d, "start_min": 0, "end_min": 1440} for d in range(7)]


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def _expected_backend() -> str:
    """The backend the run must be on: PostgreSQL when TEST_DATABASE_URL names it, else SQLite."""
    url = os.environ.get("TEST_DATABASE_URL")
    return make_url(url).get_backend_name() if url else "sqlite"


def pytest_sessionstart(session: pytest.Session) -> None:
    """A run told to use a database fails at once if that database cannot be reached, rather
    than passing quietly on SQLite."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return
    try:
        probe = make_engine(url)
        with probe.connect() as conn:
            server = conn.execute(text("SELECT version()")).scalar_one()
        probe.dispose()
    except Exception as exc:  # any failure to reach it ends the run
        pytest.exit(f"TEST_DATABASE_URL is set but cannot be used: {exc}", returncode=3)
    if make_url(url).get_backend_name() == "postgresql" and "PostgreSQL" not in str(server):
        pytest.exit(f"TEST_DATABASE_URL is not PostgreSQL: {server}", returncode=3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On the PostgreSQL run a PostgreSQL-only test that skips is a failure, not a pass."""
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and _expected_backend() == "postgresql"
        and item.get_closest_marker("postgres_only") is not None
    ):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} is marked postgres_only but was skipped on the PostgreSQL run: "
            f"{report.longrepr}"
        )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """TEST_DATABASE_URL (PostgreSQL in CI's second pass) or a fresh SQLite file; each
    pytest-xdist worker gets a database of its own."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if worker_id == "master":
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker_id}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def reset_database(engine: Engine) -> None:
    """Drop everything so the run starts from an empty database."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            names = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            for (name,) in list(names):
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    # the suite must run on the database it was told to use, never fall back to another
    assert engine.dialect.name == _expected_backend(), (engine.url, _expected_backend())
    reset_database(engine)
    command.upgrade(alembic_config(database_url), "head")
    yield engine
    engine.dispose()


@pytest.fixture
def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@pytest.fixture(scope="session")
def app(engine: Engine, database_url: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ENGINE": engine,
            "TRIAL_SIGNUP_RATE_LIMIT": "1000 per minute",
            "SIGNIN_RATE_LIMIT": "1000 per minute",
        }
    )


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """An outer transaction that the test's work joins by savepoints, rolled back after."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(app: Flask, connection: Connection) -> Iterator[Session]:
    """The session the app's requests use in this test; code under test may commit."""
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    original = app.extensions["sasaeai.sessionmaker"]
    app.extensions["sasaeai.sessionmaker"] = factory
    with factory() as session:
        yield session
    app.extensions["sasaeai.sessionmaker"] = original


class Api:
    """The test client with a token and JSON by default: api.post(path, json, token=...)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def call(self, method: str, path: str, json: Any = None, token: str | None = None, **kw: Any):
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.open(path, method=method, json=json, headers=headers, **kw)

    def get(self, path: str, token: str | None = None, **kw: Any):
        return self.call("GET", path, token=token, **kw)

    def post(self, path: str, json: Any = None, token: str | None = None, **kw: Any):
        return self.call("POST", path, json, token=token, **kw)

    def patch(self, path: str, json: Any = None, token: str | None = None, **kw: Any):
        return self.call("PATCH", path, json, token=token, **kw)


@pytest.fixture(autouse=True)
def ledger_invariants(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used the database, every ledger invariant of domain.md holds.

    Tests on committed data (the committing_engine fixture) check in that fixture; pure tests
    have no session.
    """
    if "session" not in request.fixturenames or "committing_engine" in request.fixturenames:
        yield
        return
    session: Session = request.getfixturevalue("session")
    yield
    from points.invariants import check

    session.expire_all()
    assert check(session) == []


@pytest.fixture
def api(app: Flask, session: Session) -> Api:
    return Api(app.test_client())


def _staff_token(session: Session, name: str, role: str) -> str:
    user = User(name=name, role=role)
    session.add(user)
    session.flush()
    token, token_hash = new_token()
    session.add(ApiToken(token_hash=token_hash, role=role, user_id=user.id))
    session.flush()
    return token


@pytest.fixture
def coordinator(session: Session) -> str:
    """A coordinator's (SC's) token."""
    return _staff_token(session, "sc-taishido", "coordinator")


@pytest.fixture
def admin(session: Session) -> str:
    return _staff_token(session, "ward-admin", "admin")


def local(day_offset: int, hh: int, mm: int = 0) -> dt.datetime:
    """A Tokyo time some days from today."""
    day = dt.datetime.now(TOKYO).date() + dt.timedelta(days=day_offset)
    return dt.datetime.combine(day, dt.time(hh, mm), TOKYO)


@pytest.fixture
def make_resident(session: Session) -> Callable[..., Resident]:
    def make(**params: Any) -> Resident:
        params.setdefault("name", "山田 花子")
        params.setdefault("address", "東京都世田谷区太子堂4-1-1")
        params.setdefault("phone", "03-1234-5678")
        params.setdefault("lat", 35.6432)
        params.setdefault("lon", 139.6710)
        params.setdefault("zone", "太子堂")
        return services.create_resident(session, **params)

    return make


@pytest.fixture
def make_volunteer(session: Session) -> Callable[..., tuple[Volunteer, str]]:
    """Make a volunteer; returns (volunteer, token)."""

    def make(**params: Any) -> tuple[Volunteer, str]:
        params.setdefault("name", "佐藤 一郎")
        params.setdefault("birth_year", 1956)
        params.setdefault("lat", 35.6440)
        params.setdefault("lon", 139.6690)
        params.setdefault("zone", "太子堂")
        params.setdefault("max_distance_m", 1000)
        params.setdefault("skills", ["garbage", "shopping", "ladder"])
        params.setdefault("availability", ALL_WEEK)
        return services.create_volunteer(session, **params)

    return make


@pytest.fixture
def make_help_request(
    session: Session, make_resident: Callable[..., Resident]
) -> Callable[..., HelpRequest]:
    def make(**params: Any) -> HelpRequest:
        if "resident_id" not in params:
            params["resident_id"] = params.pop("resident", None) or make_resident()
            params["resident_id"] = params["resident_id"].id
        params.setdefault("category", "garbage")
        params.setdefault("window_start", local(2, 7))
        params.setdefault("window_end", local(2, 9))
        return services.create_help_request(session, **params)

    return make
