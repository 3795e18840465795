"""INT_R03: appointments SAS regulators book in slots published to the SAS, pushed to a fake SAS platform on
loopback (a real HTTP server; the worker runs as in production, `db_worker`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agenda.models import Booking
from agenda.services import booking_cancel, booking_move, booking_outcome, slot_book
from agenda.tests.factories import make_slot
from conftest import World
from interop.models import AppointmentPush, PushStatus
from interop.services.appointments import appointment_push_send
from interop.services.regulators import RegulatorData, regulator_save
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory
from tests.loopback import LoopbackHandler, serving
from tests.worker import work

from .helpers import parse_r4b


class SasHandler(LoopbackHandler):
    def _handle(self) -> None:
        fake = self.fake
        body = self.read_body()
        parts = urlsplit(self.path)
        fake.calls.append(
            {
                "method": self.command,
                "path": parts.path,
                "query": parse_qs(parts.query),
                "content_type": self.headers.get("Content-Type"),
                "body": json.loads(body),
            }
        )
        status = fake.answers.pop(0) if fake.answers else (201 if self.command == "POST" else 200)
        answer = (
            b"{}"
            if status < 400
            else json.dumps(
                {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}
            ).encode()
        )
        if self.answer_lost():
            return
        headers = {"Location": "/Appointment/12345"} if status == 201 else {}
        self.send_body(status, answer, "application/fhir+json", **headers)

    do_POST = do_PUT = _handle


class FakeSas:
    """The SAS platform's Appointment endpoint: records each call, answers the statuses queued (else 201/200). `late`
    takes the next call and answers only that many seconds later; `drop` takes it and writes only those
    bytes of an answer before closing the connection."""

    def __init__(self) -> None:
        self.url = ""  # while running
        self.calls: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.late = 0.0
        self.drop: bytes | None = None


@pytest.fixture
def sas() -> Iterator[FakeSas]:
    fake = FakeSas()
    with serving(SasHandler, fake) as base:
        fake.url = f"{base}/fhir"
        with override_settings(
            AIGUILLAGE_SAS_APPOINTMENTS_URL=fake.url,
            AIGUILLAGE_BASE_URL="https://aiguillage.test",
            AIGUILLAGE_SAS_TIMEOUT=3,
        ):
            yield fake


def _regulator() -> Any:
    regulator, _ = regulator_save(
        data=RegulatorData(
            national_id="3456780581/11242343", sas_id="", active=True, family="Lorion", given="Sébastien", email=""
        )
    )
    return regulator.user


@pytest.fixture
def booked(world: World) -> dict[str, Any]:
    doctor = ProfessionalFactory(cell=world.cell, last_name="Forêt")
    regulator = _regulator()
    slot = make_slot(world.cell, professional=doctor, open_to_sas=True, starts_at=timezone.now() + timedelta(hours=4))
    return {"doctor": doctor, "regulator": regulator, "slot": slot, "request": make_request(world.cell)}


def _book(booked: dict[str, Any]) -> Booking:
    return slot_book(
        slot=booked["slot"], request=booked["request"], user=booked["regulator"], requester_type="sas_regulator"
    )


def test_a_regulators_booking_is_posted_as_a_fr_appointment_sas(world: World, sas: FakeSas, booked: dict) -> None:
    booking = _book(booked)
    work()
    [call] = sas.calls
    assert (call["method"], call["path"], call["content_type"]) == (
        "POST",
        "/fhir/Appointment",
        "application/fhir+json",
    )
    appointment = parse_r4b(call["body"])
    assert appointment.meta.profile == ["http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS"]
    assert appointment.status == "booked"
    assert appointment.start == booked["slot"].starts_at.replace(microsecond=0)
    operator = appointment.extension[0]
    assert operator.url == "http://interopsante.org/fhir/StructureDefinition/FrAppointmentOperator"
    assert operator.valueReference.identifier.system == "urn:oid:1.2.250.1.71.4.2.1"
    assert operator.valueReference.identifier.value == "3456780581/11242343"
    assert operator.valueReference.identifier.type.coding[0].code == "IDNPS"
    [participant] = appointment.participant
    assert participant.actor.identifier.value == "8" + booked["doctor"].rpps and participant.status == "accepted"
    assert participant.actor.identifier.type.coding[0].code == "IDNPS"
    push = AppointmentPush.objects.get(booking=booking)
    assert appointment.identifier[0].value == str(push.identifier)
    assert appointment.identifier[0].system == "https://aiguillage.test/fhir/identifiants/rendez-vous"
    assert (push.status, push.sent_version, push.last_sent_status) == (PushStatus.SENT, 1, "booked")


def test_moves_cancellation_and_outcomes_are_conditional_updates(world: World, sas: FakeSas, booked: dict) -> None:
    booking = _book(booked)
    work()
    later = make_slot(
        world.cell, professional=booked["doctor"], open_to_sas=True, starts_at=timezone.now() + timedelta(hours=6)
    )
    booking_move(booking=booking, slot=later, user=world.colleague)
    work()
    moved = sas.calls[-1]
    push = AppointmentPush.objects.get(booking=booking)
    assert moved["method"] == "PUT" and moved["path"] == "/fhir/Appointment"
    assert moved["query"] == {
        "identifier": [f"https://aiguillage.test/fhir/identifiants/rendez-vous|{push.identifier}"]
    }
    assert parse_r4b(moved["body"]).start == later.starts_at.replace(microsecond=0)
    booking_cancel(booking=booking, user=world.colleague, reason="Patient indisponible")
    work()
    assert sas.calls[-1]["body"]["status"] == "cancelled"
    # Another booking of a regulator, then its outcome: seen -> fulfilled, no-show -> noshow.
    for seen, status in ((True, "fulfilled"), (False, "noshow")):
        slot = make_slot(
            world.cell, professional=booked["doctor"], open_to_sas=True, starts_at=timezone.now() + timedelta(hours=1)
        )
        request = make_request(world.cell)
        other = slot_book(slot=slot, request=request, user=booked["regulator"], requester_type="sas_regulator")
        work()
        type(slot).objects.filter(pk=slot.pk).update(starts_at=timezone.now() - timedelta(minutes=30))
        booking_outcome(booking=other, user=world.colleague, seen=seen)
        work()
        assert [c["body"]["status"] for c in sas.calls[-2:]] == ["booked", status]
        assert sas.calls[-1]["method"] == "PUT"
    assert set(AppointmentPush.objects.values_list("status", flat=True)) == {PushStatus.SENT}


def test_changes_made_before_the_worker_runs_are_sent_once_as_the_latest_state(
    world: World, sas: FakeSas, booked: dict
) -> None:
    booking = _book(booked)
    booking_cancel(booking=booking, user=world.colleague, reason="Patient indisponible")
    work()
    assert [(c["method"], c["body"]["status"]) for c in sas.calls] == [("POST", "cancelled")]
    assert AppointmentPush.objects.get().sent_version == 2


def test_an_unreachable_platform_is_tried_again_and_then_updated_conditionally(
    world: World, sas: FakeSas, booked: dict
) -> None:
    sas.answers = [503]
    booking = _book(booked)
    work()
    push = AppointmentPush.objects.get(booking=booking)
    assert (push.status, push.attempts, push.created_remotely) == (PushStatus.PENDING, 1, True)
    assert "503" in push.last_error and push.next_attempt_at > timezone.now()
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    AppointmentPush.objects.update(next_attempt_at=timezone.now())  # the wait is over
    work()
    push.refresh_from_db()
    # The first POST may have created it: the retry is the conditional update, which creates it when it did not.
    assert [c["method"] for c in sas.calls] == ["POST", "PUT"]
    assert (push.status, push.sent_version) == (PushStatus.SENT, 1)


@pytest.mark.parametrize(
    ("late", "drop"),
    [(2.0, None), (0.0, b""), (0.0, b"HTTP/1.1 20")],
    ids=["answered after the timeout", "closed unanswered", "answer cut off"],
)
def test_a_post_whose_answer_was_lost_is_followed_by_a_conditional_update_not_a_second_post(
    world: World, sas: FakeSas, booked: dict, late: float, drop: bytes | None
) -> None:
    # The platform takes the POST (it created the appointment) but its answer never reaches the worker: the retry
    # must not POST a second appointment.
    sas.late, sas.drop = late, drop
    with override_settings(AIGUILLAGE_SAS_TIMEOUT=0.5):
        booking = _book(booked)
        work()
        push = AppointmentPush.objects.get(booking=booking)
        assert (push.status, push.attempts, push.created_remotely) == (PushStatus.PENDING, 1, True)
        assert push.next_attempt_at > timezone.now() + timedelta(seconds=50)
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        AppointmentPush.objects.update(next_attempt_at=timezone.now())  # the wait is over
        work()
    assert [c["method"] for c in sas.calls] == ["POST", "PUT"]
    assert sas.calls[1]["query"] == {
        "identifier": [f"https://aiguillage.test/fhir/identifiants/rendez-vous|{push.identifier}"]
    }
    push.refresh_from_db()
    assert (push.status, push.sent_version, push.last_error) == (PushStatus.SENT, 1, "")


def test_a_refusal_is_given_up_until_the_next_change(world: World, sas: FakeSas, booked: dict) -> None:
    sas.answers = [422]
    booking = _book(booked)
    work()
    push = AppointmentPush.objects.get(booking=booking)
    assert push.status == PushStatus.FAILED and "422" in push.last_error
    assert not DBTaskResult.objects.filter(status="READY").exists()
    booking_cancel(booking=booking, user=world.colleague, reason="Patient indisponible")
    work()
    push.refresh_from_db()
    assert push.status == PushStatus.SENT and sas.calls[-1]["body"]["status"] == "cancelled"


def test_only_regulators_bookings_of_sas_slots_are_pushed(world: World, sas: FakeSas, booked: dict) -> None:
    slot_book(slot=booked["slot"], request=booked["request"], user=world.colleague)  # a coordinator books it
    hidden = make_slot(world.cell, professional=booked["doctor"], open_to_sas=False, open_to_gps=True)
    slot_book(slot=hidden, request=make_request(world.cell), user=world.colleague)
    work()
    assert sas.calls == [] and not AppointmentPush.objects.exists()


def test_a_rolled_back_booking_pushes_nothing(world: World, sas: FakeSas, booked: dict) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _book(booked)
        raise RuntimeError("the rest of the booking failed")
    work()
    assert sas.calls == [] and not AppointmentPush.objects.exists()


def test_off_by_default(world: World, booked: dict) -> None:
    _book(booked)
    assert not AppointmentPush.objects.exists()
    assert not DBTaskResult.objects.filter(task_path__endswith="push_appointment").exists()


def test_a_push_held_by_a_worker_is_not_sent_twice(world: World, sas: FakeSas, booked: dict) -> None:
    booking = _book(booked)
    push = AppointmentPush.objects.get(booking=booking)
    AppointmentPush.objects.filter(pk=push.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))
    assert appointment_push_send(push_pk=push.pk) is None
    call_command("push_sas_appointments", verbosity=0)
    assert sas.calls == []
    AppointmentPush.objects.filter(pk=push.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    call_command("push_sas_appointments", verbosity=0)
    assert len(sas.calls) == 1


def test_a_change_made_while_a_send_is_refused_is_still_sent(
    world: World, sas: FakeSas, booked: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interop.services import appointments

    booking = _book(booked)
    push = AppointmentPush.objects.get(booking=booking)
    real = appointments._deliver

    def cancelled_meanwhile(method: str, url: str, resource: dict) -> appointments.Delivery:
        booking_cancel(
            booking=booking, user=world.colleague, reason="Patient indisponible"
        )  # commits while the platform is being asked
        return appointments.Delivery(ok=False, retry=False, error="HTTP 422: refused")

    monkeypatch.setattr(appointments, "_deliver", cancelled_meanwhile)
    retry_at = appointment_push_send(push_pk=push.pk)
    push.refresh_from_db()
    assert retry_at is not None and push.status == PushStatus.PENDING and push.version == 2
    monkeypatch.setattr(appointments, "_deliver", real)
    appointment_push_send(push_pk=push.pk)
    push.refresh_from_db()
    assert push.status == PushStatus.SENT and [c["body"]["status"] for c in sas.calls] == ["cancelled"]
    assert sas.calls[0]["method"] == "PUT"  # the refused POST may have been half taken: a conditional update


def test_a_worker_killed_after_its_post_is_followed_by_a_conditional_update(
    world: World, sas: FakeSas, booked: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interop.services import appointments

    booking = _book(booked)
    push = AppointmentPush.objects.get(booking=booking)

    def killed(method: str, url: str, resource: dict) -> appointments.Delivery:
        raise SystemExit("the worker is killed while the POST is on its way")

    monkeypatch.setattr(appointments, "_deliver", killed)
    with pytest.raises(SystemExit):
        appointment_push_send(push_pk=push.pk)
    monkeypatch.undo()
    AppointmentPush.objects.filter(pk=push.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    call_command("push_sas_appointments", verbosity=0)
    assert [c["method"] for c in sas.calls] == ["PUT"]
    push.refresh_from_db()
    assert push.status == PushStatus.SENT


def test_a_booking_moved_to_a_slot_without_rpps_is_given_up_with_its_reason(
    world: World, sas: FakeSas, booked: dict
) -> None:
    booking = _book(booked)
    work()
    nameless = ProfessionalFactory(cell=world.cell, rpps="", adeli="")
    other = make_slot(world.cell, professional=nameless, starts_at=timezone.now() + timedelta(hours=6))
    booking_move(booking=booking, slot=other, user=world.colleague)
    work()
    push = AppointmentPush.objects.get(booking=booking)
    assert push.status == PushStatus.FAILED and "RPPS" in push.last_error
    assert len(sas.calls) == 1
