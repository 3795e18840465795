"""Ready to be booked by a batch tool (the placement assistant, the freed-slot proposals): the patient reached,
qualified without a red flag, the supervising doctor not waited for; otherwise each reason, in words."""

from __future__ import annotations

from typing import Any, cast

import pytest

from accounts.models import Role, User
from conftest import World
from referrals import services
from referrals.models import ProtocolQuestion, Request
from referrals.readiness import (
    ANSWER_UNREAD,
    NOT_QUALIFIED,
    NOT_REACHED,
    RED_FLAG,
    WAITING_SUPERVISOR,
    readiness,
    with_readiness,
)
from tests.factories import MembershipFactory, ProfessionalFactory

from .factories import make_ready, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(world: World) -> Request:
    ProfessionalFactory(cell=world.cell)
    return make_request(world.cell)


@pytest.fixture
def supervisor(world: World) -> User:
    return cast(User, MembershipFactory(cell=world.cell, role=Role.SUPERVISOR).user)


def test_a_new_request_is_neither_reached_nor_qualified(request_: Request) -> None:
    found = readiness(request_)
    assert not found and found.reasons == (NOT_REACHED, NOT_QUALIFIED)
    assert found.reason == f"{NOT_REACHED}, {NOT_QUALIFIED}"


def test_reached_and_qualified_is_ready(world: World, request_: Request) -> None:
    make_ready(request_, world.colleague)
    found = readiness(request_)
    assert found and found.ready and found.reasons == ()


@pytest.mark.parametrize("outcome", ["no_answer", "voicemail", "wrong_number", "refused"])
def test_a_call_that_did_not_reach_the_patient_does_not_count(world: World, request_: Request, outcome: str) -> None:
    services.callback_log(request=request_, user=world.colleague, outcome=outcome)
    services.qualification_record(request=request_, user=world.colleague, answers={})
    assert readiness(request_).reasons == (NOT_REACHED,)


def test_reached_but_not_qualified(world: World, request_: Request) -> None:
    services.callback_log(request=request_, user=world.colleague, outcome="reached")
    assert readiness(request_).reasons == (NOT_QUALIFIED,)


def test_qualified_but_never_reached(world: World, request_: Request) -> None:
    services.qualification_record(request=request_, user=world.colleague, answers={})
    assert readiness(request_).reasons == (NOT_REACHED,)


def test_when_the_requester_answers_for_the_patient_no_call_is_needed(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, phone="", requester_answers=True)
    assert readiness(request).reasons == (NOT_QUALIFIED,)
    services.qualification_record(request=request, user=world.colleague, answers={})
    assert readiness(request)


def test_a_question_to_the_supervisor_waits_until_answered_and_read(
    world: World, request_: Request, supervisor: User
) -> None:
    make_ready(request_, world.colleague)
    question = services.question_ask(request=request_, user=world.colleague, question="Présentiel ?")
    request_.refresh_from_db()
    assert readiness(request_).reasons == (WAITING_SUPERVISOR,)
    services.question_answer(question=question, user=supervisor, decision="orient", answer="Oui")
    request_.refresh_from_db()
    assert readiness(request_).reasons == (ANSWER_UNREAD,)  # the answer may say "call the 15": read it first
    services.answers_read(request=request_, user=world.colleague)
    assert readiness(request_)


def test_an_open_question_counts_even_if_the_status_moved_on(world: World, request_: Request) -> None:
    """Two questions, one answered: the request may have left the waiting status, the other is still open."""
    make_ready(request_, world.colleague)
    services.question_ask(request=request_, user=world.colleague, question="Avis ?")
    Request.objects.filter(pk=request_.pk).update(status="in_progress")
    request_.refresh_from_db()
    assert readiness(request_).reasons == (WAITING_SUPERVISOR,)


def test_a_red_flag_at_the_latest_qualification_is_not_ready_until_qualified_again(
    world: World, request_: Request
) -> None:
    question = ProtocolQuestion.objects.create(
        cell=world.cell, order=1, text="Douleur thoracique ?", kind="yes_no", red_flag="yes", red_flag_message="15"
    )
    make_ready(request_, world.colleague)
    services.qualification_record(request=request_, user=world.colleague, answers={str(question.pk): "yes"})
    assert readiness(request_).reasons == (RED_FLAG,)
    services.qualification_record(request=request_, user=world.colleague, answers={str(question.pk): "no"})
    assert readiness(request_)


def test_the_annotations_give_the_same_answers_for_many_in_one_query(
    world: World, supervisor: User, django_assert_num_queries: Any
) -> None:
    ProfessionalFactory(cell=world.cell)
    fresh = make_request(world.cell, last_name="Nouveau", phone="+33611000001")
    ready = make_ready(make_request(world.cell, last_name="Pret", phone="+33611000002"), world.colleague)
    asked = make_ready(make_request(world.cell, last_name="Avis", phone="+33611000003"), world.colleague)
    services.question_ask(request=asked, user=world.colleague, question="Avis ?")
    expected = {request.pk: readiness(Request.objects.get(pk=request.pk)) for request in (fresh, ready, asked)}
    with django_assert_num_queries(1):
        found = {request.pk: readiness(request) for request in with_readiness(Request.objects.filter(cell=world.cell))}
    assert found == expected
    assert found[ready.pk] and found[asked.pk].reasons == (WAITING_SUPERVISOR,)
