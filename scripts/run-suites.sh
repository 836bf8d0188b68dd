#!/usr/bin/env bash
# Run pytest on SQLite, then on a throw-away PostgreSQL that this script starts (and stops on exit).
# Arguments go to both pytest runs. Any failure in either run fails this script: a test that fails
# only on PostgreSQL, or a postgres_only test that skips there, makes it exit non-zero
# (tests/test_ci.py proves it).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
WORKERS=${PYTEST_WORKERS:-2}

echo "== tests on SQLite"
unset TEST_DATABASE_URL
"$PYTHON" -m pytest -q -n "$WORKERS" "$@"

echo "== tests on PostgreSQL"
# shellcheck source=scripts/start-postgres.sh
source scripts/start-postgres.sh
TEST_DATABASE_URL="$DATABASE_URL_PG" "$PYTHON" -m pytest -q -n "$WORKERS" "$@"
echo "== both databases passed"
