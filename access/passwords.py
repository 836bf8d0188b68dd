"""Staff passwords for the screens: werkzeug's scrypt, compared in constant time."""

from __future__ import annotations

import functools

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from access.models import User
from db import InvalidInput

#: staff passwords are a single factor: long beats clever (NIST SP 800-63B)
MIN_LENGTH = 12
MAX_LENGTH = 200


def hash_password(password: str) -> str:
    """Return werkzeug's scrypt hash of a password that is long enough."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(
            f"A password has {MIN_LENGTH} to {MAX_LENGTH} characters.",
            {"password": [f"Use {MIN_LENGTH} to {MAX_LENGTH} characters."]},
        )
    return generate_password_hash(password, method="scrypt")


def set_password(session: Session, *, user: User, password: str) -> None:
    """Give a staff user a new password (signing them out of every other browser)."""
    user.password_hash = hash_password(password)
    session.flush()


def authenticate(session: Session, *, name: str, password: str) -> User | None:
    """Return the staff user with this name and password, or None (which one was wrong is not
    told, and an unknown name takes as long as a wrong password)."""
    user = session.scalar(select(User).where(User.name == name))
    stored = user.password_hash if user is not None else None
    if stored is None:
        check_password_hash(_decoy_hash(), password)
        return None
    return user if check_password_hash(stored, password) else None


@functools.cache
def _decoy_hash() -> str:
    return generate_password_hash("no user has this password", method="scrypt")
