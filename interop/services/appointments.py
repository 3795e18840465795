"""INT_R03: appointments that SAS regulators book in slots published to the SAS, pushed to the SAS platform.

Off unless `AIGUILLAGE_SAS_APPOINTMENTS_URL` is set. A booking made by a regulator's account in a slot open to the SAS
gets an `AppointmentPush` in the booking's own transaction (a rolled-back booking pushes nothing); each later change
(moved, cancelled, seen, no-show) raises its version. The worker claims the push with a conditional update, sends the
booking's state as it is then (FrAppointmentSAS), first by `POST [base]/Appointment`, then by the conditional update
`PUT [base]/Appointment?identifier=…` (which creates it when the POST never arrived), and retries with a growing delay
on a network error or a 5xx; a 4xx is given up and shown. `manage.py push_sas_appointments` (every 5 minutes) sends
what is due if a task was lost. A POST whose outcome is unknown (its answer came after the timeout or was cut off, the
connection dropped, or its worker died) is never followed by a second POST: the claim already recorded that it may
have created the appointment, so every later try is the conditional update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agenda.models import Booking, BookingStatus
from common import outbound

from .. import codes
from ..models import AppointmentPush, PushStatus, SasRegulator

MAX_ATTEMPTS = 10
CLAIM_FOR = timedelta(minutes=2)
STATUS = {
    BookingStatus.BOOKED: "booked",
    BookingStatus.CANCELLED: "cancelled",
    BookingStatus.SEEN: "fulfilled",
    BookingStatus.NO_SHOW: "noshow",
}


def pushing_enabled() -> bool:
    return bool(settings.AIGUILLAGE_SAS_APPOINTMENTS_URL)


def appointment_system() -> str:
    """Our identifier system for appointments: the guide asks for an OID or a URL of the software's own; each
    installation is its own authority, so its address is used."""
    return settings.AIGUILLAGE_BASE_URL.rstrip("/") + "/fhir/identifiants/rendez-vous"


def _operator(booking: Booking) -> tuple[str, str] | None:
    regulator = SasRegulator.objects.filter(user_id=booking.booked_by_id).first()
    if regulator is None:
        return None
    if regulator.national_id:
        return codes.IDNPS, regulator.national_id
    return codes.SAS_TECHNICAL_ID, regulator.sas_id or ""


def appointment_push_mark(*, booking: Booking, change: str, now: datetime | None = None) -> AppointmentPush | None:
    """Inside the booking's transaction: note that the SAS platform must hear of this booking's new state."""
    if not pushing_enabled():
        return None
    now = now or timezone.now()
    push = AppointmentPush.objects.filter(booking=booking).first()
    if push is None:
        if change != "booked" or not booking.slot.open_to_sas:
            return None
        operator = _operator(booking)
        professional = booking.slot.professional
        if operator is None or professional is None or not (professional.rpps or professional.adeli):
            return None
        push = AppointmentPush.objects.create(
            booking=booking,
            identifier_system=appointment_system(),
            operator_system=operator[0],
            operator_value=operator[1],
            next_attempt_at=now,
        )
    else:
        AppointmentPush.objects.filter(pk=push.pk).update(
            version=F("version") + 1, status=PushStatus.PENDING, attempts=0, next_attempt_at=now, last_error=""
        )
    from ..tasks import push_appointment

    push_appointment.enqueue(push.pk)
    return push


def appointment_resource(push: AppointmentPush, booking: Booking) -> dict[str, Any]:
    slot, professional = booking.slot, booking.slot.professional
    national_id = codes.national_ps_id(rpps=professional.rpps, adeli=professional.adeli) if professional else ""
    if not national_id:  # moved to a slot of someone the SAS cannot name
        raise ValueError("the appointment's slot has no professional with an RPPS or ADELI number")
    operator_type = "IDNPS" if push.operator_system == codes.IDNPS else "INTRN"
    return {
        "resourceType": "Appointment",
        "meta": {"profile": [codes.PROFILE_APPOINTMENT]},
        "extension": [
            {
                "url": codes.APPOINTMENT_OPERATOR,
                "valueReference": {
                    "identifier": {
                        "type": {"coding": [{"system": codes.INTEROPSANTE_V2_0203, "code": operator_type}]},
                        "system": push.operator_system,
                        "value": push.operator_value,
                    }
                },
            }
        ],
        "identifier": [{"system": push.identifier_system, "value": str(push.identifier)}],
        "status": STATUS[BookingStatus(booking.status)],
        "start": timezone.localtime(slot.starts_at).isoformat(timespec="seconds"),
        "end": timezone.localtime(slot.ends_at).isoformat(timespec="seconds"),
        "created": timezone.localtime(booking.booked_at).isoformat(timespec="seconds"),
        "participant": [
            {
                "actor": {"identifier": codes.practitioner_identifier(national_id)},
                "status": "accepted",
            }
        ],
    }


@dataclass(frozen=True)
class Delivery:
    ok: bool
    retry: bool
    error: str = ""


def _deliver(method: str, url: str, resource: dict[str, Any]) -> Delivery:
    if not url.startswith(("https://", "http://")):
        return Delivery(ok=False, retry=False, error="AIGUILLAGE_SAS_APPOINTMENTS_URL is not an http(s) address")
    platform = outbound.Service(
        purpose="SAS appointments",
        timeout=settings.AIGUILLAGE_SAS_TIMEOUT,
        ca_bundle=settings.AIGUILLAGE_SAS_CA_BUNDLE,
        client_cert=settings.AIGUILLAGE_SAS_CLIENT_CERT,
        client_key=settings.AIGUILLAGE_SAS_CLIENT_KEY,
    )
    try:
        # The status says it all: the body of a 2xx is not read.
        platform.send_json(method, url, resource, content_type="application/fhir+json", read_answer=False)
    except outbound.Refused as error:
        retry = error.status >= 500 or error.status in (408, 429)
        return Delivery(ok=False, retry=retry, error=str(error)[:500])
    except outbound.OutboundError as error:  # unreachable, or an answer lost or cut off: tried again, as an update
        return Delivery(ok=False, retry=True, error=str(error)[:500])
    return Delivery(ok=True, retry=False)


def _claim(push_pk: int, now: datetime) -> tuple[AppointmentPush, datetime] | None:
    """Take the push for one send, with a conditional update: returns it as it was and the claim's end (its token),
    or None when it is not due or another worker holds it. The claim itself records that a POST may leave, so that a
    worker killed mid-send is followed by a conditional update, never a second POST."""
    push = AppointmentPush.objects.filter(pk=push_pk).first()
    if push is None:
        return None
    until = now + max(CLAIM_FOR, timedelta(seconds=4 * settings.AIGUILLAGE_SAS_TIMEOUT))
    claimed = (
        AppointmentPush.objects.filter(
            pk=push_pk,
            status=PushStatus.PENDING,
            next_attempt_at__lte=now,
            created_remotely=push.created_remotely,
            version=push.version,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=until, created_remotely=True)
    )
    return (push, until) if claimed == 1 else None


def appointment_push_send(*, push_pk: int, now: datetime | None = None) -> datetime | None:
    """Send the appointment's current state once; returns when to try again, or None (sent, given up, not due, or
    another worker has it)."""
    now = now or timezone.now()
    if not pushing_enabled():
        return None
    claim = _claim(push_pk, now)
    if claim is None:
        return None
    push, until = claim
    booking = Booking.objects.select_related("slot__professional").get(pk=push.booking_id)
    version = push.version
    base = settings.AIGUILLAGE_SAS_APPOINTMENTS_URL.rstrip("/")
    try:
        resource = appointment_resource(push, booking)
    except ValueError as error:
        delivery = Delivery(ok=False, retry=False, error=str(error))
        resource = {"status": ""}
    else:
        if push.created_remotely:
            condition = quote(f"{push.identifier_system}|{push.identifier}", safe="")
            method, url = "PUT", f"{base}/Appointment?identifier={condition}"
        else:
            method, url = "POST", f"{base}/Appointment"
        delivery = _deliver(method, url, resource)
    with transaction.atomic():
        push = AppointmentPush.objects.select_for_update().get(pk=push_pk)
        if push.claimed_until != until:
            return None  # our claim ran out and another worker took the push over: its answer counts
        push.claimed_until = None
        push.attempts += 1
        retry_at = None
        changed_meanwhile = push.version != version
        if delivery.ok:
            push.sent_version = version
            push.last_sent_status = resource["status"]
            push.last_error = ""
        else:
            push.last_error = delivery.error
        if changed_meanwhile:  # a newer state waits: send it now, whatever this answer was
            push.attempts, retry_at = 0, now
        elif delivery.ok:
            push.status = PushStatus.SENT
        elif delivery.retry and push.attempts < MAX_ATTEMPTS:
            retry_at = now + timedelta(minutes=2 ** (push.attempts - 1))
        else:
            push.status = PushStatus.FAILED
        if retry_at is not None:
            push.next_attempt_at = retry_at
        push.save()
    return retry_at


def appointment_pushes_due(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        AppointmentPush.objects.filter(status=PushStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
