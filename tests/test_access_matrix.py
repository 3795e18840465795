"""The access matrix: every URL × method × role × object, compared with the expected table `tests/access_matrix.csv`.

Each URL of the project (the same walk, world and valid POST bodies as `tests/test_isolation.py`) is called by each
role of a cell (requester, effector, coordinator, supervisor, cell_admin) and by an anonymous visitor, with GET and,
where the view accepts it, POST. A URL that names an object is called with:

- `own`: the acting user's object where ownership means something (the requester's own request, the effector's own
  plan or appointment, one's own membership); for a role that owns nothing of that kind, and for cell-level objects
  (a site, a territory…), the object of the acting user's cell;
- `same_cell`: someone else's object in the same cell (another requester's request, another effector's plan…), only
  for the kinds of objects that have an owner;
- `other_cell`: the other cell's object, in an address of the acting user's own cell.

The JSON API is called by the requester with a bearer token (the only way in) and by the other roles with their
session only, which the API must refuse. Django's admin is walked where its addresses name no object.

A response is an allow (2xx, or a redirection that is not to the login page) or a deny (401, 403, 404, 405, or a
redirection to the login page); anything else is written as `error <status>`. Each POST runs in a savepoint rolled
back afterwards, so the cases do not depend on each other.

After a reviewed change of access (a new URL, a new role permission), rewrite the table and read its diff:

    AIGUILLAGE_WRITE_ACCESS_MATRIX=1 python3 -m uv run --frozen pytest -q -n 2 tests/test_access_matrix.py
    git diff tests/access_matrix.csv
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from accounts.models import Membership, Role, User
from agenda.models import Booking, Slot
from agenda.services import plan_save, slot_book
from agenda.tests.factories import make_slot
from api.services import api_token_create
from conftest import World
from directory.models import Site
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory, UserFactory
from tests.test_isolation import NOT_OBJECTS, OBJECTS_BY_URL, VALID_BODIES, Route, walk

MATRIX = Path(__file__).with_name("access_matrix.csv")
WRITE = os.environ.get("AIGUILLAGE_WRITE_ACCESS_MATRIX") == "1"
REWRITE_HOW = (
    "If the change is intended, rewrite the table and review its diff row by row:\n"
    "    AIGUILLAGE_WRITE_ACCESS_MATRIX=1 python3 -m uv run --frozen pytest -q -n 2 tests/test_access_matrix.py\n"
    "    git diff tests/access_matrix.csv"
)
HEADER = ("url", "method", "role", "object", "expected")
COMMENT = (
    "# Expected access, one row per URL name × method × role × object; checked and rewritten by "
    "tests/test_access_matrix.py (see its docstring).\n"
    "# object: own = the acting user's own object, or their cell's for objects nobody owns; same_cell = someone "
    "else's in the same cell; other_cell = another cell's; - = no object in the address.\n"
)

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, Role.REQUESTER, Role.EFFECTOR, Role.COORDINATOR, Role.SUPERVISOR, Role.CELL_ADMIN)
NO_OBJECT, OWN, SAME_CELL, OTHER_CELL = "-", "own", "same_cell", "other_cell"
API_NAMESPACE = "api_v1"

# The API's addresses that name an object (the cell comes from the token, never from the address).
API_OBJECTS: dict[str, dict[str, Callable[[World, Any], Any]]] = {
    "api_v1:get_request": {"request_id": lambda w, cell: cell.requests.first()},
}
API_BODIES: dict[str, dict[str, Any]] = {
    "api_v1:create_request": {
        "patient": {
            "last_name": "Matrice",
            "first_name": "Léa",
            "commune_insee": "61006",
            "phone": "06 12 34 56 78",
            "mt_situation": "no_mt",
        },
        "need": {
            "reason": "Otalgie",
            "reason_category": "pain",
            "care_channel": "gp",
            "urgency": "48h",
            "elsewhere": "er",
        },
    },
}


@dataclass(frozen=True)
class Owned:
    """A kind of object that has an owner: who may own one, and, for an acting user, their own and someone else's."""

    owner_roles: frozenset[str]
    own: Callable[[Any, User, Any], Any]  # (extras, user, the cell's usual object) → the user's own
    someone_elses: Callable[[Any, User], Any]


@dataclass
class Extras:
    """Objects of the test cell owned by someone other than the acting users."""

    cell: Any
    members: dict[str, User]
    other_request: Any  # another requester's, received
    other_booking: Booking  # another effector's appointment, for another requester's patient
    other_plan: Any
    token: str  # the requester's bearer token


def _own_membership(extras: Extras, user: User, usual: Any) -> Any:
    return Membership.objects.get(user=user, cell=extras.cell)


def _someone_elses_membership(extras: Extras, user: User) -> Any:
    admin, coordinator = extras.members[Role.CELL_ADMIN], extras.members[Role.COORDINATOR]
    return Membership.objects.get(user=coordinator if user == admin else admin, cell=extras.cell)


# The world's requests were all sent by the requester's professional, and its booked slot is the effector's (see
# `extras`): the cell's usual request, appointment and plan are the requester's or the effector's own.
_REQUEST = Owned(frozenset({Role.REQUESTER}), lambda e, u, usual: usual, lambda e, u: e.other_request)
_BOOKING = Owned(frozenset({Role.REQUESTER, Role.EFFECTOR}), lambda e, u, usual: usual, lambda e, u: e.other_booking)
_PLAN = Owned(frozenset({Role.EFFECTOR}), lambda e, u, usual: usual, lambda e, u: e.other_plan)
_MEMBERSHIP = Owned(frozenset(ROLES) - {ANONYMOUS}, _own_membership, _someone_elses_membership)
# A professional's day sheet: the effector's own professional, or the other effector's.
_PROFESSIONAL = Owned(
    frozenset({Role.EFFECTOR}),
    lambda e, u, usual: u.memberships.get(cell=e.cell).professional,
    lambda e, u: e.other_booking.slot.professional,
)

# URL name → (address part naming the owned object, its kind).
OWNERSHIP: dict[str, tuple[str, Owned]] = {
    "referrals:request_detail": ("pk", _REQUEST),
    "referrals:request_action": ("pk", _REQUEST),
    "agenda:book": ("pk", _REQUEST),
    "alerts:start": ("pk", _REQUEST),
    "api_v1:get_request": ("request_id", _REQUEST),
    "agenda:booking_cancel": ("pk", _BOOKING),
    "agenda:booking_outcome": ("pk", _BOOKING),
    "agenda:booking_move": ("pk", _BOOKING),
    "agenda:booking_note": ("pk", _BOOKING),
    "agenda:booking_slip": ("pk", _BOOKING),
    "agenda:appointment": ("pk", _BOOKING),
    "agenda:appointment_outcome": ("pk", _BOOKING),
    "agenda:appointment_debrief": ("pk", _BOOKING),
    "agenda:plan_update": ("pk", _PLAN),
    "agenda:plan_stop": ("pk", _PLAN),
    "accounts:member_update": ("pk", _MEMBERSHIP),
    "desk:daysheet_professional": ("pk", _PROFESSIONAL),
    "desk:daysheet_professional_pdf": ("pk", _PROFESSIONAL),
}


def matrix_routes() -> list[Route]:
    """Every URL; of Django's admin (platform staff only, none of the cell roles), those that name no object."""
    return [r for r in walk(get_resolver().url_patterns) if not (r.name.startswith("admin:") and r.kwargs)]


ROUTES = matrix_routes()


def objects_of(route: Route) -> dict[str, Callable[[World, Any], Any]]:
    keys = set(route.kwargs) - {"cell"}
    known = OBJECTS_BY_URL | API_OBJECTS
    if keys and route.name not in known:
        pytest.fail(f"say in tests/test_isolation.py OBJECTS_BY_URL which object {route.name} takes")
    return known.get(route.name, {})


def variants_of(route: Route) -> tuple[str, ...]:
    if not set(route.kwargs) - {"cell", *NOT_OBJECTS}:
        return (NO_OBJECT,)
    return (OWN, SAME_CELL, OTHER_CELL) if route.name in OWNERSHIP else (OWN, OTHER_CELL)


def methods_of(route: Route) -> tuple[str, ...]:
    view_class = getattr(route.callback, "view_class", None)
    if view_class is not None:
        return tuple(m for m in ("GET", "POST") if hasattr(view_class, m.lower()))
    return ("GET",) if route.name.startswith("admin:") else ("GET", "POST")


def is_api(route: Route) -> bool:
    return route.name.split(":")[0] == API_NAMESPACE


def extras_for(world: World) -> Extras:
    """Another requester and another effector in the test cell, each with their own objects."""
    cell = world.cell
    members: dict[str, User] = {Role.CELL_ADMIN: world.owner, Role.COORDINATOR: world.colleague}
    for user in world.extra_members:
        members[user.memberships.get(cell=cell).role] = user
    effector_pro = members[Role.EFFECTOR].memberships.get(cell=cell).professional
    booked = Booking.objects.filter(request__cell=cell).first()
    assert booked is not None and booked.request.requester_professional_id == effector_pro.pk
    Slot.objects.filter(pk=booked.slot_id).update(professional=effector_pro)

    other_requester_pro = ProfessionalFactory(cell=cell, last_name="ZAdresseuse", profession="pharmacist")
    MembershipFactory(
        user=UserFactory(username="roxane"),
        cell=cell,
        role=Role.REQUESTER,
        requester_type="pharmacist",
        professional=other_requester_pro,
    )
    other_effector_pro = ProfessionalFactory(cell=cell, last_name="ZEffectrice")
    MembershipFactory(user=UserFactory(username="emma"), cell=cell, role=Role.EFFECTOR, professional=other_effector_pro)
    other_request = make_request(cell, last_name="Autrepatiente", requester_professional=other_requester_pro)
    to_book = make_request(
        cell, last_name="Autrepatient", phone="+33699000002", requester_professional=other_requester_pro
    )
    slot = make_slot(cell, starts_at=timezone.now() + timedelta(hours=8), professional=other_effector_pro)
    other_booking = slot_book(slot=slot, request=to_book, user=world.colleague)
    other_plan = plan_save(
        cell=cell,
        professional=other_effector_pro,
        site=Site.objects.filter(cell=cell).first(),
        weekdays=[1],
        start_time=time(15, 0),
        end_time=time(16, 0),
        minutes=20,
        first_day=timezone.localdate(),
        last_day=timezone.localdate() + timedelta(days=30),
        care_channel="gp",
        modality="in_person",
    ).plan
    token = api_token_create(membership=members[Role.REQUESTER].memberships.get(cell=cell))[1]
    return Extras(cell, members, other_request, other_booking, other_plan, token)


@dataclass(frozen=True)
class Case:
    method: str
    role: str
    variant: str


def observe(route: Route, world: World) -> dict[Case, str]:
    """Calls the URL in every case and classifies each answer."""
    objects = objects_of(route)

    def resolve(cell: Any) -> dict[str, Any]:
        return {key: objects[key](world, cell) for key in set(route.kwargs) - {"cell"}}

    # The usual objects and bodies are chosen before the extras exist, as in tests/test_isolation.py.
    usual, foreign = resolve(world.cell), resolve(world.other_cell)
    body = API_BODIES.get(route.name) or (
        VALID_BODIES[route.name](world, world.cell) if route.name in VALID_BODIES else {}
    )
    UserFactory(username="dora", email="dora@example.org")  # an account of nobody's, for member_attach
    extras = extras_for(world)

    observed: dict[Case, str] = {}
    for role in ROLES:
        user = None if role == ANONYMOUS else extras.members[role]
        for variant in variants_of(route):
            values = dict(foreign if variant == OTHER_CELL else usual)
            if route.name in OWNERSHIP and variant != OTHER_CELL:
                key, owned = OWNERSHIP[route.name]
                if variant == SAME_CELL:
                    values[key] = owned.someone_elses(extras, user or world.colleague)
                elif user is not None and role in owned.owner_roles:
                    values[key] = owned.own(extras, user, values[key])
            if "cell" in route.kwargs:
                values["cell"] = world.cell
            url = reverse(route.name, kwargs={k: _address_part(k, v) for k, v in values.items()})
            for method in methods_of(route):
                response = _call(route, url, method, body, user, extras.token if role == Role.REQUESTER else None)
                observed[Case(method, role, variant)] = classify(response)
    return observed


def _address_part(key: str, value: Any) -> Any:
    if key in NOT_OBJECTS or isinstance(value, str | int):
        return value
    return value.slug if key == "cell" else value.pk


def _call(route: Route, url: str, method: str, body: dict[str, Any], user: User | None, token: str | None) -> Any:
    client = Client()
    headers: dict[str, str] = {}
    if is_api(route) and token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"  # the API's only way in; the session is not one
    elif user is not None:
        client.force_login(user)
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, **headers)
        elif is_api(route):
            response = client.post(url, json.dumps(body), content_type="application/json", **headers)
        else:
            response = client.post(url, body)
        transaction.set_rollback(True)
    return response


def classify(response: HttpResponseBase) -> str:
    status = response.status_code
    if 200 <= status < 300:
        return "allow"
    if 300 <= status < 400:
        # Sent to log in first (Django adds `next`); a logout that lands on the login page is not a refusal.
        target = urlsplit(response["Location"])
        to_login = target.path in (reverse("accounts:login"), reverse("admin:login")) and "next=" in target.query
        return "deny" if to_login else "allow"
    if status in (401, 403, 404, 405):
        return "deny"
    return f"error {status}"


Row = tuple[str, str, str, str, str]


def read_table() -> dict[tuple[str, str, str, str], str]:
    if not MATRIX.exists():
        return {}
    lines = [line for line in MATRIX.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rows = list(csv.reader(lines))
    assert rows and tuple(rows[0]) == HEADER, f"{MATRIX.name} must start with the header {','.join(HEADER)}"
    return {(url, method, role, variant): expected for url, method, role, variant, expected in rows[1:]}


def write_table(table: dict[tuple[str, str, str, str], str]) -> None:
    out = io.StringIO()
    out.write(COMMENT)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for key in sorted(table):
        writer.writerow((*key, table[key]))
    MATRIX.write_text(out.getvalue(), encoding="utf-8")


@contextmanager
def table_lock() -> Iterator[None]:
    """xdist workers rewrite their URLs' rows one at a time."""
    with open(Path(tempfile.gettempdir()) / "aiguillage-access-matrix.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def difference(name: str, observed: dict[Case, str], expected: dict[Case, str]) -> list[str]:
    lines = []
    for case in sorted(set(observed) | set(expected), key=lambda c: (c.method, c.role, c.variant)):
        now, before = observed.get(case), expected.get(case)
        where = f"{case.method} {name} as {case.role}, object {case.variant}"
        if now == before:
            continue
        if before is None:
            lines.append(f"  not in the table: {where} → {now}")
        elif now is None:
            lines.append(f"  no longer a case: {where} (table: {before})")
        elif now == "allow":
            lines.append(f"  UNEXPECTED ALLOW: {where} (table: {before})")
        else:
            lines.append(f"  now {now}: {where} (table: {before})")
    return lines


def test_the_matrix_walks_every_kind_of_url() -> None:
    names = {route.name for route in ROUTES}
    assert {"referrals:request_detail", "api_v1:get_request", "public:request", "admin:index"} <= names
    assert set(OWNERSHIP) <= names, "OWNERSHIP names a URL that no longer exists"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_access_matches_the_expected_table(populated: World, route: Route) -> None:
    observed = observe(route, populated)
    if WRITE:
        with table_lock():
            table = {k: v for k, v in read_table().items() if k[0] != route.name}
            table.update({(route.name, c.method, c.role, c.variant): v for c, v in observed.items()})
            write_table(table)
        return
    expected = {Case(m, r, v): e for (url, m, r, v), e in read_table().items() if url == route.name}
    diff = difference(route.name, observed, expected)
    assert not diff, f"Access to {route.name} differs from {MATRIX.name}:\n" + "\n".join(diff) + "\n" + REWRITE_HOW


def test_the_table_names_only_urls_that_exist() -> None:
    names = {route.name for route in ROUTES}
    if WRITE:
        with table_lock():
            write_table({k: v for k, v in read_table().items() if k[0] in names})
        return
    gone = sorted({url for url, *_ in read_table()} - names)
    assert not gone, f"{MATRIX.name} has rows for URLs that no longer exist: {', '.join(gone)}\n{REWRITE_HOW}"


def test_the_table_is_sorted_and_complete_per_url() -> None:
    """Readable by a reviewer: sorted rows, every role for every case of a URL."""
    with table_lock():
        table = read_table()
    assert list(table) == sorted(table), f"{MATRIX.name} is not sorted\n{REWRITE_HOW}"
    for url in {key[0] for key in table}:
        roles = {key[2] for key in table if key[0] == url}
        assert roles == set(ROLES), f"{url}: rows for {sorted(roles)} only\n{REWRITE_HOW}"
