"""Staff sign in with a name and password; the session cookie then says who they are."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask_limiter import Limiter
from werkzeug.exceptions import HTTPException

from access.models import User
from access.passwords import authenticate
from web import sessions
from web.database import get_session
from web.errors import SIGN_IN_STOPPED, too_many_page
from web.forms import SignInForm

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint("auth", __name__)

#: what the screens call each staff role
ROLE_NAMES = {"admin": "管理者", "coordinator": "生活支援コーディネーター"}


def limit_sign_ins(limiter: Limiter) -> None:
    """Count failed sign-ins per client address; past the limit, a 429 page in Japanese."""
    limiter.limit(
        lambda: current_app.config["SIGNIN_RATE_LIMIT"],
        methods=["POST"],
        # a sign-in that worked redirects (303) and is not counted against the address
        deduct_when=lambda response: response.status_code != 303,
    )(blp)


def _session_key(user: User) -> str:
    # ties the cookie to the password: a new password ends every other sign-in. The cookie is
    # signed but readable, so it holds a keyed digest of the hash, never the hash.
    return sessions.keyed_digest(user.password_hash or "")


def current_staff() -> User | None:
    """Return the signed-in staff user, or None."""
    if "staff" in g:
        staff: User | None = g.staff
        return staff
    staff = None
    user_id, key = cookie.get("staff_id"), cookie.get("staff_key")
    if isinstance(user_id, int) and isinstance(key, str) and sessions.staff_fresh():
        user = get_session().get(User, user_id)
        if (
            user is not None
            and user.password_hash is not None
            and hmac.compare_digest(_session_key(user), key)
        ):
            staff = user
    g.staff = staff
    return staff


def staff_required(*roles: str) -> Callable[[F], F]:
    """Let only signed-in staff with one of these roles in (an admin may do what an SC may);
    others go to the sign-in page and come back after."""
    allowed = set(roles or ROLE_NAMES)
    if "coordinator" in allowed:
        allowed.add("admin")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            staff = current_staff()
            if staff is None:
                return redirect(url_for("web.auth.login", next=request.full_path.rstrip("?")))
            if staff.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if target:
        parts = urlsplit(target)
        local = not parts.scheme and not parts.netloc and target.startswith("/")
        if local and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("web.home.index")


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        user = authenticate(get_session(), name=form.name.data, password=form.password.data)
        if user is not None:
            # a browser-session cookie (closing the browser of a shared PC signs out), and
            # over STAFF_SESSION_HOURS after signing in (web.sessions)
            sessions.begin(persistent=False)
            cookie["staff_id"] = user.id
            cookie["staff_key"] = _session_key(user)
            return redirect(_safe_next(request.args.get("next")), code=303)
        failed = True
    elif current_staff() is not None and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form, failed=failed)


@blp.errorhandler(429)
def _too_many(error: HTTPException) -> Response:
    return too_many_page(error, SIGN_IN_STOPPED)


@blp.post("/logout")
def logout() -> Response:
    cookie.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("web.auth.login"), code=303)
