"""SMS: segment counts, a patient's confirmation within two segments, and delivery through the Brevo transactional SMS
API — against a fake Brevo server on loopback that speaks its protocol: success, a temporary failure then success, a
permanent refusal (never retried), and a send whose outcome is unknown (Brevo took it but its answer was lost), looked
up by its tag before it is ever sent again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agenda import services as agenda
from agenda.tests.factories import make_slot
from conftest import World
from notifications.models import Message, MessageKind, MessageStatus
from notifications.services import reminders_queue
from notifications.sms import segments, within_segments
from notifications.tests.fake_brevo import FakeBrevo, brevo_on
from referrals import services as referral_services
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, ResourceFactory, SiteFactory
from tests.worker import work

pytestmark = pytest.mark.django_db


def test_segments_follow_gsm_and_ucs2_lengths() -> None:
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # an extension character counts twice
    assert segments("œ" * 70) == 1 and segments("œ" * 71) == 2  # not in GSM 03.38: UCS-2, 70 a part
    shortened = within_segments("é" * 400)
    assert segments(shortened) == 2 and shortened.endswith("…")


@pytest.fixture
def brevo() -> Iterator[FakeBrevo]:
    with brevo_on(FakeBrevo()) as fake:
        yield fake


def book(world: World) -> Message:
    ProfessionalFactory(cell=world.cell)
    site = SiteFactory(cell=world.cell, name="Maison de santé du Val", address="3 rue des Lilas")
    request = make_request(world.cell, phone="+33612345678")
    slot = make_slot(world.cell, site=site, starts_at=timezone.now() + timedelta(hours=4))
    agenda.slot_book(slot=slot, request=request, user=world.colleague)
    return Message.objects.get(request=request, kind=MessageKind.PATIENT_BOOKED)


def test_the_patient_gets_an_sms_with_when_and_where(world: World, brevo: FakeBrevo) -> None:
    message = book(world)
    work()
    assert len(brevo.received) == 1 and brevo.keys == ["test-key"]
    sent = brevo.received[0]
    assert sent["recipient"] == "33612345678" and sent["type"] == "transactional"
    assert "Maison de santé du Val, 3 rue des Lilas" in sent["content"] and "carte Vitale" in sent["content"]
    assert segments(sent["content"]) <= 2
    assert sent["tag"] == [message.key]
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, "1511882900176221")


def test_a_temporary_failure_is_tried_again_then_sent_once(world: World, brevo: FakeBrevo) -> None:
    brevo.answers = [503]
    message = book(world)
    work()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1) and "503" in message.error
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # the wait is over
    work()
    work()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert len(brevo.received) == 1 and brevo.event_queries == []  # a 503 refused it: nothing to ask


def wait_is_over() -> None:
    """The retry's wait is over: the task the worker scheduled, and the message, are due now."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    Message.objects.update(next_try_at=timezone.now())


@pytest.mark.parametrize(
    ("late", "drop"),
    [(2.0, None), (0.0, b""), (0.0, b"HTTP/1.1 20")],
    ids=["answered after the timeout", "closed unanswered", "answer cut off"],
)
def test_an_sms_the_provider_took_without_the_worker_hearing_it_is_looked_up_not_sent_again(
    world: World, brevo: FakeBrevo, late: float, drop: bytes | None
) -> None:
    # Issue 18, item 2: Brevo takes the SMS, but its answer never reaches the worker (it comes after the client's
    # timeout, or the connection drops); the retry, a minute later, must ask Brevo by tag instead of sending again.
    brevo.late, brevo.drop = late, drop
    with override_settings(AIGUILLAGE_SMS_TIMEOUT=0.5):
        message = book(world)
        work()
        message.refresh_from_db()
        assert len(brevo.received) == 1 and message.status == MessageStatus.QUEUED
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.run_after is not None and retry.run_after > timezone.now() + timedelta(seconds=50)
        wait_is_over()
        work()
    assert len(brevo.received) == 1  # the patient got one SMS
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, "1511882900176221")
    assert [query["tags"] for query in brevo.event_queries] == [[message.key]]
    assert not message.outcome_unknown and message.error == ""


def test_a_provider_that_cannot_be_reached_is_tried_again_without_a_lookup(world: World, brevo: FakeBrevo) -> None:
    with override_settings(AIGUILLAGE_SMS_API_URL="http://127.0.0.1:9"):  # nothing listens there: refused
        message = book(world)
        work()
    message.refresh_from_db()
    assert (message.status, message.outcome_unknown) == (MessageStatus.QUEUED, False)
    wait_is_over()
    work()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and len(brevo.received) == 1
    assert brevo.event_queries == []  # it surely had not left: nothing to ask


def test_a_gateway_error_is_looked_up_then_sent_once_when_the_provider_never_took_it(
    world: World, brevo: FakeBrevo
) -> None:
    brevo.answers = [502]  # a gateway's answer: the SMS may or may not have gone past it (here it did not)
    message = book(world)
    work()
    message.refresh_from_db()
    assert (message.status, message.outcome_unknown) == (MessageStatus.QUEUED, True) and brevo.received == []
    wait_is_over()
    work()
    message.refresh_from_db()
    assert len(brevo.event_queries) == 1 and len(brevo.received) == 1
    assert (message.status, message.provider_id, message.outcome_unknown) == (
        MessageStatus.SENT,
        "1511882900176221",
        False,
    )


def test_while_the_provider_cannot_say_whether_it_took_the_sms_it_waits(world: World, brevo: FakeBrevo) -> None:
    brevo.late = 2.0
    brevo.event_answers = [503]
    with override_settings(AIGUILLAGE_SMS_TIMEOUT=0.5):
        message = book(world)
        work()
        wait_is_over()
        work()  # the retry: Brevo cannot say, so nothing is sent
        message.refresh_from_db()
        assert (message.status, message.attempts, message.outcome_unknown) == (MessageStatus.QUEUED, 2, True)
        assert len(brevo.received) == 1 and "503" in message.error
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.run_after is not None and retry.run_after > timezone.now() + timedelta(seconds=110)  # 2 min
        wait_is_over()
        work()  # Brevo answers now: found, recorded, still one SMS
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, "1511882900176221")
    assert len(brevo.received) == 1 and len(brevo.event_queries) == 2


def test_a_failed_send_or_lookup_is_recorded_without_the_key_or_the_patients_number(
    world: World, brevo: FakeBrevo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, the HTTP library's included
    brevo.late = 2.0  # taken, answered too late: the retry looks it up, by tag and number
    with override_settings(AIGUILLAGE_SMS_TIMEOUT=0.5):
        message = book(world)
        work()
    message.refresh_from_db()
    assert message.outcome_unknown and "127.0.0.1" in message.error
    errors = [message.error]
    wait_is_over()
    with override_settings(AIGUILLAGE_SMS_API_URL="http://127.0.0.1:9"):  # the lookup cannot reach Brevo
        work()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "127.0.0.1:9" in message.error
    errors.append(message.error)
    for told in (*errors, caplog.text):
        assert "test-key" not in told and "33612345678" not in told and message.key not in told


def test_a_refused_number_is_not_tried_again(world: World, brevo: FakeBrevo) -> None:
    brevo.answers = [400]
    message = book(world)
    work()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert "Invalid phone number" in message.error
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert brevo.received == []


def test_no_sms_when_the_requester_answers_for_the_patient(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, phone="", requester_answers=True)
    agenda.slot_book(slot=make_slot(world.cell), request=request, user=world.colleague)
    assert not Message.objects.filter(kind=MessageKind.PATIENT_BOOKED).exists()


def test_a_patient_who_declines_messages_gets_no_more_sms(world: World, brevo: FakeBrevo) -> None:
    queued = book(world)  # booked, the SMS queued but not sent yet
    request = queued.request
    assert request is not None
    response = world.client_for(world.colleague).post(
        reverse("referrals:request_action", kwargs={"cell": world.cell.slug, "pk": request.pk, "action": "opt_out"})
    )
    assert response.status_code == 302
    work()
    queued.refresh_from_db()
    assert queued.status == MessageStatus.OPTED_OUT and brevo.received == []
    booking = request.bookings.get(status="booked")
    later = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=30))
    agenda.booking_move(booking=booking, slot=later, user=world.colleague)
    assert Message.objects.filter(kind=MessageKind.PATIENT_BOOKED).count() == 1  # none for the move
    page = world.client_for(world.colleague).get(
        reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})
    )
    assert "a refusé les messages" in page.content.decode()


def test_the_day_before_each_patient_gets_one_reminder(world: World, brevo: FakeBrevo) -> None:
    ProfessionalFactory(cell=world.cell)
    site = SiteFactory(cell=world.cell, name="Cabinet du Parc")
    now = timezone.now()
    tomorrow_noon = timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), time(12, 0)))
    tomorrow = make_slot(world.cell, site=site, starts_at=tomorrow_noon)
    later = make_slot(world.cell, site=site, starts_at=tomorrow_noon + timedelta(days=2))
    for index, slot in enumerate((tomorrow, later)):
        request = make_request(world.cell, last_name=f"Rappel{index}", phone=f"+3361100000{index}")
        agenda.slot_book(slot=slot, request=request, user=world.colleague)
    assert reminders_queue(now=now) == 1
    assert reminders_queue(now=now) == 0  # run twice: one reminder
    work()
    reminder = Message.objects.get(kind=MessageKind.PATIENT_REMINDER)
    assert reminder.status == MessageStatus.SENT and reminder.to == "+33611000000"
    assert "Cabinet du Parc" in reminder.body and "12:00" in reminder.body


def test_a_rolled_back_booking_sends_nothing(world: World, brevo: FakeBrevo) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, phone="+33612345678")
    slot = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=4))

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        agenda.slot_book(slot=slot, request=request, user=world.colleague)
        assert Message.objects.filter(kind=MessageKind.PATIENT_BOOKED).exists()  # queued inside the transaction
        raise Abandoned  # e.g. a later step of the same change failed
    work()
    assert brevo.received == []
    assert not Message.objects.filter(kind=MessageKind.PATIENT_BOOKED).exists()
    assert not DBTaskResult.objects.exists()


def test_the_patient_is_given_the_patient_number_never_the_professionals_only_one(world: World) -> None:
    """The seeds: the professionals-only line is never given to patients; without a number for patients, none."""
    world.cell.phone, world.cell.patient_phone = "+33233000001", "+33233000002"
    world.cell.save()
    told = book(world).body
    assert "02 33 00 00 02" in told and "02 33 00 00 01" not in told
    world.cell.patient_phone = ""
    world.cell.save()
    request = make_request(world.cell, last_name="Sansnumero", phone="+33687654321")
    agenda.slot_book(
        slot=make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=6)), request=request, user=world.colleague
    )
    quiet = Message.objects.get(request=request, kind=MessageKind.PATIENT_BOOKED).body
    assert "02 33 00 00" not in quiet and "Questions" not in quiet and "/a/" in quiet


def test_a_landline_gets_no_sms_and_the_request_page_says_to_phone(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, phone="+33233123456")  # a landline in the Orne
    agenda.slot_book(
        slot=make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=4)), request=request, user=world.colleague
    )
    assert not Message.objects.filter(request=request, channel="sms").exists()
    page = world.client_for(world.colleague).get(f"/c/{world.cell.slug}/demandes/{request.pk}/")
    assert "Ligne fixe : aucun SMS ne l’atteint. Prévenez le patient par téléphone." in page.content.decode()


def test_a_reoriented_patient_is_told_where_to_go(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    resource = ResourceFactory(
        cell=world.cell, name="Maison médicale de garde", address="2 rue de l'Hôpital", phone="+33233000010"
    )
    request = make_request(world.cell, phone="+33612345678")
    referral_services.request_reorient(request=request, user=world.colleague, resource=resource, reason="out_of_hours")
    sms = Message.objects.get(request=request, kind=MessageKind.PATIENT_REORIENTED)
    assert sms.channel == "sms" and sms.to == "+33612345678"
    assert "Maison médicale de garde, 2 rue de l'Hopital" in sms.body and "02 33 00 00 10" in sms.body
    assert "15" in sms.body and segments(sms.body) <= 2
    answered_for = make_request(world.cell, last_name="Autre", phone="", requester_answers=True)
    referral_services.request_reorient(request=answered_for, user=world.colleague, resource=resource, reason="nursing")
    assert not Message.objects.filter(request=answered_for, channel="sms").exists()
