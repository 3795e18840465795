"""Waiting-list backfill: when a slot is freed (a cancellation, the patient's cancel link), the requests still waiting
that could use it, best first — those whose deadline the slot meets, the most urgent, the nearest, the oldest deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Prefetch

from referrals.models import URGENCY_WEIGHT, CareChannel, Request, Urgency
from referrals.states import Status
from territory.geo import great_circle_km
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


def proposals_for(slot: Slot, waiting: list[Request], limit: int = 3) -> list[Proposal]:
    proposals = []
    point = slot.point
    just_cancelled = {booking.request_id for booking in getattr(slot, "cancelled_bookings", [])}
    for request in waiting:
        if request.pk in just_cancelled or not _fits(slot, request):
            continue  # the patient who just cancelled is not proposed their own slot back
        commune = request.patient_commune
        km = None
        if point and commune.latitude is not None and commune.longitude is not None:
            km = great_circle_km(commune.latitude, commune.longitude, point[0], point[1])
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
    return [(slot, proposals_for(slot, waiting)) for slot in slots]
