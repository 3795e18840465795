"""Resources received, read by the fhir.resources R4B models: a body that is not valid FHIR is a 400 whose
OperationOutcome names each element at fault (FHIRPath-like `Practitioner.name[0].family`) in French."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy
from pydantic import ValidationError

from .http import FhirError, issue

WRONG_TYPE = gettext_lazy("Expected a %(expected)s resource, not %(found)s.")
_MESSAGES = {
    "missing": gettext_lazy("This element is required."),
    "extra_forbidden": gettext_lazy("Unknown element."),
    "bool_parsing": gettext_lazy("Expected true or false."),
    "bool_type": gettext_lazy("Expected true or false."),
    "string_type": gettext_lazy("Expected a text."),
    "list_type": gettext_lazy("Expected a list."),
    "date_from_datetime_parsing": gettext_lazy("Not a date: use YYYY-MM-DD."),
    "date_parsing": gettext_lazy("Not a date: use YYYY-MM-DD."),
    "datetime_parsing": gettext_lazy("Not a date and time (ISO 8601)."),
    "enum": gettext_lazy("Unknown code."),
    "literal_error": gettext_lazy("Unknown code."),
    "string_pattern_mismatch": gettext_lazy("Invalid format."),
}


def _path(resource_type: str, location: tuple[Any, ...]) -> str:
    path = resource_type
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def parse_resource(data: dict[str, Any], resource_type: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    found = data.get("resourceType")
    if found != resource_type:
        raise FhirError(
            400,
            str(WRONG_TYPE % {"expected": resource_type, "found": found or "?"}),
            code="structure",
            expression="resourceType",
        )
    try:
        return get_fhir_model_class(resource_type).model_validate(data)
    except ValidationError as error:
        issues = [
            issue(
                str(_MESSAGES.get(item["type"], gettext_lazy("Invalid value."))),
                code="structure",
                expression=_path(resource_type, tuple(item["loc"])),
            )
            for item in error.errors()
        ]
        raise FhirError.many(400, issues) from error
    except (TypeError, ValueError) as error:  # fhir.resources' own checks (e.g. a primitive's pattern)
        raise FhirError(400, gettext("Invalid resource."), code="structure") from error


def domain_issue(message: str, expression: str) -> FhirError:
    """A business rule refused what is valid FHIR: 422, as the guide lists."""
    return FhirError(422, message, code="business-rule", expression=expression)
