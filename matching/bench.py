"""Benchmark the matching engine on real Tokyo geography.

    python -m matching.bench                      # the whole table (a few minutes)
    python -m matching.bench --quick              # the small sizes only
    python -m matching.bench --sizes 5000x15000 --repeat 5
    python -m matching.bench --sizes 5000x5000     # supply short: also the old search, same process

Requests and volunteers are placed at real 町丁目 points weighted by 2015 census population
(世田谷区 for the ward-sized cases, all 23 wards for the large ones). Each case runs in a fresh
subprocess so that its peak memory is its own. Baselines run in the same process as the case:
dense linear_sum_assignment on the full cost matrix (where it fits in memory) and greedy
nearest-free-volunteer (what a coordinator does by phone). Where volunteers are short (as many
volunteers as requests: SHORT_SIZES), the old search (unmatched requests checked against everyone
within reach, `plan(..., supply_short=False)`) is timed in the same process too. Then the rounds
row (matching.bench_rounds: 5,000 requests x 2,000 volunteers, capacities 1-3). The last line is
one JSON object for the 5,000 x 15,000 case, with `short_s` for 5,000 x 5,000 and the rounds
case's `rounds_s` and `rounds_gap_pct`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from matching.cost import Weights, evaluate_pairs
from matching.domain import CostWeights, RequestSpec, Slot, VolunteerSpec
from matching.engine import dense_costs, plan, to_arrays
from matching.geography import Chome, load_chome, sample_points
from matching.solver import greedy_nearest, solve_dense

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TOKYO)
#: category: (share, skills, duration, trial_ok, local window start hour, window hours)
CATEGORIES = {
    "garbage": (0.55, frozenset({"garbage"}), 15, True, 7, 1.5),
    "shopping": (0.30, frozenset({"shopping"}), 60, False, 10, 6.0),
    "light_bulb": (0.15, frozenset({"ladder"}), 30, False, 13, 4.0),
}
DEFAULT_SIZES = [
    "500x1500",
    "2000x6000",
    "5000x15000",
    "5000x5000",
    "20000x60000",
    "50000x150000",
]
#: Cases where volunteers are short: the old search is timed in the same process as well.
SHORT_SIZES = {"5000x5000"}
DENSE_LIMIT = 5000 * 15000  # cells; beyond this the dense matrix needs many GB
WARD = "世田谷区"
_W = CostWeights()
WEIGHTS = Weights(
    _W.continuity_bonus_m,
    _W.load_penalty_m_per_task,
    _W.trial_first_task_bonus_m,
    _W.no_show_penalty_m,
)


def make_instance(
    n_requests: int, n_volunteers: int, ward: str | None = WARD, seed: int = 1
) -> tuple[list[RequestSpec], list[VolunteerSpec]]:
    """Generate a realistic instance at population-weighted 町丁目 points (ward=None: 23 wards)."""
    rng = np.random.default_rng(seed)
    chomes = [c for c in load_chome(ward) if c.population > 0]
    requests = make_requests(rng, chomes, n_requests, CATEGORIES, first_day=MONDAY, days=7)
    return requests, make_volunteers(rng, chomes, n_volunteers)


def make_requests(
    rng: np.random.Generator,
    chomes: list[Chome],
    n: int,
    categories: Mapping[str, tuple[float, frozenset[str], int, bool, float, float]],
    *,
    first_day: dt.datetime,
    days: int,
) -> list[RequestSpec]:
    """Requests at population-weighted points, by category share, on `days` days from first_day
    (one day draws no day at all, so a one-day instance uses the generator as before)."""
    lats, lons, _ = sample_points(chomes, n, rng, jitter_m=80.0)
    codes = list(categories)
    picks = rng.choice(len(codes), size=n, p=[categories[c][0] for c in codes])
    on_day = rng.integers(0, days, size=n) if days > 1 else np.zeros(n, np.int64)
    requests = []
    for i in range(n):
        _, skills, duration, trial_ok, hour, hours = categories[codes[picks[i]]]
        start = first_day + dt.timedelta(days=int(on_day[i]), hours=hour)
        requests.append(
            RequestSpec(
                id=i + 1,
                resident_id=i + 1,
                lat=float(lats[i]),
                lon=float(lons[i]),
                required_skills=skills,
                duration_min=duration,
                trial_ok=trial_ok,
                window_start=start,
                window_end=start + dt.timedelta(hours=hours),
            )
        )
    return requests


def make_volunteers(
    rng: np.random.Generator,
    chomes: list[Chome],
    n: int,
    capacities: tuple[list[int], list[float]] | None = None,
) -> list[VolunteerSpec]:
    """Volunteers at population-weighted points: 10 % on trial, skills, weekly slots (6:30-9:00,
    10:00-16:00, 9:00-17:00 or 7:00-18:00 on 2-5 weekdays), reach; capacities: (values, shares)
    of tasks a day, drawn last for each volunteer (None: one task, nothing drawn)."""
    lats, lons, _ = sample_points(chomes, n, rng, jitter_m=80.0)
    volunteers = []
    for j in range(n):
        trial = bool(rng.random() < 0.1)
        skills = {"garbage"}
        if not trial:
            skills |= {s for s, p in (("shopping", 0.6), ("ladder", 0.35)) if rng.random() < p}
        pattern = int(rng.integers(4))
        weekdays = rng.choice(7, size=int(rng.integers(2, 6)), replace=False).tolist()
        start_min, end_min = ((390, 540), (600, 960), (540, 1020), (420, 1080))[pattern]
        reach = float(rng.choice([500, 800, 1000, 1500, 2000]))
        capacity = 1 if capacities is None else int(rng.choice(capacities[0], p=capacities[1]))
        volunteers.append(
            VolunteerSpec(
                id=j + 1,
                lat=float(lats[j]),
                lon=float(lons[j]),
                max_distance_m=reach,
                skills=frozenset(skills),
                slots=tuple(Slot(int(d), start_min, end_min) for d in sorted(weekdays)),
                is_trial=trial,
                capacity_per_day=capacity,
            )
        )
    return volunteers


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def run_case(n_req: int, n_vol: int, repeat: int, compare_old: bool = False) -> dict[str, object]:
    """Time and measure one size in this process (called in a fresh subprocess).

    compare_old: also time plan(..., supply_short=False), the search before volunteers' own
    prices were used, after the measurements of the current one (same process, same data).
    """
    ward = WARD if n_req <= 5000 else None
    requests, volunteers = make_instance(n_req, n_vol, ward)
    rss_before = _rss_mb()
    times, build_ms, solve_ms = [], [], []
    result = plan(requests, volunteers)  # warm-up; the median is of the repeats
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = plan(requests, volunteers)
        times.append(time.perf_counter() - t0)
        build_ms.append(float(result.stats["build_ms"]))
        solve_ms.append(float(result.stats["solve_ms"]))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before
    tracemalloc.start()
    plan(requests, volunteers)
    traced_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    total = sum(p.cost for p in result.proposals)
    out: dict[str, object] = {
        "requests": n_req,
        "volunteers": n_vol,
        "area": ward or "23区",
        "solve_s": statistics.median(times),
        "build_ms": statistics.median(build_ms),
        "solve_ms": statistics.median(solve_ms),
        # ru_maxrss of this fresh process minus its RSS before the first plan(); tracemalloc
        # misses memory scipy's C code allocates, RSS can miss short peaks: report the larger
        "peak_mb": max(peak_mb, traced_peak_mb),
        "rss_peak_mb": peak_mb,
        "traced_peak_mb": traced_peak_mb,
        "matched": len(result.proposals),
        "total_cost": total,
        "k_final": result.stats["k_final"],
        "widenings": result.stats["widenings"],
        "candidate_pairs": result.stats["candidate_pairs"],
    }

    if compare_old:
        old_times = []
        old = plan(requests, volunteers, supply_short=False)  # warm-up
        for _ in range(repeat):
            t0 = time.perf_counter()
            old = plan(requests, volunteers, supply_short=False)
            old_times.append(time.perf_counter() - t0)
        old_total = sum(p.cost for p in old.proposals)
        out.update(
            old_s=statistics.median(old_times),
            old_ratio=statistics.median(old_times) / statistics.median(times),
            old_same=bool(
                len(old.proposals) == len(result.proposals)
                and abs(old_total - total) <= 1e-6 * max(1.0, abs(total))
            ),
            old_widened_requests=old.stats["widened_requests"],
            widened_requests=result.stats["widened_requests"],
        )

    if n_req * n_vol <= DENSE_LIMIT:
        t0 = time.perf_counter()
        cost = dense_costs(requests, volunteers)
        t1 = time.perf_counter()
        dense_of = solve_dense(cost)
        t2 = time.perf_counter()
        chosen = np.flatnonzero(dense_of >= 0)
        dense_total = float(cost[chosen, dense_of[chosen]].sum())
        out.update(
            dense_build_s=t1 - t0,
            dense_lsa_s=t2 - t1,
            dense_s=t2 - t0,
            dense_matched=int(chosen.size),
            dense_total=dense_total,
            dense_peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before,
            optimal=bool(
                chosen.size == len(result.proposals)
                and abs(dense_total - total) <= 1e-6 * max(1.0, abs(total))
            ),
        )
        feasible = np.isfinite(cost)
        ri, vi = np.nonzero(feasible)
        distance = cost[ri, vi]
        del cost
    else:
        out.update(dense_s=None, optimal=None)
        ri, vi, distance = _near_pairs(requests, volunteers)
    starts = [r.window_start.timestamp() for r in requests]
    order = np.argsort(starts, kind="stable").astype(np.int64)
    greedy_of = greedy_nearest(order, ri.astype(np.int64), vi.astype(np.int64), distance, n_req)
    g = np.flatnonzero(greedy_of >= 0)
    req, vol = to_arrays(requests, volunteers)
    greedy_total = float(
        evaluate_pairs(g.astype(np.int64), greedy_of[g], req, vol, WEIGHTS).cost.sum()
    )
    out.update(
        greedy_matched=int(g.size),
        greedy_total=greedy_total,
        greedy_gap_pct=100 * (greedy_total - total) / total if total else 0.0,
    )
    return out


def _near_pairs(
    requests: list[RequestSpec], volunteers: list[VolunteerSpec], k: int = 128
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feasible pairs among each request's k nearest volunteers (for the greedy baseline)."""
    from scipy.spatial import cKDTree

    from matching.cost import unit_vectors

    req, vol = to_arrays(requests, volunteers)
    tree = cKDTree(unit_vectors(vol.lat, vol.lon))
    _, idx = tree.query(unit_vectors(req.lat, req.lon), k=min(k, len(volunteers)))
    ri = np.repeat(np.arange(len(requests), dtype=np.int64), idx.shape[1])
    vi = idx.reshape(-1).astype(np.int64)
    pairs = evaluate_pairs(ri, vi, req, vol, WEIGHTS)
    ok = pairs.feasible
    return ri[ok], vi[ok], pairs.distance[ok]


def _fmt(value: object, spec: str) -> str:
    width = spec.lstrip("<>^").split(".")[0]
    if value is None:
        return format("—", f">{width}")
    return format(str(value) if isinstance(value, bool) else value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the matching engine.")
    parser.add_argument("--sizes", nargs="*", default=None, help="e.g. 5000x15000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="only up to 5,000 x 15,000")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case
    args = parser.parse_args()
    if args.case:
        n_req, n_vol = (int(x) for x in args.case.split("x"))
        print(json.dumps(run_case(n_req, n_vol, args.repeat, args.case in SHORT_SIZES)))
        return
    sizes = args.sizes or (DEFAULT_SIZES[:4] if args.quick else DEFAULT_SIZES)
    rows = []
    print(
        "plan() = build (specs -> arrays) + solve, median of the repeats after a warm-up; peak ="
        " max(ru_maxrss - RSS before, tracemalloc peak) in a fresh subprocess per case; dense ="
        f" full cost matrix + linear_sum_assignment, skipped above {DENSE_LIMIT:,} cells; greedy"
        " = nearest free feasible volunteer in window-start order (above the dense limit among"
        " each request's 128 nearest); gap = its extra total cost over the optimum",
        flush=True,
    )
    print(
        f"{'requests x volunteers':>24} {'area':<5} {'plan s':>7} {'build ms':>8} {'solve ms':>8}"
        f" {'peak MB':>7} {'matched':>7} {'total cost':>12} {'pairs':>8} {'k':>4} {'wid':>3}"
        f" | {'dense s':>7} {'lsa s':>6} {'optimal':>7} | {'greedy':>6} {'gap %':>6}",
        flush=True,
    )
    for size in sizes:
        n_req = int(size.split("x")[0])
        repeat = args.repeat if n_req <= 20000 else max(1, min(args.repeat, 3))
        proc = subprocess.run(
            [sys.executable, "-m", "matching.bench", "--case", size, "--repeat", str(repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{row['requests']:>11,} x {row['volunteers']:>10,} {row['area']:<5}"
            f" {row['solve_s']:7.3f} {row['build_ms']:8.0f} {row['solve_ms']:8.0f}"
            f" {row['peak_mb']:7.1f} {row['matched']:>7,} {row['total_cost']:>12,.0f}"
            f" {row['candidate_pairs']:>8,} {row['k_final']:>4} {row['widenings']:>3}"
            f" | {_fmt(row.get('dense_s'), '7.2f')} {_fmt(row.get('dense_lsa_s'), '6.2f')}"
            f" {_fmt(row.get('optimal'), '>7')} | {row['greedy_matched']:>6,}"
            f" {row['greedy_gap_pct']:+6.1f}",
            flush=True,
        )
        if "old_s" in row:
            print(
                f"{'':>24} supply short: old search {row['old_s']:.3f} s in the same process,"
                f" {row['old_ratio']:.1f}x slower; same optimum: {row['old_same']}",
                flush=True,
            )
    rounds = _rounds_row(args.repeat)
    target = next((r for r in rows if (r["requests"], r["volunteers"]) == (5000, 15000)), rows[-1])
    short = next((r for r in rows if "old_s" in r), None)
    print(
        json.dumps(
            {
                "requests": target["requests"],
                "volunteers": target["volunteers"],
                "solve_s": round(float(target["solve_s"]), 4),
                "peak_mb": round(float(target["peak_mb"]), 1),
                "dense_s": None
                if target.get("dense_s") is None
                else round(float(target["dense_s"]), 3),
                "dense_lsa_s": None
                if target.get("dense_lsa_s") is None
                else round(float(target["dense_lsa_s"]), 3),
                "speedup_vs_dense": None
                if target.get("dense_s") is None
                else round(float(target["dense_s"]) / float(target["solve_s"]), 1),
                "greedy_gap_pct": round(float(target["greedy_gap_pct"]), 2),
                "optimal": target.get("optimal"),
                "matched": target["matched"],
                "short_s": None if short is None else round(float(short["solve_s"]), 4),
                "short_old_s": None if short is None else round(float(short["old_s"]), 4),
                "short_ratio": None if short is None else round(float(short["old_ratio"]), 1),
                "short_optimal": None if short is None else short.get("optimal"),
                "rounds_s": round(float(rounds["rounds_s"]), 3),
                "rounds_gap_pct": rounds["rounds_gap_pct"],
            }
        )
    )


def _rounds_row(repeat: int) -> dict[str, Any]:
    """Run matching.bench_rounds (5,000 x 2,000, capacities 1-3) in a fresh process; print it."""
    proc = subprocess.run(
        [sys.executable, "-m", "matching.bench_rounds", "--repeat", str(min(repeat, 3))],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = proc.stdout.strip().splitlines()
    print("\n".join(lines[:-1]), flush=True)
    row: dict[str, Any] = json.loads(lines[-1])
    return row


if __name__ == "__main__":
    main()
