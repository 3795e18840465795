"""The patient's address geocoded in the background after intake (never during it), and the distances that use it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agenda.backfill import patient_points
from agenda.finder import find_slots
from agenda.tests.factories import make_slot
from alerts.selectors import eligible
from conftest import ARGENTAN, GACE, World
from referrals import services
from referrals.models import Request
from referrals.tests.factories import make_request
from territory.geocoding import GeoPoint
from territory.models import GeocodedAddress, PointPrecision
from tests.factories import ProfessionalFactory, SiteFactory, commune
from tests.fake_ban import FakeBan
from tests.worker import work

pytestmark = pytest.mark.django_db


def in_gace(world: World, street: str = "12 rue de la Gare", **more: Any) -> Request:
    ProfessionalFactory(cell=world.cell)
    return make_request(world.cell, commune=commune(GACE), street=street, **more)


def test_intake_queues_the_geocoding_and_never_calls_ban_itself(world: World, ban_on: FakeBan) -> None:
    ban_on.mode, ban_on.delay = "slow", 3.0  # a BAN this slow would be felt at once if intake waited for it
    request = in_gace(world)
    assert ban_on.calls == []
    task = DBTaskResult.objects.get(task_path="referrals.tasks.geocode_patient_address")
    assert task.args_kwargs == {"args": [request.pk], "kwargs": {}}  # the id, not the address
    assert "Gare" not in str(task.args_kwargs)


def test_the_worker_places_the_patient_and_the_finder_measures_from_the_address(world: World, ban_on: FakeBan) -> None:
    request = in_gace(world)
    now = timezone.now()
    gace_site = SiteFactory(cell=world.cell, commune=commune(GACE), latitude=48.7931, longitude=0.2988)
    slot = make_slot(world.cell, site=gace_site, starts_at=now + timedelta(hours=2))
    before = find_slots(request, now)[0]
    assert before.slot == slot and before.km is not None and before.km > 0.5  # from the commune's point
    work()
    assert GeocodedAddress.objects.get().precision == PointPrecision.ADDRESS
    after = find_slots(request, now)[0]
    assert after.km is not None and after.km < 0.01  # from the patient's door
    assert after.reasons[1] == "0,0 km"


def test_the_backfill_and_the_alerts_measure_from_the_address_too(world: World, ban_on: FakeBan) -> None:
    request = in_gace(world)
    work()
    assert patient_points([request]) == {request.pk: GeoPoint(48.7931, 0.2988, PointPrecision.ADDRESS)}
    doctor = ProfessionalFactory(cell=world.cell, profession="gp", phone="+33611223344", last_name="Voisin")
    doctor.sites.add(SiteFactory(cell=world.cell, commune=commune(GACE), latitude=48.7931, longitude=0.2988))
    [near] = [e for e in eligible(request, timezone.now()) if e.professional.pk == doctor.pk]
    assert near.km is not None and near.km < 0.01


def test_with_geocoding_off_nothing_is_queued_and_distances_are_from_the_commune(
    world: World, fake_ban: FakeBan
) -> None:
    tasks = DBTaskResult.objects.count()
    request = in_gace(world)
    assert DBTaskResult.objects.count() == tasks
    gace = commune(GACE)
    assert patient_points([request]) == {request.pk: GeoPoint(gace.latitude, gace.longitude, PointPrecision.COMMUNE)}
    assert fake_ban.calls == []


def test_a_request_rolled_back_queues_nothing(world: World, ban_on: FakeBan) -> None:
    ProfessionalFactory(cell=world.cell)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_request(world.cell, commune=commune(GACE), street="12 rue de la Gare")
        raise RuntimeError("the caller's transaction fails after intake")
    assert not DBTaskResult.objects.exists()


def test_a_request_without_a_street_is_not_geocoded(world: World, ban_on: FakeBan) -> None:
    in_gace(world, street="")
    assert not DBTaskResult.objects.exists()


def test_a_failing_ban_leaves_the_commune_point_and_the_request_untouched(world: World, ban_on: FakeBan) -> None:
    ban_on.mode = "error"
    request = in_gace(world)
    work()
    assert not GeocodedAddress.objects.exists()
    gace = commune(GACE)
    assert patient_points([request])[request.pk] == GeoPoint(gace.latitude, gace.longitude, PointPrecision.COMMUNE)
    assert not DBTaskResult.objects.filter(status="FAILED").exists()


def test_a_corrected_address_is_geocoded_again(world: World, ban_on: FakeBan) -> None:
    request = in_gace(world)
    work()
    data = services.PatientData(
        last_name=request.patient_last_name,
        first_name=request.patient_first_name,
        commune=commune(ARGENTAN),
        street="7 rue de la Gare",
        phone=request.patient_phone,
    )
    services.request_patient_rectify(request=request, user=world.colleague, patient=data)
    work()
    request.refresh_from_db()
    assert patient_points([request])[request.pk] == GeoPoint(48.7405, -0.0102, PointPrecision.ADDRESS)
    assert [c.get("citycode") for c in ban_on.calls] == [GACE, ARGENTAN]


def test_a_request_anonymised_before_the_worker_ran_is_not_sent_to_ban(world: World, ban_on: FakeBan) -> None:
    request = in_gace(world)
    Request.objects.filter(pk=request.pk).update(anonymised_at=timezone.now(), patient_street="")
    work()
    assert ban_on.calls == []
    assert not GeocodedAddress.objects.exists()


def test_the_command_places_what_was_saved_before_geocoding_was_turned_on(
    world: World, settings: Any, fake_ban: FakeBan
) -> None:
    request = in_gace(world)  # geocoding off: nothing queued
    site = SiteFactory(
        cell=world.cell, commune=commune(GACE), address="14 rue de la Gare", latitude=None, longitude=None
    )
    assert not DBTaskResult.objects.exists()
    settings.AIGUILLAGE_BAN_URL = fake_ban.url
    cache.clear()
    call_command("geocode_addresses", verbosity=0)
    site.refresh_from_db()
    assert (site.latitude, site.longitude) == (48.7933, 0.2991)
    assert patient_points([request])[request.pk] == GeoPoint(48.7931, 0.2988, PointPrecision.ADDRESS)


def test_the_command_refuses_when_geocoding_is_off(world: World, fake_ban: FakeBan) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("geocode_addresses", verbosity=0)
    assert fake_ban.calls == []
