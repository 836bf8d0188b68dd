"""Finding people: residents and volunteers searched and paged, for the API and the screens.

A search word matches a name, a phone number or an address (a volunteer's contact) as a part,
whatever the width of its letters and digits (１２ = 12, ＡＢ = ab), the case of its letters,
hiragana or katakana (やまだ = ヤマダ), and the hyphens or spaces in a phone number
(0312345678 = 03-1234-5678). Rather than normalise every stored row, the word is written each way
the rows may be written, and each is looked for: plain LIKEs that SQLite and PostgreSQL both run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jaconv
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from matching.models import (
    Assignment,
    HelpRequest,
    Resident,
    Volunteer,
    volunteer_skills,
)
from matching.services import get_resident, get_volunteer

_PHONE_LIKE = re.compile(r"^[0-9()+\- ]+$")


def spellings(q: str) -> list[str]:
    """The ways a search word may be written in a row: half- and full-width, hiragana and
    katakana, lower case (compared with the column's lower case)."""
    half = jaconv.h2z(jaconv.z2h(q, kana=False, digit=True, ascii=True), kana=True)
    half = " ".join(half.split()).lower()
    forms = {half, jaconv.h2z(half, kana=False, digit=True, ascii=True)}
    forms |= {jaconv.hira2kata(f) for f in forms} | {jaconv.kata2hira(f) for f in forms}
    return sorted(f for f in forms if f)


def _digits(q: str) -> str | None:
    """A phone number's digits, if the word looks like one (03-1234, ０３１２３４)."""
    text = jaconv.z2h(q, kana=False, digit=True, ascii=True).strip()
    if not _PHONE_LIKE.fullmatch(text):
        return None
    digits = re.sub(r"[^0-9]", "", text)
    return digits if len(digits) >= 2 else None


def _matches(q: str, texts: Sequence[Any], phones: Sequence[Any]) -> ColumnElement[bool]:
    conditions = [
        func.lower(column).contains(form, autoescape=True)
        for column in texts
        for form in spellings(q)
    ]
    digits = _digits(q)
    if digits:
        conditions += [
            func.replace(func.replace(func.replace(column, "-", ""), " ", ""), "－", "").contains(
                digits, autoescape=True
            )
            for column in phones
        ]
    return or_(*conditions)


def _page(session: Session, stmt: Select[Any], *, page: int, page_size: int) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(session.scalars(stmt.limit(page_size).offset((page - 1) * page_size)))
    return {
        "items": items,
        "page": page,
        "page_size": page_size,
        "total": total,
        "pages": (total + page_size - 1) // page_size,
    }


def search_residents(
    session: Session,
    *,
    q: str | None = None,
    zone: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    """One page of residents whose name, phone or address contains ``q``, in ``zone``, oldest
    registration first: {"items", "page", "page_size", "total", "pages"}."""
    stmt = select(Resident)
    if q and q.strip():
        stmt = stmt.where(
            _matches(q, [Resident.name, Resident.address, Resident.phone], [Resident.phone])
        )
    if zone:
        stmt = stmt.where(Resident.zone == zone)
    return _page(session, stmt.order_by(Resident.id), page=page, page_size=page_size)


def search_volunteers(
    session: Session,
    *,
    q: str | None = None,
    zone: str | None = None,
    status: str | None = None,
    skill: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    """One page of volunteers whose name or contact contains ``q``, in ``zone``, with ``status``
    and ``skill``, oldest registration first (the same shape as search_residents)."""
    stmt = select(Volunteer)
    if q and q.strip():
        stmt = stmt.where(_matches(q, [Volunteer.name, Volunteer.contact], [Volunteer.contact]))
    if zone:
        stmt = stmt.where(Volunteer.zone == zone)
    if status:
        stmt = stmt.where(Volunteer.status == status)
    if skill:
        stmt = stmt.where(
            Volunteer.id.in_(
                select(volunteer_skills.c.volunteer_id).where(
                    volunteer_skills.c.skill_code == skill
                )
            )
        )
    return _page(session, stmt.order_by(Volunteer.id), page=page, page_size=page_size)


def zones(session: Session) -> list[str]:
    """The zones residents and volunteers are in, for a search form's choices."""
    found = set(session.scalars(select(Resident.zone).distinct()))
    found |= {z for z in session.scalars(select(Volunteer.zone).distinct()) if z}
    return sorted(found)


def requests_of(session: Session, *, resident_id: int, limit: int = 50) -> list[HelpRequest]:
    """A resident's help requests, latest window first."""
    get_resident(session, resident_id=resident_id)
    return list(
        session.scalars(
            select(HelpRequest)
            .where(HelpRequest.resident_id == resident_id)
            .order_by(HelpRequest.window_start.desc(), HelpRequest.id.desc())
            .limit(limit)
        )
    )


def assignments_of(session: Session, *, volunteer_id: int, limit: int = 50) -> list[Assignment]:
    """A volunteer's assignments (proposed, accepted, done or not), latest window first."""
    get_volunteer(session, volunteer_id=volunteer_id)
    return list(
        session.scalars(
            select(Assignment)
            .join(Assignment.help_request)
            .where(Assignment.volunteer_id == volunteer_id)
            .order_by(HelpRequest.window_start.desc(), Assignment.id.desc())
            .limit(limit)
        )
    )
