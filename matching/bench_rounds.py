"""Benchmark rounds (matching.rounds.plan_rounds) on real 世田谷区 points.

    python -m matching.bench_rounds                   # 5,000 x 2,000, one day and a week
    python -m matching.bench_rounds --size 1000x400 --repeat 5
    python -m matching.bench_rounds --days 7          # the same requests over a week only

One day's run: requests on one Tuesday, 60 % ゴミ出し (7:00-8:30, 15 minutes), 25 % shopping
(10:00-16:00, 60 minutes), 15 % light bulbs (13:00-17:00, 30 minutes), at population-weighted
町丁目 points; volunteers at such points too, capacities 1-3 a day (40 % / 30 % / 30 %), weekly
slots as in matching.bench (6:30-9:00, 10:00-16:00, 9:00-17:00 or 7:00-18:00 on 2-5 weekdays).
Over several days the requests are spread over the days from Tuesday on and a volunteer still
takes one round (one day): the bound is then the Lagrangian one of matching.rounds.
Prints a table row per number of days and, last, one JSON object: the first row's figures
(rounds_s, rounds_gap_pct, ...) and each further row's under keys prefixed days<N>_
(days7_rounds_s, days7_rounds_gap_pct, ...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from zoneinfo import ZoneInfo

import numpy as np

from matching.bench import make_requests, make_volunteers
from matching.domain import RequestSpec, VolunteerSpec
from matching.engine import plan
from matching.geography import load_chome
from matching.rounds import plan_rounds

TOKYO = ZoneInfo("Asia/Tokyo")
TUESDAY = dt.datetime(2026, 12, 1, tzinfo=TOKYO)
WARD = "世田谷区"
#: category: (share, skills, minutes, trial_ok, window start hour, window hours)
CATEGORIES = {
    "garbage": (0.60, frozenset({"garbage"}), 15, True, 7.0, 1.5),
    "shopping": (0.25, frozenset({"shopping"}), 60, False, 10.0, 6.0),
    "light_bulb": (0.15, frozenset({"ladder"}), 30, False, 13.0, 4.0),
}


def make_instance(
    n_requests: int, n_volunteers: int, seed: int = 1, days: int = 1
) -> tuple[list[RequestSpec], list[VolunteerSpec]]:
    """One day's requests (or `days` days' from Tuesday on) and volunteers with capacities 1-3
    (see the module docstring)."""
    rng = np.random.default_rng(seed)
    chomes = [c for c in load_chome(WARD) if c.population > 0]
    requests = make_requests(rng, chomes, n_requests, CATEGORIES, first_day=TUESDAY, days=days)
    return requests, make_volunteers(rng, chomes, n_volunteers, ([1, 2, 3], [0.4, 0.3, 0.3]))


def run(n_req: int, n_vol: int, repeat: int, days: int = 1) -> dict[str, object]:
    requests, volunteers = make_instance(n_req, n_vol, days=days)
    times, cpu = [], []
    result = plan_rounds(requests, volunteers)  # warm-up; the median is of the repeats
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = plan_rounds(requests, volunteers)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    one_task = plan(requests, volunteers)
    s = result.stats
    return {
        "requests": n_req,
        "volunteers": n_vol,
        "days": days,
        "rounds_s": statistics.median(times),
        # CPU seconds of this process: what the wall time is on an idle machine
        "rounds_cpu_s": statistics.median(cpu),
        "matched": len(result.proposals),
        "matched_bound": s["matched_bound"],
        "total_cost": float(sum(p.cost for p in result.proposals)),
        "lower_bound": s["lower_bound"],
        "matched_gap_pct": s.get("matched_gap_pct", 0.0),
        "cost_gap_pct": s.get("cost_gap_pct", 0.0),
        "rounds_gap_pct": s["gap_pct"],
        "proven_optimal": bool(s["proven_optimal"]),
        "method_code": s["method_code"],
        "rounds": s["rounds"],
        "walking_m": s["total_walking_m"],
        "one_task_matched": len(one_task.proposals),
    }


def header() -> str:
    return (
        f"{'rounds: requests x volunteers':>30} {'days':>4} {'s':>6} {'cpu s':>6} {'matched':>7}"
        f" {'bound':>6} {'total cost':>11} {'bound':>11} {'gap %':>6} {'proven':>6} {'rounds':>6}"
        f" {'1-task':>6}"
    )


def row(r: dict[str, object]) -> str:
    return (
        f"{r['requests']:>17,} x {r['volunteers']:>10,} {r['days']:>4} {r['rounds_s']:6.2f}"
        f" {r['rounds_cpu_s']:6.2f} {r['matched']:>7,}"
        f" {r['matched_bound']:>6,} {r['total_cost']:>11,.0f} {r['lower_bound']:>11,.0f}"
        f" {r['rounds_gap_pct']:>6.3f} {r['proven_optimal']!s:>6} {r['rounds']:>6,}"
        f" {r['one_task_matched']:>6,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark plan_rounds.")
    parser.add_argument("--size", default="5000x2000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--days", default="1,7", help="requests spread over this many days (a row each)"
    )
    args = parser.parse_args()
    n_req, n_vol = (int(x) for x in args.size.split("x"))
    print(header())
    summary: dict[str, object] = {}
    for n, days in enumerate(int(d) for d in args.days.split(",")):
        result = run(n_req, n_vol, args.repeat, days)
        print(row(result), flush=True)
        summary.update(result if n == 0 else {f"days{days}_{k}": v for k, v in result.items()})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
