"""Waiting-list backfill: when a slot is freed (a cancellation, the patient's cancel link), the requests still waiting
that could use it, best first — those whose deadline the slot meets, the most urgent, the nearest (from the patient's
geocoded address when BAN placed it, else the commune), the oldest deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Prefetch

from referrals.models import URGENCY_WEIGHT, CareChannel, Request, Urgency
from referrals.states import Status
from territory.geo import great_circle_km
from territory.geocoding import GeoPoint, address_key, cached_points, commune_point
from territory.models import Cell

from .models import Booking, BookingStatus, Slot, SlotStatus

FREED_WITHIN = timedelta(hours=24)
WAITING = (Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING_SUPERVISOR, Status.APPOINTMENT_CANCELLED)


@dataclass(frozen=True)
class Proposal:
    request: Request
    meets_deadline: bool
    km: float | None


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
        proposals.append(Proposal(request, slot.starts_at <= request.deadline_at, km))
    proposals.sort(
        key=lambda p: (
            not p.meets_deadline,
            -URGENCY_WEIGHT.get(Urgency(p.request.urgency), 1),
            p.km if p.km is not None else 9999.0,
            p.request.deadline_at,
        )
    )
    return proposals[:limit]


def freed_slots(cell: Cell, now: datetime, limit: int = 10) -> list[tuple[Slot, list[Proposal]]]:
    """Slots freed in the last day, still free and to come, each with the waiting requests that fit it. Three
    queries: the slots (with their cancelled bookings), the waiting requests."""
    cancelled = Booking.objects.filter(status=BookingStatus.CANCELLED, cancelled_at__gte=now - FREED_WITHIN)
    slots = list(
        Slot.objects.filter(
            cell=cell,
            status=SlotStatus.OPEN,
            starts_at__gt=now,
            booked__lt=F("capacity"),
            bookings__status=BookingStatus.CANCELLED,
            bookings__cancelled_at__gte=now - FREED_WITHIN,
        )
        .distinct()
        .select_related("site__commune", "commune", "professional")
        .prefetch_related(Prefetch("bookings", queryset=cancelled, to_attr="cancelled_bookings"))
        .order_by("starts_at")[:limit]
    )
    if not slots:
        return []
    waiting = list(
        Request.objects.filter(cell=cell, status__in=WAITING, care_channel__in={s.care_channel for s in slots})
        .select_related("patient_commune")
        .order_by("deadline_at")
    )
    points = patient_points(waiting)
    return [(slot, proposals_for(slot, waiting, points=points)) for slot in slots]
