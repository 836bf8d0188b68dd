"""Revision 0013: every volunteer already there takes one task a day (so runs match as before),
the database refuses a capacity outside 1-5 and a round place below 1, and downgrading to 0012
with rows present takes the columns away again."""

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from db import make_engine
from tests.conftest import alembic_config
from tests.test_migrations import scratch_url  # noqa: F401 - the fixture

INSERT = text(
    "INSERT INTO volunteers (name, birth_year, lat, lon, max_distance_m, status, created_at)"
    " VALUES ('before rounds', 1960, 35.64, 139.67, 1000, 'active', '2026-06-01 01:00:00')"
)


def columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_0013_gives_everyone_one_task_a_day_and_refuses_what_cannot_be(scratch_url):  # noqa: F811
    cfg = alembic_config(scratch_url)
    command.upgrade(cfg, "0012")
    engine = make_engine(scratch_url)
    with engine.begin() as conn:
        conn.execute(INSERT)
    engine.dispose()

    command.upgrade(cfg, "0013")
    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT max_tasks_per_day FROM volunteers")).scalar_one() == 1
    for bad in (0, 6):
        with pytest.raises(IntegrityError, match="max_tasks_per_day_range"), engine.begin() as conn:
            conn.execute(text("UPDATE volunteers SET max_tasks_per_day = :n"), {"n": bad})
    with engine.begin() as conn:
        conn.execute(text("UPDATE volunteers SET max_tasks_per_day = 5"))
    # the CHECK is looked at before the foreign keys, so no request or volunteer row is needed
    with pytest.raises(IntegrityError, match="round_order_positive"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO assignments (help_request_id, volunteer_id, status, distance_m,"
                " cost, reasons, created_at, round_order) VALUES"
                " (1, 1, 'proposed', 0, 0, '{}', '2026-06-01 01:00:00', 0)"
            )
        )
    engine.dispose()

    command.downgrade(cfg, "0012")  # with a volunteer row present
    assert "max_tasks_per_day" not in columns(scratch_url, "volunteers")
    assert not {"round_order", "planned_start"} & columns(scratch_url, "assignments")
    command.upgrade(cfg, "head")
    command.check(cfg)
