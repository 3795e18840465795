"""The JSON API for requesters' software (SAS, emergency departments, practice software): `/api/v1/`.

Bearer tokens per requester organisation (`manage.py create_api_token USERNAME`). Errors answer 4xx with a body that
names each field: `{"errors": {"patient.phone": ["…"]}}`. OpenAPI 3 at `/api/v1/openapi.json`, docs at `/api/v1/docs`
(served from the django-ninja package's own static files, no CDN).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from ninja import Field, Header, NinjaAPI, Schema
from ninja import Status as Answer
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from accounts.models import Membership
from accounts.policies import Perm, declare
from agenda import services as agenda_services
from audit.recording import record_read
from common.errors import DomainError
from common.locking import LOCK_BUSY, lock_timed_out
from common.phones import PHONE_INVALID, phone_e164
from referrals import selectors, services
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
from territory.models import Commune

from .services import api_token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        return api_token_authenticate(token)


api = NinjaAPI(
    title="Aiguillage",
    version="1",
    description=(
        "Send a request for unscheduled care (soins non programmés) to a coordination cell, and follow it. "
        "Authenticate with `Authorization: Bearer <token>` (a token per requester organisation)."
    ),
    urls_namespace="api_v1",
    auth=BearerToken(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _choices(values: list[str]) -> Any:
    return Literal[tuple(values)]


class PatientIn(Schema):
    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    birth_date: date | None = None
    sex: _choices(Sex.values) | None = None  # type: ignore[valid-type]
    street: str = Field("", max_length=200)
    commune_insee: str = Field(min_length=5, max_length=5, description="INSEE code of the commune (COG), e.g. 61006")
    phone: str = Field(
        "",
        max_length=30,
        description="French (06 12 34 56 78) or foreign with + and its country code; needed unless requester_answers",
    )
    requester_answers: bool = False
    mt_name: str = Field("", max_length=150, description="Name of the médecin traitant, empty when none")
    mt_situation: _choices(MTSituation.values)  # type: ignore[valid-type]


class NeedIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)
    reason_category: _choices(ReasonCategory.values)  # type: ignore[valid-type]
    care_channel: _choices(CareChannel.values)  # type: ignore[valid-type]
    exam_type: _choices(ExamType.values) | None = None  # type: ignore[valid-type]
    urgency: _choices(Urgency.values)  # type: ignore[valid-type]
    elsewhere: _choices(Elsewhere.values)  # type: ignore[valid-type]


KEY_MAX_LENGTH = 64


class RequestIn(Schema):
    patient: PatientIn
    need: NeedIn
    vital_emergency: bool = Field(False, description="True refuses the request: a vital emergency goes to the 15")
    idempotency_key: str = Field(
        "", max_length=KEY_MAX_LENGTH, description="The same key twice creates one request (the Idempotency-Key header)"
    )


class EventOut(Schema):
    at: datetime
    status: str | None
    text: str


class RequestOut(Schema):
    id: int
    reference: str
    status: str
    status_label: str
    received_at: datetime
    deadline_at: datetime
    reoriented_to: str | None
    reorientation_reason: str | None
    close_reason: str | None
    timeline: list[EventOut]
    cell_reopens_at: datetime | None = Field(
        None,
        description="Set when the request reached the cell while it was closed, until it reopens: when it reopens "
        "(ISO 8601, UTC). The request is taken all the same; a vital emergency goes to the 15.",
    )
    cell_closed_notice: str | None = Field(
        None,
        description="The automatic answer to show the requester while the cell is closed, in French "
        '("La cellule est fermée. Elle rouvre lundi 7 décembre à 8 h. En cas d\'urgence vitale, appelez le 15.")',
    )


class Errors(Schema):
    errors: dict[str, list[str]]


def _out(request: Request) -> RequestOut:
    events = selectors.timeline(request, for_requester=True)
    closed = opening.closed_answer(request.cell, request.received_at, now=timezone.now())
    return RequestOut(
        id=request.pk,
        reference=request.reference,
        status=request.status,
        status_label=str(Status(request.status).label),
        received_at=request.received_at,
        deadline_at=request.deadline_at,
        reoriented_to=request.reoriented_to.name if request.reoriented_to else None,
        reorientation_reason=request.reorientation_reason or None,
        close_reason=request.close_reason or None,
        timeline=[
            EventOut(at=e.at, status=e.to_status or None, text=e.text or str(e.get_kind_display())) for e in events
        ],
        cell_reopens_at=closed.reopens_at if closed else None,
        cell_closed_notice=closed.text() if closed else None,
    )


# Field names of the services, as the API names them.
API_FIELD = {
    "patient_last_name": "patient.last_name",
    "patient_first_name": "patient.first_name",
    "patient_phone": "patient.phone",
    "patient_birth_date": "patient.birth_date",
    "reason": "need.reason",
    "exam_type": "need.exam_type",
    "vital_emergency": "vital_emergency",
    "requester": "requester",
    "requester_professional": "requester",
    "requester_site": "requester",
    "submission_key": "idempotency_key",
}

NUL_CHARACTER = gettext_lazy("Null characters are not allowed.")
COMMUNE_UNKNOWN = gettext_lazy("No commune has this INSEE code.")


def _texts(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Every text of the body with its path (patient.last_name…)."""
    found: list[tuple[str, str]] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            found += _texts(value, path + ".")
        elif isinstance(value, str):
            found.append((path, value))
    return found


# Every operation may answer these, each with the `errors` body: documented so that clients (and the fuzzer) can rely
# on the schema.
ERROR_RESPONSES: dict[int, type[Schema]] = {400: Errors, 401: Errors, 422: Errors}


@api.post(
    "/requests", response={201: RequestOut, 409: Errors, 413: Errors, **ERROR_RESPONSES}, summary="Send a request"
)
@declare(Perm.REQUEST_SUBMIT)
def create_request(
    request: HttpRequest,
    payload: RequestIn,
    idempotency_header: str = Header(
        "",
        alias="Idempotency-Key",
        max_length=KEY_MAX_LENGTH,
        description="The same key twice creates one request (or idempotency_key in the body, which wins)",
    ),
) -> Answer[Any]:
    membership: Membership = request.auth  # type: ignore[attr-defined]
    errors: dict[str, list[str]] = {}
    for path, value in _texts(payload.model_dump()):
        if "\x00" in value:
            errors[path] = [str(NUL_CHARACTER)]
    commune = Commune.objects.filter(insee_code=payload.patient.commune_insee.upper()).first()
    if commune is None:
        errors["patient.commune_insee"] = [str(COMMUNE_UNKNOWN)]
    try:
        phone = phone_e164(payload.patient.phone) if payload.patient.phone else ""
    except ValueError:
        errors["patient.phone"] = [str(PHONE_INVALID)]
        phone = ""
    if errors:
        return Answer(422, {"errors": errors})
    assert commune is not None
    key = payload.idempotency_key or idempotency_header
    try:
        created = agenda_services.request_submit(
            cell=membership.cell,
            channel=Channel.API,
            patient=services.PatientData(
                last_name=payload.patient.last_name,
                first_name=payload.patient.first_name,
                commune=commune,
                birth_date=payload.patient.birth_date,
                sex=payload.patient.sex or "",
                street=payload.patient.street,
                phone=phone,
                requester_answers=payload.patient.requester_answers,
                mt_name=payload.patient.mt_name,
                mt_situation=payload.patient.mt_situation,
            ),
            need=services.NeedData(
                reason=payload.need.reason,
                reason_category=payload.need.reason_category,
                care_channel=payload.need.care_channel,
                exam_type=payload.need.exam_type or "",
                urgency=payload.need.urgency,
                elsewhere=payload.need.elsewhere,
            ),
            submitted_by=membership.user,
            requester_professional=membership.professional,
            requester_site=membership.site,
            vital_emergency=payload.vital_emergency,
            submission_key=f"api:{key}" if key else "",
        )
    except DomainError as error:
        if error.code == "busy":  # the same patient's request being recorded at this moment: nothing saved, try again
            return Answer(409, {"errors": {"request": [str(error.message)]}})
        field = API_FIELD.get(error.field or "", error.field or "request")
        if field == "idempotency_key" and not payload.idempotency_key:
            field = "Idempotency-Key"
        return Answer(422, {"errors": {field: [str(error.message)]}})
    return Answer(201, _out(selectors.request_for(membership, created.pk)))


@api.get(
    "/requests/{request_id}", response={200: RequestOut, 404: Errors, **ERROR_RESPONSES}, summary="Follow a request"
)
@declare(Perm.OWN_REQUESTS)  # looked up through selectors.request_for: the requester's own requests only
def get_request(request: HttpRequest, request_id: int) -> Answer[Any]:
    """Status and timeline as the requester may see them; another organisation's request is a 404."""
    membership: Membership = request.auth  # type: ignore[attr-defined]
    try:
        found = selectors.request_for(membership, request_id)
    except Http404:
        return Answer(404, {"errors": {"request_id": [gettext("No such request among yours.")]}})
    record_read(cell=membership.cell_id, request_obj=found, detail="api")
    return Answer(200, _out(found))


_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "literal_error": gettext_lazy("Unknown value: %(expected)s."),
    "string_too_short": gettext_lazy("This field cannot be empty."),
    "string_too_long": gettext_lazy("Too long: %(max_length)s characters at most."),
    "date_from_datetime_parsing": gettext_lazy("Not a date: use YYYY-MM-DD."),
    "date_parsing": gettext_lazy("Not a date: use YYYY-MM-DD."),
    "bool_parsing": gettext_lazy("Expected true or false."),
    "json_invalid": gettext_lazy("The body is not valid JSON."),
}


WHERE_READ = ("body", "payload", "path", "query", "header")


@api.exception_handler(ValidationError)
def validation_errors(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with a French message per field, named by its path in the body (e.g. `patient.phone`)."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # Ninja's locations start with where the value was read (`body`, `path`…): the client knows the field's name.
        location = [str(part) for part in error.get("loc", ()) if part not in WHERE_READ]
        field = ".".join(location) or "body"
        template = _MESSAGES.get(error.get("type", ""), gettext_lazy("Invalid value."))
        context = dict(error.get("ctx", {}) or {})
        if "expected" in context:  # pydantic joins the allowed values with an English "or"
            context["expected"] = str(context["expected"]).replace("' or '", "', '")
        errors.setdefault(field, []).append(
            str(template) % {k: v for k, v in context.items()} if context else str(template)
        )
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(HttpError)
def http_errors(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own errors (a body that is not JSON…) in the same French `errors` format."""
    message = _MESSAGES["json_invalid"] if exc.status_code == 400 else gettext_lazy("Invalid request.")
    return api.create_response(request, {"errors": {"body": [str(message)]}}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 in the API's JSON, not Django's HTML page."""
    size = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    message = gettext("The body is too large: %(size)s at most.") % {"size": size}
    return api.create_response(request, {"errors": {"body": [message]}}, status=413)


@api.exception_handler(OperationalError)
def lock_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A lock given up after the lock timeout (common.locking), wherever in the transaction: 409, try again; any
    other database failure is not ours to answer."""
    if not lock_timed_out(exc):
        raise exc
    return api.create_response(request, {"errors": {"request": [str(LOCK_BUSY)]}}, status=409)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"errors": {"request": [gettext("Not found.")]}}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = gettext("A valid bearer token is required: Authorization: Bearer <token>.")
    response = api.create_response(request, {"errors": {"authorization": [message]}}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response
