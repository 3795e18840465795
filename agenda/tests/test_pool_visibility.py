"""Each cell sees only its own patients on a shared agenda (decision 0021): the pool professional's home cell sees
another cell's booking as taken by that cell, without the patient; the professional sees all their appointments
with the cell of each, every read logged in the cell of the patient's request."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from agenda import services
from agenda.models import Booking, Slot
from audit.models import AccessEvent
from conftest import World
from directory.models import Professional
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory

from .factories import make_slot, share

pytestmark = pytest.mark.django_db


def tomorrow_at(hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(hour)))


def shared_booking(world: World) -> tuple[Professional, Any, Booking, Booking]:
    """A doctor of the world's cell with an effector login, shared with the other cell; one of their times booked by
    each cell."""
    doctor: Professional = ProfessionalFactory(cell=world.cell, last_name="Partagé")
    doctor_user = MembershipFactory(cell=world.cell, role=Role.EFFECTOR, professional=doctor).user
    share(doctor, world.other_cell)
    ProfessionalFactory(cell=world.other_cell)
    ProfessionalFactory(cell=world.cell)
    theirs = services.slot_book(
        slot=make_slot(world.cell, professional=doctor, starts_at=tomorrow_at(10), modality="teleconsultation"),
        request=make_request(world.other_cell, last_name="Vigneron", phone="+33611000002"),
        user=world.outsider,
    )
    ours = services.slot_book(
        slot=make_slot(world.cell, professional=doctor, starts_at=tomorrow_at(11), modality="teleconsultation"),
        request=make_request(world.cell, last_name="Ornais", phone="+33611000003"),
        user=world.colleague,
    )
    return doctor, doctor_user, theirs, ours


def calendar(world: World, user: Any) -> list[dict[str, Any]]:
    url = reverse("agenda:calendar_events", kwargs={"cell": world.cell.slug})
    start = timezone.localdate() + timedelta(days=1)
    response = world.client_for(user).get(url, {"start": f"{start}T00:00:00", "end": f"{start}T23:59:00"})
    assert response.status_code == 200
    return [event for event in response.json() if "id" in event]


def test_the_home_cells_agenda_shows_another_cells_booking_as_taken_by_that_cell_without_the_patient(
    world: World,
) -> None:
    _doctor, _user, theirs, ours = shared_booking(world)
    shown = {event["id"]: event for event in calendar(world, world.colleague)}
    other = shown[theirs.slot_id]
    assert world.other_cell.name in other["title"] and "VIGNERON" not in other["title"].upper()
    assert other["url"] == "" and other["classNames"] == ["slot-full"]
    assert "ORNAIS" in shown[ours.slot_id]["title"].upper() and shown[ours.slot_id]["url"]
    # Only the cell's own patient is logged as read, in the cell's log.
    event = AccessEvent.objects.get(object_type="calendar")
    assert event.cell_id == world.cell.pk


def events_of(world: World, cell: Any, user: Any, **filters: Any) -> dict[int, dict[str, Any]]:
    url = reverse("agenda:calendar_events", kwargs={"cell": cell.slug})
    start = timezone.localdate() + timedelta(days=1)
    response = world.client_for(user).get(url, {"start": f"{start}T00:00:00", "end": f"{start}T23:59:00", **filters})
    assert response.status_code == 200
    return {event["id"]: event for event in response.json() if "id" in event}


def test_the_booking_cells_agenda_shows_its_patients_on_the_pool_and_the_pools_times_on_demand(world: World) -> None:
    doctor, _user, theirs, ours = shared_booking(world)
    free = make_slot(world.cell, professional=doctor, starts_at=tomorrow_at(15), modality="teleconsultation")
    coordinator = MembershipFactory(cell=world.other_cell, role=Role.COORDINATOR).user

    # The whole cell's agenda: its own patient's appointment with the pool doctor, named, linked to the request.
    shown = events_of(world, world.other_cell, coordinator)
    assert theirs.slot_id in shown and ours.slot_id not in shown and free.pk not in shown
    event = shown[theirs.slot_id]
    assert "VIGNERON" in event["title"].upper()
    assert event["url"] == reverse(
        "referrals:request_detail", kwargs={"cell": world.other_cell.slug, "pk": theirs.request_id}
    )
    assert event["extendedProps"]["who"] == f"{doctor} (vivier, {world.cell.name})"
    # Read in the booking cell's access log, not the home cell's.
    assert AccessEvent.objects.get(object_type="calendar").cell_id == world.other_cell.pk

    # The pool doctor chosen in the filter: all their times the cell may book; the home cell's patient stays hidden.
    chosen = events_of(world, world.other_cell, coordinator, professional=doctor.pk)
    assert {theirs.slot_id, ours.slot_id, free.pk} <= set(chosen)
    assert "ORNAIS" not in chosen[ours.slot_id]["title"].upper() and chosen[ours.slot_id]["url"] == ""
    assert world.cell.name in chosen[ours.slot_id]["title"]

    # The filter offers the pool doctor with their home cell; the day sheets list only the cell's own.
    page = world.client_for(coordinator).get(reverse("agenda:calendar", kwargs={"cell": world.other_cell.slug}))
    text = page.content.decode()
    assert f'<option value="{doctor.pk}">{doctor} (vivier, {world.cell.name})</option>' in text
    assert f'value="professionnel-{doctor.pk}"' not in text


def test_the_professional_sees_all_their_appointments_with_the_cell_of_each(world: World) -> None:
    _doctor, doctor_user, theirs, _ours = shared_booking(world)
    url = reverse("agenda:appointments", kwargs={"cell": world.cell.slug})
    response = world.client_for(doctor_user).get(url, {"jour": str(timezone.localdate() + timedelta(days=1))})
    page = response.content.decode()
    assert "VIGNERON" in page.upper() and "ORNAIS" in page.upper()
    assert world.other_cell.name in page and world.cell.name in page
    # Each patient's read is in the log of their request's cell.
    logged = {event.cell_id for event in AccessEvent.objects.filter(object_type="appointments")}
    assert logged == {world.cell.pk, world.other_cell.pk}
    detail = reverse("agenda:appointment", kwargs={"cell": world.cell.slug, "pk": theirs.pk})
    assert world.client_for(doctor_user).get(detail).status_code == 200
    assert AccessEvent.objects.get(object_type="appointment").cell_id == world.other_cell.pk


def test_a_pool_doctor_paired_with_another_cells_spot_sees_that_appointment(world: World) -> None:
    from agenda.selectors import appointments_of

    doctor: Professional = ProfessionalFactory(cell=world.cell, last_name="Distant", teleconsultant_tier="local")
    share(doctor, world.other_cell, tier="extra_territorial")
    remote = make_slot(world.cell, professional=doctor, starts_at=tomorrow_at(14), modality="assisted_teleconsultation")
    from tests.factories import SiteFactory

    spot = make_slot(
        world.other_cell,
        site=SiteFactory(cell=world.other_cell, kind="telemedicine_spot"),
        starts_at=tomorrow_at(14),
        modality="assisted_teleconsultation",
    )
    ProfessionalFactory(cell=world.other_cell)
    booking = services.slot_book(
        slot=spot, request=make_request(world.other_cell, last_name="Cabine"), user=world.outsider
    )
    assert booking.paired_slot_id == remote.pk
    start = tomorrow_at(0)
    shown = appointments_of(world.cell, doctor, start, start + timedelta(days=1))
    assert [(a.booking, a.role, a.cell_name) for a in shown] == [(booking, "teleconsultant", world.other_cell.name)]
    assert Slot.objects.get(pk=remote.pk).booked == 1


def test_the_appointments_page_costs_the_same_queries_with_bookings_from_two_cells(
    world: World, django_assert_max_num_queries: Any
) -> None:
    doctor, doctor_user, _theirs, _ours = shared_booking(world)
    url = reverse("agenda:appointments", kwargs={"cell": world.cell.slug})
    params = {"jour": str(timezone.localdate() + timedelta(days=1))}
    client = world.client_for(doctor_user)
    client.get(url, params)
    with django_assert_max_num_queries(40) as first:
        client.get(url, params)
    for hour in (12, 13, 15, 16):
        services.slot_book(
            slot=make_slot(world.cell, professional=doctor, starts_at=tomorrow_at(hour), modality="teleconsultation"),
            request=make_request(world.other_cell, last_name=f"Autre{hour}", phone=f"+336110001{hour}"),
            user=world.outsider,
        )
    with django_assert_max_num_queries(len(first.captured_queries) + 2):  # the log rows of the new list
        client.get(url, params)
