"""Calendars that know France (issue 21.2): plans, Médicobus stops and telemedicine spots generate nothing on the
cell's public holidays unless they are open on them, and only within their opening periods (seasons); the bad plans
and periods are refused on their field, nothing saved."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from agenda import services
from agenda.models import AvailabilityPlan, OpeningPeriod, Slot, SlotStatus, TelemedicineSpot
from agenda.seasons import day_and_name
from agenda.services.plans import HOLIDAY_ONLY_DAY, HOLIDAY_ONLY_DAYS, PERIOD_ORDER, PERIOD_OVERLAP
from agenda.services.spots import check_within_spot_hours
from agenda.tests.factories import make_practitioner
from common.errors import DomainError
from common.holidays import HolidayZone, holiday_name
from conftest import GACE, World
from directory.models import Professional, Site
from referrals.tests.factories import make_request
from tests.factories import SiteFactory, commune

pytestmark = pytest.mark.django_db


def at(year: int, month: int, day: int, hour: int = 8) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def professional(world: World, **fields: Any) -> Professional:
    """A professional working at a site of the cell (their in-person slots take place there)."""
    return make_practitioner(world.cell, **fields)


def every_day(world: World, pro: Professional, now: datetime, first: date, last: date, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "professional": pro,
        "weekdays": list(range(7)),
        "start_time": time(9, 0),
        "end_time": time(10, 0),
        "minutes": 30,
        "first_day": first,
        "last_day": last,
        "care_channel": "gp",
        "modality": "in_person",
    }
    values.update(overrides)
    return services.plan_save(cell=world.cell, now=now, **values)


def days_with_slots(**filters: Any) -> set[date]:
    return {timezone.localdate(slot.starts_at) for slot in Slot.objects.filter(status=SlotStatus.OPEN, **filters)}


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_metropolitan_plans_skip_christmas_new_year_and_15_august(world: World) -> None:
    pro = professional(world)
    result = every_day(world, pro, at(2027, 12, 20), date(2027, 12, 20), date(2028, 1, 3))
    days = days_with_slots(plan=result.plan)
    assert date(2027, 12, 25) not in days and date(2028, 1, 1) not in days
    assert {date(2027, 12, 24), date(2027, 12, 26), date(2027, 12, 31), date(2028, 1, 2)} <= days
    assert list(result.holidays) == [date(2027, 12, 25), date(2028, 1, 1)]
    assert result.holidays[date(2027, 12, 25)] == "Noël"

    summer = every_day(world, professional(world), at(2027, 8, 1), date(2027, 8, 10), date(2027, 8, 20))
    days = days_with_slots(plan=summer.plan)
    assert date(2027, 8, 15) not in days and {date(2027, 8, 14), date(2027, 8, 16)} <= days
    assert len(days) == 10


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_moselle_skips_good_friday_and_26_december_where_metropolitan_france_does_not(world: World) -> None:
    fridays = {"weekdays": [4]}
    metropolitan = every_day(world, professional(world), at(2027, 3, 1), date(2027, 3, 1), date(2027, 4, 9), **fridays)
    assert date(2027, 3, 26) in days_with_slots(plan=metropolitan.plan)

    world.cell.holiday_zone = HolidayZone.MOSELLE
    world.cell.save(update_fields=["holiday_zone"])
    moselle = every_day(world, professional(world), at(2027, 3, 1), date(2027, 3, 1), date(2027, 4, 9), **fridays)
    days = days_with_slots(plan=moselle.plan)
    assert date(2027, 3, 26) not in days  # Vendredi saint, local law of Alsace-Moselle
    assert {date(2027, 3, 19), date(2027, 4, 2)} <= days
    assert moselle.holidays == {date(2027, 3, 26): "Vendredi saint"}
    christmas = every_day(world, professional(world), at(2027, 12, 20), date(2027, 12, 24), date(2027, 12, 27))
    assert days_with_slots(plan=christmas.plan) == {date(2027, 12, 24), date(2027, 12, 27)}


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_a_plan_open_on_public_holidays_has_its_slots_on_them(world: World) -> None:
    result = every_day(
        world, professional(world), at(2027, 12, 20), date(2027, 12, 24), date(2027, 12, 26), open_on_holidays=True
    )
    assert days_with_slots(plan=result.plan) == {date(2027, 12, 24), date(2027, 12, 25), date(2027, 12, 26)}
    assert result.holidays == {}


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=7)
def test_the_daily_job_skips_the_holidays_it_reaches(world: World) -> None:
    result = every_day(world, professional(world), at(2027, 12, 1), date(2027, 12, 1), date(2027, 12, 31))
    assert max(days_with_slots(plan=result.plan)) == date(2027, 12, 8)
    services.plans_extend_all(now=at(2027, 12, 20))
    days = days_with_slots(plan=result.plan)
    assert date(2027, 12, 27) in days and date(2027, 12, 25) not in days


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_closing_a_plan_on_holidays_withdraws_the_free_holiday_slots_and_keeps_a_booked_one(world: World) -> None:
    make_practitioner(world.cell)  # the request's requester
    now = at(2027, 12, 20)
    result = every_day(world, professional(world), now, date(2027, 12, 24), date(2027, 12, 26), open_on_holidays=True)
    christmas = [s for s in Slot.objects.filter(plan=result.plan) if timezone.localdate(s.starts_at).day == 25]
    services.slot_book(
        slot=christmas[0], request=make_request(world.cell, now=now - timedelta(hours=1)), user=world.colleague, now=now
    )
    changed = services.plan_save(cell=world.cell, plan=result.plan, now=now, open_on_holidays=False)
    assert [slot.pk for slot in changed.spared] == [christmas[0].pk]
    left = Slot.objects.filter(plan=result.plan, status=SlotStatus.OPEN)
    assert [slot.pk for slot in left if timezone.localdate(slot.starts_at).day == 25] == [christmas[0].pk]
    christmas[0].refresh_from_db()
    assert christmas[0].attention  # flagged for a coordinator, not withdrawn


def test_a_plan_whose_only_day_is_easter_monday_is_refused_and_nothing_is_saved(world: World) -> None:
    # Easter Sunday 2027 is 28 March: its Monday is 29 March.
    with pytest.raises(DomainError) as raised:
        every_day(world, professional(world), at(2027, 3, 1), date(2027, 3, 29), date(2027, 3, 29), weekdays=[0])
    assert raised.value.field == "first_day"
    assert str(raised.value.message) == str(HOLIDAY_ONLY_DAY % {"name": "Lundi de Pâques"})
    assert not AvailabilityPlan.objects.exists() and not Slot.objects.exists()


def test_a_plan_whose_days_are_all_holidays_names_them_and_one_open_on_them_is_saved(world: World) -> None:
    pro = professional(world)
    christmas, new_year = date(2027, 12, 25), date(2028, 1, 1)
    with pytest.raises(DomainError) as raised:  # Saturdays from Christmas to New Year's Day: those two only
        every_day(world, pro, at(2027, 12, 1), christmas, new_year, weekdays=[5])
    names = ", ".join(day_and_name(day, holiday_name(day) or "") for day in (christmas, new_year))
    assert str(raised.value.message) == str(HOLIDAY_ONLY_DAYS % {"names": names})
    assert "Noël" in names
    assert not AvailabilityPlan.objects.exists()
    saved = every_day(
        world, pro, at(2027, 3, 1), date(2027, 3, 29), date(2027, 3, 29), weekdays=[0], open_on_holidays=True
    )
    assert saved.plan.pk is not None


# Seasons: seed 001's summer spot (Cabourg: Monday, Wednesday, Friday 14:00–18:00) reopens each summer.
NOW = datetime(2027, 7, 5, 8, 0, tzinfo=UTC)


def spot_site(world: World) -> Site:
    site = SiteFactory(cell=world.cell, kind="telemedicine_spot", name="Point de télémédecine de Cabourg")
    assert isinstance(site, Site)
    return site


def open_spot(world: World, site: Site, **overrides: Any) -> tuple[TelemedicineSpot, Any]:
    values: dict[str, Any] = {
        "cell": world.cell,
        "site": site,
        "nurses": [professional(world, profession="nurse")],
        "weekdays": [0, 2, 4],
        "start_time": time(14, 0),
        "end_time": time(18, 0),
        "minutes": 20,
        "now": NOW,
    }
    values.update(overrides)
    return services.spot_save(**values)


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_a_spot_with_two_seasons_opens_within_them_only(world: World) -> None:
    site = spot_site(world)
    seasons = [(date(2027, 8, 9), date(2027, 8, 13)), (date(2027, 7, 15), date(2027, 7, 21))]
    spot, _result = open_spot(world, site, periods=seasons)
    assert days_with_slots(site=site) == {
        date(2027, 7, 16),
        date(2027, 7, 19),
        date(2027, 7, 21),
        date(2027, 8, 9),
        date(2027, 8, 11),
        date(2027, 8, 13),
    }
    assert spot.plan is not None
    assert (spot.plan.first_day, spot.plan.last_day) == (date(2027, 7, 15), date(2027, 8, 13))
    assert list(OpeningPeriod.objects.filter(plan=spot.plan).values_list("first_day", "last_day")) == sorted(seasons)
    # A one-off slot between the seasons is outside the spot's opening.
    with pytest.raises(DomainError):
        check_within_spot_hours(
            site, at(2027, 7, 28, 13), at(2027, 7, 28, 13) + timedelta(minutes=20)
        )  # Wednesday 28 July, 15:00 in Paris


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_a_spot_may_hold_this_summer_and_the_next_and_resaving_it_with_one_season_withdraws_the_other(
    world: World,
) -> None:
    site = spot_site(world)
    spot, _result = open_spot(
        world, site, periods=[(date(2027, 7, 15), date(2027, 8, 31)), (date(2028, 7, 15), date(2028, 8, 31))]
    )
    assert spot.plan is not None and spot.plan.last_day == date(2028, 8, 31)
    open_spot(world, site, spot=spot, periods=[(date(2027, 7, 15), date(2027, 7, 31))])
    assert max(days_with_slots(site=site)) == date(2027, 7, 30)
    assert OpeningPeriod.objects.filter(plan=spot.plan).count() == 1


@pytest.mark.parametrize(
    "periods, message",
    [
        (
            [(date(2027, 7, 31), date(2027, 8, 15)), (date(2027, 7, 15), date(2027, 7, 31))],
            PERIOD_OVERLAP % {"first": "15/07/2027", "second": "31/07/2027"},
        ),
        ([(date(2027, 8, 31), date(2027, 7, 15))], PERIOD_ORDER % {"first": "31/08/2027"}),
    ],
)
def test_overlapping_periods_or_a_period_in_the_wrong_order_are_refused(
    world: World, periods: list[tuple[date, date]], message: Any
) -> None:
    with pytest.raises(DomainError) as raised:
        open_spot(world, spot_site(world), periods=periods)
    assert raised.value.field == "periods"
    assert str(raised.value.message) == str(message)
    assert not TelemedicineSpot.objects.exists() and not Slot.objects.exists()
    assert not OpeningPeriod.objects.exists()


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_a_tour_with_two_seasons_stops_within_them_and_skips_14_july(world: World) -> None:
    doctor = professional(world)
    tuesday = services.StopData(1, commune(GACE), "Place du marché", time(9, 0), time(10, 0))
    wednesday = services.StopData(2, commune(GACE), "Place du marché", time(14, 0), time(15, 0))
    result = services.tour_save(
        cell=world.cell,
        name="Médicobus de l'été",
        doctor=doctor,
        stops=[tuesday, wednesday],
        periods=[(date(2027, 7, 5), date(2027, 7, 18)), (date(2027, 8, 2), date(2027, 8, 8))],
        now=NOW,
    )
    assert days_with_slots(professional=doctor) == {
        date(2027, 7, 6),
        date(2027, 7, 7),
        date(2027, 7, 13),  # not Wednesday 14 July, the national holiday
        date(2027, 8, 3),
        date(2027, 8, 4),
    }
    assert result.holidays == {date(2027, 7, 14): "Fête nationale"}
    assert (result.tour.first_day, result.tour.last_day) == (date(2027, 7, 5), date(2027, 8, 8))
    # Saved again unchanged: the stops are kept as they are (none stopped, none generated again).
    again = services.tour_save(
        cell=world.cell,
        name="Médicobus de l'été",
        doctor=doctor,
        stops=[tuesday, wednesday],
        periods=[(date(2027, 8, 2), date(2027, 8, 8)), (date(2027, 7, 5), date(2027, 7, 18))],
        tour=result.tour,
        now=NOW,
    )
    assert again.created == 0 and again.spared == []
    assert AvailabilityPlan.objects.filter(tour=result.tour, is_active=True).count() == 2
