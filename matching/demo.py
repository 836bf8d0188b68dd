"""Real-looking demo data: people placed at real 町丁目 points, weighted by 2015 population."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import InvalidInput
from matching import dispatch, services
from matching import series as series_service
from matching.geography import load_chome, sample_points
from matching.models import Category, Resident, Volunteer
from matching.places import metres, zone_of
from matching.rounds import plan_rounds

TOKYO = ZoneInfo("Asia/Tokyo")
_SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "斎藤",
]
_GIVEN = [
    "花子",
    "一郎",
    "和子",
    "節子",
    "清",
    "茂",
    "幸子",
    "博",
    "洋子",
    "進",
    "恵子",
    "勇",
    "京子",
    "実",
    "美智子",
    "正",
    "久子",
    "稔",
    "悦子",
    "弘",
]
_GIVEN_YOUNG = ["翔太", "美咲", "大輔", "彩", "健太", "優子", "拓也", "愛", "直樹", "真由美"]


def _name(rng: np.random.Generator, young: bool = False) -> str:
    given = _GIVEN_YOUNG if young else _GIVEN
    return f"{rng.choice(_SURNAMES)} {rng.choice(given)}"


def _availability(rng: np.random.Generator) -> list[dict[str, int]]:
    """Typical patterns: early mornings before collection, weekday daytime, weekends."""
    pattern = rng.choice(["mornings", "daytime", "weekend", "retired"], p=[0.3, 0.25, 0.2, 0.25])
    days = sorted(rng.choice(7, size=int(rng.integers(2, 6)), replace=False).tolist())
    if pattern == "mornings":
        return [{"weekday": d, "start_min": 6 * 60 + 30, "end_min": 9 * 60} for d in days]
    if pattern == "daytime":
        return [{"weekday": d, "start_min": 10 * 60, "end_min": 16 * 60} for d in days if d < 5]
    if pattern == "weekend":
        return [{"weekday": d, "start_min": 9 * 60, "end_min": 17 * 60} for d in (5, 6)]
    return [{"weekday": d, "start_min": 7 * 60, "end_min": 18 * 60} for d in days]


def _capacity(rng: np.random.Generator, on_trial: bool) -> int:
    """Most take one task a day; some neighbours take two or three bags out on their own walk
    (an おためし newcomer starts with one)."""
    draw = float(rng.random())
    if on_trial:
        return 1
    return 1 if draw < 0.65 else 2 if draw < 0.9 else 3


def rounds_effect(session: Session) -> dict[str, int]:
    """What a match run over every open request would propose now, with rounds and with one
    task per volunteer (every capacity 1): a dry run, nothing is written."""
    loaded = dispatch.load_specs(session)
    with_rounds = plan_rounds(loaded.requests, loaded.volunteers)
    one_each = [replace(v, capacity_per_day=1) for v in loaded.volunteers]
    without = plan_rounds(loaded.requests, one_each)
    return {
        "open": len(loaded.requests),
        "with_rounds": len(with_rounds.proposals),
        "in_rounds": int(with_rounds.stats.get("rounds", 0)),
        "without_rounds": len(without.proposals),
    }


def _address(rng: np.random.Generator, ward: str, area_name: str) -> str:
    return f"東京都{ward}{area_name}{int(rng.integers(1, 30))}-{int(rng.integers(1, 25))}"


def seed_ward(
    session: Session,
    *,
    ward: str,
    n_residents: int,
    n_volunteers: int,
    n_requests: int,
    days: int = 7,
    seed: int = 2015,
    now: dt.datetime | None = None,
    n_series: int = 0,
) -> dict[str, int]:
    """Add residents, volunteers and open requests for the coming days in one ward, and
    n_series (at most len(DEMO_SERIES)) recurring requests with their coming occurrences."""
    chomes = [c for c in load_chome(ward) if c.population > 0]
    if not chomes:
        raise InvalidInput(f"No 町丁目 with residents in {ward!r}; give one of the 23 wards.")
    rng = np.random.default_rng(seed)
    categories = {c.code: c for c in session.scalars(select(Category))}

    lats, lons, idx = sample_points(chomes, n_residents, rng, jitter_m=60.0)
    residents = []
    for lat, lon, i in zip(lats, lons, idx, strict=True):
        area = chomes[i].area_name
        residents.append(
            services.create_resident(
                session,
                name=_name(rng),
                address=_address(rng, ward, area),
                phone=f"03-{int(rng.integers(3000, 6999))}-{int(rng.integers(0, 9999)):04d}",
                lat=float(lat),
                lon=float(lon),
                zone=zone_of(chomes[i]),
                notes=str(
                    rng.choice(["", "耳が遠いので電話はゆっくり", "犬がいます", "午前中は通院"])
                )
                or None,
            )
        )

    lats, lons, idx = sample_points(chomes, n_volunteers, rng, jitter_m=60.0)
    # capacities from a stream of their own, so the rest of the data is as before rounds
    capacity_rng = np.random.default_rng(seed + 1)
    volunteers = []
    trial = 0
    this_year = (now or dt.datetime.now(TOKYO)).year
    for lat, lon, i in zip(lats, lons, idx, strict=True):
        on_trial = bool(rng.random() < 0.12)
        young = bool(rng.random() < 0.3)
        # many 担い手 are active elderly themselves
        age = int(rng.integers(20, 60)) if young else int(rng.integers(60, 86))
        skills = ["garbage"]
        if not on_trial:
            skills += [s for s, p in (("shopping", 0.6), ("ladder", 0.35)) if rng.random() < p]
        volunteer, _token = services.create_volunteer(
            session,
            name=_name(rng, young),
            birth_year=this_year - age,
            lat=float(lat),
            lon=float(lon),
            zone=zone_of(chomes[i]),
            max_distance_m=int(rng.choice([500, 800, 1000, 1500, 2000])),
            max_tasks_per_day=_capacity(capacity_rng, on_trial),
            skills=skills,
            availability=_availability(rng),
            status="trial" if on_trial else "active",
            contact=f"090-{int(rng.integers(1000, 9999))}-{int(rng.integers(0, 9999)):04d}",
        )
        trial += on_trial
        volunteers.append(volunteer)

    today = (now or dt.datetime.now(TOKYO)).astimezone(TOKYO).date()
    windows = {  # local start, end of a typical window
        "garbage": (dt.time(7, 0), dt.time(8, 30)),
        "shopping": (dt.time(10, 0), dt.time(16, 0)),
        "light_bulb": (dt.time(13, 0), dt.time(17, 0)),
    }
    codes = rng.choice(["garbage", "shopping", "light_bulb"], size=n_requests, p=[0.55, 0.3, 0.15])
    for code in codes:
        resident = residents[int(rng.integers(len(residents)))]
        day = today + dt.timedelta(days=int(rng.integers(1, days + 1)))
        start, end = windows[str(code)]
        services.create_help_request(
            session,
            resident_id=resident.id,
            category=categories[str(code)].code,
            window_start=dt.datetime.combine(day, start, TOKYO),
            window_end=dt.datetime.combine(day, end, TOKYO),
        )
    made = _seed_series(
        session,
        residents=residents,
        volunteers=volunteers,
        n_series=n_series,
        today=today,
        now=now.astimezone(dt.UTC) if now is not None else dt.datetime.now(dt.UTC),
    )
    return {
        "residents": n_residents,
        "volunteers": n_volunteers,
        "trial": trial,
        "requests": n_requests,
        "zones": len({r.zone for r in residents}),
        **made,
    }


@dataclass(frozen=True)
class DemoSeries:
    category: str
    weekdays: tuple[int, ...]
    pattern: str
    start: dt.time
    end: dt.time
    notes: str
    #: whether a neighbour whose week fits takes the whole series (standing volunteer)
    standing: bool


#: The series the demo seeds, in this order; 燃やすごみ and 第2・第4 買い物 have a standing
#: volunteer, 隔週 資源ごみ has none (matching finds someone each time).
DEMO_SERIES = (
    DemoSeries("garbage", (1, 4), "weekly", dt.time(7, 0), dt.time(8, 30), "燃やすごみ", True),
    DemoSeries(
        "garbage",
        (3,),
        "biweekly",
        dt.time(7, 0),
        dt.time(8, 30),
        "資源ごみ（びん・缶・ペットボトル）",
        False,
    ),
    DemoSeries(
        "shopping",
        (2,),
        "second_fourth",
        dt.time(10, 0),
        dt.time(12, 0),
        "第2・第4水曜の買い物（近くのスーパーまで）",
        True,
    ),
)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _fits(volunteer: Volunteer, resident: Resident, plan: DemoSeries) -> bool:
    """Registered, can do the task, in reach, and free every weekday of the series' window."""
    start, end = _minutes(plan.start), _minutes(plan.end)
    return (
        volunteer.status == "active"
        and plan.category in {s.code for s in volunteer.skills}
        and metres(volunteer.lat, volunteer.lon, resident.lat, resident.lon)
        <= volunteer.max_distance_m
        and all(
            any(
                s.weekday == day and s.start_min <= start and end <= s.end_min
                for s in volunteer.availability
            )
            for day in plan.weekdays
        )
    )


def _pick(
    residents: list[Resident], volunteers: list[Volunteer], plan: DemoSeries, used: set[int]
) -> tuple[Resident | None, list[Volunteer]]:
    """The resident a demo series is for, and the volunteers who fit it, nearest first."""
    free = [r for r in residents if r.id not in used]
    for resident in free:
        fitting = sorted(
            (v for v in volunteers if _fits(v, resident, plan)),
            key=lambda v: (metres(v.lat, v.lon, resident.lat, resident.lon), v.id),
        )
        if fitting or not plan.standing:
            return resident, fitting
    return (free[0], []) if free else (None, [])


def _seed_series(
    session: Session,
    *,
    residents: list[Resident],
    volunteers: list[Volunteer],
    n_series: int,
    today: dt.date,
    now: dt.datetime,
) -> dict[str, int]:
    """The first n_series of DEMO_SERIES, each for the first resident not yet given one (for a
    series with a standing volunteer: the first who has a volunteer whose week fits, the nearest
    of them taking it), and their occurrences for the coming 4 weeks."""
    made = standing = occurrences = 0
    used: set[int] = set()
    for plan in DEMO_SERIES[:n_series]:
        resident, fitting = _pick(residents, volunteers, plan, used)
        if resident is None:
            break
        used.add(resident.id)
        series = series_service.create_series(
            session,
            resident_id=resident.id,
            category=plan.category,
            weekdays=list(plan.weekdays),
            pattern=plan.pattern,
            window_start_min=_minutes(plan.start),
            window_end_min=_minutes(plan.end),
            start_date=today,
            notes=plan.notes,
        )
        made += 1
        if plan.standing and fitting:
            series_service.set_standing(
                session, series_id=series.id, volunteer_id=fitting[0].id, now=now
            )
            standing += 1
        report = series_service.generate(
            session, weeks_ahead=4, today=today, holidays="skip", now=now, series_id=series.id
        )
        occurrences += report.created
    return {"series": made, "standing": standing, "occurrences": occurrences}
