from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Role
from common.errors import DomainError
from conftest import World
from referrals import services
from referrals.models import DuplicateFlag, DutyShift
from referrals.states import Status
from tests.factories import MembershipFactory, ProfessionalFactory

from .factories import make_request

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 10, 25, 11, 0, tzinfo=UTC)  # the day of the autumn clock change


@pytest.fixture
def supervisor(world: World):
    return MembershipFactory(cell=world.cell, role=Role.SUPERVISOR).user


@pytest.fixture
def request_(world: World):
    ProfessionalFactory(cell=world.cell)
    return make_request(world.cell, now=NOON)


def test_a_question_puts_the_request_on_hold_and_the_answer_brings_it_back(world: World, supervisor, request_) -> None:
    question = services.question_ask(
        request=request_, user=world.colleague, question="Téléconsultation ?", now=NOON + timedelta(minutes=5)
    )
    request_.refresh_from_db()
    assert request_.status == Status.WAITING_SUPERVISOR
    services.question_answer(
        question=question,
        user=supervisor,
        decision="orient",
        answer="Oui, spot de Vimoutiers",
        now=NOON + timedelta(minutes=20),
    )
    request_.refresh_from_db()
    question.refresh_from_db()
    assert request_.status == Status.IN_PROGRESS
    assert (question.decision, question.answered_by) == ("orient", supervisor)
    assert request_.events.filter(kind="answer", text__contains="spot de Vimoutiers").exists()


def test_only_a_supervisor_answers_and_only_once(world: World, supervisor, request_) -> None:
    question = services.question_ask(request=request_, user=world.colleague, question="Avis ?")
    with pytest.raises(DomainError) as raised:
        services.question_answer(question=question, user=world.colleague, decision="advice")
    assert raised.value.message == services.NOT_A_SUPERVISOR
    services.question_answer(question=question, user=supervisor, decision="advice")
    with pytest.raises(DomainError) as raised:
        services.question_answer(question=question, user=supervisor, decision="call_15")
    assert raised.value.message == services.ALREADY_ANSWERED


def test_an_empty_question_is_refused(world: World, request_) -> None:
    with pytest.raises(DomainError) as raised:
        services.question_ask(request=request_, user=world.colleague, question="  ")
    assert raised.value.field == "question"
    request_.refresh_from_db()
    assert request_.status == Status.RECEIVED


def test_the_roster_tells_who_is_on_duty_across_the_clock_change(world: World, supervisor) -> None:
    other = MembershipFactory(cell=world.cell, role=Role.SUPERVISOR).user
    services.shift_add(
        cell=world.cell, supervisor=supervisor, starts_at=NOON - timedelta(hours=12), ends_at=NOON + timedelta(hours=1)
    )
    services.shift_add(
        cell=world.cell, supervisor=other, starts_at=NOON + timedelta(hours=1), ends_at=NOON + timedelta(hours=13)
    )
    assert services.supervisor_on_duty(world.cell, NOON) == supervisor
    assert services.supervisor_on_duty(world.cell, NOON + timedelta(hours=2)) == other
    assert services.supervisor_on_duty(world.cell, NOON + timedelta(hours=14)) is None
    assert services.supervisor_on_duty(world.other_cell, NOON) is None


def test_a_shift_needs_a_supervisor_of_the_cell_and_an_end_after_its_start(world: World, supervisor) -> None:
    with pytest.raises(DomainError) as raised:
        services.shift_add(cell=world.cell, supervisor=world.colleague, starts_at=NOON, ends_at=NOON + timedelta(1))
    assert raised.value.field == "supervisor"
    with pytest.raises(DomainError) as raised:
        services.shift_add(cell=world.cell, supervisor=supervisor, starts_at=NOON, ends_at=NOON)
    assert raised.value.field == "ends_at"
    assert not DutyShift.objects.exists()


def test_the_inbox_lists_pending_questions_oldest_first_and_answers_them(world: World, supervisor) -> None:
    ProfessionalFactory(cell=world.cell)
    first = make_request(world.cell, last_name="Premier", phone="+33611110001")
    second = make_request(world.cell, last_name="Second", phone="+33611110002")
    services.question_ask(request=second, user=world.colleague, question="B", now=NOON + timedelta(minutes=10))
    asked = services.question_ask(request=first, user=world.colleague, question="A", now=NOON)
    client = world.client_for(supervisor)
    inbox = client.get(reverse("referrals:supervisor_inbox", kwargs={"cell": world.cell.slug}))
    assert [q.question for q in inbox.context["questions"]] == ["A", "B"]
    client.post(
        reverse("referrals:question_answer", kwargs={"cell": world.cell.slug, "pk": asked.pk}),
        {"decision": "reorient", "answer": "Pharmacie"},
    )
    after = client.get(reverse("referrals:supervisor_inbox", kwargs={"cell": world.cell.slug}))
    assert [q.question for q in after.context["questions"]] == ["B"]
    coordinator_view = world.client_for(world.colleague).get(
        reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": first.pk})
    )
    assert "Pharmacie" in coordinator_view.content.decode()


def test_a_coordinator_links_or_dismisses_a_duplicate(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    first = make_request(world.cell)
    make_request(world.cell)
    flag = DuplicateFlag.objects.get()
    client = world.client_for(world.colleague)
    response = client.post(
        reverse("referrals:duplicate_decide", kwargs={"cell": world.cell.slug, "pk": flag.pk}),
        {"decision": "linked", "back": str(first.pk)},
    )
    assert response["Location"].endswith(f"/demandes/{first.pk}/")
    flag.refresh_from_db()
    assert (flag.decision, flag.decided_by) == ("linked", world.colleague)
    bad = client.post(
        reverse("referrals:duplicate_decide", kwargs={"cell": world.cell.slug, "pk": flag.pk}),
        {"decision": "merge"},
        follow=True,
    )
    assert bad.status_code == 200
    flag.refresh_from_db()
    assert flag.decision == "linked"


def test_the_supervisor_is_told_at_once_and_the_answer_waits_at_the_top_until_read(world: World, settings: Any) -> None:
    settings.AIGUILLAGE_BASE_URL = "https://coordination-soins-non-programmes.cpts-orne-est.example.fr"
    from notifications.models import Message, MessageKind

    on_call: Any = MembershipFactory(
        cell=world.cell, role=Role.SUPERVISOR, professional=ProfessionalFactory(cell=world.cell, phone="+33611223344")
    ).user
    by_mail: Any = MembershipFactory(
        cell=world.cell,
        role=Role.SUPERVISOR,
        professional=ProfessionalFactory(cell=world.cell, phone="+33233112233", email="dr.leroux@example.org"),
    ).user
    request = make_request(world.cell, last_name="Vasseur")
    services.question_ask(request=request, user=world.colleague, question="Douleur thoracique : spot ?")
    told = {message.recipient: message for message in Message.objects.filter(kind=MessageKind.SUPERVISOR_ASKED)}
    assert set(told) == {on_call, by_mail}  # nobody on duty: every supervisor of the cell
    sms, mail = told[on_call], told[by_mail]
    assert (sms.channel, sms.to) == ("sms", "+33611223344")
    assert (mail.channel, mail.to) == ("email", "dr.leroux@example.org")  # a landline: by e-mail
    inbox = f"{settings.AIGUILLAGE_BASE_URL}/c/{world.cell.slug}/demandes/superviseur/"
    for message in (sms, mail):
        assert request.reference in message.body and inbox in message.body
        assert "Vasseur" not in message.body and "thoracique" not in message.body  # no health detail
    services.shift_add(cell=world.cell, supervisor=on_call, starts_at=NOON, ends_at=NOON + timedelta(days=3650))
    services.question_ask(request=request, user=world.colleague, question="Et maintenant ?")
    assert Message.objects.filter(kind=MessageKind.SUPERVISOR_ASKED).count() == 3  # only the one on duty
    question = request.questions.first()
    services.question_answer(question=question, user=on_call, decision="orient", answer="Spot de Vimoutiers")
    coordinator = world.client_for(world.colleague)
    queue = coordinator.get(reverse("referrals:queue", kwargs={"cell": world.cell.slug})).content.decode()
    assert "réponse du superviseur à lire" in queue
    page = coordinator.get(reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk}))
    top = page.content.decode().split('class="columns"')[0]  # above the request's facts
    assert "Le médecin superviseur a répondu" in top and "Spot de Vimoutiers" in top
    queue = coordinator.get(reverse("referrals:queue", kwargs={"cell": world.cell.slug})).content.decode()
    assert "réponse du superviseur à lire" not in queue


def test_the_supervisor_chooses_e_mail_over_sms(world: World) -> None:
    from accounts.models import Membership
    from notifications.models import Message, MessageKind

    membership: Membership = MembershipFactory(
        cell=world.cell,
        role=Role.SUPERVISOR,
        professional=ProfessionalFactory(cell=world.cell, phone="+33611223344", email="dr.perrot@example.org"),
    )
    client = world.client_for(membership.user)
    inbox = reverse("referrals:supervisor_inbox", kwargs={"cell": world.cell.slug})
    assert 'name="alert_channel" value="sms" checked' in client.get(inbox).content.decode()
    url = reverse("accounts:alert_channel", kwargs={"cell": world.cell.slug})
    assert client.post(url, {"alert_channel": "pigeon", "next": inbox}).status_code == 302
    membership.refresh_from_db()
    assert membership.alert_channel == "sms"  # an unknown choice changes nothing
    answer = client.post(url, {"alert_channel": "email", "next": "https://elsewhere.example.com/"})
    assert answer["Location"] == reverse("accounts:cell_home", kwargs={"cell": world.cell.slug})  # never off-site
    services.question_ask(request=make_request(world.cell), user=world.colleague, question="Avis ?")
    told = Message.objects.get(kind=MessageKind.SUPERVISOR_ASKED, recipient=membership.user)
    assert (told.channel, told.to) == ("email", "dr.perrot@example.org")


@pytest.mark.parametrize("cell_name", ["CSNP Orne", "Cellule de coordination des soins non programmés " * 3])
def test_the_supervisors_sms_keeps_the_reference_and_the_whole_link_within_two_parts(
    world: World, settings: Any, cell_name: str
) -> None:
    from notifications.models import Message, MessageKind
    from notifications.sms import GSM_BASIC, GSM_EXTENSION, segments

    settings.AIGUILLAGE_BASE_URL = "https://coordination-des-soins-non-programmes.cpts-du-pays-d-argentan.example.fr"
    world.cell.name = cell_name.strip()
    world.cell.save()
    supervisor: Any = MembershipFactory(
        cell=world.cell, role=Role.SUPERVISOR, professional=ProfessionalFactory(cell=world.cell, phone="+33611223344")
    ).user
    request = make_request(world.cell)
    services.question_ask(request=request, user=world.colleague, question="Avis ?")
    sms = Message.objects.get(kind=MessageKind.SUPERVISOR_ASKED, recipient=supervisor)
    inbox = f"{settings.AIGUILLAGE_BASE_URL}/c/{world.cell.slug}/demandes/superviseur/"
    assert sms.body.endswith(inbox) and request.reference in sms.body
    assert segments(sms.body) <= 2 and all(c in GSM_BASIC or c in GSM_EXTENSION for c in sms.body)
