"""Retention and erasure: a request's personal data is removed, its statistics stay.

What goes: the patient's names, date of birth, sex, street address, phone, the médecin traitant's name, every free text
(the reason, notes of callbacks and of the timeline, questions to the supervisor and answers, qualification answers,
the note to the médecin traitant), the texts and patient addresses of the messages, the cancel link.
What stays (what the indicators count): the cell, channel, dates and deadline, statuses and their times, the commune
(the territory's figures), kind of reason, care, urgency, modality, where the patient would have gone, outcomes,
callbacks' outcomes and times, bookings and slots, the requester (a professional, not the patient).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agenda.models import Booking, BookingStatus
from audit.context import SYSTEM
from audit.models import AccessAction, DataPolicy
from audit.services import access_record
from common.errors import DomainError
from notifications.models import Message
from referrals.models import Callback, Qualification, Request, RequestEvent, SupervisorQuestion
from referrals.states import OPEN
from surveys.models import Audience, Survey
from territory.models import Cell

ANONYMOUS_NAME = "—"
STILL_OPEN = _("This request is still being handled: its data is needed until it ends.")
APPOINTMENT_AHEAD = _("This request has an appointment to come: cancel it first, or wait until it has taken place.")
MONTH_DAYS = 30.44


def policy_for(cell: Cell) -> DataPolicy:
    found, _created = DataPolicy.objects.get_or_create(cell=cell)
    return found


def erasable(request: Request, *, now: datetime) -> None:
    """Raises DomainError unless the request's personal data may go now (the care it was for is over)."""
    if request.status in OPEN:
        raise DomainError(STILL_OPEN)
    if Booking.objects.filter(request=request, status=BookingStatus.BOOKED, slot__starts_at__gt=now).exists():
        raise DomainError(APPOINTMENT_AHEAD)


def _strip(requests: QuerySet[Request], *, now: datetime) -> int:
    ids = list(requests.filter(anonymised_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        return 0
    Request.objects.filter(pk__in=ids).update(
        patient_last_name=ANONYMOUS_NAME,
        patient_first_name="",
        patient_search_name="",
        patient_birth_date=None,
        patient_sex="",
        patient_street="",
        patient_phone="",
        mt_name="",
        reason="",
        submission_key="",
        submission_fingerprint="",
        holder=None,
        held_since=None,
        anonymised_at=now,
    )
    RequestEvent.objects.filter(request_id__in=ids).update(text="")
    Callback.objects.filter(request_id__in=ids).update(note="")
    SupervisorQuestion.objects.filter(request_id__in=ids).update(question="", answer="")
    Qualification.objects.filter(request_id__in=ids).update(answers=[], reason="")
    Booking.objects.filter(request_id__in=ids).update(cancel_token=None, outcome_note="")
    Message.objects.filter(request_id__in=ids).update(subject="", body="", error="")
    Message.objects.filter(request_id__in=ids, recipient__isnull=True).update(to="")
    Survey.objects.filter(request_id__in=ids).update(comment="")
    Survey.objects.filter(request_id__in=ids, audience=Audience.PATIENT).update(address="")  # the patient's phone
    return len(ids)


@transaction.atomic
def request_anonymise(*, request: Request, now: datetime | None = None) -> None:
    """Erasure asked for by the patient (or their representative), where it may be done: now, and logged."""
    now = now or timezone.now()
    locked = Request.objects.select_for_update().get(pk=request.pk)
    erasable(locked, now=now)
    _strip(Request.objects.filter(pk=locked.pk), now=now)
    access_record(
        action=AccessAction.ANONYMISE,
        object_type="request",
        object_id=locked.reference,
        requests=[locked],
        cell=locked.cell_id,
        detail="erasure asked",
    )


def expired(cell: Cell, *, now: datetime) -> QuerySet[Request]:
    months = policy_for(cell).request_months
    before = now - timedelta(days=round(months * MONTH_DAYS))
    ahead = Booking.objects.filter(status=BookingStatus.BOOKED, slot__starts_at__gt=now).values("request_id")
    return (
        Request.objects.filter(cell=cell, anonymised_at__isnull=True)
        .exclude(status__in=OPEN)
        .exclude(pk__in=ahead)  # an appointment booked further ahead than the period: kept until it has happened
        .filter(Q(last_activity_at__lt=before) | Q(last_activity_at__isnull=True, received_at__lt=before))
    )


def anonymise_expired(*, now: datetime | None = None) -> dict[str, int]:
    """The daily job: every cell's requests past their retention, anonymised, one log row per cell and run."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    for cell in Cell.objects.order_by("pk"):
        with transaction.atomic():
            ids = list(expired(cell, now=now).values_list("pk", flat=True)[:10_000])
            count = _strip(Request.objects.filter(pk__in=ids), now=now)
            if count:
                access_record(
                    action=AccessAction.ANONYMISE,
                    object_type="retention",
                    requests=ids,
                    cell=cell.pk,
                    detail=f"{count} requests past {policy_for(cell).request_months} months",
                    actor=SYSTEM,
                )
        done[cell.slug] = count
    return done
