"""Command-line tasks of the points ledger (expiry from cron, the invariant check)."""

from __future__ import annotations

from flask.cli import AppGroup

points_cli = AppGroup("points", help="地域貢献ポイント: expiry, invariant checks, rules.")
