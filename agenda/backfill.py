"""Waiting-list backfill: when a slot is freed (a cancellation, the patient's cancel link), the requests still waiting
that could use it, best first — those whose deadline the slot meets, the most urgent, the nearest (from the patient's
geocoded address when BAN placed it, else the commune), the oldest deadline.

Only requests ready to be booked by a batch tool are proposed (`referrals.readiness`: patient reached, qualified,
the supervising doctor not waited for); those that fit but are not ready are shown apart with the reason, and
cannot be booked from there. `slot_book_ready` is the booking such a tool makes: the rule checked again under the
request's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch

from accounts.models import User
from common.care import URGENCY_WEIGHT, CareChannel, Urgency
from common.errors import DomainError
from referrals import services as referral_services
from referrals.models import Request
from referrals.readiness import NOT_READY, Readiness, readiness, with_readiness
from referrals.states import ORIENTABLE
from territory.geo import great_circle_km
from territory.geocoding import GeoPoint, address_key, cached_points, commune_point
from territory.models import Cell

from .models import Booking, BookingStatus, Slot
from .services import slot_book

FREED_WITHIN = timedelta(hours=24)
WAITING = ORIENTABLE  # waiting for a slot: the state machine's set (referrals.states)


@dataclass(frozen=True)
class Proposal:
    request: Request
    meets_deadline: bool
    km: float | None
    readiness: Readiness


class Proposals(list[Proposal]):
    """The ready requests proposed for a freed slot, best first; `apart`, those that fit it but are not ready (each
    with its reasons), best first too."""

    def __init__(self, ready: list[Proposal], apart: list[Proposal]) -> None:
        super().__init__(ready)
        self.apart = apart


def _fits(slot: Slot, request: Request) -> bool:
    if slot.care_channel != request.care_channel:
        return False
    if request.care_channel == CareChannel.IMAGING and slot.exam_type != request.exam_type:
        return False
    return not request.modality or request.modality == slot.modality


def patient_points(waiting: list[Request]) -> dict[int, GeoPoint | None]:
    """Each request's patient point: the geocoded address when BAN placed it, else the commune's (one query)."""
    found = cached_points((r.patient_street, r.patient_commune) for r in waiting)
    return {
        r.pk: found.get(address_key(r.patient_street, r.patient_commune)) or commune_point(r.patient_commune)
        for r in waiting
    }


def proposals_for(
    slot: Slot, waiting: list[Request], limit: int = 3, points: dict[int, GeoPoint | None] | None = None
) -> list[Proposal]:
    """The waiting requests that fit the slot, best first, each with its readiness (`with_readiness` annotations
    read when present, else one query each)."""
    points = patient_points(waiting) if points is None else points
    proposals = []
    point = slot.point
    just_cancelled = {booking.request_id for booking in getattr(slot, "cancelled_bookings", [])}
    for request in waiting:
        if request.pk in just_cancelled or not _fits(slot, request):
            continue  # the patient who just cancelled is not proposed their own slot back
        patient = points.get(request.pk)
        km = None
        if point and patient is not None:
            km = great_circle_km(patient.latitude, patient.longitude, point[0], point[1])
        proposals.append(Proposal(request, slot.starts_at <= request.deadline_at, km, readiness(request)))
    proposals.sort(
        key=lambda p: (
            not p.meets_deadline,
            -URGENCY_WEIGHT.get(Urgency(p.request.urgency), 1),
            p.km if p.km is not None else 9999.0,
            p.request.deadline_at,
        )
    )
    return proposals[:limit]


def freed_slots(cell: Cell, now: datetime, limit: int = 10, per_slot: int = 3) -> list[tuple[Slot, Proposals]]:
    """Slots freed in the last day, still free and to come, each with the ready requests that fit it and, apart,
    those that fit but are not ready (up to `per_slot` of each). Three queries: the slots (with their cancelled
    bookings), the waiting requests (with their readiness)."""
    cancelled = Booking.objects.filter(status=BookingStatus.CANCELLED, cancelled_at__gte=now - FREED_WITHIN)
    slots = list(
        Slot.objects.filter(
            cell=cell,
            bookings__status=BookingStatus.CANCELLED,
            bookings__cancelled_at__gte=now - FREED_WITHIN,
        )
        .free(now)
        .distinct()
        .select_related("site__commune", "commune", "professional")
        .prefetch_related(Prefetch("bookings", queryset=cancelled, to_attr="cancelled_bookings"))
        .order_by("starts_at")[:limit]
    )
    if not slots:
        return []
    waiting = list(
        with_readiness(
            Request.objects.filter(cell=cell, status__in=WAITING, care_channel__in={s.care_channel for s in slots})
        )
        .select_related("patient_commune")
        .order_by("deadline_at")
    )
    points = patient_points(waiting)
    freed: list[tuple[Slot, Proposals]] = []
    for slot in slots:
        fitting = proposals_for(slot, waiting, limit=len(waiting), points=points)
        ready = [p for p in fitting if p.readiness.ready]
        apart = [p for p in fitting if not p.readiness.ready]
        freed.append((slot, Proposals(ready[:per_slot], apart[:per_slot])))
    return freed


@transaction.atomic
def slot_book_ready(*, slot: Slot, request: Request, user: User, now: datetime | None = None) -> Booking:
    """Book as `slot_book` does, for a tool that books what it proposed (the placement assistant, the freed-slot
    proposals): only a request ready for it. The rule is checked under the request's row lock, taken first as
    `slot_book` takes it (the same order: no deadlock), so a supervisor's question asked since the proposal refuses
    the booking, and nothing is written or sent."""
    locked = referral_services.request_lock(request)
    ready = readiness(locked)
    if not ready:
        raise DomainError(NOT_READY % {"reasons": ready.reason}, field="slot", code="not_ready")
    return slot_book(slot=slot, request=locked, user=user, now=now)
