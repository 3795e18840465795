"""The calendar's events: Paris wall-clock times (both clock changes), who sees which patients, filters, bad ranges,
and a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from agenda import services
from agenda.models import Slot
from conftest import World
from directory.models import Professional
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def events(world: World, user: Any, **params: str) -> Any:
    url = reverse("agenda:calendar_events", kwargs={"cell": world.cell.slug})
    return world.client_for(user).get(url, params)


def gp(world: World) -> Professional:
    made = ProfessionalFactory(cell=world.cell)
    assert isinstance(made, Professional)
    return made


def slot_at(world: World, professional: Professional, start: datetime, **fields: Any) -> Slot:
    return Slot.objects.create(
        cell=world.cell,
        professional=professional,
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        care_channel=fields.pop("care_channel", "gp"),
        modality="in_person",
        **fields,
    )


@pytest.mark.parametrize(
    "utc_start, shown",
    [
        (datetime(2026, 3, 28, 17, 0, tzinfo=UTC), "2026-03-28T18:00:00"),  # winter time, UTC+1
        (datetime(2026, 3, 30, 16, 0, tzinfo=UTC), "2026-03-30T18:00:00"),  # summer time, UTC+2
        (datetime(2026, 10, 24, 16, 0, tzinfo=UTC), "2026-10-24T18:00:00"),
        (datetime(2026, 10, 26, 17, 0, tzinfo=UTC), "2026-10-26T18:00:00"),
    ],
)
def test_events_are_given_in_paris_wall_clock_time(world: World, utc_start: datetime, shown: str) -> None:
    slot_at(world, gp(world), utc_start)
    day = shown[:10]
    answer = events(world, world.colleague, start=f"{day}T00:00:00Z", end=f"{day}T23:59:00Z")
    assert answer.status_code == 200
    assert [event["start"] for event in answer.json()] == [shown]


def test_coordinators_see_the_patients_and_an_effector_sees_their_own_agenda_only(world: World) -> None:
    requester = gp(world)  # the requests' requester
    own, other = gp(world), gp(world)
    effector = MembershipFactory(cell=world.cell, role=Role.EFFECTOR, professional=own).user
    now = datetime.now(UTC)
    mine = slot_at(world, own, now + timedelta(hours=2))
    theirs = slot_at(world, other, now + timedelta(hours=3))
    request = make_request(world.cell, requester_professional=requester, last_name="Carlier")
    services.slot_book(slot=mine, request=request, user=world.colleague)
    day = f"{now:%Y-%m-%d}"
    params = {"start": f"{day}T00:00:00Z", "end": f"{(now + timedelta(days=2)):%Y-%m-%d}T00:00:00Z"}
    seen = {event["id"]: event for event in events(world, world.colleague, **params).json()}
    assert set(seen) == {mine.pk, theirs.pk}
    assert "Rose CARLIER" in seen[mine.pk]["title"] and seen[mine.pk]["classNames"] == ["slot-full"]
    assert seen[mine.pk]["url"].endswith(f"/demandes/{request.pk}/")
    assert seen[theirs.pk]["classNames"] == ["slot-free"]
    effector_view = events(world, effector, **params, professional=str(other.pk)).json()
    assert [event["id"] for event in effector_view] == [mine.pk]  # their own, whatever they ask
    booking = request.bookings.get()
    assert "Rose CARLIER" in effector_view[0]["title"]
    assert effector_view[0]["url"].endswith(f"/agenda/mes-rendez-vous/{booking.pk}/")  # their page, not the request's


def test_filters_by_professional_site_and_care(world: World) -> None:
    one, two = gp(world), gp(world)
    now = datetime.now(UTC)
    a = slot_at(world, one, now + timedelta(hours=2))
    b = slot_at(world, two, now + timedelta(hours=2), care_channel="physiotherapy")
    params = {"start": f"{now:%Y-%m-%d}T00:00:00Z", "end": f"{(now + timedelta(days=2)):%Y-%m-%d}T00:00:00Z"}
    assert [e["id"] for e in events(world, world.colleague, **params, professional=str(one.pk)).json()] == [a.pk]
    assert [e["id"] for e in events(world, world.colleague, **params, care_channel="physiotherapy").json()] == [b.pk]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"end": "2030-01-02T00:00:00Z"}, "start"),
        ({"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}, "end"),
        ({"start": "2030-01-01T00:00:00Z", "end": "2030-06-01T00:00:00Z"}, "end"),
        ({"start": "demain", "end": "2030-01-02T00:00:00Z"}, "start"),
    ],
)
def test_a_bad_range_is_a_400_naming_the_field(world: World, params: dict[str, str], field: str) -> None:
    answer = events(world, world.colleague, **params)
    assert answer.status_code == 400
    assert field in answer.json()["errors"]


def test_the_events_cost_the_same_queries_for_3_or_30_slots(world: World, django_assert_max_num_queries: Any) -> None:
    requester = gp(world)
    now = datetime.now(UTC)
    params = {"start": f"{now:%Y-%m-%d}T00:00:00Z", "end": f"{(now + timedelta(days=7)):%Y-%m-%d}T00:00:00Z"}
    client = world.client_for(world.colleague)
    url = reverse("agenda:calendar_events", kwargs={"cell": world.cell.slug})

    def add(count: int) -> None:
        for i in range(count):
            slot = slot_at(world, gp(world), now + timedelta(hours=2, minutes=30 * i))
            request = make_request(world.cell, requester_professional=requester, phone=f"+336770{i:05d}")
            services.slot_book(slot=slot, request=request, user=world.colleague)

    add(3)
    client.get(url, params)
    # A new patient in the list: this reading is logged, as the later one is (same cost on both sides).
    add(1)

    def slots_shown() -> int:  # the week's public holidays, if any, come as background events
        return len([event for event in client.get(url, params).json() if event.get("display") != "background"])

    with CaptureQueriesContext(connection) as few:
        assert slots_shown() == 4
    add(27)
    with django_assert_max_num_queries(len(few)):
        assert slots_shown() == 31
