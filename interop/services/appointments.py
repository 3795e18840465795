"""INT_R03: appointments that SAS regulators book in slots published to the SAS, pushed to the SAS platform.

Off unless `AIGUILLAGE_SAS_APPOINTMENTS_URL` is set. A booking made by a regulator's account in a slot open to the SAS
gets an `AppointmentPush` in the booking's own transaction (a rolled-back booking pushes nothing); each later change
(moved, cancelled, seen, no-show) raises its version. The worker claims the push with a conditional update, sends the
booking's state as it is then (FrAppointmentSAS), first by `POST [base]/Appointment`, then by the conditional update
`PUT [base]/Appointment?identifier=…` (which creates it when the POST never arrived), and retries with a growing delay
on a network error or a 5xx; a 4xx is given up and shown. `manage.py push_sas_appointments` (every 5 minutes) sends
what is due if a task was lost.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agenda.models import Booking, BookingStatus

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
            booking=booking, operator_system=operator[0], operator_value=operator[1], next_attempt_at=now
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
    assert professional is not None
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
        "identifier": [{"system": appointment_system(), "value": str(push.identifier)}],
        "status": STATUS[BookingStatus(booking.status)],
        "start": timezone.localtime(slot.starts_at).isoformat(timespec="seconds"),
        "end": timezone.localtime(slot.ends_at).isoformat(timespec="seconds"),
        "created": timezone.localtime(booking.booked_at).isoformat(timespec="seconds"),
        "participant": [
            {
                "actor": {
                    "identifier": codes.practitioner_identifier(
                        codes.national_ps_id(rpps=professional.rpps, adeli=professional.adeli)
                    )
                },
                "status": "accepted",
            }
        ],
    }


@dataclass(frozen=True)
class Delivery:
    ok: bool
    retry: bool
    error: str = ""


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.AIGUILLAGE_SAS_CA_BUNDLE or None)
    if settings.AIGUILLAGE_SAS_CLIENT_CERT:
        context.load_cert_chain(settings.AIGUILLAGE_SAS_CLIENT_CERT, settings.AIGUILLAGE_SAS_CLIENT_KEY or None)
    return context


def _deliver(method: str, url: str, resource: dict[str, Any]) -> Delivery:
    if not url.startswith(("https://", "http://")):
        return Delivery(ok=False, retry=False, error="AIGUILLAGE_SAS_APPOINTMENTS_URL is not an http(s) address")
    call = urllib.request.Request(  # noqa: S310 (the scheme is checked just above)
        url,
        data=json.dumps(resource).encode(),
        method=method,
        headers={"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"},
    )
    context = _ssl_context() if url.startswith("https://") else None
    try:
        with urllib.request.urlopen(  # noqa: S310
            call, timeout=settings.AIGUILLAGE_SAS_TIMEOUT, context=context
        ) as answer:
            return Delivery(ok=200 <= answer.status < 300, retry=False)
    except urllib.error.HTTPError as error:
        body = error.read(400).decode("utf-8", "replace")
        retry = error.code >= 500 or error.code in (408, 429)
        return Delivery(ok=False, retry=retry, error=f"HTTP {error.code}: {body}"[:500])
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return Delivery(ok=False, retry=True, error=str(getattr(error, "reason", error))[:500])


def _claim(push_pk: int, now: datetime) -> bool:
    return (
        AppointmentPush.objects.filter(pk=push_pk, status=PushStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM_FOR)
        == 1
    )


def appointment_push_send(*, push_pk: int, now: datetime | None = None) -> datetime | None:
    """Send the appointment's current state once; returns when to try again, or None (sent, given up, not due, or
    another worker has it)."""
    now = now or timezone.now()
    if not pushing_enabled() or not _claim(push_pk, now):
        return None
    push = AppointmentPush.objects.get(pk=push_pk)
    booking = Booking.objects.select_related("slot__professional").get(pk=push.booking_id)
    version = push.version
    base = settings.AIGUILLAGE_SAS_APPOINTMENTS_URL.rstrip("/")
    resource = appointment_resource(push, booking)
    if push.created_remotely:
        condition = quote(f"{appointment_system()}|{push.identifier}", safe="")
        method, url = "PUT", f"{base}/Appointment?identifier={condition}"
    else:
        method, url = "POST", f"{base}/Appointment"
    delivery = _deliver(method, url, resource)
    with transaction.atomic():
        push = AppointmentPush.objects.select_for_update().get(pk=push_pk)
        # Whatever the answer, a POST may have reached the platform: from now on the conditional update is used.
        push.created_remotely = True
        push.claimed_until = None
        push.attempts += 1
        retry_at = None
        if delivery.ok:
            push.sent_version = version
            push.last_sent_status = resource["status"]
            push.last_error = ""
            if push.version == version:
                push.status = PushStatus.SENT
            else:  # changed while we were sending: send the newer state
                push.attempts, retry_at = 0, now
        elif delivery.retry and push.attempts < MAX_ATTEMPTS:
            retry_at = now + timedelta(minutes=2 ** (push.attempts - 1))
            push.last_error = delivery.error
        else:
            push.status = PushStatus.FAILED
            push.last_error = delivery.error
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
