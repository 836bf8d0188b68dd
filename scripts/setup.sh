#!/usr/bin/env bash
# Create .venv (once) and install sasaeai with its test tools into it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
# pip's notes on this machine's optional local mirrors are noise; keep them for a failure
if ! .venv/bin/python -m pip install -q -e '.[test]' 2>.venv/pip-install.log; then
  cat .venv/pip-install.log >&2
  exit 1
fi
