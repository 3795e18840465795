"""The placement assistant's domain: a proposal for a cell's waiting list, and its application as normal bookings.

`proposal_build` reads the waiting requests and the free slots of the cell (in a fixed number of queries, whatever
their number), turns them into the engine's instance, and asks the engine for two plans: the optimiser's and
first-come-first-served (what the cell would have done by hand), row by row.

What the instance holds, and from where (the slot finder's rules, `agenda.finder`, and the booking's, so that what
is proposed is what the booking accepts):
- requests: those still waiting to be oriented (the statuses a booking accepts), of the cell only, filtered as on the
  queue (care, urgency, search, mine), and ready to be booked by the assistant (`referrals.readiness`: patient
  reached, qualified, the supervising doctor not waited for); the others are listed apart with the reason, never given
  a slot (they would take one from a ready patient) nor applied; the patient's point is the geocoded address when BAN
  placed it, else the commune's; urgency weight 3 / 2 / 1 for within 24 h / 48 h / this week; the modality decided by
  the coordinator when there is one, else any modality;
- slots: open, still to come within the finder's horizon, with a place left, that the cell books: its own and its
  pool's (professionals other cells share with it by an accepted agreement covering the slot's day, decision 0021),
  as the finder sees them; a teleconsultant's own time is never booked alone (it is paired with a telemedicine
  spot's time), and a spot's time counts only when a teleconsultant is free to pair with it, the cell's own or its
  pool's: its tier is that doctor's for the cell (local 0, regional 1, extra-territorial 2, the order in which the
  booking pairs them; a pool doctor's is the agreement's), every other slot's tier is 0. Capacity is the places left.
- Requests whose patient has no point and slots with no point are left out, and counted for the page.

Two spot times at the same hour may count on the same teleconsultant: the engine does not know they share a doctor;
the booking then pairs the next doctor in tier order, or reports that none is free (the pairing is not applied).

`proposal_apply` books the chosen pairings one by one through the agenda's booking for batch tools
(`agenda.backfill.slot_book_ready`: `slot_book`, race-free, the same timeline, messages and signals as a booking made
by hand, after the readiness checked again under the request's lock), after checking each again on the server; a
pairing whose slot went meanwhile, whose request is no longer waiting, or is no longer ready (a question to the
supervising doctor asked since the proposal), is reported with its reason, never forced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from accounts.models import Membership, User
from agenda.backfill import WAITING, patient_points, slot_book_ready
from agenda.finder import FINDER_DAYS
from agenda.models import TIER_ORDER, Booking, Slot, tier_rank
from agenda.selectors import slot_label
from common.errors import DomainError
from directory.models import TeleconsultantTier
from referrals import selectors as referral_selectors
from referrals.models import URGENCY_WEIGHT, Modality, Request, Urgency
from referrals.readiness import Readiness, readiness, with_readiness
from territory.geocoding import GeoPoint
from territory.models import Cell

from .engine import model as engine
from .engine.fcfs import plan_fcfs
from .engine.rules import compatible, distance_km, meets_deadline
from .engine.solver import plan_optimal

MAX_REQUESTS = 2000  # a department's waiting list; beyond, the filters narrow it
ALL_MODALITIES = frozenset(Modality.values)
TIER_LABELS = {
    TIER_ORDER[TeleconsultantTier.LOCAL]: TeleconsultantTier.LOCAL.label,
    TIER_ORDER[TeleconsultantTier.REGIONAL]: TeleconsultantTier.REGIONAL.label,
    TIER_ORDER[TeleconsultantTier.EXTRA_TERRITORIAL]: TeleconsultantTier.EXTRA_TERRITORIAL.label,
}

NO_PROPOSAL = _("There is no proposal to apply any more: ask for a new proposal.")
PAIRING_UNKNOWN = _("This pairing is not part of the proposal: ask for a new proposal.")
NOTHING_CHOSEN = _("No pairing was chosen.")
REQUEST_NOT_WAITING = _("This request is no longer waiting for a slot (%(status)s).")
SLOT_GONE = _("This slot is no longer free.")
SLOT_NO_LONGER_FITS = _("This slot no longer suits the request.")


@dataclass(frozen=True)
class Choice:
    """A slot given to a request by a plan, and why: deadline met, distance, tier."""

    slot: Slot
    meets_deadline: bool
    km: float
    tier: int

    @property
    def label(self) -> str:
        """When, where, who: the booking's own words."""
        return slot_label(self.slot)

    @property
    def tier_label(self) -> StrOrPromise:
        """The teleconsultant's tier, for a telemedicine spot's time."""
        return TIER_LABELS[self.tier] if self.slot.is_spot_time else ""


@dataclass(frozen=True)
class Row:
    request: Request
    proposed: Choice | None
    fcfs: Choice | None

    @property
    def same_as_fcfs(self) -> bool:
        return (self.proposed and self.proposed.slot.pk) == (self.fcfs and self.fcfs.slot.pk)


@dataclass(frozen=True)
class Summary:
    """What a plan achieves, as the page tells it: the engine's objective, and the urgent patients (within 24 h)
    placed before their deadline."""

    urgency_in_deadline: int
    in_deadline: int
    urgent_in_deadline: int
    placed: int
    km: float
    tier: int


@dataclass(frozen=True)
class Apart:
    """A waiting request the assistant does not place, and why (`referrals.readiness`)."""

    request: Request
    readiness: Readiness


@dataclass
class Proposal:
    rows: list[Row]
    plan: engine.Plan
    fcfs: engine.Plan
    proposed: Summary
    baseline: Summary
    requests_without_point: int = 0
    slots_without_point: int = 0
    slots: int = 0
    apart: list[Apart] = field(default_factory=list)

    @property
    def pairings(self) -> list[tuple[int, int]]:
        """(request id, slot id) of every proposed pairing, in the rows' order."""
        return [(row.request.pk, row.proposed.slot.pk) for row in self.rows if row.proposed is not None]


def _urgency(request: Request) -> int:
    return URGENCY_WEIGHT.get(Urgency(request.urgency), 1)


def waiting_requests(membership: Membership, filters: referral_selectors.QueueFilters) -> list[Request]:
    """The cell's requests waiting for a slot, filtered as on the queue, most pressing deadline first, each with
    what its readiness reads (one query)."""
    requests = with_readiness(referral_selectors.queue(membership, filters).filter(status__in=WAITING))
    return list(requests[:MAX_REQUESTS])


def free_slots(cell: Cell, now: datetime, channels: set[str]) -> list[Slot]:
    """Free slots of these care channels a coordinator may book (the cell's and its pool's), within the finder's
    horizon (one query)."""
    if not channels:
        return []
    slots = (
        Slot.objects.seen_by(cell.pk)
        .filter(care_channel__in=channels, starts_at__lt=now + timedelta(days=FINDER_DAYS))
        .free(now)
        .bookable()
    )
    return list(slots.select_related("site__commune", "commune", "professional").order_by("starts_at", "pk"))


def spot_tiers(cell: Cell, spots: list[Slot]) -> dict[int, int]:
    """For each telemedicine spot's time, the tier of the teleconsultant the booking would pair with it now (the
    first free doctor covering it in tier order, the cell's own or its pool's, as
    `agenda.selectors.teleconsultants_for`); spots with no doctor free are absent. One query, whatever the number of
    spots."""
    if not spots:
        return {}
    ranked = list(
        Slot.objects.teleconsultant_times()
        .seen_by(cell.pk)
        .filter(
            care_channel__in={s.care_channel for s in spots},
            starts_at__lte=max(s.starts_at for s in spots),
            ends_at__gte=min(s.ends_at for s in spots),
        )
        .in_tier_order(cell.pk)
        .values_list("pk", "starts_at", "ends_at", "care_channel", "cell_tier")  # type: ignore[misc]  # an annotation
    )
    tiers: dict[int, int] = {}
    for spot in spots:
        for _pk, starts_at, ends_at, channel, tier in ranked:
            if channel == spot.care_channel and starts_at <= spot.starts_at and ends_at >= spot.ends_at:
                tiers[spot.pk] = min(tier_rank(tier), 2)  # the engine's three tiers: a doctor with none is the last
                break
    return tiers


def _engine_request(request: Request, point: GeoPoint) -> engine.Request:
    return engine.Request(
        id=str(request.pk),
        lat=point.latitude,
        lon=point.longitude,
        deadline=request.deadline_at,
        urgency=_urgency(request),
        channel=request.care_channel,
        modalities=frozenset({request.modality}) if request.modality else ALL_MODALITIES,
        received_at=request.received_at,
        exam_type=request.exam_type,
    )


def _engine_slot(slot: Slot, point: tuple[float, float], tier: int) -> engine.Slot:
    return engine.Slot(
        id=str(slot.pk),
        lat=point[0],
        lon=point[1],
        start=slot.starts_at,
        channel=slot.care_channel,
        modality=slot.modality,
        capacity=slot.free,
        tier=tier,
        exam_type=slot.exam_type,
    )


@dataclass(frozen=True)
class Built:
    """The engine's instance and the database objects behind its ids."""

    instance: engine.Instance
    requests: dict[str, Request]
    slots: dict[str, Slot]
    requests_without_point: int
    slots_without_point: int


def instance_build(requests: Sequence[Request], slots: Sequence[Slot], *, cell: Cell, now: datetime) -> Built:
    """The engine's instance for these requests and slots (two queries at most: the geocoded addresses when BAN is
    on, the teleconsultants free for the spots)."""
    points = patient_points(list(requests))
    tiers = spot_tiers(cell, [s for s in slots if s.is_spot_time])
    engine_requests, by_request_id, no_point = [], {}, 0
    for request in requests:
        point = points.get(request.pk)
        if point is None:
            no_point += 1
            continue
        record = _engine_request(request, point)
        engine_requests.append(record)
        by_request_id[record.id] = request
    engine_slots, by_slot_id, slots_no_point = [], {}, 0
    for slot in slots:
        if slot.is_spot_time and slot.pk not in tiers:
            continue  # no teleconsultant to pair: this time cannot be booked now (as in the finder)
        slot_point = slot.point
        if slot_point is None:
            slots_no_point += 1
            continue
        slot_record = _engine_slot(slot, slot_point, tiers.get(slot.pk, 0))
        engine_slots.append(slot_record)
        by_slot_id[slot_record.id] = slot
    instance = engine.Instance(now=now, requests=tuple(engine_requests), slots=tuple(engine_slots))
    return Built(instance, by_request_id, by_slot_id, no_point, slots_no_point)


def _choices(built: Built, plan: engine.Plan) -> dict[str, Choice]:
    requests = {r.id: r for r in built.instance.requests}
    slots = {s.id: s for s in built.instance.slots}
    chosen = {}
    for request_id, slot_id in plan.assignments:
        request, slot = requests[request_id], slots[slot_id]
        chosen[request_id] = Choice(
            built.slots[slot_id], meets_deadline(request, slot), distance_km(request, slot), slot.tier
        )
    return chosen


def _summary(built: Built, plan: engine.Plan, chosen: dict[str, Choice]) -> Summary:
    in_deadline = [request_id for request_id, choice in chosen.items() if choice.meets_deadline]
    urgent = sum(1 for request_id in in_deadline if built.requests[request_id].urgency == Urgency.WITHIN_24H)
    objective = plan.objective
    return Summary(
        objective.urgency_in_deadline, len(in_deadline), urgent, objective.placed, objective.km, objective.tier
    )


def proposal_build(
    *, membership: Membership, filters: referral_selectors.QueueFilters | None = None, now: datetime
) -> Proposal:
    """A proposal for the cell's waiting list (or the part the filters keep), with first-come-first-served beside
    it: the ready requests placed, the others apart with the reason. Four queries at most, whatever the number of
    requests and slots."""
    waiting = waiting_requests(membership, filters or referral_selectors.QueueFilters())
    requests, apart = [], []
    for request in waiting:
        ready = readiness(request)
        if ready:
            requests.append(request)
        else:
            apart.append(Apart(request, ready))
    slots = free_slots(membership.cell, now, {r.care_channel for r in requests})
    built = instance_build(requests, slots, cell=membership.cell, now=now)
    plan, fcfs = plan_optimal(built.instance), plan_fcfs(built.instance)
    proposed, baseline = _choices(built, plan), _choices(built, fcfs)
    rows = [
        Row(request, proposed.get(request_id), baseline.get(request_id))
        for request_id, request in built.requests.items()
    ]
    return Proposal(
        rows=rows,
        plan=plan,
        fcfs=fcfs,
        proposed=_summary(built, plan, proposed),
        baseline=_summary(built, fcfs, baseline),
        requests_without_point=built.requests_without_point,
        slots_without_point=built.slots_without_point,
        slots=len(built.instance.slots),
        apart=apart,
    )


@dataclass(frozen=True)
class NotApplied:
    request: Request
    slot: Slot
    reason: StrOrPromise

    @property
    def label(self) -> str:
        return slot_label(self.slot)


@dataclass(frozen=True)
class Booked:
    request: Request
    booking: Booking

    @property
    def label(self) -> str:
        """When, where, who, and the teleconsultant paired with a spot's time."""
        return slot_label(self.booking.slot, self.booking.paired_slot, self.request.cell_id)


@dataclass
class Applied:
    booked: list[Booked] = field(default_factory=list)
    not_applied: list[NotApplied] = field(default_factory=list)


def _recheck(request: Request, slot: Slot, point: GeoPoint | None, *, now: datetime) -> StrOrPromise | None:
    """Why this pairing may not be booked now, or None: the request still waiting, the slot free and suited to it
    (the engine's own compatibility rule; the distance does not matter here). The booking checks it all again under
    its locks."""
    if request.status not in WAITING:
        return REQUEST_NOT_WAITING % {"status": request.get_status_display()}
    if not slot.is_free(now):
        return SLOT_GONE
    if slot.is_teleconsultant_time:
        return SLOT_NO_LONGER_FITS
    slot_point = slot.point
    if point is None or slot_point is None:
        return SLOT_NO_LONGER_FITS
    if not compatible(_engine_request(request, point), _engine_slot(slot, slot_point, 0), now):
        return SLOT_NO_LONGER_FITS
    return None


def _may_be_seen_by(slot: Slot, cell: Cell) -> bool:
    """The cell's slot, or a professional's that may be its pool's: the booking checks the agreement under its lock
    (`agenda.services.booking`), and reports an agreement ended meanwhile as any other reason not to book."""
    return slot.cell_id == cell.pk or slot.professional_id is not None


def proposal_apply(
    *, cell: Cell, user: User, pairings: Sequence[tuple[int, int]], allowed: Sequence[tuple[int, int]], now: datetime
) -> Applied:
    """Book the chosen pairings, one normal booking each, in the order given.

    `pairings` are what the coordinator chose; `allowed` the proposal kept on the server: a pairing outside it, or of
    another cell, refuses the whole application before anything is booked (DomainError). Each pairing is then
    checked again and booked through `slot_book` in its own transaction; one that cannot be booked any more (slot
    taken or withdrawn meanwhile, request no longer waiting or no longer ready, held by a colleague, no
    teleconsultant free) is reported with its reason, nothing booked nor sent for it, and the others go on."""
    chosen = list(dict.fromkeys(pairings))
    if not chosen:
        raise DomainError(NOTHING_CHOSEN, code="nothing")
    request_ids = [r for r, _s in chosen]
    if set(chosen) - set(allowed) or len(set(request_ids)) != len(request_ids):
        raise DomainError(PAIRING_UNKNOWN, code="unknown")
    requests = Request.objects.select_related("patient_commune").in_bulk([r for r, _s in chosen], field_name="pk")
    slots = Slot.objects.select_related("site__commune", "commune", "professional").in_bulk([s for _r, s in chosen])
    for request_id, slot_id in chosen:
        request, slot = requests.get(request_id), slots.get(slot_id)
        if request is None or slot is None or request.cell_id != cell.pk or not _may_be_seen_by(slot, cell):
            raise DomainError(PAIRING_UNKNOWN, code="unknown")
    points = patient_points(list(requests.values()))  # one query for them all, not one per pairing
    result = Applied()
    for request_id, slot_id in chosen:
        request, slot = requests[request_id], slots[slot_id]
        reason = _recheck(request, slot, points.get(request_id), now=now)
        if reason is None:
            try:
                booking = slot_book_ready(slot=slot, request=request, user=user, now=now)
                result.booked.append(Booked(request, booking))
                continue
            except DomainError as error:
                reason = error.message
        result.not_applied.append(NotApplied(request, slot, reason))
    return result


def applied_for(cell: Cell, booked: Sequence[int], not_applied: Sequence[Sequence[Any]]) -> Applied:
    """An application's result read back (for the page after the redirect), within the cell: the bookings made,
    and the pairings not applied with the reason given then (three queries)."""
    bookings = Booking.objects.filter(pk__in=booked, request__cell=cell).select_related(
        "request", "slot__site", "slot__commune", "slot__professional", "paired_slot__professional"
    )
    result = Applied(booked=[Booked(booking.request, booking) for booking in bookings])
    requests = Request.objects.filter(cell=cell).in_bulk([int(item[0]) for item in not_applied])
    slots = (
        Slot.objects.filter(Q(cell=cell) | Q(professional__pool_agreements__cell=cell))
        .distinct()
        .select_related("site", "commune", "professional")
        .in_bulk([int(item[1]) for item in not_applied])
    )
    for request_id, slot_id, reason in not_applied:
        if int(request_id) in requests and int(slot_id) in slots:
            result.not_applied.append(NotApplied(requests[int(request_id)], slots[int(slot_id)], str(reason)))
    return result
