"""Partner shops (協力店): registration, voucher redemption and the monthly settlement."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("shops", __name__, description="Partner shops, redemptions and settlement")
