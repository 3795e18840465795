"""The correction of a patient's identity, without HTTP: every request of the patient in one transaction, or none."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from audit.models import AccessAction, AccessEvent
from common.errors import DomainError
from conftest import World
from privacy.patient_rights import same_patient
from privacy.services import patient_rectify
from referrals.models import Request
from referrals.services import PHONE_REQUIRED, PatientData
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(world: World) -> list[Request]:
    ProfessionalFactory(cell=world.cell)
    first = make_request(world.cell, last_name="Le Gall", first_name="Maël", phone="+33633333333")
    second = make_request(world.cell, last_name="Le Gall", first_name="Maël", phone="+33633333333")
    make_request(world.cell, last_name="Le Gall", first_name="Maël", phone="+33644444444")  # same name, another man
    return [first, second]


def _corrected(requests: list[Request], **changes: Any) -> PatientData:
    latest = requests[-1]
    fields: dict[str, Any] = {
        "last_name": latest.patient_last_name,
        "first_name": latest.patient_first_name,
        "commune": latest.patient_commune,
        "birth_date": latest.patient_birth_date,
        "sex": latest.patient_sex,
        "street": latest.patient_street,
        "phone": latest.patient_phone,
    }
    return PatientData(**{**fields, **changes})


def _changes_logged() -> list[tuple[str, str]]:
    rows = AccessEvent.objects.filter(action=AccessAction.CHANGE, object_type="request").order_by("id")
    return [(row.actor, row.subjects) for row in rows]


def test_every_request_of_the_patient_is_corrected_and_each_change_logged(
    world: World, patient: list[Request], django_capture_on_commit_callbacks: Any
) -> None:
    requests = same_patient(patient[0])
    assert [each.pk for each in requests] == [each.pk for each in patient]
    with django_capture_on_commit_callbacks(execute=True):
        done = patient_rectify(
            requests=requests,
            user=world.owner,
            patient=_corrected(requests, first_name="Maëlig", birth_date=date(1948, 7, 14)),
        )
    assert [each.pk for each in done] == [each.pk for each in patient]
    for each in Request.objects.filter(cell=world.cell).order_by("received_at"):
        corrected = each.pk in {p.pk for p in patient}
        assert (each.patient_first_name, each.patient_birth_date) == (
            ("Maëlig", date(1948, 7, 14)) if corrected else ("Maël", None)
        )
    assert _changes_logged() == [(world.owner.username, f",{each.pk},") for each in patient]


def test_a_refusal_on_one_request_corrects_none_and_logs_nothing(
    world: World, patient: list[Request], django_capture_on_commit_callbacks: Any
) -> None:
    Request.objects.filter(pk=patient[0].pk).update(requester_answers=True)  # the first may go without a phone
    requests = same_patient(patient[0])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as refused:
        patient_rectify(
            requests=requests, user=world.owner, patient=_corrected(requests, first_name="Maëlig", phone="")
        )
    assert (refused.value.message, refused.value.field) == (PHONE_REQUIRED, "patient_phone")
    names = Request.objects.filter(pk__in=[p.pk for p in patient]).values_list("patient_first_name", flat=True)
    assert set(names) == {"Maël"}
    assert _changes_logged() == []


def test_an_anonymised_request_is_left_as_it_is(world: World, patient: list[Request]) -> None:
    Request.objects.filter(pk=patient[0].pk).update(
        patient_last_name="—", patient_first_name="", patient_search_name="", anonymised_at=timezone.now()
    )
    patient[0].refresh_from_db()
    done = patient_rectify(
        requests=[patient[0], patient[1]],
        user=world.owner,
        patient=_corrected([patient[1]], phone=PhoneNumber.from_string("+33655555555")),
    )
    assert [each.pk for each in done] == [patient[1].pk]
    patient[0].refresh_from_db()
    patient[1].refresh_from_db()
    assert (patient[0].patient_last_name, patient[0].patient_phone) == ("—", PhoneNumber.from_string("+33633333333"))
    assert patient[1].patient_phone == PhoneNumber.from_string("+33655555555")
