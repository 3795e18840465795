from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from common.errors import DomainError
from conftest import World
from demo.protocol import load_demo_protocol
from referrals import services
from referrals.models import ProtocolQuestion, Qualification
from referrals.states import Status
from tests.factories import ProfessionalFactory

from .factories import make_request

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 27, 11, 0, tzinfo=UTC)


@pytest.fixture
def request_(world: World):
    load_demo_protocol(world.cell)
    ProfessionalFactory(cell=world.cell)
    return make_request(world.cell, now=NOON)


def answers_for(cell, **by_order: str) -> dict[str, str]:
    questions = {q.order: q for q in ProtocolQuestion.objects.filter(cell=cell)}
    return {str(questions[int(order[1:])].pk): value for order, value in by_order.items()}


def test_the_suggestion_is_kept_with_the_decision_and_updates_the_request(world: World, request_) -> None:
    answers = answers_for(world.cell, o1="no", o2="39.4", o4="Consultation médicale", o5="yes", o6="no")
    qualification = services.qualification_record(
        request=request_, user=world.colleague, answers=answers, now=NOON + timedelta(hours=1)
    )
    request_.refresh_from_db()
    assert (
        qualification.suggested_care_channel,
        qualification.suggested_modality,
        qualification.suggested_urgency,
    ) == ("gp", "assisted_teleconsultation", "24h")
    assert (request_.care_channel, request_.modality, request_.urgency) == ("gp", "assisted_teleconsultation", "24h")
    assert request_.deadline_at == NOON + timedelta(hours=24)
    assert request_.status == Status.IN_PROGRESS


def test_deciding_otherwise_needs_a_reason(world: World, request_) -> None:
    answers = answers_for(world.cell, o1="no", o6="no")
    with pytest.raises(DomainError) as raised:
        services.qualification_record(request=request_, user=world.colleague, answers=answers, modality="in_person")
    assert raised.value.field == "reason"
    assert not Qualification.objects.exists()
    services.qualification_record(
        request=request_,
        user=world.colleague,
        answers=answers,
        modality="in_person",
        reason="Patiente préfère venir au cabinet",
    )
    request_.refresh_from_db()
    assert request_.modality == "in_person"


def test_a_red_flag_stops_and_tells_to_call_the_15(world: World, request_) -> None:
    answers = answers_for(world.cell, o1="yes", o6="no")
    qualification = services.qualification_record(request=request_, user=world.colleague, answers=answers)
    assert qualification.red_flags == ["Signes de gravité : appeler le 15 sans attendre"]
    request_.refresh_from_db()
    assert request_.modality == ""  # nothing suggested, nothing changed
    assert request_.events.filter(kind="qualified", text__contains="15").exists()


def test_answers_outside_the_protocol_are_refused_on_their_question(world: World, request_) -> None:
    questions = {q.order: q for q in ProtocolQuestion.objects.filter(cell=world.cell)}
    for order, bad in ((1, "peut-être"), (2, "chaud"), (4, "Chirurgie")):
        with pytest.raises(DomainError) as raised:
            services.qualification_record(
                request=request_, user=world.colleague, answers={str(questions[order].pk): bad}
            )
        assert raised.value.field == f"q{questions[order].pk}"
    assert not Qualification.objects.exists()


def test_the_preview_and_the_form_on_the_request_page(world: World, request_) -> None:
    client = world.client_for(world.colleague)
    questions = {q.order: q for q in ProtocolQuestion.objects.filter(cell=world.cell)}
    url = reverse("referrals:request_action", kwargs={"cell": world.cell.slug, "pk": request_.pk, "action": "preview"})
    preview = client.post(url, {f"qualify-q{questions[5].pk}": "no"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Visite à domicile" in preview
    url = reverse("referrals:request_action", kwargs={"cell": world.cell.slug, "pk": request_.pk, "action": "qualify"})
    response = client.post(
        url,
        {f"qualify-q{questions[5].pk}": "no", "qualify-care_channel": "", "qualify-reason": ""},
    )
    assert response.status_code == 302
    request_.refresh_from_db()
    assert request_.modality == "home_visit"


def test_protocol_rules_are_checked_against_their_question(world: World) -> None:
    load_demo_protocol(world.cell)
    temperature = ProtocolQuestion.objects.get(cell=world.cell, order=2)
    with pytest.raises(DomainError) as raised:
        services.protocol_rule_save(question=temperature, answer="beaucoup", urgency="24h")
    assert raised.value.field == "answer"
    with pytest.raises(DomainError) as raised:
        services.protocol_rule_save(question=temperature, answer=">=38")
    assert raised.value.field == "care_channel"
    with pytest.raises(DomainError) as raised:
        services.protocol_question_save(cell=world.cell, text="Choix ?", kind="choice", choices="un seul", order=9)
    assert raised.value.field == "choices"


def test_administrators_write_oui_and_non(world: World) -> None:
    question = services.protocol_question_save(
        cell=world.cell, text="Fièvre ?", kind="yes_no", order=1, red_flag="", red_flag_message=""
    )
    rule = services.protocol_rule_save(question=question, answer="Oui", urgency="24h")
    assert rule.answer == "yes"
