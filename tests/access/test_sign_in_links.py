"""One-time sign-in links: issued by staff, used once, refused when used, expired or unknown,
and only their hash is kept."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.models import User, VolunteerSignInLink
from access.sign_in_links import (
    DEFAULT_HOURS,
    ExpiredLink,
    UnknownLink,
    UsedLink,
    issue_link,
    use_link,
)
from db import InvalidInput

links = VolunteerSignInLink.__table__
T0 = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def sc(session: Session) -> User:
    user = User(name="sc-links", role="coordinator")
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def volunteer_id(make_volunteer) -> int:
    volunteer, _ = make_volunteer()
    return volunteer.id


def test_a_link_signs_its_volunteer_in_once(session, sc, volunteer_id):
    issued = issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0)
    assert issued.expires_at == T0 + dt.timedelta(hours=DEFAULT_HOURS) == T0 + dt.timedelta(days=3)

    link = use_link(session, token=issued.token, now=T0 + dt.timedelta(minutes=5))
    assert link.volunteer_id == volunteer_id
    assert link.used_at == T0 + dt.timedelta(minutes=5)

    with pytest.raises(UsedLink):
        use_link(session, token=issued.token, now=T0 + dt.timedelta(minutes=6))
    assert session.get(VolunteerSignInLink, link.id).used_at == T0 + dt.timedelta(minutes=5)


def test_a_link_works_until_just_before_its_expiry_and_not_at_it(session, sc, volunteer_id):
    hours = 72
    first = issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0, hours=hours)
    second = issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0, hours=hours)
    expiry = T0 + dt.timedelta(hours=hours)

    assert use_link(session, token=first.token, now=expiry - dt.timedelta(microseconds=1))
    with pytest.raises(ExpiredLink):
        use_link(session, token=second.token, now=expiry)
    # refused, it stays unused (and still refused later)
    assert (
        session.scalar(
            select(VolunteerSignInLink.used_at).where(
                VolunteerSignInLink.expires_at == expiry, VolunteerSignInLink.used_at.is_(None)
            )
        )
        is None
    )
    with pytest.raises(ExpiredLink):
        use_link(session, token=second.token, now=expiry + dt.timedelta(days=1))


def test_an_unknown_or_cut_short_token_signs_nobody_in(session, sc, volunteer_id):
    issued = issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0)
    for token in ("", "not-a-link", issued.token[:-1], issued.token + "x"):
        with pytest.raises(UnknownLink):
            use_link(session, token=token, now=T0)
    # the real one still works: the wrong ones used nothing up
    assert use_link(session, token=issued.token, now=T0).volunteer_id == volunteer_id


def test_only_the_sha256_of_256_random_bits_is_kept(session, sc, volunteer_id):
    issued = issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0)
    row = session.scalar(select(VolunteerSignInLink))
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert len(issued.token) >= 43  # secrets.token_urlsafe(32): 256 bits
    stored = session.execute(text("SELECT * FROM volunteer_sign_in_links")).one()
    assert issued.token not in [str(value) for value in stored]
    assert row.created_by_id == sc.id


def test_every_link_is_another_token(session, sc, volunteer_id):
    tokens = {
        issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0).token
        for _ in range(20)
    }
    assert len(tokens) == 20


def test_a_link_used_behind_the_apps_back_is_refused(session, sc, volunteer_id):
    """The app loaded the link while it was unused; another process used it meanwhile. The
    database decides, not the row the app holds in memory."""
    issued = issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0)
    held = session.scalar(select(VolunteerSignInLink))
    assert held.used_at is None
    # a plain UPDATE of the table, outside the ORM's unit of work (as another process would)
    session.execute(
        update(links).where(links.c.id == held.id).values(used_at=T0 + dt.timedelta(seconds=1))
    )
    assert held.used_at is None  # the app's copy still says unused
    with pytest.raises(UsedLink):
        use_link(session, token=issued.token, now=T0 + dt.timedelta(minutes=1))


def test_a_link_shortened_behind_the_apps_back_is_refused(session, sc, volunteer_id):
    issued = issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0)
    held = session.scalar(select(VolunteerSignInLink))
    session.execute(
        update(links).where(links.c.id == held.id).values(expires_at=T0 + dt.timedelta(hours=1))
    )
    assert held.expires_at == T0 + dt.timedelta(hours=72)  # the app's copy
    with pytest.raises(ExpiredLink):
        use_link(session, token=issued.token, now=T0 + dt.timedelta(hours=2))


def test_the_database_refuses_a_second_row_with_the_same_hash_or_an_expiry_before_issue(
    session, sc, volunteer_id
):
    issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0)
    row = session.scalar(select(VolunteerSignInLink))

    def add(**params) -> None:
        params = {
            "volunteer_id": volunteer_id,
            "created_by_id": sc.id,
            "created_at": T0,
            "expires_at": T0 + dt.timedelta(hours=1),
            **params,
        }
        with session.begin_nested():
            session.add(VolunteerSignInLink(**params))
            session.flush()

    with pytest.raises(IntegrityError):
        add(token_hash=row.token_hash)
    with pytest.raises(IntegrityError):
        add(token_hash="0" * 64, expires_at=T0)


@pytest.mark.parametrize("hours", [0, -1, 24 * 365 + 1])
def test_a_link_lasts_a_sensible_time(session, sc, volunteer_id, hours):
    with pytest.raises(InvalidInput):
        issue_link(session, volunteer_id=volunteer_id, by_user_id=sc.id, now=T0, hours=hours)
