"""Systems, codes and profiles of the ANS implementation guide "Service d'Accès aux Soins" (v1.2), CPTS flow.

Written once here so that every resource says them the same way; the guide's own inconsistencies (two canonical
bases, `http://sas.fr/...` and `https://interop.esante.gouv.fr/...`) are kept as the guide publishes them, because
the SAS validator checks them literally.
"""

from __future__ import annotations

FHIR_VERSION = "4.0.1"

# Identifier systems (FAQ of the guide: OIDs as `urn:oid:`).
IDNPS = "urn:oid:1.2.250.1.71.4.2.1"  # national identifier of a health professional: 8 + RPPS, 0 + ADELI
IDNST = "urn:oid:1.2.250.1.71.4.2.2"  # national identifier of a structure: 1 + FINESS, 3 + SIRET…
SAS_TECHNICAL_ID = "urn:oid:1.2.250.1.213.3.6"  # the SAS platform's own identifier of a regulator without IDNPS
SAS_SOURCE = "urn:oid:1.2.250.1.213.3.6"  # meta.source of what the SAS platform sends

# Identifier types.
INTEROPSANTE_V2_0203 = "http://interopsante.org/fhir/CodeSystem/fr-v2-0203"
FR_CORE_V2_0203 = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
LOCATION_IDENTIFIER_TYPE = "http://interopsante.org/fhir/CodeSystem/fr-location-identifier-type"

# Codes of a slot.
TYPE_CRENEAU = "https://mos.esante.gouv.fr/NOS/TRE_R314-TypeCreneau/FHIR/TRE-R314-TypeCreneau"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CATEGORIE_ETABLISSEMENT = (
    "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement"
)
CPTS_CATEGORY = "604"  # TRE_R66: Communauté Professionnelle Territoriale de Santé
SPECIALITE_ORDINALE = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
GENERAL_MEDICINE = "SM54"
APPOINTMENT_REASON = "http://terminology.hl7.org/CodeSystem/v2-0276"
SERVICE_TYPE_R5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Slot.serviceType"
APPOINTMENT_OPERATOR = "http://interopsante.org/fhir/StructureDefinition/FrAppointmentOperator"

# Profiles (meta.profile), as the guide's technical specification lists them for the validator.
_IG = "https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/"
_SAS = "http://sas.fr/fhir/StructureDefinition/"
PROFILE_BUNDLE = _IG + "sas-cpts-bundle-aggregator"
PROFILE_SLOT = _IG + "sas-cpts-slot-aggregator"
PROFILE_SCHEDULE = _SAS + "FrScheduleAgregateur"
PROFILE_PRACTITIONER = _SAS + "FrPractitionerAgregateur"
PROFILE_PRACTITIONER_ROLE = _SAS + "FrPractitionerRoleExerciceAgregateur"
PROFILE_LOCATION = _SAS + "FrLocationAgregateur"
PROFILE_HEALTHCARE_SERVICE = _IG + "sas-cpts-healthcareservice-aggregator"
PROFILE_ORGANIZATION = _IG + "sas-cpts-organization-aggregator"
PROFILE_APPOINTMENT = _SAS + "FrAppointmentSAS"
PROFILE_PRACTITIONER_REGUL = _IG + "FrPractitionerRegul"

# Aiguillage's own code systems (what the guide leaves to the software).
OWN = "urn:aiguillage:fhir:"
CARE_CHANNEL = OWN + "care-channel"
EXAM_TYPE = OWN + "exam-type"
REASON_CATEGORY = OWN + "reason-category"
ELSEWHERE = OWN + "elsewhere"
MT_SITUATION = OWN + "mt-situation"
REQUEST_STATUS = OWN + "request-status"
APPOINTMENT_ID = OWN + "appointment"  # identifier.system of the appointments pushed to the SAS platform
SLOT_ID = OWN + "slot"


def national_ps_id(*, rpps: str = "", adeli: str = "") -> str:
    """The professional's national identifier with its prefix (8 + RPPS, else 0 + ADELI), or ''."""
    if rpps:
        return "8" + rpps
    if adeli:
        return "0" + adeli
    return ""


def practitioner_identifier(value: str) -> dict[str, object]:
    return {
        "type": {"coding": [{"system": INTEROPSANTE_V2_0203, "code": "IDNPS"}]},
        "system": IDNPS,
        "value": value,
    }
