"""The patient's rights that change data: the correction of their identity on every request that still holds it."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from referrals.models import Request
from referrals.services import PatientData, request_patient_rectify


@transaction.atomic
def patient_rectify(*, requests: list[Request], user: User, patient: PatientData) -> list[Request]:
    """Corrects the identity and contact on every request of the patient not yet anonymised (RGPD art. 16), or on
    none: a refusal on one (DomainError) undoes the others, so the patient is never half corrected. Each correction
    is on its request's timeline and in the access log (a change, once committed)."""
    return [
        request_patient_rectify(request=each, user=user, patient=patient)
        for each in requests
        if each.anonymised_at is None
    ]
