"""Every revision upgrades, downgrades for real, and matches the models (alembic check)."""

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import inspect, make_url, text

from db import make_engine
from tests.conftest import alembic_config


@pytest.fixture
def scratch_url(database_url, tmp_path) -> Iterator[str]:
    """A database of its own, so the cycle never touches the suite's."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    name = "sasaeai_migrations_test"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_check(scratch_url):
    cfg = alembic_config(scratch_url)
    command.upgrade(cfg, "head")
    command.check(cfg)
    assert {"residents", "volunteers", "help_requests", "assignments", "api_tokens"} <= tables(
        scratch_url
    )

    command.downgrade(cfg, "base")
    assert tables(scratch_url) == set()

    command.upgrade(cfg, "head")
    command.check(cfg)
