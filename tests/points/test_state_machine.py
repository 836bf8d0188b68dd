"""A hypothesis state machine over the ledger: credit, duplicate credit, exchange, replay,
redeem at random shops, time passing and expiry — every invariant checked after every step,
and every step's outcome (success or refusal) checked against the machine's own model."""

import datetime as dt
import itertools
from collections import defaultdict

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
from matching.models import Category
from points import credits, expiry, point_rules, redemption, shops, vouchers
from points import rules as calendar
from points.invariants import check
from points.models import Account
from tests.conftest import ALL_WEEK
from tests.points.conftest import SECRET, completed_assignment, tokyo

#: The machine's rules: small units and a low yearly cap, so a few steps reach every refusal.
RULES = {"daily_cap": 200, "annual_exchange_cap": 600, "voucher_unit": 100}


@pytest.fixture
def machine(connection):
    """The machine, each run inside a savepoint of the test's rolled-back transaction.

    It keeps its own model of every balance (credits by fiscal year, FIFO debits), so each
    step knows whether the service must succeed or refuse, and asserts which one it did.
    """
    serial = itertools.count()

    class Ledger(RuleBasedStateMachine):
        tasks = Bundle("tasks")
        keys = Bundle("keys")

        def __init__(self):
            super().__init__()
            self.savepoint = connection.begin_nested()
            self.session = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")()
            self.now = tokyo(2025, 4, 1, 9)
            point_rules.update_rules(self.session, changes=RULES, updated_by="t", now=self.now)
            self.category_points = {
                code: points
                for code, points in self.session.execute(select(Category.code, Category.points))
            }
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
            self.shops = []
            for i in range(2):
                shop, _ = shops.create_shop(
                    self.session, name=f"店 {i}", address="世田谷区", now=self.now
                )
                self.shops.append(shop.id)
            self.session.flush()
            # the model: what each volunteer earned per fiscal year and per day, what left
            # their account (exchanges and expiries, spent oldest first), what they exchanged
            self.earned = {v: defaultdict(int) for v in self.volunteers}
            self.earned_on = defaultdict(int)
            self.debited = dict.fromkeys(self.volunteers, 0)
            self.exchanged = defaultdict(int)
            self.issued = {}  # key -> (volunteer id, points, code, expires_at)
            self.redeemed = set()
            self.expired_vouchers = set()

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

        def lapsed(self, volunteer_id):
            """The model's FIFO: what is left of the fiscal years that have lapsed by now."""
            left, lapsed = self.debited[volunteer_id], 0
            for year, points in sorted(self.earned[volunteer_id].items()):
                used = min(points, left)
                left -= used
                if year <= calendar.last_expired_fiscal_year(self.now):
                    lapsed += points - used
            return lapsed

        def model_balance(self, volunteer_id):
            return sum(self.earned[volunteer_id].values()) - self.debited[volunteer_id]

        @rule(
            target=tasks, who=st.integers(0, 2), category=st.sampled_from(["garbage", "shopping"])
        )
        def credit(self, who, category):
            volunteer_id = self.volunteers[who]
            assignment_id = completed_assignment(
                self.session, volunteer_id=volunteer_id, category=category, completed_at=self.now
            )
            day = (volunteer_id, calendar.local_date(self.now))
            expected = max(
                0, min(self.category_points[category], RULES["daily_cap"] - self.earned_on[day])
            )
            before = self.balance(volunteer_id)
            transfer = credits.credit_completed_task(
                self.session, assignment_id=assignment_id, now=self.now
            )
            gained = self.balance(volunteer_id) - before
            assert gained == expected == sum(e.amount for e in transfer.entries if e.amount > 0)
            self.earned_on[day] += gained
            self.earned[volunteer_id][calendar.fiscal_year_at(self.now)] += gained
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

        @rule(target=keys, who=st.integers(0, 2), units=st.integers(1, 3))
        def exchange(self, who, units):
            key = f"key-{next(serial)}"
            volunteer_id = self.volunteers[who]
            points = RULES["voucher_unit"] * units
            before = self.balance(volunteer_id)
            lapsed = self.lapsed(volunteer_id)
            year = (volunteer_id, calendar.fiscal_year_at(self.now))
            allowed = (
                who != 2  # the trial volunteer earns but does not exchange
                and before - lapsed >= points
                and self.exchanged[year] + points <= RULES["annual_exchange_cap"]
            )
            if not allowed:
                with pytest.raises(Conflict):
                    vouchers.exchange(
                        self.session,
                        volunteer_id=volunteer_id,
                        points=points,
                        idempotency_key=key,
                        secret=SECRET,
                        now=self.now,
                    )
                assert self.balance(volunteer_id) == before
                return multiple()
            issued = vouchers.exchange(
                self.session,
                volunteer_id=volunteer_id,
                points=points,
                idempotency_key=key,
                secret=SECRET,
                now=self.now,
            )
            assert not issued.replayed and issued.points == points
            # the exchange expired what had lapsed, then took the points
            assert self.balance(volunteer_id) == before - lapsed - points
            self.debited[volunteer_id] += lapsed + points
            self.exchanged[year] += points
            self.issued[key] = (volunteer_id, points, issued.code, issued.expires_at)
            return key

        @rule(key=keys)
        def replay(self, key):
            volunteer_id, points, code, _ = self.issued[key]
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
            with pytest.raises(Conflict, match="Idempotency-Key"):
                vouchers.exchange(
                    self.session,
                    volunteer_id=volunteer_id,
                    points=points + RULES["voucher_unit"],
                    idempotency_key=key,
                    secret=SECRET,
                    now=self.now,
                )
            assert self.balance(volunteer_id) == balance

        @rule(key=keys, shop=st.integers(0, 1))
        def redeem(self, key, shop):
            _, points, code, expires_at = self.issued[key]
            if key in self.redeemed or self.now >= expires_at:
                with pytest.raises(Conflict, match="already redeemed|expired at"):
                    redemption.redeem(
                        self.session,
                        shop_id=self.shops[shop],
                        code=code,
                        secret=SECRET,
                        now=self.now,
                    )
                return
            paid = redemption.redeem(
                self.session, shop_id=self.shops[shop], code=code, secret=SECRET, now=self.now
            )
            assert (paid.points, paid.value_yen) == (points, points)
            self.redeemed.add(key)

        @rule(days=st.integers(1, 400))
        def time_passes(self, days):
            self.now += dt.timedelta(days=days)

        @rule()
        def expire(self):
            lapsed = {v: self.lapsed(v) for v in self.volunteers}
            due = {
                key
                for key, (_, _, _, expires_at) in self.issued.items()
                if expires_at <= self.now and key not in self.redeemed | self.expired_vouchers
            }
            report = expiry.expire(self.session, now=self.now)
            assert report.points_expired == sum(lapsed.values())
            assert report.vouchers_expired == len(due)
            assert report.voucher_points_expired == sum(self.issued[k][1] for k in due)
            for volunteer_id, points in lapsed.items():
                self.debited[volunteer_id] += points
            self.expired_vouchers |= due
            again = expiry.expire(self.session, now=self.now)
            assert (again.points_expired, again.vouchers_expired) == (0, 0)

        @invariant()
        def ledger_holds(self):
            self.session.expire_all()
            assert check(self.session) == []
            for volunteer_id in self.volunteers:
                assert self.balance(volunteer_id) == self.model_balance(volunteer_id)

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
