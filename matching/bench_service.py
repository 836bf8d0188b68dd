"""Time a full match run through the service (load, solve, persist) on a real database.

    source scripts/start-postgres.sh            # a throw-away PostgreSQL (as root)
    python -m matching.bench_service --database-url "$DATABASE_URL_PG" --fresh

Seeds 世田谷区-like data at real 町丁目 points (population-weighted), then runs the match
several times, each in a transaction that is rolled back, and prints the median of each phase.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

import access.models  # noqa: F401  (every table mapped)
import points.models  # noqa: F401
from db import make_engine
from matching import dispatch
from matching.geography import load_chome, sample_points
from matching.models import (
    AvailabilitySlot,
    Category,
    HelpRequest,
    Resident,
    Volunteer,
    volunteer_skills,
)
from matching.places import zone_of

TOKYO = ZoneInfo("Asia/Tokyo")


def seed(session: Session, *, ward: str, n_requests: int, n_volunteers: int, seed: int) -> None:
    """Bulk-insert residents with one open request each, and volunteers with slots and skills."""
    rng = np.random.default_rng(seed)
    chomes = [c for c in load_chome(ward) if c.population > 0]
    categories = {c.code: c.id for c in session.scalars(select(Category))}
    lats, lons, idx = sample_points(chomes, n_requests, rng, jitter_m=60.0)
    first = (session.scalar(text("SELECT coalesce(max(id), 0) FROM residents")) or 0) + 1
    session.execute(
        insert(Resident),
        [
            {
                "id": first + i,
                "name": f"利用者{i}",
                "address": chomes[idx[i]].area_name,
                "lat": float(lats[i]),
                "lon": float(lons[i]),
                "zone": zone_of(chomes[idx[i]]),
            }
            for i in range(n_requests)
        ],
    )
    today = dt.datetime.now(TOKYO).date()
    codes = rng.choice(["garbage", "shopping", "light_bulb"], n_requests, p=[0.55, 0.3, 0.15])
    rows = []
    for i, code in enumerate(codes):
        day = today + dt.timedelta(days=int(rng.integers(1, 8)))
        hour = {"garbage": 7, "shopping": 10, "light_bulb": 13}[str(code)]
        start = dt.datetime.combine(day, dt.time(hour), TOKYO)
        rows.append(
            {
                "resident_id": first + i,
                "category_id": categories[str(code)],
                "window_start": start,
                "window_end": start + dt.timedelta(hours=3),
                "status": "open",
            }
        )
    session.execute(insert(HelpRequest), rows)

    lats, lons, idx = sample_points(chomes, n_volunteers, rng, jitter_m=60.0)
    first_v = (session.scalar(text("SELECT coalesce(max(id), 0) FROM volunteers")) or 0) + 1
    session.execute(
        insert(Volunteer),
        [
            {
                "id": first_v + i,
                "name": f"担い手{i}",
                "birth_year": int(rng.integers(1940, 2000)),
                "lat": float(lats[i]),
                "lon": float(lons[i]),
                "zone": zone_of(chomes[idx[i]]),
                "max_distance_m": int(rng.choice([500, 1000, 1500, 2000])),
                "status": "trial" if rng.random() < 0.1 else "active",
            }
            for i in range(n_volunteers)
        ],
    )
    skill_rows, slot_rows = [], []
    for i in range(n_volunteers):
        vid = first_v + i
        skill_rows.append({"volunteer_id": vid, "skill_code": "garbage"})
        for code, p in (("shopping", 0.6), ("ladder", 0.35)):
            if rng.random() < p:
                skill_rows.append({"volunteer_id": vid, "skill_code": code})
        for day in rng.choice(7, size=int(rng.integers(2, 6)), replace=False):
            start = int(rng.choice([360, 420, 600, 780]))
            slot_rows.append(
                {
                    "volunteer_id": vid,
                    "weekday": int(day),
                    "start_min": start,
                    "end_min": start + 240,
                }
            )
    session.execute(insert(volunteer_skills), skill_rows)
    session.execute(insert(AvailabilitySlot), slot_rows)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("residents", "volunteers"):
            session.execute(
                text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")  # noqa: S608
            )
        session.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--volunteers", type=int, default=6000)
    parser.add_argument("--ward", default="世田谷区")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="create the schema (empty database)")
    args = parser.parse_args()

    engine = make_engine(args.database_url)
    if args.fresh:
        from pathlib import Path

        from alembic import command
        from alembic.config import Config

        cfg = Config(str(Path(__file__).resolve().parent.parent / "alembic.ini"))
        cfg.attributes["database_url"] = args.database_url
        cfg.attributes["configure_logger"] = False
        command.upgrade(cfg, "head")
    with Session(engine) as session, session.begin():
        t0 = time.perf_counter()
        seed(
            session,
            ward=args.ward,
            n_requests=args.requests,
            n_volunteers=args.volunteers,
            seed=7,
        )
        print(
            f"seeded {args.requests} requests and {args.volunteers} volunteers"
            f" in {time.perf_counter() - t0:.1f} s"
        )

    phases: dict[str, list[float]] = {"total": [], "load": [], "solve": [], "persist": []}
    matched = 0
    for _ in range(args.repeat):
        with Session(engine) as session:
            session.begin()
            t0 = time.perf_counter()
            run = dispatch.run_match(session)
            session.flush()
            phases["total"].append(time.perf_counter() - t0)
            phases["load"].append(run.stats["load_ms"] / 1000)
            phases["solve"].append(run.stats["solve_ms"] / 1000)
            phases["persist"].append(run.stats["persist_ms"] / 1000)
            matched = run.matched_count
            session.rollback()  # every repetition starts from the same open requests
    medians = {k: statistics.median(v) for k, v in phases.items()}
    print(
        f"{engine.dialect.name}: {args.requests} open requests x {args.volunteers} volunteers,"
        f" {matched} matched, median of {args.repeat}:"
    )
    for name, value in medians.items():
        print(f"  {name:8s} {value:7.3f} s")
    print(
        json.dumps(
            {
                "database": engine.dialect.name,
                "requests": args.requests,
                "volunteers": args.volunteers,
                "matched": matched,
                **{f"{k}_s": round(v, 3) for k, v in medians.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
