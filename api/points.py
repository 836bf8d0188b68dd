"""地域貢献ポイント: balances, history and voucher exchange."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("points", __name__, description="地域貢献ポイント and vouchers")
