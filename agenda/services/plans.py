"""Recurring plans and absences.

A plan stores its rule (weekdays, times of day in Europe/Paris, first and last day); its slots are generated in
wall-clock time, then converted to UTC, so 18:00 stays 18:00 across the clock changes. Slots are generated ahead up to a
rolling horizon (`AIGUILLAGE_AGENDA_HORIZON_DAYS`), extended daily by `manage.py extend_plans`. Changing or stopping a
plan withdraws its future free slots and spares the booked ones, which are listed for the coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.care import CareChannel, Modality
from common.errors import DomainError
from common.locking import lock_names
from directory.models import Professional, Site
from territory.models import Cell

from ..models import Absence, AvailabilityPlan, OpeningPeriod, Slot, SlotStatus
from ..seasons import Period, day_and_name, days_of, holidays_on_days, plan_periods
from .publishing import SLOT_EXAM_REQUIRED, SLOT_LENGTH, SLOT_OF_OTHER_CELL, check_named, site_of, slots_name

PLAN_NO_END = _("Give the last day: a plan runs for a set period (renew it when it ends).")
PLAN_NO_DAYS = _("Choose at least one day of the week.")
PLAN_DAYS_ORDER = _("The last day comes after the first.")
PLAN_TOO_LONG = _("A plan runs for one year at most.")
PLAN_ENDED = _("This plan has already ended.")
PLAN_TIMES_ORDER = _("The end time comes after the start time.")
PLAN_WHO = _("Say whose plan it is: a professional or a site.")
PLAN_OVERLAP = _("%(who)s already has a plan at these times: %(plan)s.")
PERIOD_NONE = _("Give at least one opening period.")
PERIOD_ORDER = _("Opening period from %(first)s: the last day comes after the first.")
PERIOD_TOO_LONG = _("Opening period from %(first)s: a period lasts one year at most.")
PERIOD_OVERLAP = _("The opening periods from %(first)s and from %(second)s overlap: give each day once.")
HOLIDAY_ONLY_DAY = _(
    "No slot: the only day of this plan is a public holiday (%(name)s). Tick “open on public holidays” or change the "
    "dates."
)
HOLIDAY_ONLY_DAYS = _(
    "No slot: every day of this plan is a public holiday (%(names)s). Tick “open on public holidays” or change the "
    "dates."
)
ABSENCE_ORDER = _("An absence ends after it starts.")
ABSENCE_WHO = _("Say who is absent: a professional or a site.")

MAX_PLAN_DAYS = 366


def _lock_owner(professional_id: int | None, site_id: int | None) -> None:
    names = [f"agenda-professional:{professional_id}"] if professional_id else []
    names += [f"agenda-site:{site_id}"] if site_id else []
    lock_names(*names)


def horizon(now: datetime) -> date:
    return timezone.localdate(now) + timedelta(days=settings.AIGUILLAGE_AGENDA_HORIZON_DAYS)


@dataclass
class PlanResult:
    plan: AvailabilityPlan
    created: int = 0
    skipped: int = 0  # times taken by another slot or an absence
    holidays: dict[date, str] = field(default_factory=dict)  # public holidays left without slots, with their names
    spared: list[Slot] = field(default_factory=list)  # booked slots kept as they were


def _wall_clock(day: date, at: time) -> datetime | None:
    """The Paris time on that day, aware; None when it does not exist (the skipped hour of the March change).
    In the repeated hour of October, the first of the two."""
    zone = timezone.get_current_timezone()
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return aware


def _check_periods(plan: AvailabilityPlan, periods: list[Period]) -> list[Period]:
    """Opening periods (seasons) in date order, each in the right order and one year at most, none overlapping; the
    plan's first and last day become their bounds."""
    if not periods:
        raise DomainError(PERIOD_NONE, field="periods")
    for first, last in periods:
        if last < first:
            raise DomainError(PERIOD_ORDER % {"first": f"{first:%d/%m/%Y}"}, field="periods")
        if (last - first).days >= MAX_PLAN_DAYS:
            raise DomainError(PERIOD_TOO_LONG % {"first": f"{first:%d/%m/%Y}"}, field="periods")
    ordered = sorted(periods)
    for (first, last), (second, _second_last) in pairwise(ordered):
        if second <= last:
            raise DomainError(
                PERIOD_OVERLAP % {"first": f"{first:%d/%m/%Y}", "second": f"{second:%d/%m/%Y}"}, field="periods"
            )
    plan.first_day, plan.last_day = ordered[0][0], ordered[-1][1]
    return ordered


def _check_holidays(cell: Cell, plan: AvailabilityPlan, periods: list[Period], now: datetime, field_name: str) -> None:
    """A plan whose days to come are all public holidays would generate nothing: refused, saying which holidays."""
    if plan.open_on_holidays:
        return
    today = timezone.localdate(now)
    coming = [(max(first, today), last) for first, last in periods if last >= today]
    days = list(days_of(coming, plan.weekdays))
    holidays = holidays_on_days(cell.holiday_zone, coming, plan.weekdays)
    if not days or len(holidays) < len(days):
        return
    if len(days) == 1:
        raise DomainError(HOLIDAY_ONLY_DAY % {"name": holidays[days[0]]}, field=field_name)
    names = ", ".join(day_and_name(day, name) for day, name in holidays.items())
    raise DomainError(HOLIDAY_ONLY_DAYS % {"names": names}, field=field_name)


def _check_plan(cell: Cell, plan: AvailabilityPlan, now: datetime, *, seasonal: bool = False) -> None:
    for record, name in ((plan.professional, "professional"), (plan.site, "site")):
        if record is not None and record.cell_id != cell.pk:
            raise DomainError(SLOT_OF_OTHER_CELL, field=name)
    if plan.professional is None and plan.site is None:
        raise DomainError(PLAN_WHO, field="professional")
    if not plan.weekdays or any(day not in range(7) for day in plan.weekdays):
        raise DomainError(PLAN_NO_DAYS, field="weekdays")
    if plan.last_day is None:
        raise DomainError(PLAN_NO_END, field="last_day")
    if plan.first_day is None or plan.last_day < plan.first_day:
        raise DomainError(PLAN_DAYS_ORDER, field="last_day")
    # With seasons, each period is checked alone (_check_periods): a summer spot may hold this summer and the next.
    if (plan.last_day - plan.first_day).days >= MAX_PLAN_DAYS and not seasonal:
        raise DomainError(PLAN_TOO_LONG, field="last_day")
    if plan.last_day < timezone.localdate(now):
        raise DomainError(PLAN_ENDED, field="last_day")
    if plan.end_time <= plan.start_time:
        raise DomainError(PLAN_TIMES_ORDER, field="end_time")
    if not 5 <= plan.minutes <= 240:
        raise DomainError(SLOT_LENGTH, field="minutes")
    if plan.care_channel == CareChannel.IMAGING and not plan.exam_type:
        raise DomainError(SLOT_EXAM_REQUIRED, field="exam_type")
    if plan.modality == Modality.IN_PERSON and plan.site is None:
        plan.site = site_of(plan.professional)
    if plan.care_channel != CareChannel.IMAGING:
        plan.exam_type = ""
    if plan.professional is not None:
        others = AvailabilityPlan.objects.filter(
            professional=plan.professional,
            is_active=True,
            first_day__lte=plan.last_day,
            last_day__gte=plan.first_day,
            start_time__lt=plan.end_time,
            end_time__gt=plan.start_time,
        ).exclude(pk=plan.pk)
        for other in others:
            if set(other.weekdays) & set(plan.weekdays):
                raise DomainError(PLAN_OVERLAP % {"who": plan.professional, "plan": other}, field="start_time")


PLAN_CHANGED = _("Its plan changed after the booking: check the appointment still holds.")
ABSENCE_OVER = _("An absence now covers this appointment: move or cancel it.")


def _withdraw_future_free(plan: AvailabilityPlan, now: datetime, attention: str) -> list[Slot]:
    """Withdraw the plan's future free slots; the booked ones are kept as they were, marked for a coordinator to
    check, and returned."""
    future = Slot.objects.filter(plan=plan, status=SlotStatus.OPEN, starts_at__gt=now)
    future.filter(booked=0).update(status=SlotStatus.CANCELLED)
    spared = future.filter(booked__gt=0)
    spared.update(attention=attention)
    return list(spared.select_related("site", "professional").order_by("starts_at"))


@transaction.atomic
def plan_save(
    *, cell: Cell, plan: AvailabilityPlan | None = None, now: datetime | None = None, **fields: Any
) -> PlanResult:
    """Create or change a plan, and generate its slots up to the horizon. A change withdraws the plan's future free
    slots and generates them again; booked ones are spared and listed. `open_to_professionals` / `open_to_sites`
    (the named lists, of the cell) replace the plan's when given, and the slots generated again carry them; spared
    booked slots keep theirs, as they keep their other settings. `periods` (a spot's or a tour's seasons) replace
    the plan's opening periods when given (decision 0007); no slot is generated on the cell's public holidays unless
    the plan is open on them, and a plan whose days are all holidays is refused."""
    now = now or timezone.now()
    periods: list[Period] | None = fields.pop("periods", None)
    named_professionals = fields.pop("open_to_professionals", None)
    named_sites = fields.pop("open_to_sites", None)
    if plan is not None and plan.pk:
        plan = AvailabilityPlan.objects.select_for_update().get(pk=plan.pk)
    else:
        plan = AvailabilityPlan(cell=cell)
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.weekdays = sorted({int(day) for day in plan.weekdays or []})
    _lock_owner(plan.professional_id, plan.site_id)  # two saves for one professional never both pass the checks
    named_professionals = list(named_professionals) if named_professionals is not None else None
    named_sites = list(named_sites) if named_sites is not None else None
    check_named(cell, named_professionals or [], named_sites or [])
    if periods is not None:
        periods = _check_periods(plan, periods)
    _check_plan(cell, plan, now, seasonal=periods is not None)
    kept_periods = periods if periods is not None else plan_periods(plan)
    _check_holidays(cell, plan, kept_periods, now, "periods" if periods is not None else "first_day")
    spared = _withdraw_future_free(plan, now, str(PLAN_CHANGED)) if plan.pk else []
    plan.generated_until = None
    plan.is_active = True
    plan.save()
    if named_professionals is not None:
        plan.open_to_professionals.set(named_professionals)
    if named_sites is not None:
        plan.open_to_sites.set(named_sites)
    if periods is not None:
        plan.periods.all().delete()
        OpeningPeriod.objects.bulk_create(OpeningPeriod(plan=plan, first_day=a, last_day=b) for a, b in periods)
    result = plan_extend(plan=plan, until=horizon(now), now=now)
    result.spared = spared
    return result


@transaction.atomic
def plan_stop(*, plan: AvailabilityPlan, now: datetime | None = None, attention: str = "") -> PlanResult:
    """Stop a plan: its future free slots are withdrawn; booked ones are kept and listed."""
    now = now or timezone.now()
    plan = AvailabilityPlan.objects.select_for_update().get(pk=plan.pk)
    spared = _withdraw_future_free(plan, now, str(attention or PLAN_CHANGED))
    plan.is_active = False
    plan.save(update_fields=["is_active"])
    return PlanResult(plan, spared=spared)


def _busy(plan: AvailabilityPlan, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Times already taken: the plan's own open slots (booked ones spared by a change), its professional's other open
    slots, and absences — the professional's own, or the whole site's (an absence naming a professional is theirs
    only, as `absence_add` applies it)."""
    mine = Q(plan=plan.pk) if plan.pk else Q(pk__in=[])
    if plan.professional_id is not None:
        mine |= Q(professional=plan.professional_id)
    spans: list[tuple[datetime, datetime]] = list(
        Slot.objects.filter(mine, status=SlotStatus.OPEN, starts_at__lt=end, ends_at__gt=start).values_list(
            "starts_at", "ends_at"
        )
    )
    whose = Q(pk__in=[])
    if plan.professional_id is not None:
        whose |= Q(professional=plan.professional_id)
    if plan.site_id is not None:
        whose |= Q(professional__isnull=True, site=plan.site_id)
    spans += Absence.objects.filter(whose, starts_at__lt=end, ends_at__gt=start).values_list("starts_at", "ends_at")
    return spans


@transaction.atomic
def plan_extend(*, plan: AvailabilityPlan, until: date, now: datetime | None = None) -> PlanResult:
    """Generate the plan's slots from where it stopped up to `until` (its last day at most), within its opening
    periods, none on the cell's public holidays unless the plan is open on them. The plan is locked and re-read
    first, so two runs at once (the daily job and a save) never generate the same slot twice."""
    now = now or timezone.now()
    plan = AvailabilityPlan.objects.select_for_update().get(pk=plan.pk)
    _lock_owner(plan.professional_id, plan.site_id)
    result = PlanResult(plan)
    first = max(plan.first_day, timezone.localdate(now))
    if plan.generated_until is not None:
        first = max(first, plan.generated_until + timedelta(days=1))
    last = min(plan.last_day, until)
    if not plan.is_active or last < first:
        return result
    busy = _busy(
        plan,
        datetime.combine(first, time.min, tzinfo=timezone.get_current_timezone()),
        datetime.combine(last + timedelta(days=2), time.min, tzinfo=timezone.get_current_timezone()),
    )
    periods = plan_periods(plan)
    zone = Cell.objects.filter(pk=plan.cell_id).values_list("holiday_zone", flat=True).get()
    closed = {} if plan.open_on_holidays else holidays_on_days(zone, periods, plan.weekdays)
    step = timedelta(minutes=plan.minutes)
    slots = []
    day = first
    while day <= last:
        if day in closed:
            result.holidays[day] = closed[day]
        elif day.weekday() in plan.weekdays and any(start <= day <= end for start, end in periods):
            wall = datetime.combine(day, plan.start_time)
            end_of_day = datetime.combine(day, plan.end_time)
            while wall + step <= end_of_day:
                starts_at = _wall_clock(day, wall.time())
                wall += step
                if starts_at is None or starts_at <= now:
                    continue
                # The length is kept in absolute time: on the October night a 02:30 slot still lasts `minutes`.
                ends_at = starts_at.astimezone(UTC) + step
                if any(start < ends_at and starts_at < end for start, end in busy):
                    result.skipped += 1
                    continue
                slots.append(
                    Slot(
                        cell_id=plan.cell_id,
                        plan=plan,
                        professional_id=plan.professional_id,
                        site_id=plan.site_id,
                        commune_id=plan.commune_id,
                        place=plan.place,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        care_channel=plan.care_channel,
                        exam_type=plan.exam_type,
                        modality=plan.modality,
                        capacity=plan.capacity,
                        open_to_pharmacists=plan.open_to_pharmacists,
                        open_to_sas=plan.open_to_sas,
                        open_to_er=plan.open_to_er,
                        open_to_gps=plan.open_to_gps,
                    )
                )
        day += timedelta(days=1)
    Slot.objects.bulk_create(slots)
    if slots:
        slots_name(
            slots,
            plan.open_to_professionals.values_list("pk", flat=True),
            plan.open_to_sites.values_list("pk", flat=True),
        )
    result.created = len(slots)
    plan.generated_until = last
    plan.save(update_fields=["generated_until"])
    return result


def plans_extend_all(*, now: datetime | None = None) -> int:
    """The daily job: every active plan generated up to the horizon. Returns how many slots were created."""
    now = now or timezone.now()
    until = horizon(now)
    due = AvailabilityPlan.objects.filter(is_active=True, last_day__gte=timezone.localdate(now)).filter(
        Q(generated_until__isnull=True) | Q(generated_until__lt=until)
    )
    return sum(plan_extend(plan=plan, until=until, now=now).created for plan in due)


@dataclass
class AbsenceResult:
    absence: Absence
    withdrawn: int
    kept: list[Slot]  # booked slots in the absence: to move or cancel


@transaction.atomic
def absence_add(
    *,
    cell: Cell,
    starts_at: datetime,
    ends_at: datetime,
    professional: Professional | None = None,
    site: Site | None = None,
    reason: str = "",
) -> AbsenceResult:
    """Record an absence (a professional's, or a site's holiday): free slots in it are withdrawn, plans generate
    none there; booked slots are kept and listed, for a coordinator to move or cancel the appointments."""
    for record, name in ((professional, "professional"), (site, "site")):
        if record is not None and record.cell_id != cell.pk:
            raise DomainError(SLOT_OF_OTHER_CELL, field=name)
    if professional is None and site is None:
        raise DomainError(ABSENCE_WHO, field="professional")
    if ends_at <= starts_at:
        raise DomainError(ABSENCE_ORDER, field="ends_at")
    # Serialised with the plans' generation for the same professional or site: none can slip a slot into it.
    _lock_owner(professional.pk if professional else None, None if professional else (site.pk if site else None))
    absence = Absence.objects.create(
        cell=cell, professional=professional, site=site, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()
    )
    whose = Q(professional=professional) if professional is not None else Q(site=site)
    inside = Slot.objects.filter(whose, cell=cell, status=SlotStatus.OPEN, starts_at__lt=ends_at, ends_at__gt=starts_at)
    withdrawn = inside.filter(booked=0).update(status=SlotStatus.CANCELLED)
    booked = inside.filter(booked__gt=0)
    booked.update(attention=str(ABSENCE_OVER))
    kept = list(booked.select_related("site", "professional").order_by("starts_at"))
    return AbsenceResult(absence, withdrawn, kept)
