"""What the FHIR tests share: a client as the SAS platform (behind nginx's verified mutual TLS) and the R4B models."""

from __future__ import annotations

from typing import Any

from django.test import Client

SAS_SUBJECT = "CN=plateforme-sas.test,OU=SAS,O=Agence du Numerique en Sante,C=FR"
ALLOWED = ["CN=plateforme-sas.test,OU=SAS"]
FHIR_SETTINGS = {
    "AIGUILLAGE_FHIR_ALLOWED_SUBJECTS": ALLOWED,
    "AIGUILLAGE_FHIR_SAS_SUBJECTS": ALLOWED,
    "AIGUILLAGE_BASE_URL": "https://aiguillage.test",
}


def sas_headers(subject: str = SAS_SUBJECT, verify: str = "SUCCESS") -> dict[str, str]:
    return {"HTTP_X_SSL_CLIENT_VERIFY": verify, "HTTP_X_SSL_CLIENT_S_DN": subject}


def sas_get(client: Client, path: str, **extra: Any) -> Any:
    return client.get(path, **{"HTTP_ACCEPT": "application/fhir+json", **sas_headers(), **extra})


def parse_r4b(data: dict[str, Any]) -> Any:
    """The resource as the fhir.resources R4B models read it: fails on any element that is not valid FHIR."""
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(data["resourceType"]).model_validate(data)
