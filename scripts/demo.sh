#!/usr/bin/env bash
# Run sasaeai on SQLite with real-looking demo data (a Tokyo ward) and print where to open it.
#   WARD=北区 PORT=5001 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
# the ward seeded here is the one the screens offer (its 町丁目, its map)
export WARD=${WARD:-世田谷区}
PORT=${PORT:-5000}
mkdir -p instance
export DATABASE_URL=${DATABASE_URL:-"sqlite:///$PWD/instance/demo.db"}
rm -f instance/demo.db instance/demo.db-wal instance/demo.db-shm
alembic upgrade head >/dev/null 2>&1
# the demo SC signs in to the screens with a password made here (given in the environment, not as
# an argument); plain http on 127.0.0.1, so the session cookie goes without the Secure flag
SC_PASSWORD=$(python -c 'import secrets; print(secrets.token_urlsafe(12))')
ADMIN_PASSWORD=$(python -c 'import secrets; print(secrets.token_urlsafe(12))')
export SESSION_COOKIE_SECURE=0
ADMIN=$(SASAEAI_PASSWORD="$ADMIN_PASSWORD" flask --app wsgi users create demo-admin --role admin | tail -n 1)
SC=$(SASAEAI_PASSWORD="$SC_PASSWORD" flask --app wsgi users create demo-sc --role coordinator | tail -n 1)
flask --app wsgi demo seed --ward "$WARD"
cat <<MSG

sasaeai is running on SQLite ($DATABASE_URL) with demo data for $WARD.
  Dispatch screen (SC):   http://127.0.0.1:$PORT/dispatch/   name: demo-sc   password: $SC_PASSWORD
  Ward settings (admin):  http://127.0.0.1:$PORT/settings/   name: demo-admin   password: $ADMIN_PASSWORD
  おためし signup (public): http://127.0.0.1:$PORT/trial
  Shop counter:           http://127.0.0.1:$PORT/shop/   (a shop's key: register a shop in the settings)
  API docs (try it out):  http://127.0.0.1:$PORT/docs
  OpenAPI:                http://127.0.0.1:$PORT/openapi.json
  coordinator token:      $SC
  admin token:            $ADMIN
  e.g. curl -H "Authorization: Bearer $SC" "http://127.0.0.1:$PORT/api/v1/help-requests?status=open&page_size=5"
Stop with Ctrl-C.
MSG
exec gunicorn --workers 2 --bind "127.0.0.1:$PORT" --access-logfile - wsgi:app
