"""Receiving requests: from requesters (web, phone, API) and patients (QR code), with duplicates flagged."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import User
from common.errors import DomainError
from common.locking import lock_names, lock_wait_bounded
from common.text import normalize
from directory.models import Professional, Site
from territory.geocoding import ban_enabled
from territory.models import Cell, Commune
from territory.selectors import commune_in_cell

from ..deadlines import deadline_for
from ..models import (
    CareChannel,
    Channel,
    DuplicateFlag,
    EventKind,
    Partner,
    PublicSubmission,
    Request,
)
from ..states import OPEN, Status
from ._core import (
    EXAM_REQUIRED,
    _announce,
    _event,
    _locked,
)

FIELD_REQUIRED = _("This field is required.")
PHONE_REQUIRED = _("Give the patient's phone, or say that you answer for the patient.")
REQUESTER_REQUIRED = _("Say who sends the request.")
REQUESTER_OF_OTHER_CELL = _("This requester does not belong to the cell.")
BIRTH_DATE_IN_FUTURE = _("A date of birth cannot be in the future.")
VITAL_EMERGENCY = _("A vital emergency is not unscheduled care: call the 15 now. Nothing has been recorded.")
KEY_REUSED = _(
    "This key already names a request for another patient or reason: give each new request a key of its own. "
    "Nothing has been recorded."
)


class VitalEmergency(DomainError):
    def __init__(self) -> None:
        super().__init__(VITAL_EMERGENCY, field="vital_emergency", code="vital_emergency")


@dataclass(frozen=True)
class PatientData:
    last_name: str
    first_name: str
    commune: Commune
    birth_date: date | None = None
    sex: str = ""
    street: str = ""
    phone: PhoneNumber | str = ""
    requester_answers: bool = False
    mt_name: str = ""
    mt_situation: str = "no_mt"


@dataclass(frozen=True)
class NeedData:
    reason: str
    reason_category: str
    care_channel: str
    urgency: str
    elsewhere: str
    exam_type: str = ""


def stored_submission_key(submitted_by: User | None, key: str) -> str:
    """What identifies a submission in the database: the SHA-256 of the sender and of their key, whole. Scoped to
    whoever sends it (another organisation's key never returns, nor blocks, this one's request), and never cut: two
    keys that differ only at their end are two submissions, whatever their length."""
    scope = submitted_by.pk if submitted_by is not None else "anonymous"
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


def submission_fingerprint(patient: PatientData, need: NeedData) -> str:
    """Who and why, as sent: the same key sent again must carry the same patient and reason."""
    birth = patient.birth_date.isoformat() if patient.birth_date else ""
    reason = " ".join(need.reason.split())
    sent = "\n".join((normalize(patient.last_name), normalize(patient.first_name), birth, reason))
    return hashlib.sha256(sent.encode()).hexdigest()


def _same_submission(existing: Request, fingerprint: str) -> Request:
    # A retry of the same submission gets the first request; the same key with another patient or reason is a
    # sender's mistake, refused rather than answered with someone else's request (the second patient would be lost).
    if existing.submission_fingerprint and existing.submission_fingerprint != fingerprint:
        raise DomainError(KEY_REUSED, field="submission_key", code="key_reused")
    return existing


@transaction.atomic
def request_create(
    *,
    cell: Cell,
    channel: str,
    patient: PatientData,
    need: NeedData,
    submitted_by: User | None,
    requester_professional: Professional | None = None,
    requester_site: Site | None = None,
    partner: Partner | None = None,
    vital_emergency: bool = False,
    submission_key: str = "",
    now: datetime | None = None,
) -> Request:
    """Record a request: received (or to validate, from a QR code), with its deadline and a first timeline line.

    A vital emergency is refused before anything is stored. The same `submission_key` twice returns the first request
    (a double submit creates one request). A patient matching an open request is flagged on both, never merged.
    """
    if vital_emergency:
        raise VitalEmergency()
    now = now or timezone.now()
    fingerprint = submission_fingerprint(patient, need)
    if submission_key:
        submission_key = stored_submission_key(submitted_by, submission_key)
        existing = Request.objects.filter(cell=cell, submission_key=submission_key).first()
        if existing is not None:
            return _same_submission(existing, fingerprint)
    if channel != Channel.QR and requester_professional is None and requester_site is None:
        raise DomainError(REQUESTER_REQUIRED, field="requester")
    for record, field in ((requester_professional, "requester_professional"), (requester_site, "requester_site")):
        if record is not None and record.cell_id != cell.pk:
            raise DomainError(REQUESTER_OF_OTHER_CELL, field=field)
    for value, field in (
        (patient.last_name, "patient_last_name"),
        (patient.first_name, "patient_first_name"),
        (need.reason, "reason"),
    ):
        if not value.strip():
            raise DomainError(FIELD_REQUIRED, field=field)
    if not patient.phone and not patient.requester_answers:
        raise DomainError(PHONE_REQUIRED, field="patient_phone")
    if patient.birth_date and patient.birth_date > timezone.localdate(now):
        raise DomainError(BIRTH_DATE_IN_FUTURE, field="patient_birth_date")
    if need.care_channel == CareChannel.IMAGING and not need.exam_type:
        raise DomainError(EXAM_REQUIRED, field="exam_type")
    status = Status.TO_VALIDATE if channel == Channel.QR else Status.RECEIVED
    request = Request(
        cell=cell,
        reference=uuid.uuid4().hex[:20],
        channel=channel,
        status=status,
        received_at=now,
        deadline_at=deadline_for(now, need.urgency),
        requester_professional=requester_professional,
        requester_site=requester_site,
        submitted_by=submitted_by,
        partner=partner,
        patient_last_name=patient.last_name.strip(),
        patient_first_name=patient.first_name.strip(),
        patient_search_name=normalize(f"{patient.last_name} {patient.first_name}"),
        patient_birth_date=patient.birth_date,
        patient_sex=patient.sex,
        patient_street=patient.street,
        patient_commune=patient.commune,
        patient_phone=patient.phone or "",
        requester_answers=patient.requester_answers,
        mt_name=patient.mt_name.strip(),
        mt_situation=patient.mt_situation,
        reason=need.reason.strip(),
        reason_category=need.reason_category,
        care_channel=need.care_channel,
        exam_type=need.exam_type if need.care_channel == CareChannel.IMAGING else "",
        urgency=need.urgency,
        elsewhere=need.elsewhere,
        submission_key=submission_key,
        submission_fingerprint=fingerprint if submission_key else "",
        last_activity_at=now,
    )
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        # The same submission, saved a moment ago by a concurrent double click.
        existing = Request.objects.filter(cell=cell, submission_key=submission_key).first() if submission_key else None
        if existing is None:
            raise
        return _same_submission(existing, fingerprint)
    request.reference = f"D{now.year % 100:02d}-{request.pk:06d}"
    request.save(update_fields=["reference"])
    move = _event(
        request, at=now, actor=submitted_by, kind=EventKind.MOVE, to_status=status, text=str(Channel(channel).label)
    )
    _flag_duplicates(request, now=now)
    _announce(request, move)
    _geocode_later(request)
    return request


def _geocode_later(request: Request) -> None:
    """With BAN geocoding on, the patient's address is placed by the worker (queued in this transaction: nothing is
    queued for a request rolled back); intake never waits for BAN, and the commune's point serves meanwhile."""
    if ban_enabled() and request.patient_street:
        from ..tasks import geocode_patient_address

        geocode_patient_address.enqueue(request.pk)


def _flag_duplicates(request: Request, *, now: datetime) -> None:
    # Two channels may receive the same patient at the same moment: each transaction would miss the other's
    # uncommitted row. Serialised on the patient's normalised name, the second one sees the first (or, when the first
    # holds the name longer than the lock timeout, is refused with "try again": nothing is recorded).
    with lock_wait_bounded():
        lock_names(f"request-patient:{request.cell_id}:{request.patient_search_name}")
    same_patient = Q(patient_birth_date=request.patient_birth_date) if request.patient_birth_date else Q(pk__in=[])
    if request.patient_phone:
        same_patient |= Q(patient_phone=request.patient_phone)
    twins = (
        Request.objects.filter(cell=request.cell, patient_search_name=request.patient_search_name, status__in=OPEN)
        .filter(same_patient)
        .exclude(pk=request.pk)
    )
    for twin in twins:
        first, second = sorted((twin.pk, request.pk))
        DuplicateFlag.objects.get_or_create(first_id=first, second_id=second)
        for one, other in ((request, twin), (twin, request)):
            _event(one, at=now, actor=None, kind=EventKind.DUPLICATE, text=other.reference, visible_to_requester=False)


PARTNER_OUTSIDE = _("%(commune)s is not in the territory of %(cell)s.")
PARTNER_DUPLICATE = _("The cell already has a partner with this name.")
TOO_MANY_SUBMISSIONS = _("Several requests were just sent from here. Please wait a few minutes, or ask the staff.")
PUBLIC_WINDOW = timedelta(minutes=10)
PUBLIC_MAX_PER_WINDOW = 5


@transaction.atomic
def partner_save(*, cell: Cell, partner: Partner | None = None, **fields: object) -> Partner:
    """Create or change a partner organisation; its commune lies in the cell's territory."""
    partner = partner or Partner(cell=cell)
    for name, value in fields.items():
        setattr(partner, name, value)
    if not commune_in_cell(partner.commune, cell):
        raise DomainError(
            _("%(commune)s is not in the territory of %(cell)s.") % {"commune": partner.commune, "cell": cell.name},
            field="commune",
        )
    if Partner.objects.filter(cell=cell, name__iexact=partner.name).exclude(pk=partner.pk).exists():
        raise DomainError(PARTNER_DUPLICATE, field="name")
    partner.save()
    return partner


@transaction.atomic
def public_throttle(*, partner: Partner, address: str, now: datetime | None = None) -> None:
    """At most a few self-registrations per address and partner every few minutes; the address itself is not kept,
    only a keyed hash of it, for a day. Counted and recorded under a lock on that hash: simultaneous submissions
    from one address are counted one after the other, so none slips past the limit."""
    now = now or timezone.now()
    key = hmac.new(django_settings.SECRET_KEY.encode(), f"{partner.token}|{address}".encode(), hashlib.sha256)
    digest = key.hexdigest()
    lock_names(f"referrals.public_submission:{digest}")
    PublicSubmission.objects.filter(at__lt=now - timedelta(days=1)).delete()
    recent = PublicSubmission.objects.filter(key=digest, at__gte=now - PUBLIC_WINDOW).count()
    if recent >= PUBLIC_MAX_PER_WINDOW:
        raise DomainError(TOO_MANY_SUBMISSIONS, code="throttled")
    PublicSubmission.objects.create(key=digest, at=now)


ANONYMISED = _("This request's personal data was removed: there is nothing left to correct.")


@transaction.atomic
def request_patient_rectify(
    *, request: Request, user: User, patient: PatientData, now: datetime | None = None
) -> Request:
    """The patient (or their representative) asks for their identity or contact details to be corrected (RGPD art.
    16): the same checks as at intake, the change written on the timeline (which fields, not their values)."""
    now = now or timezone.now()
    request = _locked(request)
    if request.anonymised_at is not None:
        raise DomainError(ANONYMISED)
    for value, field in ((patient.last_name, "patient_last_name"), (patient.first_name, "patient_first_name")):
        if not value.strip():
            raise DomainError(FIELD_REQUIRED, field=field)
    if not patient.phone and not request.requester_answers:
        raise DomainError(PHONE_REQUIRED, field="patient_phone")
    if patient.birth_date and patient.birth_date > timezone.localdate(now):
        raise DomainError(BIRTH_DATE_IN_FUTURE, field="patient_birth_date")
    new: dict[str, Any] = {
        "patient_last_name": patient.last_name.strip(),
        "patient_first_name": patient.first_name.strip(),
        "patient_birth_date": patient.birth_date,
        "patient_sex": patient.sex,
        "patient_street": patient.street.strip(),
        "patient_phone": patient.phone or "",
        "patient_commune": patient.commune,
    }
    changed = [field for field, value in new.items() if getattr(request, field) != value]
    if not changed:
        return request
    for field, value in new.items():
        setattr(request, field, value)
    request.patient_search_name = normalize(f"{request.patient_last_name} {request.patient_first_name}")
    request.save(update_fields=[*new, "patient_search_name"])
    if {"patient_street", "patient_commune"} & set(changed):
        _geocode_later(request)
    labels = ", ".join(str(getattr(Request._meta.get_field(field), "verbose_name", field)) for field in changed)
    _event(
        request,
        at=now,
        actor=user,
        kind=EventKind.NOTE,
        text=str(_("Corrected at the patient's request: %(fields)s.") % {"fields": labels}),
        visible_to_requester=False,
    )
    return request
