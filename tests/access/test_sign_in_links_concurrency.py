"""Two presses of the same link at the same moment (two phones, or a double tap reaching two
workers) sign in once: the second UPDATE waits for the first's row lock, then finds the link
used. PostgreSQL only: SQLite serialises every writer with BEGIN IMMEDIATE."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from access.models import User, VolunteerSignInLink
from access.sign_in_links import UsedLink, issue_link, use_link
from matching.models import Volunteer

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def committed_link(engine: Engine) -> Iterator[str]:
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): concurrent transactions, row locks")
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session, session.begin():
        user = User(name=f"sc-race-{uuid.uuid4().hex[:8]}", role="coordinator")
        volunteer = Volunteer(name="佐藤 一郎", birth_year=1950, lat=35.75, lon=139.74, zone="王子")
        session.add_all([user, volunteer])
        session.flush()
        ids = (user.id, volunteer.id)
        token = issue_link(session, volunteer_id=volunteer.id, by_user_id=user.id, now=now).token
    yield token
    with Session(engine) as session, session.begin():
        session.execute(
            delete(VolunteerSignInLink).where(VolunteerSignInLink.volunteer_id == ids[1])
        )
        session.execute(delete(Volunteer).where(Volunteer.id == ids[1]))
        session.execute(delete(User).where(User.id == ids[0]))


def test_two_presses_at_once_sign_in_once(engine: Engine, committed_link: str):
    now = dt.datetime.now(dt.UTC)
    second: list[object] = []

    def press_again() -> None:
        with Session(engine) as other, other.begin():
            try:
                second.append(use_link(other, token=committed_link, now=now))
            except UsedLink as refused:
                second.append(refused)

    with Session(engine) as first:
        first.begin()
        assert use_link(first, token=committed_link, now=now).used_at == now
        racer = threading.Thread(target=press_again)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second press waits for the first one's row lock"
        first.commit()
    racer.join(timeout=10)
    assert len(second) == 1 and isinstance(second[0], UsedLink)
