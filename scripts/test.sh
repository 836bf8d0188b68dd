#!/usr/bin/env bash
# Install everything, check style and layout, run the whole suite on SQLite, then again on a
# throw-away PostgreSQL that this script starts (and stops on exit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== lint, format, types, import contracts"
ruff check .
ruff format --check .
mypy
lint-imports

bash scripts/run-suites.sh "$@"

if [ -f ../shared/contract/smoke.py ]; then
  echo "== the clients' contract smoke test"
  python ../shared/contract/smoke.py foundation dispatch points
fi
