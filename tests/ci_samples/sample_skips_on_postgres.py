"""A postgres_only test that skips: on the PostgreSQL run that is a failure."""

import pytest


@pytest.mark.postgres_only
def test_skips_everywhere():
    pytest.skip("pretends PostgreSQL is missing")
