"""地域貢献ポイント: the points ledger, vouchers and partner-shop redemptions."""
