"""Races on PostgreSQL with committed data: many shops' terminals redeeming one voucher at
once, many exchanges against one balance. The database, not Python, keeps them straight."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching import services as matching
from points import credits, shops
from points.models import Account
from tests.conftest import ALL_WEEK
from tests.points.conftest import completed_assignment

pytestmark = pytest.mark.postgres_only


def _funded_volunteer(engine, points: int) -> tuple[int, str]:
    """Commit a volunteer with ``points`` earned by 買い物 tasks (two a day, within the cap)."""
    with Session(engine) as session, session.begin():
        volunteer, token = matching.create_volunteer(
            session,
            name="競争 太郎",
            birth_year=1960,
            lat=35.644,
            lon=139.669,
            zone="太子堂",
            skills=[],
            availability=ALL_WEEK,
        )
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=points // 200 + 2)
        for i in range(points // 100):
            when = start + dt.timedelta(days=i // 2, minutes=i % 2)
            assignment_id = completed_assignment(
                session, volunteer_id=volunteer.id, category="shopping", completed_at=when
            )
            credits.credit_completed_task(session, assignment_id=assignment_id, now=when)
        return volunteer.id, token


def _race(n: int, call) -> Counter:
    """Run call(i) in n threads released at once; count the status codes."""
    barrier = threading.Barrier(n)
    results: list[int] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        status = call(i)
        with lock:
            results.append(status)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == n
    return Counter(results)


def test_fifty_terminals_redeem_one_voucher_exactly_once(app, committing_engine):
    volunteer_id, token = _funded_volunteer(committing_engine, 500)
    client = app.test_client()
    issued = client.post(
        f"/api/v1/volunteers/{volunteer_id}/vouchers",
        json={"points": 500},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race"},
    )
    assert issued.status_code == 201, issued.get_json()
    code = issued.get_json()["code"]
    with Session(committing_engine) as session, session.begin():
        keys = [
            shops.create_shop(
                session, name=f"店 {i}", address="世田谷区", now=dt.datetime.now(dt.UTC)
            )[1]
            for i in range(5)
        ]

    def redeem(i: int) -> int:
        response = app.test_client().post(
            "/api/v1/redemptions",
            json={"code": code},
            headers={"Authorization": f"Bearer {keys[i % 5]}"},
        )
        return response.status_code

    statuses = _race(50, redeem)
    assert statuses == Counter({201: 1, 409: 49})


def test_a_hundred_exchanges_against_one_balance(app, committing_engine):
    covered = 7
    volunteer_id, token = _funded_volunteer(committing_engine, 500 * covered)

    def exchange(i: int) -> int:
        response = app.test_client().post(
            f"/api/v1/volunteers/{volunteer_id}/vouchers",
            json={"points": 500},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"thread-{i}"},
        )
        return response.status_code

    statuses = _race(100, exchange)
    assert statuses == Counter({201: covered, 409: 100 - covered})
    with Session(committing_engine) as session:
        balance = session.scalar(
            select(Account.balance).where(Account.volunteer_id == volunteer_id)
        )
    assert balance == 0


def test_one_key_retried_at_once_issues_one_voucher(app, committing_engine):
    volunteer_id, token = _funded_volunteer(committing_engine, 1000)
    codes: list[str] = []

    def exchange(i: int) -> int:
        response = app.test_client().post(
            f"/api/v1/volunteers/{volunteer_id}/vouchers",
            json={"points": 500},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key"},
        )
        if response.status_code == 201:
            codes.append(response.get_json()["code"])
        return response.status_code

    assert _race(20, exchange) == Counter({201: 20})
    assert len(set(codes)) == 1
    with Session(committing_engine) as session:
        balance = session.scalar(
            select(Account.balance).where(Account.volunteer_id == volunteer_id)
        )
    assert balance == 500


def test_a_task_completed_twice_at_once_is_credited_once(committing_engine):
    volunteer_id, _ = _funded_volunteer(committing_engine, 0)
    now = dt.datetime.now(dt.UTC)
    with Session(committing_engine) as session, session.begin():
        assignment_id = completed_assignment(
            session, volunteer_id=volunteer_id, category="shopping", completed_at=now
        )

    def credit(i: int) -> int:
        with Session(committing_engine) as session, session.begin():
            return credits.credit_completed_task(session, assignment_id=assignment_id, now=now).id

    transfers = _race(20, credit)
    assert len(transfers) == 1
    with Session(committing_engine) as session:
        balance = session.scalar(
            select(Account.balance).where(Account.volunteer_id == volunteer_id)
        )
    assert balance == 100


def test_retried_completions_racing_each_other_all_answer_200_and_credit_once(
    app, committing_engine
):
    """Several SC screens confirm the same task at once: each sees it completed, one credit."""
    from access.models import ApiToken, User
    from access.tokens import new_token
    from matching import dispatch
    from points.models import Transfer
    from tests.conftest import local

    token, token_hash = new_token()
    with Session(committing_engine) as s, s.begin():
        user = User(name="sc-race", role="coordinator")
        s.add(user)
        s.flush()
        s.add(ApiToken(token_hash=token_hash, role="coordinator", user_id=user.id))
        resident = matching.create_resident(
            s, name="r", address="x", zone="競争町", lat=35.6432, lon=139.671
        )
        matching.create_help_request(
            s,
            resident_id=resident.id,
            category="garbage",
            window_start=local(2, 7),
            window_end=local(2, 9),
        )
        matching.create_volunteer(
            s,
            name="v",
            birth_year=1960,
            zone="競争町",
            lat=35.6433,
            lon=139.671,
            skills=["garbage"],
            availability=ALL_WEEK,
        )
        run = dispatch.run_match(s, zone="競争町", created_by_id=user.id)
        [assignment] = run.assignments
        dispatch.accept(s, assignment_id=assignment.id)
        assignment_id = assignment.id
    statuses: list[int] = []

    def complete() -> None:
        response = app.test_client().post(
            f"/api/v1/assignments/{assignment_id}/complete",
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=complete) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 8
    with Session(committing_engine) as s:
        credits = s.scalars(select(Transfer).where(Transfer.assignment_id == assignment_id)).all()
    assert len(credits) == 1
