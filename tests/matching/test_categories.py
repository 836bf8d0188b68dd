"""The category and staff services the API and the settings screen share: what they refuse,
and that a refusal changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from access import staff
from access.models import User
from db import Conflict, InvalidInput, NotFound
from matching import categories
from matching.models import Skill

NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)


def mimamori(session, **params):
    params.setdefault("code", "mimamori")
    params.setdefault("label_ja", " 見守り ")
    params.setdefault("duration_min", 30)
    params.setdefault("points", 50)
    return categories.create_category(session, **params)


def test_a_label_is_kept_without_its_surrounding_spaces(session):
    assert mimamori(session).label_ja == "見守り"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"duration_min": True}, "duration_min"),
        ({"points": 2.5}, "points"),
        ({"points": 1001}, "points"),
        ({"trial_ok": "yes"}, "trial_ok"),
        ({"code": "a"}, "code"),
        ({"label_ja": "あ" * 81}, "label_ja"),
        ({"new_skills": [{"code": "x1", "label_ja": "　"}]}, "new_skills"),
        ({"new_skills": [{"code": "Bad", "label_ja": "見守り"}]}, "new_skills"),
    ],
)
def test_the_service_holds_every_rule_without_the_schema(session, params, field):
    with pytest.raises(InvalidInput) as refused:
        mimamori(session, **params)
    assert list(refused.value.errors or {}) == [field]
    assert categories.list_skills(session)[-1].code == "shopping"


def test_a_refused_new_skill_leaves_the_others_uncreated(session):
    with pytest.raises(InvalidInput):
        mimamori(
            session,
            new_skills=[{"code": "watching", "label_ja": "見守り"}, {"code": "x1", "label_ja": ""}],
        )
    session.flush()
    assert session.get(Skill, "watching") is None


def test_a_new_skill_listed_twice_is_refused(session):
    twice = [{"code": "watching", "label_ja": "見守り"}] * 2
    with pytest.raises(InvalidInput) as refused:
        mimamori(session, new_skills=twice)
    assert refused.value.errors == {"new_skills": ["watching: listed twice."]}


def test_a_refused_change_changes_nothing(session):
    with pytest.raises(InvalidInput):
        categories.update_category(
            session, code="garbage", changes={"points": 70, "required_skills": ["flying"]}
        )
    session.expire_all()
    garbage = categories.get_category(session, code="garbage")
    assert (garbage.points, garbage.required_skills) == (50, ["garbage"])
    with pytest.raises(InvalidInput):
        categories.update_category(session, code="garbage", changes={"colour": "red"})
    with pytest.raises(NotFound):
        categories.update_category(session, code="nothing", changes={})


def test_changing_only_new_skills_keeps_the_required_ones(session):
    changed = categories.update_category(
        session,
        code="shopping",
        changes={"new_skills": [{"code": "cash", "label_ja": "お金の扱い"}]},
    )
    assert changed.required_skills == ["cash", "shopping"]
    assert session.get(Skill, "cash").label_ja == "お金の扱い"


def test_staff_are_added_with_a_long_password_and_a_unique_name(session):
    sc = staff.create_staff(session, name=" sc-taishido ", role="coordinator", password="x" * 12)
    assert sc.name == "sc-taishido"
    with pytest.raises(Conflict):
        staff.create_staff(session, name="sc-taishido", role="admin", password="y" * 12)
    with pytest.raises(InvalidInput, match="password"):
        staff.create_staff(session, name="sc-2", role="coordinator", password="short")
    with pytest.raises(InvalidInput) as role:
        staff.create_staff(session, name="sc-3", role="volunteer", password="x" * 12)
    assert list(role.value.errors or {}) == ["role"]
    with pytest.raises(InvalidInput):
        staff.create_staff(session, name="  ", role="coordinator", password="x" * 12)
    names = session.scalars(select(User.name).where(User.name.like("sc-%"))).all()
    assert names == ["sc-taishido"]


def test_nobody_stops_themselves(session):
    admin = staff.create_staff(session, name="ward-admin", role="admin", password="x" * 12)
    with pytest.raises(Conflict):
        staff.disable_staff(session, user_id=admin.id, by=admin, now=NOW)
    assert admin.password_hash is not None
    with pytest.raises(NotFound):
        staff.reset_password(session, user_id=999_999, password="z" * 12)
