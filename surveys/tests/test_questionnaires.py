"""A questionnaire on SNP practices, as the cell administrator builds it and the professionals answer it: questions
of each kind, sending once per address, answers checked and taken once, and the analysis (counts, percentages,
average, free texts) with its export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from common.errors import DomainError
from conftest import World
from directory.models import Profession
from notifications.models import Message, MessageKind
from surveys import questionnaires
from surveys.models import Invitation, Questionnaire, QuestionnaireStatus
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(world: World) -> Questionnaire:
    for index in range(3):
        ProfessionalFactory(cell=world.cell, last_name=f"Médecin{index}", email=f"medecin{index}@example.org")
    ProfessionalFactory(cell=world.cell, last_name="Infirmière", profession=Profession.NURSE, email="idel@example.org")
    ProfessionalFactory(cell=world.cell, last_name="SansCourriel", email="")
    client = world.client_for(world.owner)
    created = client.post(
        reverse("surveys:questionnaires", kwargs={"cell": world.cell.slug}),
        {"title": "Pratiques SNP 2026", "intro": "Cinq minutes."},
    )
    questionnaire = Questionnaire.objects.get()
    assert created.status_code == 302
    url = reverse("surveys:questionnaire", kwargs={"cell": world.cell.slug, "pk": questionnaire.pk})
    for body in (
        {"text": "Réservez-vous des créneaux SNP ?", "kind": "one", "choices": "Oui\nNon", "required": "on"},
        {"text": "Quand ?", "kind": "many", "choices": "Matin\nMidi\nSoir", "required": "on"},
        {"text": "Satisfaction du dispositif", "kind": "scale", "required": "on"},
        {"text": "Une idée ?", "kind": "text"},
    ):
        assert client.post(url, {"action": "add_question", **body}).status_code == 302
    wrong = client.post(url, {"action": "add_question", "text": "Seul choix", "kind": "one", "choices": "Oui"})
    assert wrong.status_code == 400 and "au moins deux choix" in wrong.content.decode()
    assert client.post(url, {"action": "send", "professions": ["gp"]}).status_code == 302
    questionnaire.refresh_from_db()
    return questionnaire


def test_it_reaches_each_address_once_and_opens(world: World, sent: Questionnaire) -> None:
    assert sent.status == QuestionnaireStatus.OPEN
    assert set(Invitation.objects.values_list("address", flat=True)) == {
        "medecin0@example.org",
        "medecin1@example.org",
        "medecin2@example.org",
    }
    assert Message.objects.filter(kind=MessageKind.QUESTIONNAIRE).count() == 3
    assert questionnaires.questionnaire_send(questionnaire=sent) == 1  # then everyone: only the nurse is new
    with pytest.raises(DomainError) as raised:
        questionnaires.question_add(questionnaire=sent, text="Trop tard", kind="text")
    assert raised.value.message == questionnaires.NOT_A_DRAFT
    assert not sent.questions.filter(text="Trop tard").exists()


def answer(world: World, invitation: Invitation, body: dict[str, object]) -> int:
    url = reverse("questionnaire_answer", kwargs={"token": invitation.token})
    return world.client_for(world.outsider).post(url, body).status_code


def test_answers_are_checked_taken_once_and_analysed(world: World, sent: Questionnaire) -> None:
    q1, q2, q3, q4 = sent.questions.all()
    first, second, third = Invitation.objects.order_by("address")
    page = world.client_for(world.outsider).get(reverse("questionnaire_answer", kwargs={"token": first.token}))
    assert page.status_code == 200 and "Réservez-vous des créneaux SNP ?" in page.content.decode()
    incomplete = {f"q{q1.pk}": "Oui", f"q{q4.pk}": "Plus de créneaux le samedi"}
    assert answer(world, first, incomplete) == 400
    assert answer(world, first, {**incomplete, f"q{q2.pk}": ["Matin", "Soir"], f"q{q3.pk}": "4"}) == 200
    assert answer(world, first, {**incomplete, f"q{q2.pk}": ["Matin"], f"q{q3.pk}": "1"}) == 409  # once
    assert answer(world, second, {f"q{q1.pk}": "Non", f"q{q2.pk}": ["Soir"], f"q{q3.pk}": "2"}) == 200
    result = questionnaires.analysis(sent)
    assert (result.invited, result.respondents, result.response_rate) == (3, 2, 66.7)
    by_question = {item.question.pk: item for item in result.questions}
    assert by_question[q1.pk].counts == [("Oui", 1, 50.0), ("Non", 1, 50.0)]
    assert by_question[q2.pk].counts == [("Matin", 1, 50.0), ("Midi", 0, 0.0), ("Soir", 2, 100.0)]
    assert by_question[q3.pk].average == 3.0
    assert by_question[q4.pk].texts == ["Plus de créneaux le samedi"] and by_question[q4.pk].answered == 1

    url = reverse("surveys:questionnaire", kwargs={"cell": world.cell.slug, "pk": sent.pk})
    export = world.client_for(world.owner).get(url, {"format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Question", "Réponse", "Nombre", "% des réponses"]
    assert ["Quand ?", "Soir", "2", "100,0"] in rows and ["Une idée ?", "Plus de créneaux le samedi", "", ""] in rows

    world.client_for(world.owner).post(url, {"action": "close"})
    assert answer(world, third, {f"q{q1.pk}": "Oui", f"q{q2.pk}": ["Midi"], f"q{q3.pk}": "5"}) == 409


def test_a_coordinator_cannot_build_questionnaires(world: World) -> None:
    url = reverse("surveys:questionnaires", kwargs={"cell": world.cell.slug})
    assert world.client_for(world.colleague).get(url).status_code == 403
