"""Bad input answers JSON 422 under gunicorn too, where some faults only show: a header that
gunicorn cannot encode (a full-width month in Content-Disposition) became its HTML 500 page."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy.orm import Session

from access.models import ApiToken, User
from access.tokens import new_token
from db import make_engine
from tests.conftest import ROOT, alembic_config

START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _admin_token(url: str) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            user = User(name="ward-admin", role="admin")
            session.add(user)
            session.flush()
            token, token_hash = new_token()
            session.add(ApiToken(token_hash=token_hash, role="admin", user_id=user.id))
            session.commit()
    finally:
        engine.dispose()
    return token


class Server:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token

    def get(self, raw_path: str) -> tuple[int, str, bytes]:
        """GET a path sent exactly as written (percent-escapes and all); status, type, body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request("GET", raw_path, headers={"Authorization": f"Bearer {self.token}"})
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn serving wsgi:app on a free local port, against a migrated temporary SQLite."""
    folder = tmp_path_factory.mktemp("gunicorn")
    url = f"sqlite:///{folder / 'sasaeai.db'}"
    command.upgrade(alembic_config(url), "head")
    token = _admin_token(url)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "gunicorn-test-secret",
        "PYTHONPATH": str(ROOT),
    }
    log = (folder / "gunicorn.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(port, token)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {(folder / 'gunicorn.log').read_text()[-2000:]}")
            try:
                # the port opens before the worker has imported the app: ask until it answers
                if server.get("/api/v1/categories")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not answer in time")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


FULL_WIDTH_2026 = "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96"  # ２０２６ in UTF-8


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-11%0A",
        f"month={FULL_WIDTH_2026}-11",
        "month=2026-%EF%BC%91%EF%BC%91",  # -１１
        "month=2026-11%0D%0AX-Injected:%201",
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/redemptions.csv", "/api/v1/redemptions"])
def test_a_bad_month_is_json_422_under_gunicorn(gunicorn, path, query):
    status, content_type, body = gunicorn.get(f"{path}?{query}")
    assert status == 422, body[:300]
    assert content_type.startswith("application/json")
    assert "month" in json.loads(body)["errors"]["query"]


def test_a_good_month_downloads_under_gunicorn(gunicorn):
    status, content_type, body = gunicorn.get("/api/v1/redemptions.csv?month=2026-11")
    assert status == 200
    assert content_type.startswith("text/csv")
    assert body.startswith("\ufeff精算月".encode())
