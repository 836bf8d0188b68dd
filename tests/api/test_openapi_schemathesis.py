"""The OpenAPI document tells the truth: schemathesis, with every check and every phase (the
stateful one included), runs against the app in-process as the coordinator, the admin, a
volunteer and a shop, and finds no disagreement between /openapi.json and the server.

The one exception is narrow and listed in DOCUMENTED_RULES: a schema-valid request that the
server refuses (422) because of a rule that JSON Schema cannot hold, such as "window_end is later
than window_start" or "points are a multiple of the ward's current voucher unit". Each such rule
is written in its operation's description, and a refusal is excused only when the response
names exactly that field with exactly that rule's message; any other refusal still fails.

The run inside `make test` is bounded by MAX_EXAMPLES (no time limit: with one, schemathesis
keeps fuzzing until the time is up). The heavier run, every role on every operation:
    OPENAPI_FUZZ_EXAMPLES=500 OPENAPI_FUZZ_ALL_OPERATIONS=1 \
        .venv/bin/python -m pytest -n 0 -s tests/api/test_openapi_schemathesis.py
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.transport.wsgi import WSGITransport
from sqlalchemy.orm import Session

from points import shops as points
from tests.conftest import local

#: schemathesis' max-examples: examples per operation in the fuzzing phase, and scenarios in the
#: stateful one. With the coverage phase that is over 100 cases per operation (an operation
#: without parameters has fewer distinct requests) in about 4 CPU-minutes per database on these
#: machines; the heavier run sets OPENAPI_FUZZ_EXAMPLES=500 and OPENAPI_FUZZ_ALL_OPERATIONS=1.
MAX_EXAMPLES = int(os.environ.get("OPENAPI_FUZZ_EXAMPLES", "100"))
#: Stateful scenarios (sequences following the document's links) and their longest length.
STATEFUL_EXAMPLES = int(os.environ.get("OPENAPI_FUZZ_STATEFUL_EXAMPLES", str(MAX_EXAMPLES)))
STATEFUL_STEPS = int(os.environ.get("OPENAPI_FUZZ_STATEFUL_STEPS", "10"))
#: Every role runs every operation (the heavier run), not only those it may call.
ALL_OPERATIONS = os.environ.get("OPENAPI_FUZZ_ALL_OPERATIONS") == "1"
ROLES = ("coordinator", "admin", "volunteer", "shop")

_SLOT_END = (r"json\.availability\.[0-9]+\.end", r"end must be later than start\.")
_UNKNOWN_SKILL = (r"json\.skills", r"Unknown skill .*; known: .*")
_CATEGORY_RULES = [
    (r"json\.required_skills", r"Unknown skill .*; known: .*"),
    (r"json\.label_ja", r"A Japanese label of 1 to 80 characters is required\."),
    (r"json\.new_skills", r".*: listed twice\."),
    (r"json\.new_skills", r".*: a Japanese label of 1 to 80 characters is required\."),
]


def _place_rules(field: str) -> list[tuple[str, str]]:
    """An address or 町丁目 that names no single 町丁目: which part, its code, the candidates."""
    return [
        (rf"json\.{field}", r"(区|町名|丁目|郵便番号|東京都23区|住所|町丁目だけ|例: ).*"),
        (rf"json\.{field}_part", r"address|postcode|prefecture|ward|town|chome"),
        (rf"json\.{field}_candidates", r".+区.+"),
    ]


_POINT_RULES = [
    (r"json\.(lat|lon)", r"Give both lat and lon, or neither\."),
    (r"json\.lat", r"The place must be in one of Tokyo's 23 wards\."),
]

_SERIES_RULES = [
    (r"json\.window_end", r"window_end must be later than window_start\."),
    (r"json\.window_end", r"The window ends after it starts, within the day\."),
    (r"json\.window_end", r"The window must be at least [0-9]+ minutes long\."),
    (r"json\.end_date", r"end_date is on or after start_date\."),
]

#: (method, path) -> the rules JSON Schema cannot say, each (error path, message), both regexes
#: matched in full against the 422's errors. Each is in the operation's description.
DOCUMENTED_RULES: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("POST", "/api/v1/help-requests"): [
        (r"json\.window_end", r"window_end must be later than window_start\."),
        (r"json\.window_end", r"A window is at most 14 days long\."),
        (r"json\.window_end", r"window_end is in the past\."),
        (r"json\.window_end", r"The window must be at least [0-9]+ minutes long\."),
        (r"json\.category", r"Unknown category; known: .*"),
        (r"json\.resident_id", r"No such resident\."),
    ],
    ("POST", "/api/v1/volunteers/{volunteer_id}/blocks"): [
        (r"json\.last_day", r"Must be on or after first_day\."),
        (r"json\.last_day", r"At most [0-9]+ days after first_day\."),
    ],
    ("POST", "/api/v1/match-runs"): [
        (r"json\.window_to", r"window_to must be later than window_from\."),
    ],
    ("POST", "/api/v1/residents"): [*_place_rules("address"), *_POINT_RULES],
    ("POST", "/api/v1/volunteers"): [
        _SLOT_END,
        _UNKNOWN_SKILL,
        *_place_rules("address"),
        *_POINT_RULES,
        (r"json\.address", r"Give lat and lon, or an address\."),
    ],
    ("PATCH", "/api/v1/volunteers/{volunteer_id}"): [
        _SLOT_END,
        _UNKNOWN_SKILL,
        (r"json\.(lat|lon)", r"Change lat and lon together\."),
    ],
    ("POST", "/api/v1/trial-signups"): [
        _SLOT_END,
        (r"json\.interests", r"Unknown category; known: .*"),
        (r"json\.(lat|lon)", r"Give both lat and lon\."),
        (r"json\.chome", r"Give lat and lon, or a chome\."),
        *_place_rules("chome"),
        *_place_rules("address"),
        (r"json\.lat", r"The place must be in one of Tokyo's 23 wards\."),
    ],
    ("POST", "/api/v1/volunteers/{volunteer_id}/vouchers"): [
        (r"json\.points", r"Must be a positive multiple of [0-9]+\."),
    ],
    ("POST", "/api/v1/categories"): _CATEGORY_RULES,
    ("PATCH", "/api/v1/categories/{code}"): _CATEGORY_RULES,
    ("POST", "/api/v1/series"): [
        *_SERIES_RULES,
        (r"json\.category", r"Unknown category; known: .*"),
        (r"json\.resident_id", r"No such resident\."),
    ],
    ("PATCH", "/api/v1/series/{series_id}"): _SERIES_RULES,
    ("POST", "/api/v1/series/{series_id}/standing"): [
        (r"json\.volunteer_id", r"No such active volunteer\."),
    ],
    ("POST", "/api/v1/redemptions"): [
        (r"json\.code", r"A voucher code has 16 symbols, like XXXX-XXXX-XXXX-XXXX\."),
        (r"json\.code", r"Not a voucher code: .* never appears in one\."),
        (r"json\.code", r"The code's check symbol does not match: please read it again\."),
    ],
}


def _flatten(node: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """{"json": {"availability": {"0": {"end": ["why"]}}}} -> ("json.availability.0.end", "why")."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list) and all(isinstance(x, str) for x in node):
        for message in node:
            yield prefix, message
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _flatten(value, f"{prefix}.{i}")
    else:
        yield prefix, repr(node)


def documented_rule(method: str, path: str, status: int, body: Any) -> bool:
    """True when a 422 names only rules that the operation's description states."""
    rules = DOCUMENTED_RULES.get((method.upper(), path))
    if status != 422 or not rules or not isinstance(body, dict) or not body.get("errors"):
        return False
    found = list(_flatten(body["errors"]))
    return bool(found) and all(
        any(
            re.fullmatch(where, at) and re.fullmatch(why, message, re.DOTALL)
            for where, why in rules
        )
        for at, message in found
    )


@schemathesis.check
def positive_data_acceptance_beyond_the_schema(ctx: Any, response: Any, case: Any) -> Any:
    """schemathesis' positive_data_acceptance, excusing only the DOCUMENTED_RULES."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        try:
            body = response.json()
        except ValueError:
            raise
        if documented_rule(case.operation.method, case.operation.path, response.status_code, body):
            return None
        raise


def test_documented_rules_are_narrow():
    window = {"errors": {"json": {"window_end": ["window_end must be later than window_start."]}}}
    assert documented_rule("POST", "/api/v1/help-requests", 422, window)
    # another field, another message, another operation, another status: all still failures
    other = {"errors": {"json": {"notes": ["window_end must be later than window_start."]}}}
    assert not documented_rule("POST", "/api/v1/help-requests", 422, other)
    wrong = {"errors": {"json": {"window_end": ["Not a valid datetime."]}}}
    assert not documented_rule("POST", "/api/v1/help-requests", 422, wrong)
    assert not documented_rule("POST", "/api/v1/residents", 422, window)
    assert not documented_rule("POST", "/api/v1/help-requests", 400, window)
    both = {"errors": {"json": {**window["errors"]["json"], "notes": ["Longer than 1000."]}}}
    assert not documented_rule("POST", "/api/v1/help-requests", 422, both)
    slot = {"errors": {"json": {"availability": {"1": {"end": ["end must be later than start."]}}}}}
    assert documented_rule("POST", "/api/v1/volunteers", 422, slot)


def _config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20261129,
            # nothing written into the worktree (.schemathesis/)
            "cache": {"enabled": False},
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "checks": {
                # replaced by positive_data_acceptance_beyond_the_schema, which calls it
                "positive_data_acceptance": {"enabled": False},
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {
                    "enabled": True,
                    "max-steps": STATEFUL_STEPS,
                    "generation": {"max-examples": STATEFUL_EXAMPLES},
                },
            },
        }
    )


def operations_of(app: Any, role: str) -> list[str]:
    """The operations ("POST /api/v1/residents") this role runs in make test.

    Each operation runs as the roles that may call it: the coordinator also runs the public
    ones, the admin only those beyond a coordinator's (require lets an admin do whatever a
    coordinator may). With OPENAPI_FUZZ_ALL_OPERATIONS=1 every role runs every operation,
    refusals (401, 403, 404) included.
    """
    labels = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        roles = getattr(app.view_functions[rule.endpoint], "roles", None)
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        if (
            ALL_OPERATIONS
            or {
                "coordinator": roles is None or "coordinator" in (roles or ()),
                "admin": roles is not None and "admin" in roles and "coordinator" not in roles,
                "volunteer": roles is not None and "volunteer" in roles,
                "shop": roles is not None and "shop" in roles,
            }[role]
        ):
            labels += [f"{method} {path}" for method in rule.methods - {"HEAD", "OPTIONS"}]
    return sorted(labels)


def test_every_operation_runs_as_someone(app):
    every = set().union(*(operations_of(app, role) for role in ROLES))
    spec = app.test_client().get("/openapi.json").get_json()
    documented = {
        f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops if m != "parameters"
    }
    assert every == documented


def run_schemathesis(app: Any, role: str, token: str) -> tuple[list[str], dict[str, Any]]:
    """Run every phase and check; return the failures, described, and some figures."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=_config(token))
    schema = schema.include(name=operations_of(app, role))
    failures: list[str] = []
    figures: dict[str, Any] = {"cases": 0, "phases": {}, "per_operation": {}}
    started = time.monotonic()
    stop_reason = None
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            figures["cases"] += len(recorder.cases)
            phase = figures["phases"].setdefault(event.phase.value, [0, 0.0])
            phase[0] += len(recorder.cases)
            phase[1] = round(phase[1] + event.elapsed_time, 1)
            for node in recorder.cases.values():
                label = node.value.operation.label
                figures["per_operation"][label] = figures["per_operation"].get(label, 0) + 1
            for case_id, nodes in recorder.checks.items():
                for node in nodes:
                    if node.failure_info is None:
                        continue
                    case = recorder.cases[case_id].value
                    response = recorder.find_response(case_id=case_id)
                    failures.append(
                        f"[{event.phase.value}] {case.operation.label} {node.name}:"
                        f" {node.failure_info.failure.title}\n"
                        f"  {node.failure_info.failure.message[:400]}\n"
                        f"  path={case.path_parameters} query={case.query}"
                        f" body={str(case.body)[:400]}\n"
                        f"  -> {response.status_code if response else None}"
                        f" {response.content[:400] if response else b''!r}"
                    )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"error in {event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            failures.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            stop_reason = event.stop_reason
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["stop_reason"] = str(stop_reason)
    return failures, figures


#: Hypothesis warns, then pyproject's filterwarnings = error would turn that into an error
pytestmark = pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)


@pytest.fixture(autouse=True)
def _in_process_requests(monkeypatch):
    """schemathesis 4.32's WSGI transport passes max_redirects (and verify, cert, proxies) on to
    werkzeug's EnvironBuilder in some phases, which refuses them: drop them, as it does itself
    when it is given a requests.Session."""
    original = WSGITransport.send

    def send(self, case, *, session=None, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return original(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send)


@pytest.fixture
def principals(
    app, monkeypatch, session: Session, coordinator, admin, make_volunteer, make_help_request
):
    """A token per principal, and a little data for their requests to find."""
    # thousands of signups a minute: schemathesis would wait out each 429's Retry-After
    for limiter in app.extensions["limiter"]:
        monkeypatch.setattr(limiter, "enabled", False)
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    volunteer, volunteer_token = make_volunteer()
    _, shop_key = points.create_shop(session, name="三軒茶屋 青果店", address="x", now=local(0, 9))
    session.commit()
    return {
        "coordinator": coordinator,
        "admin": admin,
        "volunteer": volunteer_token,
        "shop": shop_key,
    }


@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_finds_no_disagreement(app, principals, role, record_property):
    failures, figures = run_schemathesis(app, role, principals[role])
    record_property("schemathesis", figures)
    print(f"schemathesis as {role}: {figures}")  # noqa: T201 - shown with -s, for timings
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} failures)"
    assert figures["stop_reason"] == "completed", figures
    assert set(figures["per_operation"]) == set(operations_of(app, role)), figures
