"""The SC's other choices for a proposal: feasible volunteers only, ranked by the solver's cost;
an override withdraws the proposal and proposes the chosen one in the same run; answers
recorded by phone say so."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from access.models import User
from db import Conflict, InvalidInput
from matching import alternatives, dispatch
from matching.models import Assignment
from tests.conftest import local
from tests.matching.test_dispatch_history import north, only_proposal

WEEKDAY_MORNINGS = [{"weekday": d, "start_min": 6 * 60, "end_min": 9 * 60} for d in range(5)]


@pytest.fixture
def sc(session) -> User:
    user = User(name="sc-taishido-phone", role="coordinator")
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def proposal(session, make_help_request, make_volunteer):
    """One request, the nearest volunteer proposed, and three others at 200, 300 and 400 m."""
    nearest, _ = make_volunteer(name="近い 人", **north(50))
    others = [make_volunteer(name=f"候補 {m}", **north(m))[0] for m in (400, 200, 300)]
    make_help_request()
    assignment = only_proposal(dispatch.run_match(session))
    assert assignment.volunteer_id == nearest.id
    return assignment, others


def test_alternatives_are_the_other_feasible_volunteers_cheapest_first(session, proposal):
    assignment, (at_400, at_200, at_300) = proposal
    offered = alternatives.alternatives(session, assignment_id=assignment.id)
    assert [v.id for _, v in offered] == [at_200.id, at_300.id, at_400.id]
    costs = [a.cost for a, _ in offered]
    assert costs == sorted(costs)
    assert offered[0][0].distance_m == pytest.approx(200, abs=1)
    assert offered[0][0].cost == pytest.approx(sum(offered[0][0].reasons.values()), abs=0.2)


def test_the_ranking_is_the_solvers_cost_not_the_distance(
    session, make_help_request, make_resident, make_volunteer
):
    resident = make_resident()
    nearest, _ = make_volunteer(name="近い 人", **north(50))
    at_200, _ = make_volunteer(name="候補 200", **north(200))
    old_friend, _ = make_volunteer(name="なじみの 人", **north(400))
    # the volunteer 400 m away helped this resident before: 300 m of continuity off the cost
    past = make_help_request(
        resident=resident, window_start=local(-30, 7), window_end=local(-30, 9), now=local(-30, 6)
    )
    served = only_proposal(dispatch.run_match(session, now=local(-30, 6)))
    dispatch.withdraw(session, assignment_id=served.id)
    session.add(
        Assignment(
            help_request_id=past.id,
            volunteer_id=old_friend.id,
            status="completed",
            distance_m=400,
            cost=400,
            completed_at=local(-30, 9),
        )
    )
    past.status = "completed"
    session.flush()
    make_help_request(resident=resident)
    assignment = only_proposal_of(session, dispatch.run_match(session))
    assert assignment.volunteer_id == nearest.id
    offered = alternatives.alternatives(session, assignment_id=assignment.id)
    assert [v.id for _, v in offered] == [old_friend.id, at_200.id]
    friend = offered[0][0]
    assert friend.reasons["continuity"] == -300.0
    assert friend.cost == pytest.approx(friend.distance_m - 300, abs=0.2)


def only_proposal_of(session, run):
    [assignment] = [a for a in run.assignments if a.status == "proposed"]
    return assignment


def test_limit_keeps_the_cheapest(session, proposal):
    assignment, (_, at_200, _) = proposal
    [(first, volunteer)] = alternatives.alternatives(session, assignment_id=assignment.id, limit=1)
    assert volunteer.id == at_200.id


def test_infeasible_volunteers_are_never_offered(session, make_help_request, make_volunteer):
    make_volunteer(name="近い 人", **north(50))
    far, _ = make_volunteer(name="遠い 人", max_distance_m=500, **north(900))
    no_skill, _ = make_volunteer(name="できない 人", skills=["shopping"], **north(60))
    asleep, _ = make_volunteer(name="午後だけ 人", availability=[], **north(70))
    ok, _ = make_volunteer(name="できる 人", **north(80))
    make_help_request()
    assignment = only_proposal(dispatch.run_match(session))
    offered = [v.id for _, v in alternatives.alternatives(session, assignment_id=assignment.id)]
    assert offered == [ok.id]
    for refused in (far, no_skill, asleep):
        with pytest.raises(InvalidInput):
            alternatives.override(
                session, assignment_id=assignment.id, volunteer_id=refused.id, by_user_id=None
            )


def test_a_volunteer_who_declined_is_never_offered_again(session, proposal):
    assignment, (at_400, at_200, at_300) = proposal
    first = assignment.volunteer_id
    moved = alternatives.override(
        session, assignment_id=assignment.id, volunteer_id=at_200.id, by_user_id=None
    )
    dispatch.decline(session, assignment_id=moved.id, via="phone")
    again = only_proposal_of(session, dispatch.run_match(session))
    offered = [v.id for _, v in alternatives.alternatives(session, assignment_id=again.id)]
    assert at_200.id not in offered
    assert again.volunteer_id != at_200.id
    assert first in offered or again.volunteer_id == first
    with pytest.raises(InvalidInput):
        alternatives.override(
            session, assignment_id=again.id, volunteer_id=at_200.id, by_user_id=None
        )


def test_a_volunteer_busy_at_that_time_is_not_offered(
    session, make_help_request, make_resident, make_volunteer
):
    make_volunteer(name="近い 人", **north(50))
    busy, _ = make_volunteer(name="忙しい 人", **north(60))
    make_help_request()
    make_help_request(resident=make_resident(name="別の 人", **north(60)))
    run = dispatch.run_match(session)
    mine = next(a for a in run.assignments if a.volunteer_id != busy.id)
    offered = [v.id for _, v in alternatives.alternatives(session, assignment_id=mine.id)]
    assert busy.id not in offered


def test_override_withdraws_the_proposal_and_proposes_the_choice_in_the_same_run(
    session, proposal, sc
):
    assignment, (_, _, at_300) = proposal
    chosen = alternatives.override(
        session, assignment_id=assignment.id, volunteer_id=at_300.id, by_user_id=sc.id
    )
    session.refresh(assignment)
    assert assignment.status == "cancelled"
    assert chosen.status == "proposed"
    assert chosen.volunteer_id == at_300.id
    assert chosen.match_run_id == assignment.match_run_id
    assert chosen.help_request_id == assignment.help_request_id
    assert chosen.proposed_by_id == sc.id
    assert chosen.help_request.status == "proposed"
    assert chosen.distance_m == pytest.approx(300, abs=1)
    # the chosen one can accept it, like any proposal
    dispatch.accept(session, assignment_id=chosen.id, via="phone", by_user_id=sc.id)


def test_override_of_an_answered_proposal_is_refused(session, proposal):
    assignment, (_, at_200, _) = proposal
    dispatch.accept(session, assignment_id=assignment.id)
    with pytest.raises(Conflict):
        alternatives.override(
            session, assignment_id=assignment.id, volunteer_id=at_200.id, by_user_id=None
        )


def test_override_with_the_proposed_volunteer_itself_is_refused(session, proposal):
    assignment, _ = proposal
    with pytest.raises(InvalidInput):
        alternatives.override(
            session,
            assignment_id=assignment.id,
            volunteer_id=assignment.volunteer_id,
            by_user_id=None,
        )


# --- answers: by the volunteer in the app, or by phone through the SC ------------------------


def test_an_answer_by_phone_records_the_sc(session, proposal, sc):
    assignment, _ = proposal
    dispatch.accept(session, assignment_id=assignment.id, via="phone", by_user_id=sc.id)
    row = session.scalar(select(Assignment).where(Assignment.id == assignment.id))
    assert (row.status, row.answered_via, row.answered_by_id) == ("accepted", "phone", sc.id)


def test_a_volunteers_own_answer_is_through_the_app(session, proposal):
    assignment, _ = proposal
    dispatch.decline(session, assignment_id=assignment.id, volunteer_id=assignment.volunteer_id)
    session.refresh(assignment)
    assert (assignment.status, assignment.answered_via) == ("declined", "app")
    assert assignment.answered_by_id is None


def test_a_volunteer_cannot_claim_a_phone_answer(session, proposal, sc):
    assignment, _ = proposal
    with pytest.raises(InvalidInput):
        dispatch.accept(
            session, assignment_id=assignment.id, volunteer_id=assignment.volunteer_id, via="phone"
        )
    with pytest.raises(InvalidInput):
        dispatch.accept(session, assignment_id=assignment.id, via="fax")
    session.refresh(assignment)
    assert assignment.status == "proposed"


def test_the_database_refuses_an_unknown_channel(session, proposal):
    assignment, _ = proposal
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            update(Assignment).where(Assignment.id == assignment.id).values(answered_via="fax")
        )
