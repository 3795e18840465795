"""Public holidays and seasons on the screens (issue 21.2): the calendar's background events, the plan form's list of
skipped holidays and its refusal of a holiday-only plan, and the spot and tour forms' opening periods."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agenda import services
from agenda.models import AvailabilityPlan, MedicobusTour, OpeningPeriod, Slot, TelemedicineSpot
from agenda.seasons import day_and_name
from agenda.services.plans import HOLIDAY_ONLY_DAY, PERIOD_ORDER, PERIOD_OVERLAP
from agenda.tests.factories import make_practitioner
from agenda.tests.test_organisation_views import periods_body, spot_body, stop, tour_body
from common.holidays import HolidayZone
from conftest import GACE, World
from tests.factories import ProfessionalFactory, SiteFactory

pytestmark = pytest.mark.django_db


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"agenda:{name}", kwargs={"cell": world.cell.slug, **kwargs})


def holidays_shown(world: World, start: str, end: str) -> list[dict[str, Any]]:
    answer = world.client_for(world.colleague).get(url(world, "calendar_events"), {"start": start, "end": end})
    assert answer.status_code == 200
    return [event for event in answer.json() if event.get("display") == "background"]


def test_the_calendar_shows_each_public_holiday_of_the_range_as_a_labelled_background_event(world: World) -> None:
    shown = holidays_shown(world, "2027-12-20T00:00:00Z", "2028-01-03T00:00:00Z")
    assert [(event["title"], event["start"], event["end"]) for event in shown] == [
        ("Noël", "2027-12-25T00:00:00", "2027-12-26T00:00:00"),
        ("Jour de l'an", "2028-01-01T00:00:00", "2028-01-02T00:00:00"),
    ]
    assert holidays_shown(world, "2027-12-06T00:00:00Z", "2027-12-13T00:00:00Z") == []
    world.cell.holiday_zone = HolidayZone.MOSELLE
    world.cell.save(update_fields=["holiday_zone"])
    moselle = holidays_shown(world, "2027-12-20T00:00:00Z", "2027-12-27T00:00:00Z")
    assert [event["start"][:10] for event in moselle] == ["2027-12-25", "2027-12-26"]


def test_the_holidays_cost_no_query_however_long_the_range(world: World) -> None:
    client = world.client_for(world.colleague)
    with CaptureQueriesContext(connection) as one_week:
        client.get(url(world, "calendar_events"), {"start": "2027-05-03T00:00:00Z", "end": "2027-05-10T00:00:00Z"})
    with CaptureQueriesContext(connection) as six_weeks:
        answer = client.get(
            url(world, "calendar_events"), {"start": "2027-04-26T00:00:00Z", "end": "2027-06-07T00:00:00Z"}
        )
    assert [event["title"] for event in answer.json()] == [
        "Fête du Travail",
        "Ascension",
        "Fête de la Victoire",
        "Lundi de Pentecôte",
    ]
    assert len(six_weeks) == len(one_week)


def plan_body(professional_pk: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "professional": professional_pk,
        "weekdays": ["0"],
        "start_time": "18:00",
        "end_time": "19:00",
        "minutes": "15",
        "first_day": "2027-03-29",  # Easter Monday (Easter Sunday 2027 is 28 March)
        "last_day": "2027-03-29",
        "care_channel": "gp",
        "exam_type": "",
        "modality": "in_person",
        "capacity": "1",
    }
    data.update(overrides)
    return data


def test_a_plan_whose_only_day_is_a_holiday_is_refused_on_its_first_day_and_nothing_is_saved(world: World) -> None:
    pro = make_practitioner(world.cell)
    response = world.client_for(world.colleague).post(url(world, "plan_create"), plan_body(pro.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["first_day"] == [str(HOLIDAY_ONLY_DAY % {"name": "Lundi de Pâques"})]
    assert response.context["holidays"] == [day_and_name(date(2027, 3, 29), "Lundi de Pâques")]
    assert not AvailabilityPlan.objects.exists() and not Slot.objects.exists()
    ticked = world.client_for(world.colleague).post(url(world, "plan_create"), plan_body(pro.pk, open_on_holidays="on"))
    assert ticked.status_code == 302
    assert AvailabilityPlan.objects.get().open_on_holidays is True


def test_the_plan_page_lists_the_holidays_its_period_leaves_without_slots(world: World) -> None:
    pro = make_practitioner(world.cell)
    result = services.plan_save(
        cell=world.cell,
        professional=pro,
        weekdays=[0, 6],  # Mondays and Sundays: 15 August 2027 is a Sunday; 1 November a Monday
        start_time=time(9, 0),
        end_time=time(10, 0),
        minutes=30,
        first_day=date(2027, 8, 1),
        last_day=date(2027, 11, 30),
        care_channel="gp",
        modality="in_person",
    )
    page = world.client_for(world.colleague).get(url(world, "plan_update", pk=result.plan.pk))
    assert page.context["holidays"] == [
        day_and_name(date(2027, 8, 15), "Assomption"),
        day_and_name(date(2027, 11, 1), "Toussaint"),
    ]
    assert "Assomption" in page.content.decode()


def test_a_spot_is_saved_with_two_seasons_from_its_form_and_shows_them_again(world: World) -> None:
    site = SiteFactory(cell=world.cell, kind="telemedicine_spot", name="Point de Cabourg")
    nurse = ProfessionalFactory(cell=world.cell, profession="nurse")
    client = world.client_for(world.colleague)
    seasons = periods_body(("2027-07-15", "2027-08-31"), ("2028-07-15", "2028-08-31"), ("", ""))
    response = client.post(url(world, "spot_create"), {**spot_body(site.pk, [nurse.pk]), **seasons})
    assert response.status_code == 302
    spot = TelemedicineSpot.objects.get()
    assert OpeningPeriod.objects.filter(plan=spot.plan).count() == 2
    edit = client.get(url(world, "spot_update", pk=spot.pk))
    assert [(row["first_day"], row["last_day"]) for row in edit.context["periods"].initial] == [
        (date(2027, 7, 15), date(2027, 8, 31)),
        (date(2028, 7, 15), date(2028, 8, 31)),
    ]


@pytest.mark.parametrize(
    "periods, message",
    [
        (
            (("2027-07-15", "2027-07-31"), ("2027-07-20", "2027-08-15")),
            PERIOD_OVERLAP % {"first": "15/07/2027", "second": "20/07/2027"},
        ),
        ((("2027-08-31", "2027-07-15"),), PERIOD_ORDER % {"first": "31/08/2027"}),
    ],
)
def test_the_spot_form_refuses_overlapping_periods_or_one_in_the_wrong_order(
    world: World, periods: tuple[tuple[str, str], ...], message: Any
) -> None:
    site = SiteFactory(cell=world.cell, kind="telemedicine_spot", name="Point de Cabourg")
    nurse = ProfessionalFactory(cell=world.cell, profession="nurse")
    body = {**spot_body(site.pk, [nurse.pk]), **periods_body(*periods)}
    response = world.client_for(world.colleague).post(url(world, "spot_create"), body)
    assert response.status_code == 200
    assert response.context["periods"].non_form_errors() == [str(message)]
    assert 'id="periods-errors"' in response.content.decode()
    assert not TelemedicineSpot.objects.exists() and not Slot.objects.exists()


def test_the_tour_form_refuses_a_half_given_period_and_saves_two_seasons(world: World) -> None:
    doctor = ProfessionalFactory(cell=world.cell)
    client = world.client_for(world.colleague)
    half = {**tour_body(doctor.pk, [stop(GACE)]), **periods_body(("2027-07-05", ""))}
    response = client.post(url(world, "tour_create"), half)
    assert response.status_code == 200
    assert list(response.context["periods"].errors[0]) == ["last_day"]
    assert not MedicobusTour.objects.exists()
    seasons = periods_body(("2027-07-05", "2027-07-18"), ("2027-08-02", "2027-08-15"))
    response = client.post(url(world, "tour_create"), {**tour_body(doctor.pk, [stop(GACE)]), **seasons})
    assert response.status_code == 302
    tour = MedicobusTour.objects.get()
    assert (tour.first_day, tour.last_day) == (date(2027, 7, 5), date(2027, 8, 15))
    edit = client.get(url(world, "tour_update", pk=tour.pk))
    assert len(edit.context["periods"].initial) == 2
