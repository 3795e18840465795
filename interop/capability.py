"""`GET /fhir/metadata`: what this server really serves, nothing more (a CapabilityStatement, kind instance)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.utils import timezone

from . import codes
from .search import ACTOR_PARAM, MAX_COUNT, MAX_PRACTITIONERS
from .slots import base_url

SAS_CPTS_REQUIREMENTS = "https://interop.esante.gouv.fr/ig/fhir/sas/CapabilityStatement/SAS-GestionnaireAgenda-CPTS"


def _software_version() -> str:
    try:
        return version("aiguillage")
    except PackageNotFoundError:
        return "dev"


def _param(name: str, kind: str, documentation: str) -> dict[str, str]:
    return {"name": name, "type": kind, "documentation": documentation}


def capability_statement() -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "kind": "instance",
        "instantiates": [SAS_CPTS_REQUIREMENTS],
        "software": {"name": "Aiguillage", "version": _software_version()},
        "implementation": {"description": "Aiguillage FHIR server", "url": base_url()},
        "fhirVersion": codes.FHIR_VERSION,
        "format": ["application/fhir+json", "application/json+fhir", "application/json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "description": (
                        "Mutual TLS at the reverse proxy (IGC-Santé certificates); only allow-listed certificate "
                        "subjects are served."
                    ),
                },
                "resource": [
                    {
                        "type": "Slot",
                        "profile": codes.PROFILE_SLOT,
                        "interaction": [{"code": "search-type"}],
                        "searchInclude": [
                            "Slot:schedule",
                            "Schedule:actor",
                            "Slot:service-type-reference",
                            "HealthcareService:organization",
                        ],
                        "searchParam": [
                            _param("start", "date", "Required twice: ge… and le… (window of 31 days at most)."),
                            _param(
                                ACTOR_PARAM,
                                "token",
                                f"Required: 1 to {MAX_PRACTITIONERS} national identifiers "
                                f"{codes.IDNPS}|8<RPPS> or |0<ADELI>, comma-separated.",
                            ),
                            _param("status", "token", "Required: free."),
                            _param("_count", "number", f"Slots per page, 0 to {MAX_COUNT}."),
                            _param("_page", "number", "The page (from 1), as the next and previous links give it."),
                        ],
                    },
                    {
                        "type": "Practitioner",
                        "profile": codes.PROFILE_PRACTITIONER_REGUL,
                        "interaction": [{"code": "create"}, {"code": "update"}, {"code": "read"}],
                        "updateCreate": True,
                        "conditionalCreate": False,
                        "conditionalUpdate": True,
                        "documentation": "INT_R02: SAS regulators' accounts (PUT by identifier creates when unknown).",
                    },
                    {
                        "type": "ServiceRequest",
                        "interaction": [{"code": "create"}, {"code": "read"}],
                        "documentation": "A request for unscheduled care, patient contained, requester by RPPS.",
                    },
                    {
                        "type": "Task",
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [_param("focus", "reference", "ServiceRequest/<id>")],
                        "documentation": "Where a request stands, as its requester may see it.",
                    },
                ],
            }
        ],
    }
