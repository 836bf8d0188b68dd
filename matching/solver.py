"""Optimal assignment: most requests matched, then least total cost (numpy/scipy, pure).

Candidates come from a k-d tree (the k nearest volunteers of each request, within reach); the
assignment is a sparse minimum-weight full bipartite matching with one "unassigned" column per
request. Pruning to k candidates is a heuristic, so the solver checks where it could have
mattered and widens k for those requests until it could not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: Evaluate pairs (request indices, volunteer indices) -> (feasible, cost).
Evaluate = Callable[[Ints, Ints], tuple[Bools, Floats]]


@dataclass(frozen=True)
class Solution:
    #: Per request, the index of its volunteer, or -1 when unassigned.
    volunteer_of: Ints
    #: Per request, the cost of its pair (nan when unassigned).
    cost_of: Floats
    k_final: int
    widenings: int
    candidate_pairs: int


def unassigned_weight(max_cost: float, n: int) -> float:
    """Return a weight for "unassigned" so large that one more match always beats any saving."""
    # After shifting real weights into [1, max_cost], m+1 matches cost at most (m+1)*max_cost,
    # less than any m matches plus one more unassigned column.
    return (max_cost + 1.0) * (n + 1) + 1.0


def match_candidates(n_requests: int, ri: Ints, vi: Ints, cost: Floats) -> Ints:
    """Solve the lexicographic problem on explicit candidate pairs; return volunteer_of."""
    if ri.size == 0:
        return np.full(n_requests, -1, dtype=np.int64)
    return _match(n_requests, ri, vi, cost, (float(cost.min()), float(cost.max())))[0]


def _match(
    n_requests: int, ri: Ints, vi: Ints, cost: Floats, bounds: tuple[float, float]
) -> tuple[Ints, Floats, float]:
    """Return volunteer_of, each request's potential, and the shift applied to the weights.

    bounds: the least and the greatest cost any pair could have, seen or not, so that weights
    and the "unassigned" weight mean the same for pairs not yet in the graph.

    The potentials are shortest-path distances in the residual graph of the optimal matching
    (from a virtual source joined to every node): with them every residual edge has a
    non-negative reduced cost, so a pair (r, v) not in the graph could improve the optimum
    only if its shifted weight w satisfies w + potential[r] - potential[v] < 0, and since
    potential[v] <= 0, only if w + potential[r] < 0.
    """
    volunteer_of = np.full(n_requests, -1, dtype=np.int64)
    shift = bounds[0] - 1.0
    big = unassigned_weight(bounds[1] - shift, n_requests)
    if n_requests == 0 or ri.size == 0:
        return volunteer_of, np.full(n_requests, -big), shift
    volunteers, col = np.unique(vi, return_inverse=True)
    n_cols = volunteers.size
    shifted = cost - shift  # strictly positive: explicit zeros are not edges
    rows = np.concatenate((ri, np.arange(n_requests)))
    cols = np.concatenate((col, n_cols + np.arange(n_requests)))
    weights = np.concatenate((shifted, np.full(n_requests, big)))
    graph = csr_matrix((weights, (rows, cols)), shape=(n_requests, n_cols + n_requests))
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    col_of = np.empty(n_requests, dtype=np.int64)
    col_of[row_ind] = col_ind
    real = col_ind < n_cols
    volunteer_of[row_ind[real]] = volunteers[col_ind[real]]

    # residual graph: unmatched edges row -> column (w), matched edges column -> row (-w)
    matched = col_of[rows] == cols
    col_node = n_requests + cols
    src = np.where(matched, col_node, rows)
    dst = np.where(matched, rows, col_node)
    w = np.where(matched, -weights, weights)
    order = np.argsort(dst, kind="stable")
    src, dst, w = src[order], dst[order], w[order]
    targets, starts = np.unique(dst, return_index=True)
    dist = np.zeros(n_requests + n_cols + n_requests)
    for _ in range(dist.size):  # Bellman-Ford, vectorised; no negative cycle at an optimum
        best = np.minimum.reduceat(dist[src] + w, starts)
        improved = best < dist[targets] - 1e-9 * big
        if not improved.any():
            break
        dist[targets[improved]] = best[improved]
    return volunteer_of, dist[:n_requests], shift


def solve(
    request_xyz: Floats,
    volunteer_xyz: Floats,
    *,
    reach_chord: float,
    chord_to_m: Callable[[Floats], Floats],
    evaluate: Evaluate,
    min_extra_cost: Floats | float,
    max_cost: float,
    k: int = 16,
) -> Solution:
    """Assign requests to volunteers optimally, widening candidate lists where pruning could bite.

    reach_chord: the largest reach of any volunteer, as a unit-sphere chord; chord_to_m turns
    chords into metres; min_extra_cost: per request (or one for all), a lower bound of a pair's
    cost minus its distance (the largest bonus it could get, negated), used to tell whether an
    unseen farther volunteer could be cheaper than the chosen one.
    """
    n_req, n_vol = request_xyz.shape[0], volunteer_xyz.shape[0]
    empty = Solution(np.full(n_req, -1, np.int64), np.full(n_req, np.nan), 0, 0, 0)
    if n_req == 0 or n_vol == 0:
        return empty
    tree = cKDTree(volunteer_xyz)
    k_of = np.full(n_req, min(k, n_vol), dtype=np.int64)
    # per request: the farthest distance looked at, and whether the look stopped at k (more
    # volunteers within reach may exist)
    horizon = np.zeros(n_req)
    truncated = np.zeros(n_req, dtype=bool)

    def look(requests: Ints) -> tuple[Ints, Ints, Floats]:
        """Return the feasible candidate pairs of these requests within their k nearest."""
        parts: list[tuple[Ints, Ints, Floats]] = []
        for kk in np.unique(k_of[requests]).tolist():
            group = requests[k_of[requests] == kk]
            dist, idx = tree.query(
                request_xyz[group], k=kk, distance_upper_bound=reach_chord * (1 + 1e-9)
            )
            dist = np.asarray(dist).reshape(group.size, kk)
            idx = np.asarray(idx).reshape(group.size, kk)
            found = idx < n_vol
            truncated[group] = found[:, -1] & (kk < n_vol)
            horizon[group] = chord_to_m(np.where(found[:, -1], dist[:, -1], reach_chord))
            rows = np.repeat(group, found.sum(axis=1))
            vols = idx[found].astype(np.int64)
            ok, cost = evaluate(rows, vols)
            parts.append((rows[ok], vols[ok], cost[ok]))
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )

    ri, vi, cost = look(np.arange(n_req, dtype=np.int64))
    bounds = (float(np.min(min_extra_cost)), max_cost)
    widenings = 0
    while True:
        order = np.lexsort((vi, ri))
        ri, vi, cost = ri[order], vi[order], cost[order]
        volunteer_of, potential, shift = _match(n_req, ri, vi, cost, bounds)
        assigned = volunteer_of >= 0
        cost_of = np.full(n_req, np.nan)
        if assigned.any():
            # pairs are sorted by (request, volunteer): find each chosen pair by its key
            keys = ri * n_vol + vi
            chosen = np.flatnonzero(assigned)
            cost_of[chosen] = cost[np.searchsorted(keys, chosen * n_vol + volunteer_of[chosen])]
        # a volunteer not looked at is at least `horizon` away, so its pair costs at least
        # horizon + min_extra_cost; it could improve the optimum only where that undercuts
        # the request's potential (see _match)
        unseen_weight = horizon + min_extra_cost - shift
        widen = np.flatnonzero(truncated & (unseen_weight + potential < -1e-9)).astype(np.int64)
        if widen.size == 0:
            return Solution(volunteer_of, cost_of, int(k_of.max()), widenings, int(ri.size))
        widenings += 1
        k_of[widen] = np.minimum(k_of[widen] * 2, n_vol)
        keep = ~np.isin(ri, widen)
        new_ri, new_vi, new_cost = look(widen)
        ri = np.concatenate((ri[keep], new_ri))
        vi = np.concatenate((vi[keep], new_vi))
        cost = np.concatenate((cost[keep], new_cost))


def solve_dense(cost: Floats) -> Ints:
    """Solve on a full cost matrix (np.inf = infeasible) with linear_sum_assignment: a reference."""
    n_req = cost.shape[0]
    volunteer_of = np.full(n_req, -1, dtype=np.int64)
    feasible = np.isfinite(cost)
    if not feasible.any():
        return volunteer_of
    shifted = np.where(feasible, cost - cost[feasible].min() + 1.0, 0.0)
    big = unassigned_weight(float(shifted.max()), min(cost.shape))
    matrix = np.where(feasible, shifted, big)
    rows, cols = linear_sum_assignment(matrix)
    real = feasible[rows, cols]
    volunteer_of[rows[real]] = cols[real]
    return volunteer_of


def greedy_nearest(order: Ints, ri: Ints, vi: Ints, distance: Floats, n_requests: int) -> Ints:
    """Baseline: each request in turn takes the nearest free feasible volunteer (the phone tree)."""
    volunteer_of = np.full(n_requests, -1, dtype=np.int64)
    by_pair = np.lexsort((distance, ri))
    ri, vi = ri[by_pair], vi[by_pair]
    starts = np.searchsorted(ri, np.arange(n_requests))
    ends = np.searchsorted(ri, np.arange(n_requests), side="right")
    taken: set[int] = set()
    for r in order.tolist():
        for v in vi[starts[r] : ends[r]].tolist():
            if v not in taken:
                taken.add(v)
                volunteer_of[r] = v
                break
    return volunteer_of
