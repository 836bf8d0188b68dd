"""Passes on SQLite, fails on PostgreSQL: the script running both must fail."""


def test_passes_only_on_sqlite(engine):
    assert engine.dialect.name == "sqlite"
