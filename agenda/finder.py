"""The slot finder: the free slots a request may use, across channels and modalities, ranked, with the reasons.

The candidates are the earliest FINDER_CANDIDATES free slots of the request's care within FINDER_DAYS (a cap that
keeps the page fast in a busy cell; the modality and before-the-deadline filters apply before the cap, the distance
after it).

Rank, in this order: before the request's deadline first; then distance from the patient (great-circle km from the
address geocoded by BAN when geocoding is on and it was found, else from the commune's point; in 5 km bands so that a
slightly nearer slot does not beat a better-fitting one); then modality fit (the modality the coordinator decided,
when there is one); then the teleconsultant's tier for an assisted teleconsultation (territory
volunteers, regional pool, extra-territorial); then the earliest. Three queries whatever the number of slots: the
candidates as plain values (with the points they are ranked by), the teleconsultants' free times that could pair with
the spots among them, and the slots shown with their teleconsultants' times as objects (and, with BAN geocoding on, the
patient's geocoded address). Only the few slots shown become model instances: building hundreds of them (with their
site, commune and professional) was most of the finder's time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils.translation import gettext as _

from directory.models import TeleconsultantTier
from referrals.models import CareChannel, Modality, Request
from territory.geo import great_circle_km
from territory.geocoding import cached_point

from .models import Slot, SlotStatus

FINDER_DAYS = 14
FINDER_CANDIDATES = 300
KM_BAND = 5.0
TIER_ORDER: dict[str, int] = {
    TeleconsultantTier.LOCAL: 0,
    TeleconsultantTier.REGIONAL: 1,
    TeleconsultantTier.EXTRA_TERRITORIAL: 2,
}


@dataclass(frozen=True)
class Filters:
    modality: str = ""
    max_km: float | None = None
    before_deadline_only: bool = False


@dataclass
class Candidate:
    slot: Slot
    before_deadline: bool
    km: float | None
    modality_fits: bool
    teleconsultant: Slot | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def tier_rank(self) -> int:
        if self.teleconsultant is None or self.teleconsultant.professional is None:
            return 0
        return TIER_ORDER.get(self.teleconsultant.professional.teleconsultant_tier, 3)

    @property
    def tier_label(self) -> str:
        doctor = self.teleconsultant.professional if self.teleconsultant else None
        return doctor.get_teleconsultant_tier_display() if doctor else ""

    def rank(self) -> tuple[bool, float, bool, int, datetime]:
        return _rank(self.before_deadline, self.km, self.modality_fits, self.tier_rank, self.slot.starts_at)


def _rank(
    before_deadline: bool, km: float | None, modality_fits: bool, tier_rank: int, starts_at: datetime
) -> tuple[bool, float, bool, int, datetime]:
    band = km // KM_BAND if km is not None else 9999.0
    return (not before_deadline, band, not modality_fits, tier_rank, starts_at)


@dataclass(frozen=True)
class _Row:
    """A candidate before it is chosen: what the ranking needs, read as plain values (no model built for the
    hundreds of slots that are not shown)."""

    pk: int
    starts_at: datetime
    ends_at: datetime
    modality: str
    is_spot_time: bool
    point: tuple[float, float] | None


def _point(
    commune: tuple[float | None, float | None],
    site: tuple[float | None, float | None],
    site_commune: tuple[float | None, float | None],
) -> tuple[float, float] | None:
    """As Slot.point: the stop's commune, else the site's own point, else the site's commune's."""
    for latitude, longitude in (commune, site, site_commune):
        if latitude is not None and longitude is not None:
            return (latitude, longitude)
    return None


def _candidate_rows(request: Request, now: datetime, filters: Filters) -> list[_Row]:
    slots = Slot.objects.filter(
        cell=request.cell_id,
        status=SlotStatus.OPEN,
        care_channel=request.care_channel,
        starts_at__gt=now,
        starts_at__lt=now + timedelta(days=FINDER_DAYS),
        booked__lt=F("capacity"),
    ).exclude(Q(modality=Modality.ASSISTED_TELECONSULTATION) & Q(site__isnull=True))  # teleconsultants' own time
    if request.care_channel == CareChannel.IMAGING:
        slots = slots.filter(exam_type=request.exam_type)
    if filters.modality:
        slots = slots.filter(modality=filters.modality)
    if filters.before_deadline_only:
        slots = slots.filter(starts_at__lte=request.deadline_at)
    rows = slots.order_by("starts_at").values_list(
        "pk",
        "starts_at",
        "ends_at",
        "modality",
        "site_id",
        "commune__latitude",
        "commune__longitude",
        "site__latitude",
        "site__longitude",
        "site__commune__latitude",
        "site__commune__longitude",
    )[:FINDER_CANDIDATES]
    return [
        _Row(
            pk,
            starts_at,
            ends_at,
            modality,
            is_spot_time=modality == Modality.ASSISTED_TELECONSULTATION and site_id is not None,
            point=_point((c_lat, c_lon), (s_lat, s_lon), (sc_lat, sc_lon)),
        )
        for pk, starts_at, ends_at, modality, site_id, c_lat, c_lon, s_lat, s_lon, sc_lat, sc_lon in rows
    ]


def _teleconsultants(request: Request, spots: list[_Row]) -> dict[int, tuple[int, str]]:
    """For each spot's time, the best free teleconsultant time covering it (tier order, then the earliest made), as
    (its pk, the doctor's tier). One query: the doctors' times in the window as plain tuples."""
    if not spots:
        return {}
    times = Slot.objects.filter(
        cell=request.cell_id,
        modality=Modality.ASSISTED_TELECONSULTATION,
        site__isnull=True,
        professional__isnull=False,
        care_channel=request.care_channel,
        status=SlotStatus.OPEN,
        booked__lt=F("capacity"),
        starts_at__lte=max(s.starts_at for s in spots),
        ends_at__gte=min(s.ends_at for s in spots),
    ).values_list("pk", "starts_at", "ends_at", "professional__teleconsultant_tier")
    # The same order as the booking's pairing (tier, then the earliest, then the oldest), so the doctor shown is the
    # doctor booked when nothing changes in between.
    ranked = sorted(times, key=lambda row: (TIER_ORDER.get(row[3], 3), row[1], row[0]))
    chosen: dict[int, tuple[int, str]] = {}
    for spot in spots:
        for pk, starts_at, ends_at, tier in ranked:
            if starts_at <= spot.starts_at and ends_at >= spot.ends_at:
                chosen[spot.pk] = (pk, tier)
                break
    return chosen


def find_slots(request: Request, now: datetime, filters: Filters | None = None, limit: int = 20) -> list[Candidate]:
    filters = filters or Filters()
    rows = _candidate_rows(request, now, filters)
    doctors = _teleconsultants(request, [row for row in rows if row.is_spot_time])
    patient = cached_point(street=request.patient_street, commune=request.patient_commune)
    ranked = []
    for row in rows:
        doctor = doctors.get(row.pk) if row.is_spot_time else None
        if row.is_spot_time and doctor is None:
            continue  # no doctor to pair: this time cannot be booked now
        km = None
        if row.point and patient is not None:
            km = great_circle_km(patient.latitude, patient.longitude, row.point[0], row.point[1])
        if filters.max_km is not None and (km is None or km > filters.max_km):
            continue
        before_deadline = row.starts_at <= request.deadline_at
        modality_fits = not request.modality or row.modality == request.modality
        tier_rank = TIER_ORDER.get(doctor[1], 3) if doctor is not None else 0
        # Candidate.rank on the plain values; the sort is stable, so the earliest comes first within a rank.
        ranked.append((_rank(before_deadline, km, modality_fits, tier_rank, row.starts_at), row, km, doctor))
    ranked.sort(key=lambda item: item[0])
    shown = ranked[:limit]
    wanted = {row.pk for _rank_key, row, _km, _doctor in shown} | {doctor[0] for *_rest, doctor in shown if doctor}
    # The third query: the slots shown and their teleconsultants' times, as objects for the page.
    objects = Slot.objects.select_related("site__commune", "commune", "professional").in_bulk(wanted)
    candidates = []
    for _rank_key, row, km, doctor in shown:
        if row.pk not in objects or (doctor is not None and doctor[0] not in objects):
            continue  # deleted in between (a plan withdrawn): not offered
        candidate = Candidate(
            objects[row.pk],
            before_deadline=row.starts_at <= request.deadline_at,
            km=km,
            modality_fits=not request.modality or row.modality == request.modality,
            teleconsultant=objects[doctor[0]] if doctor is not None else None,
        )
        candidate.reasons = _reasons(candidate, request)
        candidates.append(candidate)
    return candidates


def _reasons(candidate: Candidate, request: Request) -> list[str]:
    reasons = [_("before the deadline") if candidate.before_deadline else _("after the deadline")]
    reasons.append(f"{candidate.km:.1f} km" if candidate.km is not None else _("distance unknown"))
    if request.modality:
        reasons.append(_("modality as decided") if candidate.modality_fits else _("another modality"))
    if candidate.teleconsultant is not None and candidate.teleconsultant.professional is not None:
        reasons.append(
            _("teleconsultant: %(doctor)s (%(tier)s)")
            % {"doctor": candidate.teleconsultant.professional, "tier": candidate.tier_label or "—"}
        )
    return reasons
