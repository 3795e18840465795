"""The requester hears what became of their request: one e-mail per piece of news, sent by the background worker after
the commit, with no health detail; a rolled-back change sends nothing; a mail server that is down loses nothing (tries
again later, waiting longer each time); a permanent refusal is not retried."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message as EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail
from django.core.mail import get_connection
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agenda import services as agenda
from agenda.tests.factories import make_slot
from conftest import World
from notifications import services as notifications
from notifications.models import Message, MessageKind, MessageStatus
from referrals import services
from referrals.models import Channel
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, ResourceFactory, SiteFactory
from tests.worker import work

pytestmark = pytest.mark.django_db
OnCommit = Callable[..., object]


@pytest.fixture
def requester(world: World) -> object:
    return ProfessionalFactory(cell=world.cell, last_name="Morel", email="dr.morel@example.org")


def test_a_phone_request_is_acknowledged_then_the_reorientation_is_told(world: World, requester: object) -> None:
    request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
    services.request_reorient(
        request=request,
        user=world.colleague,
        resource=ResourceFactory(cell=world.cell, name="Pharmacie du Marché"),
        reason="pharmacy_advice",
    )
    assert mail.outbox == []  # nothing leaves until the worker runs
    work()
    assert [m.to for m in mail.outbox] == [["dr.morel@example.org"]] * 2
    received, reoriented = mail.outbox
    assert request.reference in received.subject
    assert "Pharmacie du Marché" in reoriented.body
    assert f"/c/{world.cell.slug}/demandes/{request.pk}/" in reoriented.body
    for sent in mail.outbox:
        assert "Delaunay" not in sent.body and "DELAUNAY" not in sent.body and "R. D." in sent.body
        assert "Fièvre" not in sent.body
    assert list(Message.objects.values_list("kind", "status")) == [
        (MessageKind.REQUEST_REORIENTED, MessageStatus.SENT),
        (MessageKind.PATIENT_REORIENTED, MessageStatus.SENT),  # the patient is told where to go, by SMS
        (MessageKind.REQUEST_RECEIVED, MessageStatus.SENT),
    ]


def test_a_requester_is_not_told_what_they_did_themselves(world: World) -> None:
    make_request(
        world.cell,
        channel=Channel.WEB,
        submitted_by=world.colleague,
        requester_professional=ProfessionalFactory(cell=world.cell, email=world.colleague.email),
    )
    work()
    assert mail.outbox == []
    assert not Message.objects.exists()


def test_a_rolled_back_closure_leaves_neither_message_nor_task(world: World, requester: object) -> None:
    request = make_request(world.cell, requester_professional=requester)
    work()
    mail.outbox.clear()
    tasks_before = DBTaskResult.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.request_close(request=request, user=world.colleague, reason="refused_by_patient")
        1 / 0  # noqa: B018  (whatever fails after the closure, in the same transaction)
    work()
    assert mail.outbox == []
    assert not Message.objects.filter(kind=MessageKind.REQUEST_CLOSED).exists()
    assert DBTaskResult.objects.count() == tasks_before


def test_a_message_is_claimed_before_it_is_sent_so_it_goes_out_once(world: World, requester: object) -> None:
    request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
    message = Message.objects.get(request=request)
    assert message.status == MessageStatus.QUEUED
    assert notifications.message_send(message_pk=message.pk).sent is True
    assert notifications.message_send(message_pk=message.pk).sent is False
    work()  # the worker's own task finds it already sent
    assert len(mail.outbox) == 1


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def smtp(port: int, timeout: float = 5) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=timeout,
    )


def test_a_message_waits_while_the_mail_server_is_down_then_goes_once(
    world: World, requester: object, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
    with smtp(free_port()):  # nobody listens there: a temporary failure
        work()
    queued = Message.objects.get(request=request)
    assert (queued.status, queued.attempts) == (MessageStatus.QUEUED, 1)
    assert queued.error and queued.next_try_at is not None
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after is not None and retry.run_after > timezone.now()  # not before its time
    with smtp(port):
        work()
        assert inbox.messages == []
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # the time has come
        work()
        work()
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["To"] == "dr.morel@example.org"
    assert request.reference in inbox.messages[0]["Subject"]
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (MessageStatus.SENT, 2)


class Refusing(Inbox):
    async def handle_RCPT(
        self, server: object, session: object, envelope: object, address: str, options: list[str]
    ) -> str:
        return "550 5.1.1 No such mailbox"


def test_a_permanent_refusal_is_not_retried(world: World, requester: object) -> None:
    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
        with smtp(port):
            work()
    finally:
        controller.stop()
    message = Message.objects.get(request=request)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert "550" in message.error
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_the_wait_doubles_between_tries_and_stops_after_the_last(world: World, requester: object) -> None:
    request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
    message = Message.objects.get(request=request)
    now = timezone.now()
    waits = []
    with smtp(free_port()):
        for _ in range(notifications.MAX_ATTEMPTS):
            outcome = notifications.message_send(message_pk=message.pk, now=now)
            waits.append((outcome.retry_at - now).total_seconds() / 60 if outcome.retry_at else None)
    assert waits == [1, 2, 4, 8, 16, 32, 60, None]
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED


def test_the_requester_hears_when_and_not_where_and_hears_of_a_move(world: World, requester: object) -> None:
    site = SiteFactory(cell=world.cell, name="Cabinet des Tilleuls")
    request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
    now = timezone.now()
    first = make_slot(world.cell, site=site, starts_at=now + timedelta(hours=3))
    second = make_slot(world.cell, site=site, starts_at=now + timedelta(hours=26))
    booking = agenda.slot_book(slot=first, request=request, user=world.colleague, now=now)
    agenda.booking_move(booking=booking, slot=second, user=world.colleague, now=now)
    work()
    oriented, moved = mail.outbox[1], mail.outbox[2]
    assert f"{timezone.localtime(first.starts_at):%d/%m/%Y %H:%M}" in oriented.body
    assert f"{timezone.localtime(second.starts_at):%d/%m/%Y %H:%M}" in moved.body
    for sent in (oriented, moved):
        assert "Tilleuls" not in sent.body
    assert Message.objects.filter(kind=MessageKind.APPOINTMENT_MOVED).count() == 1


def test_an_email_left_sending_by_a_dead_worker_goes_again_with_the_same_message_id(
    world: World, requester: object, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
    message = Message.objects.get(request=request)
    claimed = timezone.now()
    # The state a worker killed mid-send leaves: claimed, never recorded.
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, claimed_at=claimed)
    with smtp(port):
        # Claimed a minute ago: its sender may still be at work, it is left alone.
        assert notifications.messages_send_queued(now=claimed + timedelta(minutes=1)) == 0
        later = claimed + notifications.STUCK_AFTER + timedelta(minutes=1)
        assert notifications.messages_send_queued(now=later) == 1
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Message-ID"] == f"<request_received.{message.key.split(':')[1]}.{message.pk}@127.0.0.1>"


class SlowInbox(Inbox):
    """Takes the message, then gives its final 250 to the next DATA only `late` seconds later."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self.late = late

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        late, self.late = self.late, 0.0
        await asyncio.sleep(late)
        return reply


def test_a_mail_server_that_hangs_is_given_up_after_a_timeout() -> None:
    assert settings.EMAIL_TIMEOUT > 0  # AIGUILLAGE_EMAIL_TIMEOUT: without it, a silent server holds the worker for ever
    assert get_connection("django.core.mail.backends.smtp.EmailBackend").timeout == settings.EMAIL_TIMEOUT


def test_an_email_whose_final_reply_came_after_the_timeout_goes_again_with_the_same_message_id(
    world: World, requester: object
) -> None:
    # The server took the DATA but answered after the client's timeout: whether it will deliver is unknown, and SMTP
    # has no lookup, so it goes again with the same Message-ID (the mailbox can tell it is the same message).
    inbox, port = SlowInbox(late=2.0), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
        message = Message.objects.get(request=request)
        with smtp(port, timeout=0.5):
            work()
            message.refresh_from_db()
            assert (message.status, message.outcome_unknown) == (MessageStatus.QUEUED, True)
            assert len(inbox.messages) == 1
            DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # the wait is over
            work()
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    assert inbox.messages[0]["Message-ID"] == inbox.messages[1]["Message-ID"]
    assert inbox.messages[0]["Message-ID"] == notifications.message_id_header(message)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.outcome_unknown) == (MessageStatus.SENT, 2, False)
