"""plan(): from requests and volunteers to proposals and reasons (pure: numpy, scipy, stdlib)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from itertools import chain
from zoneinfo import ZoneInfo

import numpy as np
from scipy.spatial import cKDTree

from matching.cost import (
    US_PER_MIN,
    Bools,
    Floats,
    Ints,
    PairCosts,
    RequestArrays,
    VolunteerArrays,
    Weights,
    chord_of_m,
    evaluate_pairs,
    first_failing,
    merge_weekly_slots,
    too_late,
    unit_vectors,
)
from matching.domain import (
    CostWeights,
    MatchResult,
    Proposal,
    RequestSpec,
    Unmatched,
    VolunteerSpec,
)
from matching.solver import solve

#: Reason codes in the order the constraints are checked (CONSTRAINT_ORDER, then "all taken"),
#: with the words an SC reads.
REASONS = (
    ("too_late", "残り時間が作業時間に足りません。"),
    ("nobody_nearby", "徒歩圏内（各担い手の移動距離内）に担い手がいません。"),
    ("no_skill", "近くに、この活動に必要なスキルを持つ担い手がいません。"),
    ("trial_only", "近くにいるのはおためしボランティアだけで、この活動はおためし対象外です。"),
    ("not_available", "近くの担い手は、この時間帯に活動できません。"),
    ("declined", "近くで活動できる担い手は、この依頼を辞退したか、同じ時間に別の活動があります。"),
    ("all_taken", "条件に合う担い手はいますが、他の依頼に割り当てられました。"),
)

#: Resident ids share a key with volunteer indices in one int64: they must stay below this.
_RESIDENT_ID_LIMIT = 2**31


_US_PER_DAY = 1440 * US_PER_MIN


def _local_week_us(requests: Sequence[RequestSpec], tz: ZoneInfo) -> tuple[Ints, Ints]:
    """Return each window's local start (µs since Monday 00:00) and local length in µs.

    Whole microseconds are exact for datetimes: a window starting at 10:00:00.6 starts 600,000
    µs after 10:00, and nothing is rounded either way. Requests share a few windows (a
    category's window on a day): each distinct (start, end) is converted once.
    """
    one_us = dt.timedelta(microseconds=1)
    known: dict[tuple[dt.datetime, dt.datetime], tuple[int, int]] = {}

    def convert(window: tuple[dt.datetime, dt.datetime], request_id: int) -> tuple[int, int]:
        start, end = window
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError(f"request {request_id}: window times must be timezone-aware")
        local = start.astimezone(tz)
        local_end = end.astimezone(tz)
        week_us = (
            local.weekday() * _US_PER_DAY
            + (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000
            + local.microsecond
        )
        # wall-clock length, so that slots (wall-clock) compare right across a DST change
        length = (local_end.replace(tzinfo=None) - local.replace(tzinfo=None)) // one_us
        return week_us, length

    out = np.empty((len(requests), 2), dtype=np.int64)
    for i, r in enumerate(requests):
        window = (r.window_start, r.window_end)
        found = known.get(window)
        if found is None:
            # a naive datetime never equals an aware one, so it always lands here and raises
            found = known[window] = convert(window, r.id)
        out[i] = found
    return out[:, 0].copy(), out[:, 1].copy()


def to_arrays(
    requests: Sequence[RequestSpec], volunteers: Sequence[VolunteerSpec], tz: str = "Asia/Tokyo"
) -> tuple[RequestArrays, VolunteerArrays]:
    """Turn specs into the arrays cost.py works on (skills as bitmasks, times in whole µs).

    Each volunteer's slots are joined where they touch or overlap, across midnight and the end
    of the week too: 10:00-10:30 and 10:30-11:00 cover a 60-minute task.
    """
    zone = ZoneInfo(tz)
    vocabulary = sorted(
        {s for r in requests for s in r.required_skills} | {s for v in volunteers for s in v.skills}
    )
    if len(vocabulary) > 62:
        raise ValueError("at most 62 distinct skills fit the skill bitmask")
    bit = {s: 1 << i for i, s in enumerate(vocabulary)}
    masks: dict[frozenset[str], int] = {}

    def mask(skills: frozenset[str]) -> int:
        # specs share a handful of skill sets: compute each once
        if skills not in masks:
            masks[skills] = sum(bit[s] for s in skills)
        return masks[skills]

    window_start, window_len = _local_week_us(requests, zone)
    n_req = len(requests)
    req = RequestArrays(
        lat=np.fromiter((r.lat for r in requests), np.float64, n_req),
        lon=np.fromiter((r.lon for r in requests), np.float64, n_req),
        resident=np.fromiter((r.resident_id for r in requests), np.int64, n_req),
        skill_mask=np.fromiter((mask(r.required_skills) for r in requests), np.int64, n_req),
        duration=np.fromiter((r.duration_min for r in requests), np.int64, n_req) * US_PER_MIN,
        trial_ok=np.fromiter((r.trial_ok for r in requests), bool, n_req),
        window_start=window_start,
        window_len=window_len,
    )
    if n_req and (req.resident.min() < 0 or req.resident.max() >= _RESIDENT_ID_LIMIT):
        raise ValueError("resident ids must be in [0, 2**31)")
    n_vol = len(volunteers)
    slot_start, slot_end = _slot_arrays(volunteers)
    index_of_request = {r.id: i for i, r in enumerate(requests)}
    excluded = [
        index_of_request[rid] * n_vol + j
        for j, v in enumerate(volunteers)
        for rid in v.declined_request_ids
        if rid in index_of_request
    ]
    helped = [
        j * _RESIDENT_ID_LIMIT + rid
        for j, v in enumerate(volunteers)
        for rid in v.helped_resident_ids
        if 0 <= rid < _RESIDENT_ID_LIMIT
    ]
    vol = VolunteerArrays(
        lat=np.fromiter((v.lat for v in volunteers), np.float64, n_vol),
        lon=np.fromiter((v.lon for v in volunteers), np.float64, n_vol),
        max_distance=np.fromiter((v.max_distance_m for v in volunteers), np.float64, n_vol),
        skill_mask=np.fromiter((mask(v.skills) for v in volunteers), np.int64, n_vol),
        is_trial=np.fromiter((v.is_trial for v in volunteers), bool, n_vol),
        slot_start=slot_start,
        slot_end=slot_end,
        recent_tasks=np.fromiter((v.recent_tasks for v in volunteers), np.float64, n_vol),
        first_task_trial=np.fromiter(
            (v.is_trial and v.completed_tasks == 0 for v in volunteers), bool, n_vol
        ),
        recent_no_shows=np.fromiter((v.recent_no_shows for v in volunteers), np.float64, n_vol),
        excluded_keys=np.unique(np.array(excluded, dtype=np.int64)),
        helped_keys=np.unique(np.array(helped, dtype=np.int64)),
    )
    return req, vol


def _slot_arrays(volunteers: Sequence[VolunteerSpec]) -> tuple[Ints, Ints]:
    """Return every volunteer's joined weekly slots as (V, S) arrays of µs of the week."""
    counts = np.fromiter((len(v.slots) for v in volunteers), np.int64, len(volunteers))
    n = int(counts.sum())
    flat = [slot for v in volunteers for slot in v.slots]
    weekday = np.fromiter((slot.weekday for slot in flat), np.int64, n)
    start = np.fromiter((slot.start_min for slot in flat), np.int64, n)
    end = np.fromiter((slot.end_min for slot in flat), np.int64, n)
    owner = np.repeat(np.arange(len(volunteers), dtype=np.int64), counts)
    bad = np.flatnonzero(
        (weekday < 0) | (weekday > 6) | (start < 0) | (start >= end) | (end > 1440)
    )
    if bad.size:
        slot = flat[int(bad[0])]
        raise ValueError(f"volunteer {volunteers[int(owner[bad[0]])].id}: bad slot {slot}")
    return merge_weekly_slots(owner, weekday * 1440 + start, weekday * 1440 + end, len(volunteers))


def _weights(weights: CostWeights) -> Weights:
    return Weights(
        continuity=weights.continuity_bonus_m,
        load=weights.load_penalty_m_per_task,
        trial_first=weights.trial_first_task_bonus_m,
        no_show=weights.no_show_penalty_m,
    )


def dense_costs(
    requests: Sequence[RequestSpec],
    volunteers: Sequence[VolunteerSpec],
    *,
    weights: CostWeights = CostWeights(),  # noqa: B008 - frozen, so sharing it is safe
    tz: str = "Asia/Tokyo",
) -> Floats:
    """Return the full cost matrix, np.inf where a pair is infeasible (baselines and tests)."""
    req, vol = to_arrays(requests, volunteers, tz)
    w = _weights(weights)
    n_req, n_vol = len(requests), len(volunteers)
    cost = np.empty((n_req, n_vol))
    block = max(1, 2_000_000 // max(n_vol, 1))  # bounded temporaries
    vi_block = np.tile(np.arange(n_vol, dtype=np.int64), block)
    for a in range(0, n_req, block):
        b = min(n_req, a + block)
        ri = np.repeat(np.arange(a, b, dtype=np.int64), n_vol)
        pairs = evaluate_pairs(ri, vi_block[: ri.size], req, vol, w)
        cost[a:b] = np.where(pairs.feasible, pairs.cost, np.inf).reshape(b - a, n_vol)
    return cost


def plan(
    requests: Sequence[RequestSpec],
    volunteers: Sequence[VolunteerSpec],
    *,
    weights: CostWeights = CostWeights(),  # noqa: B008 - frozen, so sharing it is safe
    tz: str = "Asia/Tokyo",
    k: int = 4,
    supply_short: bool = True,
) -> MatchResult:
    """Propose volunteers for requests: most requests matched, then least total cost.

    k: feasible candidates first gathered per request; the result is optimal for any k >= 1
    (a small k only costs widening rounds). supply_short=False checks unmatched requests the
    old way, against everyone within reach (same result, slower; kept for the benchmark).
    """
    started = time.perf_counter()
    req, vol = to_arrays(requests, volunteers, tz)
    w = _weights(weights)
    # requests too short for their task are no one's: they are explained, never solved
    late = too_late(req)
    live = np.flatnonzero(~late).astype(np.int64)
    position = np.full(len(requests), -1, dtype=np.int64)
    position[live] = np.arange(live.size, dtype=np.int64)
    some_late = live.size < len(requests)

    def evaluate(ri: Ints, vi: Ints) -> tuple[Bools, Floats]:
        pairs = evaluate_pairs(live[ri] if some_late else ri, vi, req, vol, w)
        return pairs.feasible, pairs.cost

    # Pairs that may cost less than their distance: continuity pairs are always candidates;
    # first-task trial volunteers may give trial_ok requests their bonus.
    requests_of_resident: dict[int, list[int]] = {}
    for i, r in enumerate(requests):
        requests_of_resident.setdefault(r.resident_id, []).append(i)
    pinned = [
        (i, j)
        for j, v in enumerate(volunteers)
        for rid in v.helped_resident_ids
        for i in requests_of_resident.get(rid, ())
    ]
    pinned_ri = position[np.array([p[0] for p in pinned], dtype=np.int64)]
    pinned_vi = np.array([p[1] for p in pinned], dtype=np.int64)
    pinned_arrays = (pinned_ri[pinned_ri >= 0], pinned_vi[pinned_ri >= 0])
    reach = float(vol.max_distance.max(initial=0.0))
    built = time.perf_counter()
    solution = solve(
        unit_vectors(req.lat[live], req.lon[live]) if live.size else np.zeros((0, 3)),
        unit_vectors(vol.lat, vol.lon) if volunteers else np.zeros((0, 3)),
        reach_m=reach,
        evaluate=evaluate,
        cost_bounds=(
            -(w.continuity + w.trial_first),
            reach
            + float(vol.recent_tasks.max(initial=0.0)) * w.load
            + float(vol.recent_no_shows.max(initial=0.0)) * w.no_show,
        ),
        bonus_volunteers=vol.first_task_trial,
        bonus=np.where(req.trial_ok[live], -w.trial_first, 0.0),
        pinned=pinned_arrays,
        k=k,
        volunteer_reach_m=vol.max_distance,
        supply_short=supply_short,
    )
    solved = time.perf_counter()

    volunteer_of = np.full(len(requests), -1, dtype=np.int64)
    volunteer_of[live] = solution.volunteer_of
    chosen = np.flatnonzero(volunteer_of >= 0).astype(np.int64)
    terms = evaluate_pairs(chosen, volunteer_of[chosen], req, vol, w)
    proposals = _proposals(requests, volunteers, chosen, volunteer_of[chosen], terms)
    has_candidate = np.zeros(len(requests), dtype=bool)
    if solution.has_candidate is not None:
        has_candidate[live] = solution.has_candidate
    unmatched = _why_unmatched(requests, volunteer_of, req, vol, has_candidate)
    done = time.perf_counter()
    return MatchResult(
        proposals=proposals,
        unmatched=unmatched,
        stats={
            "requests": len(requests),
            "volunteers": len(volunteers),
            "matched": len(proposals),
            "unmatched": len(unmatched),
            "total_cost": round(float(terms.cost.sum()), 1),
            "total_distance_m": round(float(terms.distance.sum()), 1),
            "candidate_pairs": solution.candidate_pairs,
            "k_initial": k,
            "k_final": solution.k_final,
            "widenings": solution.widenings,
            "widened_requests": solution.widened_requests,
            "solves": solution.solves,
            "repairs": solution.repairs,
            "build_ms": round((built - started) * 1000, 1),
            "solve_ms": round((solved - built) * 1000, 1),
            "total_ms": round((done - started) * 1000, 1),
        },
    )


def _proposals(
    requests: Sequence[RequestSpec],
    volunteers: Sequence[VolunteerSpec],
    ri: Ints,
    vi: Ints,
    terms: PairCosts,
) -> tuple[Proposal, ...]:
    columns = zip(
        ri.tolist(),
        vi.tolist(),
        terms.distance.tolist(),
        terms.continuity.tolist(),
        terms.load.tolist(),
        terms.trial_experience.tolist(),
        terms.no_show.tolist(),
        strict=True,
    )
    return tuple(
        Proposal(
            request_id=requests[r].id,
            volunteer_id=volunteers[v].id,
            distance_m=d,
            cost=d + c + load + t + n,
            reasons={
                "distance": d,
                "continuity": c,
                "load": load,
                "trial_experience": t,
                "no_show": n,
            },
        )
        for r, v, d, c, load, t, n in columns
    )


def _why_unmatched(
    requests: Sequence[RequestSpec],
    volunteer_of: Ints,
    req: RequestArrays,
    vol: VolunteerArrays,
    has_candidate: Bools,
) -> tuple[Unmatched, ...]:
    missing = np.flatnonzero(volunteer_of < 0).astype(np.int64)
    if missing.size == 0:
        return ()
    # too late (0) whoever is near; otherwise nobody within reach (1) unless someone is
    first = np.where(too_late(req)[missing], 0, 1).astype(np.int64)
    # a request with a feasible pair the solver found passes every check: all taken
    first[has_candidate[missing]] = len(REASONS) - 1
    searched = np.flatnonzero(first == 1)
    if vol.lat.size and searched.size:
        # From each volunteer's side, within its own reach (a pair beyond it fails the distance
        # check anyway): a request's reason is the furthest any of its pairs gets through the
        # checks, so volunteers can be taken a block at a time (bounded pair arrays).
        chunk = missing[searched]
        tree = cKDTree(unit_vectors(req.lat[chunk], req.lon[chunk]))
        radius = chord_of_m(vol.max_distance) * (1 + 1e-9)
        xyz = unit_vectors(vol.lat, vol.lon)
        for a in range(0, vol.lat.size, 20000):
            b = min(vol.lat.size, a + 20000)
            near = tree.query_ball_point(xyz[a:b], r=radius[a:b], return_sorted=False)
            counts = np.fromiter(map(len, near), np.int64, b - a)
            local = np.fromiter(chain.from_iterable(near), np.int64, int(counts.sum()))
            vi = np.repeat(np.arange(a, b, dtype=np.int64), counts)
            first[searched] = np.maximum(
                first[searched], first_failing(chunk[local], vi, req, vol)[chunk]
            )
    return tuple(
        Unmatched(request_id=requests[r].id, reason=REASONS[f][0], detail=REASONS[f][1])
        for r, f in zip(missing.tolist(), first.tolist(), strict=True)
    )
