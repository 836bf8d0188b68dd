"""Browser tests: the whole app served on 127.0.0.1 from a database of its own, driven by
Debian's Chromium through Playwright.

Each pytest-xdist worker gets its own database (a migrated SQLite file, or on the PostgreSQL run
a database created beside TEST_DATABASE_URL), its own server thread and its own browser.
Screenshots go to artifacts/screens/ (not committed).
"""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import make_url, text
from werkzeug.serving import BaseWSGIServer, make_server

from access.models import User
from access.passwords import hash_password
from db import make_engine
from sasaeai_app import create_app
from tests.conftest import ROOT, alembic_config

CHROMIUM = "/usr/bin/chromium"
#: design.md, "Verified on this kind of machine"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENS = ROOT / "artifacts" / "screens"
PASSWORD = "kitazawa-2-chome-ok"  # noqa: S105 - every test SC's password
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium with the flags that work on this kind of machine (no download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/setup.sh` as root (installs it)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live: LiveServer) -> str:
    """The served app's address (also replaces pytest-playwright's own base_url fixture, whose
    form pytest 9 deprecates: a warning is an error in this suite)."""
    return live.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "ja-JP", "viewport": DESKTOP}


@pytest.fixture(scope="session")
def _pw_artifacts_folder() -> Iterator[tempfile.TemporaryDirectory[str]]:
    """pytest-playwright's scratch folder, removed when the session ends: its own removal never
    runs in a pytest-xdist worker, which then prints a ResourceWarning at exit. (Its failure
    screenshots and videos are off here; these tests save their own screenshots.)"""
    folder = tempfile.TemporaryDirectory(prefix="playwright-pytest-")
    yield folder
    folder.cleanup()


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the served app, never the one the other tests roll back in."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        path = tmp_path_factory.mktemp("e2e") / "e2e.db"
        served = f"sqlite:///{path}"
        command.upgrade(alembic_config(served), "head")
        yield served
        return
    parsed = make_url(url)
    name = f"{parsed.database}_e2e_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    served = parsed.set(database=name).render_as_string(hide_password=False)
    command.upgrade(alembic_config(served), "head")
    yield served
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class LiveServer:
    """The app served by werkzeug in a thread of this process, at `url`."""

    app: Flask
    server: BaseWSGIServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def make_staff(self, role: str = "coordinator", name: str | None = None) -> User:
        """A staff user who signs in with PASSWORD (a new name each time: the database is
        shared by the tests of this worker)."""
        name = name or f"sc-{uuid.uuid4().hex[:8]}"
        with self.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
            user = User(name=name, role=role, password_hash=hash_password(PASSWORD))
            session.add(user)
        return user


def serve(app: Flask) -> Iterator[LiveServer]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, server)
    finally:
        server.shutdown()
        thread.join(timeout=5)


def served_app(database_url: str, **config: Any) -> Flask:
    """The app as a ward runs it (not TESTING: errors become pages), Secure cookies included:
    Chromium keeps Secure cookies on http://127.0.0.1, a trustworthy origin."""
    settings = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "e2e-" + uuid.uuid4().hex,
        "SESSION_COOKIE_SECURE": True,
        "SIGNIN_RATE_LIMIT": "1000 per minute",
        "TRIAL_SIGNUP_RATE_LIMIT": "1000 per minute",
    }
    settings.update(config)
    return create_app(settings)


@pytest.fixture(scope="session")
def live(e2e_database_url: str) -> Iterator[LiveServer]:
    yield from serve(served_app(e2e_database_url))


@pytest.fixture(scope="session")
def live_factory(e2e_database_url: str) -> Iterator[Callable[..., LiveServer]]:
    """Serve another app on the same database with other settings (e.g. a low rate limit)."""
    servers: list[Iterator[LiveServer]] = []

    def start(**config: Any) -> LiveServer:
        running = serve(served_app(e2e_database_url, **config))
        servers.append(running)
        return next(running)

    yield start
    for running in servers:
        next(running, None)


@pytest.fixture
def phone(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    """A page 360 px wide, as on a small phone."""
    context: BrowserContext = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as artifacts/screens/NAME.png (for people to look at)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_AXE = Axe()


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    results = _AXE.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in bad
    )
