"""Booking: a request placed in a slot, never more bookings than the slot's capacity.

The capacity is enforced by the database twice: a conditional UPDATE that only increments `booked` while it is under
`capacity` (one statement, atomic on PostgreSQL and SQLite), and a CHECK constraint behind it. The request is locked
first (referrals' row lock), so one request is never booked twice either. Every lock these services take (the
booking's row, the request's, the slots') waits at most the lock timeout, then refuses with "try again"
(common.locking.lock_wait_bounded). The request's state is changed by the
referrals services, inside the same transaction.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.care import CareChannel
from common.errors import DomainError
from common.locking import lock_wait_bounded
from directory.models import Professional
from referrals import services as referrals
from referrals.models import Request
from referrals.services import series as referral_series
from referrals.states import Status

from ..models import Booking, BookingStatus, MedicobusTour, Slot, SlotStatus, TelemedicineSpot, may_book_directly
from ..selectors import booking_by_cancel_token, slot_label, teleconsultants_for
from ..signals import booking_changed

SLOT_JUST_TAKEN = _("This slot was just taken: choose another one.")
SLOT_PAST = _("This slot has already started.")
SLOT_CANCELLED = _("This slot was cancelled by its professional.")
SLOT_NOT_FOR_YOU = _("This slot is not open to direct booking by you (neither to your profession nor to you by name).")
SLOT_OTHER_CELL = _(
    "This slot belongs to another cell, and no accepted agreement shares its professional with your cell on that day."
)
SLOT_WRONG_CARE = _("This slot is for another kind of care than the request.")
ALREADY_BOOKED = _("This request already has an appointment.")
BOOKING_NOT_ACTIVE = _("This appointment is no longer active.")
OUTCOME_TOO_EARLY = _("The outcome is recorded once the appointment has started.")


TELECONSULTANT_TIME = _(
    "This is a teleconsultant's time: book the telemedicine spot's slot, and the doctor is paired with it."
)
NO_TELECONSULTANT = _("No teleconsultant doctor is free at that time: choose another time at the spot.")


def _require_seen_by(slot: Slot, cell_id: int) -> None:
    """The slot is the cell's, or its pool's: a professional another cell shares with it by an accepted agreement
    covering the slot's day (decision 0021; one query, only for another cell's slot). The place itself is then taken
    by the same conditional UPDATE whichever cell books: one time is never booked twice across cells."""
    if slot.cell_id == cell_id:
        return
    if slot.professional_id is not None:
        # The professional's row is what offering, accepting and ending an agreement lock (directory.services): an
        # agreement ended while this booking checks it waits for the booking, or the booking reads it ended.
        Professional.objects.select_for_update(no_key=True).filter(pk=slot.professional_id).first()
    if slot.professional_id is None or not Slot.objects.seen_by(cell_id).filter(pk=slot.pk).exists():
        raise DomainError(SLOT_OTHER_CELL, field="slot", code="other_cell")


def _pair_teleconsultant(spot_slot: Slot, now: datetime, cell_id: int) -> Slot:
    """Take the first teleconsultant time still free, in tier order for the booking cell (each taken by a conditional
    update: a doctor's time that went meanwhile is passed over)."""
    for candidate in teleconsultants_for(spot_slot, now, cell_id)[:20]:
        taken = Slot.objects.filter(pk=candidate.pk).with_place_left().update(booked=F("booked") + 1)
        if taken == 1:
            return candidate
    raise DomainError(NO_TELECONSULTANT, field="slot", code="no_teleconsultant")


@transaction.atomic
@lock_wait_bounded()
def slot_book(
    *,
    slot: Slot,
    request: Request,
    user: User,
    requester_type: str = "",
    by_alert: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Book the slot for the request and orient the request. A booking that loses the race is told the slot was
    just taken, and nothing is written. A requester (`requester_type`) books only slots open to their kind or naming
    the request's requester (the professional or site of their membership, which the intake records on the request:
    decision 0017)."""
    now = now or timezone.now()
    request = referrals.request_lock(request)
    _require_seen_by(slot, request.cell_id)
    if requester_type and not may_book_directly(
        requester_type, slot, professional_id=request.requester_professional_id, site_id=request.requester_site_id
    ):
        raise DomainError(SLOT_NOT_FOR_YOU, field="slot")
    # An oriented series with a session left to book takes one more appointment; any other request is oriented.
    next_session = referral_series.is_next_session(request)
    if next_session:
        referral_series.request_check_next_session(request=request, user=user, now=now, by_alert=by_alert)
    else:
        referrals.request_check_orientable(request=request, user=user, now=now, by_alert=by_alert)
    number = session_number(request)
    paired = _take(slot, request, now)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                slot=slot,
                request=request,
                booked_by=user,
                booked_at=now,
                paired_slot=paired,
                cancel_token=secrets.token_urlsafe(CANCEL_TOKEN_BYTES),
                session=number,
            )
    except IntegrityError as error:  # the database's one-booking-per-session rule
        raise DomainError(ALREADY_BOOKED, field="slot") from error
    referral_series.sessions_taken_change(request, +1)
    slot = Slot.objects.select_related("site", "professional", "commune").get(pk=slot.pk)
    where = slot_label(slot, paired, request.cell_id)
    if next_session:
        text = referral_series.SESSION_BOOKED % {"number": number, "total": request.sessions, "where": where}
        referral_series.request_session_event(request=request, user=user, at=now, text=str(text), booking=booking)
    else:
        referrals.request_orient(
            request=request, user=user, at=now, modality=slot.modality, where=where, booking=booking
        )
    booking_changed.send(sender=Booking, booking=booking, change="booked")
    return booking


def session_number(request: Request) -> int:
    """The number of the session the next booking of the (locked) request is: the first one of its series that no
    booking holds (a cancelled session is booked again under its number). Refused when the series is complete."""
    referral_series.session_to_book(request)
    held = set(request.bookings.exclude(status=BookingStatus.CANCELLED).values_list("session", flat=True))
    return next(number for number in range(1, request.sessions + 1) if number not in held)


def _take(slot: Slot, request: Request, now: datetime) -> Slot | None:
    """Hold one place of the slot for the request (conditional update), and pair a teleconsultant for a spot's time.
    Raises with the reason when the slot cannot be taken."""
    _require_seen_by(slot, request.cell_id)
    if slot.care_channel != request.care_channel or (
        request.care_channel == CareChannel.IMAGING and slot.exam_type != request.exam_type
    ):
        raise DomainError(SLOT_WRONG_CARE, field="slot")
    if slot.is_teleconsultant_time:
        raise DomainError(TELECONSULTANT_TIME, field="slot")
    taken = Slot.objects.filter(pk=slot.pk).free(now).update(booked=F("booked") + 1)
    if taken != 1:
        current = Slot.objects.get(pk=slot.pk)
        if current.status == SlotStatus.CANCELLED:
            raise DomainError(SLOT_CANCELLED, field="slot", code="cancelled")
        if current.starts_at <= now:
            raise DomainError(SLOT_PAST, field="slot", code="past")
        raise DomainError(SLOT_JUST_TAKEN, field="slot", code="taken")
    # The spot's time is held; its teleconsultant is paired in the same transaction (none free: nothing is kept).
    return _pair_teleconsultant(slot, now, request.cell_id) if slot.is_spot_time else None


def _release(booking: Booking) -> None:
    freed = [booking.slot_id] + ([booking.paired_slot_id] if booking.paired_slot_id else [])
    Slot.objects.filter(pk__in=freed, booked__gt=0).update(booked=F("booked") - 1)


SAME_SLOT = _("The appointment is already in this slot.")


@transaction.atomic
@lock_wait_bounded()
def booking_move(*, booking: Booking, slot: Slot, user: User, now: datetime | None = None) -> Booking:
    """Move an appointment to another slot in one transaction: the new place is taken first (a lost race leaves the
    appointment where it was), then the old one is freed; the request stays oriented and its timeline says where."""
    now = now or timezone.now()
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(BOOKING_NOT_ACTIVE, field="slot")
    if booking.slot_id == slot.pk:
        raise DomainError(SAME_SLOT, field="slot")
    request = referrals.request_lock(booking.request)
    # Both slots locked in one order: two moves swapping slots wait for each other instead of deadlocking.
    list(Slot.objects.select_for_update().filter(pk__in=[booking.slot_id, slot.pk]).order_by("pk"))
    if Slot.objects.filter(pk=booking.slot_id, starts_at__lte=now).exists():
        raise DomainError(referrals.APPOINTMENT_NOT_MOVABLE, field="slot")
    paired = _take(slot, request, now)
    _release(booking)
    booking.slot, booking.paired_slot = slot, paired
    booking.save(update_fields=["slot", "paired_slot"])
    moved_to = Slot.objects.select_related("site", "professional", "commune").get(pk=slot.pk)
    referrals.request_appointment_moved(
        request=request, user=user, at=now, where=slot_label(moved_to, paired, request.cell_id), booking=booking
    )
    request.modality = moved_to.modality
    request.save(update_fields=["modality"])
    booking_changed.send(sender=Booking, booking=booking, change="moved")
    return booking


CANCEL_REASON_REQUIRED = _("Say why the appointment is cancelled: the patient and the effector are told.")


@transaction.atomic
@lock_wait_bounded()
def booking_cancel(*, booking: Booking, user: User | None, reason: str, now: datetime | None = None) -> Booking:
    """Cancel an appointment, always with its reason (on the timeline): the slot is free again and the request goes
    back to the coordinators."""
    if not reason.strip():
        raise DomainError(CANCEL_REASON_REQUIRED, field="reason")
    now = now or timezone.now()
    booking = Booking.objects.select_for_update().select_related("request").get(pk=booking.pk)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(BOOKING_NOT_ACTIVE)
    request = referrals.request_lock(booking.request)
    booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
    booking.save(update_fields=["status", "cancelled_at"])
    _release(booking)
    referral_series.sessions_taken_change(request, -1)
    if request.sessions_taken:  # other sessions of the series stay: the request stays oriented, this one to rebook
        text = referral_series.SESSION_CANCELLED % {
            "number": booking.session,
            "total": request.sessions,
            "reason": reason.strip(),
        }
        referral_series.request_session_event(request=request, user=user, at=now, text=str(text), booking=booking)
    else:
        referrals.request_appointment_cancelled(request=request, user=user, at=now, reason=reason, booking=booking)
    booking_changed.send(sender=Booking, booking=booking, change="cancelled")
    return booking


@transaction.atomic
@lock_wait_bounded()
def booking_outcome(
    *,
    booking: Booking,
    user: User,
    seen: bool,
    follow_up_needed: bool = False,
    note: str = "",
    professional: Professional | None = None,
    now: datetime | None = None,
) -> Booking:
    """What happened: seen, or no-show; whether a follow-up is needed; a short note for the médecin traitant. Once:
    an outcome already recorded is never overwritten. Given `professional` (an effector recording from their own
    appointments), they must be one of the appointment's effectors, checked under the lock (a move meanwhile)."""
    now = now or timezone.now()
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("slot", "paired_slot", "request")
        .get(pk=booking.pk)
    )
    if booking.status in (BookingStatus.SEEN, BookingStatus.NO_SHOW):
        raise DomainError(OUTCOME_ALREADY % {"outcome": booking.get_status_display()}, code="already")
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(BOOKING_NOT_ACTIVE)
    if professional is not None and not _takes_part(booking, professional):
        raise DomainError(APPOINTMENT_NOT_YOURS, code="not_yours")
    if booking.slot.starts_at > now:
        raise DomainError(OUTCOME_TOO_EARLY)
    request = referrals.request_lock(booking.request)
    booking.status = BookingStatus.SEEN if seen else BookingStatus.NO_SHOW
    booking.follow_up_needed, booking.outcome_note = follow_up_needed, note.strip()
    booking.outcome_by, booking.outcome_at = user, now
    booking.save()
    if not series_finish(request, user=user, now=now, note=note, follow_up_needed=follow_up_needed, booking=booking):
        done = referral_series.SESSION_RECORDED_SEEN if seen else referral_series.SESSION_RECORDED_NO_SHOW
        text = done % {"number": booking.session, "total": request.sessions}
        referral_series.request_session_event(request=request, user=user, at=now, text=str(text))
    booking_changed.send(sender=Booking, booking=booking, change="outcome")
    return booking


def series_finish(
    request: Request,
    *,
    user: User,
    now: datetime,
    note: str = "",
    follow_up_needed: bool = False,
    booking: Booking | None = None,
) -> bool:
    """Once every session of the (locked, oriented) request is recorded, the request is finished: seen if the patient
    came to one at least, else a no-show. A single appointment is a series of one."""
    if request.status != Status.ORIENTED:
        return False
    recorded = list(
        request.bookings.filter(status__in=(BookingStatus.SEEN, BookingStatus.NO_SHOW)).values_list("status", flat=True)
    )
    if len(recorded) < request.sessions:
        return False
    referrals.request_appointment_outcome(
        request=request,
        user=user,
        at=now,
        seen=BookingStatus.SEEN in recorded,
        note=note,
        follow_up_needed=follow_up_needed,
        booking=booking,
    )
    return True


@transaction.atomic
@lock_wait_bounded()
def request_sessions_set(*, request: Request, user: User, sessions: int, now: datetime | None = None) -> Request:
    """How many sessions the request needs (1 to 20; more than one for physiotherapy or nursing), never fewer than
    those booked or recorded. Shortened to those already recorded, the series is finished."""
    now = now or timezone.now()
    request = referrals.request_lock(request)
    referral_series.request_series_set(request=request, user=user, sessions=sessions, at=now)
    if not request.bookings.filter(status=BookingStatus.BOOKED).exists():
        series_finish(request, user=user, now=now)
    return request


EFFECTOR_NOTE_MAX = 1000
EFFECTOR_NOTE_TOO_LONG = _("The note for the effector holds at most 1,000 characters: nothing was saved.")


@transaction.atomic
@lock_wait_bounded()
def booking_note_set(*, booking: Booking, user: User, note: str, now: datetime | None = None) -> Booking:
    """The cell's note for the appointment's effectors (kept when it moves); an active appointment only. The
    request's timeline says it changed (the note itself is on the appointment)."""
    now = now or timezone.now()
    note = note.strip()
    if len(note) > EFFECTOR_NOTE_MAX:
        raise DomainError(EFFECTOR_NOTE_TOO_LONG, field="effector_note")
    booking = Booking.objects.select_for_update(of=("self",)).select_related("request").get(pk=booking.pk)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(BOOKING_NOT_ACTIVE)
    booking.effector_note = note
    booking.save(update_fields=["effector_note"])
    referrals.request_add_note(request=booking.request, user=user, text=str(EFFECTOR_NOTE_CHANGED), now=now)
    return booking


EFFECTOR_NOTE_CHANGED = _("Note for the effector changed.")


OUTCOME_ALREADY = _("What happened at this appointment was already recorded (%(outcome)s): nothing was changed.")
APPOINTMENT_NOT_YOURS = _("This appointment is not one of yours: only its effectors record what happened.")


def _takes_part(booking: Booking, professional: Professional) -> bool:
    """The professional gives this appointment's care: the slot's effector, the paired teleconsultant, an IDEL of
    the spot where it happens, or the Médicobus tour's assistant."""
    if professional.pk in (booking.slot.professional_id, getattr(booking.paired_slot, "professional_id", None)):
        return True
    if (
        booking.slot.is_spot_time
        and TelemedicineSpot.objects.filter(site=booking.slot.site_id, nurses=professional).exists()
    ):
        return True
    return MedicobusTour.objects.filter(stops__slots=booking.slot_id, assistant=professional).exists()


CANCEL_TOO_LATE = _("The appointment is in less than an hour: to cancel now, call the coordination cell.")
CANCEL_TOKEN_BYTES = 16  # the patient's cancel link: 22 characters, unguessable
CANCEL_BEFORE = timedelta(hours=1)
CANCELLED_BY_PATIENT = _("Cancelled by the patient (link in their SMS).")


@transaction.atomic
def booking_cancel_by_patient(*, token: str, now: datetime | None = None) -> Booking:
    """The patient cancels from the link in their SMS, until an hour before: the slot is free again and the request
    goes back to the coordinators. The link opens nothing else."""
    now = now or timezone.now()
    booking = booking_by_cancel_token(token)
    if booking.slot.starts_at - CANCEL_BEFORE <= now:
        raise DomainError(CANCEL_TOO_LATE, code="too_late")
    return booking_cancel(booking=booking, user=None, reason=str(CANCELLED_BY_PATIENT), now=now)
