"""Who is told what of a request, and in which words: the requester, the patient, the effectors, the supervising
doctor, the MT. Each message is queued in the caller's transaction through the outbox (`outbox.message_queue`)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AlertChannel, User
from agenda.models import Booking, BookingStatus
from common.phones import takes_sms
from directory.models import Profession, Professional
from directory.selectors import professional_named
from referrals.models import Channel, EventKind, Modality, Request, RequestEvent
from referrals.states import CloseReason, ReorientationReason, Status
from territory import opening

from .. import mssante, patient_sms, patient_text
from ..models import Message, MessageChannel, MessageKind
from ..selectors import is_opted_out
from ..sms import (
    MAX_SEGMENTS,
    segments,
)
from .outbox import email_about, health_notice_queue, message_about, message_queue

TOLD = {
    Status.RECEIVED: MessageKind.REQUEST_RECEIVED,
    Status.ORIENTED: MessageKind.REQUEST_ORIENTED,
    Status.REORIENTED: MessageKind.REQUEST_REORIENTED,
    Status.CLOSED: MessageKind.REQUEST_CLOSED,
}


def requester_address(request: Request) -> tuple[str, str]:
    """Where the requester reads their e-mail, and how to greet them: the professional, else the structure, else the
    account that sent the request itself."""
    for record in (request.requester_professional, request.requester_site):
        if record is not None and record.email:
            return record.email, str(record)
    user = request.submitted_by
    if request.channel in (Channel.WEB, Channel.API) and user is not None and user.email:
        return user.email, user.get_full_name() or user.username
    return "", ""


def _initials(request: Request) -> str:
    # E-mail is not a channel for health data: the patient is named by initials, the details wait behind the login.
    return f"{request.patient_first_name[:1].upper()}. {request.patient_last_name[:1].upper()}."


def _news(request: Request, kind: str) -> str:
    patient = _initials(request)
    if kind == MessageKind.REQUEST_RECEIVED:
        deadline = timezone.localtime(request.deadline_at)
        received = _(
            "The coordination cell has received your request for %(patient)s; it will act before %(deadline)s."
        ) % {
            "patient": patient,
            "deadline": f"{deadline:%d/%m/%Y %H:%M}",
        }
        # Received out of hours: when the cell reopens, and the 15 for a vital emergency.
        closed = opening.closed_answer(request.cell, request.received_at)
        return f"{received} {closed.text()}" if closed else received
    if kind in (MessageKind.REQUEST_ORIENTED, MessageKind.APPOINTMENT_MOVED):
        # When, not where nor with whom: the place and the professional wait behind the login.
        booking = request.bookings.filter(status="booked").select_related("slot").first()
        when = f"{timezone.localtime(booking.slot.starts_at):%d/%m/%Y %H:%M}" if booking else "—"
        text = (
            _("An appointment has been found for %(patient)s on %(when)s; where and with whom are in Aiguillage.")
            if kind == MessageKind.REQUEST_ORIENTED
            else _("The appointment of %(patient)s has moved to %(when)s; where and with whom are in Aiguillage.")
        )
        return text % {"patient": patient, "when": when}
    if kind == MessageKind.REQUEST_REORIENTED:
        return _("%(patient)s has been reoriented to %(resource)s (%(reason)s).") % {
            "patient": patient,
            "resource": request.reoriented_to,
            "reason": ReorientationReason(request.reorientation_reason).label if request.reorientation_reason else "",
        }
    return _("The request for %(patient)s has been closed: %(reason)s.") % {
        "patient": patient,
        "reason": CloseReason(request.close_reason).label if request.close_reason else "",
    }


def _is_requester(user: User, request: Request, address: str) -> bool:
    """The requester made this move themselves (sent it from their account, or it is their address)."""
    sent_it = user.pk == request.submitted_by_id and request.channel in (Channel.WEB, Channel.API)
    return sent_it or (bool(user.email) and user.email.lower() == address.lower())


def request_moved(*, request: Request, event: RequestEvent, booking: Booking | None = None) -> Message | None:
    """Queue the requester's e-mail for a move they should hear of (received, oriented, reoriented, closed); not when
    they made the move themselves, nor when there is no address to write to. Called inside the move's transaction,
    after the request is saved. `booking` is the appointment concerned when the agenda says which (a session of a
    series is booked or cancelled without the request moving: the patient and the effector hear of it)."""
    if event.kind == EventKind.APPOINTMENT_MOVED:
        kind: str | None = MessageKind.APPOINTMENT_MOVED
    else:
        kind = TOLD.get(Status(event.to_status)) if event.to_status else None
    session = event.kind == EventKind.SESSION and booking is not None
    if event.kind == EventKind.APPOINTMENT_MOVED or event.to_status == Status.ORIENTED or (session and booked(booking)):
        patient_booked(request=request, event=event, booking=booking)
        effector_told(request=request, event=event, booking=booking)
    elif event.to_status == Status.APPOINTMENT_CANCELLED or session:
        patient_cancelled(request=request, event=event, booking=booking)
        effector_told(request=request, event=event, booking=booking)
    elif event.to_status == Status.SEEN:
        mt_summary(request=request, event=event, booking=booking)
    elif event.kind == EventKind.DEBRIEF:
        mt_summary(request=request, event=event, debrief_only=True)
    elif event.to_status == Status.REORIENTED:
        patient_reoriented(request=request, event=event)
    if kind is None:
        return None
    address, name = requester_address(request)
    actor = event.actor
    if not address or (actor is not None and _is_requester(actor, request, address)):
        return None
    with translation.override(settings.LANGUAGE_CODE):
        url = settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse(
            "referrals:request_detail", kwargs={"cell": request.cell.slug, "pk": request.pk}
        )
        subject = _("[Aiguillage] Request %(reference)s: %(status)s") % {
            "reference": request.reference,
            "status": MessageKind(kind).label
            if event.kind == EventKind.APPOINTMENT_MOVED
            else Status(event.to_status).label,
        }
        body = render_to_string(
            "notifications/requester_update.txt",
            {"name": name, "news": _news(request, kind), "url": url, "cell": request.cell},
        )
    return email_about(request, kind, address, subject, body, key=f"{kind}:{event.pk}", at=event.at)


def _where(slot: Any) -> str:
    """Where the appointment is, in a few words, for the professionals' e-mails: the Médicobus stop, or the site."""
    return patient_sms.place_variants(slot)[0]


def _patient_sms(
    *,
    request: Request,
    kind: str,
    key: str,
    at: datetime,
    starts_at: datetime | None,
    places: list[str],
    token: str | None,
    more: dict[str, str] | None = None,
) -> Message | None:
    """Queue an SMS to the patient, fitted within two SMS with what matters whole (`patient_sms`); not when the
    requester answers for the patient, nor without a phone or to a landline, nor to a patient who declined
    messages."""
    if request.requester_answers or not request.patient_phone or not takes_sms(request.patient_phone):
        return None  # a landline: the request page says to tell the patient by phone
    if is_opted_out(request.cell_id, request.patient_phone.as_e164):
        return None
    fitted = patient_sms.compose(request.cell, kind, starts_at=starts_at, places=places, cancel_token=token, more=more)
    return message_about(
        request,
        kind=kind,
        channel=MessageChannel.SMS,
        to=request.patient_phone.as_e164,
        subject=str(MessageKind(kind).label),
        body=fitted.text,
        key=key,
        at=at,
    )


def _patient_news(request: Request, event: RequestEvent, kind: str, **sms: Any) -> Message | None:
    """The patient's SMS for a line of the request's timeline: one per line (its key), dated by it."""
    return _patient_sms(request=request, kind=kind, key=f"{kind}:{event.pk}", at=event.at, **sms)


def booked(booking: Booking | None) -> bool:
    return booking is not None and booking.status == BookingStatus.BOOKED


def patient_booked(*, request: Request, event: RequestEvent, booking: Booking | None = None) -> Message | None:
    """The patient's SMS when an appointment is booked or moved: day, time, place, what to bring, how to cancel."""
    if booking is None:
        booking = (
            request.bookings.filter(status="booked").select_related("slot__site__commune", "slot__commune").first()
        )
    if booking is None:
        return None
    return _patient_news(
        request,
        event,
        MessageKind.PATIENT_BOOKED,
        starts_at=booking.slot.starts_at,
        places=patient_sms.place_variants(booking.slot),
        token=booking.cancel_token,
    )


def patient_cancelled(*, request: Request, event: RequestEvent, booking: Booking | None = None) -> Message | None:
    """The patient's SMS when the cell cancels their appointment (not when they cancelled it from their link: the
    page told them)."""
    if event.actor is None:
        return None
    if booking is None:
        booking = request.bookings.filter(status="cancelled").select_related("slot").order_by("-cancelled_at").first()
    if booking is None:
        return None
    return _patient_news(
        request,
        event,
        MessageKind.PATIENT_CANCELLED,
        starts_at=booking.slot.starts_at,
        places=[""],
        token=None,
    )


def patient_reoriented(*, request: Request, event: RequestEvent) -> Message | None:
    """The reoriented patient's SMS: where to go (the resource's name, address and phone), and the 15 if it gets
    worse; not when the requester answers for the patient."""
    resource = request.reoriented_to
    if resource is None:
        return None
    return _patient_news(
        request,
        event,
        MessageKind.PATIENT_REORIENTED,
        starts_at=None,
        places=patient_sms.resource_variants(resource),
        token=None,
        more={"telephone_lieu": resource.phone.as_national if resource.phone else ""},
    )


def _tell_members(
    *,
    request: Request,
    kind: str,
    key: str,
    at: datetime,
    members: list[Any],
    subject: str,
    text: str,
    sms: bool,
    short: str = "",
) -> list[Message]:
    """One message to each member of the cell about a request: an SMS when `sms`, they did not choose e-mail, and
    their professional record has a mobile; else an e-mail (their record's, else their account's); nobody reachable
    is skipped. An SMS is in the GSM alphabet and within two parts: when `text` would take more, `short` (the same
    without the cell's name) is sent, so that the reference and the link stay whole."""
    sms_text = patient_text.to_gsm(text)
    if short and segments(sms_text) > MAX_SEGMENTS:
        sms_text = patient_text.to_gsm(short)
    queued = []
    for membership in members:
        professional = membership.professional
        wants_sms = sms and membership.alert_channel != AlertChannel.EMAIL
        phone = professional.phone if wants_sms and professional is not None else None
        mobile = str(phone.as_e164) if phone and takes_sms(phone) else None
        email = (professional.email if professional is not None else "") or membership.user.email
        if mobile is None and not email:
            continue
        message = message_about(
            request,
            kind=kind,
            channel=MessageChannel.SMS if mobile else MessageChannel.EMAIL,
            to=mobile or email,
            subject=subject,
            body=sms_text if mobile else text,
            key=f"{key}:{membership.user_id}",
            recipient=membership.user,
            at=at,
        )
        if message is not None:
            queued.append(message)
    return queued


def supervisor_asked(*, request: Request, question_pk: int, at: datetime, supervisors: list[Any]) -> list[Message]:
    """Tell the supervising doctors a question is waiting (the one on duty, else every supervisor of the cell): an
    SMS when their professional record has a mobile, else an e-mail; the reference and a link, no health detail."""
    with translation.override(settings.LANGUAGE_CODE):
        url = settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse(
            "referrals:supervisor_inbox", kwargs={"cell": request.cell.slug}
        )
        text = _("%(cell)s: a coordinator asks for your opinion on request %(reference)s. Answer: %(url)s") % {
            "cell": request.cell.name,
            "reference": request.reference,
            "url": url,
        }
        short = _("A coordinator asks for your opinion on request %(reference)s. Answer: %(url)s") % {
            "reference": request.reference,
            "url": url,
        }
        subject = _("[Aiguillage] A question is waiting for you (%(reference)s)") % {"reference": request.reference}
    return _tell_members(
        request=request,
        kind=MessageKind.SUPERVISOR_ASKED,
        key=f"{MessageKind.SUPERVISOR_ASKED}:{question_pk}",
        at=at,
        members=supervisors,
        subject=subject,
        text=text,
        short=short,
        sms=True,
    )


def deadline_near(*, request: Request, at: datetime, coordinators: list[Any], supervisors: list[Any]) -> list[Message]:
    """Tell the coordinators (by e-mail: they are at their desk) and the supervising doctor on duty (an SMS to a
    mobile, else an e-mail) that a request still waits as its deadline nears: the reference, the deadline and a link,
    no health detail."""
    deadline = timezone.localtime(request.deadline_at)
    with translation.override(settings.LANGUAGE_CODE):
        url = settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse(
            "referrals:request_detail", kwargs={"cell": request.cell.slug, "pk": request.pk}
        )
        text = _(
            "%(cell)s: request %(reference)s is still waiting and its deadline is %(deadline)s. Open it: %(url)s"
        ) % {
            "cell": request.cell.name,
            "reference": request.reference,
            "deadline": f"{deadline:%d/%m %H:%M}",
            "url": url,
        }
        short = _("Request %(reference)s is still waiting, deadline %(deadline)s. Open it: %(url)s") % {
            "reference": request.reference,
            "deadline": f"{deadline:%d/%m %H:%M}",
            "url": url,
        }
        subject = _("[Aiguillage] Deadline near: %(reference)s") % {"reference": request.reference}
    key = f"{MessageKind.DEADLINE_NEAR}:{request.pk}"
    return [
        *_tell_members(
            request=request,
            kind=MessageKind.DEADLINE_NEAR,
            key=key,
            at=at,
            members=coordinators,
            subject=subject,
            text=text,
            sms=False,
        ),
        *_tell_members(
            request=request,
            kind=MessageKind.DEADLINE_NEAR,
            key=key,
            at=at,
            members=supervisors,
            subject=subject,
            text=text,
            short=short,
            sms=True,
        ),
    ]


def _address_digest(address: str) -> str:
    # The whole address stands in the key, whatever its length (cut, two addresses sharing their beginning made
    # one key, and the second effector was never told).
    return hashlib.blake2b(address.lower().encode(), digest_size=16).hexdigest()


def _effectors_of(slot: Any, paired: Any) -> list[tuple[str, str]]:
    """Who gives the care of a booking, with an e-mail: the slot's professional (else its site), the paired
    teleconsultant, and at a telemedicine spot its IDEL (they receive the patient)."""
    records = [slot.professional or slot.site, paired.professional if paired is not None else None]
    if slot.is_spot_time and slot.site is not None and hasattr(slot.site, "spot"):
        records += list(slot.site.spot.nurses.all())
    found: list[tuple[str, str]] = []
    for record in records:
        if record is not None and record.email and record.email.lower() not in {a.lower() for a, _n in found}:
            found.append((record.email, str(record)))
    return found


def effector_told(*, request: Request, event: RequestEvent, booking: Booking | None = None) -> list[Message]:
    """The effector's e-mail when an appointment (`booking`, else the request's latest) is booked with them, moved or
    cancelled: when, where, the patient by initials; the details wait in their Aiguillage agenda."""
    cancelled = event.to_status == Status.APPOINTMENT_CANCELLED or (
        booking is not None and booking.status == BookingStatus.CANCELLED
    )
    if cancelled:
        kind = MessageKind.EFFECTOR_CANCELLED
        if booking is None:
            booking = request.bookings.filter(status="cancelled").order_by("-cancelled_at").first()
    else:
        kind = MessageKind.EFFECTOR_MOVED if event.kind == EventKind.APPOINTMENT_MOVED else MessageKind.EFFECTOR_BOOKED
        if booking is None:
            booking = request.bookings.filter(status="booked").first()
    if booking is None:
        return []
    slot = booking.slot
    when = f"{timezone.localtime(slot.starts_at):%d/%m/%Y %H:%M}"
    news = {
        MessageKind.EFFECTOR_BOOKED: _("A new appointment with you: %(patient)s on %(when)s, %(where)s."),
        MessageKind.EFFECTOR_MOVED: _("An appointment with you has moved: %(patient)s now on %(when)s, %(where)s."),
        MessageKind.EFFECTOR_CANCELLED: _("The appointment of %(patient)s on %(when)s, %(where)s, is cancelled."),
    }[kind]
    where = _where(slot)
    if slot.modality == Modality.HOME_VISIT:  # the effector goes to the patient: their commune (the rest in Aiguillage)
        where = f"{where}, {request.patient_commune.name}"
    queued = []
    for address, name in _effectors_of(slot, booking.paired_slot):
        if event.actor is not None and event.actor.email and event.actor.email.lower() == address.lower():
            continue  # they did it themselves
        with translation.override(settings.LANGUAGE_CODE):
            body = render_to_string(
                "notifications/requester_update.txt",
                {
                    "name": name,
                    "news": news % {"patient": _initials(request), "when": when, "where": where},
                    "url": settings.AIGUILLAGE_BASE_URL.rstrip("/")
                    + reverse("agenda:appointments", kwargs={"cell": request.cell.slug}),
                    "cell": request.cell,
                },
            )
            subject = _("[Aiguillage] %(what)s: %(when)s") % {"what": MessageKind(kind).label, "when": when}
        message = email_about(
            request, kind, address, subject, body, key=f"{kind}:{event.pk}:{_address_digest(address)}", at=event.at
        )
        if message is not None:
            queued.append(message)
    return queued


def mt_summary(
    *, request: Request, event: RequestEvent, debrief_only: bool = False, booking: Booking | None = None
) -> Message | None:
    """A short summary to the médecin traitant after the consultation, when the directory knows them by the name
    given at intake. After an assisted teleconsultation it carries the spot IDEL's debrief; a debrief recorded after
    the summary left follows it (`debrief_only`). It carries health details (birth date, care, note, debrief): see
    `health_message` for the way it leaves."""
    if not request.mt_name:
        return None
    doctor = professional_named(request.cell_id, request.mt_name, (Profession.GP,))
    if booking is None or booking.status != BookingStatus.SEEN:  # of a series, the last session seen
        booking = (
            request.bookings.filter(status="seen")
            .select_related("slot__professional", "slot__site", "paired_slot__professional", "debrief")
            .order_by("-outcome_at", "-pk")
            .first()
        )
    if doctor is None or booking is None:
        return None
    debrief = getattr(booking, "debrief", None)  # the reverse one-to-one's "does not exist" is an AttributeError
    if debrief_only and debrief is None:
        return None
    slot = booking.slot
    by = slot.professional or slot.site or ""
    if booking.paired_slot is not None and booking.paired_slot.professional is not None:
        by = f"{booking.paired_slot.professional} ({slot.site})"
    with translation.override(settings.LANGUAGE_CODE):
        born = f"{request.patient_birth_date:%d/%m/%Y}" if request.patient_birth_date else "—"
        details = render_to_string(
            "notifications/mt_summary.txt",
            {
                "doctor": doctor,
                "patient": _initials(request),
                "born": born,
                "when": f"{timezone.localtime(slot.starts_at):%d/%m/%Y %H:%M}",
                "by": by,
                "care": request.get_care_channel_display(),
                "note": "" if debrief_only else booking.outcome_note,
                "follow_up": booking.follow_up_needed and not debrief_only,
                "debrief": debrief,
                "debrief_only": debrief_only,
                "cell": request.cell,
            },
        )
        subject = (
            _("[Aiguillage] Your patient %(patient)s: the nurse's debrief of %(day)s")
            if debrief_only
            else _("[Aiguillage] Your patient %(patient)s was seen on %(day)s")
        ) % {
            "patient": _initials(request),
            "day": f"{timezone.localtime(slot.starts_at):%d/%m}",
        }
    return health_message(
        request,
        kind=MessageKind.MT_SUMMARY,
        professional=doctor,
        subject=subject,
        details=details,
        key=f"{MessageKind.MT_SUMMARY}:{event.pk}",
        at=event.at,
    )


def health_message(
    request: Request, *, kind: str, professional: Professional, subject: str, details: str, key: str, at: datetime
) -> Message | None:
    """Queue a message carrying health details to a professional. With the MSSanté relay configured and an MSSanté
    address in their record, it goes there whole, through the relay (and should the relay refuse it for good, the
    notice follows: `outbox.message_send`). Else their ordinary e-mail gets a notice with no health detail and a link
    to read it after logging in (`outbox.health_notice_queue`). Nobody reachable: nothing is queued."""
    if mssante.relay_configured() and mssante.is_mssante_address(professional.mssante):
        return message_queue(
            Message(
                cell_id=request.cell_id,
                request=request,
                kind=kind,
                channel=MessageChannel.MSSANTE,
                to=professional.mssante,
                professional=professional,
                subject=subject,
                body=details,
                details=details,
                key=key,
                created_at=at,
            )
        )
    return health_notice_queue(request=request, kind=kind, professional=professional, details=details, key=key, at=at)


def reminders_queue(*, now: datetime | None = None) -> int:
    """The reminder SMS to each patient whose appointment is tomorrow (Paris date), once per booking and time (a
    moved appointment gets its own); run daily by `manage.py send_reminders`. Returns how many were queued."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    zone = timezone.get_current_timezone()
    start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=zone)
    bookings = (
        Booking.objects.filter(
            status=BookingStatus.BOOKED, slot__starts_at__gte=start, slot__starts_at__lt=start + timedelta(days=1)
        )
        .exclude(request__patient_phone="")
        .filter(request__requester_answers=False)
        .select_related("slot__site__commune", "slot__commune", "request__cell")
    )
    queued = 0
    for booking in bookings:
        message = _patient_sms(
            request=booking.request,
            kind=MessageKind.PATIENT_REMINDER,
            key=f"{MessageKind.PATIENT_REMINDER}:{booking.pk}:{booking.slot_id}",
            at=now,
            starts_at=booking.slot.starts_at,
            places=patient_sms.place_variants(booking.slot),
            token=booking.cancel_token,
        )
        queued += message is not None
    return queued
