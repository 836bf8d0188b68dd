"""The screens through Flask's test client: a browser's requests without the browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from access.models import User
from access.passwords import hash_password

PASSWORD = "taishido-4-chome"  # noqa: S105 - every test SC's password


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Visitor:
    """The test client used as a person's browser: it fetches a form, then posts it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str, **kw: Any):
        return self.client.get(path, **kw)

    def submit(self, path: str, data: dict[str, str], *, form_at: str | None = None, **kw: Any):
        """Post a form as the page at `form_at` (default: `path`) would, with its token."""
        page = self.client.get(form_at or path)
        return self.client.post(path, data={**data, "csrf_token": csrf_token(page.text)}, **kw)

    def sign_in(self, name: str, password: str = PASSWORD, **kw: Any):
        return self.submit("/login", {"name": name, "password": password}, **kw)


@pytest.fixture
def visitor(app: Flask, session: Session) -> Visitor:
    return Visitor(app.test_client())


@pytest.fixture
def make_staff(session: Session) -> Callable[..., User]:
    def make(**params: Any) -> User:
        params.setdefault("name", "sc-kitazawa")
        params.setdefault("role", "coordinator")
        password = params.pop("password", PASSWORD)
        params["password_hash"] = hash_password(password) if password else None
        user = User(**params)
        session.add(user)
        session.flush()
        return user

    return make
