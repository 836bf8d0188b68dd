"""Fixtures of the points tests: completed tasks credited, funded volunteers, shops, and the
ledger's invariants checked after every test (an autouse fixture)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from matching.models import Assignment, Category, HelpRequest, Resident, Volunteer
from points import credits, shops
from points.invariants import check
from points.models import Shop, Transfer
from tests.conftest import TOKYO

SECRET = "test-secret-key"
_serial = itertools.count(1)


def tokyo(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TOKYO)


def completed_assignment(
    session: Session,
    *,
    volunteer_id: int,
    category: str = "garbage",
    completed_at: dt.datetime,
    resident_id: int | None = None,
) -> int:
    """Insert a completed task directly (as dispatch.complete leaves it); return its id."""
    if resident_id is None:
        resident = Resident(
            name="山田 花子", address="世田谷区太子堂4-1-1", lat=35.6432, lon=139.671, zone="太子堂"
        )
        session.add(resident)
        session.flush()
        resident_id = resident.id
    category_id = session.query(Category.id).filter_by(code=category).scalar()
    request = HelpRequest(
        resident_id=resident_id,
        category_id=category_id,
        window_start=completed_at - dt.timedelta(hours=1),
        window_end=completed_at + dt.timedelta(hours=1),
        status="completed",
    )
    session.add(request)
    session.flush()
    assignment = Assignment(
        help_request_id=request.id,
        volunteer_id=volunteer_id,
        status="completed",
        distance_m=100.0,
        cost=100.0,
        reasons={},
        accepted_at=completed_at - dt.timedelta(hours=2),
        completed_at=completed_at,
    )
    session.add(assignment)
    session.flush()
    return assignment.id


@pytest.fixture
def complete_task(session: Session) -> Callable[..., Transfer]:
    """Complete a task of a volunteer and credit it: complete_task(volunteer, category, now)."""

    def complete(
        volunteer: Volunteer, category: str = "garbage", now: dt.datetime | None = None
    ) -> Transfer:
        now = now or dt.datetime.now(dt.UTC)
        assignment_id = completed_assignment(
            session, volunteer_id=volunteer.id, category=category, completed_at=now
        )
        return credits.credit_completed_task(session, assignment_id=assignment_id, now=now)

    return complete


@pytest.fixture
def fund(session: Session, complete_task: Callable[..., Transfer]) -> Callable[..., None]:
    """Give a volunteer points by completed 買い物 tasks (100 pt each), two a day."""

    def give(volunteer: Volunteer, points: int, start: dt.datetime | None = None) -> None:
        assert points % 100 == 0
        start = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=points // 200 + 1)
        for i in range(points // 100):
            when = start + dt.timedelta(days=i // 2, minutes=i % 2)
            complete_task(volunteer, "shopping", when)

    return give


@pytest.fixture
def volunteer(make_volunteer: Callable[..., tuple[Volunteer, str]]) -> tuple[Volunteer, str]:
    return make_volunteer()


@pytest.fixture
def make_shop(session: Session) -> Callable[..., tuple[Shop, str]]:
    def make(name: str | None = None, address: str = "世田谷区三軒茶屋1-1") -> tuple[Shop, str]:
        return shops.create_shop(
            session,
            name=name or f"協力店 {next(_serial)}",
            address=address,
            now=dt.datetime.now(dt.UTC),
        )

    return make


def exchange_via_api(api: Any, volunteer_id: int, token: str, points: int, key: str) -> Any:
    return api.post(
        f"/api/v1/volunteers/{volunteer_id}/vouchers",
        {"points": points},
        token=token,
        headers={"Idempotency-Key": key},
    )


# --- committed data (PostgreSQL concurrency tests) -----------------------------------------

LEDGER_TABLES = ("redemptions", "entries", "transfers", "vouchers")


@pytest.fixture
def committing_engine(engine: Engine) -> Iterator[Engine]:
    """The engine with real commits; the ledger and the rows a test made are removed after.

    Entries and transfers refuse DELETE (triggers), so the ledger is TRUNCATEd (which fires no
    row triggers); the ward's seeded accounts are kept and zeroed.
    """
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "needs PostgreSQL (TEST_DATABASE_URL): concurrent transactions with real row"
            " locks; SQLite serialises every writer with BEGIN IMMEDIATE"
        )
    with engine.connect() as conn:
        marks = {
            table: conn.execute(
                text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed names
            ).scalar_one()
            for table in ("volunteers", "shops", "residents", "users", "match_runs")
        }
    yield engine
    with engine.begin() as conn:
        assert check(Session(bind=conn)) == []
        conn.execute(text(f"TRUNCATE {', '.join(LEDGER_TABLES)}"))
        conn.execute(text("DELETE FROM accounts WHERE kind IN ('volunteer', 'shop_payable')"))
        conn.execute(text("UPDATE accounts SET balance = 0"))
        conn.execute(
            text("DELETE FROM assignments WHERE volunteer_id > :v"), {"v": marks["volunteers"]}
        )
        conn.execute(
            text("DELETE FROM help_requests WHERE resident_id > :r"), {"r": marks["residents"]}
        )
        conn.execute(text("DELETE FROM match_runs WHERE id > :m"), {"m": marks["match_runs"]})
        conn.execute(
            text("DELETE FROM api_tokens WHERE volunteer_id > :v OR shop_id > :s"),
            {"v": marks["volunteers"], "s": marks["shops"]},
        )
        conn.execute(
            text("DELETE FROM availability_slots WHERE volunteer_id > :v"),
            {"v": marks["volunteers"]},
        )
        conn.execute(
            text("DELETE FROM volunteer_skills WHERE volunteer_id > :v"), {"v": marks["volunteers"]}
        )
        conn.execute(text("DELETE FROM volunteers WHERE id > :v"), {"v": marks["volunteers"]})
        conn.execute(text("DELETE FROM residents WHERE id > :r"), {"r": marks["residents"]})
        conn.execute(text("DELETE FROM shops WHERE id > :s"), {"s": marks["shops"]})
        conn.execute(text("DELETE FROM api_tokens WHERE user_id > :u"), {"u": marks["users"]})
        conn.execute(text("DELETE FROM users WHERE id > :u"), {"u": marks["users"]})
