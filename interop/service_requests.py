"""Requests over FHIR: `POST /fhir/ServiceRequest` (the patient contained, the requester by national identifier)
creates a request as the JSON API does; `GET /fhir/ServiceRequest/{id}` and its `Task` tell where it stands, as the
requester may see it, and only to the client that sent it.

The elements Aiguillage reads (anything else is ignored, see docs/fhir.md):
- `contained` Patient referenced by `subject`: name (family, given), birthDate, gender, telecom (phone),
  address (line, postalCode, city), generalPractitioner.display (the médecin traitant);
- `requester.identifier` (urn:oid:1.2.250.1.71.4.2.1 | 8 + RPPS): a requester of the cell;
- `performer[].identifier` (urn:oid:1.2.250.1.71.4.2.2 | 1 + FINESS of the CPTS): which cell, when the requester
  belongs to several;
- `priority`: stat (a vital emergency: refused, call the 15), asap (within 24 h), urgent (48 h, the default),
  routine (this week);
- `reasonCode[0]`: text (required) and a coding of urn:aiguillage:fhir:reason-category;
- `category[0]` coding of urn:aiguillage:fhir:care-channel (default gp), `code` coding of
  urn:aiguillage:fhir:exam-type for imaging;
- extensions urn:aiguillage:fhir:elsewhere and urn:aiguillage:fhir:mt-situation (valueCode);
- `identifier[0]`: the sender's own identifier: the same one twice makes one request.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Membership, Role
from audit.recording import record_read
from common.errors import DomainError
from common.identifiers import from_national_id
from common.phones import PHONE_INVALID, phone_e164
from common.text import normalize
from referrals import selectors as referral_selectors
from referrals import services as referral_services
from referrals.models import (
    CareChannel,
    Channel,
    Elsewhere,
    ExamType,
    MTSituation,
    ReasonCategory,
    Request,
    Sex,
    Urgency,
)
from referrals.states import Status
from territory import opening
from territory.models import Commune, Territory

from . import codes
from .http import FhirError, issue, not_found, within
from .models import FhirServiceRequest
from .parsing import domain_issue, parse_resource

PATIENT_REQUIRED = gettext_lazy("The patient must be contained and referenced by subject (#id).")
REQUESTER_REQUIRED = gettext_lazy("requester.identifier must give the requester's national identifier (8 + RPPS).")
REQUESTER_UNKNOWN = gettext_lazy("This professional is not a requester of the cell: ask the cell to register them.")
CELL_AMBIGUOUS = gettext_lazy("The requester belongs to several cells: give the CPTS as performer (1 + FINESS).")
CPTS_UNKNOWN = gettext_lazy("No cell of this server coordinates the CPTS with this FINESS.")
COMMUNE_UNKNOWN = gettext_lazy("No commune matches this postal code and city.")
ADDRESS_REQUIRED = gettext_lazy("The patient's address needs at least a postal code and a city.")
REASON_REQUIRED = gettext_lazy("The reason is required: reasonCode[0].text.")
UNKNOWN_CODE = gettext_lazy("Unknown code %(code)s.")

# FHIR request priority -> the requester's urgency; `stat` is a vital emergency, refused before anything is stored.
URGENCY = {"asap": Urgency.WITHIN_24H, "urgent": Urgency.WITHIN_48H, "routine": Urgency.THIS_WEEK}
PRIORITY = {value: key for key, value in URGENCY.items()}
GENDER = {"female": Sex.FEMALE, "male": Sex.MALE, "other": Sex.OTHER, "unknown": Sex.OTHER}
GENDER_OUT = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other"}

# Where the request stands, as FHIR says it (ServiceRequest.status, Task.status).
SERVICE_REQUEST_STATUS = {
    Status.TO_VALIDATE: "active",
    Status.RECEIVED: "active",
    Status.IN_PROGRESS: "active",
    Status.WAITING_SUPERVISOR: "active",
    Status.APPOINTMENT_CANCELLED: "active",
    Status.ORIENTED: "completed",
    Status.SEEN: "completed",
    Status.NO_SHOW: "completed",
    Status.REORIENTED: "completed",
    Status.CLOSED: "revoked",
}
TASK_STATUS = {
    Status.TO_VALIDATE: "requested",
    Status.RECEIVED: "received",
    Status.IN_PROGRESS: "in-progress",
    Status.WAITING_SUPERVISOR: "on-hold",
    Status.APPOINTMENT_CANCELLED: "in-progress",
    Status.ORIENTED: "completed",
    Status.SEEN: "completed",
    Status.NO_SHOW: "completed",
    Status.REORIENTED: "completed",
    Status.CLOSED: "cancelled",
}

# The services' field names, as FHIR elements.
EXPRESSION = {
    "patient_last_name": "Patient.name.family",
    "patient_first_name": "Patient.name.given",
    "patient_phone": "Patient.telecom",
    "patient_birth_date": "Patient.birthDate",
    "reason": "ServiceRequest.reasonCode",
    "exam_type": "ServiceRequest.code",
    "vital_emergency": "ServiceRequest.priority",
    "requester": "ServiceRequest.requester",
    "requester_professional": "ServiceRequest.requester",
    "requester_site": "ServiceRequest.requester",
    "submission_key": "ServiceRequest.identifier",
}


def _code(concepts: list[Any] | None, system: str, allowed: list[str], default: str, expression: str) -> str:
    for concept in concepts or []:
        for coding in concept.coding or []:
            if coding.system == system:
                if coding.code not in allowed:
                    raise domain_issue(str(UNKNOWN_CODE % {"code": coding.code}), expression)
                return str(coding.code)
    return default


def _extension(resource: Any, url: str, allowed: list[str], default: str) -> str:
    for extension in resource.extension or []:
        if extension.url == url:
            value = extension.valueCode or extension.valueString or ""
            if value not in allowed:
                raise domain_issue(str(UNKNOWN_CODE % {"code": value}), f"ServiceRequest.extension({url})")
            return str(value)
    return default


def _contained_patient(service_request: Any) -> Any:
    reference = (service_request.subject.reference or "") if service_request.subject else ""
    for resource in service_request.contained or []:
        if resource.__resource_type__ == "Patient" and reference == f"#{resource.id}":
            return resource
    raise FhirError(400, str(PATIENT_REQUIRED), expression="ServiceRequest.subject")


def _commune(patient: Any) -> tuple[Commune, str]:
    address = (patient.address or [None])[0]
    if address is None or not address.postalCode or not address.city:
        raise domain_issue(str(ADDRESS_REQUIRED), "Patient.address")
    postal, city = address.postalCode.strip(), normalize(address.city)
    candidates = list(
        Commune.objects.filter(Q(postal_codes__startswith=postal) | Q(postal_codes__contains=" " + postal))
    )
    found = [c for c in candidates if postal in c.postal_codes.split() and c.search_name == city]
    if not found and len([c for c in candidates if postal in c.postal_codes.split()]) == 1:
        found = [c for c in candidates if postal in c.postal_codes.split()]
    if len(found) != 1:
        raise domain_issue(str(COMMUNE_UNKNOWN), "Patient.address")
    return found[0], within(" ".join(address.line or []), 200, "Patient.address.line")


def _phone(patient: Any) -> str:
    for telecom in patient.telecom or []:
        if telecom.system in (None, "phone", "sms") and telecom.value:
            try:
                return phone_e164(telecom.value)
            except ValueError as error:
                raise domain_issue(str(PHONE_INVALID), "Patient.telecom") from error
    return ""


def _membership(service_request: Any) -> Membership:
    requester = service_request.requester
    identifier = requester.identifier if requester else None
    if identifier is None or identifier.system != codes.IDNPS or not identifier.value:
        raise FhirError(400, str(REQUESTER_REQUIRED), expression="ServiceRequest.requester")
    value = identifier.value.strip()
    who = Q(user__sas_regulator__national_id=value)
    national = from_national_id(value)
    if national is not None:
        kind, number = national
        who |= Q(**{f"professional__{kind}": number})
    memberships = Membership.objects.filter(who, role=Role.REQUESTER, is_active=True, user__is_active=True)
    finess = [
        ref.identifier.value[1:]
        for ref in service_request.performer or []
        if ref.identifier and ref.identifier.system == codes.IDNST and (ref.identifier.value or "").startswith("1")
    ]
    if finess:
        cells = Territory.objects.filter(finess__in=finess).values_list("cell_id", flat=True)
        if not cells:
            raise domain_issue(str(CPTS_UNKNOWN), "ServiceRequest.performer")
        memberships = memberships.filter(cell_id__in=list(cells))
    found = list(memberships.select_related("cell", "user", "professional", "site")[:2])
    if not found:
        raise domain_issue(str(REQUESTER_UNKNOWN), "ServiceRequest.requester")
    if len(found) > 1:
        raise domain_issue(str(CELL_AMBIGUOUS), "ServiceRequest.performer")
    return found[0]


def _submission_key(service_request: Any, client_subject: str) -> tuple[str, str, str]:
    """The sender's identifier, scoped to the client that sends it: another client's same identifier is another
    request (and never answers with the first one's patient). Kept whole to be given back, so refused when longer
    than what is kept rather than cut (two identifiers sharing their beginning would be one request)."""
    identifier = (service_request.identifier or [None])[0]
    if identifier is None or not identifier.value:
        return "", "", ""
    system = within(identifier.system or "", 200, "ServiceRequest.identifier[0].system")
    value = within(identifier.value, 64, "ServiceRequest.identifier[0].value")
    digest = hashlib.sha256(f"{client_subject}\n{system}|{value}".encode()).hexdigest()
    return f"fhir:{digest}", system, value


def service_request_create(body: dict[str, Any], client_subject: str) -> tuple[Request, bool]:
    """The request the ServiceRequest describes (the same identifier twice: the first one, created False)."""
    service_request = parse_resource(body, "ServiceRequest")
    patient = _contained_patient(service_request)
    membership = _membership(service_request)
    if service_request.priority not in (None, "stat", *URGENCY):
        raise FhirError(
            400, str(UNKNOWN_CODE % {"code": service_request.priority}), expression="ServiceRequest.priority"
        )
    if service_request.priority == "stat":
        raise domain_issue(str(referral_services.VITAL_EMERGENCY), "ServiceRequest.priority")
    reason_concept = (service_request.reasonCode or [None])[0]
    reason = (reason_concept.text or "").strip() if reason_concept else ""
    if not reason:
        raise FhirError(400, str(REASON_REQUIRED), expression="ServiceRequest.reasonCode")
    commune, street = _commune(patient)
    name = (patient.name or [None])[0]
    care_channel = _code(
        service_request.category, codes.CARE_CHANNEL, CareChannel.values, CareChannel.GP, "ServiceRequest.category"
    )
    key, system, value = _submission_key(service_request, client_subject)
    errors: list[dict[str, Any]] = []
    if name is None or not (name.family or "").strip():
        errors.append(issue(gettext("This element is required."), expression="Patient.name.family"))
    if name is None or not " ".join(name.given or []).strip():
        errors.append(issue(gettext("This element is required."), expression="Patient.name.given"))
    if errors:
        raise FhirError.many(400, errors)
    assert name is not None
    patient_data = referral_services.PatientData(
        last_name=within(name.family.strip(), 100, "Patient.name.family"),
        first_name=within(" ".join(name.given).strip(), 100, "Patient.name.given"),
        commune=commune,
        birth_date=patient.birthDate if isinstance(patient.birthDate, date) else None,
        sex=GENDER.get(patient.gender or "", ""),
        street=street,
        phone=_phone(patient),
        requester_answers=False,
        mt_name=within(
            next((gp.display for gp in patient.generalPractitioner or [] if gp.display), ""),
            150,
            "Patient.generalPractitioner.display",
        ),
        mt_situation=_extension(service_request, codes.MT_SITUATION, MTSituation.values, MTSituation.NO_MT),
    )
    need = referral_services.NeedData(
        reason=within(reason, 2000, "ServiceRequest.reasonCode[0].text"),
        reason_category=_code(
            service_request.reasonCode,
            codes.REASON_CATEGORY,
            ReasonCategory.values,
            ReasonCategory.OTHER,
            "ServiceRequest.reasonCode",
        ),
        care_channel=care_channel,
        exam_type=_code(
            [service_request.code] if service_request.code else [],
            codes.EXAM_TYPE,
            ExamType.values,
            "",
            "ServiceRequest.code",
        ),
        urgency=URGENCY.get(service_request.priority or "urgent", Urgency.WITHIN_48H),
        elsewhere=_extension(service_request, codes.ELSEWHERE, Elsewhere.values, Elsewhere.UNKNOWN),
    )
    try:
        with transaction.atomic():
            request = referral_services.request_create(
                cell=membership.cell,
                channel=Channel.API,
                patient=patient_data,
                need=need,
                submitted_by=membership.user,
                requester_professional=membership.professional,
                requester_site=membership.site,
                submission_key=key,
            )
            origin, created = FhirServiceRequest.objects.get_or_create(
                request=request,
                defaults={"client_subject": client_subject, "identifier_system": system, "identifier_value": value},
            )
    except DomainError as error:
        if error.code == "busy":  # the same patient's request being recorded at this moment: nothing saved, try again
            raise FhirError(409, str(error.message), code="lock-error") from error
        raise domain_issue(str(error.message), EXPRESSION.get(error.field or "", "ServiceRequest")) from error
    if origin.client_subject != client_subject:  # a request typed or sent otherwise: not this client's to read
        raise FhirError(409, gettext("This identifier already names another request."), code="duplicate")
    return request, created


def request_of_client(pk: str, client_subject: str, resource_type: str) -> Request:
    """A request this client sent, else 404 (another client's request is not theirs to read)."""
    request = (
        Request.objects.select_related("patient_commune", "requester_professional", "reoriented_to", "fhir_origin")
        .filter(pk=int(pk) if pk.isdecimal() and len(pk) < 12 else 0, fhir_origin__client_subject=client_subject)
        .first()
    )
    if request is None:
        raise not_found(resource_type, pk)
    record_read(cell=request.cell_id, request_obj=request, detail="fhir")
    return request


def _reference(request: Request) -> dict[str, Any]:
    return {"system": codes.OWN + "request", "value": request.reference}


def service_request_resource(request: Request) -> dict[str, Any]:
    origin = request.fhir_origin
    identifiers = [_reference(request)]
    if origin.identifier_value:
        identifiers.insert(0, {"system": origin.identifier_system or None, "value": origin.identifier_value})
        identifiers[0] = {k: v for k, v in identifiers[0].items() if v}
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "patient",
        "name": [{"family": request.patient_last_name, "given": [request.patient_first_name]}],
    }
    if request.patient_birth_date:
        patient["birthDate"] = request.patient_birth_date.isoformat()
    if request.patient_sex:
        patient["gender"] = GENDER_OUT[Sex(request.patient_sex)]
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(request.pk),
        "contained": [patient],
        "identifier": identifiers,
        "status": SERVICE_REQUEST_STATUS[Status(request.status)],
        "intent": "order",
        "category": [{"coding": [{"system": codes.CARE_CHANNEL, "code": request.care_channel}]}],
        "priority": PRIORITY.get(Urgency(request.urgency), "urgent"),
        "subject": {"reference": "#patient"},
        "authoredOn": request.received_at.isoformat(timespec="seconds"),
        "reasonCode": [
            {"coding": [{"system": codes.REASON_CATEGORY, "code": request.reason_category}], "text": request.reason}
        ],
    }
    if request.exam_type:
        resource["code"] = {"coding": [{"system": codes.EXAM_TYPE, "code": request.exam_type}]}
    closed = opening.closed_answer(request.cell, request.received_at, now=timezone.now())
    if closed is not None:
        # Received out of hours: taken all the same; the regulator reads when the cell reopens (and the 15).
        resource["note"] = [{"text": closed.text()}]
    professional = request.requester_professional
    if professional is not None and codes.national_ps_id(rpps=professional.rpps, adeli=professional.adeli):
        resource["requester"] = {
            "identifier": codes.practitioner_identifier(
                codes.national_ps_id(rpps=professional.rpps, adeli=professional.adeli)
            ),
            "display": str(professional),
        }
    return resource


def task_resource(request: Request) -> dict[str, Any]:
    """Where the request stands, and its timeline as the requester sees it (times and what happened)."""
    status = Status(request.status)
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(request.pk),
        "identifier": [_reference(request)],
        "status": TASK_STATUS[status],
        "businessStatus": {
            "coding": [{"system": codes.REQUEST_STATUS, "code": status.value}],
            "text": str(status.label),
        },
        "intent": "order",
        "focus": {"reference": f"ServiceRequest/{request.pk}"},
        "authoredOn": request.received_at.isoformat(timespec="seconds"),
        "restriction": {"period": {"end": request.deadline_at.isoformat(timespec="seconds")}},
    }
    events = list(referral_selectors.timeline(request, for_requester=True))
    if events:
        task["lastModified"] = events[-1].at.isoformat(timespec="seconds")
        task["note"] = [
            {"time": event.at.isoformat(timespec="seconds"), "text": event.text or str(event.get_kind_display())}
            for event in events
        ]
    if request.reoriented_to is not None:
        task["statusReason"] = {"text": gettext("Reoriented to %(name)s") % {"name": request.reoriented_to.name}}
    elif request.close_reason:
        task["statusReason"] = {"text": request.get_close_reason_display()}
    booking = request.bookings.filter(status="booked").select_related("slot").first()
    if booking is not None:
        task["output"] = [
            {
                "type": {"text": gettext("Appointment")},
                "valueDateTime": timezone.localtime(booking.slot.starts_at).isoformat(timespec="seconds"),
            }
        ]
    return task
