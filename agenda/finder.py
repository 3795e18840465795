"""The slot finder: the free slots a request may use, across channels and modalities, ranked, with the reasons.

The candidates are the earliest FINDER_CANDIDATES free slots of the request's care within FINDER_DAYS (a cap that
keeps the page fast in a busy cell; the modality and before-the-deadline filters apply before the cap, the distance
after it). The page shows the best FINDER_PAGE, then FINDER_PAGE more at each "show more", and says how many passed
the filters (at least that many when the cap was reached).

Rank, in this order, the rule the page states above the list (ORDER_RULE): before the request's deadline first; then
day by day (Europe/Paris days: a slot is never listed after one of a later day, which the coordinator read as
disorder when the nearest came first whatever its day); within a day, the distance from the patient (great-circle km
from the address geocoded by BAN when geocoding is on and it was found, else from the commune's point; in 5 km bands
so that a slightly nearer slot does not beat a better-fitting one); then modality fit (the modality the coordinator
decided, when there is one); then the teleconsultant's tier for an assisted teleconsultation (territory volunteers,
regional pool, extra-territorial); then the earliest. Ranking the earliest days first also agrees with the cap, which
reads the earliest slots. Three queries whatever the number of slots: the
candidates as plain values (with the points they are ranked by), the teleconsultants' free times that could pair with
the spots among them, and the slots shown with their teleconsultants' times as objects (and, with BAN geocoding on, the
patient's geocoded address). Only the few slots shown become model instances: building hundreds of them (with their
site, commune and professional) was most of the finder's time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.care import CareChannel, Modality
from common.periods import PARIS
from directory.models import Professional, TeleconsultantTier
from referrals.models import Request
from territory.geo import great_circle_km
from territory.geocoding import cached_point

from .models import Slot, tier_rank

FINDER_DAYS = 14
FINDER_CANDIDATES = 300
FINDER_PAGE = 20
KM_BAND = 5.0
ORDER_RULE = gettext_lazy(
    "Before the deadline first, then day by day; within a day: the nearest (in 5 km steps), the modality decided, "
    "the teleconsultant's tier, the earliest."
)


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
    # The teleconsultant's tier for the request's cell: their own, or the one a pool agreement gives them there.
    tier: str | None = None

    @property
    def _tier(self) -> str:
        if self.tier is not None:
            return self.tier
        doctor = self.teleconsultant.professional if self.teleconsultant else None
        return doctor.teleconsultant_tier if doctor else ""

    @property
    def tier_rank(self) -> int:
        if self.teleconsultant is None or self.teleconsultant.professional is None:
            return 0
        return tier_rank(self._tier)

    @property
    def tier_label(self) -> str:
        if self.teleconsultant is None or self.teleconsultant.professional is None:
            return ""
        return str(TeleconsultantTier(self._tier).label) if self._tier in TeleconsultantTier.values else ""

    @property
    def professional(self) -> Professional | None:
        """The slot's own professional, unless it is the teleconsultant (named once, as the teleconsultant)."""
        doctor = self.teleconsultant.professional_id if self.teleconsultant else None
        return None if self.slot.professional_id == doctor else self.slot.professional

    def rank(self) -> tuple[bool, date, float, bool, int, datetime]:
        return _rank(self.before_deadline, self.km, self.modality_fits, self.tier_rank, self.slot.starts_at)


def _rank(
    before_deadline: bool, km: float | None, modality_fits: bool, tier_rank: int, starts_at: datetime
) -> tuple[bool, date, float, bool, int, datetime]:
    band = km // KM_BAND if km is not None else 9999.0
    return (not before_deadline, starts_at.astimezone(PARIS).date(), band, not modality_fits, tier_rank, starts_at)


@dataclass
class Found:
    """The best candidates, and how many passed the filters: `total`, or at least `total` when not `complete` (more
    than FINDER_CANDIDATES slots in the window, the later ones not read)."""

    candidates: list[Candidate]
    total: int
    complete: bool
    limit: int
    page: int = FINDER_PAGE

    @property
    def more(self) -> int:
        """How many a "show more" adds (0: none left)."""
        return max(0, min(self.page, self.total - self.limit))

    @property
    def next_limit(self) -> int:
        return self.limit + self.page

    @property
    def first_new(self) -> int | None:
        """The index of the first row the last "show more" revealed (None on the first page): the focus goes there."""
        return self.limit - self.page if self.limit > self.page else None


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


def _candidate_rows(request: Request, now: datetime, filters: Filters) -> tuple[list[_Row], bool]:
    """The earliest FINDER_CANDIDATES candidates, and whether they are all there are (one more is read to know)."""
    slots = (
        Slot.objects.seen_by(request.cell_id)
        .filter(care_channel=request.care_channel, starts_at__lt=now + timedelta(days=FINDER_DAYS))
        .free(now)
        .bookable()
    )
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
    )[: FINDER_CANDIDATES + 1]
    complete = len(rows) <= FINDER_CANDIDATES
    return [
        _Row(
            pk,
            starts_at,
            ends_at,
            modality,
            is_spot_time=modality == Modality.ASSISTED_TELECONSULTATION and site_id is not None,
            point=_point((c_lat, c_lon), (s_lat, s_lon), (sc_lat, sc_lon)),
        )
        for pk, starts_at, ends_at, modality, site_id, c_lat, c_lon, s_lat, s_lon, sc_lat, sc_lon in rows[
            :FINDER_CANDIDATES
        ]
    ], complete


def _teleconsultants(request: Request, spots: list[_Row]) -> dict[int, tuple[int, str]]:
    """For each spot's time, the best free teleconsultant time covering it (tier order, then the earliest made), as
    (its pk, the doctor's tier). One query: the doctors' times in the window as plain tuples."""
    if not spots:
        return {}
    # The booking's pairing order (SlotQuerySet.in_tier_order), so the doctor shown is the doctor booked when nothing
    # changes in between.
    ranked = list(
        Slot.objects.teleconsultant_times()
        .seen_by(request.cell_id)
        .filter(care_channel=request.care_channel)
        .covering(max(s.starts_at for s in spots), min(s.ends_at for s in spots))
        .in_tier_order(request.cell_id)
        .values_list("pk", "starts_at", "ends_at", "cell_tier")  # type: ignore[misc]  # an annotation
    )
    chosen: dict[int, tuple[int, str]] = {}
    for spot in spots:
        for pk, starts_at, ends_at, tier in ranked:
            if starts_at <= spot.starts_at and ends_at >= spot.ends_at:
                chosen[spot.pk] = (pk, tier)
                break
    return chosen


def find_slots(
    request: Request, now: datetime, filters: Filters | None = None, limit: int = FINDER_PAGE
) -> list[Candidate]:
    """The best `limit` candidates, best first."""
    return find(request, now, filters, limit).candidates


def shown_from(value: str | None, page: int = FINDER_PAGE) -> int:
    """How many rows a page asks for (its "show more" parameter): a multiple of `page`, from `page` to
    FINDER_CANDIDATES; anything else is the first page."""
    try:
        asked = int(value or page)
    except ValueError:
        return page
    return max(page, min(FINDER_CANDIDATES, asked - asked % page))


def find(
    request: Request, now: datetime, filters: Filters | None = None, limit: int = FINDER_PAGE, page: int = FINDER_PAGE
) -> Found:
    """The best `limit` candidates, best first, with how many there are in all (a "show more" adds `page`)."""
    filters = filters or Filters()
    rows, complete = _candidate_rows(request, now, filters)
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
        rank = tier_rank(doctor[1]) if doctor is not None else 0
        # Candidate.rank on the plain values; the sort is stable, so the earliest comes first within a rank.
        ranked.append((_rank(before_deadline, km, modality_fits, rank, row.starts_at), row, km, doctor))
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
            tier=doctor[1] if doctor is not None else None,
        )
        candidate.reasons = _reasons(candidate, request)
        candidates.append(candidate)
    return Found(candidates, total=len(ranked), complete=complete, limit=limit, page=page)


def _reasons(candidate: Candidate, request: Request) -> list[str]:
    reasons = [_("before the deadline") if candidate.before_deadline else _("after the deadline")]
    km = formats.number_format(candidate.km, 1) if candidate.km is not None else None  # "2,5 km" in French
    reasons.append(f"{km} km" if km is not None else _("distance unknown"))
    if request.modality:
        reasons.append(_("modality as decided") if candidate.modality_fits else _("another modality"))
    if candidate.teleconsultant is not None and candidate.teleconsultant.professional is not None:
        # The tier is why here; the doctor is named once, with the place (the page's "Where").
        reasons.append(_("teleconsultant: %(tier)s") % {"tier": candidate.tier_label or "—"})
    return reasons
