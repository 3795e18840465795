"""Recurring plans: wall-clock times across both clock changes, a rolling horizon, edits and absences that spare
booked slots and say so, and the bad plans refused on their field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from agenda import services
from agenda.models import AvailabilityPlan, Slot, SlotStatus
from agenda.tests.factories import make_practitioner
from common.errors import DomainError
from conftest import World
from directory.models import Professional, Site
from referrals.tests.factories import make_request
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def new_professional(world: World) -> Professional:
    professional = make_practitioner(world.cell)
    assert isinstance(professional, Professional)
    return professional


def at(year: int, month: int, day: int, hour: int = 8) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def save_plan(world: World, professional: Professional | None, now: datetime, **overrides: Any) -> services.PlanResult:
    values: dict[str, Any] = {
        "professional": professional,
        "weekdays": [1],  # Tuesdays
        "start_time": time(18, 0),
        "end_time": time(20, 0),
        "minutes": 15,
        "first_day": timezone.localdate(now),
        "last_day": timezone.localdate(now) + timedelta(days=120),
        "care_channel": "gp",
        "modality": "in_person",
    }
    values.update(overrides)
    return services.plan_save(cell=world.cell, now=now, **values)


def starts(professional: Professional, day: date) -> list[str]:
    return [
        f"{s.starts_at.astimezone(UTC):%H:%M}"
        for s in Slot.objects.filter(professional=professional, status=SlotStatus.OPEN).order_by("starts_at")
        if timezone.localdate(s.starts_at) == day
    ]


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
@pytest.mark.parametrize(
    "now, before, after",
    [
        (at(2026, 3, 1), date(2026, 3, 24), date(2026, 3, 31)),  # to summer time on Sunday 29 March
        (at(2026, 10, 1), date(2026, 10, 20), date(2026, 10, 27)),  # to winter time on Sunday 25 October
    ],
)
def test_every_tuesday_from_18_to_20_stays_18_to_20_in_paris_across_the_clock_change(
    world: World, now: datetime, before: date, after: date
) -> None:
    pro = new_professional(world)
    save_plan(world, pro, now)
    winter_first = {3: "17:00", 10: "16:00"}[now.month]  # 18:00 in Paris before the change, in UTC
    summer_first = {3: "16:00", 10: "17:00"}[now.month]
    assert starts(pro, before)[0] == winter_first and len(starts(pro, before)) == 8
    assert starts(pro, after)[0] == summer_first and len(starts(pro, after)) == 8
    for slot in Slot.objects.filter(professional=pro):
        local = timezone.localtime(slot.starts_at)
        assert local.weekday() == 1 and time(18, 0) <= local.time() < time(20, 0)


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=60)
def test_the_missing_hour_of_march_gives_no_slot_and_the_repeated_hour_of_october_gives_it_once(
    world: World,
) -> None:
    pro = new_professional(world)
    save_plan(world, pro, at(2026, 3, 1), weekdays=[6], start_time=time(2, 0), end_time=time(3, 0), minutes=30)
    assert starts(pro, date(2026, 3, 22)) == ["01:00", "01:30"]
    assert starts(pro, date(2026, 3, 29)) == []  # 02:00–03:00 does not exist that night
    other = new_professional(world)
    save_plan(world, other, at(2026, 10, 1), weekdays=[6], start_time=time(2, 0), end_time=time(3, 0), minutes=30)
    assert starts(other, date(2026, 10, 25)) == ["00:00", "00:30"]  # the first 02:00–03:00, summer time
    assert {s.ends_at - s.starts_at for s in Slot.objects.filter(professional=other)} == {timedelta(minutes=30)}


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=28)
def test_slots_are_generated_up_to_a_rolling_horizon(world: World) -> None:
    pro = new_professional(world)
    now = at(2026, 11, 2)  # a Monday
    result = save_plan(world, pro, now)
    assert result.created == 4 * 8  # four Tuesdays within 28 days
    last = Slot.objects.filter(professional=pro).order_by("starts_at").last()
    assert last is not None and timezone.localdate(last.starts_at) <= date(2026, 11, 30)
    assert services.plans_extend_all(now=now + timedelta(days=7)) == 8  # a week later: one more Tuesday
    assert services.plans_extend_all(now=now + timedelta(days=7)) == 0  # run twice: nothing twice
    assert Slot.objects.filter(professional=pro).count() == 5 * 8


def book(world: World, slot: Slot, now: datetime) -> None:
    request = make_request(world.cell, now=now - timedelta(hours=1))
    services.slot_book(slot=slot, request=request, user=world.colleague, now=now)


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=28)
def test_changing_a_plan_spares_the_booked_slots_and_says_which(world: World) -> None:
    make_practitioner(world.cell)  # the requests' requester
    pro = new_professional(world)
    now = at(2026, 11, 2)
    result = save_plan(world, pro, now)
    booked = Slot.objects.filter(plan=result.plan).order_by("starts_at")[1]  # Tuesday 18:15
    book(world, booked, now)
    changed = services.plan_save(
        cell=world.cell, plan=result.plan, now=now, start_time=time(18, 0), end_time=time(19, 0), minutes=20
    )
    assert [s.pk for s in changed.spared] == [booked.pk]
    booked.refresh_from_db()
    assert (booked.status, booked.booked) == (SlotStatus.OPEN, 1)
    tuesday = timezone.localdate(booked.starts_at)
    open_times = [
        f"{timezone.localtime(s.starts_at):%H:%M}"
        for s in Slot.objects.filter(professional=pro, status=SlotStatus.OPEN).order_by("starts_at")
        if timezone.localdate(s.starts_at) == tuesday
    ]
    assert open_times == ["18:15", "18:40"]  # 18:00 and 18:20 would overlap the booked 18:15–18:30
    assert changed.skipped == 2
    stopped = services.plan_stop(plan=result.plan, now=now)
    assert [s.pk for s in stopped.spared] == [booked.pk]
    assert list(Slot.objects.filter(professional=pro, status=SlotStatus.OPEN)) == [booked]


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=28)
def test_an_absence_withdraws_free_slots_keeps_booked_ones_and_plans_skip_it(world: World) -> None:
    make_practitioner(world.cell)
    pro = new_professional(world)
    now = at(2026, 11, 2)
    plan = save_plan(world, pro, now).plan
    first_tuesday = Slot.objects.filter(plan=plan).order_by("starts_at")
    book(world, first_tuesday[0], now)
    holiday_start = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)  # Tuesday 3 to Wednesday 11, Paris midnight
    result = services.absence_add(
        cell=world.cell,
        professional=pro,
        starts_at=holiday_start,
        ends_at=holiday_start + timedelta(days=8),
        reason="Congés",
    )
    assert result.withdrawn == 2 * 8 - 1
    assert len(result.kept) == 1
    services.plan_save(cell=world.cell, plan=plan, now=now, end_time=time(19, 0))
    assert not Slot.objects.filter(
        professional=pro, status=SlotStatus.OPEN, booked=0, starts_at__lt=holiday_start + timedelta(days=8)
    ).exists()


def test_a_site_holiday_withdraws_the_sites_slots(world: World) -> None:
    site = SiteFactory(cell=world.cell)
    assert isinstance(site, Site)
    now = timezone.now()
    start = now + timedelta(days=3)
    slot = Slot.objects.create(
        cell=world.cell,
        site=site,
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        care_channel="gp",
        modality="in_person",
    )
    services.absence_add(
        cell=world.cell, site=site, starts_at=start - timedelta(hours=1), ends_at=start + timedelta(days=1)
    )
    slot.refresh_from_db()
    assert slot.status == SlotStatus.CANCELLED


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"last_day": None}, "last_day"),
        ({"weekdays": []}, "weekdays"),
        ({"end_time": time(17, 0)}, "end_time"),
        ({"last_day": date(2028, 1, 1)}, "last_day"),
        ({"first_day": date(2026, 12, 1), "last_day": date(2026, 11, 1)}, "last_day"),
        ({"care_channel": "imaging"}, "exam_type"),
        ({"minutes": 300}, "minutes"),
        ({"professional": None}, "professional"),
    ],
)
def test_bad_plans_are_refused_on_their_field_and_nothing_is_kept(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    overrides = dict(overrides)
    professional = overrides.pop("professional", make_practitioner(world.cell))
    with pytest.raises(DomainError) as raised:
        save_plan(world, professional, at(2026, 11, 2), **overrides)
    assert raised.value.field == field
    assert not AvailabilityPlan.objects.exists() and not Slot.objects.exists()


def test_two_plans_of_one_professional_at_the_same_times_are_refused(world: World) -> None:
    pro = new_professional(world)
    save_plan(world, pro, at(2026, 11, 2))
    with pytest.raises(DomainError) as raised:
        save_plan(world, pro, at(2026, 11, 2), weekdays=[1, 3], start_time=time(19, 30), end_time=time(21, 0))
    assert raised.value.field == "start_time"
    save_plan(world, pro, at(2026, 11, 2), weekdays=[3], start_time=time(19, 30), end_time=time(21, 0))  # Thursdays


def test_a_passed_slot_nobody_booked_is_not_taken(world: World) -> None:
    make_practitioner(world.cell)
    now = timezone.now()
    free = Slot.objects.create(
        cell=world.cell,
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
        care_channel="gp",
        modality="in_person",
    )
    taken = Slot.objects.create(
        cell=world.cell,
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
        care_channel="gp",
        modality="in_person",
    )
    book(world, taken, now)
    later = now + timedelta(hours=3)
    assert not free.is_not_taken(now) and free.is_not_taken(later)
    taken.refresh_from_db()
    assert not taken.is_not_taken(later)


@override_settings(AIGUILLAGE_AGENDA_HORIZON_DAYS=28)
def test_one_professionals_absence_at_a_shared_site_leaves_colleagues_plans_alone(world: World) -> None:
    site = SiteFactory(cell=world.cell)
    assert isinstance(site, Site)
    away, colleague = new_professional(world), new_professional(world)
    now = at(2026, 11, 2)
    services.absence_add(cell=world.cell, professional=away, site=site, starts_at=now, ends_at=now + timedelta(days=20))
    result = save_plan(world, colleague, now, site=site)
    assert result.created == 4 * 8 and result.skipped == 0
    assert save_plan(world, away, now, site=site).created == 1 * 8  # the absent one: only after the absence
