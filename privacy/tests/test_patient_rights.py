"""A patient's rights, as the cell administrator exercises them: find, export (JSON, PDF), correct, erase; the
information page every patient message links to."""

from __future__ import annotations

import json
from typing import Any

import pypdfium2
import pytest
from django.urls import reverse

from audit.models import AccessAction, AccessEvent
from conftest import World
from notifications.models import Message, MessageChannel
from referrals import services
from referrals.models import Request
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(world: World, django_capture_on_commit_callbacks: Any) -> list[Request]:
    ProfessionalFactory(cell=world.cell)
    with django_capture_on_commit_callbacks(execute=True):
        first = make_request(world.cell, last_name="Quéré", first_name="Yann", phone="+33611111111")
        services.callback_log(request=first, user=world.colleague, outcome="no_answer", note="Messagerie pleine")
        services.request_close(request=first, user=world.colleague, reason="unreachable")
        second = make_request(world.cell, last_name="Quéré", first_name="Yann", phone="+33611111111")
        make_request(world.cell, last_name="Quéré", first_name="Yann", phone="+33622222222")  # same name, another man
    return [first, second]


def _url(world: World, name: str, request: Request, **extra: str) -> str:
    return reverse(f"privacy:{name}", kwargs={"cell": world.cell.slug, "pk": request.pk, **extra})


def test_the_administrator_finds_the_patient_and_sees_only_their_requests(world: World, patient: list[Request]) -> None:
    admin = world.client_for(world.owner)
    found = admin.get(reverse("privacy:patient_search", kwargs={"cell": world.cell.slug}), {"q": "quere"})
    assert len(found.context["found"]) == 3
    page = admin.get(_url(world, "patient_rights", patient[0]))
    assert [each.pk for each in page.context["requests"]] == [each.pk for each in patient]


def test_the_export_holds_everything_and_says_who_accessed_it(world: World, patient: list[Request]) -> None:
    admin = world.client_for(world.owner)
    answer = admin.get(_url(world, "patient_export", patient[0], fmt="json"))
    record = json.loads(answer.content)
    assert record["patient"]["last_name"] == "Quéré" and record["patient"]["phone"] == "06 11 11 11 11"
    assert [r["reference"] for r in record["requests"]] == [p.reference for p in patient]
    assert record["requests"][0]["callbacks"][0]["note"] == "Messagerie pleine"
    assert {"who": "bob", "action": "Modification"}.items() <= record["accesses"][1].items()
    pdf = admin.get(_url(world, "patient_export", patient[0], fmt="pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(pdf.content)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "Quéré" in text and patient[1].reference in text
    assert AccessEvent.objects.filter(action=AccessAction.EXPORT, object_type="patient_record").count() == 2
    assert admin.get(_url(world, "patient_export", patient[0], fmt="xml")).status_code == 404


def test_a_correction_changes_every_request_of_the_patient_and_says_so(world: World, patient: list[Request]) -> None:
    admin = world.client_for(world.owner)
    commune = patient[0].patient_commune
    body = {
        "patient_last_name": "Quéré",
        "patient_first_name": "Yannick",
        "patient_birth_date": "1950-02-03",
        "patient_sex": "",
        "patient_commune": f"{commune.name} · {commune.insee_code}",
        "patient_street": "",
        "patient_phone": "06 11 11 11 11",
    }
    assert admin.post(_url(world, "patient_rights", patient[1]), body).status_code == 302
    for each in patient:
        each.refresh_from_db()
        assert (each.patient_first_name, str(each.patient_birth_date)) == ("Yannick", "1950-02-03")
        assert each.events.filter(text__startswith="Corrigé à la demande du patient").exists()
    bad = admin.post(_url(world, "patient_rights", patient[1]), {**body, "patient_phone": "12"})
    assert bad.status_code == 400 and bad.context["form"].errors["patient_phone"]
    assert bad.context["form"]["patient_first_name"].value() == "Yannick"


def test_erasure_where_the_care_is_over_only(world: World, patient: list[Request]) -> None:
    admin = world.client_for(world.owner)
    admin.post(_url(world, "patient_erase", patient[0]), {"request": patient[1].pk})
    patient[1].refresh_from_db()
    assert patient[1].anonymised_at is None  # still open
    admin.post(_url(world, "patient_erase", patient[0]), {"request": patient[0].pk})
    patient[0].refresh_from_db()
    assert patient[0].anonymised_at is not None and patient[0].patient_last_name == "—"
    other = Request.objects.exclude(pk__in=[p.pk for p in patient]).get()
    assert admin.post(_url(world, "patient_erase", patient[1]), {"request": other.pk}).status_code == 404


def test_only_the_cell_administrator_exercises_rights(world: World, patient: list[Request]) -> None:
    assert world.client_for(world.colleague).get(_url(world, "patient_rights", patient[0])).status_code == 403


def test_every_sms_to_a_patient_links_the_information_page(world: World) -> None:
    page = world.client_for(world.owner).get(reverse("privacy", kwargs={"slug": world.cell.slug}))
    assert page.status_code == 200 and "24 mois" in page.content.decode()
    from agenda import services as agenda
    from agenda.tests.factories import make_slot

    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    booking = agenda.slot_book(slot=make_slot(world.cell), request=request, user=world.colleague)
    agenda.booking_cancel(booking=booking, user=world.colleague, reason="Patient indisponible")
    sms = Message.objects.filter(channel=MessageChannel.SMS, request=request)
    assert sms.count() == 2
    link = f"Vos données : http://127.0.0.1:8000/donnees/{world.cell.slug}/"
    assert all(message.body.endswith(link) for message in sms), [m.body for m in sms]


def test_a_correction_refused_on_one_request_changes_none(world: World, patient: list[Request]) -> None:
    Request.objects.filter(pk=patient[0].pk).update(requester_answers=True)  # the first may go without a phone
    commune = patient[0].patient_commune
    body = {
        "patient_last_name": "Quéré",
        "patient_first_name": "Yannick",
        "patient_birth_date": "",
        "patient_sex": "",
        "patient_commune": f"{commune.name} · {commune.insee_code}",
        "patient_street": "",
        "patient_phone": "",
    }
    refused = world.client_for(world.owner).post(_url(world, "patient_rights", patient[0]), body)
    assert refused.status_code == 400 and refused.context["form"].errors["patient_phone"]
    assert set(Request.objects.filter(pk__in=[p.pk for p in patient]).values_list("patient_first_name", flat=True)) == {
        "Yann"
    }
