"""One-time sign-in links for the volunteer page: issued by staff, used once, before expiry.

A link carries a token of 256 random bits (`access.tokens.new_token`); the database keeps only
its SHA-256. Using a link is one conditional UPDATE (unused, unexpired, this hash) that must
change exactly one row, so two clicks racing each other, or a row changed behind the app's
back, cannot both sign in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access.models import VolunteerSignInLink
from access.tokens import hash_token, new_token
from db import Conflict, InvalidInput, NotFound

#: how long a link stays usable unless the app's VOLUNTEER_LINK_HOURS says otherwise
DEFAULT_HOURS = 72.0


class UnknownLink(NotFound):
    """No link has this token (mistyped, cut short, or never issued)."""


class UsedLink(Conflict):
    """The link was already used once."""


class ExpiredLink(Conflict):
    """The link's time is over (at `expires_at` exactly, it is over)."""


@dataclass(frozen=True)
class IssuedLink:
    """A new link's token (shown once, never stored) and when it stops working."""

    token: str
    volunteer_id: int
    expires_at: dt.datetime


def issue_link(
    session: Session,
    *,
    volunteer_id: int,
    by_user_id: int,
    now: dt.datetime,
    hours: float = DEFAULT_HOURS,
) -> IssuedLink:
    """Issue a one-time sign-in link for a volunteer; return its token (shown once)."""
    if not 0 < hours <= 24 * 365:
        raise InvalidInput(
            "A link lasts more than 0 hours and at most a year.",
            {"hours": ["Must be more than 0 and at most 8760."]},
        )
    token, token_hash = new_token()
    expires_at = now + dt.timedelta(hours=hours)
    session.add(
        VolunteerSignInLink(
            volunteer_id=volunteer_id,
            token_hash=token_hash,
            created_by_id=by_user_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return IssuedLink(token=token, volunteer_id=volunteer_id, expires_at=expires_at)


def use_link(session: Session, *, token: str, now: dt.datetime) -> VolunteerSignInLink:
    """Use a link once: mark it used and return it (its volunteer_id says who signed in).

    Raises UnknownLink, UsedLink or ExpiredLink, and then writes nothing.
    """
    token_hash = hash_token(token.strip())
    used = session.execute(
        update(VolunteerSignInLink)
        .where(
            VolunteerSignInLink.token_hash == token_hash,
            VolunteerSignInLink.used_at.is_(None),
            VolunteerSignInLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(VolunteerSignInLink.id)
        .execution_options(synchronize_session=False)
    ).all()
    if len(used) == 1:
        link = session.get(VolunteerSignInLink, used[0].id, populate_existing=True)
        assert link is not None  # noqa: S101 - the row was just updated
        return link
    # nothing changed: say why, from the row as the database has it now
    link = session.scalar(
        select(VolunteerSignInLink)
        .where(VolunteerSignInLink.token_hash == token_hash)
        .execution_options(populate_existing=True)
    )
    if link is None:
        raise UnknownLink("No sign-in link has this token.")
    if link.used_at is not None:
        raise UsedLink("This sign-in link was already used; ask for a new one.")
    raise ExpiredLink("This sign-in link has expired; ask for a new one.")


def get_link(session: Session, *, link_id: int) -> VolunteerSignInLink | None:
    """Return a link by id (the volunteer page ties its cookie to the link it was opened by)."""
    return session.get(VolunteerSignInLink, link_id)
