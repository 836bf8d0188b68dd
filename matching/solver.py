"""Optimal assignment: most requests matched, then least total cost (numpy/scipy, pure).

Candidates come from a k-d tree: each request's k nearest feasible volunteers within reach. The
assignment is a sparse minimum-weight full bipartite matching with one "unassigned" column per
request. Pruning to k candidates could lose the optimum, so the solver proves it did not: from
the matching it computes LP duals (shortest-path potentials p in the residual graph, p <= 0)
and widens the search of every request for which an unseen volunteer could still undercut its
dual price, then solves again, until no request could gain. The result is the optimum of the
full problem.

A round need not solve everything again. If no pair it added has a negative reduced cost
under the last prices, those prices are still a feasible dual of the larger candidate graph
with the same complementary slackness (the matching and its tight edges are unchanged; a
volunteer no earlier pair named is free, p = 0), so the last matching is optimal on it too and
its prices go on to the next test as they are. If some have, the matching is first repaired
around their requests (rematch(): a region grown along alternating paths both ways is matched
again, the rest kept), and the repair is kept only if it is proven optimal on all the pairs:
Bellman-Ford on its residual graph settles (no negative cycle) and every free column, a
volunteer or an "unassigned" column, has potential 0 (no improving path ends there). A
residual graph of positive weights with both is exactly the optimality condition, and its
potentials are then the shortest-path duals a full solve gives. Otherwise (or when the region
would hold most requests) the candidates are solved in full. LAPJVsp pays for every node at
each row its start leaves free, so a repair of a few thousand requests in a graph of 50,000 is
far cheaper than a full solve; unconnected parts of a problem are solved apart for the same
reason.

The certificate. Weights are cost - shift > 0, "unassigned" weighs big (more than any n real
weights), and p is the shortest-path distance from a source joined to every node at 0. An
unseen feasible pair (r, v) adds one residual edge r -> v; if its reduced cost
(cost - shift) + p[r] - p[v] is >= 0 for every unseen pair, p stays a feasible dual of the
whole problem with the matching's complementary slackness (matched edges are tight, free
volunteers have p = 0), so the matching is optimal for the whole problem, not just for the
candidates. Since cost >= distance (+ the bonus a bonus volunteer may give), a pair can fail
the test only if distance < shift - p[r] + p[v] (- bonus).

Where volunteers are plentiful every request is matched and p[r] is a small price: bounding
p[v] <= 0, a request looks only as far as shift - p[r], as far as its horizon says it has not
looked yet. Where volunteers are short, every request left unmatched (its own "unassigned"
column, of weight big, is matched to it) has p[r] = -big, and so has every request an
alternating path reaches from one (p within n real weights of -big: "low"); with p[v] <= 0
they would have to look at everyone within reach, which is what made 5,000 x 5,000 slow.
Volunteers are low or high the same way, and the potentials are exact numbers we hold: so a
low request is checked against each volunteer's own p[v] instead. A high volunteer (p[v] near
0: free, or reached by no alternating path from an unmatched request) must be checked within
its whole reach, since taking it would match one more request; a low volunteer only within
shift - p[r] + p[v], a few hundred metres. Those pairs are found from the volunteers' side (a
k-d tree of the low requests, each volunteer with its own radius, never beyond its own reach),
tested exactly, and evaluated once (pairs found infeasible are remembered). When no low
request has a feasible unseen pair with a negative reduced cost and no high request needs to
widen, the test above holds for every pair: the result is exactly the optimum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csc_matrix, csr_matrix
from scipy.sparse.csgraph import (
    connected_components,
    maximum_bipartite_matching,
    min_weight_full_bipartite_matching,
)
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
    #: The most nearest neighbours any request asked the k-d tree for.
    k_final: int
    #: Rounds of widening after the first solve, and requests widened in all.
    widenings: int
    widened_requests: int
    #: Feasible pairs in the last solve.
    candidate_pairs: int
    #: Per request, whether some feasible pair of it was found (None: not reported).
    has_candidate: Bools | None = None
    #: Sparse matchings solved in full (a round whose new pairs all keep the prices feasible
    #: needs none), and rounds settled by a proven local repair instead.
    solves: int = 0
    repairs: int = 0


@dataclass(frozen=True)
class Matching:
    """An optimal matching of the candidate graph and its dual prices."""

    volunteer_of: Ints
    #: Per request, its potential: shortest-path distance to its node in the residual graph.
    potential: Floats
    #: What was subtracted from every cost to make the weights positive.
    shift: float
    #: The weight of "unassigned": potentials below -big / 2 are "low" (see solve()).
    big: float
    #: Per volunteer, its potential (0 for a volunteer no candidate pair names).
    volunteer_potential: Floats
    #: Bellman-Ford sweeps the potentials took (a repair may take a few times as many).
    sweeps: int = 0


def unassigned_weight(max_weight: float, n: int) -> float:
    """Return a weight for "unassigned" so large that one more match always beats any saving.

    With real weights in [1, max_weight] and at most n real pairs in a matching, m + 1 pairs
    cost at most (m + 1) * max_weight, less than m pairs plus one more "unassigned".
    """
    return (max_weight + 1.0) * (n + 1) + 1.0


def match_candidates(
    n_requests: int,
    ri: Ints,
    vi: Ints,
    cost: Floats,
    bounds: tuple[float, float] | None = None,
    n_volunteers: int | None = None,
) -> Matching:
    """Solve the lexicographic problem exactly on explicit candidate pairs (no duplicates).

    bounds: the least and greatest cost any pair could have, seen or not, so that potentials
    from successive solves are in the same units; by default those of `cost`. n_volunteers:
    the length of `volunteer_potential` (by default one past the largest index in vi).
    """
    g = _Graph.of(n_requests, ri, vi, cost, bounds, n_volunteers)
    if g.row.size == 0:
        return g.matching(None, None)
    col_of = _min_cost_matching(g.row, g.col, g.weight, g.n_rows, g.n_cols, g.big)
    dist, sweeps = _potentials(g.row, g.col, g.weight, col_of, g.n_cols, g.big, g.tolerance)
    return g.matching(col_of, dist, sweeps)


#: How far (alternating steps: a candidate volunteer, then the request holding it) a repair
#: looks around the requests of the pairs that broke the last prices.
REPAIR_DEPTH = 2
#: How many times a repair may grow its region (around the ends of improving paths it left),
#: and the share of the requests beyond which a region is not worth it (a full solve is done).
REPAIR_ATTEMPTS = 4
REPAIR_SHARE = 0.75


def rematch(
    m: Matching,
    seeds: Ints,
    n_requests: int,
    ri: Ints,
    vi: Ints,
    cost: Floats,
    bounds: tuple[float, float],
    n_volunteers: int,
) -> Matching | None:
    """Re-optimise m after pairs were added, near the requests `seeds` only; None if unproven.

    m is optimal on a subset of these pairs; the pairs of `seeds` added since may have negative
    reduced costs. The region: the seeds, then REPAIR_DEPTH times the requests holding a
    candidate volunteer of a request in it. Its requests are matched again (most matched, then
    least cost) among their candidate volunteers that no request outside holds; the rest keep
    their volunteers. The result is returned only if it is proven optimal on all the pairs:
    Bellman-Ford on its residual graph settles (no negative cycle) within twice the sweeps m's
    took (+ 8), and every free volunteer and every free "unassigned" column has potential 0 (no
    improving path ends there; where one does, the requests next to it seed a larger region, up
    to REPAIR_ATTEMPTS times). Those potentials are then the ones match_candidates would give:
    shortest-path distances in the residual graph of an optimal matching.
    """
    g = _Graph.of(n_requests, ri, vi, cost, bounds, n_volunteers)
    if g.row.size == 0:
        return None
    # m's matching in this graph's indices (its pairs are all still candidates)
    col_of = g.n_cols + np.arange(g.n_rows, dtype=np.int64)
    held = m.volunteer_of[g.active]
    has = np.flatnonzero(held >= 0)
    at = np.searchsorted(g.volunteers, held[has])
    if at.size and (at.max() >= g.n_cols or (g.volunteers[at] != held[has]).any()):
        return None
    col_of[has] = at
    graph = csr_matrix((np.ones(g.row.size), (g.row, g.col)), shape=(g.n_rows, g.n_cols))
    by_col = graph.tocsc()
    seed_rows = np.searchsorted(g.active, np.unique(seeds))
    for _ in range(REPAIR_ATTEMPTS):
        repaired = _rematch_region(g, graph, by_col, col_of, seed_rows)
        if repaired is None:
            return None
        col_of = repaired
        cap = 2 * m.sweeps + 8
        dist, sweeps = _potentials(
            g.row, g.col, g.weight, col_of, g.n_cols, g.big, g.tolerance, cap
        )
        if sweeps < 0:
            return None
        # a free volunteer (or a free "unassigned" column) below 0 ends an improving path:
        # typically a request outside the region that wants a volunteer the region let go
        free = np.ones(g.n_cols + g.n_rows, dtype=bool)
        free[col_of] = False
        low = np.flatnonzero(free & (dist[g.n_rows :] < -g.tolerance))
        if low.size == 0:
            return g.matching(col_of, dist, m.sweeps)
        real = low[low < g.n_cols]
        seed_rows = np.unique(
            np.concatenate((by_col[:, real].indices, low[low >= g.n_cols] - g.n_cols))
        ).astype(np.int64)
    return None


def _rematch_region(
    g: _Graph, graph: csr_matrix, by_col: csc_matrix, col_of: Ints, seed_rows: Ints
) -> Ints | None:
    """Return col_of with the region around seed_rows matched again (see rematch()); None if
    the region grew beyond REPAIR_SHARE of the requests."""
    row_of_col = np.full(g.n_cols, -1, dtype=np.int64)
    matched = np.flatnonzero(col_of < g.n_cols)
    row_of_col[col_of[matched]] = matched
    region = np.zeros(g.n_rows, dtype=bool)
    frontier = seed_rows
    region[frontier] = True
    for _ in range(REPAIR_DEPTH):
        # both ways along alternating paths: who holds what the region could take, and who
        # could take what the region holds
        holders = row_of_col[np.unique(graph[frontier].indices)]
        held = col_of[frontier]
        takers = by_col[:, held[held < g.n_cols]].indices
        frontier = np.unique(np.concatenate((holders[holders >= 0], takers)))
        frontier = frontier[~region[frontier]]
        if frontier.size == 0:
            break
        region[frontier] = True
    if region.sum() > REPAIR_SHARE * g.n_rows:
        return None
    outside = ~region & (col_of < g.n_cols)
    taken = np.zeros(g.n_cols, dtype=bool)
    taken[col_of[outside]] = True
    keep = region[g.row] & ~taken[g.col]
    rows = np.flatnonzero(region)
    cols = np.unique(g.col[keep])
    col_of = col_of.copy()
    if cols.size == 0:
        col_of[rows] = g.n_cols + rows
        return col_of
    local = _min_cost_matching(
        np.searchsorted(rows, g.row[keep]),
        np.searchsorted(cols, g.col[keep]),
        g.weight[keep],
        rows.size,
        cols.size,
        g.big,
    )
    real = local < cols.size
    col_of[rows] = np.where(real, cols[np.minimum(local, cols.size - 1)], g.n_cols + rows)
    return col_of


@dataclass(frozen=True)
class _Graph:
    """Candidate pairs in local indices: rows (requests named), columns (volunteers named)."""

    n_requests: int
    n_volunteers: int
    shift: float
    big: float
    tolerance: float
    active: Ints
    volunteers: Ints
    row: Ints
    col: Ints
    weight: Floats

    @property
    def n_rows(self) -> int:
        return int(self.active.size)

    @property
    def n_cols(self) -> int:
        return int(self.volunteers.size)

    @classmethod
    def of(
        cls,
        n_requests: int,
        ri: Ints,
        vi: Ints,
        cost: Floats,
        bounds: tuple[float, float] | None,
        n_volunteers: int | None,
    ) -> _Graph:
        if bounds is None:
            bounds = (float(cost.min()), float(cost.max())) if cost.size else (0.0, 0.0)
        shift = bounds[0] - 1.0
        big = unassigned_weight(bounds[1] - shift, n_requests)
        if n_volunteers is None:
            n_volunteers = int(vi.max()) + 1 if vi.size else 0
        empty = np.zeros(0, dtype=np.int64)
        if n_requests == 0 or ri.size == 0:
            return cls(
                n_requests, n_volunteers, shift, big, 0.0, empty, empty, empty, empty, np.zeros(0)
            )
        active, row = np.unique(ri, return_inverse=True)
        volunteers, col = np.unique(vi, return_inverse=True)
        return cls(
            n_requests,
            n_volunteers,
            shift,
            big,
            1e-9 * (bounds[1] - shift),
            active.astype(np.int64),
            volunteers.astype(np.int64),
            row.astype(np.int64),
            col.astype(np.int64),
            # in [1, bounds[1] - shift]: positive, so no edge reads as missing
            cost - shift,
        )

    def matching(self, col_of: Ints | None, dist: Floats | None, sweeps: int = 0) -> Matching:
        """The Matching of these local columns and potentials (None, None: nothing matched)."""
        volunteer_of = np.full(self.n_requests, -1, dtype=np.int64)
        # a request with no candidate sits on its "unassigned" column: potential -big
        potential = np.full(self.n_requests, -self.big)
        volunteer_potential = np.zeros(self.n_volunteers)
        if col_of is not None and dist is not None:
            real = col_of < self.n_cols
            volunteer_of[self.active[real]] = self.volunteers[col_of[real]]
            potential[self.active] = dist[: self.n_rows]
            volunteer_potential[self.volunteers] = dist[self.n_rows : self.n_rows + self.n_cols]
        return Matching(volunteer_of, potential, self.shift, self.big, volunteer_potential, sweeps)


def _min_cost_matching(
    row: Ints, col: Ints, weight: Floats, n_rows: int, n_cols: int, big: float
) -> Ints:
    """Return each row's column (n_cols + row when unassigned) of a least-weight matching.

    Solves most matched first, then least weight, without big-M weights: a maximum matching
    (Hopcroft-Karp) splits the graph (Dulmage-Mendelsohn). Rows that some maximum matching
    leaves out, with their neighbours, form a part where every column is matched in every
    maximum matching; the rest is a part where every row is. Each part is then a least-weight
    matching that saturates one side, and edges between the parts are never used.
    """
    del big  # the weights never see it: the count comes from the structure
    graph = csr_matrix((np.ones(row.size), (row, col)), shape=(n_rows, n_cols))
    spare = _may_go_unmatched(graph)
    neighbour = np.zeros(n_cols, dtype=bool)
    neighbour[col[spare[row]]] = True
    col_of = n_cols + np.arange(n_rows, dtype=np.int64)
    # rows matched in every maximum matching, on the columns no spare row needs
    keep = ~spare[row] & ~neighbour[col]
    rows_x = np.flatnonzero(~spare)
    cols_x = np.flatnonzero(~neighbour)
    if rows_x.size:
        local = _saturate(
            np.searchsorted(rows_x, row[keep]),
            np.searchsorted(cols_x, col[keep]),
            weight[keep],
            rows_x.size,
            cols_x.size,
        )
        col_of[rows_x] = cols_x[local]
    # every neighbour of a spare row is matched to one: saturate the columns
    keep = spare[row]
    rows_y = np.flatnonzero(spare)
    cols_y = np.flatnonzero(neighbour)
    if cols_y.size:
        local = _saturate(
            np.searchsorted(cols_y, col[keep]),
            np.searchsorted(rows_y, row[keep]),
            weight[keep],
            cols_y.size,
            rows_y.size,
        )
        col_of[rows_y[local]] = cols_y
    return col_of


#: Connected parts of a matching problem are solved in batches of about this many nodes.
_BATCH_NODES = 4000


def _saturate(a: Ints, b: Ints, weight: Floats, n_a: int, n_b: int) -> Ints:
    """Return, for each node of side A, its partner in a least-weight matching saturating A.

    LAPJVsp pays O(nodes) for each row its initialisation leaves free, so one call on many
    unconnected parts costs far more than one call per part. The parts (connected components)
    are independent: a least-weight matching of the whole is one of each part. Small parts are
    solved together in batches of about _BATCH_NODES nodes (a union of parts is still solved
    exactly), and a part larger than that alone.
    """
    if a.size == 0 or n_a + n_b <= _BATCH_NODES:
        return _saturate_square(a, b, weight, n_a, n_b)
    graph = csr_matrix((np.ones(a.size), (a, n_a + b)), shape=(n_a + n_b, n_a + n_b))
    n_parts, part = connected_components(graph, directed=False)
    if n_parts == 1:
        return _saturate_square(a, b, weight, n_a, n_b)
    size = np.bincount(part, minlength=n_parts)
    # batches: parts in order, a new batch whenever the running size passes _BATCH_NODES
    batch_of_part = np.cumsum(size) // _BATCH_NODES
    batch = batch_of_part[part]
    edge_batch = batch[a]
    partner = np.full(n_a, -1, dtype=np.int64)
    for k in np.unique(edge_batch).tolist():
        e = np.flatnonzero(edge_batch == k)
        rows = np.flatnonzero(batch[:n_a] == k)
        cols = np.flatnonzero(batch[n_a:] == k)
        local = _saturate_square(
            np.searchsorted(rows, a[e]),
            np.searchsorted(cols, b[e]),
            weight[e],
            rows.size,
            cols.size,
        )
        partner[rows] = cols[local]
    return partner


def _saturate_square(a: Ints, b: Ints, weight: Floats, n_a: int, n_b: int) -> Ints:
    """Return, for each node of side A, its partner in a least-weight matching saturating A.

    scipy's LAPJVsp skips its fast initialisation unless the graph is square, and then pays
    O(columns) for every row; so solve a square problem: rows are A and one copy of each B,
    columns are B and one copy of each A. A copy of b takes b itself (b stays free) or, for
    each edge (a, b), the copy of a (b is taken by a). Every full matching then has n_a + n_b
    edges, so adding 1 to every weight (the copies' edges would weigh 0) changes no optimum.
    """
    n = n_a + n_b
    rows = np.concatenate((a, n_a + np.arange(n_b), n_a + b))
    cols = np.concatenate((b, np.arange(n_b), n_b + a))
    weights = np.concatenate((weight + 1.0, np.ones(n_b), np.ones(a.size)))
    graph = csr_matrix((weights, (rows, cols)), shape=(n, n))
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    partner = np.empty(n, dtype=np.int64)
    partner[row_ind] = col_ind
    return partner[:n_a]


def _may_go_unmatched(graph: csr_matrix) -> Bools:
    """Mark the rows that some maximum matching leaves unmatched (Gallai-Edmonds).

    They are the rows reachable from the rows one maximum matching leaves out, by alternating
    paths: any column of a reached row, then the row that column is matched to.
    """
    col_of_row = maximum_bipartite_matching(graph, perm_type="column")
    row_of_col = np.full(graph.shape[1], -1, dtype=np.int64)
    matched = np.flatnonzero(col_of_row >= 0)
    row_of_col[col_of_row[matched]] = matched
    reached: Bools = col_of_row < 0
    frontier = np.flatnonzero(reached)
    while frontier.size:
        cols = np.unique(graph[frontier].indices)
        rows = row_of_col[cols]
        rows = rows[rows >= 0]
        frontier = np.unique(rows[~reached[rows]])
        reached[frontier] = True
    return reached


def _potentials(
    row: Ints,
    col: Ints,
    weight: Floats,
    col_of: Ints,
    n_cols: int,
    big: float,
    tolerance: float,
    max_sweeps: int | None = None,
) -> tuple[Floats, int]:
    """Return each node's shortest-path distance in the residual graph of the matching.

    The graph: rows, then volunteer columns, then one "unassigned" column per row. Residual
    edges: unmatched pairs row -> column (weight), matched pairs column -> row (-weight); a
    virtual source reaches every node at 0. At an optimum there is no negative cycle, and
    with these potentials every residual edge has a non-negative reduced cost: they are LP
    duals of the matching. Also returns the sweeps taken; max_sweeps: stop there (-1: did not
    settle).
    """
    n_rows = col_of.size
    rows = np.concatenate((row, np.arange(n_rows)))
    cols = np.concatenate((col, n_cols + np.arange(n_rows)))
    weights = np.concatenate((weight, np.full(n_rows, big)))
    matched = col_of[rows] == cols
    col_node = n_rows + cols
    src = np.where(matched, col_node, rows)
    dst = np.where(matched, rows, col_node)
    w = np.where(matched, -weights, weights)
    order = np.argsort(dst, kind="stable")
    src, dst, w = src[order], dst[order], w[order]
    targets, starts = np.unique(dst, return_index=True)
    dist = np.zeros(n_rows + n_cols + n_rows)
    sweeps = dist.size if max_sweeps is None else min(max_sweeps, dist.size)
    for sweep in range(sweeps):  # Bellman-Ford, vectorised; stops once nothing improves
        best = np.minimum.reduceat(dist[src] + w, starts)
        improved = best < dist[targets] - tolerance
        if not improved.any():
            return dist, sweep
        dist[targets[improved]] = best[improved]
    # an optimum settles within dist.size sweeps (no negative cycle); a capped run did not
    return dist, sweeps if max_sweeps is None else -1


Pairs = tuple[Ints, Ints, Floats]


def _join(*parts: Pairs) -> Pairs:
    """Concatenate lists of pairs (request indices, volunteer indices, costs)."""
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _in_sorted(keys: Ints, table: Ints) -> Bools:
    """Mark the keys that occur in `table` (sorted)."""
    if table.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(table, keys), table.size - 1)
    found: Bools = table[pos] == keys
    return found


class _Search:
    """Nearest-volunteer lookups for the requests, and what each request has seen so far."""

    def __init__(
        self, request_xyz: Floats, volunteer_xyz: Floats, reach_m: float, evaluate: Evaluate
    ) -> None:
        self.request_xyz = request_xyz
        self.volunteer_xyz = volunteer_xyz
        self.reach_chord = float(chord_of_m(np.array([reach_m]))[0]) * (1 + 1e-9)
        self.evaluate = evaluate
        self.tree = cKDTree(volunteer_xyz)
        self.k_final = 0

    def evaluated(self, rows: Ints, vols: Ints) -> tuple[Ints, Ints, Floats]:
        ok, cost = self.evaluate(rows, vols)
        return rows[ok], vols[ok], cost[ok]

    def nearest_feasible(
        self, requests: Ints, k: int, pool: Ints | None = None
    ) -> tuple[Ints, Ints, Floats, Floats]:
        """Return each request's k nearest feasible volunteers (of `pool`) and its horizon.

        Asks the tree for k, 2k, 4k … neighbours until k are feasible or all within reach
        were looked at; the horizon is the distance within which every volunteer was looked
        at (inf: all within reach).

        Volunteers at the same distance (people on one 町丁目 point) come back in any order,
        and a larger query may return a different subset of them: so a volunteer is new by
        its distance, not by its position in the answer. A query for kk returns everyone
        nearer than its last distance `bound`, so everything nearer than the bound has been
        looked at, and nothing farther; only volunteers exactly at the bound are told apart
        by identity (those looked at are kept in `tied`).
        """
        ids = np.arange(self.volunteer_xyz.shape[0]) if pool is None else pool
        horizon = np.full(requests.size, np.inf)
        if ids.size == 0 or requests.size == 0:
            return requests[:0], requests[:0], np.zeros(0), horizon
        tree = self.tree if pool is None else cKDTree(self.volunteer_xyz[ids])
        n_ids = ids.size
        parts: list[tuple[Ints, Ints, Floats]] = []
        count = np.zeros(requests.size, dtype=np.int64)
        pending = np.arange(requests.size)
        # per request still looking: the last answer's farthest distance (a chord), and the
        # keys (row * n_ids + position in ids) of the volunteers looked at exactly that far
        bound = np.full(requests.size, -np.inf)
        tied = np.zeros(0, dtype=np.int64)
        kk = min(k, n_ids)
        while pending.size:
            self.k_final = max(self.k_final, kk)
            dist, idx = tree.query(
                self.request_xyz[requests[pending]], k=kk, distance_upper_bound=self.reach_chord
            )
            dist = np.asarray(dist).reshape(pending.size, kk)
            idx = np.asarray(idx).reshape(pending.size, kk)
            found = idx < n_ids  # the rest are "none within reach": dist inf
            before = bound[pending][:, None]
            new = found & (dist > before)
            r_at, c_at = np.nonzero(dist == before)
            if r_at.size:
                new[r_at, c_at] = ~_in_sorted(pending[r_at] * n_ids + idx[r_at, c_at], tied)
            rows = np.repeat(pending, new.sum(axis=1))
            vols = ids[idx[new]]
            ok, cost = self.evaluate(requests[rows], vols)
            parts.append((requests[rows[ok]], vols[ok], cost[ok]))
            count += np.bincount(rows[ok], minlength=requests.size)
            # a look that came back short of kk (or asked for all) found everyone within reach
            exhausted = ~found[:, -1] | (kk >= n_ids)
            last = dist[:, -1]
            horizon[pending] = np.where(exhausted, np.inf, m_of_chord(last))
            go_on = (count[pending] < k) & ~exhausted
            if go_on.any():
                # looked at exactly at the new bound: this answer's volunteers there, and the
                # ones kept from before where the bound did not move
                on, last_on = pending[go_on], last[go_on]
                stayed = np.zeros(requests.size, dtype=bool)
                stayed[on[last_on == bound[on]]] = True
                at_last = (dist == last[:, None]) & go_on[:, None]
                r_at, c_at = np.nonzero(at_last)
                fresh = pending[r_at] * n_ids + idx[r_at, c_at]
                tied = np.sort(np.concatenate((tied[stayed[tied // n_ids]], fresh)))
                bound[on] = last_on
            pending = pending[go_on]
            kk = min(2 * kk, n_ids)
        return (*_join(*parts), horizon)

    def within(self, requests: Ints, radius_m: Floats) -> tuple[Ints, Ints, Floats, Floats]:
        """Return the feasible pairs among all volunteers within radius_m, and the horizons."""
        radius = np.minimum(chord_of_m(radius_m), self.reach_chord)
        found = self.tree.query_ball_point(
            self.request_xyz[requests], r=radius, return_sorted=False
        )
        counts = np.fromiter(map(len, found), dtype=np.int64, count=requests.size)
        vols = np.fromiter(chain.from_iterable(found), dtype=np.int64, count=int(counts.sum()))
        horizon = np.where(radius < self.reach_chord, m_of_chord(radius), np.inf)
        ri, vi, cost = self.evaluated(np.repeat(requests, counts), vols)
        return ri, vi, cost, horizon

    def pairs_within(self, requests: Ints, vols: Ints, radius_m: Floats) -> Pairs:
        """Return (request, volunteer, chord) for each volunteer's requests within its radius.

        Volunteers are taken in bands of similar radius (each band's largest radius, then
        the exact one), so that the pairs come back as arrays from C.
        """
        radius = np.minimum(chord_of_m(radius_m) * (1 + 1e-9), self.reach_chord)
        if vols.size == 0 or requests.size == 0:
            return requests[:0], vols[:0], np.zeros(0)
        tree = cKDTree(self.request_xyz[requests])
        band = np.floor(np.log(np.maximum(radius, 1e-12)) / np.log(1.25)).astype(np.int64)
        parts: list[Pairs] = []
        for b in np.unique(band).tolist():
            at = np.flatnonzero(band == b)
            near = tree.sparse_distance_matrix(
                cKDTree(self.volunteer_xyz[vols[at]]),
                float(radius[at].max()),
                output_type="ndarray",
            )
            i, j, d = near["i"].astype(np.int64), near["j"].astype(np.int64), near["v"]
            keep = d <= radius[at][j]
            parts.append((requests[i[keep]], vols[at][j[keep]], d[keep]))
        return _join(*parts)

    def undercutting(
        self,
        groups: list[tuple[Ints, Ints, Floats]],
        whole: Bools,
        m: Matching,
        lower_bound: Callable[[Ints, Ints, Floats], Floats],
        seen: Ints,
    ) -> tuple[Ints, Ints, Floats, Ints]:
        """Return the unseen feasible pairs that could have a negative reduced cost.

        A pair (r, v) can have a negative reduced cost only if its least possible cost does:
        lower_bound(r, v, metres) - shift + p[r] - p[v] < 0. Each group gives requests, and
        volunteers with a radius beyond which that cannot hold for any of those requests; the
        requests within it are found from the volunteer's side (one k-d tree of the group's
        requests), tested exactly, and the pairs that pass and are not in `seen` (sorted keys
        v * n_requests + r) are evaluated; those of a volunteer marked `whole` all, whatever the
        test says (its whole reach is seen from now on). Returns the feasible ones (all of them:
        seen from now on) and the keys of the others.
        """
        n_req = self.request_xyz.shape[0]
        empty = np.zeros(0, dtype=np.int64)
        parts = [self.pairs_within(requests, vols, radius_m) for requests, vols, radius_m in groups]
        rows, vols, chord = _join((empty, empty, np.zeros(0)), *parts)
        unseen = ~_in_sorted(vols * n_req + rows, seen)
        rows, vols, chord = rows[unseen], vols[unseen], chord[unseen]
        reduced = lower_bound(rows, vols, m_of_chord(chord)) - m.shift
        reduced += m.potential[rows] - m.volunteer_potential[vols]
        keep = (reduced < -1e-9) | whole[vols]
        rows, vols = rows[keep], vols[keep]
        ok, cost = self.evaluate(rows, vols)
        return rows[ok], vols[ok], cost[ok], vols[~ok] * n_req + rows[~ok]


def _violating(m: Matching, ri: Ints, vi: Ints, cost: Floats, new: Bools) -> Ints:
    """Return the requests of pairs added since m was solved with a negative reduced cost.

    If there are none, m's potentials are still a feasible dual of the larger candidate graph,
    with the same complementary slackness (the matching and its tight edges are unchanged, free
    volunteers keep p = 0, and a volunteer no earlier pair named has p = 0): m is optimal on it
    too, and its prices serve the certificate as they are.
    """
    r, v = ri[new], vi[new]
    reduced = cost[new] - m.shift + m.potential[r] - m.volunteer_potential[v]
    return np.unique(r[reduced < -1e-9])


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
    k: int = 4,
    volunteer_reach_m: Floats | None = None,
    supply_short: bool = True,
) -> Solution:
    """Assign requests to volunteers optimally, widening candidate lists where pruning could bite.

    request_xyz, volunteer_xyz: points on the unit sphere; reach_m: the largest reach of any
    volunteer; evaluate: feasibility and cost of pairs; cost_bounds: the least and greatest
    cost any pair could have. A pair costs at least its distance, except pairs in `pinned`
    (always candidates) and pairs of a volunteer in `bonus_volunteers`, which may cost down to
    distance + bonus[request] (bonus <= 0). volunteer_reach_m: each volunteer's own reach (a
    pair farther apart is infeasible; by default reach_m). supply_short=False checks low
    requests against everyone within reach as before (same result; for the benchmark).
    """
    n_req, n_vol = request_xyz.shape[0], volunteer_xyz.shape[0]
    if n_req == 0 or n_vol == 0:
        return Solution(np.full(n_req, -1, np.int64), np.full(n_req, np.nan), 0, 0, 0, 0)
    search = _Search(request_xyz, volunteer_xyz, reach_m, evaluate)
    bonus = np.zeros(n_req) if bonus is None else bonus
    everyone = np.arange(n_req, dtype=np.int64)
    ri, vi, cost, horizon = search.nearest_feasible(everyone, k)
    # Bonus volunteers may undercut nearer ones: every bonus volunteer nearer than
    # bonus_horizon was looked at too (besides all volunteers nearer than horizon).
    bonus_horizon = horizon.copy()
    special = np.zeros(n_vol, bool) if bonus_volunteers is None else bonus_volunteers
    wants = np.flatnonzero((bonus < 0) & np.isfinite(horizon)).astype(np.int64)
    if special.any() and wants.size:
        pool = np.flatnonzero(special).astype(np.int64)
        b_ri, b_vi, b_cost, b_horizon = search.nearest_feasible(wants, max(2, k // 2), pool)
        bonus_horizon[wants] = np.maximum(horizon[wants], b_horizon)
        ri, vi, cost = _join((ri, vi, cost), (b_ri, b_vi, b_cost))
    if pinned is not None and pinned[0].size:
        p_ri, p_vi, p_cost = search.evaluated(*pinned)
        ri, vi, cost = _join((ri, vi, cost), (p_ri, p_vi, p_cost))

    volunteer_reach = np.full(n_vol, reach_m) if volunteer_reach_m is None else volunteer_reach_m

    def lower_bound(rows: Ints, vols: Ints, metres: Floats) -> Floats:
        """The least cost a pair at this distance can have."""
        least: Floats = np.where(special[vols], metres + bonus[rows], metres)
        return least

    widenings = widened = rounds = solves = repairs = 0
    m: Matching | None = None
    solved_keys = np.zeros(0, dtype=np.int64)
    infeasible = np.zeros(0, dtype=np.int64)  # sorted keys of pairs found infeasible
    # per request, the first round of its current run of being low; per volunteer, the last
    # round it was checked within its whole reach (-1: never)
    low_since = np.full(n_req, np.iinfo(np.int64).max)
    checked_at = np.full(n_vol, -1, dtype=np.int64)
    while True:
        rounds += 1
        keys, first = np.unique(ri * n_vol + vi, return_index=True)  # sorted, no duplicates
        ri, vi, cost = ri[first], vi[first], cost[first]
        if m is None:
            m = match_candidates(n_req, ri, vi, cost, cost_bounds, n_vol)
            solves += 1
        else:
            seeds = _violating(m, ri, vi, cost, ~_in_sorted(keys, solved_keys))
            if seeds.size:
                repaired = rematch(m, seeds, n_req, ri, vi, cost, cost_bounds, n_vol)
                if repaired is None:
                    m = match_candidates(n_req, ri, vi, cost, cost_bounds, n_vol)
                    solves += 1
                else:
                    m = repaired
                    repairs += 1
        solved_keys = keys
        # The cheapest pair a request has not seen costs at least `unseen`. With potentials p,
        # an unseen pair (r, v) can improve the optimum only if its reduced cost
        # (cost - shift) + p[r] - p[v] is negative; p[v] <= 0, so only if cost - shift + p[r] < 0.
        unseen = np.minimum(horizon, bonus_horizon + bonus)
        look = unseen - m.shift + m.potential < -1e-9
        gain: Pairs | None = None
        if supply_short:
            # Low requests (potential below -big / 2: unmatched, or reached from an unmatched
            # one by an alternating path) would look at everyone within reach by that test;
            # they are checked against each volunteer's own potential instead (see above).
            low = m.potential < -m.big / 2
            if low.any():
                lows = np.flatnonzero(low).astype(np.int64)
                p_vol = m.volunteer_potential
                # the farthest a low request could gain from v: lower_bound(r, v, metres) <
                # shift - p[r] + p[v], at most (shift - least p[r] - bonus) + p[v]
                margin = m.shift - m.potential[lows]
                plain = float(margin.max()) + p_vol
                bonused = float((margin - bonus[lows]).max()) + p_vol
                radius_m = np.minimum(np.where(special, bonused, plain), volunteer_reach)
                # A volunteer checked within its whole reach at round s saw every request low
                # then (each pair is a candidate or infeasible from then on): later it needs
                # only the requests low since after s.
                since = np.where(low, np.minimum(low_since, rounds), np.iinfo(np.int64).max)
                low_since = since
                whole = radius_m >= volunteer_reach
                fresh = (radius_m >= 0) & ~(whole & (checked_at >= 0))
                groups = [(lows, np.flatnonzero(fresh).astype(np.int64), radius_m[fresh])]
                for s in np.unique(checked_at[whole & ~fresh]).tolist():
                    group = np.flatnonzero(whole & ~fresh & (checked_at == s)).astype(np.int64)
                    newer = lows[since[lows] > s]
                    groups.append((newer, group, radius_m[group]))
                checked_at[whole] = rounds
                seen = np.sort(np.concatenate((vi * n_req + ri, infeasible)))
                g_ri, g_vi, g_cost, bad = search.undercutting(groups, whole, m, lower_bound, seen)
                infeasible = np.sort(np.concatenate((infeasible, bad)))
                if g_ri.size:
                    gain = (g_ri, g_vi, g_cost)
            look &= ~low
        widen = np.flatnonzero(look).astype(np.int64)
        if widen.size == 0 and gain is None:
            assigned = np.flatnonzero(m.volunteer_of >= 0)
            cost_of = np.full(n_req, np.nan)
            cost_of[assigned] = cost[
                np.searchsorted(keys, assigned * n_vol + m.volunteer_of[assigned])
            ]
            has_candidate = np.zeros(n_req, dtype=bool)
            has_candidate[ri] = True
            return Solution(
                m.volunteer_of,
                cost_of,
                search.k_final,
                widenings,
                widened,
                ri.size,
                has_candidate,
                solves,
                repairs,
            )
        widenings += 1
        widened += widen.size
        if gain is not None:
            widened += np.unique(gain[0]).size
            ri, vi, cost = _join((ri, vi, cost), gain)
        if widen.size == 0:
            continue
        # Look as far as the request's price says an unseen volunteer could matter (a little
        # farther, and at least twice as far as before, so that this converges quickly).
        needed = m.shift - m.potential[widen] - bonus[widen]
        before = np.where(np.isfinite(horizon[widen]), horizon[widen], 0.0)
        w_ri, w_vi, w_cost, seen = search.within(widen, np.maximum(needed * 1.1, before * 2))
        horizon[widen] = seen
        bonus_horizon[widen] = np.maximum(bonus_horizon[widen], seen)
        ri, vi, cost = _join((ri, vi, cost), (w_ri, w_vi, w_cost))


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
    """Baseline: each request in turn takes the nearest free feasible volunteer (the phone tree).

    order: the requests in the order they are phoned round (e.g. by window start); ri, vi,
    distance: the feasible pairs.
    """
    volunteer_of = np.full(n_requests, -1, dtype=np.int64)
    by_pair = np.lexsort((vi, distance, ri))
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
