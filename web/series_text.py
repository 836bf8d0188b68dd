"""How the screens say a request series in Japanese: 「毎週 火・金」「隔週 木」「第2・第4 水」,
「7:00–8:30」, its status and holiday rule. Shared by the SC's series pages, the people pages and
the volunteer page (which shows only the 地区, never the resident's name or address)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from matching.models import RequestSeries

WEEKDAYS = "月火水木金土日"
PATTERNS = {"weekly": "毎週", "biweekly": "隔週", "second_fourth": "第2・第4"}
#: what the form offers for the pattern
PATTERN_CHOICES = {
    "weekly": "毎週",
    "biweekly": "隔週（1週おき、始める日の週から）",
    "second_fourth": "毎月 第2・第4週",
}
HOLIDAYS = {
    None: "区の決まりどおり",
    "skip": "祝日と年末年始（12/29〜1/3）は休み",
    "keep": "祝日と年末年始も行う",
}
STATUSES = {"active": "実施中", "paused": "一時停止", "ended": "終了"}


def holidays(rule: str | None, ward_rule: str) -> str:
    """The series' holiday rule; the ward's, said as it is now, when it has none."""
    if rule is None:
        return f"区の決まりどおり（いまは{'休み' if ward_rule == 'skip' else '行う'}）"
    return HOLIDAYS.get(rule, rule)


def clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def rule(weekdays: list[int], pattern: str) -> str:
    """「毎週 火・金」, 「隔週 木」, 「第2・第4 水」."""
    days = "・".join(WEEKDAYS[d] for d in sorted(weekdays))
    return f"{PATTERNS.get(pattern, pattern)} {days}"


def hours(start_min: int, end_min: int) -> str:
    """「7:00–8:30」."""
    return f"{clock(start_min)}–{clock(end_min)}"


def day(value: dt.date | None) -> str:
    """「2026年12月1日（火）」."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日（{WEEKDAYS[value.weekday()]}）"


def summary(series: RequestSeries) -> dict[str, Any]:
    """What a list shows of one series."""
    standing = series.standing_volunteer_id
    return {
        "id": series.id,
        "category": series.category.label_ja,
        "rule": rule(series.weekdays, series.pattern),
        "hours": hours(series.window_start_min, series.window_end_min),
        "zone": series.resident.zone,
        "status": series.status,
        "status_label": STATUSES.get(series.status, series.status),
        "start_date": day(series.start_date),
        "end_date": day(series.end_date),
        "has_standing": standing is not None,
    }
