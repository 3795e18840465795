"""The Médicobus tours and telemedicine spots screens, for coordinators and cell administrators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from agenda.models import AvailabilityPlan, MedicobusTour, Slot, TelemedicineSpot
from conftest import CLISSON, GACE, World
from territory.forms import commune_label
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory, commune

pytestmark = pytest.mark.django_db


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"agenda:{name}", kwargs={"cell": world.cell.slug, **kwargs})


def periods_body(*periods: tuple[str, str]) -> dict[str, str]:
    """The opening periods' formset as the page posts it (seasons: decision 0007)."""
    body = {
        "periods-TOTAL_FORMS": str(len(periods)),
        "periods-INITIAL_FORMS": "0",
        "periods-MIN_NUM_FORMS": "0",
        "periods-MAX_NUM_FORMS": "12",
    }
    for index, (first, last) in enumerate(periods):
        body.update({f"periods-{index}-first_day": first, f"periods-{index}-last_day": last})
    return body


def tour_body(doctor_pk: int, stops: list[dict[str, str]], **overrides: str) -> dict[str, Any]:
    today = timezone.localdate()
    body: dict[str, Any] = {
        "name": "Médicobus du pays de Gacé",
        "doctor": doctor_pk,
        "minutes": "20",
        **periods_body((today.isoformat(), (today + timedelta(days=60)).isoformat())),
        "stops-TOTAL_FORMS": str(len(stops)),
        "stops-INITIAL_FORMS": "0",
        "stops-MIN_NUM_FORMS": "0",
        "stops-MAX_NUM_FORMS": "14",
    }
    for index, stop in enumerate(stops):
        body.update({f"stops-{index}-{key}": value for key, value in stop.items()})
    body.update(overrides)
    return body


def stop(insee: str, weekday: str = "1", start: str = "09:00", end: str = "11:00") -> dict[str, str]:
    return {
        "weekday": weekday,
        "commune": commune_label(commune(insee)),
        "place": "Place du marché",
        "start_time": start,
        "end_time": end,
        "capacity": "1",
    }


def test_a_coordinator_sets_up_a_tour_whose_stops_become_bookable(world: World) -> None:
    doctor = ProfessionalFactory(cell=world.cell)
    client = world.client_for(world.colleague)
    assert client.get(url(world, "tour_create")).status_code == 200
    response = client.post(
        url(world, "tour_create"), tour_body(doctor.pk, [stop(GACE), stop(GACE, "3", "14:00", "16:00")])
    )
    assert response.status_code == 302, response.context and response.context["formset"].errors
    tour = MedicobusTour.objects.get()
    assert AvailabilityPlan.objects.filter(tour=tour, is_active=True).count() == 2
    assert Slot.objects.filter(modality="medicobus", commune__insee_code=GACE, place="Place du marché").exists()
    listing = client.get(url(world, "tours")).content.decode()
    assert "Médicobus du pays de Gacé" in listing and "Place du marché, Gacé" in listing
    edit = client.get(url(world, "tour_update", pk=tour.pk))
    assert edit.context["formset"].initial[0]["place"] == "Place du marché"


def test_a_stop_outside_the_territory_is_refused_and_nothing_is_saved(world: World) -> None:
    doctor = ProfessionalFactory(cell=world.cell)
    response = world.client_for(world.colleague).post(
        url(world, "tour_create"), tour_body(doctor.pk, [stop(GACE), stop(CLISSON, "2")])
    )
    assert response.status_code == 200
    assert "Clisson" in " ".join(response.context["formset"].non_form_errors())
    assert response.context["form"]["name"].value() == "Médicobus du pays de Gacé"
    assert not MedicobusTour.objects.exists() and not Slot.objects.exists()


def spot_body(site_pk: int, nurse_pks: list[int]) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "site": site_pk,
        "nurses": nurse_pks,
        "weekdays": ["0", "2", "4"],
        "start_time": "14:00",
        "end_time": "18:00",
        **periods_body((today.isoformat(), (today + timedelta(days=45)).isoformat())),
        "minutes": "20",
        "cabins": "1",
    }


def test_a_spot_is_opened_with_its_nurses_only(world: World) -> None:
    site = SiteFactory(cell=world.cell, kind="telemedicine_spot", name="Point de Gacé")
    nurse = ProfessionalFactory(cell=world.cell, profession="nurse")
    ProfessionalFactory(cell=world.cell, profession="gp")
    client = world.client_for(world.colleague)
    response = client.post(url(world, "spot_create"), spot_body(site.pk, [nurse.pk]))
    assert response.status_code == 302
    spot = TelemedicineSpot.objects.get()
    assert list(spot.nurses.all()) == [nurse]
    assert Slot.objects.filter(site_id=site.pk, modality="assisted_teleconsultation").exists()
    again = client.post(url(world, "spot_update", pk=spot.pk), spot_body(site.pk, []))
    assert again.status_code == 200 and list(again.context["form"].errors) == ["nurses"]


def test_effectors_do_not_manage_tours(world: World) -> None:
    effector = MembershipFactory(
        cell=world.cell, role=Role.EFFECTOR, professional=ProfessionalFactory(cell=world.cell)
    ).user
    assert world.client_for(effector).get(url(world, "tours")).status_code == 403
