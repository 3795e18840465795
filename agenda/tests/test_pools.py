"""Pools shared by several cells (decision 0021): a professional of another cell, shared by an accepted agreement,
is found, paired (with the agreement's tier for the cell) and booked by the cell on the days the agreement covers;
never without one. Services and the finder called directly."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from agenda import services
from agenda.finder import find, find_slots
from agenda.models import Booking, Slot, teleconsultant_tier_label
from agenda.selectors import slot_label, teleconsultants_for
from common.errors import DomainError
from conftest import ARGENTAN, World
from directory.models import AgreementStatus, PoolAgreement, Professional
from referrals.models import Request
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, commune

from .factories import make_site, make_slot, make_teleconsultant, share

pytestmark = pytest.mark.django_db


def day_at(days: int, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour, minute)))


def request_in_argentan(world: World, **overrides: Any) -> Request:
    ProfessionalFactory(cell=world.cell)
    return make_request(world.cell, commune=commune(ARGENTAN), urgency="24h", **overrides)


def pool_teleconsultation(world: World, **fields: Any) -> Slot:
    """A teleconsultation slot (bookable alone) of a doctor of the other cell, in their home cell's agenda."""
    doctor = fields.pop("professional", None) or ProfessionalFactory(cell=world.other_cell, last_name="Régional")
    return make_slot(world.other_cell, professional=doctor, modality="teleconsultation", **fields)


def test_the_finder_shows_a_pool_time_only_on_the_days_an_accepted_agreement_covers(world: World) -> None:
    request = request_in_argentan(world)
    now = timezone.now()
    tomorrow = pool_teleconsultation(world, starts_at=day_at(1, 10))
    in_three_days = pool_teleconsultation(world, professional=tomorrow.professional, starts_at=day_at(3, 10))
    assert find_slots(request, now) == []  # no agreement: another cell's agenda
    agreement = share(tomorrow.professional, world.cell, status=AgreementStatus.OFFERED)
    assert find_slots(request, now) == []  # offered, not yet accepted
    PoolAgreement.objects.filter(pk=agreement.pk).update(
        status=AgreementStatus.ACCEPTED, accepted_at=now, ends_on=timezone.localdate() + timedelta(days=2)
    )
    assert [c.slot for c in find_slots(request, now)] == [tomorrow]  # the third day is after its last day
    assert in_three_days.pk not in [c.slot.pk for c in find_slots(request, now)]


def test_an_agreement_with_a_third_cell_shows_nothing_here(world: World) -> None:
    from tests.factories import CellFactory

    request = request_in_argentan(world)
    slot = pool_teleconsultation(world, starts_at=day_at(1, 10))
    share(slot.professional, CellFactory(slug="tierce"))
    assert find_slots(request, timezone.now()) == []


def test_a_spot_pairs_the_pool_doctor_ranked_with_the_agreements_tier_for_the_cell(world: World) -> None:
    request = request_in_argentan(world)
    now = timezone.now()
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot", name="Point de télémédecine")
    at = day_at(1, 14)
    spot_time = make_slot(world.cell, site=spot, starts_at=at, modality="assisted_teleconsultation")
    # The pool doctor is a local volunteer at home, but only extra-territorial for this cell.
    pool_doctor = make_teleconsultant(world.other_cell, "local")
    pool_time = make_slot(
        world.other_cell, professional=pool_doctor, starts_at=at, modality="assisted_teleconsultation"
    )
    share(pool_doctor, world.cell, tier="extra_territorial")
    own_regional = make_teleconsultant(world.cell, "regional")
    own_time = make_slot(world.cell, professional=own_regional, starts_at=at, modality="assisted_teleconsultation")
    assert [(t.pk, t.cell_tier) for t in teleconsultants_for(spot_time, now)] == [
        (own_time.pk, "regional"),
        (pool_time.pk, "extra_territorial"),
    ]
    Slot.objects.filter(pk=own_time.pk).update(booked=1)
    [candidate] = find_slots(request, now)
    assert (candidate.slot, candidate.teleconsultant, candidate.tier) == (spot_time, pool_time, "extra_territorial")
    booking = services.slot_book(slot=spot_time, request=request, user=world.colleague, now=now)
    assert booking.paired_slot_id == pool_time.pk
    assert Slot.objects.get(pk=pool_time.pk).booked == 1
    # Named with the tier this cell gave them, not their home cell's: on the request page and in its history.
    with translation.override("en"):
        assert booking.paired_tier_label() == "Extra-territorial"
        assert slot_label(spot_time, pool_time).endswith("(Extra-territorial)")
        assert teleconsultant_tier_label(own_time, world.cell.pk) == "Regional pool"
    # The agreement shortened since (its last day before the appointment): the booking keeps its tier's name.
    PoolAgreement.objects.filter(professional=pool_doctor).update(ends_on=timezone.localdate())
    with translation.override("en"):
        assert Booking.objects.get(pk=booking.pk).paired_tier_label() == "Extra-territorial"


def test_the_home_cell_pairs_its_own_doctor_with_their_own_tier(world: World) -> None:
    now = timezone.now()
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")
    at = day_at(1, 14)
    spot_time = make_slot(world.cell, site=spot, starts_at=at, modality="assisted_teleconsultation")
    doctor = make_teleconsultant(world.cell, "local")
    own = make_slot(world.cell, professional=doctor, starts_at=at, modality="assisted_teleconsultation")
    share(doctor, world.other_cell, tier="extra_territorial")  # shared elsewhere: changes nothing at home
    assert [(t.pk, t.cell_tier) for t in teleconsultants_for(spot_time, now)] == [(own.pk, "local")]


def test_a_pool_idels_spot_time_in_another_cell_pairs_the_booking_cells_doctor_as_the_finder_showed(
    world: World,
) -> None:
    """An IDEL of the other cell shared with this one: her spot's time lives in her cell, and the finder, the
    placement assistant and the booking all pair the doctor the booking cell has (its own, or its pool's)."""
    request = request_in_argentan(world)
    now = timezone.now()
    at = day_at(1, 15)
    nurse: Professional = ProfessionalFactory(cell=world.other_cell, last_name="Infirmière")
    share(nurse, world.cell)
    spot = make_site(world.other_cell, ARGENTAN, kind="telemedicine_spot", name="Point partagé")
    spot_time = make_slot(
        world.other_cell, site=spot, professional=nurse, starts_at=at, modality="assisted_teleconsultation"
    )
    theirs = make_slot(
        world.other_cell,
        professional=make_teleconsultant(world.other_cell, "local"),
        starts_at=at,
        modality="assisted_teleconsultation",
    )
    ours = make_slot(
        world.cell,
        professional=make_teleconsultant(world.cell, "local"),
        starts_at=at,
        modality="assisted_teleconsultation",
    )
    [candidate] = [c for c in find_slots(request, now) if c.slot == spot_time]
    assert candidate.teleconsultant == ours
    booking = services.slot_book(slot=spot_time, request=request, user=world.colleague, now=now)
    assert booking.paired_slot_id == ours.pk
    assert Slot.objects.get(pk=theirs.pk).booked == 0
    # Named with the tier the booking cell has them at, on the request page and in its history.
    with translation.override("en"):
        assert Booking.objects.get(pk=booking.pk).paired_tier_label() == "Territory volunteer"
    booked = request.events.filter(to_status="oriented").order_by("pk").last()  # written in French, once
    assert booked is not None and booked.text.endswith("DOCTEURLOCAL (Volontaire du territoire (local))"), booked.text


def test_booking_a_pool_time_from_the_other_cell_takes_its_place(world: World) -> None:
    request = request_in_argentan(world)
    slot = pool_teleconsultation(world, starts_at=day_at(1, 10))
    share(slot.professional, world.cell)
    booking = services.slot_book(slot=slot, request=request, user=world.colleague)
    assert (booking.slot_id, Slot.objects.get(pk=slot.pk).booked) == (slot.pk, 1)


def test_booking_a_pool_time_without_an_agreement_covering_its_day_is_refused(world: World) -> None:
    request = request_in_argentan(world)
    slot = pool_teleconsultation(world, starts_at=day_at(3, 10))
    share(slot.professional, world.cell, ends_on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(DomainError) as raised:
        services.slot_book(slot=slot, request=request, user=world.colleague)
    assert raised.value.message == services.SLOT_OTHER_CELL
    assert (Booking.objects.count(), Slot.objects.get(pk=slot.pk).booked) == (0, 0)
    request.refresh_from_db()
    assert request.status == "received"


def test_a_pool_time_taken_by_its_home_cell_is_just_taken_for_the_other(world: World) -> None:
    slot = pool_teleconsultation(world, starts_at=day_at(1, 10))
    share(slot.professional, world.cell)
    ProfessionalFactory(cell=world.other_cell)
    home_request = make_request(world.other_cell, last_name="Domicile", phone="+33611000001")
    services.slot_book(slot=slot, request=home_request, user=world.outsider)
    with pytest.raises(DomainError) as raised:
        services.slot_book(slot=slot, request=request_in_argentan(world), user=world.colleague)
    assert raised.value.code == "taken"


def test_the_finder_keeps_three_queries_with_pool_times(world: World, django_assert_num_queries: Any) -> None:
    request = request_in_argentan(world)
    now = timezone.now()
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")

    def fill(count: int) -> None:
        for i in range(count):
            when = now + timedelta(hours=1, minutes=20 * i)
            make_slot(world.cell, site=spot, starts_at=when, modality="assisted_teleconsultation")
            doctor = make_teleconsultant(world.other_cell, "local")
            share(doctor, world.cell)
            make_slot(world.other_cell, professional=doctor, starts_at=when, modality="assisted_teleconsultation")
            pool_teleconsultation(world, starts_at=when)
            share(Slot.objects.latest("pk").professional, world.cell)

    fill(3)
    Request.objects.get(pk=request.pk)
    with django_assert_num_queries(3):
        assert len(find_slots(request, now)) == 6
    fill(27)
    with django_assert_num_queries(3):
        found = find(request, now, limit=60)
    assert (len(found.candidates), found.total) == (60, 60)
    assert {c.tier for c in found.candidates if c.teleconsultant} == {"regional"}


def test_the_request_pages_book_and_move_buttons_take_a_pool_time(world: World) -> None:
    """The finder offers the pool's times with their Book and Move buttons: the buttons reach them too."""
    request = request_in_argentan(world)
    first = pool_teleconsultation(world, starts_at=day_at(1, 10))
    share(first.professional, world.cell)
    second = pool_teleconsultation(world, starts_at=day_at(1, 11), professional=first.professional)
    client = world.client_for(world.colleague)
    book = reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": request.pk, "slot_pk": first.pk})
    assert client.post(book).status_code == 302
    booking = Booking.objects.get(request=request, slot=first)
    move = reverse("agenda:booking_move", kwargs={"cell": world.cell.slug, "pk": booking.pk, "slot_pk": second.pk})
    assert client.post(move).status_code == 302
    booking.refresh_from_db()
    assert booking.slot_id == second.pk
    assert [Slot.objects.get(pk=s.pk).booked for s in (first, second)] == [0, 1]


def test_the_book_button_on_a_time_of_a_professional_never_shared_is_not_found(world: World) -> None:
    request = request_in_argentan(world)
    slot = pool_teleconsultation(world, starts_at=day_at(1, 10))  # no agreement
    url = reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": request.pk, "slot_pk": slot.pk})
    assert world.client_for(world.colleague).post(url).status_code == 404
    assert not Booking.objects.exists()


def test_the_book_button_on_a_pool_time_outside_the_agreement_says_why(world: World) -> None:
    request = request_in_argentan(world)
    slot = pool_teleconsultation(world, starts_at=day_at(3, 10))
    share(slot.professional, world.cell, ends_on=timezone.localdate() + timedelta(days=1))
    url = reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": request.pk, "slot_pk": slot.pk})
    with translation.override("fr"):
        page = world.client_for(world.colleague).post(url, follow=True).content.decode()
        assert escape(str(services.SLOT_OTHER_CELL)) in page
    assert not Booking.objects.exists()
