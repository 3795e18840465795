"""Demo slots for the coming week in CSNP Orne-Est, so that requests can be oriented in the demo."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from agenda.models import Slot
from directory.models import Profession, Professional, Site, SiteKind
from territory.models import Cell

PARIS = ZoneInfo("Europe/Paris")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """Wall-clock time in Paris, stored in UTC (right across clock changes)."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def _series(
    cell: Cell, day: date, start: tuple[int, int], end: tuple[int, int], minutes: int, **fields: object
) -> list[Slot]:
    slots = []
    current, stop = _at(day, *start), _at(day, *end)
    while current + timedelta(minutes=minutes) <= stop:
        slots.append(Slot(cell=cell, starts_at=current, ends_at=current + timedelta(minutes=minutes), **fields))
        current += timedelta(minutes=minutes)
    return slots


def load_demo_slots(cell: Cell) -> int:
    """A week of slots from today, created once (while the cell has future slots, nothing is added)."""
    now = timezone.now()
    if Slot.objects.filter(cell=cell, starts_at__gt=now).exists():
        return 0
    gps = list(
        Professional.objects.filter(cell=cell, profession=Profession.GP, teleconsultant_tier="", sites__isnull=False)
        .prefetch_related("sites")
        .order_by("search_name")[:6]
    )
    radiologist = Professional.objects.filter(cell=cell, profession=Profession.RADIOLOGIST).first()
    radiology = Site.objects.filter(cell=cell, kind=SiteKind.RADIOLOGY).first()
    physio = (
        Professional.objects.filter(cell=cell, profession=Profession.PHYSIOTHERAPIST).prefetch_related("sites").first()
    )
    spot = Site.objects.filter(cell=cell, kind=SiteKind.TELEMEDICINE_SPOT).first()
    teleconsultant = Professional.objects.filter(cell=cell, teleconsultant_tier="local").first()
    bus = Site.objects.filter(cell=cell, kind=SiteKind.MOBILE_UNIT).first()
    slots: list[Slot] = []
    today = timezone.localdate(now)
    for offset in range(8):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for index, gp in enumerate(gps):
            if (offset + index) % 2:
                continue  # each GP releases an evening every other day
            slots += _series(
                cell,
                day,
                (18, 0),
                (19, 0),
                20,
                care_channel="gp",
                modality="in_person",
                professional=gp,
                site=gp.sites.first(),
                open_to_pharmacists=True,
                open_to_sas=True,
                open_to_er=True,
            )
        if radiologist and radiology:
            slots += _series(
                cell,
                day,
                (14, 0),
                (15, 0),
                20,
                care_channel="imaging",
                exam_type="radiography",
                modality="in_person",
                professional=radiologist,
                site=radiology,
                open_to_gps=True,
            )
        if spot and teleconsultant and day.weekday() in (0, 2, 4):
            slots += _series(
                cell,
                day,
                (14, 0),
                (18, 0),
                30,
                care_channel="gp",
                modality="assisted_teleconsultation",
                professional=teleconsultant,
                site=spot,
            )
        if bus and day.weekday() == 1:
            slots.append(
                Slot(
                    cell=cell,
                    starts_at=_at(day, 9),
                    ends_at=_at(day, 12),
                    care_channel="gp",
                    modality="medicobus",
                    site=bus,
                    capacity=10,
                )
            )
        if physio and day.weekday() == 3:
            slots += _series(
                cell,
                day,
                (17, 0),
                (17, 30),
                30,
                care_channel="physiotherapy",
                modality="in_person",
                professional=physio,
                site=physio.sites.first(),
            )
    Slot.objects.bulk_create([slot for slot in slots if slot.starts_at > now])
    return len(slots)
