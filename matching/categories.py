"""Task categories as a ward sets them up: add 見守り or 通院付き添い, change points or duration,
open a category to おためし volunteers, or remove one typed by mistake.

The same functions serve the API (`POST/PATCH/DELETE /categories`) and the admin's settings
screen. Each flushes, never commits. A category's code is what requests, programs and CSV
exports refer to: it may change only while no help request uses it, and a used category is
never deleted (its history would lose its name). Removing a used category from what SCs and
trial volunteers are offered is done by closing it to trial, not by deleting it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import Conflict, InvalidInput, NotFound
from matching.models import Category, HelpRequest, Skill

#: a category's or a skill's code: lower-case ASCII, digits and _ (it appears in URLs and CSV)
CODE_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
LABEL_MAX = 80
#: categories.duration_range allows a task of at most 8 hours
DURATION_RANGE = (1, 480)
#: more than 1,000 points for one task would be a typing mistake (a day's cap is 200 by default)
POINTS_RANGE = (1, 1000)
FIELDS = ("code", "label_ja", "duration_min", "points", "trial_ok", "required_skills", "new_skills")
_CODE = re.compile(CODE_PATTERN)


def list_skills(session: Session) -> list[Skill]:
    """Return every skill a category may require, by code."""
    return list(session.scalars(select(Skill).order_by(Skill.code)))


def get_category(session: Session, *, code: str) -> Category:
    """Return the category with this code (NotFound: 404)."""
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound(f"Category {code!r} not found.")
    return category


def times_used(session: Session, *, category: Category) -> int:
    """How many help requests (of any status) are of this category."""
    return (
        session.scalar(
            select(func.count())
            .select_from(HelpRequest)
            .where(HelpRequest.category_id == category.id)
        )
        or 0
    )


def create_category(
    session: Session,
    *,
    code: str,
    label_ja: str,
    duration_min: int,
    points: int,
    trial_ok: bool = False,
    required_skills: Sequence[str] = (),
    new_skills: Sequence[Mapping[str, str]] = (),
) -> Category:
    """Add a task category; new_skills ({code, label_ja}) are created and required by it."""
    values = _checked(
        {
            "code": code,
            "label_ja": label_ja,
            "duration_min": duration_min,
            "points": points,
            "trial_ok": trial_ok,
        }
    )
    _check_unique(session, values, category=None)
    category = Category(**values)
    category.skills = _skills(session, required_skills, new_skills)
    session.add(category)
    session.flush()
    return category


def update_category(session: Session, *, code: str, changes: Mapping[str, Any]) -> Category:
    """Change a category; a new code only while no help request uses it (Conflict: 409)."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput("Unknown field.", {name: ["Unknown field."] for name in unknown})
    category = get_category(session, code=code)
    values = _checked(
        {k: v for k, v in changes.items() if k not in ("required_skills", "new_skills")}
    )
    if (
        "code" in values
        and values["code"] != category.code
        and times_used(session, category=category)
    ):
        raise Conflict(
            f"Category {category.code!r} is used by help requests; its code cannot change.",
            {"code": ["Used by help requests: the code cannot change."]},
        )
    _check_unique(session, values, category=category)
    skills = None
    if "required_skills" in changes or "new_skills" in changes:
        required = changes.get("required_skills", category.required_skills)
        skills = _skills(session, required, changes.get("new_skills", ()))
    for name, value in values.items():
        setattr(category, name, value)
    if skills is not None:
        category.skills = skills
    session.flush()
    return category


def delete_category(session: Session, *, code: str) -> None:
    """Remove a category no help request ever used (a used one: Conflict, 409)."""
    category = get_category(session, code=code)
    if times_used(session, category=category):
        raise Conflict(
            f"Category {category.code!r} is used by help requests and is kept for their history;"
            " set trial_ok to false to stop offering it to trial volunteers."
        )
    session.delete(category)
    session.flush()


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """The rules a schema also states, kept here so every caller is held to them."""
    errors: dict[str, list[str]] = {}
    if "code" in values and not (
        isinstance(values["code"], str) and _CODE.fullmatch(values["code"])
    ):
        errors["code"] = ["Use 2 to 40 of a-z, 0-9 and _, starting with a letter."]
    if "label_ja" in values:
        label = values["label_ja"].strip() if isinstance(values["label_ja"], str) else ""
        if not label or len(label) > LABEL_MAX:
            errors["label_ja"] = [f"A Japanese label of 1 to {LABEL_MAX} characters is required."]
        values["label_ja"] = label
    for name, (low, high) in (("duration_min", DURATION_RANGE), ("points", POINTS_RANGE)):
        if name in values and not (
            isinstance(values[name], int)
            and not isinstance(values[name], bool)
            and low <= values[name] <= high
        ):
            errors[name] = [f"Must be between {low} and {high}."]
    if "trial_ok" in values and not isinstance(values["trial_ok"], bool):
        errors["trial_ok"] = ["Must be true or false."]
    if errors:
        raise InvalidInput("Invalid category.", errors)
    return values


def _check_unique(
    session: Session, values: Mapping[str, Any], *, category: Category | None
) -> None:
    """Two categories never share a code, nor a label (an SC picks by the label)."""
    others = select(Category)
    if category is not None:
        others = others.where(Category.id != category.id)
    if "code" in values and session.scalar(others.where(Category.code == values["code"])):
        raise Conflict(
            f"A category {values['code']!r} exists already.",
            {"code": ["Taken by another category."]},
        )
    if "label_ja" in values and session.scalar(
        others.where(Category.label_ja == values["label_ja"])
    ):
        raise Conflict(
            f"A category labelled {values['label_ja']!r} exists already.",
            {"label_ja": ["Taken by another category."]},
        )


def _skills(
    session: Session, required: Sequence[str], new: Sequence[Mapping[str, str]]
) -> list[Skill]:
    """The skills a category requires: existing ones by code, plus new ones created here."""
    known = {s.code: s for s in list_skills(session)}
    missing = sorted({code for code in required if code not in known})
    if missing:
        raise InvalidInput(
            f"Unknown skill {', '.join(missing)}.",
            {
                "required_skills": [
                    f"Unknown skill {', '.join(missing)}; known: {', '.join(known)}."
                ]
            },
        )
    chosen = {code: known[code] for code in required}
    taken = sorted({item.get("code", "") for item in new} & set(known))
    if taken:
        raise Conflict(
            f"Skill {', '.join(taken)} exists already.",
            {"new_skills": [f"{', '.join(taken)}: exists already; list it in required_skills."]},
        )
    errors: dict[str, list[str]] = {}
    for item in new:
        code, label = item.get("code", ""), (item.get("label_ja") or "").strip()
        if not (isinstance(code, str) and _CODE.fullmatch(code)):
            errors.setdefault("new_skills", []).append(
                f"{code!r}: use 2 to 40 of a-z, 0-9 and _, starting with a letter."
            )
        elif not label or len(label) > LABEL_MAX:
            errors.setdefault("new_skills", []).append(
                f"{code}: a Japanese label of 1 to {LABEL_MAX} characters is required."
            )
        elif code in chosen:
            errors.setdefault("new_skills", []).append(f"{code}: listed twice.")
        else:
            chosen[code] = Skill(code=code, label_ja=label)
    if errors:
        raise InvalidInput("Invalid new skill.", errors)
    session.add_all(chosen[code] for code in chosen if code not in known)
    return [chosen[code] for code in sorted(chosen)]
