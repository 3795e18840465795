"""INT_R02 over FHIR: the SAS platform's Practitioner (profile FrPractitionerRegul) to and from a regulator."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext_lazy

from common.errors import DomainError

from . import codes
from .http import FhirError, not_found, within
from .models import SasRegulator
from .parsing import domain_issue, parse_resource
from .services.regulators import RegulatorData, regulator_save

NAME_REQUIRED = gettext_lazy("The regulator's family and given names are required (name.family, name.given).")
ACTIVE_REQUIRED = gettext_lazy("active (true or false) is required.")
CONCURRENT = gettext_lazy("This account was being saved by another call at the same moment: send it again.")
CONDITION_REQUIRED = gettext_lazy(
    "A conditional update needs ?identifier=urn:oid:1.2.250.1.71.4.2.1|<id> or urn:oid:1.2.250.1.213.3.6|<id>."
)


def regulator_data(body: dict[str, Any]) -> RegulatorData:
    practitioner = parse_resource(body, "Practitioner")
    national_id = sas_id = ""
    for identifier in practitioner.identifier or []:
        if identifier.system == codes.IDNPS and identifier.value:
            national_id = identifier.value.strip()
        elif identifier.system == codes.SAS_TECHNICAL_ID and identifier.value:
            sas_id = identifier.value.strip()
    if practitioner.active is None:
        raise FhirError(400, str(ACTIVE_REQUIRED), expression="Practitioner.active")
    name = (practitioner.name or [None])[0]
    family = (name.family or "").strip() if name else ""
    given = " ".join(name.given or []).strip() if name else ""
    if not family or not given:
        raise FhirError(400, str(NAME_REQUIRED), expression="Practitioner.name")
    email = next((t.value for t in practitioner.telecom or [] if t.value and t.system in (None, "email")), "")
    return RegulatorData(
        national_id=within(national_id, 64, "Practitioner.identifier.value"),
        sas_id=within(sas_id, 64, "Practitioner.identifier.value"),
        active=bool(practitioner.active),
        family=within(family, 150, "Practitioner.name.family"),
        given=within(given, 150, "Practitioner.name.given"),
        email=within(email or "", 254, "Practitioner.telecom.value"),
    )


def condition(raw: str | None) -> tuple[str, str]:
    system, sep, value = (raw or "").rpartition("|")
    if not sep or system not in (codes.IDNPS, codes.SAS_TECHNICAL_ID) or not value.strip():
        raise FhirError(400, str(CONDITION_REQUIRED), expression="identifier")
    return system, within(value.strip(), 64, "identifier")


def save(body: dict[str, Any], lookup: tuple[str, str] | None) -> tuple[SasRegulator, bool]:
    data = regulator_data(body)
    try:
        return regulator_save(data=data, lookup=lookup)
    except DomainError as error:
        raise domain_issue(str(error.message), f"Practitioner.{error.field or 'identifier'}") from error
    except IntegrityError as error:  # the same account sent twice at the same moment: the other call made it
        raise FhirError(409, str(CONCURRENT), code="conflict") from error


def regulator_of(resource_id: str) -> SasRegulator:
    number = resource_id.removeprefix("regulateur-")
    regulator = (
        SasRegulator.objects.select_related("user").filter(pk=int(number)).first()
        if number.isdecimal() and len(number) < 12
        else None
    )
    if regulator is None:
        raise not_found("Practitioner", resource_id)
    return regulator


def practitioner_resource(regulator: SasRegulator) -> dict[str, Any]:
    identifiers: list[dict[str, Any]] = []
    if regulator.national_id:
        identifiers.append(codes.practitioner_identifier(regulator.national_id))
    if regulator.sas_id:
        identifiers.append(
            {
                "type": {"coding": [{"system": codes.INTEROPSANTE_V2_0203, "code": "INTRN"}]},
                "system": codes.SAS_TECHNICAL_ID,
                "value": regulator.sas_id,
            }
        )
    user = regulator.user
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": f"regulateur-{regulator.pk}",
        "meta": {"lastUpdated": regulator.updated_at.isoformat(timespec="seconds")},
        "identifier": identifiers,
        "active": regulator.is_active,
        "name": [{"family": user.last_name, "given": [user.first_name]}],
    }
    if user.email:
        resource["telecom"] = [{"system": "email", "value": user.email}]
    return resource
