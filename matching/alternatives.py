"""Other volunteers for a proposal, ranked by the solver's own cost, and the SC's override.

The same hard constraints as a match run (reach, skills, trial, availability, declines, another
task at that time) and the same cost terms: the solver's choice is what it is because of these
numbers, and the SC sees them. Services take a session, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db import Conflict, InvalidInput, utcnow
from matching import dispatch
from matching.cost import Weights, evaluate_pairs
from matching.domain import CostWeights
from matching.engine import to_arrays
from matching.models import Assignment, HelpRequest, Volunteer


@dataclass(frozen=True)
class Alternative:
    """A feasible volunteer for a request, with the cost the solver would give the pair."""

    volunteer_id: int
    distance_m: float
    cost: float
    #: Each cost term: {"distance", "continuity", "load", "trial_experience", "no_show"}; cost
    #: is their sum.
    reasons: dict[str, float]


def _weights_of(assignment: Assignment) -> Weights:
    """The weights the proposal's run used (the defaults for an assignment without a run)."""
    run = assignment.match_run
    stored = (run.params or {}).get("weights") if run is not None else None
    weights = CostWeights(**stored) if stored else CostWeights()
    return Weights(
        continuity=weights.continuity_bonus_m,
        load=weights.load_penalty_m_per_task,
        trial_first=weights.trial_first_task_bonus_m,
        no_show=weights.no_show_penalty_m,
    )


def ranked(session: Session, *, assignment: Assignment, now: dt.datetime) -> list[Alternative]:
    """Every feasible volunteer for the assignment's request but its own, cheapest first."""
    request = dispatch.request_spec(session, help_request_id=assignment.help_request_id, now=now)
    volunteers = dispatch.load_volunteers(session, requests=[request], now=now).volunteers
    others = [v for v in volunteers if v.id != assignment.volunteer_id]
    if not others:
        return []
    weights = _weights_of(assignment)
    req, vol = to_arrays([request], others)
    vi = np.arange(len(others), dtype=np.int64)
    pairs = evaluate_pairs(np.zeros_like(vi), vi, req, vol, weights)
    cost = pairs.cost
    feasible = np.flatnonzero(pairs.feasible)
    # cheapest first; equal costs by volunteer id, so the list is the same every time
    order = sorted(feasible.tolist(), key=lambda j: (round(float(cost[j]), 6), others[j].id))
    return [
        Alternative(
            volunteer_id=others[j].id,
            distance_m=round(float(pairs.distance[j]), 1),
            cost=round(float(cost[j]), 1),
            reasons={
                "distance": round(float(pairs.distance[j]), 1),
                "continuity": round(float(pairs.continuity[j]), 1),
                "load": round(float(pairs.load[j]), 1),
                "trial_experience": round(float(pairs.trial_experience[j]), 1),
                "no_show": round(float(pairs.no_show[j]), 1),
            },
        )
        for j in order
    ]


def alternatives(
    session: Session, *, assignment_id: int, limit: int = 5, now: dt.datetime | None = None
) -> list[tuple[Alternative, Volunteer]]:
    """Return up to `limit` other feasible volunteers for a proposal, cheapest first."""
    assignment = dispatch.get_assignment(session, assignment_id=assignment_id)
    best = ranked(session, assignment=assignment, now=now or utcnow())[:limit]
    people = {
        v.id: v
        for v in session.scalars(
            select(Volunteer).where(Volunteer.id.in_([a.volunteer_id for a in best]))
        )
    }
    return [(a, people[a.volunteer_id]) for a in best]


def override(
    session: Session,
    *,
    assignment_id: int,
    volunteer_id: int,
    by_user_id: int | None,
    now: dt.datetime | None = None,
) -> Assignment:
    """Withdraw a proposal and propose another feasible volunteer for it, in the same run.

    Refuses a volunteer the solver could not have chosen (InvalidInput), and a proposal that
    is no longer pending (Conflict).
    """
    now = now or utcnow()
    assignment = dispatch.get_assignment(session, assignment_id=assignment_id)
    if assignment.status != "proposed":
        raise Conflict(
            f"Assignment {assignment_id} is {assignment.status}; only a proposal is overridden."
        )
    dispatch.lock_match_runs(session)
    choice = next(
        (
            a
            for a in ranked(session, assignment=assignment, now=now)
            if a.volunteer_id == volunteer_id
        ),
        None,
    )
    if choice is None:
        raise InvalidInput(
            f"Volunteer {volunteer_id} cannot take help request {assignment.help_request_id}.",
            {
                "volunteer_id": [
                    "Not a feasible volunteer for this request (reach, skills, trial,"
                    " availability, a decline or another task at that time)."
                ]
            },
        )
    dispatch.withdraw(session, assignment_id=assignment_id, now=now)
    new_id = session.execute(
        insert(Assignment)
        .values(
            match_run_id=assignment.match_run_id,
            help_request_id=assignment.help_request_id,
            volunteer_id=volunteer_id,
            status="proposed",
            distance_m=choice.distance_m,
            cost=choice.cost,
            reasons=choice.reasons,
            created_at=now,
            proposed_by_id=by_user_id,
        )
        .returning(Assignment.id)
    ).scalar_one()
    moved = session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == assignment.help_request_id, HelpRequest.status == "open")
        .values(status="proposed", redispatch_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:  # pragma: no cover - withdraw reopened it in this transaction
        raise Conflict(f"Help request {assignment.help_request_id} changed meanwhile.")
    session.flush()
    session.refresh(assignment.help_request)
    return dispatch.get_assignment(session, assignment_id=new_id)
