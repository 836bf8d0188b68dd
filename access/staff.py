"""Ward staff as the admin manages them on the settings screen: add one with a password, give
one a new password, stop one from signing in. Each flushes, never commits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access.models import STAFF_ROLES, ApiToken, User
from access.passwords import hash_password, set_password
from db import Conflict, InvalidInput, NotFound

NAME_MAX = 100


def staff_query() -> Any:
    """Return the query of staff users, in the order they were added."""
    return select(User).order_by(User.id)


def get_staff(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    return user


def create_staff(session: Session, *, name: str, role: str, password: str) -> User:
    """Add a staff user who signs in to the screens with this password (no API token: a
    program's token is made with `flask users create`)."""
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise InvalidInput("A name is required.", {"name": [f"Use 1 to {NAME_MAX} characters."]})
    if role not in STAFF_ROLES:
        raise InvalidInput("Unknown role.", {"role": [f"One of {', '.join(STAFF_ROLES)}."]})
    password_hash = hash_password(password)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"A user named {name!r} exists already.", {"name": ["Taken."]})
    user = User(name=name, role=role, password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


def reset_password(session: Session, *, user_id: int, password: str) -> User:
    """Give a staff user a new password (their other sign-ins end; a stopped user may sign in
    again)."""
    user = get_staff(session, user_id=user_id)
    set_password(session, user=user, password=password)
    return user


def disable_staff(session: Session, *, user_id: int, by: User, now: dt.datetime) -> User:
    """Stop a staff user: no more sign-ins (their password is removed) and their API tokens are
    revoked. Nobody stops themselves (so an admin who can sign in always remains)."""
    user = get_staff(session, user_id=user_id)
    if user.id == by.id:
        raise Conflict("You cannot stop yourself.")
    user.password_hash = None
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return user
