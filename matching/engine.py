"""plan(): from requests and volunteers to proposals and reasons (pure: numpy, scipy, stdlib)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
from scipy.spatial import cKDTree

from matching.cost import (
    Floats,
    Ints,
    RequestArrays,
    VolunteerArrays,
    Weights,
    chord_for,
    evaluate_pairs,
    first_failing_constraint,
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
from matching.solver import Bools, solve

#: Reason codes in the order the constraints are checked, with the words an SC reads.
REASONS = (
    ("nobody_nearby", "徒歩圏内（各担い手の移動距離内）に担い手がいません。"),
    ("no_skill", "近くに、この活動に必要なスキルを持つ担い手がいません。"),
    ("trial_only", "近くにいるのはおためしボランティアだけで、この活動はおためし対象外です。"),
    ("not_available", "近くの担い手は、この時間帯に活動できません。"),
    ("declined", "近くで活動できる担い手は、この依頼を辞退したか、同じ時間に別の活動があります。"),
    ("all_taken", "条件に合う担い手はいますが、他の依頼に割り当てられました。"),
)


def _local_week_minutes(requests: Sequence[RequestSpec], tz: ZoneInfo) -> tuple[Floats, Floats]:
    start = np.empty(len(requests))
    length = np.empty(len(requests))
    for i, r in enumerate(requests):
        local = r.window_start.astimezone(tz)
        start[i] = local.weekday() * 1440 + local.hour * 60 + local.minute + local.second / 60
        length[i] = (r.window_end - r.window_start) / dt.timedelta(minutes=1)
    return start, length


def _arrays(
    requests: Sequence[RequestSpec], volunteers: Sequence[VolunteerSpec], tz: ZoneInfo
) -> tuple[RequestArrays, VolunteerArrays, dict[str, int]]:
    vocabulary = sorted(
        {s for r in requests for s in r.required_skills} | {s for v in volunteers for s in v.skills}
    )
    if len(vocabulary) > 62:
        raise ValueError("at most 62 distinct skills fit the skill bitmask")
    bit = {s: 1 << i for i, s in enumerate(vocabulary)}

    def mask(skills: frozenset[str]) -> int:
        return sum(bit[s] for s in skills)

    window_start, window_len = _local_week_minutes(requests, tz)
    req = RequestArrays(
        lat=np.array([r.lat for r in requests], dtype=np.float64),
        lon=np.array([r.lon for r in requests], dtype=np.float64),
        resident=np.array([r.resident_id for r in requests], dtype=np.int64),
        skill_mask=np.array([mask(r.required_skills) for r in requests], dtype=np.int64),
        duration=np.array([r.duration_min for r in requests], dtype=np.float64),
        trial_ok=np.array([r.trial_ok for r in requests], dtype=bool),
        window_start=window_start,
        window_len=window_len,
    )
    n_vol = len(volunteers)
    n_slots = max((len(v.slots) for v in volunteers), default=0)
    slot_start = np.zeros((n_vol, max(n_slots, 1)))
    slot_end = np.zeros((n_vol, max(n_slots, 1)))
    for j, v in enumerate(volunteers):
        for s, slot in enumerate(v.slots):
            slot_start[j, s] = slot.weekday * 1440 + slot.start_min
            slot_end[j, s] = slot.weekday * 1440 + slot.end_min
    index_of_request = {r.id: i for i, r in enumerate(requests)}
    excluded = [
        index_of_request[rid] * n_vol + j
        for j, v in enumerate(volunteers)
        for rid in v.declined_request_ids
        if rid in index_of_request
    ]
    helped = [j * 2**31 + rid for j, v in enumerate(volunteers) for rid in v.helped_resident_ids]
    vol = VolunteerArrays(
        lat=np.array([v.lat for v in volunteers], dtype=np.float64),
        lon=np.array([v.lon for v in volunteers], dtype=np.float64),
        max_distance=np.array([v.max_distance_m for v in volunteers], dtype=np.float64),
        skill_mask=np.array([mask(v.skills) for v in volunteers], dtype=np.int64),
        is_trial=np.array([v.is_trial for v in volunteers], dtype=bool),
        slot_start=slot_start,
        slot_end=slot_end,
        recent_tasks=np.array([v.recent_tasks for v in volunteers], dtype=np.float64),
        first_task_trial=np.array(
            [v.is_trial and v.completed_tasks == 0 for v in volunteers], dtype=bool
        ),
        excluded_keys=np.unique(np.array(excluded, dtype=np.int64)),
        helped_keys=np.unique(np.array(helped, dtype=np.int64)),
    )
    return req, vol, bit


def plan(
    requests: Sequence[RequestSpec],
    volunteers: Sequence[VolunteerSpec],
    *,
    weights: CostWeights = CostWeights(),  # noqa: B008 - frozen, so sharing it is safe
    tz: str = "Asia/Tokyo",
    k: int = 32,
    keep: int | None = 8,
) -> MatchResult:
    """Propose volunteers for requests: most requests matched, then least total cost."""
    started = time.perf_counter()
    zone = ZoneInfo(tz)
    req, vol, _ = _arrays(requests, volunteers, zone)
    w = Weights(
        continuity=weights.continuity_bonus_m,
        load=weights.load_penalty_m_per_task,
        trial_first=weights.trial_first_task_bonus_m,
    )

    def evaluate(ri: Ints, vi: Ints) -> tuple[Bools, Floats]:
        pairs = evaluate_pairs(ri, vi, req, vol, w)
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
    pinned_arrays = (
        np.array([p[0] for p in pinned], dtype=np.int64),
        np.array([p[1] for p in pinned], dtype=np.int64),
    )
    reach = float(vol.max_distance.max(initial=0.0))
    solution = solve(
        unit_vectors(req.lat, req.lon) if requests else np.zeros((0, 3)),
        unit_vectors(vol.lat, vol.lon) if volunteers else np.zeros((0, 3)),
        reach_m=reach,
        evaluate=evaluate,
        cost_bounds=(
            -(w.continuity + w.trial_first),
            reach + float(vol.recent_tasks.max(initial=0.0)) * w.load,
        ),
        bonus_volunteers=vol.first_task_trial,
        bonus=np.where(req.trial_ok, -w.trial_first, 0.0),
        pinned=pinned_arrays,
        k=k,
        keep=keep,
    )
    solved = time.perf_counter()

    chosen = np.flatnonzero(solution.volunteer_of >= 0).astype(np.int64)
    terms = evaluate_pairs(chosen, solution.volunteer_of[chosen], req, vol, w)
    costs = terms.cost
    proposals = tuple(
        Proposal(
            request_id=requests[r].id,
            volunteer_id=volunteers[int(solution.volunteer_of[r])].id,
            distance_m=float(terms.distance[i]),
            cost=float(costs[i]),
            reasons={
                "distance": float(terms.distance[i]),
                "continuity": float(terms.continuity[i]),
                "load": float(terms.load[i]),
                "trial_experience": float(terms.trial_experience[i]),
            },
        )
        for i, r in enumerate(chosen.tolist())
    )
    unmatched = tuple(_why_unmatched(requests, volunteers, solution.volunteer_of, req, vol, reach))
    total = float(costs.sum())
    return MatchResult(
        proposals=proposals,
        unmatched=unmatched,
        stats={
            "requests": len(requests),
            "volunteers": len(volunteers),
            "matched": len(proposals),
            "unmatched": len(unmatched),
            "total_cost": round(total, 1),
            "total_distance_m": round(float(terms.distance.sum()), 1),
            "candidate_pairs": solution.candidate_pairs,
            "k_final": solution.k_final,
            "widenings": solution.widenings,
            "solve_ms": round((solved - started) * 1000, 1),
        },
    )


def _why_unmatched(
    requests: Sequence[RequestSpec],
    volunteers: Sequence[VolunteerSpec],
    volunteer_of: Ints,
    req: RequestArrays,
    vol: VolunteerArrays,
    reach: float,
) -> list[Unmatched]:
    missing = np.flatnonzero(volunteer_of < 0)
    if missing.size == 0:
        return []
    out = []
    if volunteers:
        tree = cKDTree(unit_vectors(vol.lat, vol.lon))
        near = tree.query_ball_point(
            unit_vectors(req.lat[missing], req.lon[missing]), r=chord_for(reach) * (1 + 1e-9)
        )
    else:
        near = [[] for _ in missing]
    for r, candidates in zip(missing.tolist(), near, strict=True):
        vi = np.asarray(sorted(candidates), dtype=np.int64)
        failed, _ = first_failing_constraint(r, vi, req, vol)
        code, detail = REASONS[failed]
        out.append(Unmatched(request_id=requests[r].id, reason=code, detail=detail))
    return out
