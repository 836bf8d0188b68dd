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

# The browser tests (tests/e2e) drive Debian's Chromium through Playwright (which downloads no
# browser of its own); Japanese text needs the Noto CJK fonts to render in it.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed' || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: the browser tests need: apt-get install --no-install-recommends ${missing[*]} (as root)" >&2
  fi
fi
