"""Reads of capacity planning: the requests received per day, care and place; the free places already published for
the coming weeks; who publishes which care where. Always for one cell (decision 0020).

A *place* is the commune of one of the cell's sites (not a telemedicine spot): a patient's commune counts at the
nearest such commune (the commune's own when it hosts a site), and so does a Médicobus stop's commune. A suggestion
can then name a town where slots are published ("à Argentan"), and the demand of the villages around it is counted
there. A cell without any site counts each patient's own commune.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate

from agenda.models import Slot, SlotStatus
from common.periods import PARIS
from directory.models import Professional, Site, SiteKind
from referrals.models import Request
from referrals.states import CloseReason
from territory.geo import great_circle_km
from territory.models import Cell, Commune

HISTORY_WEEKS = 104  # at most two years are read: enough for the season, bounded for the page
RECENT_PUBLISHER_WEEKS = 8

# The parts of a day a suggestion names, by the hour (Paris) requests are received.
MORNING, AFTERNOON, EVENING = "morning", "afternoon", "evening"


def day_part(hour: int) -> str:
    return MORNING if hour < 12 else AFTERNOON if hour < 18 else EVENING


@dataclass(frozen=True)
class Places:
    """Where demand and slots are counted: commune pk → the place's commune pk, and the places' names."""

    of: dict[int, int]
    names: dict[int, str]

    def place(self, commune_id: int | None) -> int | None:
        return None if commune_id is None else self.of.get(commune_id, commune_id)


def places(cell: Cell) -> Places:
    """Every commune of the cell's territories and sites, with the nearest site's commune (two queries)."""
    site_communes = {
        commune.pk: commune
        for commune in Commune.objects.filter(
            pk__in=Site.objects.filter(cell=cell, is_active=True)
            .exclude(kind=SiteKind.TELEMEDICINE_SPOT)
            .values("commune")
        )
    }
    communes = list(Commune.objects.filter(territories__cell=cell).distinct())
    mapping: dict[int, int] = {}
    names = {pk: commune.name for pk, commune in site_communes.items()}
    located = [c for c in site_communes.values() if c.has_point]
    for commune in communes:
        names.setdefault(commune.pk, commune.name)
        if commune.pk in site_communes or not site_communes:
            mapping[commune.pk] = commune.pk
        elif commune.has_point and located:
            nearest = min(
                located,
                key=lambda site: (
                    great_circle_km(
                        commune.latitude,  # type: ignore[arg-type]
                        commune.longitude,  # type: ignore[arg-type]
                        site.latitude,  # type: ignore[arg-type]
                        site.longitude,  # type: ignore[arg-type]
                    ),
                    site.pk,
                ),
            )
            mapping[commune.pk] = nearest.pk
        else:
            mapping[commune.pk] = commune.pk
    return Places(mapping, names)


def _requests(cell: Cell, first: date, last: date) -> object:
    start = datetime.combine(first, datetime.min.time(), tzinfo=PARIS)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
    return (
        Request.objects.filter(cell=cell, received_at__gte=start, received_at__lt=end)
        .exclude(close_reason=CloseReason.DUPLICATE)
        .order_by()
    )


def daily_demand(cell: Cell, first: date, last: date, where: Places) -> dict[tuple[str, int | None], list[int]]:
    """Requests received per Paris day from `first` to `last` included, per (care, place): one SQL aggregation per
    day × care × patient's commune, the communes then gathered into places."""
    days = (last - first).days + 1
    series: dict[tuple[str, int | None], list[int]] = defaultdict(lambda: [0] * days)
    rows = (
        _requests(cell, first, last)  # type: ignore[attr-defined]
        .annotate(day=TruncDate("received_at", tzinfo=PARIS))
        .values("day", "care_channel", "patient_commune")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        offset = (row["day"] - first).days
        if 0 <= offset < days:
            series[(row["care_channel"], where.place(row["patient_commune"]))][offset] += row["n"]
    return dict(series)


def first_request_day(cell: Cell) -> date | None:
    first = Request.objects.filter(cell=cell).order_by("received_at").values_list("received_at", flat=True).first()
    return first.astimezone(PARIS).date() if first is not None else None


def busiest_parts(cell: Cell, first: date, last: date) -> dict[tuple[str, int], str]:
    """For each care and weekday (0 = Monday), the part of the day when most of its requests were received."""
    rows = (
        _requests(cell, first, last)  # type: ignore[attr-defined]
        .annotate(weekday=ExtractIsoWeekDay("received_at", tzinfo=PARIS), hour=ExtractHour("received_at", tzinfo=PARIS))
        .values("care_channel", "weekday", "hour")
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts[(row["care_channel"], row["weekday"] - 1)][day_part(row["hour"])] += row["n"]
    return {key: max(sorted(parts), key=lambda part: parts[part]) for key, parts in counts.items()}


def free_places(
    cell: Cell, start: datetime, end: datetime, where: Places
) -> dict[tuple[str, int | None], dict[date, int]]:
    """Free places (capacity − booked) of the open slots starting from `start` to `end`, per (care, place) and
    Paris day. A teleconsultant's own time is counted through the spot's slot it pairs with, not twice."""
    rows = (
        Slot.objects.filter(cell=cell, status=SlotStatus.OPEN, starts_at__gte=start, starts_at__lt=end)
        .bookable()
        .annotate(
            day=TruncDate("starts_at", tzinfo=PARIS),
            free_places=F("capacity") - F("booked"),
        )
        .values("day", "care_channel", "site__commune", "commune")
        .annotate(n=Sum("free_places"))
        .order_by()
    )
    found: dict[tuple[str, int | None], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        commune = row["commune"] or row["site__commune"]
        found[(row["care_channel"], where.place(commune))][row["day"]] += row["n"] or 0
    return {key: dict(days) for key, days in found.items()}


CARE_PROFESSIONS = {
    "gp": ("gp",),
    "imaging": ("radiologist",),
    "physiotherapy": ("physiotherapist",),
    "nursing": ("nurse",),
    "biology": ("biologist",),
}


def professionals_concerned(cell: Cell, *, care: str, place: int | None, where: Places, now: datetime) -> list[int]:
    """Who would publish slots of `care` at `place`: the active professionals of the cell who published that care
    there in the last weeks (or have it published ahead); failing any, the cell's active effectors of the care's
    profession whose sites are at that place, then of the whole cell. Professionals' pks, with an e-mail only."""
    recent = now - timedelta(weeks=RECENT_PUBLISHER_WEEKS)
    with_email = Professional.objects.filter(cell=cell, is_active=True).exclude(email="")
    published = (
        Slot.objects.filter(cell=cell, care_channel=care, starts_at__gte=recent, professional__isnull=False)
        .values_list("professional", "site__commune", "commune")
        .distinct()
        .order_by()
    )
    publishers = {pk for pk, site_commune, commune in published if where.place(commune or site_commune) == place}
    found = list(with_email.filter(pk__in=publishers).order_by("pk").values_list("pk", flat=True))
    if found:
        return found
    of_profession = with_email.filter(profession__in=CARE_PROFESSIONS.get(care, ()))
    near = [
        pk
        for pk, commune in of_profession.values_list("pk", "sites__commune").order_by("pk")
        if where.place(commune) == place
    ]
    if near:
        return sorted(set(near))
    return list(of_profession.order_by("pk").values_list("pk", flat=True))
