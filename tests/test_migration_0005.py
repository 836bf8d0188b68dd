"""Revision 0005: assignments say how an answer came and who overrode the solver; downgrading
to 0004 takes the three columns away again. (Its CHECK is tested on the suite's database, in
tests/matching/test_alternatives.py.)"""

from alembic import command
from sqlalchemy import inspect

from db import make_engine
from tests.conftest import alembic_config
from tests.test_migrations import scratch_url  # noqa: F401 - the fixture

NEW = {"answered_via", "answered_by_id", "proposed_by_id"}


def columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("assignments")}
    finally:
        engine.dispose()


def foreign_keys(url: str) -> set[tuple[str, str]]:
    engine = make_engine(url)
    try:
        return {
            (fk["constrained_columns"][0], fk["referred_table"])
            for fk in inspect(engine).get_foreign_keys("assignments")
        }
    finally:
        engine.dispose()


def test_0005_adds_the_columns_and_their_foreign_keys_and_takes_them_away(scratch_url):  # noqa: F811
    cfg = alembic_config(scratch_url)
    command.upgrade(cfg, "0004")
    assert not NEW & columns(scratch_url)

    command.upgrade(cfg, "0005")
    assert columns(scratch_url) >= NEW
    assert {("answered_by_id", "users"), ("proposed_by_id", "users")} <= foreign_keys(scratch_url)

    command.downgrade(cfg, "0004")
    assert not NEW & columns(scratch_url)
    command.upgrade(cfg, "head")
    assert columns(scratch_url) >= NEW
    command.check(cfg)
