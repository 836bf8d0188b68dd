"""Revision 0010: volunteers who came as おためし are marked (on trial now, or registered after
they signed up; a direct registration is not), the follow-up table comes, and downgrading to
0009 takes it all away again."""

from alembic import command
from sqlalchemy import inspect, text

from db import make_engine
from tests.conftest import alembic_config
from tests.test_migrations import scratch_url, tables  # noqa: F401 - the fixture

NEW = {"joined_as_trial", "registered_by_id"}

INSERT = text(
    "INSERT INTO volunteers (name, birth_year, lat, lon, max_distance_m, status, created_at,"
    " registered_at) VALUES (:name, 1960, 35.64, 139.67, 1000, :status, :created, :registered)"
)


def columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("volunteers")}
    finally:
        engine.dispose()


def test_0010_marks_who_came_as_trial_and_takes_it_away(scratch_url):  # noqa: F811
    cfg = alembic_config(scratch_url)
    command.upgrade(cfg, "0009")
    engine = make_engine(scratch_url)
    signed_up = "2026-06-01 01:00:00.000000+00:00"
    later = "2026-07-15 01:00:00.000000+00:00"
    same = "2026-06-01 00:59:59.999000+00:00"  # set as the row was made, just before created_at
    if engine.dialect.name == "sqlite":  # UTCDateTime keeps naive UTC text there
        signed_up, later, same = (v.removesuffix("+00:00") for v in (signed_up, later, same))
    with engine.begin() as conn:
        for name, status, registered in [
            ("on trial", "trial", None),
            ("converted", "active", later),
            ("trial then stopped", "inactive", None),
            ("registered at once", "active", same),
        ]:
            conn.execute(
                INSERT,
                {"name": name, "status": status, "created": signed_up, "registered": registered},
            )
    engine.dispose()

    command.upgrade(cfg, "0010")
    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        marked = dict(conn.execute(text("SELECT name, joined_as_trial FROM volunteers")).all())
    engine.dispose()
    assert marked == {
        "on trial": True,
        "converted": True,
        "trial then stopped": False,  # cannot be told from a direct registration that stopped
        "registered at once": False,
    }
    assert "trial_followups" in tables(scratch_url)

    command.downgrade(cfg, "0009")
    assert not NEW & columns(scratch_url)
    command.upgrade(cfg, "head")
    assert columns(scratch_url) >= NEW
    command.check(cfg)
