"""Writes to territories: a territory belongs to one cell; a commune may be in several territories of one cell."""

from __future__ import annotations

from datetime import date, time
from itertools import pairwise

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from common.identifiers import InvalidIdentifier, check_finess

from .models import Cell, Closure, Commune, OpeningRange, Territory
from .signals import commune_leaving

TERRITORY_DUPLICATE_NAME = _("The cell already has a territory with this name.")
TERRITORY_DUPLICATE_FINESS = _("Another territory already has this FINESS number.")
COMMUNE_ALREADY_IN_TERRITORY = _("%(commune)s is already in this territory.")


@transaction.atomic
def territory_save(*, cell: Cell, territory: Territory | None = None, name: str, finess: str = "") -> Territory:
    """Create or rename a territory; its FINESS (the CPTS's, for the SAS platform) is checked and unique."""
    territory = territory or Territory(cell=cell)
    territory.name = name.strip()
    if finess:
        try:
            finess = check_finess(finess).value
        except InvalidIdentifier as error:
            raise DomainError(error.message, field="finess") from error
    territory.finess = finess
    if Territory.objects.filter(cell=cell, name__iexact=territory.name).exclude(pk=territory.pk).exists():
        raise DomainError(TERRITORY_DUPLICATE_NAME, field="name")
    if finess and Territory.objects.filter(finess=finess).exclude(pk=territory.pk).exists():
        raise DomainError(TERRITORY_DUPLICATE_FINESS, field="finess")
    territory.save()
    return territory


CELL_DUPLICATE_NAME = _("Another cell already has this name.")


PATIENT_PHONE_IS_PROFESSIONALS = _(
    "This is the professionals-only number: patients must be given another one (or none)."
)


@transaction.atomic
def cell_update(
    *, cell: Cell, name: str, phone: object, email: str, patient_phone: object = "", holiday_zone: str | None = None
) -> Cell:
    """The cell administrator names the cell and gives its numbers: the professionals-only one (shown to requesters)
    and the one for patients (in their SMS and pages), which must not be the same."""
    name = name.strip()
    if Cell.objects.filter(name__iexact=name).exclude(pk=cell.pk).exists():
        raise DomainError(CELL_DUPLICATE_NAME, field="name")
    if patient_phone and str(patient_phone) == str(phone):
        raise DomainError(PATIENT_PHONE_IS_PROFESSIONALS, field="patient_phone")
    cell.name, cell.phone, cell.email, cell.patient_phone = name, phone, email, patient_phone
    if holiday_zone is not None:
        cell.holiday_zone = holiday_zone
    cell.save(update_fields=["name", "phone", "email", "patient_phone", "holiday_zone"])
    return cell


def territory_add_commune(*, territory: Territory, commune: Commune) -> None:
    if territory.communes.filter(pk=commune.pk).exists():
        raise DomainError(COMMUNE_ALREADY_IN_TERRITORY % {"commune": commune}, field="commune")
    territory.communes.add(commune)


COMMUNE_IN_USE = _("%(commune)s cannot leave the territory: %(users)s are there. Change them first.")


@transaction.atomic
def territory_remove_commune(*, territory: Territory, commune: Commune) -> None:
    """Take a commune out of a territory, unless the cell's records are in it and no other territory of the cell
    keeps it."""
    kept_elsewhere = Territory.objects.filter(cell=territory.cell_id, communes=commune).exclude(pk=territory.pk)
    if not kept_elsewhere.exists():
        answers = commune_leaving.send(sender=Commune, cell=territory.cell, commune=commune)
        users: list[str] = [description for _receiver, found in answers for description in found or ()]
        if users:
            raise DomainError(COMMUNE_IN_USE % {"commune": commune.name, "users": ", ".join(users)}, field="commune")
    territory.communes.remove(commune)


# The cell's opening hours and closures (territory/opening.py reads them).

RANGE_HALF = _("Give both the start and the end of the range.")
RANGE_END_BEFORE_START = _("The end must be after the start.")
RANGE_OVERLAP = _("This range overlaps another range of the same day.")
CLOSURE_ORDER = _("The last day must be on or after the first day.")
CLOSURE_TOO_LONG = _("A closure lasts a year at most.")
CLOSURE_NO_REASON = _("Give the reason (annual closure, training day…).")

RangeInput = tuple[time | None, time | None]


def range_field(weekday: int, index: int, part: str) -> str:
    """The form field of one end of a range: `day0_1_end` is Monday's second range's end."""
    return f"day{weekday}_{index}_{part}"


def opening_range_problems(days: dict[int, list[RangeInput]]) -> dict[str, str]:
    """What is wrong with a week of ranges, by the field to mark: a half range, an end not after its start, a range
    overlapping another of its day (ranges that touch, 12:30 then 12:30, are fine)."""
    problems: dict[str, str] = {}
    for weekday, pairs in days.items():
        complete: list[tuple[time, time, int]] = []
        for index, (start, end) in enumerate(pairs):
            if start is None and end is None:
                continue
            if start is None or end is None:
                problems[range_field(weekday, index, "start" if start is None else "end")] = str(RANGE_HALF)
            elif end <= start:
                problems[range_field(weekday, index, "end")] = str(RANGE_END_BEFORE_START)
            else:
                complete.append((start, end, index))
        complete.sort()
        for (_start, before_end, _index), (start, _end, index) in pairwise(complete):
            if start < before_end:
                problems[range_field(weekday, index, "start")] = str(RANGE_OVERLAP)
    return problems


@transaction.atomic
def opening_hours_set(*, cell: Cell, days: dict[int, list[RangeInput]], open_on_public_holidays: bool) -> None:
    """Replace the cell's weekly hours (all or nothing): each range ends after it starts, no two ranges of a day
    overlap. No range at all means the cell is always open."""
    problems = opening_range_problems(days)
    if problems:
        field, message = next(iter(problems.items()))
        raise DomainError(message, field=field)
    Cell.objects.select_for_update().filter(pk=cell.pk).first()  # one editor of the hours at a time
    cell.opening_ranges.all().delete()
    OpeningRange.objects.bulk_create(
        OpeningRange(cell=cell, weekday=weekday, starts_at=start, ends_at=end)
        for weekday, pairs in sorted(days.items())
        for start, end in pairs
        if start is not None and end is not None
    )
    cell.open_on_public_holidays = open_on_public_holidays
    cell.save(update_fields=["open_on_public_holidays"])
    _forget_schedule(cell)


def _forget_schedule(cell: Cell) -> None:
    """The schedule territory/opening.py keeps on the cell object is read again after a change."""
    cell.__dict__.pop("_opening_schedule", None)


def closure_add(*, cell: Cell, first_day: date, last_day: date, reason: str) -> Closure:
    """A closure from its first to its last day included, a year at most, with its reason."""
    reason = reason.strip()
    if not reason:
        raise DomainError(CLOSURE_NO_REASON, field="reason")
    if last_day < first_day:
        raise DomainError(CLOSURE_ORDER, field="last_day")
    if (last_day - first_day).days > 366:
        raise DomainError(CLOSURE_TOO_LONG, field="last_day")
    closure = Closure.objects.create(cell=cell, first_day=first_day, last_day=last_day, reason=reason)
    _forget_schedule(cell)
    return closure


def closure_remove(*, cell: Cell, closure_id: int) -> None:
    Closure.objects.filter(cell=cell, pk=closure_id).delete()
    _forget_schedule(cell)
