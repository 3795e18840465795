"""Reads of the agenda, within one cell."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Prefetch
from django.http import Http404

from referrals.models import Modality, Request
from territory.models import Cell

from .models import Absence, AvailabilityPlan, Booking, BookingStatus, Slot, SlotStatus


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
        Booking.objects.select_related(
            "slot__site__commune", "slot__commune", "slot__professional", "paired_slot__professional"
        )
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


def slots_open_to(
    cell: Cell, requester_type: str, now: datetime, limit: int = 40, wanted: int | None = None
) -> list[Slot]:
    """Free future slots a requester of this type may book directly, soonest first; the `wanted` one (a link to a
    slot, from the SAS platform) first of all when it is one of them, however far ahead."""
    flag = AUDIENCE_FLAG.get(requester_type)
    if flag is None:
        return []
    bookable = (
        Slot.objects.filter(
            cell=cell, status=SlotStatus.OPEN, starts_at__gt=now, booked__lt=F("capacity"), **{flag: True}
        )
        .exclude(modality=Modality.ASSISTED_TELECONSULTATION, site__isnull=True)
        .select_related("site", "professional", "commune")
    )
    found = list(bookable.order_by("starts_at")[:limit])
    if wanted is not None and all(slot.pk != wanted for slot in found):
        found = list(bookable.filter(pk=wanted)) + found
    return found


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


def direct_booking_choices(
    cell: Cell, requester_type: str, now: datetime, wanted: int | None = None
) -> list[tuple[str, str]]:
    """The slots a requester of this type may book with their request, as (pk, label) choices: when, where, who,
    and what care."""
    from .services import slot_label  # labels are the booking's own words

    choices = []
    for slot in slots_open_to(cell, requester_type, now, wanted=wanted):
        care = slot.get_care_channel_display()
        if slot.exam_type:
            care = f"{care} — {slot.get_exam_type_display()}"
        choices.append((str(slot.pk), f"{slot_label(slot)} ({care})"))
    return choices


CALENDAR_MAX_EVENTS = 2000


def calendar_slots(
    cell: Cell,
    start: datetime,
    end: datetime,
    *,
    professional_id: int | None = None,
    site_id: int | None = None,
    care_channel: str = "",
) -> list[Slot]:
    """Slots offered between two instants (withdrawn ones left out), with their active or past bookings and each
    booking's request, in three queries."""
    slots = Slot.objects.filter(cell=cell, status=SlotStatus.OPEN, starts_at__lt=end, ends_at__gt=start)
    if professional_id is not None:
        slots = slots.filter(professional=professional_id)
    if site_id is not None:
        slots = slots.filter(site=site_id)
    if care_channel:
        slots = slots.filter(care_channel=care_channel)
    bookings = Booking.objects.exclude(status=BookingStatus.CANCELLED).select_related("request")
    return list(
        slots.select_related("site", "professional", "commune")
        .prefetch_related(Prefetch("bookings", queryset=bookings, to_attr="kept_bookings"))
        .order_by("starts_at")[:CALENDAR_MAX_EVENTS]
    )
