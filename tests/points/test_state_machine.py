"""A hypothesis state machine over the ledger: credit, duplicate credit, exchange, replay,
redeem at random shops, time passing and expiry — every invariant checked after every step."""

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from db import Conflict
from matching import services as matching
from points import credits, expiry, redemption, shops, vouchers
from points.invariants import check
from points.models import Account
from tests.conftest import ALL_WEEK
from tests.points.conftest import SECRET, completed_assignment, tokyo


@pytest.fixture
def machine(connection):
    """The machine, each run inside a savepoint of the test's rolled-back transaction."""
    serial = itertools.count()

    class Ledger(RuleBasedStateMachine):
        tasks = Bundle("tasks")
        keys = Bundle("keys")

        def __init__(self):
            super().__init__()
            self.savepoint = connection.begin_nested()
            self.session = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")()
            self.now = tokyo(2025, 4, 1, 9)
            self.volunteers = []
            for i, status in enumerate(("active", "active", "trial")):
                volunteer, _ = matching.create_volunteer(
                    self.session,
                    name=f"担い手 {i}",
                    birth_year=1955,
                    lat=35.644,
                    lon=139.669,
                    zone="太子堂",
                    skills=[],
                    availability=ALL_WEEK,
                )
                volunteer.status = status
                self.volunteers.append(volunteer.id)
            self.shops = [
                shops.create_shop(self.session, name=f"店 {i}", address="世田谷区", now=self.now)[
                    0
                ].id
                for i in range(2)
            ]
            self.session.flush()
            self.issued = {}  # key -> (volunteer id, points, code)
            self.redeemed = set()

        def teardown(self):
            self.session.close()
            self.savepoint.rollback()

        def balance(self, volunteer_id):
            return (
                self.session.scalar(
                    select(Account.balance).where(Account.volunteer_id == volunteer_id)
                )
                or 0
            )

        @rule(
            target=tasks, who=st.integers(0, 2), category=st.sampled_from(["garbage", "shopping"])
        )
        def credit(self, who, category):
            assignment_id = completed_assignment(
                self.session,
                volunteer_id=self.volunteers[who],
                category=category,
                completed_at=self.now,
            )
            before = self.balance(self.volunteers[who])
            transfer = credits.credit_completed_task(
                self.session, assignment_id=assignment_id, now=self.now
            )
            gained = self.balance(self.volunteers[who]) - before
            assert 0 <= gained <= 100 and gained == sum(
                e.amount for e in transfer.entries if e.amount > 0
            )
            self.now += dt.timedelta(hours=1)
            return assignment_id

        @rule(assignment_id=tasks)
        def duplicate_credit(self, assignment_id):
            balances = [self.balance(v) for v in self.volunteers]
            first = credits.credit_completed_task(
                self.session, assignment_id=assignment_id, now=self.now
            )
            again = credits.credit_completed_task(
                self.session, assignment_id=assignment_id, now=self.now
            )
            assert first.id == again.id
            assert balances == [self.balance(v) for v in self.volunteers]

        @rule(target=keys, who=st.integers(0, 2), units=st.integers(1, 2))
        def exchange(self, who, units):
            key = f"key-{next(serial)}"
            volunteer_id = self.volunteers[who]
            before = self.balance(volunteer_id)
            try:
                issued = vouchers.exchange(
                    self.session,
                    volunteer_id=volunteer_id,
                    points=500 * units,
                    idempotency_key=key,
                    secret=SECRET,
                    now=self.now,
                )
            except Conflict:
                assert self.balance(volunteer_id) == before
                return multiple()
            assert who != 2, "a trial volunteer exchanged"
            assert self.balance(volunteer_id) == before - 500 * units
            self.issued[key] = (volunteer_id, 500 * units, issued.code)
            return key

        @rule(key=keys)
        def replay(self, key):
            volunteer_id, points, code = self.issued[key]
            balance = self.balance(volunteer_id)
            again = vouchers.exchange(
                self.session,
                volunteer_id=volunteer_id,
                points=points,
                idempotency_key=key,
                secret=SECRET,
                now=self.now,
            )
            assert again.replayed and again.code == code
            with pytest.raises(Conflict):
                vouchers.exchange(
                    self.session,
                    volunteer_id=volunteer_id,
                    points=points + 500,
                    idempotency_key=key,
                    secret=SECRET,
                    now=self.now,
                )
            assert self.balance(volunteer_id) == balance

        @rule(key=keys, shop=st.integers(0, 1))
        def redeem(self, key, shop):
            _, _, code = self.issued[key]
            try:
                redemption.redeem(
                    self.session, shop_id=self.shops[shop], code=code, secret=SECRET, now=self.now
                )
            except Conflict:
                return
            assert key not in self.redeemed, "redeemed twice"
            self.redeemed.add(key)

        @rule(days=st.integers(1, 400))
        def time_passes(self, days):
            self.now += dt.timedelta(days=days)

        @rule()
        def expire(self):
            expiry.expire(self.session, now=self.now)
            again = expiry.expire(self.session, now=self.now)
            assert (again.points_expired, again.vouchers_expired) == (0, 0)

        @invariant()
        def ledger_holds(self):
            self.session.expire_all()
            assert check(self.session) == []

    return Ledger


def test_the_ledger_holds_whatever_happens(machine):
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
