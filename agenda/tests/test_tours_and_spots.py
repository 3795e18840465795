"""Médicobus tours and telemedicine spots: bookable capacity from their plans, changes that flag the bookings they
affect, and the assisted teleconsultation that books the spot's time and a teleconsultant's in one transaction, in
tier order."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from agenda import selectors, services
from agenda.calendar import feed_ical
from agenda.models import Booking, Slot, SlotStatus
from common.errors import DomainError
from conftest import ARGENTAN, CLISSON, GACE, World
from directory.models import Professional, Site
from referrals.models import Request
from referrals.states import Status
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, SiteFactory, commune

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 7, 5, 8, 0, tzinfo=UTC)  # a Monday, ten days before the spot opens


def pro(world: World, **fields: Any) -> Professional:
    made = ProfessionalFactory(cell=world.cell, **fields)
    assert isinstance(made, Professional)
    return made


def tour(world: World, doctor: Professional, stops: list[services.StopData], **overrides: Any) -> services.TourResult:
    values: dict[str, Any] = {
        "cell": world.cell,
        "name": "Médicobus du pays d'Argentan",
        "doctor": doctor,
        "first_day": date(2027, 7, 5),
        "last_day": date(2027, 12, 31),
        "stops": stops,
        "now": NOW,
    }
    values.update(overrides)
    return services.tour_save(**values)


def tuesday_gace() -> services.StopData:
    return services.StopData(1, commune(GACE), "Place du marché", time(9, 0), time(12, 0))


def thursday_argentan() -> services.StopData:
    return services.StopData(3, commune(ARGENTAN), "Parking de la mairie", time(14, 0), time(17, 0))


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=14)
def test_a_tour_becomes_bookable_capacity_at_each_stop(world: World) -> None:
    doctor = pro(world)
    result = tour(world, doctor, [tuesday_gace(), thursday_argentan()])
    assert result.created == 2 * 2 * 9  # two weeks, two stops, nine 20-minute consultations each
    gace = Slot.objects.filter(commune__insee_code=GACE).order_by("starts_at")
    first = gace.first()
    assert first is not None
    assert (first.place, first.modality, first.professional_id) == ("Place du marché", "medicobus", doctor.pk)
    assert f"{timezone.localtime(first.starts_at):%A %H:%M}" == "Tuesday 09:00"
    assert selectors.slot_label(first).endswith(f"Médicobus, Place du marché ({first.commune}) — {doctor}")


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=14)
def test_changing_the_tour_updates_free_capacity_and_flags_the_bookings_it_affects(world: World) -> None:
    pro(world)  # the requests' requester
    doctor = pro(world)
    result = tour(world, doctor, [tuesday_gace(), thursday_argentan()])
    tuesday_pks = set(Slot.objects.filter(commune__insee_code=GACE).values_list("pk", flat=True))
    thursday = Slot.objects.filter(commune__insee_code=ARGENTAN).order_by("starts_at").first()
    assert thursday is not None
    services.slot_book(slot=thursday, request=make_request(world.cell, now=NOW), user=world.colleague, now=NOW)
    later = services.StopData(3, commune(ARGENTAN), "Parking de la mairie", time(15, 0), time(18, 0))
    changed = tour(world, doctor, [tuesday_gace(), later], tour=result.tour)
    assert [s.pk for s in changed.spared] == [thursday.pk]
    thursday.refresh_from_db()
    assert thursday.booked == 1 and "Médicobus" in thursday.attention
    assert set(Slot.objects.filter(commune__insee_code=GACE, status=SlotStatus.OPEN).values_list("pk", flat=True)) == (
        tuesday_pks
    )  # the Tuesday stop did not change: its slots are the same ones
    open_thursday = Slot.objects.filter(commune__insee_code=ARGENTAN, status=SlotStatus.OPEN, booked=0)
    assert {f"{timezone.localtime(s.starts_at):%H:%M}" for s in open_thursday} >= {"15:00", "17:40"}
    assert not open_thursday.filter(starts_at__lt=thursday.ends_at, ends_at__gt=thursday.starts_at).exists()


def test_a_stop_outside_the_territory_or_a_tour_without_end_is_refused(world: World) -> None:
    doctor = pro(world)
    outside = services.StopData(2, commune(CLISSON), "Place", time(9, 0), time(10, 0))
    with pytest.raises(DomainError) as raised:
        tour(world, doctor, [tuesday_gace(), outside])
    assert str(raised.value.message) == str(services.STOP_OUTSIDE % {"commune": outside.commune})
    with pytest.raises(DomainError) as raised:
        tour(world, doctor, [tuesday_gace()], last_day=None)
    assert raised.value.message == services.PLAN_NO_END
    assert not Slot.objects.exists()


def spot_site(world: World) -> Site:
    site = SiteFactory(cell=world.cell, kind="telemedicine_spot", name="Point de télémédecine de Gacé")
    assert isinstance(site, Site)
    return site


def open_spot(world: World, site: Site, **overrides: Any) -> Any:
    nurses = [pro(world, profession="nurse", last_name=f"Infirmière{i}") for i in range(6)]
    values: dict[str, Any] = {
        "cell": world.cell,
        "site": site,
        "nurses": nurses,
        "weekdays": [0, 2, 4],
        "start_time": time(14, 0),
        "end_time": time(18, 0),
        "first_day": date(2027, 7, 15),
        "last_day": date(2027, 8, 31),
        "minutes": 20,
        "now": NOW,
    }
    values.update(overrides)
    return services.spot_save(**values)


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_a_spot_is_open_on_its_days_and_hours_of_its_period_only(world: World) -> None:
    spot, result = open_spot(world, spot_site(world))
    assert spot.nurses.count() == 6
    times = [timezone.localtime(s.starts_at) for s in Slot.objects.filter(site=spot.site)]
    assert min(times).date() == date(2027, 7, 16)  # 15 July 2027 is a Thursday: the first Friday
    assert max(times).date() == date(2027, 8, 30)
    assert {t.weekday() for t in times} == {0, 2, 4}
    assert {f"{t:%H:%M}" for t in times} == {f"{h:02d}:{m:02d}" for h in range(14, 18) for m in (0, 20, 40)}
    assert result.created == len(times)


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_a_one_off_slot_at_a_spot_must_fall_within_its_opening_hours(world: World) -> None:
    site = spot_site(world)
    spot, _result = open_spot(world, site)
    outside = services.SLOT_OUTSIDE_SPOT % {
        "site": site.name,
        "days": ", ".join(spot.plan.weekday_names),
        "start": "14:00",
        "end": "18:00",
        "first": "15/07/2027",
        "last": "31/08/2027",
    }
    values: dict[str, Any] = {
        "cell": world.cell,
        "professional": None,
        "site": site,
        "start": time(18, 0),
        "end": time(19, 0),
        "minutes": 20,
        "care_channel": "gp",
        "modality": "assisted_teleconsultation",
        "now": NOW,
    }
    with pytest.raises(DomainError) as raised:
        services.slots_publish(day=date(2027, 7, 19), **values)  # a Monday, after 18:00
    assert (raised.value.field, str(raised.value.message)) == ("start", str(outside))
    within_hours = {**values, "start": time(14, 0), "end": time(15, 0)}
    for day in (date(2027, 7, 20), date(2027, 9, 6)):  # a Tuesday; a Monday after the spot's last day
        with pytest.raises(DomainError) as raised:
            services.slots_publish(day=day, **within_hours)
        assert str(raised.value.message) == str(outside)


def test_a_spot_is_assisted_by_nurses_only_and_its_site_is_a_spot(world: World) -> None:
    with pytest.raises(DomainError) as raised:
        open_spot(world, SiteFactory(cell=world.cell, kind="practice"))
    assert raised.value.message == services.SPOT_SITE_KIND
    with pytest.raises(DomainError) as raised:
        gp = pro(world, profession="gp")
        open_spot(world, spot_site(world), nurses=[gp])
    assert str(raised.value.message) == str(services.SPOT_NURSES_ONLY % {"names": gp})


def teleconsultant_time(world: World, doctor: Professional, start: datetime, *, booked: bool = False) -> Slot:
    return Slot.objects.create(
        cell=world.cell,
        professional=doctor,
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        care_channel="gp",
        modality="assisted_teleconsultation",
        booked=1 if booked else 0,
    )


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_an_assisted_teleconsultation_books_the_spot_and_a_teleconsultant_in_tier_order(world: World) -> None:
    pro(world)  # the requests' requester
    spot, _result = open_spot(world, spot_site(world))
    spot_slot = Slot.objects.filter(site=spot.site).order_by("starts_at").first()
    assert spot_slot is not None
    local = pro(world, last_name="Volontaire", teleconsultant_tier="local")
    regional = pro(world, last_name="Régional", teleconsultant_tier="regional")
    extra = pro(world, last_name="Lointain", teleconsultant_tier="extra_territorial")
    teleconsultant_time(world, extra, spot_slot.starts_at)
    teleconsultant_time(world, local, spot_slot.starts_at, booked=True)  # the volunteer is already busy
    regional_time = teleconsultant_time(world, regional, spot_slot.starts_at)
    request = make_request(world.cell, now=NOW)
    booking = services.slot_book(slot=spot_slot, request=request, user=world.colleague, now=NOW)
    assert booking.paired_slot_id == regional_time.pk
    assert Slot.objects.get(pk=spot_slot.pk).booked == 1 and Slot.objects.get(pk=regional_time.pk).booked == 1
    request.refresh_from_db()
    assert request.status == Status.ORIENTED
    oriented = request.events.filter(to_status=Status.ORIENTED).get()
    assert "RÉGIONAL" in oriented.text and "Vivier régional" in oriented.text
    assert b"Rendez-vous SNP" in feed_ical(regional, NOW)  # the doctor's own calendar shows the appointment
    services.booking_cancel(booking=booking, user=world.colleague, reason="Patient indisponible", now=NOW)
    assert Slot.objects.get(pk=spot_slot.pk).booked == 0 and Slot.objects.get(pk=regional_time.pk).booked == 0


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_without_a_free_teleconsultant_nothing_is_booked(world: World) -> None:
    pro(world)
    spot, _result = open_spot(world, spot_site(world))
    spot_slot = Slot.objects.filter(site=spot.site).order_by("starts_at").first()
    assert spot_slot is not None
    busy = teleconsultant_time(world, pro(world, teleconsultant_tier="local"), spot_slot.starts_at, booked=True)
    request = make_request(world.cell, now=NOW)
    with pytest.raises(DomainError) as raised:
        services.slot_book(slot=spot_slot, request=request, user=world.colleague, now=NOW)
    assert raised.value.code == "no_teleconsultant"
    assert Slot.objects.get(pk=spot_slot.pk).booked == 0
    assert Request.objects.get(pk=request.pk).status == Status.RECEIVED
    assert not Booking.objects.exists()
    with pytest.raises(DomainError) as raised:  # a teleconsultant's time is never booked alone
        Slot.objects.filter(pk=busy.pk).update(booked=0)
        services.slot_book(slot=Slot.objects.get(pk=busy.pk), request=request, user=world.colleague, now=NOW)
    assert raised.value.message == services.TELECONSULTANT_TIME


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_saving_a_spot_again_keeps_one_slot_at_a_booked_time(world: World) -> None:
    pro(world)
    site = spot_site(world)
    spot, _result = open_spot(world, site)
    first = Slot.objects.filter(site=site).order_by("starts_at").first()
    assert first is not None
    teleconsultant_time(world, pro(world, teleconsultant_tier="local"), first.starts_at)
    services.slot_book(slot=first, request=make_request(world.cell, now=NOW), user=world.colleague, now=NOW)
    open_spot(world, site, spot=spot, nurses=list(spot.nurses.all()))  # e.g. the nurses on duty change
    at_that_time = Slot.objects.filter(site=site, status="open", starts_at=first.starts_at)
    assert list(at_that_time) == [first]  # one cabin: never a second slot beside the booked one


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_a_site_cannot_hold_two_spots(world: World) -> None:
    first_site, second_site = spot_site(world), SiteFactory(cell=world.cell, kind="telemedicine_spot")
    open_spot(world, first_site)
    second, _result = open_spot(world, second_site)
    with pytest.raises(DomainError) as raised:
        open_spot(world, first_site, spot=second)
    assert raised.value.message == services.SPOT_TAKEN
