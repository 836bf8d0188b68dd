"""`users create --password` and `users set-password`: asked twice, never echoed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from access.models import User
from access.tokens import hash_token
from tests.web.conftest import Visitor


@pytest.fixture
def runner(app, session):
    return app.test_cli_runner()


def test_users_create_asks_for_a_password_and_still_prints_the_token_last(
    runner, session, visitor: Visitor, api
):
    result = runner.invoke(
        args=["users", "create", "sc-kyodo", "--role", "coordinator", "--password"],
        input="kyodo-1-chome-ok\nkyodo-1-chome-ok\n",
    )
    assert result.exit_code == 0, result.output
    assert "kyodo-1-chome-ok" not in result.output  # the typing is not echoed
    token = result.output.strip().splitlines()[-1]
    assert " " not in token and len(token) >= 40
    user = session.scalar(select(User).where(User.name == "sc-kyodo"))
    assert user.password_hash.startswith("scrypt:")
    assert api.get("/api/v1/help-requests", token=token).status_code == 200
    assert visitor.sign_in("sc-kyodo", "kyodo-1-chome-ok").status_code == 303


def test_the_password_is_asked_twice_and_must_be_long_enough(runner, session):
    mismatch = runner.invoke(
        args=["users", "create", "sc-typo", "--role", "admin", "--password"],
        input="kyodo-1-chome-ok\nkyodo-1-chome-no\nkyodo-1-chome-ok\nkyodo-1-chome-ok\n",
    )
    assert mismatch.exit_code == 0, mismatch.output
    assert "do not match" in mismatch.output
    short = runner.invoke(
        args=["users", "create", "sc-short", "--role", "admin", "--password"], input="abc\nabc\n"
    )
    assert short.exit_code != 0 and "12" in short.output
    assert session.scalar(select(User).where(User.name == "sc-short")) is None


def test_without_password_a_user_only_has_a_token(runner, session):
    result = runner.invoke(args=["users", "create", "robot", "--role", "coordinator"], input="")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    user = session.scalar(select(User).where(User.name == "robot"))
    assert user.password_hash is None
    assert hash_token(result.output.strip().splitlines()[-1])


def test_scripts_give_the_password_in_the_environment(runner, session, visitor: Visitor):
    result = runner.invoke(
        args=["users", "create", "demo-sc", "--role", "coordinator"],
        env={"SASAEAI_PASSWORD": "demo-password-123"},
    )
    assert result.exit_code == 0, result.output
    assert visitor.sign_in("demo-sc", "demo-password-123").status_code == 303


def test_set_password_gives_an_existing_user_a_new_one(runner, session, visitor: Visitor):
    runner.invoke(args=["users", "create", "sc-old", "--role", "coordinator"])
    result = runner.invoke(
        args=["users", "set-password", "sc-old"], input="sc-old-new-pass\nsc-old-new-pass\n"
    )
    assert result.exit_code == 0, result.output
    assert visitor.sign_in("sc-old", "sc-old-new-pass").status_code == 303
    missing = runner.invoke(
        args=["users", "set-password", "nobody"], input="sc-old-new-pass\nsc-old-new-pass\n"
    )
    assert missing.exit_code != 0 and "nobody" in missing.output
