"""The screens: Japanese pages rendered on the server, a second face over the same services.

`init_app(app)` adds them to an app that already has the database
(`app.extensions["sasaeai.sessionmaker"]`) and the rate limiter (`["sasaeai.limiter"]`);
`sasaeai_app.create_app()` does both. Every page hangs under the `web` blueprint, which gives
them one request session, CSRF checks on every form, and error pages in Japanese.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, request, url_for
from flask_wtf.csrf import CSRFProtect

from web import (
    auth,
    database,
    dispatch,
    errors,
    flags,
    followups,
    home,
    outbox,
    people,
    series,
    sessions,
    settings,
    shop,
    trial,
    volunteer,
    zonemap,
)

csrf = CSRFProtect()

#: the parent of every screen's blueprint; its assets are served under /assets
screens = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)


@screens.before_request
def _check_csrf() -> None:
    # every POST, PUT, PATCH or DELETE under the screens carries the form's token; the JSON API
    # (bearer tokens, no cookies) is outside this blueprint and is not asked for one
    csrf.protect()


@screens.app_context_processor
def _home() -> dict[str, str]:
    return {"home_url": home_url()}


def home_url() -> str:
    """Where the site's name and an error page lead: the home of whoever is looking (a shop's
    counter, a volunteer's page, the public signup form), not the staff pages' sign-in."""
    section = (request.blueprint or "").rsplit(".", 1)[-1]
    path = request.path
    if section == "shop":
        return url_for("web.shop.counter")
    if section == "volunteer" and not path.startswith("/me/links/"):
        return url_for("web.volunteer.index")
    if section == "trial":
        return url_for("web.trial.signup")
    return url_for("web.home.index")


database.register(screens)
errors.register(screens)
screens.register_blueprint(auth.blp)
screens.register_blueprint(home.blp)
screens.register_blueprint(shop.blp)
screens.register_blueprint(trial.blp)
screens.register_blueprint(people.blp)
screens.register_blueprint(dispatch.blp)
screens.register_blueprint(zonemap.blp)
screens.register_blueprint(volunteer.blp)
screens.register_blueprint(settings.blp)
screens.register_blueprint(followups.blp)
screens.register_blueprint(series.blp)
screens.register_blueprint(flags.blp)
screens.register_blueprint(outbox.blp)


def init_app(app: Flask) -> None:
    """Register the screens, their cookie settings, CSRF protection and sign-in rate limit."""
    config = app.config
    if config.get("SESSION_COOKIE_SECURE") is None:
        # Secure behind TLS; a developer's http://127.0.0.1 in debug or tests does without
        config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
    config["SESSION_COOKIE_HTTPONLY"] = True
    if config.get("SESSION_COOKIE_SAMESITE") is None:
        config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # staff: a working day; volunteers and shops: weeks on their own devices
    sessions.configure(app)
    # failed sign-ins per client address (successes are not counted)
    config.setdefault(
        "SIGNIN_RATE_LIMIT", os.environ.get("SIGNIN_RATE_LIMIT", "5 per minute;20 per hour")
    )
    # checked by the screens' blueprint itself (above), not app-wide: the API is not a form
    config["WTF_CSRF_CHECK_DEFAULT"] = False
    # a form left open all morning still posts: the token lives as long as the session
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # the ward whose 町丁目 the おためし form offers
    config.setdefault("WARD", os.environ.get("WARD", "世田谷区"))
    trial.check_ward(config["WARD"])
    csrf.init_app(app)
    auth.limit_sign_ins(app.extensions["sasaeai.limiter"])
    shop.limit_sign_ins(app.extensions["sasaeai.limiter"])
    trial.limit_signups(app.extensions["sasaeai.limiter"])
    volunteer.limit_sign_ins(app.extensions["sasaeai.limiter"])
    app.register_blueprint(screens)
