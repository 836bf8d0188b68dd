"""Date blocks: the days a volunteer cannot help are never proposed to them, by a match run or
as an SC's alternative; no-shows are counted."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from db import InvalidInput, NotFound
from matching import alternatives, blocks, dispatch
from matching.domain import CostWeights, RequestSpec, Slot, VolunteerSpec
from matching.engine import plan
from matching.models import Assignment, VolunteerDateBlock
from tests.conftest import TOKYO, local
from tests.matching import reference
from tests.matching.test_dispatch_history import HOME, north, only_proposal


def day(offset: int) -> dt.date:
    return dt.datetime.now(TOKYO).date() + dt.timedelta(days=offset)


def test_a_block_is_kept_and_listed_earliest_first(session, make_volunteer):
    volunteer, _ = make_volunteer()
    later = blocks.add_block(session, volunteer_id=volunteer.id, first_day=day(10), note="入院")
    earlier = blocks.add_block(
        session, volunteer_id=volunteer.id, first_day=day(3), last_day=day(5), note="旅行"
    )
    assert later.last_day == later.first_day == day(10)
    assert blocks.list_blocks(session, volunteer_id=volunteer.id) == [earlier, later]
    assert blocks.list_blocks(session, volunteer_id=volunteer.id, since=day(6)) == [later]
    assert blocks.is_blocked(session, volunteer_id=volunteer.id, day=day(4))
    assert not blocks.is_blocked(session, volunteer_id=volunteer.id, day=day(6))


def test_overlapping_blocks_are_kept_and_removed_one_by_one(session, make_volunteer):
    volunteer, _ = make_volunteer()
    week = blocks.add_block(session, volunteer_id=volunteer.id, first_day=day(3), last_day=day(9))
    blocks.add_block(session, volunteer_id=volunteer.id, first_day=day(5), last_day=day(12))
    blocks.remove_block(session, volunteer_id=volunteer.id, block_id=week.id)
    assert not blocks.is_blocked(session, volunteer_id=volunteer.id, day=day(4))
    assert blocks.is_blocked(session, volunteer_id=volunteer.id, day=day(6))


def test_a_block_ends_on_or_after_it_begins_and_lasts_at_most_a_year(session, make_volunteer):
    volunteer, _ = make_volunteer()
    with pytest.raises(InvalidInput):
        blocks.add_block(session, volunteer_id=volunteer.id, first_day=day(5), last_day=day(4))
    with pytest.raises(InvalidInput):
        blocks.add_block(session, volunteer_id=volunteer.id, first_day=day(1), last_day=day(367))
    with pytest.raises(NotFound):
        blocks.add_block(session, volunteer_id=volunteer.id + 1000, first_day=day(1))


def test_the_database_refuses_a_block_that_ends_before_it_begins(session, make_volunteer):
    volunteer, _ = make_volunteer()
    session.add(VolunteerDateBlock(volunteer_id=volunteer.id, first_day=day(5), last_day=day(4)))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_only_the_volunteers_own_block_can_be_removed(session, make_volunteer):
    volunteer, _ = make_volunteer()
    other, _ = make_volunteer(name="鈴木 次郎")
    block = blocks.add_block(session, volunteer_id=volunteer.id, first_day=day(3))
    with pytest.raises(NotFound):
        blocks.remove_block(session, volunteer_id=other.id, block_id=block.id)
    assert blocks.list_blocks(session, volunteer_id=volunteer.id) == [block]


def test_a_blocked_volunteer_is_not_proposed_and_the_request_says_why(
    session, make_help_request, make_volunteer
):
    blocked, _ = make_volunteer(name="旅行中", **north(50))
    blocks.add_block(session, volunteer_id=blocked.id, first_day=day(1), last_day=day(3))
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    run = dispatch.run_match(session)
    assert run.assignments == []
    assert run.unmatched == [
        {"help_request_id": request.id, "reason": "blocked", "detail": dispatch.BLOCKED[1]}
    ]


def test_the_next_nearest_is_proposed_instead(session, make_help_request, make_volunteer):
    blocked, _ = make_volunteer(name="入院中", **north(50))
    farther, _ = make_volunteer(name="少し遠い", **north(400))
    blocks.add_block(session, volunteer_id=blocked.id, first_day=day(2))
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    assert only_proposal(dispatch.run_match(session)).volunteer_id == farther.id


def test_a_block_covers_whole_local_days_only(session, make_help_request, make_volunteer):
    volunteer, _ = make_volunteer(**north(50))
    # blocked the day after: a window ending at 24:00 local does not touch it
    blocks.add_block(session, volunteer_id=volunteer.id, first_day=day(3))
    evening = make_help_request(window_start=local(2, 22), window_end=local(3, 0))
    assert only_proposal(dispatch.run_match(session)).help_request_id == evening.id
    # a window from 23:00 into the blocked day touches it
    make_help_request(window_start=local(3, 23) - dt.timedelta(days=1), window_end=local(3, 1))
    run = dispatch.run_match(session)
    assert run.assignments == []


def test_the_day_before_and_after_a_block_are_free(session, make_help_request, make_volunteer):
    volunteer, _ = make_volunteer(**north(50))
    blocks.add_block(session, volunteer_id=volunteer.id, first_day=day(3), last_day=day(4))
    before = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    assert only_proposal(dispatch.run_match(session)).help_request_id == before.id
    after = make_help_request(window_start=local(5, 7), window_end=local(5, 9))
    assert only_proposal(dispatch.run_match(session)).help_request_id == after.id


def test_an_alternative_is_never_a_blocked_volunteer(session, make_help_request, make_volunteer):
    nearest, _ = make_volunteer(name="近い 人", **north(50))
    blocked, _ = make_volunteer(name="旅行中", **north(100))
    free, _ = make_volunteer(name="空いている", **north(300))
    blocks.add_block(session, volunteer_id=blocked.id, first_day=day(2))
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    assignment = only_proposal(dispatch.run_match(session))
    assert assignment.volunteer_id == nearest.id
    offered = alternatives.alternatives(session, assignment_id=assignment.id)
    assert [v.id for _, v in offered] == [free.id]


def test_a_block_of_another_volunteer_changes_nothing(session, make_help_request, make_volunteer):
    volunteer, _ = make_volunteer(**north(50))
    other, _ = make_volunteer(name="遠くの人", lat=35.70, lon=139.70)
    blocks.add_block(session, volunteer_id=other.id, first_day=day(2))
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    assert only_proposal(dispatch.run_match(session)).volunteer_id == volunteer.id


def no_show(session, volunteer, request) -> Assignment:
    assignment = Assignment(
        help_request_id=request.id,
        volunteer_id=volunteer.id,
        status="no_show",
        distance_m=50.0,
        cost=50.0,
    )
    session.add(assignment)
    session.flush()
    return assignment


def past_request(make_help_request, offset: int):
    return make_help_request(
        window_start=local(offset, 7), window_end=local(offset, 9), now=local(offset, 6)
    )


def test_no_shows_are_counted_per_volunteer(session, make_help_request, make_volunteer):
    volunteer, _ = make_volunteer(**north(50))
    other, _ = make_volunteer(name="鈴木 次郎")
    assert blocks.no_show_count(session, volunteer_id=volunteer.id) == 0

    def past(offset: int):
        return make_help_request(
            window_start=local(offset, 7), window_end=local(offset, 9), now=local(offset, 6)
        )

    for offset in (-200, -2):
        no_show(session, volunteer, past(offset))
    no_show(session, other, past(-3))
    assert blocks.no_show_count(session, volunteer_id=volunteer.id) == 2
    # dated by the request's window
    recent = blocks.no_show_counts(
        session, volunteer_ids=[volunteer.id, other.id], since=local(-180, 0)
    )
    assert recent == {volunteer.id: 1, other.id: 1}
    # counting never deactivates anyone
    assert volunteer.status == "active"


def test_a_recent_no_show_costs_the_documented_penalty_and_a_free_equal_is_preferred(
    session, make_help_request, make_volunteer
):
    missed, _ = make_volunteer(name="来なかった 人", **north(100))
    steady, _ = make_volunteer(name="いつも来る 人", **north(250))
    no_show(session, missed, past_request(make_help_request, -10))
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    proposal = only_proposal(dispatch.run_match(session))
    # 100 m + 200 m for the no-show costs more than 250 m
    assert proposal.volunteer_id == steady.id
    assert proposal.reasons["no_show"] == 0.0
    [(alternative, who)] = alternatives.alternatives(session, assignment_id=proposal.id)
    assert who.id == missed.id
    assert alternative.reasons["no_show"] == CostWeights().no_show_penalty_m == 200.0
    assert alternative.cost == pytest.approx(100 + 200, abs=1)


def test_a_volunteer_with_no_shows_is_still_proposed_when_nobody_else_can(
    session, make_help_request, make_volunteer
):
    missed, _ = make_volunteer(**north(100))
    for offset in (-30, -20, -10):
        no_show(session, missed, past_request(make_help_request, offset))
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    proposal = only_proposal(dispatch.run_match(session))
    assert proposal.volunteer_id == missed.id
    assert proposal.reasons["no_show"] == 3 * 200.0
    assert proposal.cost == pytest.approx(100 + 600, abs=1)
    assert missed.status == "active"


def test_a_no_show_older_than_180_days_costs_nothing(session, make_help_request, make_volunteer):
    missed, _ = make_volunteer(**north(100))
    no_show(session, missed, past_request(make_help_request, -181))
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    proposal = only_proposal(dispatch.run_match(session))
    assert proposal.reasons["no_show"] == 0.0


def test_the_no_show_term_is_the_references(make_help_request):
    # the pure core: plan() prices a no-show exactly as the reference cost does; the nearest
    # (100 m, two no-shows: 500) loses to the next (150 m, none)
    request = RequestSpec(
        id=1,
        resident_id=1,
        lat=HOME[0],
        lon=HOME[1],
        required_skills=frozenset(),
        duration_min=30,
        trial_ok=True,
        window_start=local(2, 7),
        window_end=local(2, 9),
    )
    always = tuple(Slot(d, 0, 1440) for d in range(7))
    volunteers = [
        VolunteerSpec(
            id=10 + i,
            lat=HOME[0] + (100 + 50 * i) / 111_195.0,
            lon=HOME[1],
            max_distance_m=1000,
            skills=frozenset(),
            slots=always,
            is_trial=False,
            recent_no_shows=n,
        )
        for i, n in enumerate((2, 0, 1))
    ]
    result = plan([request], volunteers)
    [proposal] = result.proposals
    best = min(volunteers, key=lambda v: reference.cost(v, request))
    assert proposal.volunteer_id == best.id == 11
    assert proposal.cost == pytest.approx(reference.cost(best, request), abs=1e-6)
    assert reference.cost(volunteers[0], request) == pytest.approx(100 + 2 * 200, abs=0.01)
