"""送れなかったお知らせ (/outbox): the messages of the outbox a person must look at — failed,
stuck while sending, or waiting far too long because `notify send` is not running — and what
the SC or an admin does about each: send it again, mark it as sent (it went, or she phoned), or
give it up. Staff only; the same services as notify.review."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from db import Conflict, NotFound, utcnow
from notify import review
from notify.models import Notification
from web import dispatch_text
from web.auth import current_staff, staff_required
from web.database import get_session

blp = Blueprint("outbox", __name__)

#: what each kind of message is, as the SC calls it
KINDS = {
    "task_proposed": "お手伝いの提案",
    "task_cancelled": "取り消しのお知らせ",
    "reminder": "前日のお知らせ",
    "trial_thanks": "おためしのお礼",
}

#: what went wrong, as a card's heading says it
REASONS = {
    "failed": "送れませんでした",
    "stuck": "送信中のまま止まっています",
    "overdue": "送信待ちのままです",
}


@dataclass(frozen=True)
class Action:
    """A button on a card: its confirmation page and what it says once done."""

    title: str
    explain: dict[str, str]
    done: str


ACTIONS = {
    "retry": Action(
        title="もう一度送る",
        explain={
            "failed": "このお知らせを、もう一度メールで送ります（数分のうちに送られます）。",
            "stuck": (
                "このお知らせは送信の途中で止まりました。相手に届いているかもしれません。"
                "もう一度送ると、同じお知らせが2通届くことがあります。"
                "届いていないことを電話などで確かめてから送ってください。"
            ),
        },
        done="もう一度送ります。数分のうちに送られます。",
    ),
    "sent": Action(
        title="送ったことにする",
        explain={
            reason: (
                "このお知らせを「送った」ことにして、一覧から消します。このあと自動では送りません。"
                "相手に届いていると確かめたとき、または電話で内容を伝えたときに使ってください。"
            )
            for reason in review.REASONS
        },
        done="送ったことにしました。",
    ),
    "give-up": Action(
        title="送らないことにする",
        explain={
            reason: (
                "このお知らせは送らずに、一覧から消します。"
                "終わった活動のお知らせなど、もう必要のないものに使ってください。"
            )
            for reason in review.REASONS
        },
        done="このお知らせは送らないことにしました。",
    ),
}

_SERVICES = {
    "retry": review.retry,
    "sent": review.mark_sent_by_hand,
    "give-up": review.give_up,
}


def _when(moment: dt.datetime | None) -> str:
    return dispatch_text.when(moment) if moment else "—"


def _card(trouble: review.Trouble) -> dict[str, Any]:
    n = trouble.notification
    return {
        "id": n.id,
        "reason": trouble.reason,
        "reason_ja": REASONS[trouble.reason],
        "kind": KINDS.get(n.kind, n.kind),
        "subject": n.subject,
        "recipient": n.recipient,
        "volunteer": trouble.volunteer,
        "attempts": n.attempts,
        "last_error": n.last_error,
        "created": _when(n.created_at),
        "claimed": _when(n.claimed_at),
        "due": _when(n.next_attempt_at),
        # a failed one may simply be sent again; a stuck one may have gone: ask first
        "retry": {"failed": "post", "stuck": "confirm"}.get(trouble.reason),
    }


@blp.get("/outbox")
@staff_required("coordinator")
def index() -> Any:
    """The summary, then one card per message: failed, stuck, overdue; oldest first."""
    found = review.troubles(get_session(), now=utcnow())
    return render_template(
        "outbox_list.html",
        staff=current_staff(),
        counts=found.counts,
        total=found.total,
        cards=[_card(t) for t in found.items],
    )


def _trouble(notification_id: int) -> review.Trouble | None:
    for trouble in review.troubles(get_session(), now=utcnow()).items:
        if trouble.notification.id == notification_id:
            return trouble
    return None


@blp.route(
    "/outbox/<int:notification_id>/<any(retry, sent, 'give-up'):action>", methods=["GET", "POST"]
)
@staff_required("coordinator")
def act(notification_id: int, action: str) -> Any:
    """GET: the confirmation page; POST: do it. A second press (or another SC's) that finds the
    message already handled says so instead of doing it twice."""
    if request.method == "POST":
        staff = current_staff()
        try:
            _SERVICES[action](
                get_session(),
                notification_id=notification_id,
                by_user_id=staff.id if staff else None,
                now=utcnow(),
            )
        except NotFound:
            abort(404)
        except Conflict:
            flash(
                "このお知らせは、すでに対応済みか、いま送信中です。一覧を確かめてください。", "info"
            )
        else:
            flash(ACTIONS[action].done, "info")
        return redirect(url_for("web.outbox.index"), code=303)
    if get_session().get(Notification, notification_id) is None:
        abort(404)
    trouble = _trouble(notification_id)
    if trouble is None or trouble.reason not in ACTIONS[action].explain:
        flash("このお知らせは、すでに対応済みか、いま送信中です。一覧を確かめてください。", "info")
        return redirect(url_for("web.outbox.index"), code=303)
    return render_template(
        "outbox_confirm.html",
        staff=current_staff(),
        card=_card(trouble),
        action=action,
        title=ACTIONS[action].title,
        explain=ACTIONS[action].explain[trouble.reason],
    )
