"""The volunteer page (/me): a volunteer opens the one-time link their SC sent (or types their
token), sees the tasks proposed to them and accepted, accepts or declines, sees their points and
exchanges them for a voucher shown as a big code and a QR code.

A volunteer's session is its own kind, like a shop's: the cookie holds the volunteer and the
credential they came in with (a used link, or their API token), tied by a keyed digest, never a
staff user; signing in as a volunteer ends any other sign-in on that browser. A resident's
address, phone and notes appear only for a task the volunteer has accepted, and only on it.

Staff issue the links at /me/links/<volunteer_id> and read the address out or send it by SMS.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hmac
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import segno
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
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from wtforms import DateField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from access.models import ApiToken, VolunteerSignInLink
from access.sign_in_links import (
    DEFAULT_HOURS,
    ExpiredLink,
    UnknownLink,
    UsedLink,
    issue_link,
    use_link,
)
from access.tokens import hash_token
from db import Conflict, InvalidInput, NotFound, utcnow
from matching import blocks, dispatch, services
from matching import series as series_service
from matching.models import MAX_TASKS_PER_DAY, Assignment, Volunteer
from matching.redispatch import Cutoff
from points import balances, vouchers
from points.models import Transfer, Voucher
from points.rules import TOKYO
from web import series_text, sessions
from web.auth import current_staff, staff_required
from web.database import get_session
from web.dispatch_text import day_label, order_mark
from web.errors import SIGN_IN_STOPPED, too_many_page
from web.flags import ward_cutoff
from web.forms import CapacityForm, Form, max_length, required

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint("volunteer", __name__, url_prefix="/me")

#: history rows per page
HISTORY_PAGE_SIZE = 10
#: the vouchers listed on the page (newest first)
VOUCHERS_SHOWN = 20
#: amounts offered in the exchange form, at most this many
MAX_CHOICES = 20
#: what the page calls each kind of ledger transfer
KIND_NAMES = {
    "credit": "活動でもらったポイント",
    "exchange": "商品券に交換",
    "expiry": "有効期限切れ",
    "reversal": "訂正",
    "voucher_expiry": "商品券の期限切れ",
}
_SIGN_IN_ENDPOINTS = ("web.volunteer.sign_in", "web.volunteer.open_link")


class TokenSignInForm(Form):
    token = PasswordField(
        "ログイン用の番号",
        validators=[required("ログイン用の番号"), max_length(300)],
        render_kw={"autocomplete": "current-password", "spellcheck": "false"},
    )


class ExchangeForm(Form):
    points = SelectField("交換するポイント", coerce=int, validate_choice=True)
    #: fixed when the form is drawn: a double submit gives the same voucher
    key = HiddenField(validators=[required("交換の番号"), max_length(100)])


def limit_sign_ins(limiter: Limiter) -> None:
    """Count failed volunteer sign-ins per address, like the staff's: a link pressed and a token
    typed share one count (guessing either is guessing), whatever the link's address."""
    limiter.shared_limit(
        lambda: current_app.config["SIGNIN_RATE_LIMIT"],
        scope="volunteer-sign-in",
        methods=["POST"],
        exempt_when=lambda: request.endpoint not in _SIGN_IN_ENDPOINTS,
        deduct_when=lambda response: response.status_code != 303,
    )(blp)


def link_hours() -> float:
    """How long a new link works: VOLUNTEER_LINK_HOURS (app config, then environment), or 72."""
    configured = current_app.config.get("VOLUNTEER_LINK_HOURS")
    if configured is None:
        configured = os.environ.get("VOLUNTEER_LINK_HOURS") or DEFAULT_HOURS
    return float(configured)


def _now() -> dt.datetime:
    """The time of a sign-in or an exchange (tests move it)."""
    return utcnow()


@blp.after_request
def _private(response: Response) -> Response:
    # codes, addresses and link tokens: never kept by a shared browser's cache, and the link's
    # token (in the address) never sent on as a Referer
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- the volunteer's session ---------------------------------------------------------------


def _session_key(volunteer_id: int, via: str, credential_hash: str) -> str:
    # the cookie is signed but readable: it holds a keyed digest of the credential's hash
    return sessions.keyed_digest(f"volunteer:{volunteer_id}:{via}:{credential_hash}")


def _sign_in(volunteer_id: int, via: str, credential_hash: str) -> None:
    # a fresh cookie: a staff or shop sign-in on this browser ends here (session fixation too)
    sessions.begin(persistent=True)
    cookie["volunteer_id"] = volunteer_id
    cookie["volunteer_via"] = via
    cookie["volunteer_key"] = _session_key(volunteer_id, via, credential_hash)


def _credential_hash(volunteer_id: int, via: str) -> str | None:
    """The hash of the credential the cookie names, if it still lets this volunteer in."""
    kind, _, number = via.partition(":")
    if not number.isdigit():
        return None
    session = get_session()
    if kind == "link":
        link = session.get(VolunteerSignInLink, int(number))
        if link is not None and link.volunteer_id == volunteer_id and link.used_at is not None:
            return link.token_hash
    elif kind == "token":
        token = session.get(ApiToken, int(number))
        if (
            token is not None
            and token.role == "volunteer"
            and token.volunteer_id == volunteer_id
            and token.revoked_at is None
        ):
            return token.token_hash
    return None


def current_volunteer() -> Volunteer | None:
    """Return the volunteer signed in on this browser, or None."""
    if "volunteer" in g:
        found: Volunteer | None = g.volunteer
        return found
    found = None
    volunteer_id = cookie.get("volunteer_id")
    via, key = cookie.get("volunteer_via"), cookie.get("volunteer_key")
    if (
        isinstance(volunteer_id, int)
        and isinstance(via, str)
        and isinstance(key, str)
        and sessions.persistent_fresh("VOLUNTEER_SESSION_DAYS")
    ):
        credential = _credential_hash(volunteer_id, via)
        if credential is not None and hmac.compare_digest(
            _session_key(volunteer_id, via, credential), key
        ):
            volunteer = get_session().get(Volunteer, volunteer_id)
            if volunteer is not None and volunteer.status != "inactive":
                found = volunteer
    g.volunteer = found
    return found


def volunteer_required(view: F) -> F:
    """Let only a signed-in volunteer in; others go to the volunteer's sign-in page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_volunteer() is None:
            return redirect(url_for("web.volunteer.sign_in"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _me() -> Volunteer:
    volunteer = current_volunteer()
    if volunteer is None:  # pragma: no cover - volunteer_required let only a volunteer in
        abort(401)
    return volunteer


#: why a link did not sign anyone in, in plain words (headline, what to do)
LINK_REFUSALS: dict[type[Exception], tuple[str, str, int]] = {
    UsedLink: (
        "このリンクは、もう使われています",
        "リンクは1回だけ使えます。新しいリンクを、担当のコーディネーターにお願いしてください。",
        410,
    ),
    ExpiredLink: (
        "このリンクは、有効期限が過ぎています",
        "新しいリンクを、担当のコーディネーターにお願いしてください。",
        410,
    ),
    UnknownLink: (
        "このリンクは使えません",
        "リンクが途中で切れているかもしれません。届いたメッセージのリンクを、"
        "もう一度そのまま開いてください。",
        404,
    ),
}


@blp.route("/link/<token>", methods=["GET", "POST"])
def open_link(token: str) -> Any:
    """A link opened shows a button; only pressing it (a POST) uses the link, so a chat app's
    preview of the link does not use it up."""
    refusal: tuple[str, str] | None = None
    status = 200
    if request.method == "POST":
        try:
            link = use_link(get_session(), token=token, now=_now())
        except (UsedLink, ExpiredLink, UnknownLink) as error:
            headline, advice, status = LINK_REFUSALS[type(error)]
            refusal = (headline, advice)
        else:
            _sign_in(link.volunteer_id, f"link:{link.id}", link.token_hash)
            return redirect(url_for("web.volunteer.index"), code=303)
    body = render_template("volunteer_link.html", refusal=refusal)
    return Response(body, status=status)


def _token_from(text: str) -> str:
    """What was pasted: a token, or a whole sign-in link (its last part is the token)."""
    text = text.strip()
    if "/me/link/" in text:
        text = text.rsplit("/me/link/", 1)[1].split("?", 1)[0].split("#", 1)[0].strip("/")
    return text


def _volunteer_token(token: str) -> ApiToken | None:
    presented = hash_token(token)
    found = get_session().scalar(
        select(ApiToken).where(
            ApiToken.token_hash == presented,
            ApiToken.role == "volunteer",
            ApiToken.revoked_at.is_(None),
        )
    )
    if found is not None and hmac.compare_digest(found.token_hash, presented):
        return found
    return None


@blp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """A volunteer types (or pastes) their token, or the link's text, instead of opening it."""
    form = TokenSignInForm()
    failed = False
    if form.validate_on_submit():
        token = _token_from(form.token.data)
        api_token = _volunteer_token(token)
        if api_token is not None and api_token.volunteer_id is not None:
            _sign_in(api_token.volunteer_id, f"token:{api_token.id}", api_token.token_hash)
            return redirect(url_for("web.volunteer.index"), code=303)
        try:
            link = use_link(get_session(), token=token, now=_now())
        except (UsedLink, ExpiredLink, UnknownLink):
            failed = True
        else:
            _sign_in(link.volunteer_id, f"link:{link.id}", link.token_hash)
            return redirect(url_for("web.volunteer.index"), code=303)
    elif current_volunteer() is not None and request.method == "GET":
        return redirect(url_for("web.volunteer.index"))
    body = render_template("volunteer_sign_in.html", form=form, failed=failed)
    return Response(body, status=401 if failed else 200)


@blp.errorhandler(429)
def _too_many(error: HTTPException) -> Response:
    return too_many_page(error, SIGN_IN_STOPPED)


@blp.post("/sign-out")
def sign_out() -> Response:
    cookie.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("web.volunteer.sign_in"), code=303)


# --- the page: tasks, points, vouchers -----------------------------------------------------


def clock(moment: dt.datetime) -> str:
    """「7:59」 in Tokyo time."""
    local = moment.astimezone(TOKYO)
    return f"{local.hour}:{local:%M}"


def day_and_time(moment: dt.datetime) -> str:
    """「12月1日（火）7:00」 in Tokyo time."""
    return day_label(moment.astimezone(TOKYO).date()) + clock(moment)


def window_text(start: dt.datetime, end: dt.datetime) -> str:
    """「12月1日（火）7:00〜8:30」 (the end's day too when it is another day)."""
    same_day = end.astimezone(TOKYO).date() == start.astimezone(TOKYO).date()
    return f"{day_and_time(start)}〜{clock(end) if same_day else day_and_time(end)}"


def date_text(moment: dt.datetime) -> str:
    """「2027年2月27日」 in Tokyo time."""
    local = moment.astimezone(TOKYO)
    return f"{local.year}年{local.month}月{local.day}日"


@dataclass(frozen=True)
class Task:
    """One task as the volunteer sees it; the resident's details only once accepted."""

    assignment_id: int
    accepted: bool
    category: str
    when: str
    zone: str
    address: str | None = None
    resident_name: str | None = None
    phone: str | None = None
    notes: tuple[str, ...] = ()
    #: a proposal's answer-by time (the ward's cut-off), 「11月30日（月）18:00」
    answer_by: str | None = None
    #: when the round plans the task to start, in Tokyo time: 「7:59」 (None: no run planned it)
    planned: str | None = None
    #: its place in the day's round, ①②③ (only inside a Round)
    order: str | None = None
    #: the window without its day, 「7:00〜8:30」, shown under the round's day
    hours: str | None = None
    #: the page's loop draws a Task or a Round: it asks which
    is_round = False


def _task(assignment: Assignment, cutoff: Cutoff | None = None) -> Task:
    request_ = assignment.help_request
    resident = request_.resident
    shown = Task(
        assignment_id=assignment.id,
        accepted=assignment.status == "accepted",
        category=request_.category.label_ja,
        when=window_text(request_.window_start, request_.window_end),
        zone=resident.zone,
    )
    if not shown.accepted:
        if cutoff is None:
            return shown
        answer_by = cutoff.answer_by(
            window_start=request_.window_start, proposed_at=assignment.created_at
        )
        return dataclasses.replace(shown, answer_by=day_and_time(answer_by))
    return dataclasses.replace(
        shown,
        address=resident.address,
        resident_name=resident.name,
        phone=resident.phone,
        notes=tuple(n for n in (request_.notes, resident.notes) if n),
    )


def held_assignments(volunteer_id: int) -> list[Assignment]:
    """The assignments proposed to a volunteer and those they accepted, soonest first."""
    session = get_session()
    found: list[Assignment] = []
    for status in ("proposed", "accepted"):
        query = dispatch.assignment_query(volunteer_id=volunteer_id, status=status)
        found.extend(session.scalars(query).all())
    found.sort(key=lambda a: (a.help_request.window_start, a.id))
    return found


def tasks_of(volunteer_id: int) -> list[Task]:
    """The tasks proposed to a volunteer and those they accepted, soonest first."""
    cutoff = ward_cutoff()
    return [_task(a, cutoff) for a in held_assignments(volunteer_id)]


@dataclass(frozen=True)
class Round:
    """The tasks of one Tokyo day that match runs planned as a round, in the order to walk."""

    day: str
    tasks: tuple[Task, ...]
    is_round = True


def _planned_key(assignment: Assignment) -> tuple[dt.datetime, int, int]:
    assert assignment.planned_start is not None  # noqa: S101 - only planned ones are keyed
    return (assignment.planned_start, assignment.round_order or 0, assignment.id)


def schedule_of(assignments: list[Assignment], cutoff: Cutoff | None) -> list[Task | Round]:
    """The page's list: a day with two or more planned tasks is one Round, walked in planned
    order (planned start, then round order) and marked ①②③; the day is the planned start's
    Tokyo day. A task no run planned shows as before; a lone planned one shows its time too.
    Soonest first (a round at its first planned start)."""
    by_day: dict[dt.date, list[Assignment]] = {}
    for a in assignments:
        if a.planned_start is not None:
            by_day.setdefault(a.planned_start.astimezone(TOKYO).date(), []).append(a)
    items: list[tuple[tuple[dt.datetime, int], Task | Round]] = []
    for a in assignments:
        if a.planned_start is None:
            items.append(((a.help_request.window_start, a.id), _task(a, cutoff)))
    for day, planned in by_day.items():
        planned.sort(key=_planned_key)
        first = planned[0]
        assert first.planned_start is not None  # noqa: S101 - grouped by it
        if len(planned) == 1:
            shown = dataclasses.replace(_task(first, cutoff), planned=clock(first.planned_start))
            items.append(((first.planned_start, first.id), shown))
            continue
        tasks = []
        for place, a in enumerate(planned, start=1):
            assert a.planned_start is not None  # noqa: S101 - grouped by it
            request_ = a.help_request
            start, end = request_.window_start, request_.window_end
            same_day = start.astimezone(TOKYO).date() == day == end.astimezone(TOKYO).date()
            tasks.append(
                dataclasses.replace(
                    _task(a, cutoff),
                    planned=clock(a.planned_start),
                    order=order_mark(place),
                    hours=f"{clock(start)}〜{clock(end)}" if same_day else None,
                )
            )
        items.append(((first.planned_start, first.id), Round(day_label(day), tuple(tasks))))
    items.sort(key=lambda item: item[0])
    return [shown for _, shown in items]


@dataclass(frozen=True)
class VoucherRow:
    id: int
    value_yen: int
    tail: str
    state: str
    usable: bool
    until: str


def voucher_state(voucher: Voucher, now: dt.datetime) -> tuple[str, bool]:
    """What a voucher is now, in words, and whether it can still be used."""
    if voucher.status == "redeemed":
        return "使用済み", False
    if voucher.status == "expired" or voucher.expires_at <= now:
        return "期限切れ", False
    return "使えます", True


def vouchers_of(volunteer_id: int, now: dt.datetime) -> list[VoucherRow]:
    rows = get_session().scalars(
        select(Voucher)
        .where(Voucher.volunteer_id == volunteer_id)
        .order_by(Voucher.id.desc())
        .limit(VOUCHERS_SHOWN)
    )
    listed = []
    for voucher in rows:
        state, usable = voucher_state(voucher, now)
        listed.append(
            VoucherRow(
                voucher.id,
                voucher.value_yen,
                voucher.code_tail,
                state,
                usable,
                date_text(voucher.expires_at),
            )
        )
    return listed


def _choices(summary: balances.PointsSummary) -> list[tuple[int, str]]:
    unit = summary.voucher_unit
    most = min(summary.exchangeable // unit, MAX_CHOICES)
    return [(n * unit, f"{n * unit:,} ポイント") for n in range(1, most + 1)]


def _exchange_form(summary: balances.PointsSummary, *, fresh: bool) -> ExchangeForm:
    form = ExchangeForm(formdata=None) if fresh else ExchangeForm()
    form.points.choices = _choices(summary)
    if fresh:
        form.key.data = f"web-{uuid.uuid4().hex}"
    return form


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


def standing_of(volunteer_id: int) -> list[dict[str, str]]:
    """The series this volunteer stands for, as the page says them: the weekdays, the time, the
    category and the 地区 only (no name or address, as with a task not yet accepted)."""
    found = series_service.list_series(
        get_session(), standing_volunteer_id=volunteer_id, include_ended=False
    )
    return [
        {
            key: value
            for key, value in series_text.summary(s).items()
            if key in ("rule", "hours", "category", "zone", "status", "status_label")
        }
        for s in found
    ]


def _render_home(
    volunteer: Volunteer,
    form: ExchangeForm | None,
    status: int = 200,
    capacity_form: CapacityForm | None = None,
) -> Response:
    session = get_session()
    now = _now()
    summary = balances.summary(session, volunteer_id=volunteer.id, now=now)
    if form is None:
        form = _exchange_form(summary, fresh=True)
    page = balances.history(
        session, volunteer_id=volunteer.id, page=_page_number(), page_size=HISTORY_PAGE_SIZE
    )
    history = [
        {
            "when": day_and_time(item.created_at),
            "kind": KIND_NAMES.get(item.kind, item.kind),
            "what_for": item.what_for,
            "amount": item.amount,
            "balance_after": item.balance_after,
        }
        for item in page["items"]
    ]
    body = render_template(
        "volunteer_home.html",
        volunteer=volunteer,
        schedule=schedule_of(held_assignments(volunteer.id), ward_cutoff()),
        capacity_form=capacity_form or CapacityForm.showing(volunteer.max_tasks_per_day),
        max_tasks=MAX_TASKS_PER_DAY,
        standing=standing_of(volunteer.id),
        summary=summary,
        history=history,
        page=page,
        form=form,
        vouchers=vouchers_of(volunteer.id, now),
    )
    return Response(body, status=status)


@blp.get("/")
@volunteer_required
def index() -> Response:
    return _render_home(_me(), None)


def capacity_message(volunteer_id: int, count: int, today: dt.date) -> str:
    """What saving the number says: the new number, and the days from today on that already
    hold more (their tasks stay; no new one is proposed for them)."""
    held = dispatch.held_per_day(get_session(), volunteer_id=volunteer_id, since=today)
    said = f"1日に引き受けられる数を「{count}件まで」にしました。"
    over = sorted(day for day, n in held.items() if n > count)
    if over:
        days = "、".join(f"{day_label(day)}（{held[day]}件）" for day in over)
        said += (
            f"{days}は、もう{count}件より多く届いています。"
            "届いているお願いと引き受けたお手伝いはそのままです。その日に新しいお願いは届きません。"
        )
    return said


@blp.post("/capacity")
@volunteer_required
def capacity() -> Response:
    """The volunteer changes how many tasks they take on one day (1 to 5)."""
    volunteer = _me()
    form = CapacityForm()
    if not form.validate():
        return _render_home(volunteer, None, status=422, capacity_form=form)
    services.update_volunteer(
        get_session(), volunteer_id=volunteer.id, changes={"max_tasks_per_day": form.count()}
    )
    today = _now().astimezone(TOKYO).date()
    flash(capacity_message(volunteer.id, form.count(), today), "info")
    return redirect(url_for("web.volunteer.index", _anchor="me-capacity"), code=303)


@blp.post("/tasks/<int:assignment_id>/accept")
@volunteer_required
def accept(assignment_id: int) -> Response:
    volunteer = _me()
    try:
        dispatch.accept(
            get_session(), assignment_id=assignment_id, volunteer_id=volunteer.id, now=_now()
        )
    except Conflict:
        flash("この依頼は、もう引き受けられません（取り消されたか、変更されました）。", "error")
        return redirect(url_for("web.volunteer.index"), code=303)
    flash("引き受けました。住所と時間を確かめてください。", "info")
    return redirect(url_for("web.volunteer.index", _anchor=f"task-{assignment_id}"), code=303)


def _own_task(volunteer: Volunteer, assignment_id: int) -> Assignment:
    assignment = dispatch.get_assignment(get_session(), assignment_id=assignment_id)
    if assignment.volunteer_id != volunteer.id:
        raise NotFound(f"Assignment {assignment_id} not found.")
    return assignment


@blp.route("/tasks/<int:assignment_id>/decline", methods=["GET", "POST"])
@volunteer_required
def decline(assignment_id: int) -> Any:
    """Ask once more before declining (a finger slips); the POST declines."""
    volunteer = _me()
    assignment = _own_task(volunteer, assignment_id)
    if request.method == "GET":
        if assignment.status not in ("proposed", "accepted"):
            return redirect(url_for("web.volunteer.index"))
        return render_template(
            "volunteer_decline.html", volunteer=volunteer, task=_task(assignment)
        )
    try:
        dispatch.decline(
            get_session(), assignment_id=assignment_id, volunteer_id=volunteer.id, now=_now()
        )
    except Conflict:
        flash("この依頼は、もう変更されています。", "error")
        return redirect(url_for("web.volunteer.index"), code=303)
    flash("お断りしました。コーディネーターに伝わります。", "info")
    return redirect(url_for("web.volunteer.index"), code=303)


#: why an exchange was refused, in plain words, by the service's error
def _exchange_refusal(error: Exception, summary: balances.PointsSummary) -> str:
    if summary.status == "trial":
        return "おためし中は交換できません。登録が済むと交換できます。"
    if isinstance(error, InvalidInput):
        return f"{summary.voucher_unit:,} ポイント単位で選んでください。"
    return (
        f"いま交換できるのは {summary.exchangeable:,} ポイントまでです。"
        "ページを読み込み直して、もう一度お試しください。"
    )


@blp.post("/vouchers")
@volunteer_required
def exchange() -> Response:
    volunteer = _me()
    session = get_session()
    now = _now()
    summary = balances.summary(session, volunteer_id=volunteer.id, now=now)
    form = _exchange_form(summary, fresh=False)
    # a double submit of the same form: the first voucher again, even if the points are spent
    form.points.choices = [*form.points.choices, *_resubmitted(form, volunteer.id)]
    if not form.validate_on_submit():
        if not form.key.data:
            form.key.data = f"web-{uuid.uuid4().hex}"
        return _render_home(volunteer, form, status=422)
    try:
        issued = vouchers.exchange(
            session,
            volunteer_id=volunteer.id,
            points=form.points.data,
            idempotency_key=form.key.data,
            secret=current_app.config["SECRET_KEY"],
            now=now,
            created_by=f"volunteer:{volunteer.id}",
        )
    except (Conflict, InvalidInput) as error:
        form.points.errors = [_exchange_refusal(error, summary)]
        return _render_home(volunteer, form, status=409 if isinstance(error, Conflict) else 422)
    return redirect(url_for("web.volunteer.voucher", voucher_id=issued.id), code=303)


def _resubmitted(form: ExchangeForm, volunteer_id: int) -> list[tuple[int, str]]:
    """The amount of an exchange already made with this form's key, as a valid choice."""
    raw = form.points.raw_data[0] if form.points.raw_data else ""
    if not form.key.data or not raw.isdigit() or int(raw) in dict(form.points.choices):
        return []
    done = get_session().scalar(
        select(Voucher.points)
        .join(Transfer, Transfer.voucher_id == Voucher.id)
        .where(Transfer.volunteer_id == volunteer_id, Transfer.idempotency_key == form.key.data)
    )
    return [(done, f"{done:,} ポイント")] if done == int(raw) else []


def qr_svg(text: str) -> str:
    """The QR code of a text as inline SVG (black on white, scalable by CSS)."""
    qr = segno.make(text, error="m")
    svg: str = qr.svg_inline(
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        omitsize=True,
        svgclass="voucher__qr-svg",
        lineclass=None,
    )
    return svg


@blp.get("/vouchers/<int:voucher_id>")
@volunteer_required
def voucher(voucher_id: int) -> Response:
    """One voucher: its code very large, a QR code of it, its value and until when."""
    volunteer = _me()
    found = get_session().get(Voucher, voucher_id)
    if found is None or found.volunteer_id != volunteer.id:
        raise NotFound(f"Voucher {voucher_id} not found.")
    code = vouchers.voucher_code(found, secret=current_app.config["SECRET_KEY"])
    state, usable = voucher_state(found, _now())
    body = render_template(
        "volunteer_voucher.html",
        volunteer=volunteer,
        voucher=found,
        groups=code.split("-"),
        code=code,
        qr=qr_svg(code) if usable else None,
        state=state,
        usable=usable,
        until=date_text(found.expires_at),
    )
    return Response(body)


# --- staff: issue a link ---------------------------------------------------------------------


@blp.route("/links/<int:volunteer_id>", methods=["GET", "POST"])
@staff_required()
def issue(volunteer_id: int) -> Any:
    """An SC makes a one-time link for a volunteer and reads it out or sends it by SMS."""
    staff = current_staff()
    assert staff is not None  # noqa: S101 - staff_required let only staff in
    session = get_session()
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(f"Volunteer {volunteer_id} not found.")
    issued = None
    if request.method == "POST" and volunteer.status != "inactive":
        made = issue_link(
            session, volunteer_id=volunteer.id, by_user_id=staff.id, now=_now(), hours=link_hours()
        )
        issued = {
            "url": url_for("web.volunteer.open_link", token=made.token, _external=True),
            "until": day_and_time(made.expires_at),
        }
    return render_template(
        "volunteer_issue_link.html",
        staff=staff,
        volunteer=volunteer,
        issued=issued,
        hours=f"{link_hours():g}",
    )


class BlockForm(Form):
    first_day = DateField("行けない最初の日", validators=[InputRequired("日付を選んでください。")])
    last_day = DateField(
        "最後の日（1日だけなら空のまま）", validators=[Optional()], render_kw={"required": False}
    )
    note = StringField("メモ（旅行、入院など）", validators=[Optional(), max_length(200)])


def _render_blocks(volunteer: Volunteer, form: BlockForm, status: int = 200) -> Response:
    today = dt.datetime.now(TOKYO).date()
    rows = blocks.list_blocks(get_session(), volunteer_id=volunteer.id, since=today)
    body = render_template(
        "volunteer_blocks.html",
        volunteer=volunteer,
        form=form,
        blocks=[
            {
                "id": b.id,
                "days": _days_text(b.first_day, b.last_day),
                "note": b.note,
            }
            for b in rows
        ],
    )
    return Response(body, status=status)


def _days_text(first: dt.date, last: dt.date) -> str:
    return day_label(first) if first == last else f"{day_label(first)}〜{day_label(last)}"


@blp.route("/blocks", methods=["GET", "POST"])
@volunteer_required
def date_blocks() -> Response:
    """The days a volunteer cannot help: no task is proposed to them then."""
    volunteer = _me()
    form = BlockForm()
    if request.method == "GET":
        return _render_blocks(volunteer, form)
    if not form.validate():
        return _render_blocks(volunteer, form, status=422)
    try:
        blocks.add_block(
            get_session(),
            volunteer_id=volunteer.id,
            first_day=form.first_day.data,
            last_day=form.last_day.data,
            note=form.note.data,
        )
    except InvalidInput:
        form.last_day.errors = ["最初の日より後の日を選んでください（1年以内）。"]
        return _render_blocks(volunteer, form, status=422)
    flash("行けない日を登録しました。この日にはお願いが届きません。", "info")
    return redirect(url_for("web.volunteer.date_blocks"), code=303)


@blp.post("/blocks/<int:block_id>/remove")
@volunteer_required
def remove_date_block(block_id: int) -> Response:
    blocks.remove_block(get_session(), volunteer_id=_me().id, block_id=block_id)
    flash("取り消しました。この日にもお願いが届くようになります。", "info")
    return redirect(url_for("web.volunteer.date_blocks"), code=303)
