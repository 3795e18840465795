from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import Role
from common.errors import DomainError
from conftest import World
from referrals import selectors, services
from referrals.models import Channel, DuplicateFlag, EventKind, Request
from referrals.services.handling import ALREADY_DECIDED, NEXT_TRY_IN_PAST
from referrals.states import ILLEGAL_MOVE, Status
from tests.factories import MembershipFactory, ProfessionalFactory, ResourceFactory

from .factories import make_request

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)


@pytest.fixture
def requester_pro(world: World):
    return ProfessionalFactory(cell=world.cell, profession="pharmacist")


def test_a_request_is_received_with_its_48_hour_deadline_and_a_first_timeline_line(world: World, requester_pro) -> None:
    request = make_request(world.cell, submitted_by=world.colleague, now=NOON, requester_professional=requester_pro)
    assert request.status == Status.RECEIVED
    assert request.deadline_at == NOON + timedelta(hours=48)
    assert request.reference == f"D26-{request.pk:06d}"
    [event] = request.events.all()
    assert (event.kind, event.to_status) == (EventKind.MOVE, Status.RECEIVED)


def test_a_vital_emergency_stores_nothing(world: World, requester_pro) -> None:
    with pytest.raises(services.VitalEmergency) as raised:
        make_request(world.cell, requester_professional=requester_pro, vital_emergency=True)
    assert raised.value.message == services.VITAL_EMERGENCY
    assert not Request.objects.exists()


def test_a_double_submit_creates_one_request(world: World, requester_pro) -> None:
    first = make_request(world.cell, requester_professional=requester_pro, submission_key="abc123")
    second = make_request(world.cell, requester_professional=requester_pro, submission_key="abc123")
    assert first.pk == second.pk
    assert Request.objects.count() == 1


def test_a_key_stored_before_the_upgrade_still_finds_its_request(world: World, requester_pro) -> None:
    """Migration 0005 hashes the keys stored in clear ("<sender>:<key>"): a retry sent across the upgrade gets the
    request sent before it, and every stored key is then 64 hexadecimal characters whatever the key's length."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("referrals.migrations.0005_submission_key_whole")
    user = world.owner
    sent = {"requester_professional": requester_pro, "submitted_by": user}
    old = make_request(world.cell, **sent)
    Request.objects.filter(pk=old.pk).update(submission_key=f"{user.pk}:api:sas-0001", submission_fingerprint="")
    migration.hash_keys(apps, None)
    assert Request.objects.get(pk=old.pk).submission_key == services.stored_submission_key(user, "api:sas-0001")
    assert make_request(world.cell, submission_key="api:sas-0001", **sent).pk == old.pk
    long_key = make_request(world.cell, submission_key="k" * 5000, **sent)
    assert len(long_key.submission_key) == 64 and long_key.pk != old.pk


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"phone": ""}, "patient_phone", services.PHONE_REQUIRED),
        ({"care_channel": "imaging"}, "exam_type", services.EXAM_REQUIRED),
        ({"birth_date": date(2099, 1, 1)}, "patient_birth_date", services.BIRTH_DATE_IN_FUTURE),
    ],
)
def test_incomplete_requests_are_refused_on_the_right_field(
    world: World, requester_pro, overrides, field, message
) -> None:
    with pytest.raises(DomainError) as raised:
        make_request(world.cell, requester_professional=requester_pro, **overrides)
    assert (raised.value.field, raised.value.message) == (field, message)
    assert not Request.objects.exists()


def test_a_patient_answered_for_by_the_requester_needs_no_phone(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro, phone="", requester_answers=True)
    assert request.requester_answers and not request.patient_phone


def test_a_requester_of_another_cell_is_refused(world: World) -> None:
    foreign = ProfessionalFactory(cell=world.other_cell)
    with pytest.raises(DomainError) as raised:
        make_request(world.cell, requester_professional=foreign)
    assert raised.value.field == "requester_professional"
    assert raised.value.message == services.REQUESTER_OF_OTHER_CELL


def test_the_same_patient_twice_is_flagged_on_both_requests_never_merged(world: World, requester_pro) -> None:
    first = make_request(
        world.cell,
        requester_professional=requester_pro,
        last_name="Hébert",
        first_name="Léa",
        birth_date=date(1980, 2, 3),
        phone="+33611111111",
    )
    second = make_request(
        world.cell,
        requester_professional=requester_pro,
        last_name="HEBERT",
        first_name="lea",
        birth_date=date(1980, 2, 3),
        phone="+33622222222",
    )
    other = make_request(
        world.cell,
        requester_professional=requester_pro,
        last_name="Hébert",
        first_name="Léa",
        birth_date=date(1990, 1, 1),
        phone="+33633333333",
    )
    assert Request.objects.count() == 3
    flag = DuplicateFlag.objects.get()
    assert (flag.first_id, flag.second_id) == (first.pk, second.pk)
    assert first.events.filter(kind=EventKind.DUPLICATE, text=second.reference).exists()
    assert second.events.filter(kind=EventKind.DUPLICATE, text=first.reference).exists()
    assert not other.events.filter(kind=EventKind.DUPLICATE).exists()


def test_two_coordinators_never_hold_the_same_request(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro, now=NOON)
    other = MembershipFactory(cell=world.cell, role=Role.COORDINATOR).user
    taken = services.request_take(request=request, user=world.colleague, now=NOON)
    assert (taken.holder, taken.status) == (world.colleague, Status.IN_PROGRESS)
    with pytest.raises(DomainError) as raised:
        services.request_take(request=request, user=other, now=NOON + timedelta(minutes=5))
    assert raised.value.code == "held"
    with pytest.raises(DomainError) as raised:
        services.callback_log(request=request, user=other, outcome="reached", now=NOON + timedelta(minutes=5))
    assert raised.value.code == "held"
    assert str(raised.value.message) == str(services.HELD_BY_OTHER % {"name": world.colleague})
    assert request.callbacks.count() == 0


def test_an_idle_hold_frees_itself(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro, now=NOON)
    other = MembershipFactory(cell=world.cell, role=Role.COORDINATOR).user
    services.request_take(request=request, user=world.colleague, now=NOON)
    later = NOON + timedelta(minutes=selectors.settings_for(world.cell).hold_idle_minutes + 1)
    assert services.request_take(request=request, user=other, now=later).holder == other


def test_releasing_lets_a_colleague_take_it(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro, now=NOON)
    other = MembershipFactory(cell=world.cell, role=Role.COORDINATOR).user
    services.request_take(request=request, user=world.colleague, now=NOON)
    services.request_release(request=request, user=world.colleague, now=NOON)
    assert services.request_take(request=request, user=other, now=NOON).holder == other


def test_after_three_failed_callbacks_closing_as_unreachable_is_proposed(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro, now=NOON)
    results = [
        services.callback_log(request=request, user=world.colleague, outcome=outcome, now=NOON + timedelta(hours=i))
        for i, outcome in enumerate(["no_answer", "voicemail", "no_answer"])
    ]
    assert [r.propose_unreachable for r in results] == [False, False, True]
    assert request.callbacks.count() == 3
    closed = services.request_close(request=request, user=world.colleague, reason="unreachable")
    assert (closed.status, closed.close_reason, closed.holder) == (Status.CLOSED, "unreachable", None)


def test_a_closed_request_cannot_be_reoriented(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro)
    services.request_close(request=request, user=world.colleague, reason="refused_by_patient")
    resource = ResourceFactory(cell=world.cell)
    with pytest.raises(DomainError) as raised:
        services.request_reorient(request=request, user=world.colleague, resource=resource)
    assert raised.value.code == "illegal_move"
    assert str(raised.value.message) == str(
        ILLEGAL_MOVE % {"current": Status.CLOSED.label, "target": Status.REORIENTED.label}
    )
    request.refresh_from_db()
    assert request.status == Status.CLOSED


def test_reorientation_keeps_the_resource_and_tells_the_requester(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro)
    resource = ResourceFactory(cell=world.cell, name="Maison médicale de garde d'Argentan")
    services.request_reorient(request=request, user=world.colleague, resource=resource, note="Ce soir 20 h")
    request.refresh_from_db()
    assert (request.status, request.reoriented_to) == (Status.REORIENTED, resource)
    event = request.events.get(to_status=Status.REORIENTED)
    assert event.visible_to_requester and "Maison médicale de garde" in event.text


def test_a_resource_of_another_cell_is_refused(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro)
    with pytest.raises(DomainError) as raised:
        services.request_reorient(
            request=request, user=world.colleague, resource=ResourceFactory(cell=world.other_cell)
        )
    assert raised.value.message == services.RESOURCE_OF_OTHER_CELL


def test_a_qr_registration_waits_for_validation(world: World) -> None:
    request = make_request(world.cell, channel=Channel.QR)
    assert request.status == Status.TO_VALIDATE
    validated = services.request_validate(request=request, user=world.colleague)
    assert validated.status == Status.RECEIVED


def test_a_reorientation_needs_a_known_reason(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro)
    resource = ResourceFactory(cell=world.cell)
    with pytest.raises(DomainError) as raised:
        services.request_reorient(request=request, user=world.colleague, resource=resource, reason="because")
    assert raised.value.message == services.REORIENTATION_REASON_REQUIRED
    services.request_reorient(request=request, user=world.colleague, resource=resource, reason="no_slot_in_time")
    request.refresh_from_db()
    assert request.reorientation_reason == "no_slot_in_time"


def test_a_callback_after_an_expired_hold_takes_the_request(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro, now=NOON)
    other = MembershipFactory(cell=world.cell, role=Role.COORDINATOR).user
    services.request_take(request=request, user=world.colleague, now=NOON)
    later = NOON + timedelta(minutes=selectors.settings_for(world.cell).hold_idle_minutes + 5)
    result = services.callback_log(request=request, user=other, outcome="no_answer", now=later)
    assert result.request.holder == other
    with pytest.raises(DomainError) as raised:
        services.request_add_note(request=request, user=world.colleague, text="Je reprends", now=later)
    assert raised.value.code == "held"
    assert not request.events.filter(kind=EventKind.NOTE).exists()


def test_a_next_try_in_the_past_is_refused(world: World, requester_pro) -> None:
    request = make_request(world.cell, requester_professional=requester_pro, now=NOON)
    with pytest.raises(DomainError) as raised:
        services.callback_log(
            request=request, user=world.colleague, outcome="no_answer", next_try_at=NOON - timedelta(hours=1), now=NOON
        )
    assert raised.value.message == NEXT_TRY_IN_PAST
    assert request.callbacks.count() == 0


def test_a_duplicate_is_decided_once(world: World, requester_pro) -> None:
    make_request(world.cell, requester_professional=requester_pro)
    make_request(world.cell, requester_professional=requester_pro)
    flag = DuplicateFlag.objects.get()
    services.duplicate_decide(flag=flag, user=world.colleague, decision="dismissed")
    with pytest.raises(DomainError) as raised:
        services.duplicate_decide(flag=flag, user=world.colleague, decision="linked")
    assert raised.value.message == ALREADY_DECIDED
    flag.refresh_from_db()
    assert flag.decision == DuplicateFlag.Decision.DISMISSED
