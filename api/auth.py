"""Bearer tokens, roles and ownership: who is calling, and may they."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select

from access.models import ApiToken
from access.tokens import hash_token
from api import get_session

F = TypeVar("F", bound=Callable[..., Any])

#: Ward staff with the admin role may do whatever a coordinator may.
STAFF = ("admin", "coordinator")


@dataclass(frozen=True)
class Principal:
    role: str
    token_id: int
    user_id: int | None = None
    volunteer_id: int | None = None
    shop_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    def is_volunteer(self, volunteer_id: int) -> bool:
        return self.role == "volunteer" and self.volunteer_id == volunteer_id


def current_principal() -> Principal | None:
    """Return who presented this request's bearer token, or None for no or a bad token."""
    if "principal" in g:
        principal: Principal | None = g.principal
        return principal
    principal = None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        presented = hash_token(token.strip())
        row = get_session().scalar(
            select(ApiToken).where(ApiToken.token_hash == presented, ApiToken.revoked_at.is_(None))
        )
        # the index finds the row; the final comparison takes the same time however it differs
        if row is not None and hmac.compare_digest(row.token_hash, presented):
            principal = Principal(
                role=row.role,
                token_id=row.id,
                user_id=row.user_id,
                volunteer_id=row.volunteer_id,
                shop_id=row.shop_id,
            )
    g.principal = principal
    return principal


def require(*roles: str) -> Callable[[F], F]:
    """Let only these roles through: 401 without valid credentials, 403 for another role."""
    allowed = set(roles)
    if "coordinator" in allowed:
        allowed.add("admin")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                abort(
                    401,
                    message="Missing or invalid credentials: send Authorization: Bearer <token>.",
                    headers={"WWW-Authenticate": 'Bearer realm="sasaeai"'},
                )
            if principal.role not in allowed:
                abort(403, message=f"This needs one of the roles: {', '.join(sorted(roles))}.")
            return view(*args, **kwargs)

        # who may call it, for the OpenAPI tests (which run each operation as its callers)
        wrapper.roles = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def principal() -> Principal:
    """Return the authenticated caller (inside a view guarded by require)."""
    who = current_principal()
    assert who is not None  # noqa: S101 - require() ran first
    return who


def ensure_staff_or_volunteer(volunteer_id: int) -> Principal:
    """Let staff and that volunteer through; anyone else gets the same 404 as a missing id."""
    who = principal()
    if not (who.is_staff or who.is_volunteer(volunteer_id)):
        abort(404, message=f"Volunteer {volunteer_id} not found.")
    return who
