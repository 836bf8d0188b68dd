"""Feasibility and cost of request/volunteer pairs, vectorised over arrays of pairs (pure numpy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8
MINUTES_PER_WEEK = 7 * 1440

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def haversine_m(lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
    """Return great-circle distances in metres (haversine, Earth radius 6,371,008.8 m)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    metres: Floats = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return metres


def unit_vectors(lat: Floats, lon: Floats) -> Floats:
    """Return points on the unit sphere (for a k-d tree whose chords order like arcs)."""
    p, la = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(p) * np.cos(la), np.cos(p) * np.sin(la), np.sin(p)))


def chord_for(metres: float) -> float:
    """Return the unit-sphere chord length of an arc of this many metres."""
    return float(2 * np.sin(min(metres / EARTH_RADIUS_M, np.pi) / 2))


def chord_of_m(metres: Floats) -> Floats:
    """Return unit-sphere chord lengths of arcs of these many metres."""
    chord: Floats = 2 * np.sin(np.minimum(metres / EARTH_RADIUS_M, np.pi) / 2)
    return chord


def m_of_chord(chord: Floats) -> Floats:
    """Return the arc lengths in metres of these unit-sphere chords."""
    metres: Floats = 2 * EARTH_RADIUS_M * np.arcsin(np.clip(chord / 2, 0.0, 1.0))
    return metres


def slot_overlap_min(
    window_start: Floats, window_len: Floats, slot_start: Floats, slot_end: Floats
) -> Floats:
    """Return, per pair, the largest overlap in minutes of one weekly slot with the window.

    window_start: minutes since Monday 00:00 local of the window's first week, shape (P,);
    window_len: minutes, (P,); slot_start/slot_end: minutes of the week, (P, S), empty slots
    padded with start == end. Windows longer than a week meet each slot several times.
    """
    window_end = window_start + window_len
    weeks = int(np.ceil(window_end.max(initial=0.0) / MINUTES_PER_WEEK))
    overlap = np.minimum(window_end[:, None], slot_end) - np.maximum(
        window_start[:, None], slot_start
    )
    best: Floats = overlap.max(axis=1, initial=0.0)
    for k in range(1, weeks):
        shift = k * MINUTES_PER_WEEK
        # the slots' k-th week matters only to windows that reach into it
        p = np.flatnonzero(window_end > shift)
        overlap = np.minimum(window_end[p, None], slot_end[p] + shift) - np.maximum(
            window_start[p, None], slot_start[p] + shift
        )
        best[p] = np.maximum(best[p], overlap.max(axis=1, initial=0.0))
    return best


@dataclass(frozen=True)
class RequestArrays:
    lat: Floats
    lon: Floats
    resident: Ints
    skill_mask: Ints
    duration: Floats
    trial_ok: Bools
    window_start: Floats  # minutes since the local Monday 00:00 of the window's week
    window_len: Floats


@dataclass(frozen=True)
class VolunteerArrays:
    lat: Floats
    lon: Floats
    max_distance: Floats
    skill_mask: Ints
    is_trial: Bools
    slot_start: Floats  # (V, S) minutes of the week; padding has start == end == 0
    slot_end: Floats
    recent_tasks: Floats
    first_task_trial: Bools  # on trial and no completed task yet
    excluded_keys: Ints  # sorted request_index * V + volunteer_index never to pair
    helped_keys: Ints  # sorted volunteer_index * 2**31 + resident_id (continuity)


@dataclass(frozen=True)
class Weights:
    continuity: float
    load: float
    trial_first: float


@dataclass(frozen=True)
class PairCosts:
    feasible: Bools
    distance: Floats
    continuity: Floats
    load: Floats
    trial_experience: Floats

    @property
    def cost(self) -> Floats:
        return self.distance + self.continuity + self.load + self.trial_experience


def _in_sorted(keys: Ints, table: Ints) -> Bools:
    if table.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(table, keys), table.size - 1)
    found: Bools = table[pos] == keys
    return found


def evaluate_pairs(
    ri: Ints, vi: Ints, req: RequestArrays, vol: VolunteerArrays, weights: Weights
) -> PairCosts:
    """Check every hard constraint and price every pair (ri[p], vi[p])."""
    n_vol = vol.lat.shape[0]
    distance = haversine_m(req.lat[ri], req.lon[ri], vol.lat[vi], vol.lon[vi])
    feasible = distance <= vol.max_distance[vi]
    feasible &= (req.skill_mask[ri] & ~vol.skill_mask[vi]) == 0
    feasible &= req.trial_ok[ri] | ~vol.is_trial[vi]
    # the slot overlap is the costly check: only for pairs that pass the cheap ones
    alive = np.flatnonzero(feasible)
    r, v = ri[alive], vi[alive]
    ok = ~_in_sorted(r * n_vol + v, vol.excluded_keys)
    ok &= (
        slot_overlap_min(req.window_start[r], req.window_len[r], vol.slot_start[v], vol.slot_end[v])
        >= req.duration[r]
    )
    feasible[alive] = ok
    helped = _in_sorted(vi * 2**31 + req.resident[ri], vol.helped_keys)
    return PairCosts(
        feasible=feasible,
        distance=distance,
        continuity=np.where(helped, -weights.continuity, 0.0),
        load=vol.recent_tasks[vi] * weights.load,
        trial_experience=np.where(vol.first_task_trial[vi], -weights.trial_first, 0.0),
    )


#: Hard constraints in the order an unmatched request's reason is looked for.
CONSTRAINT_ORDER = ("distance", "skills", "trial", "availability", "declined")


def first_failing(ri: Ints, vi: Ints, req: RequestArrays, vol: VolunteerArrays) -> Ints:
    """Return, per pair's request, the first constraint in CONSTRAINT_ORDER that leaves nobody.

    ri, vi: every volunteer near each request (pairs). The result has one entry per request:
    the index into CONSTRAINT_ORDER, or len(CONSTRAINT_ORDER) when some pair passes them all;
    a request without pairs gets 0 (nobody within reach).
    """
    n = req.lat.shape[0]
    first = np.full(n, len(CONSTRAINT_ORDER), dtype=np.int64)
    decided = np.zeros(n, dtype=bool)
    n_vol = vol.lat.shape[0]
    for i, name in enumerate(CONSTRAINT_ORDER):
        if name == "distance":
            distance = haversine_m(req.lat[ri], req.lon[ri], vol.lat[vi], vol.lon[vi])
            ok: Bools = distance <= vol.max_distance[vi]
        elif name == "skills":
            ok = (req.skill_mask[ri] & ~vol.skill_mask[vi]) == 0
        elif name == "trial":
            ok = req.trial_ok[ri] | ~vol.is_trial[vi]
        elif name == "availability":
            overlap = slot_overlap_min(
                req.window_start[ri], req.window_len[ri], vol.slot_start[vi], vol.slot_end[vi]
            )
            ok = overlap >= req.duration[ri]
        else:
            ok = ~_in_sorted(ri * n_vol + vi, vol.excluded_keys)
        ri, vi = ri[ok], vi[ok]
        left = np.bincount(ri, minlength=n) > 0
        newly = ~left & ~decided
        first[newly] = i
        decided |= newly
    return first
