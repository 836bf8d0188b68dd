"""Passes on both databases, and proves each run used the database it was given."""

import os


def test_runs_on_the_database_it_was_told(engine):
    expected = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    assert engine.dialect.name == expected
