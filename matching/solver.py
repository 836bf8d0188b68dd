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
from scipy.sparse.csgraph import maximum_bipartite_matching, min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

from matching.cost import chord_of_m, m_of_chord

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
    #: The k of the first look (widened requests then look within a radius).
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
    # requests with no candidate stay unassigned; they price as if matched to "unassigned"
    active, ri = np.unique(ri, return_inverse=True)
    if active.size < n_requests:
        sub_of, sub_potential, _ = _match(active.size, ri.astype(np.int64), vi, cost, bounds)
        volunteer_of[active] = sub_of
        potential = np.full(n_requests, -big)
        potential[active] = sub_potential
        return volunteer_of, potential, shift
    volunteers, col = np.unique(vi, return_inverse=True)
    n_cols = volunteers.size
    shifted = cost - shift  # strictly positive: explicit zeros are not edges
    real_graph = csr_matrix((shifted, (ri, col)), shape=(n_requests, n_cols))
    # LAPJVsp's time grows with the columns, so give "unassigned" columns only to the requests
    # that some maximum matching leaves out; every other request is matched in all of them
    spare = _may_go_unmatched(real_graph)
    n_spare = spare.size
    rows = np.concatenate((ri, spare))
    cols = np.concatenate((col, n_cols + np.arange(n_spare)))
    weights = np.concatenate((shifted, np.full(n_spare, big)))
    graph = csr_matrix((weights, (rows, cols)), shape=(n_requests, n_cols + n_spare))
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
    dist = np.zeros(graph.shape[0] + graph.shape[1])
    for _ in range(dist.size):  # Bellman-Ford, vectorised; no negative cycle at an optimum
        best = np.minimum.reduceat(dist[src] + w, starts)
        improved = best < dist[targets] - 1e-9 * big
        if not improved.any():
            break
        dist[targets[improved]] = best[improved]
    return volunteer_of, dist[:n_requests], shift


def _may_go_unmatched(graph: csr_matrix) -> Ints:
    """Return the rows that some maximum matching leaves unmatched (Gallai-Edmonds).

    They are the rows reachable from the rows a maximum matching leaves out, by alternating
    paths: any column of a reached row, then the row that column is matched to.
    """
    col_of_row = maximum_bipartite_matching(graph, perm_type="column")
    row_of_col = np.full(graph.shape[1], -1, dtype=np.int64)
    matched = np.flatnonzero(col_of_row >= 0)
    row_of_col[col_of_row[matched]] = matched
    reached = col_of_row < 0
    frontier = np.flatnonzero(reached)
    while frontier.size:
        cols = np.unique(graph[frontier].indices)
        rows = row_of_col[cols]
        rows = rows[rows >= 0]
        frontier = np.unique(rows[~reached[rows]])
        reached[frontier] = True
    found: Ints = np.flatnonzero(reached).astype(np.int64)
    return found


def solve(
    request_xyz: Floats,
    volunteer_xyz: Floats,
    *,
    reach_m: float,
    evaluate: Evaluate,
    cost_bounds: tuple[float, float],
    bonus_volunteers: Bools | None = None,
    bonus: Floats | None = None,
    pinned: tuple[Ints, Ints] | None = None,
    k: int = 32,
    keep: int | None = None,
) -> Solution:
    """Assign requests to volunteers optimally, widening candidate lists where pruning could bite.

    request_xyz, volunteer_xyz: points on the unit sphere; reach_m: the largest reach of any
    volunteer; cost_bounds: the least and greatest cost any pair could have. A pair costs at
    least its distance, except pairs in `pinned` (always candidates) and pairs of a volunteer
    in `bonus_volunteers`, which may cost down to distance + bonus[request] (bonus <= 0).
    """
    n_req, n_vol = request_xyz.shape[0], volunteer_xyz.shape[0]
    if n_req == 0 or n_vol == 0:
        return Solution(np.full(n_req, -1, np.int64), np.full(n_req, np.nan), 0, 0, 0)
    reach_chord = float(chord_of_m(np.array([reach_m]))[0]) * (1 + 1e-9)
    k = min(k, n_vol)
    bonus = np.zeros(n_req) if bonus is None else bonus
    special = np.zeros(n_vol, bool) if bonus_volunteers is None else bonus_volunteers
    special_ids = np.flatnonzero(special).astype(np.int64)
    # Two views of what a request has not seen: every volunteer nearer than `horizon` was
    # looked at, and every bonus volunteer nearer than `bonus_horizon`; inf = all within reach.
    horizon = np.zeros(n_req)
    bonus_horizon = np.full(n_req, np.inf)
    trees = [cKDTree(volunteer_xyz)]

    def nearest(tree: cKDTree, xyz: Floats, kk: int) -> tuple[Ints, Ints, Floats]:
        dist, idx = tree.query(xyz, k=kk, distance_upper_bound=reach_chord)
        dist = np.asarray(dist).reshape(xyz.shape[0], kk)
        idx = np.asarray(idx).reshape(xyz.shape[0], kk)
        found = idx < tree.n
        last = np.where(found[:, -1], m_of_chord(dist[:, -1]), np.inf)
        # a look that stopped short of k found everyone within reach
        return np.repeat(np.arange(xyz.shape[0]), found.sum(axis=1)), idx[found], last

    def evaluated(rows: Ints, vols: Ints) -> tuple[Ints, Ints, Floats]:
        ok, cost = evaluate(rows, vols)
        return rows[ok], vols[ok], cost[ok]

    rows, vols, horizon[:] = nearest(trees[0], request_xyz, k)
    parts = [(rows.astype(np.int64), vols.astype(np.int64))]
    wants_bonus = np.flatnonzero(bonus < 0).astype(np.int64)
    if special_ids.size and wants_bonus.size:
        kb = min(max(4, k // 2), special_ids.size)
        trees.append(cKDTree(volunteer_xyz[special_ids]))
        rows, vols, bonus_horizon[wants_bonus] = nearest(trees[1], request_xyz[wants_bonus], kb)
        parts.append((wants_bonus[rows], special_ids[vols]))
    if pinned is not None:
        parts.append(pinned)
    ri, vi, cost = evaluated(
        np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    )
    # LAPJVsp's time grows with the number of columns, so keep only each request's `keep`
    # cheapest feasible pairs at first; the cheapest one dropped bounds what it has not got
    dropped = np.full(n_req, np.inf)
    shelf = (ri[:0], vi[:0], cost[:0])
    if keep is not None:
        order = np.lexsort((vi, cost, ri))
        ri, vi, cost = ri[order], vi[order], cost[order]
        rank = np.arange(ri.size) - np.searchsorted(ri, ri)
        out = rank >= keep
        np.minimum.at(dropped, ri[out], cost[out])
        shelf = (ri[out], vi[out], cost[out])
        ri, vi, cost = ri[~out], vi[~out], cost[~out]

    def look_within(requests: Ints, radius_m: Floats) -> tuple[Ints, Ints, Floats]:
        """Feasible pairs among every volunteer within radius_m of each request."""
        radius = np.minimum(chord_of_m(radius_m), reach_chord)
        found = trees[0].query_ball_point(request_xyz[requests], r=radius, return_sorted=False)
        counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=requests.size)
        seen = np.where(radius < reach_chord, m_of_chord(radius), np.inf)
        horizon[requests] = seen
        bonus_horizon[requests] = np.maximum(bonus_horizon[requests], seen)
        vols = np.fromiter((v for f in found for v in f), dtype=np.int64, count=int(counts.sum()))
        return evaluated(np.repeat(requests, counts), vols)

    widenings = 0
    while True:
        keys, first = np.unique(ri * n_vol + vi, return_index=True)  # sorted, no duplicates
        ri, vi, cost = ri[first], vi[first], cost[first]
        volunteer_of, potential, shift = _match(n_req, ri, vi, cost, cost_bounds)
        assigned = volunteer_of >= 0
        cost_of = np.full(n_req, np.nan)
        chosen = np.flatnonzero(assigned)
        cost_of[chosen] = cost[np.searchsorted(keys, chosen * n_vol + volunteer_of[chosen])]
        # the cheapest pair a request has not seen costs at least this much; it could improve
        # the optimum only where its shifted weight undercuts the request's potential
        unseen = np.minimum(np.minimum(horizon, bonus_horizon + bonus), dropped)
        widen = np.flatnonzero(unseen - shift + potential < -1e-9).astype(np.int64)
        if widen.size == 0:
            return Solution(volunteer_of, cost_of, k, widenings, int(ri.size))
        widenings += 1
        # look as far as the request's price says an unseen volunteer could matter (a little
        # farther, and at least twice as far as before, so that this converges quickly)
        needed = -potential[widen] + shift - bonus[widen]
        before = np.where(np.isfinite(horizon[widen]), horizon[widen], 0.0)
        radius = np.maximum(needed * 1.1, before * 2)
        # a widened request gets back what was dropped, and keeps every pair it finds
        dropped[widen] = np.inf
        back = np.isin(shelf[0], widen)
        new_ri, new_vi, new_cost = look_within(widen, radius)
        ri = np.concatenate((ri, new_ri, shelf[0][back]))
        vi = np.concatenate((vi, new_vi, shelf[1][back]))
        cost = np.concatenate((cost, new_cost, shelf[2][back]))
        shelf = (shelf[0][~back], shelf[1][~back], shelf[2][~back])


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
