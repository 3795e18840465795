"""Médicobus tours: a weekly plan of stops (commune, place, day, hours) run by a doctor and an assistant.

Each stop is a plan of the tour's doctor, so its slots are generated like any plan's (wall-clock times, rolling
horizon, absences). Saving a tour keeps the stops that did not change as they are; a stop removed or changed is
stopped (its free slots withdrawn, its booked ones kept and marked for a coordinator) and the new stop generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.care import CareChannel, Modality
from common.errors import DomainError
from directory.models import Professional, Site
from territory.models import Cell, Commune
from territory.selectors import commune_in_cell

from ..models import AvailabilityPlan, MedicobusTour, Slot
from ..seasons import Period, plan_periods
from .plans import PERIOD_NONE, PLAN_NO_END, plan_save, plan_stop
from .publishing import SLOT_OF_OTHER_CELL

TOUR_NO_STOP = _("Give at least one stop.")
STOP_OUTSIDE = _("%(commune)s is not in the territory of the cell.")
TOUR_CHANGED = _("The Médicobus tour changed after the booking: check the stop and time with the patient.")


@dataclass(frozen=True)
class StopData:
    weekday: int
    commune: Commune
    place: str
    start_time: time
    end_time: time
    capacity: int = 1


@dataclass
class TourResult:
    tour: MedicobusTour
    created: int = 0
    spared: list[Slot] = field(default_factory=list)
    holidays: dict[date, str] = field(default_factory=dict)  # public holidays left without a stop


def _same(plan: AvailabilityPlan, tour: MedicobusTour, stop: StopData, periods: list[Period]) -> bool:
    return (
        plan.weekdays == [stop.weekday]
        and plan.commune_id == stop.commune.pk
        and plan.place == stop.place.strip()
        and (plan.start_time, plan.end_time, plan.capacity) == (stop.start_time, stop.end_time, stop.capacity)
        and (plan.professional_id, plan.minutes) == (tour.doctor_id, tour.minutes)
        and (plan.first_day, plan.last_day, plan.site_id) == (tour.first_day, tour.last_day, tour.site_id)
        and plan.open_on_holidays == tour.open_on_holidays
        and plan_periods(plan) == periods
    )


@transaction.atomic
def tour_save(
    *,
    cell: Cell,
    name: str,
    doctor: Professional,
    stops: list[StopData],
    first_day: date | None = None,
    last_day: date | None = None,
    periods: list[Period] | None = None,
    assistant: Professional | None = None,
    site: Site | None = None,
    minutes: int = 20,
    open_on_holidays: bool = False,
    tour: MedicobusTour | None = None,
    now: datetime | None = None,
) -> TourResult:
    """Create or change a tour and its stops; future capacity follows, and bookings it affects are flagged. Each
    stop generates within the tour's opening periods (seasons; without `periods`, one from `first_day` to
    `last_day`), none on the cell's public holidays unless the tour is open on them."""
    now = now or timezone.now()
    for record, name_of_field in ((doctor, "doctor"), (assistant, "assistant"), (site, "site")):
        if record is not None and record.cell_id != cell.pk:
            raise DomainError(SLOT_OF_OTHER_CELL, field=name_of_field)
    if periods is None:
        if first_day is None or last_day is None:
            raise DomainError(PLAN_NO_END, field="last_day")
        periods = [(first_day, last_day)]
    if not periods:
        raise DomainError(PERIOD_NONE, field="periods")
    periods = sorted(periods)
    if not stops:
        raise DomainError(TOUR_NO_STOP, field="stops")
    for stop in stops:
        if not commune_in_cell(stop.commune, cell):
            raise DomainError(STOP_OUTSIDE % {"commune": stop.commune}, field="stops")
    tour = MedicobusTour.objects.select_for_update().get(pk=tour.pk) if tour and tour.pk else MedicobusTour(cell=cell)
    tour.name, tour.doctor, tour.assistant, tour.site = name.strip(), doctor, assistant, site
    # The bounds of the periods (each stop's plan holds the periods themselves, decision 0007).
    first_day, last_day = periods[0][0], max(last for _first, last in periods)
    tour.minutes, tour.first_day, tour.last_day, tour.is_active = minutes, first_day, last_day, True
    tour.open_on_holidays = open_on_holidays
    tour.save()
    result = TourResult(tour)
    current = list(AvailabilityPlan.objects.filter(tour=tour, is_active=True).prefetch_related("periods"))
    unchanged = [plan for plan in current if any(_same(plan, tour, stop, periods) for stop in stops)]
    for plan in current:
        if plan not in unchanged:
            result.spared += plan_stop(plan=plan, now=now, attention=str(TOUR_CHANGED)).spared
    for stop in stops:
        if any(_same(plan, tour, stop, periods) for plan in unchanged):
            continue
        made = plan_save(
            cell=cell,
            now=now,
            professional=doctor,
            site=site,
            weekdays=[stop.weekday],
            start_time=stop.start_time,
            end_time=stop.end_time,
            minutes=minutes,
            periods=periods,
            open_on_holidays=open_on_holidays,
            care_channel=CareChannel.GP,
            modality=Modality.MEDICOBUS,
            capacity=stop.capacity,
            commune=stop.commune,
            place=stop.place.strip(),
        )
        AvailabilityPlan.objects.filter(pk=made.plan.pk).update(tour=tour)
        result.created += made.created
        result.holidays.update(made.holidays)
    return result


@transaction.atomic
def tour_stop(*, tour: MedicobusTour, now: datetime | None = None) -> TourResult:
    now = now or timezone.now()
    tour = MedicobusTour.objects.select_for_update().get(pk=tour.pk)
    result = TourResult(tour)
    for plan in AvailabilityPlan.objects.filter(tour=tour, is_active=True):
        result.spared += plan_stop(plan=plan, now=now, attention=str(TOUR_CHANGED)).spared
    tour.is_active = False
    tour.save(update_fields=["is_active"])
    return result
