"""地域貢献ポイント services: credit, exchange, redeem, expire, reverse, settle.

Services take a session and keyword arguments, flush and never commit: the caller (a request,
a command) commits once. Money safety comes from the database, on SQLite and PostgreSQL alike:
balances move only by conditional ``UPDATE ... WHERE balance >= :amount RETURNING balance``,
CHECKs refuse a negative balance, and UNIQUE constraints refuse a second credit for a task, a
second redemption of a voucher, a second expiry of a year's points and a reused idempotency key.
A volunteer's account row is locked (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
already serialises writers) before the daily and annual caps are counted, so two requests at
once cannot both slip under a cap.

This package never imports ``matching``: the assignment, request and category rows a credit
needs are read through their tables by name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.models import ApiToken
from access.tokens import new_token
from db import Base, Conflict, InvalidInput, NotFound
from points import codes, ledger
from points import rules as calendar
from points.ledger import Leg
from points.models import Account, Entry, PointRule, Redemption, Shop, Transfer, Voucher
from points.rules import Rules

SYSTEM = "system"


def _table(name: str) -> Table:
    # matching's tables, by name: points and matching never import each other
    return Base.metadata.tables[name]


def _iso_local(moment: dt.datetime) -> str:
    return moment.astimezone(calendar.TOKYO).isoformat(timespec="seconds")


# --- rules ---------------------------------------------------------------------------------

RULE_FIELDS = (
    "daily_cap",
    "annual_exchange_cap",
    "voucher_unit",
    "voucher_yen_per_point",
    "voucher_valid_days",
)


def get_rules(session: Session) -> Rules:
    """Return the ward's point rules (the seeded row; domain.md's defaults if it is missing)."""
    row = session.get(PointRule, 1)
    if row is None:
        return calendar.DEFAULT_RULES
    return Rules(**{name: getattr(row, name) for name in RULE_FIELDS})


def update_rules(
    session: Session, *, changes: dict[str, int], updated_by: str, now: dt.datetime
) -> Rules:
    """Change some of the ward's point rules; they apply from the next credit or exchange."""
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise InvalidInput("Unknown rule.", {name: ["Not a point rule."] for name in unknown})
    row = session.get(PointRule, 1)
    if row is None:
        row = PointRule(id=1, **{k: getattr(calendar.DEFAULT_RULES, k) for k in RULE_FIELDS})
        session.add(row)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = now
    row.updated_by = updated_by
    session.flush()
    return get_rules(session)


# --- accounts and postings -----------------------------------------------------------------


def system_account_id(session: Session, kind: str) -> int:
    """Return the id of one of the ward's accounts (issuance, voucher_liability, expired)."""
    if kind not in ledger.SYSTEM_ACCOUNT_KINDS:
        raise ValueError(kind)
    found = session.scalar(
        select(Account.id).where(
            Account.kind == kind, Account.volunteer_id.is_(None), Account.shop_id.is_(None)
        )
    )
    if found is None:  # pragma: no cover - seeded by migration 0002
        raise RuntimeError(f"the ward's {kind} account is missing: run the migrations")
    return found


def _ensure_account(
    session: Session, *, kind: str, volunteer_id: int | None = None, shop_id: int | None = None
) -> int:
    """Return the owner's account id, creating it (race-free: INSERT ... ON CONFLICT DO NOTHING)."""
    owner = Account.volunteer_id == volunteer_id if volunteer_id else Account.shop_id == shop_id
    found = session.scalar(select(Account.id).where(owner))
    if found is not None:
        return found
    values = {
        "kind": kind,
        "volunteer_id": volunteer_id,
        "shop_id": shop_id,
        "balance": 0,
        "created_at": dt.datetime.now(dt.UTC),
    }
    dialect = session.get_bind().dialect.name
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(make_insert(Account).values(**values).on_conflict_do_nothing())
    created = session.scalar(select(Account.id).where(owner))
    assert created is not None  # noqa: S101 - inserted just now or by the winner of a race
    return created


def _lock_volunteer_account(session: Session, volunteer_id: int) -> tuple[int, int]:
    """Lock a volunteer's account row for this transaction; return (account id, balance)."""
    account_id = _ensure_account(session, kind="volunteer", volunteer_id=volunteer_id)
    balance = session.execute(
        select(Account.balance).where(Account.id == account_id).with_for_update()
    ).scalar_one()
    return account_id, balance


class _Short(Exception):
    def __init__(self, account_id: int) -> None:
        self.account_id = account_id


def _apply(
    session: Session, transfer: Transfer, legs: Sequence[Leg], *, issuance_id: int | None = None
) -> None:
    """Write a transfer's entries and move the balances; a short account raises _Short.

    Accounts are updated in id order (the ward's accounts first), so two transfers never wait
    on each other's rows in opposite orders.
    """
    ledger.check_legs(legs)
    rows = []
    accounts = cast(Table, Account.__table__)
    for leg in sorted(legs, key=lambda leg: leg.account_id):
        stmt = update(accounts).where(accounts.c.id == leg.account_id)
        if leg.amount < 0 and leg.account_id != issuance_id:
            stmt = stmt.where(accounts.c.balance >= -leg.amount)
        stmt = stmt.values(balance=accounts.c.balance + leg.amount).returning(accounts.c.balance)
        balance_after = session.execute(stmt).scalar_one_or_none()
        if balance_after is None:
            raise _Short(leg.account_id)
        rows.append(
            {
                "transfer_id": transfer.id,
                "account_id": leg.account_id,
                "amount": leg.amount,
                "balance_after": balance_after,
            }
        )
    session.execute(insert(Entry), rows)


def _rowcount(session: Session, statement: Any) -> int:
    """Execute a conditional UPDATE; return how many rows it changed."""
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount)


# --- crediting a completed task ------------------------------------------------------------


def credit_completed_task(
    session: Session, *, assignment_id: int, now: dt.datetime, created_by: str = SYSTEM
) -> Transfer:
    """Credit a completed task's points to its volunteer, at most once, within the daily cap.

    Call it in the transaction that completes the assignment. A retry returns the first
    credit. When the daily cap leaves nothing, a credit transfer without entries is still
    recorded (reason says why): it marks the task as credited, so a retry on another day can
    never credit it after all, and the volunteer's history shows why it earned nothing.
    """
    assignments, requests, categories = (
        _table("assignments"),
        _table("help_requests"),
        _table("categories"),
    )
    row = session.execute(
        select(
            assignments.c.status,
            assignments.c.volunteer_id,
            assignments.c.completed_at,
            requests.c.window_end,
            categories.c.points,
            categories.c.label_ja,
        )
        .join(requests, assignments.c.help_request_id == requests.c.id)
        .join(categories, requests.c.category_id == categories.c.id)
        .where(assignments.c.id == assignment_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"Assignment {assignment_id} not found.")
    status, volunteer_id, completed_at, window_end, points, label = row
    if status != "completed":
        raise Conflict(f"Assignment {assignment_id} is {status}; only completed tasks earn points.")
    existing = _credit_of(session, assignment_id)
    if existing is not None:
        return existing
    account_id, _ = _lock_volunteer_account(session, volunteer_id)
    existing = _credit_of(session, assignment_id)  # credited while we waited for the lock?
    if existing is not None:
        return existing

    rules = get_rules(session)
    # the day of the activity: when it was confirmed, or the window's end if confirmed later
    done = completed_at or now
    activity_date = calendar.local_date(min(done, window_end))
    earned_that_day = (
        session.scalar(
            select(func.coalesce(func.sum(Entry.amount), 0))
            .join(Transfer, Entry.transfer_id == Transfer.id)
            .where(
                Entry.account_id == account_id,
                Transfer.kind == "credit",
                Transfer.activity_date == activity_date,
            )
        )
        or 0
    )
    amount = calendar.credit_after_cap(points, earned_that_day, rules.daily_cap)
    reason = f"{label} {activity_date.isoformat()}"
    if amount < points:
        reason += f"（1日の上限 {rules.daily_cap} pt のため {points} pt のうち {amount} pt）"
    try:
        with session.begin_nested():
            transfer = Transfer(
                kind="credit",
                volunteer_id=volunteer_id,
                assignment_id=assignment_id,
                # points belong to the year of the activity, not of the confirmation
                fiscal_year=calendar.fiscal_year_of(activity_date),
                activity_date=activity_date,
                reason=reason,
                created_at=now,
                created_by=created_by,
            )
            session.add(transfer)
            session.flush()
            if amount > 0:
                issuance = system_account_id(session, "issuance")
                _apply(
                    session,
                    transfer,
                    ledger.legs_for("credit", source=issuance, target=account_id, amount=amount),
                    issuance_id=issuance,
                )
    except IntegrityError:
        # uq_transfers_assignment_id: another transaction credited this task first
        existing = _credit_of(session, assignment_id)
        if existing is None:
            raise
        return existing
    return transfer


def _credit_of(session: Session, assignment_id: int) -> Transfer | None:
    return session.scalar(
        select(Transfer).where(Transfer.kind == "credit", Transfer.assignment_id == assignment_id)
    )


# --- exchange: points -> voucher -----------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A voucher with its code (derived again on a replay, never stored)."""

    voucher: Voucher
    transfer: Transfer
    code: str
    replayed: bool

    @property
    def points(self) -> int:
        return self.voucher.points

    @property
    def value_yen(self) -> int:
        return self.voucher.value_yen

    @property
    def expires_at(self) -> dt.datetime:
        return self.voucher.expires_at

    @property
    def id(self) -> int:
        return self.voucher.id

    @property
    def status(self) -> str:
        return self.voucher.status

    @property
    def volunteer_id(self) -> int:
        return self.voucher.volunteer_id

    @property
    def created_at(self) -> dt.datetime:
        return self.voucher.created_at


def _fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def _code_context(volunteer_id: int) -> str:
    return f"volunteer:{volunteer_id}"


def _replay(session: Session, prior: Transfer, *, fingerprint: str, secret: str | bytes) -> Issued:
    if prior.request_fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with another body; use a new key"
            " for a new exchange."
        )
    assert prior.voucher_id is not None  # noqa: S101 - ck_transfers_voucher_kinds
    voucher = session.get(Voucher, prior.voucher_id)
    assert voucher is not None  # noqa: S101
    code = codes.derive_code(
        secret, bytes.fromhex(voucher.code_salt), _code_context(voucher.volunteer_id)
    )
    return Issued(voucher=voucher, transfer=prior, code=code, replayed=True)


def _exchange_by_key(session: Session, volunteer_id: int, key: str) -> Transfer | None:
    return session.scalar(
        select(Transfer).where(
            Transfer.volunteer_id == volunteer_id,
            Transfer.idempotency_key == key,
        )
    )


def exchanged_in_fiscal_year(session: Session, *, volunteer_id: int, fiscal_year: int) -> int:
    """Return the points a volunteer exchanged in a fiscal year (what the annual cap counts)."""
    return (
        session.scalar(
            select(func.coalesce(func.sum(Voucher.points), 0))
            .join(Transfer, Transfer.voucher_id == Voucher.id)
            .where(
                Transfer.kind == "exchange",
                Transfer.volunteer_id == volunteer_id,
                Transfer.fiscal_year == fiscal_year,
            )
        )
        or 0
    )


def _volunteer_status(session: Session, volunteer_id: int) -> str:
    volunteers = _table("volunteers")
    status = session.scalar(select(volunteers.c.status).where(volunteers.c.id == volunteer_id))
    if status is None:
        raise NotFound(f"Volunteer {volunteer_id} not found.")
    return str(status)


def exchange(
    session: Session,
    *,
    volunteer_id: int,
    points: int,
    idempotency_key: str,
    secret: str | bytes,
    now: dt.datetime,
    created_by: str = SYSTEM,
) -> Issued:
    """Turn points into a voucher. The same key and body give the same voucher, writing nothing.

    Refused (Conflict) for a volunteer still on trial, past the fiscal year's exchange cap,
    or without the points; a key reused with another body is refused too.
    """
    rules = get_rules(session)
    if points <= 0 or points % rules.voucher_unit:
        raise InvalidInput(
            f"Exchange a positive multiple of {rules.voucher_unit} points.",
            {"points": [f"Must be a positive multiple of {rules.voucher_unit}."]},
        )
    fingerprint = _fingerprint({"points": points})
    status = _volunteer_status(session, volunteer_id)
    account_id, balance = _lock_volunteer_account(session, volunteer_id)
    prior = _exchange_by_key(session, volunteer_id, idempotency_key)
    if prior is not None:
        return _replay(session, prior, fingerprint=fingerprint, secret=secret)

    if status != "active":
        raise Conflict(
            "Only registered volunteers exchange points: trial volunteers earn points and"
            " exchange them once registered (status active)."
            if status == "trial"
            else f"This volunteer is {status}; only active volunteers exchange points."
        )
    # points that lapsed since the last cron run are not the volunteer's to spend
    through = calendar.last_expired_fiscal_year(now)
    credits, debited, expired_years = _ledger_position(session, account_id)
    lapsed = sum(
        ledger.points_to_expire(
            credits, debited, through_fiscal_year=through, already_expired=expired_years
        ).values()
    )
    balance -= lapsed
    fiscal_year = calendar.fiscal_year_at(now)
    exchanged = exchanged_in_fiscal_year(
        session, volunteer_id=volunteer_id, fiscal_year=fiscal_year
    )
    if exchanged + points > rules.annual_exchange_cap:
        room = max(0, rules.annual_exchange_cap - exchanged)
        raise Conflict(
            f"The yearly exchange cap is {rules.annual_exchange_cap} pt (April to March):"
            f" {exchanged} pt exchanged in fiscal year {fiscal_year}, {room} pt left.",
            {"points": [f"At most {room - room % rules.voucher_unit} this fiscal year."]},
        )
    if balance < points:
        raise Conflict(
            f"Not enough points: the balance is {balance} pt, the exchange needs {points} pt.",
            {"points": [f"The balance is {balance}."]},
        )

    if lapsed:  # refusals write nothing; an exchange first expires what lapsed
        expired_account = system_account_id(session, "expired")
        _expire_points_of(session, volunteer_id, through, expired_account, now, ExpiryReport())
    salt = codes.new_salt()
    code = codes.derive_code(secret, salt, _code_context(volunteer_id))
    liability = system_account_id(session, "voucher_liability")
    try:
        with session.begin_nested():
            voucher = Voucher(
                volunteer_id=volunteer_id,
                code_hash=codes.lookup_hash(secret, code),
                code_salt=salt.hex(),
                code_tail=codes.tail(code),
                points=points,
                value_yen=points * rules.voucher_yen_per_point,
                yen_per_point=rules.voucher_yen_per_point,
                valid_days=rules.voucher_valid_days,
                status="outstanding",
                created_at=now,
                expires_at=now + dt.timedelta(days=rules.voucher_valid_days),
            )
            session.add(voucher)
            session.flush()
            transfer = Transfer(
                kind="exchange",
                volunteer_id=volunteer_id,
                voucher_id=voucher.id,
                fiscal_year=fiscal_year,
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
                reason=f"商品券 …{voucher.code_tail}（{voucher.value_yen}円）",
                created_at=now,
                created_by=created_by,
            )
            session.add(transfer)
            session.flush()
            _apply(
                session,
                transfer,
                ledger.legs_for("exchange", source=account_id, target=liability, amount=points),
            )
    except _Short as short:
        # the conditional UPDATE is the guard; the read above only words the message
        raise Conflict("Not enough points for this exchange.") from short
    except IntegrityError:
        # the same key, committed by a concurrent request: answer as a replay would
        prior = _exchange_by_key(session, volunteer_id, idempotency_key)
        if prior is None:
            raise
        return _replay(session, prior, fingerprint=fingerprint, secret=secret)
    return Issued(voucher=voucher, transfer=transfer, code=code, replayed=False)


# --- redemption at a partner shop ----------------------------------------------------------


def redeem(
    session: Session,
    *,
    shop_id: int,
    code: str,
    secret: str | bytes,
    now: dt.datetime,
    created_by: str | None = None,
) -> Redemption:
    """Redeem a voucher at a shop: exactly once, never after it expired."""
    try:
        canonical = codes.normalise(code)
    except codes.InvalidCode as error:
        raise InvalidInput(str(error), {"code": [str(error)]}) from error
    voucher = session.scalar(
        select(Voucher).where(Voucher.code_hash == codes.lookup_hash(secret, canonical))
    )
    if voucher is None:
        raise NotFound("No voucher has this code: please check it with the customer.")
    _refuse_unredeemable(voucher, now)
    changed = _rowcount(
        session,
        update(Voucher)
        .where(
            Voucher.id == voucher.id,
            Voucher.status == "outstanding",
            Voucher.expires_at > now,
        )
        .values(status="redeemed", redeemed_at=now)
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        # someone else redeemed (or the expiry ran) between our read and our write
        session.refresh(voucher)
        _refuse_unredeemable(voucher, now)
        raise Conflict("This voucher changed meanwhile; try again.")  # pragma: no cover
    liability = system_account_id(session, "voucher_liability")
    payable = _ensure_account(session, kind="shop_payable", shop_id=shop_id)
    transfer = Transfer(
        kind="redeem",
        voucher_id=voucher.id,
        reason=f"商品券 …{voucher.code_tail} を協力店 {shop_id} で使用",
        created_at=now,
        created_by=created_by or f"shop:{shop_id}",
    )
    session.add(transfer)
    session.flush()
    try:
        _apply(
            session,
            transfer,
            ledger.legs_for("redeem", source=liability, target=payable, amount=voucher.points),
        )
    except _Short as short:  # pragma: no cover - the liability covers every outstanding voucher
        raise Conflict("The voucher liability does not cover this voucher.") from short
    redemption = Redemption(
        voucher_id=voucher.id,
        shop_id=shop_id,
        transfer_id=transfer.id,
        points=voucher.points,
        value_yen=voucher.value_yen,
        redeemed_at=now,
        settlement_month=calendar.month_of(now),
    )
    session.add(redemption)
    session.flush()
    session.refresh(voucher)
    return redemption


def _refuse_unredeemable(voucher: Voucher, now: dt.datetime) -> None:
    if voucher.status == "redeemed":
        assert voucher.redeemed_at is not None  # noqa: S101 - ck_vouchers_redeemed_stamp
        when = _iso_local(voucher.redeemed_at)
        raise Conflict(
            f"This voucher was already redeemed at {when}.",
            {"code": [f"Redeemed at {when}."]},
        )
    if voucher.status == "expired" or voucher.expires_at <= now:
        when = _iso_local(voucher.expires_at)
        raise Conflict(
            f"This voucher expired at {when}.",
            {"code": [f"Expired at {when}."]},
        )


# --- expiry --------------------------------------------------------------------------------


@dataclass
class ExpiryReport:
    """What one expiry run did."""

    points_transfers: int = 0
    points_expired: int = 0
    vouchers_expired: int = 0
    voucher_points_expired: int = 0
    by_fiscal_year: dict[int, int] = field(default_factory=dict)


def expire(session: Session, *, now: dt.datetime) -> ExpiryReport:
    """Expire lapsed points (FIFO, per fiscal year earned) and unredeemed vouchers past date.

    Idempotent: a year's points expire once per volunteer (uq_transfers_expire_points_year)
    and a voucher once (its status and uq_transfers_voucher_id_kind), so a second run finds
    nothing to do. Points first, then vouchers: the same lock order as exchanges (a volunteer's
    account before the ward's), so a run never deadlocks with requests.
    """
    report = ExpiryReport()
    through = calendar.last_expired_fiscal_year(now)
    expired_account = system_account_id(session, "expired")
    volunteer_ids = session.scalars(
        select(Transfer.volunteer_id)
        .where(Transfer.kind == "credit", Transfer.fiscal_year <= through)
        .distinct()
        .order_by(Transfer.volunteer_id)
    ).all()
    for volunteer_id in volunteer_ids:
        assert volunteer_id is not None  # noqa: S101 - ck_transfers_volunteer_kinds
        _expire_points_of(session, volunteer_id, through, expired_account, now, report)

    voucher_ids = session.scalars(
        select(Voucher.id)
        .where(Voucher.status == "outstanding", Voucher.expires_at <= now)
        .order_by(Voucher.id)
    ).all()
    liability = system_account_id(session, "voucher_liability")
    for voucher_id in voucher_ids:
        changed = _rowcount(
            session,
            update(Voucher)
            .where(
                Voucher.id == voucher_id,
                Voucher.status == "outstanding",
                Voucher.expires_at <= now,
            )
            .values(status="expired", expired_at=now)
            .execution_options(synchronize_session=False),
        )
        if changed != 1:
            continue  # redeemed just before its end
        voucher_points, tail = session.execute(
            select(Voucher.points, Voucher.code_tail).where(Voucher.id == voucher_id)
        ).one()
        transfer = Transfer(
            kind="expire_voucher",
            voucher_id=voucher_id,
            reason=f"商品券 …{tail} の有効期限切れ",
            created_at=now,
            created_by=SYSTEM,
        )
        session.add(transfer)
        session.flush()
        _apply(
            session,
            transfer,
            ledger.legs_for(
                "expire_voucher", source=liability, target=expired_account, amount=voucher_points
            ),
        )
        report.vouchers_expired += 1
        report.voucher_points_expired += voucher_points
    session.flush()
    return report


def _ledger_position(session: Session, account_id: int) -> tuple[dict[int, int], int, set[int]]:
    """Return (credits net of reversals by fiscal year, total debited, years already expired)."""
    per_year = session.execute(
        select(Transfer.kind, Transfer.fiscal_year, func.sum(Entry.amount))
        .join(Entry, Entry.transfer_id == Transfer.id)
        .where(Entry.account_id == account_id)
        .group_by(Transfer.kind, Transfer.fiscal_year)
    ).all()
    credits: dict[int, int] = {}
    debited = 0
    expired_years: set[int] = set()
    for kind, year, total in per_year:
        if year is None:  # pragma: no cover - ck_transfers_volunteer_kinds
            continue
        if kind in ("credit", "reversal"):
            credits[year] = credits.get(year, 0) + int(total)
        else:  # exchange, expire_points: debits, spent oldest first
            debited -= int(total)
            if kind == "expire_points":
                expired_years.add(year)
    return credits, debited, expired_years


def _expire_points_of(
    session: Session,
    volunteer_id: int,
    through: int,
    expired_account: int,
    now: dt.datetime,
    report: ExpiryReport,
) -> None:
    account_id, balance = _lock_volunteer_account(session, volunteer_id)
    credits, debited, expired_years = _ledger_position(session, account_id)
    if sum(credits.values()) - debited != balance:  # pragma: no cover - `points check` says more
        raise RuntimeError(f"account {account_id}: balance disagrees with its entries")
    todo = ledger.points_to_expire(
        credits, debited, through_fiscal_year=through, already_expired=expired_years
    )
    for year, amount in sorted(todo.items()):
        lapse = calendar.points_expire_at(year) - dt.timedelta(days=1)
        try:
            with session.begin_nested():
                transfer = Transfer(
                    kind="expire_points",
                    volunteer_id=volunteer_id,
                    fiscal_year=year,
                    reason=f"{year}年度に得たポイントの失効（{lapse.date().isoformat()} まで有効）",
                    created_at=now,
                    created_by=SYSTEM,
                )
                session.add(transfer)
                session.flush()
                _apply(
                    session,
                    transfer,
                    ledger.legs_for(
                        "expire_points", source=account_id, target=expired_account, amount=amount
                    ),
                )
        except IntegrityError:  # pragma: no cover - a concurrent run expired it first
            continue
        report.points_transfers += 1
        report.points_expired += amount
        report.by_fiscal_year[year] = report.by_fiscal_year.get(year, 0) + amount


# --- corrections ---------------------------------------------------------------------------


def reverse(
    session: Session, *, transfer_id: int, reason: str, created_by: str, now: dt.datetime
) -> Transfer:
    """Undo a credit with a reversing transfer (an admin's correction, with a reason)."""
    original = session.get(Transfer, transfer_id)
    if original is None:
        raise NotFound(f"Transfer {transfer_id} not found.")
    if original.kind != "credit":
        raise Conflict(
            f"Transfer {transfer_id} is {original.kind}: only credits are reversed. Vouchers"
            " are settled by redemption or expiry."
        )
    assert original.volunteer_id is not None  # noqa: S101 - ck_transfers_volunteer_kinds
    already = session.scalar(select(Transfer.id).where(Transfer.reverses_id == transfer_id))
    if already is not None:
        raise Conflict(f"Transfer {transfer_id} was already reversed by transfer {already}.")
    if original.fiscal_year is not None and original.fiscal_year <= (
        calendar.last_expired_fiscal_year(now)
    ):
        raise Conflict(
            f"Transfer {transfer_id} credited points of fiscal year {original.fiscal_year},"
            " which have lapsed: reversing it now would take points the volunteer earned later."
        )
    account_id, balance = _lock_volunteer_account(session, original.volunteer_id)
    credited = session.scalar(
        select(Entry.amount).where(Entry.transfer_id == transfer_id, Entry.account_id == account_id)
    )
    if not credited:
        raise Conflict(f"Transfer {transfer_id} credited nothing (the daily cap): nothing to undo.")
    if balance < credited:
        raise Conflict(
            f"The volunteer's balance ({balance} pt) no longer covers the {credited} pt"
            " to reverse: they were exchanged or expired."
        )
    issuance = system_account_id(session, "issuance")
    try:
        with session.begin_nested():
            reversal = Transfer(
                kind="reversal",
                volunteer_id=original.volunteer_id,
                reverses_id=transfer_id,
                fiscal_year=original.fiscal_year,
                reason=reason,
                created_at=now,
                created_by=created_by,
            )
            session.add(reversal)
            session.flush()
            _apply(
                session,
                reversal,
                ledger.legs_for("reversal", source=account_id, target=issuance, amount=credited),
                issuance_id=issuance,
            )
    except _Short as short:
        raise Conflict("The volunteer's balance no longer covers this credit.") from short
    except IntegrityError as error:
        raise Conflict(f"Transfer {transfer_id} was already reversed.") from error
    return reversal


# --- balance and history -------------------------------------------------------------------


@dataclass(frozen=True)
class Expiring:
    fiscal_year: int
    points: int
    expires_at: dt.datetime


@dataclass(frozen=True)
class PointsSummary:
    volunteer_id: int
    status: str
    balance: int
    exchangeable: int
    fiscal_year: int
    fiscal_year_exchanged: int
    annual_exchange_cap: int
    voucher_unit: int
    #: What lapses when: FIFO-unspent points by the fiscal year they were earned in.
    expiring: list[Expiring]


def summary(session: Session, *, volunteer_id: int, now: dt.datetime) -> PointsSummary:
    """Return a volunteer's balance, what they may exchange now, and when points lapse."""
    status = _volunteer_status(session, volunteer_id)
    rules = get_rules(session)
    account = session.execute(
        select(Account.id, Account.balance).where(Account.volunteer_id == volunteer_id)
    ).one_or_none()
    balance = account.balance if account else 0
    fiscal_year = calendar.fiscal_year_at(now)
    exchanged = exchanged_in_fiscal_year(
        session, volunteer_id=volunteer_id, fiscal_year=fiscal_year
    )
    expiring: list[Expiring] = []
    lapsed = 0
    if account is not None:
        credits, debited, expired_years = _ledger_position(session, account.id)
        for year, points in sorted(ledger.unspent_by_fiscal_year(credits, debited).items()):
            expiring.append(Expiring(year, points, calendar.points_expire_at(year)))
        # lapsed but not yet expired by cron: an exchange would expire them first
        lapsed = sum(
            ledger.points_to_expire(
                credits,
                debited,
                through_fiscal_year=calendar.last_expired_fiscal_year(now),
                already_expired=expired_years,
            ).values()
        )
    return PointsSummary(
        volunteer_id=volunteer_id,
        status=status,
        balance=balance,
        exchangeable=calendar.exchangeable(
            balance=balance - lapsed,
            exchanged_this_year=exchanged,
            rules=rules,
            may_exchange=status == "active",
        ),
        fiscal_year=fiscal_year,
        fiscal_year_exchanged=exchanged,
        annual_exchange_cap=rules.annual_exchange_cap,
        voucher_unit=rules.voucher_unit,
        expiring=expiring,
    )


@dataclass(frozen=True)
class HistoryItem:
    transfer_id: int
    kind: str
    amount: int
    balance_after: int | None
    created_at: dt.datetime
    what_for: str


def history(session: Session, *, volunteer_id: int, page: int, page_size: int) -> dict[str, Any]:
    """Return one page of a volunteer's transfers, newest first, with amount and balance after.

    Credits the daily cap reduced to nothing appear with amount 0 (and no balance_after).
    """
    _volunteer_status(session, volunteer_id)
    account_id = session.scalar(select(Account.id).where(Account.volunteer_id == volunteer_id))
    stmt = (
        select(Transfer, Entry.amount, Entry.balance_after)
        .outerjoin(
            Entry,
            (Entry.transfer_id == Transfer.id) & (Entry.account_id == (account_id or -1)),
        )
        .where(Transfer.volunteer_id == volunteer_id)
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Transfer.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    items = [
        HistoryItem(
            transfer_id=transfer.id,
            kind=transfer.kind,
            amount=amount or 0,
            balance_after=balance_after,
            created_at=transfer.created_at,
            what_for=(
                f"訂正: 取引 {transfer.reverses_id} の取消（{transfer.reason}）"
                if transfer.kind == "reversal"
                else transfer.reason
            ),
        )
        for transfer, amount, balance_after in rows
    ]
    return {
        "items": items,
        "page": page,
        "page_size": page_size,
        "total": total,
        "pages": (total + page_size - 1) // page_size,
    }


def get_transfer(session: Session, *, transfer_id: int) -> Transfer:
    """Return one transfer with its entries."""
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(f"Transfer {transfer_id} not found.")
    return transfer


# --- shops and settlement ------------------------------------------------------------------


def create_shop(session: Session, *, name: str, address: str, now: dt.datetime) -> tuple[Shop, str]:
    """Register a partner shop with its payable account; return it and its API key (once)."""
    shop = Shop(name=name, address=address, created_at=now)
    session.add(shop)
    session.flush()
    _ensure_account(session, kind="shop_payable", shop_id=shop.id)
    return shop, _issue_shop_key(session, shop.id, now)


def _issue_shop_key(session: Session, shop_id: int, now: dt.datetime) -> str:
    key, key_hash = new_token()
    session.add(ApiToken(token_hash=key_hash, role="shop", shop_id=shop_id, created_at=now))
    session.flush()
    return key


def rotate_shop_key(session: Session, *, shop_id: int, now: dt.datetime) -> str:
    """Revoke a shop's keys and issue a new one (shown once)."""
    get_shop(session, shop_id=shop_id)
    session.execute(
        update(ApiToken)
        .where(ApiToken.shop_id == shop_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return _issue_shop_key(session, shop_id, now)


def get_shop(session: Session, *, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"Shop {shop_id} not found.")
    return shop


def shops_query() -> Any:
    """Return the query of partner shops, in registration order."""
    return select(Shop).order_by(Shop.id)


def redemptions_query(*, month: str, shop_id: int | None) -> Any:
    """Return the query of a month's redemptions (optionally of one shop), oldest first."""
    stmt = select(Redemption).where(Redemption.settlement_month == month)
    if shop_id is not None:
        stmt = stmt.where(Redemption.shop_id == shop_id)
    return stmt.order_by(Redemption.redeemed_at, Redemption.id)


@dataclass(frozen=True)
class ShopSettlement:
    shop_id: int
    name: str
    address: str
    count: int
    points: int
    total_yen: int
    #: The shop's payable account now (every month not yet paid out: nothing is paid out yet).
    payable_balance: int


def settlement(session: Session, *, month: str, shop_id: int | None = None) -> list[ShopSettlement]:
    """Return each shop's total for a month: what the ward reimburses."""
    stmt = (
        select(
            Shop.id,
            Shop.name,
            Shop.address,
            func.count(Redemption.id),
            func.coalesce(func.sum(Redemption.points), 0),
            func.coalesce(func.sum(Redemption.value_yen), 0),
            func.coalesce(Account.balance, 0),
        )
        .join(Redemption, Redemption.shop_id == Shop.id)
        .outerjoin(Account, Account.shop_id == Shop.id)
        .where(Redemption.settlement_month == month)
        .group_by(Shop.id, Shop.name, Shop.address, Account.balance)
        .order_by(Shop.id)
    )
    if shop_id is not None:
        stmt = stmt.where(Shop.id == shop_id)
    return [ShopSettlement(*row) for row in session.execute(stmt)]
