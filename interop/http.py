"""The FHIR server's HTTP layer: content negotiation, the mutual-TLS client check, errors as OperationOutcome.

Transport security is mutual TLS at the reverse proxy (IGC-Santé certificates, README "FHIR behind nginx"): nginx
verifies the client certificate and always overwrites two headers, the verification result and the certificate's
subject. The app refuses any FHIR call whose subject is not allow-listed (`AIGUILLAGE_FHIR_ALLOWED_SUBJECTS`): a
client can never set those headers itself, since nginx replaces them.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from cryptography import x509
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from common.locking import LOCK_BUSY, lock_timed_out

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
ACCEPTED_TYPES = ("application/fhir+json", "application/json+fhir", "application/json")
ACCEPTED_FORMATS = ("json", *ACCEPTED_TYPES)

NOT_ALLOWED_CLIENT = gettext_lazy("A verified client certificate whose subject is allowed is required.")
SAS_ONLY = gettext_lazy("Only the SAS platform may use this interaction.")
SERVER_ERROR = gettext_lazy("The server could not answer; try again later.")
NOT_ACCEPTABLE = gettext_lazy("Only JSON is served: application/fhir+json, application/json+fhir or application/json.")
UNSUPPORTED_MEDIA = gettext_lazy(
    "The body must be JSON: application/fhir+json, application/json+fhir or application/json."
)
NOT_JSON = gettext_lazy("The body is not valid JSON.")
METHOD_NOT_ALLOWED = gettext_lazy("This interaction is not supported on this resource.")
NUL_CHARACTER = gettext_lazy("Null characters are not allowed.")
TOO_DEEP = gettext_lazy("The body is nested more than %(depth)s levels deep.")
TOO_LONG = gettext_lazy("Too long: %(max_length)s characters at most.")
TOO_BIG = gettext_lazy("The body is too large: %(size)s at most.")

# No resource Aiguillage reads goes deeper than about ten levels; the limit keeps the parsers' recursion far away.
MAX_DEPTH = 64


class FhirError(Exception):
    """A refusal, answered as an OperationOutcome with the HTTP status given (4xx)."""

    def __init__(self, status: int, diagnostics: str, *, code: str = "invalid", expression: str | None = None) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.issues = [issue(diagnostics, code=code, expression=expression)]

    @classmethod
    def many(cls, status: int, issues: list[dict[str, Any]]) -> FhirError:
        error = cls(status, "")
        error.issues = issues
        return error


def issue(diagnostics: str, *, code: str = "invalid", severity: str = "error", expression: str | None = None) -> dict:
    found: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        found["expression"] = [expression]
    return found


def operation_outcome(issues: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": issues}


def fhir_response(data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(operation_outcome(error.issues), status=error.status)


# --- The client certificate -------------------------------------------------------------------------------------


def subject_attributes(subject: str) -> set[tuple[str, str]]:
    """The (TYPE, value) pairs of a certificate subject as nginx gives it (`$ssl_client_s_dn`: RFC 4514, escapes
    included), read by `cryptography`; an unreadable subject has none."""
    try:
        name = x509.Name.from_rfc4514_string(subject)
    except ValueError:
        return set()
    return {(attribute.rfc4514_attribute_name.upper(), str(attribute.value)) for rdn in name.rdns for attribute in rdn}


def subject_matches(subject: str, entries: list[str]) -> bool:
    """True when every attribute of one entry is in the certificate's subject (CN and OU at least, as the SAS
    security specification asks: an entry `CN=…,OU=…` matches whatever else the subject holds)."""
    presented = subject_attributes(subject)
    for allowed in entries:
        wanted = subject_attributes(allowed)
        if wanted and wanted <= presented:
            return True
    return False


def client_subject_allowed(subject: str) -> bool:
    return subject_matches(subject, settings.AIGUILLAGE_FHIR_ALLOWED_SUBJECTS)


def verified_client(request: HttpRequest) -> str | None:
    """The allow-listed subject of the client certificate nginx verified, else None."""
    verify = request.META.get(settings.AIGUILLAGE_FHIR_CLIENT_VERIFY_HEADER, "")
    subject = request.META.get(settings.AIGUILLAGE_FHIR_CLIENT_SUBJECT_HEADER, "")
    if verify != "SUCCESS" or not subject or not client_subject_allowed(subject):
        return None
    return subject


# --- Negotiation ------------------------------------------------------------------------------------------------


def _accepts_json(request: HttpRequest) -> bool:
    wanted = request.GET.get("_format")
    if wanted:
        return wanted.replace(" ", "+") in ACCEPTED_FORMATS
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return True
    for item in accept.split(","):
        media = item.split(";")[0].strip().lower()
        if media in ACCEPTED_TYPES or media in ("*/*", "application/*"):
            return True
    return False


def json_body(request: HttpRequest) -> dict[str, Any]:
    media = request.content_type.lower() if request.content_type else ""
    if media not in ACCEPTED_TYPES:
        raise FhirError(415, str(UNSUPPORTED_MEDIA), code="not-supported")
    try:
        raw = request.body
    except RequestDataTooBig as error:
        size = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        raise FhirError(413, str(TOO_BIG % {"size": size}), code="too-costly") from error
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FhirError(400, str(NOT_JSON), code="structure") from error
    except RecursionError as error:  # deeper than the decoder itself goes: found again by a scan that never recurses
        where = _too_deep_at(raw.decode("utf-8", errors="replace"))
        raise FhirError(400, str(TOO_DEEP % {"depth": MAX_DEPTH}), code="structure", expression=where) from error
    if not isinstance(data, dict):
        raise FhirError(400, str(NOT_JSON), code="structure")
    check_values(data)
    return data


def check_values(data: dict[str, Any]) -> None:
    """Refuse, naming the element, what no resource carries and the database cannot store: a body nested deeper than
    MAX_DEPTH, a null character in a value or a name. Walked without recursion, whatever the depth."""
    root = str(data.get("resourceType") or "Resource")
    stack: list[tuple[str, Any, int]] = [(root, data, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, (dict, list)) and depth > MAX_DEPTH:
            raise FhirError(400, str(TOO_DEEP % {"depth": MAX_DEPTH}), code="structure", expression=path)
        if isinstance(value, dict):
            for name, item in value.items():
                if "\x00" in name:
                    raise FhirError(400, str(NUL_CHARACTER), code="value", expression=path)
                stack.append((f"{path}.{name}", item, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item, depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str) and "\x00" in value:
            raise FhirError(400, str(NUL_CHARACTER), code="value", expression=path)


_LEXEMES = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')
_RESOURCE_TYPE = re.compile(r'"resourceType"\s*:\s*"([A-Za-z]+)"')


def _too_deep_at(text: str) -> str | None:
    """The element where a JSON text goes deeper than MAX_DEPTH, named as `check_values` names it, read lexeme by
    lexeme (strings whole, so that brackets inside them do not count)."""
    found = _RESOURCE_TYPE.search(text)
    root = found.group(1) if found else "Resource"
    stack: list[list[Any]] = []  # per open container: its bracket, then its current key (object) or index (list)
    last_string = ""
    for match in _LEXEMES.finditer(text):
        lexeme = match.group()
        if lexeme in ("{", "["):
            if len(stack) == MAX_DEPTH:
                path = root
                for bracket, position in stack:
                    path += f"[{position}]" if bracket == "[" else f".{position}"
                return path
            stack.append([lexeme, 0 if lexeme == "[" else ""])
        elif lexeme in ("}", "]"):
            if stack:
                stack.pop()
        elif lexeme == ",":
            if stack and stack[-1][0] == "[":
                stack[-1][1] += 1
        elif lexeme == ":":
            if stack and stack[-1][0] == "{":
                stack[-1][1] = last_string
        else:
            try:
                last_string = json.loads(lexeme)
            except ValueError:  # an escape the decoder refuses: the name as written
                last_string = lexeme[1:-1]
    return None


def within(value: str, max_length: int, expression: str) -> str:
    """The value as sent, or a 400 naming the element when it is longer than what Aiguillage keeps: never cut (a
    cut identifier would name another request, a cut name another patient)."""
    if len(value) > max_length:
        raise FhirError(400, str(TOO_LONG % {"max_length": max_length}), code="value", expression=expression)
    return value


def fhir_endpoint(
    methods: tuple[str, ...], *, sas_only: bool = False
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A FHIR interaction: only for an allow-listed client (`sas_only`: a subject of the SAS platform's, as
    `AIGUILLAGE_FHIR_SAS_SUBJECTS` lists them), JSON in and out, every refusal an OperationOutcome."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise FhirError(405, str(METHOD_NOT_ALLOWED), code="not-supported")
                subject = verified_client(request)
                if subject is None:
                    raise FhirError(403, str(NOT_ALLOWED_CLIENT), code="security")
                if sas_only and not subject_matches(subject, settings.AIGUILLAGE_FHIR_SAS_SUBJECTS):
                    raise FhirError(403, str(SAS_ONLY), code="forbidden")
                if not _accepts_json(request):
                    raise FhirError(406, str(NOT_ACCEPTABLE), code="not-supported")
                for name, values in request.GET.lists():
                    if "\x00" in name or any("\x00" in value for value in values):
                        raise FhirError(400, str(NUL_CHARACTER), code="value", expression=name.replace("\x00", ""))
                request.fhir_client = subject  # type: ignore[attr-defined]
                return view(request, *args, **kwargs)
            except FhirError as error:
                response = error_response(error)
                if error.status == 405:
                    response["Allow"] = ", ".join(methods)
                return response
            except OperationalError as error:
                if not lock_timed_out(error):
                    logger.exception("FHIR %s %s failed", request.method, request.path)
                    return error_response(FhirError(500, str(SERVER_ERROR), code="exception"))
                return error_response(FhirError(409, str(LOCK_BUSY), code="lock-error"))  # rolled back: try again
            except Exception:
                # A FHIR client reads an OperationOutcome, never Django's HTML page; the error is logged as usual.
                logger.exception("FHIR %s %s failed", request.method, request.path)
                return error_response(FhirError(500, str(SERVER_ERROR), code="exception"))

        run.permission = "fhir_client"  # type: ignore[attr-defined]  # for the URL walk (accounts.policies)
        return csrf_exempt(run)

    return wrap


def client_of(request: HttpRequest) -> str:
    """The allow-listed certificate subject `fhir_endpoint` found on this request."""
    return str(getattr(request, "fhir_client", ""))


def not_found(resource_type: str, resource_id: str) -> FhirError:
    return FhirError(
        404,
        gettext("%(type)s/%(id)s: no such resource.") % {"type": resource_type, "id": resource_id},
        code="not-found",
    )
