"""Telemedicine spots: a site open for a period, on some days and hours, with the IDEL on duty.

The spot's times are a plan of its site (modality: assisted teleconsultation; capacity: the cabins used at once).
Booking one of them pairs a teleconsultant doctor's time in the same transaction, in tier order (see booking).
One-off slots published at a spot must fall within its opening hours.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.care import CareChannel, Modality
from common.errors import DomainError
from directory.models import Profession, Professional, Site, SiteKind
from territory.models import Cell

from ..models import TelemedicineSpot
from ..seasons import Period, plan_periods
from .plans import PlanResult, plan_save
from .publishing import SLOT_OF_OTHER_CELL

SPOT_SITE_KIND = _("Choose a site of the kind “telemedicine spot” (set it in the directory).")
SPOT_NURSES_ONLY = _("Only nurses (IDEL) assist teleconsultations at a spot: %(names)s.")
SPOT_TAKEN = _("This site already has a telemedicine spot.")


@transaction.atomic
def spot_save(
    *,
    cell: Cell,
    site: Site,
    nurses: list[Professional],
    weekdays: list[int],
    start_time: time,
    end_time: time,
    first_day: date | None = None,
    last_day: date | None = None,
    periods: list[Period] | None = None,
    minutes: int = 20,
    cabins: int = 1,
    open_to_sas: bool = False,
    open_on_holidays: bool = False,
    spot: TelemedicineSpot | None = None,
    now: datetime | None = None,
) -> tuple[TelemedicineSpot, PlanResult]:
    """Open (or change) a telemedicine spot: its opening periods (seasons: seed 001's summer spot reopens each
    summer), days and hours generate its bookable times, none on the cell's public holidays unless it is open on
    them. Without `periods`, one period from `first_day` to `last_day`."""
    now = now or timezone.now()
    if site.cell_id != cell.pk:
        raise DomainError(SLOT_OF_OTHER_CELL, field="site")
    if site.kind != SiteKind.TELEMEDICINE_SPOT:
        raise DomainError(SPOT_SITE_KIND, field="site")
    strangers = [nurse for nurse in nurses if nurse.cell_id != cell.pk]
    if strangers:
        raise DomainError(SLOT_OF_OTHER_CELL, field="nurses")
    not_nurses = [str(nurse) for nurse in nurses if nurse.profession != Profession.NURSE]
    if not_nurses:
        raise DomainError(SPOT_NURSES_ONLY % {"names": ", ".join(not_nurses)}, field="nurses")
    others = TelemedicineSpot.objects.filter(site=site)
    if spot is not None and spot.pk:
        others = others.exclude(pk=spot.pk)
    if others.exists():
        raise DomainError(SPOT_TAKEN, field="site")
    if spot is None or not spot.pk:
        spot = TelemedicineSpot(cell=cell, site=site)
    else:
        spot = TelemedicineSpot.objects.select_for_update().get(pk=spot.pk)
    if periods is None and first_day is not None and last_day is not None and first_day <= last_day:
        periods = [(first_day, last_day)]
    seasons: dict[str, Any] = (
        {"periods": periods} if periods is not None else {"first_day": first_day, "last_day": last_day}
    )
    result = plan_save(
        cell=cell,
        plan=spot.plan,
        **seasons,
        open_on_holidays=open_on_holidays,
        now=now,
        professional=None,
        site=site,
        weekdays=weekdays,
        start_time=start_time,
        end_time=end_time,
        minutes=minutes,
        care_channel=CareChannel.GP,
        modality=Modality.ASSISTED_TELECONSULTATION,
        capacity=cabins,
        open_to_sas=open_to_sas,
    )
    spot.site, spot.plan = site, result.plan
    spot.save()
    spot.nurses.set(nurses)
    return spot, result


SLOT_OUTSIDE_SPOT = _("%(site)s is open %(days)s, %(start)s–%(end)s, from %(first)s to %(last)s: this is outside.")


def check_within_spot_hours(site: Site | None, starts_at: datetime, ends_at: datetime) -> None:
    """A one-off slot at a telemedicine spot must fall within the spot's opening periods, days and hours."""
    if site is None:
        return
    spot = TelemedicineSpot.objects.select_related("plan").filter(site=site).first()
    if spot is None or spot.plan is None:
        return
    plan = spot.plan
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    inside = (
        any(first <= start.date() <= last for first, last in plan_periods(plan))
        and start.weekday() in plan.weekdays
        and start.date() == end.date()
        and plan.start_time <= start.time()
        and end.time() <= plan.end_time
    )
    if not inside:
        raise DomainError(
            SLOT_OUTSIDE_SPOT
            % {
                "site": site.name,
                "days": ", ".join(plan.weekday_names),
                "start": f"{plan.start_time:%H:%M}",
                "end": f"{plan.end_time:%H:%M}",
                "first": f"{plan.first_day:%d/%m/%Y}",
                "last": f"{plan.last_day:%d/%m/%Y}",
            },
            field="start",
        )
