"""Commands: staff users with their token on the last line; demo data from a real ward."""

import pytest
from sqlalchemy import func, select

from access.models import ApiToken, User
from access.tokens import hash_token
from matching.models import HelpRequest, Resident, Volunteer


@pytest.fixture
def runner(app, session):
    return app.test_cli_runner()


def test_users_create_prints_the_token_alone_on_the_last_line(runner, session, api):
    result = runner.invoke(args=["users", "create", "sc-sangenjaya", "--role", "coordinator"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert " " not in token and len(token) >= 40
    user = session.scalar(select(User).where(User.name == "sc-sangenjaya"))
    assert user.role == "coordinator"
    stored = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored.token_hash == hash_token(token)
    assert api.get("/api/v1/help-requests", token=token).status_code == 200


def test_users_create_refuses_a_duplicate_name_and_a_bad_role(runner):
    assert runner.invoke(args=["users", "create", "dup", "--role", "admin"]).exit_code == 0
    again = runner.invoke(args=["users", "create", "dup", "--role", "admin"])
    assert again.exit_code != 0 and "exists" in again.output
    assert runner.invoke(args=["users", "create", "x", "--role", "volunteer"]).exit_code != 0


def test_demo_seed_places_people_in_the_ward(runner, session):
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    before = (count(Resident), count(Volunteer), count(HelpRequest))
    result = runner.invoke(
        args=[
            "demo",
            "seed",
            "--ward",
            "北区",
            "--residents",
            "40",
            "--volunteers",
            "50",
            "--requests",
            "30",
            "--series",
            "0",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "北区" in result.output
    assert (count(Resident), count(Volunteer), count(HelpRequest)) == (
        before[0] + 40,
        before[1] + 50,
        before[2] + 30,
    )
    residents = session.scalars(select(Resident).order_by(Resident.id.desc()).limit(40)).all()
    # 北区 lies roughly between these; every point is a real 町丁目 point plus a little jitter
    assert all(35.73 < r.lat < 35.80 and 139.67 < r.lon < 139.77 for r in residents)
    assert all(r.address.startswith("東京都北区") for r in residents)
    assert len({r.zone for r in residents}) > 5


def test_demo_seed_refuses_an_unknown_ward(runner):
    result = runner.invoke(args=["demo", "seed", "--ward", "大阪市"])
    assert result.exit_code != 0
