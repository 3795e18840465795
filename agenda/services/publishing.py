"""Publishing availability: one-off slots (an evening cut in slots of N minutes), checked against overlaps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.care import CareChannel, Modality
from common.errors import DomainError
from directory.models import Professional, Site
from territory.models import Cell

from ..models import Slot, SlotStatus

SLOT_ORDER = _("A slot ends after it starts.")
SLOT_LENGTH = _("A slot lasts between 5 minutes and 4 hours.")
SLOT_IN_PAST = _("Slots are published for the future.")
SLOT_OVERLAP = _("%(professional)s already has a slot then (%(when)s).")
SLOT_EXAM_REQUIRED = _("Say which imaging exam these slots are for.")
SLOT_OF_OTHER_CELL = _("This professional or site does not belong to the cell.")
SLOT_SITE_REQUIRED = _("An in-person slot needs its site: the patient's SMS gives its address.")
NAMED_OF_OTHER_CELL = _("Only professionals and sites of the cell can be named.")


def check_named(cell: Cell, professionals: Iterable[Professional], sites: Iterable[Site]) -> None:
    """The professionals and sites a plan or slots are opened to by name belong to the cell (the form offers only
    those; a forged post is refused here too)."""
    for records, field in ((professionals, "open_to_professionals"), (sites, "open_to_sites")):
        if any(record.cell_id != cell.pk for record in records):
            raise DomainError(NAMED_OF_OTHER_CELL, field=field)


def slots_name(slots: list[Slot], professional_ids: Iterable[int], site_ids: Iterable[int]) -> None:
    """Give new slots their named lists (a plan's, or the ones published with them): two inserts for all."""
    professional_ids, site_ids = sorted(set(professional_ids)), sorted(set(site_ids))
    by_professional = Slot.open_to_professionals.through
    by_site = Slot.open_to_sites.through
    by_professional.objects.bulk_create(
        [by_professional(slot_id=slot.pk, professional_id=pk) for slot in slots for pk in professional_ids]
    )
    by_site.objects.bulk_create([by_site(slot_id=slot.pk, site_id=pk) for slot in slots for pk in site_ids])


def site_of(professional: Professional | None) -> Site:
    """Where an in-person slot takes place when none is given: the professional's only site; refused otherwise (the
    patient's SMS gives the address)."""
    sites = list(professional.sites.all()[:2]) if professional is not None else []
    if len(sites) != 1:
        raise DomainError(SLOT_SITE_REQUIRED, field="site")
    return sites[0]


@transaction.atomic
def slots_publish(
    *,
    cell: Cell,
    professional: Professional | None,
    site: Site | None,
    day: date,
    start: time,
    end: time,
    minutes: int,
    care_channel: str,
    modality: str,
    exam_type: str = "",
    capacity: int = 1,
    open_to_pharmacists: bool = False,
    open_to_sas: bool = False,
    open_to_er: bool = False,
    open_to_gps: bool = False,
    open_to_professionals: Iterable[Professional] = (),
    open_to_sites: Iterable[Site] = (),
    now: datetime | None = None,
) -> list[Slot]:
    """Publish one-off slots: from `start` to `end` on `day` (Europe/Paris wall-clock), cut in `minutes`, open to
    the kinds of requesters flagged and to the professionals and sites named (of the cell).

    Refused: an end before the start, slots in the past, a professional's overlapping slots, imaging without exam,
    a named professional or site of another cell.
    """
    now = now or timezone.now()
    for record, field in ((professional, "professional"), (site, "site")):
        if record is not None and record.cell_id != cell.pk:
            raise DomainError(SLOT_OF_OTHER_CELL, field=field)
    open_to_professionals, open_to_sites = list(open_to_professionals), list(open_to_sites)
    check_named(cell, open_to_professionals, open_to_sites)
    if not 5 <= minutes <= 240:
        raise DomainError(SLOT_LENGTH, field="minutes")
    zone = timezone.get_current_timezone()
    first = datetime.combine(day, start, tzinfo=zone)
    last = datetime.combine(day, end, tzinfo=zone)
    if last <= first:
        raise DomainError(SLOT_ORDER, field="end")
    if first <= now:
        raise DomainError(SLOT_IN_PAST, field="day")
    if care_channel == CareChannel.IMAGING and not exam_type:
        raise DomainError(SLOT_EXAM_REQUIRED, field="exam_type")
    if modality == Modality.IN_PERSON and site is None:
        site = site_of(professional)
    from .spots import check_within_spot_hours  # spots build on the publishing rules

    check_within_spot_hours(site, first, last)
    slots = []
    current = first
    while current + timedelta(minutes=minutes) <= last:
        slots.append(
            Slot(
                cell=cell,
                professional=professional,
                site=site,
                starts_at=current,
                ends_at=current + timedelta(minutes=minutes),
                care_channel=care_channel,
                exam_type=exam_type if care_channel == CareChannel.IMAGING else "",
                modality=modality,
                capacity=capacity,
                open_to_pharmacists=open_to_pharmacists,
                open_to_sas=open_to_sas,
                open_to_er=open_to_er,
                open_to_gps=open_to_gps,
            )
        )
        current += timedelta(minutes=minutes)
    if not slots:
        raise DomainError(SLOT_LENGTH, field="minutes")
    if professional is not None:
        clash = (
            Slot.objects.filter(
                professional=professional, status=SlotStatus.OPEN, starts_at__lt=last, ends_at__gt=first
            )
            .order_by("starts_at")
            .first()
        )
        if clash is not None:
            when = f"{timezone.localtime(clash.starts_at):%d/%m %H:%M}"
            raise DomainError(SLOT_OVERLAP % {"professional": professional, "when": when}, field="start")
    created = Slot.objects.bulk_create(slots)
    slots_name(created, [record.pk for record in open_to_professionals], [record.pk for record in open_to_sites])
    return created
