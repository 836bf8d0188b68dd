"""Feasibility and cost of request/volunteer pairs, vectorised over arrays of pairs (pure numpy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8
MINUTES_PER_WEEK = 7 * 1440
#: Times are whole microseconds (int64): exact for Python datetimes, so nothing is rounded.
US_PER_MIN = 60_000_000
US_PER_WEEK = MINUTES_PER_WEEK * US_PER_MIN
#: A slot joined all week round runs from 0 to ALWAYS_MIN minutes.
ALWAYS_MIN = 2**32

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


def merge_weekly_slots(
    owner: Ints, start_min: Ints, end_min: Ints, n_owners: int
) -> tuple[Ints, Ints]:
    """Join each owner's touching or overlapping weekly slots; return (V, S) start/end in µs.

    owner: the index of each slot's owner, shape (N,); start_min/end_min: minutes of the week
    (weekday * 1440 + minutes since midnight). Slots join across midnight, and across the end of
    the week too: Sunday 22:00-24:00 and Monday 00:00-02:00 become Sunday 22:00 to 10,080 + 120
    minutes (windows start within their week, so the Monday slot also stays where it is). A week
    without a gap is one slot from 0 to ALWAYS. Rows are padded with start == end == 0, which
    overlaps nothing.
    """
    n = owner.size
    if n == 0:
        empty = np.zeros((n_owners, 1), dtype=np.int64)
        return empty, empty.copy()
    order = np.lexsort((start_min, owner))
    owner, start, end = owner[order], start_min[order], end_min[order]
    # the furthest end so far within each owner: owners ascend, so offsetting each owner's ends
    # by owner * stride keeps the running maximum from leaking into the next owner
    stride = 4 * MINUTES_PER_WEEK
    reach = np.maximum.accumulate(owner * stride + end) - owner * stride
    begins = np.ones(n, dtype=bool)
    begins[1:] = (owner[1:] != owner[:-1]) | (start[1:] > reach[:-1])
    first = np.flatnonzero(begins)
    m_owner = owner[first]
    m_start = start[first]
    m_end = reach[np.append(first[1:], n) - 1]
    # each owner's first and last joined slot: do they meet at Monday 00:00?
    g_first = np.flatnonzero(np.append(True, m_owner[1:] != m_owner[:-1]))
    g_last = np.append(g_first[1:], m_owner.size) - 1
    meets = (m_start[g_first] == 0) & (m_end[g_last] == MINUTES_PER_WEEK)
    whole = meets & (g_first == g_last)
    wrap = meets & (g_first != g_last)
    m_end[g_last[wrap]] = MINUTES_PER_WEEK + m_end[g_first[wrap]]
    m_end[g_first[whole]] = ALWAYS_MIN
    rank = np.arange(m_owner.size) - np.repeat(g_first, g_last - g_first + 1)
    width = int(rank.max()) + 1
    slot_start = np.zeros((n_owners, width), dtype=np.int64)
    slot_end = np.zeros((n_owners, width), dtype=np.int64)
    slot_start[m_owner, rank] = m_start * US_PER_MIN
    slot_end[m_owner, rank] = m_end * US_PER_MIN
    return slot_start, slot_end


def slot_overlap_us(window_start: Ints, window_len: Ints, slot_start: Ints, slot_end: Ints) -> Ints:
    """Return, per pair, the largest overlap in µs of one (joined) weekly slot with the window.

    window_start: µs since Monday 00:00 local of the window's first week, shape (P,);
    window_len: µs, (P,); slot_start/slot_end: µs of the week, (P, S), empty slots padded with
    start == end. Integers throughout, so a comparison with a duration is exact. Windows longer
    than a week meet each slot several times.
    """
    window_end = window_start + window_len
    weeks = -(-int(window_end.max(initial=0)) // US_PER_WEEK)
    overlap = np.minimum(window_end[:, None], slot_end) - np.maximum(
        window_start[:, None], slot_start
    )
    best: Ints = overlap.max(axis=1, initial=0)
    for k in range(1, weeks):
        shift = k * US_PER_WEEK
        # the slots' k-th week matters only to windows that reach into it
        p = np.flatnonzero(window_end > shift)
        overlap = np.minimum(window_end[p, None], slot_end[p] + shift) - np.maximum(
            window_start[p, None], slot_start[p] + shift
        )
        best[p] = np.maximum(best[p], overlap.max(axis=1, initial=0))
    return best


@dataclass(frozen=True)
class RequestArrays:
    lat: Floats
    lon: Floats
    resident: Ints
    skill_mask: Ints
    duration: Ints  # µs
    trial_ok: Bools
    window_start: Ints  # µs since the local Monday 00:00 of the window's week
    window_len: Ints  # µs of wall-clock time


@dataclass(frozen=True)
class VolunteerArrays:
    lat: Floats
    lon: Floats
    max_distance: Floats
    skill_mask: Ints
    is_trial: Bools
    slot_start: Ints  # (V, S) µs of the week, joined (merge_weekly_slots); padding 0, 0
    slot_end: Ints
    recent_tasks: Floats
    first_task_trial: Bools  # on trial and no completed task yet
    recent_no_shows: Floats  # no-shows in the last 180 days
    excluded_keys: Ints  # sorted request_index * V + volunteer_index never to pair
    helped_keys: Ints  # sorted volunteer_index * 2**31 + resident_id (continuity)


@dataclass(frozen=True)
class Weights:
    continuity: float
    load: float
    trial_first: float
    no_show: float = 0.0


@dataclass(frozen=True)
class PairCosts:
    feasible: Bools
    distance: Floats
    continuity: Floats
    load: Floats
    trial_experience: Floats
    no_show: Floats

    @property
    def cost(self) -> Floats:
        return self.distance + self.continuity + self.load + self.trial_experience + self.no_show


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
        slot_overlap_us(req.window_start[r], req.window_len[r], vol.slot_start[v], vol.slot_end[v])
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
        no_show=vol.recent_no_shows[vi] * weights.no_show,
    )


#: Constraints in the order an unmatched request's reason is looked for: first the request's own
#: window (enough time left for the task), then the hard constraints of its pairs.
CONSTRAINT_ORDER = ("time_left", "distance", "skills", "trial", "availability", "declined")


def too_late(req: RequestArrays) -> Bools:
    """Return, per request, whether its window is shorter than its task (nobody could do it)."""
    late: Bools = req.window_len < req.duration
    return late


def first_failing(ri: Ints, vi: Ints, req: RequestArrays, vol: VolunteerArrays) -> Ints:
    """Return, per request, the first constraint in CONSTRAINT_ORDER that leaves nobody.

    ri, vi: every volunteer near each request (pairs). The result has one entry per request:
    the index into CONSTRAINT_ORDER, or len(CONSTRAINT_ORDER) when some pair passes them all;
    a request too short for its task gets 0 whoever is near, one without pairs 1 (nobody
    within reach).
    """
    n = req.lat.shape[0]
    late = too_late(req)
    first = np.where(late, 0, len(CONSTRAINT_ORDER)).astype(np.int64)
    decided = late.copy()
    keep = ~late[ri]
    ri, vi = ri[keep], vi[keep]
    n_vol = vol.lat.shape[0]
    for i, name in enumerate(CONSTRAINT_ORDER):
        if name == "time_left":
            continue
        if name == "distance":
            distance = haversine_m(req.lat[ri], req.lon[ri], vol.lat[vi], vol.lon[vi])
            ok: Bools = distance <= vol.max_distance[vi]
        elif name == "skills":
            ok = (req.skill_mask[ri] & ~vol.skill_mask[vi]) == 0
        elif name == "trial":
            ok = req.trial_ok[ri] | ~vol.is_trial[vi]
        elif name == "availability":
            overlap = slot_overlap_us(
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
