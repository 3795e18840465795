"""Reads of the alert cascades: the cell's policy, who is eligible for a request and where they are, an alert by its
link, the alerts still waiting for an effector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy

from agenda.models import Absence
from common.errors import DomainError
from common.phones import takes_sms
from directory.models import Profession, Professional
from referrals.models import CareChannel, Request
from referrals.states import OPEN
from territory.geo import great_circle_km
from territory.geocoding import cached_point

from .models import Alert, AlertPolicy, AlertStatus, Cascade, CascadeStatus

# Who gives each care (the filière's effectors).
CARE_PROFESSIONS = {
    CareChannel.GP: (Profession.GP,),
    CareChannel.IMAGING: (Profession.RADIOLOGIST,),
    CareChannel.PHYSIOTHERAPY: (Profession.PHYSIOTHERAPIST,),
    CareChannel.NURSING: (Profession.NURSE,),
    CareChannel.BIOLOGY: (Profession.BIOLOGIST,),
}

LINK_INVALID = gettext_lazy("This link is not valid.")
HORIZON = timedelta(days=7)


def policy_for_request_token(token: str) -> AlertPolicy:
    cell_id = Alert.objects.filter(token=token).values_list("cascade__cell_id", flat=True).first()
    if cell_id is None:
        raise DomainError(LINK_INVALID, code="invalid")
    return policy_for(cell_id)


def policy_for(cell_id: int) -> AlertPolicy:
    """The cell's policy, or the defaults when its administrator has not set one."""
    return AlertPolicy.objects.filter(cell_id=cell_id).first() or AlertPolicy(cell_id=cell_id)


@dataclass(frozen=True)
class Eligible:
    professional: Professional
    km: float | None


def _point(professional: Professional) -> tuple[float, float] | None:
    for site in professional.sites.all():
        if site.latitude is not None and site.longitude is not None:
            return site.latitude, site.longitude
        if site.commune.has_point:
            return site.commune.latitude, site.commune.longitude  # type: ignore[return-value]
    return None


def mobile_of(professional: Professional) -> str | None:
    """The professional's number in E.164 when it can take an SMS (a mobile), else None."""
    phone = professional.phone
    return str(phone.as_e164) if phone and takes_sms(phone) else None


def _of_care_and_present(request: Request, now: datetime) -> QuerySet[Professional]:
    """The cell's active effectors of the request's care with a phone or an e-mail, not absent now."""
    absent = Absence.objects.filter(professional__isnull=False, starts_at__lte=now, ends_at__gt=now).values(
        "professional_id"
    )
    return (
        Professional.objects.filter(
            cell_id=request.cell_id,
            is_active=True,
            profession__in=CARE_PROFESSIONS.get(CareChannel(request.care_channel), ()),
        )
        .exclude(phone="", email="")
        .exclude(pk__in=absent)
    )


def eligible_ids(request: Request, now: datetime) -> list[int]:
    """The ids of `eligible`'s effectors, in no order: for a choice list, without their distances (one query, no
    record built, each number parsed once; the request page asks for it at every view)."""
    rows = _of_care_and_present(request, now).values_list("pk", "phone", "email")
    return [pk for pk, phone, email in rows if email or (phone and takes_sms(phone))]


def eligible(request: Request, now: datetime) -> list[Eligible]:
    """The effectors who may be alerted for this request: of its care, active, reachable (a mobile for an SMS, or an
    e-mail), not absent now; adherents first, then nearest."""
    professionals = _of_care_and_present(request, now).prefetch_related("sites__commune")
    patient = cached_point(street=request.patient_street, commune=request.patient_commune)
    found = []
    for professional in professionals:
        if mobile_of(professional) is None and not professional.email:
            continue  # a landline cannot take the alert's SMS
        point = _point(professional)
        km = None
        if point is not None and patient is not None:
            km = great_circle_km(patient.latitude, patient.longitude, point[0], point[1])
        found.append(Eligible(professional, km))
    found.sort(key=lambda e: (not e.professional.is_adherent, e.km if e.km is not None else 9999.0))
    return found


def alert_by_token(token: str) -> Alert:
    alert = (
        Alert.objects.select_related("cascade__request__cell", "cascade__request__patient_commune", "professional")
        .filter(token=token)
        .first()
    )
    if alert is None:
        raise DomainError(LINK_INVALID, code="invalid")
    return alert


def after_deadline(request: Request, starts_at: datetime) -> bool:
    """An appointment later than the request's deadline (always so once the deadline has passed): the acceptance
    still books it, but the effector and the coordinator are warned, never silently."""
    return starts_at > request.deadline_at


def running_alerts_for(professional_ids: list[int]) -> list[Alert]:
    """The alerts still waiting for these professionals' answer (an effector's home page)."""
    return list(
        Alert.objects.filter(
            Q(professional_id__in=professional_ids),
            status=AlertStatus.SENT,
            cascade__status=CascadeStatus.RUNNING,
        ).select_related("cascade__request__patient_commune", "cascade__request__cell")
    )


def cascades_unanswered(cells: list[int]) -> QuerySet[Cascade]:
    """The cascades of these cells that found nobody and are their open request's last: none started since (an
    accepted one before it, whose appointment was cancelled since, does not count), and none running. "Ce qui vous
    attend" counts their requests; the queue's filter lists them."""
    later = Cascade.objects.filter(request=OuterRef("request")).filter(
        Q(started_at__gt=OuterRef("started_at")) | Q(status=CascadeStatus.RUNNING)
    )
    return Cascade.objects.filter(cell__in=cells, status=CascadeStatus.EXHAUSTED, request__status__in=OPEN).exclude(
        Exists(later)
    )


def requests_unanswered(cell_id: int) -> tuple[int, ...]:
    """The cell's open requests whose last alert cascade found nobody, for the queue's filter (a few: each is a patient
    the cell still has to place)."""
    return tuple(sorted(set(cascades_unanswered([cell_id]).values_list("request", flat=True))))
