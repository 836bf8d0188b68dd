"""確認が必要な依頼: the requests that came back to the SC (declined, not answered by the
cut-off, no-show, the standing volunteer stopped), at the top of the dispatch board, each with
why it came back and what the service is doing about it now; 「確認しました」 clears the flag
(matching.flags.clear_flag, the same service as the API).

Also the ward's confirmation cut-off as the screens read it (`ward_cutoff`): the volunteer's
page shows a proposal's answer-by time with it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching import flags
from matching.models import Assignment, HelpRequest, Volunteer
from matching.redispatch import Cutoff
from web import dispatch_text as text
from web.auth import staff_required
from web.database import get_session

blp = Blueprint("flags", __name__, url_prefix="/dispatch/flags")

log = logging.getLogger(__name__)

#: why the request came back, as the SC reads it (no_answer is worded with the cut-off)
REASONS = {
    "declined": "担い手が辞退しました",
    "no_show": "担い手が来られませんでした",
    "standing_ended": "いつもの担い手が外れました",
}


#: an open request `dispatch due` has tried and could not propose
NOBODY = "担い手が見つかりませんでした。電話で探すか、条件を見直してください"
#: an occurrence whose standing volunteer stopped: nobody has looked for another yet
STANDING_ENDED = "まだ担い手がいません。マッチングを実行するか、電話で探してください"


def ward_cutoff() -> Cutoff | None:
    """The ward's cut-off, as `flask dispatch due` reads it (the app's config, then the
    environment); None, and a warning in the log, when the settings are not valid."""
    try:
        return Cutoff.from_settings(current_app.config, os.environ)
    except ValueError as error:
        log.warning("Dispatch cut-off settings: %s", error)
        return None


def cutoff_words(cutoff: Cutoff) -> str:
    """「前日18時」, 「当日9時30分」, 「2日前18時」."""
    day = {0: "当日", 1: "前日"}.get(cutoff.days_before, f"{cutoff.days_before}日前")
    minutes = f"{cutoff.at.minute}分" if cutoff.at.minute else ""
    return f"{day}{cutoff.at.hour}時{minutes}"


def no_answer_reason(
    cutoff: Cutoff | None, request_: HelpRequest, unanswered: Assignment | None
) -> str:
    """「期限（前日18時）までに返事がありませんでした」; the proposal's own answer-by time when
    it was proposed after the cut-off and so had longer."""
    if cutoff is None:
        return "期限までに返事がありませんでした"
    deadline = cutoff.deadline(request_.window_start)
    if unanswered is not None:
        answer_by = cutoff.answer_by(
            window_start=request_.window_start, proposed_at=unanswered.created_at
        )
        if answer_by > deadline:
            return f"期限（{text.when(answer_by)}）までに返事がありませんでした"
    return f"期限（{cutoff_words(cutoff)}）までに返事がありませんでした"


@dataclass(frozen=True)
class FlagCard:
    """One flagged request as the board shows it."""

    request_id: int
    resident: str
    zone: str
    category: str
    window: str
    reason: str
    #: the volunteer it came back from, when there was one
    previous: str | None
    flagged: str
    flagged_ago: str
    #: queued, proposed, accepted, completed or searching (open, not queued)
    state: str
    now_text: str
    #: the run page of the live proposal or task, when there is one
    run_url: str | None
    #: the board for the request's zone and day (to match it again by hand)
    board_url: str


def _last_ended(session: Session, request_id: int) -> Assignment | None:
    """The request's most recent assignment that ended without the task being done."""
    return session.scalars(
        select(Assignment)
        .where(
            Assignment.help_request_id == request_id,
            Assignment.status.in_(("declined", "no_show", "cancelled")),
        )
        .order_by(Assignment.id.desc())
        .limit(1)
    ).first()


def _now_state(request_: HelpRequest, live: Assignment | None) -> tuple[str, str, str | None]:
    """What is happening now (a state for the card's colour), in words, and where to see it."""
    if request_.status == "open":
        if request_.redispatch_at is not None:
            return "queued", "自動で再提案します（数分以内）", None
        if request_.flag == "standing_ended":
            # no automatic re-dispatch for a series' occurrences: the SC chooses who is next
            return "searching", STANDING_ENDED, None
        return "searching", NOBODY, None
    if live is None:  # pragma: no cover - a proposed or accepted request has its assignment
        return "searching", NOBODY, None
    name = live.volunteer.name
    run_url = (
        url_for("web.dispatch.run_page", run_id=live.match_run_id) + f"#assignment-{live.id}"
        if live.match_run_id is not None
        else None
    )
    if live.status == "proposed":
        return "proposed", f"自動で再提案しました：{name} さんの返事待ち", run_url
    if live.status == "accepted":
        return "accepted", f"{name} さんが引き受けました", run_url
    return "completed", f"{name} さんが活動を終えました", run_url


def flag_cards(
    session: Session, *, zone: str | None, now: dt.datetime, cutoff: Cutoff | None
) -> list[FlagCard]:
    """The flagged requests of a zone (or all), oldest flag first, ready to show."""
    cards = []
    for request_ in flags.flagged_requests(session, zone=zone, now=now):
        flag = request_.flag or ""
        ended = _last_ended(session, request_.id)
        if flag == "no_answer":
            unanswered = ended if ended is not None and ended.ended_reason == "no_answer" else None
            reason = no_answer_reason(cutoff, request_, unanswered)
        else:
            reason = REASONS.get(flag, flag)
        previous = None
        if ended is not None:
            volunteer = session.get(Volunteer, ended.volunteer_id)
            previous = volunteer.name if volunteer else None
        live = flags.live_assignment(session, help_request_id=request_.id)
        state, now_text, run_url = _now_state(request_, live)
        flagged_at = request_.flagged_at or now
        cards.append(
            FlagCard(
                request_id=request_.id,
                resident=request_.resident.name,
                zone=request_.resident.zone,
                category=request_.category.label_ja,
                window=text.window(request_.window_start, request_.window_end),
                reason=reason,
                previous=previous,
                flagged=text.when(flagged_at),
                flagged_ago=text.waited(flagged_at, now),
                state=state,
                now_text=now_text,
                run_url=run_url,
                board_url=url_for(
                    "web.dispatch.board_page",
                    zone=request_.resident.zone,
                    day=text.local(request_.window_start).date().isoformat(),
                )
                + f"#request-{request_.id}",
            )
        )
    return cards


@blp.post("/<int:help_request_id>/seen")
@staff_required("coordinator")
def seen(help_request_id: int) -> Any:
    """「確認しました」: the request leaves the list; pressed twice, it says so."""
    session = get_session()
    request_ = session.get(HelpRequest, help_request_id)
    if request_ is not None and request_.flag is None:
        flash("この依頼は確認済みです。", "info")
    else:
        cleared = flags.clear_flag(session, help_request_id=help_request_id)
        what = f"{cleared.resident.name} さんの依頼（{cleared.category.label_ja}）"
        flash(f"{what}を確認済みにしました。", "info")
    target = request.form.get("next", "")
    if target.startswith("/dispatch/") and not target.startswith("//"):
        return redirect(target, code=303)
    return redirect(url_for("web.dispatch.board_page"), code=303)
