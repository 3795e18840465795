"""Reads of the agenda, within one cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F
from django.http import Http404

from referrals.models import CareChannel, Request
from territory.geo import great_circle_km
from territory.models import Cell

from .models import Absence, AvailabilityPlan, Booking, BookingStatus, Slot, SlotStatus

FINDER_DAYS = 14
FINDER_CANDIDATES = 300


@dataclass(frozen=True)
class Candidate:
    slot: Slot
    before_deadline: bool
    km: float | None


def free_slots_for(request: Request, now: datetime, limit: int = 20) -> list[Candidate]:
    """Free slots the request may use, those before its deadline first, then the nearest, then the earliest."""
    slots = Slot.objects.filter(
        cell=request.cell_id,
        status=SlotStatus.OPEN,
        care_channel=request.care_channel,
        starts_at__gt=now,
        starts_at__lt=now + timedelta(days=FINDER_DAYS),
        booked__lt=F("capacity"),
    ).select_related("site__commune", "professional")
    if request.care_channel == CareChannel.IMAGING:
        slots = slots.filter(exam_type=request.exam_type)
    patient = request.patient_commune
    candidates = []
    for slot in slots.order_by("starts_at")[:FINDER_CANDIDATES]:
        point = slot.site.point if slot.site else None
        km = None
        if point and patient.latitude is not None and patient.longitude is not None:
            km = great_circle_km(patient.latitude, patient.longitude, point[0], point[1])
        candidates.append(Candidate(slot, slot.starts_at <= request.deadline_at, km))
    candidates.sort(key=lambda c: (not c.before_deadline, c.km if c.km is not None else 9999.0, c.slot.starts_at))
    return candidates[:limit]


def slot_for(cell: Cell, pk: int) -> Slot:
    slot = Slot.objects.filter(cell=cell, pk=pk).first()
    if slot is None:
        raise Http404
    return slot


def booking_for(cell: Cell, pk: int) -> Booking:
    booking = Booking.objects.select_related("request", "slot").filter(request__cell=cell, pk=pk).first()
    if booking is None:
        raise Http404
    return booking


def active_booking(request: Request) -> Booking | None:
    return (
        Booking.objects.select_related("slot__site__commune", "slot__professional")
        .filter(request=request, status=BookingStatus.BOOKED)
        .first()
    )


def upcoming_slots(cell: Cell, now: datetime, professional_id: int | None = None) -> list[Slot]:
    slots = Slot.objects.filter(cell=cell, starts_at__gt=now - timedelta(hours=12)).select_related(
        "site", "professional"
    )
    if professional_id is not None:
        slots = slots.filter(professional=professional_id)
    return list(slots.order_by("starts_at")[:300])


# Which audience flag of a slot lets each kind of requester book it directly (seed 004).
AUDIENCE_FLAG = {
    "pharmacist": "open_to_pharmacists",
    "sas_regulator": "open_to_sas",
    "emergency": "open_to_er",
    "gp": "open_to_gps",
}


def slots_open_to(cell: Cell, requester_type: str, now: datetime, limit: int = 40) -> list[Slot]:
    """Free future slots a requester of this type may book directly, soonest first."""
    flag = AUDIENCE_FLAG.get(requester_type)
    if flag is None:
        return []
    return list(
        Slot.objects.filter(
            cell=cell, status=SlotStatus.OPEN, starts_at__gt=now, booked__lt=F("capacity"), **{flag: True}
        )
        .select_related("site", "professional")
        .order_by("starts_at")[:limit]
    )


def plans_for(cell: Cell, professional_id: int | None = None) -> list[AvailabilityPlan]:
    """The cell's plans (an effector's own only), running ones first."""
    plans = AvailabilityPlan.objects.filter(cell=cell).select_related("professional", "site")
    if professional_id is not None:
        plans = plans.filter(professional=professional_id)
    return list(plans.order_by("-is_active", "-last_day", "pk"))


def plan_for(cell: Cell, pk: int, professional_id: int | None = None) -> AvailabilityPlan:
    plans = AvailabilityPlan.objects.filter(cell=cell, pk=pk)
    if professional_id is not None:
        plans = plans.filter(professional=professional_id)
    plan = plans.first()
    if plan is None:
        raise Http404
    return plan


def absences_for(cell: Cell, now: datetime, professional_id: int | None = None) -> list[Absence]:
    """Absences that have not ended yet (an effector's own only)."""
    absences = Absence.objects.filter(cell=cell, ends_at__gt=now).select_related("professional", "site")
    if professional_id is not None:
        absences = absences.filter(professional=professional_id)
    return list(absences.order_by("starts_at"))
