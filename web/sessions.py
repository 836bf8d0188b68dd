"""The one signed cookie, shared by three kinds of sign-in that should last differently.

Staff sign in on shared ward PCs: a browser-session cookie, over STAFF_SESSION_HOURS after
signing in (default 10: a working day). A volunteer signs in on their own phone from a one-time
link they cannot easily get again, and a shop on its counter's PC "once": their cookies persist
(closing the browser keeps them) and last VOLUNTEER_SESSION_DAYS / SHOP_SESSION_DAYS (default 30)
after the last visit. Flask signs every cookie with one lifetime (PERMANENT_SESSION_LIFETIME), so
that is set to the longest, and each kind checks its own age from the time it was begun.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import time

from flask import Flask, current_app
from flask import session as cookie

_SINCE = "signed_in_at"
_SEEN = "seen_at"


def now() -> float:
    """Seconds since the epoch (tests move it)."""
    return time.time()


def configure(app: Flask) -> None:
    """Read the three lifetimes (app config, else the environment, else the defaults)."""
    config = app.config
    for name, default in (
        ("STAFF_SESSION_HOURS", "10"),
        ("VOLUNTEER_SESSION_DAYS", "30"),
        ("SHOP_SESSION_DAYS", "30"),
    ):
        value = float(config.get(name) or os.environ.get(name) or default)
        if not 0 < value <= 366 * 24:
            raise ValueError(f"{name} must be a positive number of hours or days, not {value}")
        config[name] = value
    hours = config["STAFF_SESSION_HOURS"]
    volunteer_days, shop_days = config["VOLUNTEER_SESSION_DAYS"], config["SHOP_SESSION_DAYS"]
    config["PERMANENT_SESSION_LIFETIME"] = max(
        dt.timedelta(hours=hours), dt.timedelta(days=volunteer_days), dt.timedelta(days=shop_days)
    )


def keyed_digest(text: str) -> str:
    """A keyed digest (HMAC-SHA256 with SECRET_KEY) of a credential's hash, for the cookie: it
    is signed but readable, so it never holds the hash itself."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def begin(*, persistent: bool) -> None:
    """A fresh cookie for a new sign-in: nothing from before carries over (session fixation)."""
    cookie.clear()
    cookie.permanent = persistent
    cookie[_SINCE] = cookie[_SEEN] = int(now())


def _age(key: str) -> float | None:
    stamp = cookie.get(key)
    if not isinstance(stamp, int):
        return None
    return now() - stamp


def staff_fresh() -> bool:
    """True while a staff sign-in is younger than STAFF_SESSION_HOURS."""
    age = _age(_SINCE)
    limit = float(current_app.config["STAFF_SESSION_HOURS"]) * 3600
    return age is not None and 0 <= age < limit


def persistent_fresh(setting: str) -> bool:
    """True while a volunteer's or shop's sign-in was last seen within its days; seeing it now
    starts them again (at most once an hour, so not every page rewrites the cookie)."""
    age = _age(_SEEN)
    limit = float(current_app.config[setting]) * 86400
    if age is None or not 0 <= age < limit:
        return False
    if age >= 3600:
        cookie[_SEEN] = int(now())
    return True
