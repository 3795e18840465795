"""Booking: a request placed in a slot, never more bookings than the slot's capacity.

The capacity is enforced by the database twice: a conditional UPDATE that only increments `booked` while it is under
`capacity` (one statement, atomic on PostgreSQL and SQLite), and a CHECK constraint behind it. The request is locked
first (referrals' row lock), so one request is never booked twice either. The request's state is changed by the
referrals services, inside the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError
from directory.models import Professional, Site
from referrals import services as referrals
from referrals.models import CareChannel, Request
from territory.models import Cell

from .models import Booking, BookingStatus, Slot, SlotStatus
from .selectors import AUDIENCE_FLAG

SLOT_JUST_TAKEN = _("This slot was just taken: choose another one.")
SLOT_PAST = _("This slot has already started.")
SLOT_CANCELLED = _("This slot was cancelled by its professional.")
SLOT_NOT_FOR_YOU = _("This slot is not open to direct booking by your profession.")
SLOT_OTHER_CELL = _("This slot belongs to another cell.")
SLOT_WRONG_CARE = _("This slot is for another kind of care than the request.")
ALREADY_BOOKED = _("This request already has an appointment.")
BOOKING_NOT_ACTIVE = _("This appointment is no longer active.")
OUTCOME_TOO_EARLY = _("The outcome is recorded once the appointment has started.")


def slot_label(slot: Slot) -> str:
    local = timezone.localtime(slot.starts_at)
    where = slot.site.name if slot.site else str(slot.get_modality_display())
    who = f" — {slot.professional}" if slot.professional else ""
    return f"{local:%d/%m/%Y %H:%M}, {where}{who}"


@transaction.atomic
def slot_book(
    *, slot: Slot, request: Request, user: User, requester_type: str = "", now: datetime | None = None
) -> Booking:
    """Book the slot for the request and orient the request. A booking that loses the race is told the slot was
    just taken, and nothing is written. A requester (`requester_type`) books only slots open to their kind."""
    now = now or timezone.now()
    request = referrals.request_lock(request)
    if slot.cell_id != request.cell_id:
        raise DomainError(SLOT_OTHER_CELL, field="slot")
    if requester_type:
        flag = AUDIENCE_FLAG.get(requester_type)
        if flag is None or not getattr(slot, flag):
            raise DomainError(SLOT_NOT_FOR_YOU, field="slot")
    referrals.request_check_orientable(request=request, user=user, now=now)
    if slot.care_channel != request.care_channel or (
        request.care_channel == CareChannel.IMAGING and slot.exam_type != request.exam_type
    ):
        raise DomainError(SLOT_WRONG_CARE, field="slot")
    taken = Slot.objects.filter(pk=slot.pk, status=SlotStatus.OPEN, starts_at__gt=now, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    if taken != 1:
        current = Slot.objects.get(pk=slot.pk)
        if current.status == SlotStatus.CANCELLED:
            raise DomainError(SLOT_CANCELLED, field="slot", code="cancelled")
        if current.starts_at <= now:
            raise DomainError(SLOT_PAST, field="slot", code="past")
        raise DomainError(SLOT_JUST_TAKEN, field="slot", code="taken")
    try:
        with transaction.atomic():
            booking = Booking.objects.create(slot=slot, request=request, booked_by=user, booked_at=now)
    except IntegrityError as error:  # the database's one-active-booking-per-request rule
        raise DomainError(ALREADY_BOOKED, field="slot") from error
    slot = Slot.objects.select_related("site", "professional").get(pk=slot.pk)
    referrals.request_orient(request=request, user=user, at=now, modality=slot.modality, where=slot_label(slot))
    return booking


@transaction.atomic
def booking_cancel(*, booking: Booking, user: User, reason: str = "", now: datetime | None = None) -> Booking:
    """Cancel an appointment: the slot is free again and the request goes back to the coordinators."""
    now = now or timezone.now()
    booking = Booking.objects.select_for_update().select_related("request").get(pk=booking.pk)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(BOOKING_NOT_ACTIVE)
    request = referrals.request_lock(booking.request)
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])
    Slot.objects.filter(pk=booking.slot_id, booked__gt=0).update(booked=F("booked") - 1)
    referrals.request_appointment_cancelled(request=request, user=user, at=now, reason=reason)
    return booking


@transaction.atomic
def booking_outcome(
    *,
    booking: Booking,
    user: User,
    seen: bool,
    follow_up_needed: bool = False,
    note: str = "",
    now: datetime | None = None,
) -> Booking:
    """What happened: seen, or no-show; whether a follow-up is needed; a short note for the médecin traitant."""
    now = now or timezone.now()
    booking = Booking.objects.select_for_update().select_related("slot", "request").get(pk=booking.pk)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(BOOKING_NOT_ACTIVE)
    if booking.slot.starts_at > now:
        raise DomainError(OUTCOME_TOO_EARLY)
    request = referrals.request_lock(booking.request)
    booking.status = BookingStatus.SEEN if seen else BookingStatus.NO_SHOW
    booking.follow_up_needed, booking.outcome_note = follow_up_needed, note.strip()
    booking.save()
    referrals.request_appointment_outcome(
        request=request, user=user, at=now, seen=seen, note=note, follow_up_needed=follow_up_needed
    )
    return booking


SLOT_ORDER = _("A slot ends after it starts.")
SLOT_LENGTH = _("A slot lasts between 5 minutes and 4 hours.")
SLOT_IN_PAST = _("Slots are published for the future.")
SLOT_OVERLAP = _("%(professional)s already has a slot then (%(when)s).")
SLOT_EXAM_REQUIRED = _("Say which imaging exam these slots are for.")
SLOT_OF_OTHER_CELL = _("This professional or site does not belong to the cell.")


@transaction.atomic
def slots_publish(
    *,
    cell: Cell,
    professional: Professional | None,
    site: Site | None,
    day: date,
    start: time,
    end: time,
    minutes: int,
    care_channel: str,
    modality: str,
    exam_type: str = "",
    capacity: int = 1,
    open_to_pharmacists: bool = False,
    open_to_sas: bool = False,
    open_to_er: bool = False,
    open_to_gps: bool = False,
    now: datetime | None = None,
) -> list[Slot]:
    """Publish one-off slots: from `start` to `end` on `day` (Europe/Paris wall-clock), cut in `minutes`.

    Refused: an end before the start, slots in the past, a professional's overlapping slots, imaging without exam.
    """
    now = now or timezone.now()
    for record, field in ((professional, "professional"), (site, "site")):
        if record is not None and record.cell_id != cell.pk:
            raise DomainError(SLOT_OF_OTHER_CELL, field=field)
    if not 5 <= minutes <= 240:
        raise DomainError(SLOT_LENGTH, field="minutes")
    zone = timezone.get_current_timezone()
    first = datetime.combine(day, start, tzinfo=zone)
    last = datetime.combine(day, end, tzinfo=zone)
    if last <= first:
        raise DomainError(SLOT_ORDER, field="end")
    if first <= now:
        raise DomainError(SLOT_IN_PAST, field="day")
    if care_channel == CareChannel.IMAGING and not exam_type:
        raise DomainError(SLOT_EXAM_REQUIRED, field="exam_type")
    slots = []
    current = first
    while current + timedelta(minutes=minutes) <= last:
        slots.append(
            Slot(
                cell=cell,
                professional=professional,
                site=site,
                starts_at=current,
                ends_at=current + timedelta(minutes=minutes),
                care_channel=care_channel,
                exam_type=exam_type if care_channel == CareChannel.IMAGING else "",
                modality=modality,
                capacity=capacity,
                open_to_pharmacists=open_to_pharmacists,
                open_to_sas=open_to_sas,
                open_to_er=open_to_er,
                open_to_gps=open_to_gps,
            )
        )
        current += timedelta(minutes=minutes)
    if not slots:
        raise DomainError(SLOT_LENGTH, field="minutes")
    if professional is not None:
        clash = (
            Slot.objects.filter(
                professional=professional, status=SlotStatus.OPEN, starts_at__lt=last, ends_at__gt=first
            )
            .order_by("starts_at")
            .first()
        )
        if clash is not None:
            when = f"{timezone.localtime(clash.starts_at):%d/%m %H:%M}"
            raise DomainError(SLOT_OVERLAP % {"professional": professional, "when": when}, field="start")
    return Slot.objects.bulk_create(slots)
