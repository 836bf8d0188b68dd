"""The dispatch screen's words: reason codes, cost terms and statuses as an SC reads them, and
times in Tokyo time. The matching core keeps its codes; Japanese for people lives here."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from matching.models import Assignment

TOKYO = ZoneInfo("Asia/Tokyo")
WEEKDAYS = "月火水木金土日"

#: why a request was not proposed (the codes of a match run's unmatched list)
UNMATCHED = {
    "too_late": "時間切れ：残りの時間が作業時間より短い",
    "nobody_nearby": "近くに担い手がいない（移動できる距離の外）",
    "no_skill": "必要なスキルを持つ担い手が近くにいない",
    "trial_only": "近くはおためしの方だけ（この活動はおためし対象外）",
    "not_available": "この時間帯に活動できる担い手が近くにいない",
    "declined": "近くの担い手はこの依頼を辞退済み",
    "busy": "近くの担い手は同じ時間に別の活動が入っている",
    "blocked": "近くの担い手はこの日を「活動できない日」にしている",
    "all_taken": "条件に合う担い手は、ほかの依頼に割り当て済み",
    "round_full": "近くの担い手は、その日に引き受けられる数に達しているか、まわる順に組み込めない",
}

#: each term of a pair's cost (metres-equivalent): what it means for the SC
COST_TERMS = {
    "distance": "距離",
    "continuity": "以前にこの方を支援（なじみ）",
    "load": "最近7日の活動の多さ",
    "trial_experience": "おためしの方の初めての活動",
    "no_show": "最近180日に来られなかった回数",
}

ASSIGNMENT_STATUS = {
    "proposed": "返事待ち",
    "accepted": "承諾済み",
    "completed": "完了",
    "declined": "辞退",
    "cancelled": "取り消し",
    "no_show": "活動できず",
    # a cancelled proposal nobody answered by the cut-off (ended_reason "no_answer")
    "no_answer": "返事なしで取り下げ",
}

#: what started a run nobody pressed the button for (a match run's params["trigger"])
TRIGGERS = {"dispatch due": "自動の再提案（dispatch due）"}


def assignment_status(assignment: Assignment) -> str:
    """An assignment's status in words; one the service cancelled for no answer says so."""
    if assignment.status == "cancelled" and assignment.ended_reason == "no_answer":
        return ASSIGNMENT_STATUS["no_answer"]
    return ASSIGNMENT_STATUS.get(assignment.status, assignment.status)


def ran_by(params: Mapping[str, Any] | None, staff_name: str | None) -> str:
    """Who ran a match run: 「自動の再提案（dispatch due）」 or the SC's name."""
    trigger = (params or {}).get("trigger")
    if trigger:
        return TRIGGERS.get(trigger, f"自動（{trigger}）")
    return staff_name or "—"


VOLUNTEER_STATUS = {"active": "登録", "trial": "おためし", "inactive": "休止"}

VIA = {"app": "本人がアプリで", "phone": "電話で（SCが記録）"}


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(TOKYO)


def day_label(day: dt.date) -> str:
    """「11月30日（月）」."""
    return f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def when(moment: dt.datetime) -> str:
    """「11月30日（月）10:00」 in Tokyo time."""
    at = local(moment)
    return f"{day_label(at.date())}{at:%H:%M}"


def window(start: dt.datetime, end: dt.datetime) -> str:
    """「11月30日（月）10:00〜16:00」 (the end's day too when it is another day); a whole
    local day is 「11月30日（月）終日」."""
    a, b = local(start), local(end)
    midnight = dt.time(0, 0)
    if a.time() == midnight and b.time() == midnight and b.date() == a.date() + dt.timedelta(1):
        return f"{day_label(a.date())}終日"
    tail = f"{b:%H:%M}" if a.date() == b.date() else when(end)
    return f"{when(start)}〜{tail}"


def order_mark(n: int) -> str:
    """「①」 for 1 … 「⑳」 for 20 (a round has at most 5 tasks), 「(21)」 beyond."""
    return chr(0x2460 + n - 1) if 1 <= n <= 20 else f"({n})"


def clock(moment: dt.datetime) -> str:
    """「07:17」: a moment's hour and minute in Tokyo time."""
    return f"{local(moment):%H:%M}"


def walk(metres_: float, per_minute: float) -> str:
    """「徒歩 約5分（320 m）」: a walk at the ward's speed, minutes rounded up as the planner
    does."""
    return f"徒歩 約{math.ceil(metres_ / per_minute)}分（{metres(metres_)}）"


def optimality(stats: Mapping[str, Any] | None) -> str | None:
    """What a run's result is worth: 「最適であることを確認済み」 when proven, else the gap to
    the bound and the bound on the number matched; None for a run that recorded neither (runs
    made before rounds)."""
    stats = stats or {}
    if stats.get("proven_optimal"):
        return "最適であることを確認済み"
    gap = stats.get("gap_pct")
    if not isinstance(gap, int | float) or isinstance(gap, bool):
        return None
    bound = stats.get("matched_bound")
    tail = f"（件数の上限 {int(bound)} 件）" if isinstance(bound, int | float) else ""
    return f"下限との差 {gap:.1f} %{tail}"


def minutes(total: int) -> str:
    """「10:00」 from minutes since midnight (24:00 for the end of the day)."""
    return f"{total // 60:02d}:{total % 60:02d}"


def waited(since: dt.datetime, now: dt.datetime) -> str:
    """How long a request has waited: 「3日」, 「5時間」, 「20分」."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds >= 86_400:
        return f"{seconds // 86_400}日"
    if seconds >= 3600:
        return f"{seconds // 3600}時間"
    return f"{max(1, seconds // 60)}分"


def metres(value: float | None) -> str:
    """「350 m」 or 「1.2 km」."""
    if value is None:
        return "—"
    return f"{round(value):,} m" if value < 1000 else f"{value / 1000:.1f} km"
