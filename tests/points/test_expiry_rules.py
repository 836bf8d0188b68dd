"""The expiry run: what it expires, what its report adds up, and how each expiry reads."""

from sqlalchemy import select

from points.credits import reverse
from points.expiry import expire
from points.models import Account, Transfer
from tests.points.conftest import tokyo


def balance(session, volunteer):
    return session.scalar(select(Account.balance).where(Account.volunteer_id == volunteer.id))


def test_the_report_adds_up_every_volunteers_expiry(session, make_volunteer, fund):
    (a, _), (b, _) = make_volunteer(), make_volunteer(name="鈴木 次郎")
    fund(a, 300, start=tokyo(2024, 6, 1))  # fiscal 2024
    fund(b, 200, start=tokyo(2024, 7, 1))  # fiscal 2024
    fund(b, 100, start=tokyo(2023, 7, 1))  # fiscal 2023
    report = expire(session, now=tokyo(2026, 4, 1, 0, 0))
    assert report.points_transfers == 3
    assert report.points_expired == 600
    assert report.by_fiscal_year == {2023: 100, 2024: 500}
    assert (balance(session, a), balance(session, b)) == (0, 0)


def test_an_expiry_is_stamped_with_the_run_and_says_until_when_the_points_were_valid(
    session, volunteer, fund
):
    v, _ = volunteer
    fund(v, 100, start=tokyo(2024, 6, 1))
    now = tokyo(2026, 4, 1, 3, 0)
    expire(session, now=now)
    expiry = session.scalar(
        select(Transfer).where(Transfer.kind == "expire_points", Transfer.volunteer_id == v.id)
    )
    assert expiry.created_at == now
    assert expiry.created_by == "system"
    assert expiry.reason == "2024年度に得たポイントの失効（2026-03-31 まで有効）"


def test_a_reversal_takes_back_points_of_its_own_year_not_the_oldest(
    session, volunteer, complete_task
):
    v, _ = volunteer
    complete_task(v, "shopping", tokyo(2024, 10, 1, 9))  # fiscal 2024
    mistaken = complete_task(v, "shopping", tokyo(2025, 10, 1, 9))  # fiscal 2025
    complete_task(v, "shopping", tokyo(2025, 10, 2, 9))
    reverse(
        session,
        transfer_id=mistaken.id,
        reason="二重登録",
        created_by="admin:1",
        now=tokyo(2025, 12, 1),
    )
    # fiscal 2024's 100 pt are untouched by the reversal, so all of them lapse
    assert expire(session, now=tokyo(2026, 4, 1, 0, 0)).by_fiscal_year == {2024: 100}
    assert balance(session, v) == 100
