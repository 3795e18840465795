"""The requester hears what became of their request: one e-mail per piece of news, after the commit, with no health
detail; a rolled-back change sends nothing; a mail server that is down loses nothing."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message as EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from conftest import World
from notifications import services as notifications
from notifications.models import Message, MessageKind, MessageStatus
from referrals import services
from referrals.models import Channel
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, ResourceFactory

pytestmark = pytest.mark.django_db
OnCommit = Callable[..., object]


@pytest.fixture
def requester(world: World) -> object:
    return ProfessionalFactory(cell=world.cell, last_name="Morel", email="dr.morel@example.org")


def test_a_phone_request_is_acknowledged_then_the_reorientation_is_told(
    world: World, requester: object, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_reorient(
            request=request,
            user=world.colleague,
            resource=ResourceFactory(cell=world.cell, name="Pharmacie du Marché"),
            reason="pharmacy_advice",
        )
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
        (MessageKind.REQUEST_RECEIVED, MessageStatus.SENT),
    ]


def test_a_requester_is_not_told_what_they_did_themselves(
    world: World, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        make_request(
            world.cell,
            channel=Channel.WEB,
            submitted_by=world.colleague,
            requester_professional=ProfessionalFactory(cell=world.cell, email=world.colleague.email),
        )
    assert mail.outbox == []
    assert not Message.objects.exists()


def test_a_rolled_back_closure_sends_nothing(
    world: World, requester: object, django_capture_on_commit_callbacks: OnCommit
) -> None:
    request = make_request(world.cell, requester_professional=requester)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZeroDivisionError), transaction.atomic():
        services.request_close(request=request, user=world.colleague, reason="refused_by_patient")
        1 / 0  # noqa: B018  (whatever fails after the closure, in the same transaction)
    assert mail.outbox == []
    assert not Message.objects.filter(kind=MessageKind.REQUEST_CLOSED).exists()


def test_a_message_is_claimed_before_it_is_sent_so_it_goes_out_once(world: World, requester: object) -> None:
    request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
    message = Message.objects.get(request=request)
    assert message.status == MessageStatus.QUEUED  # no commit yet in this test: nothing sent
    assert notifications.message_send(message_pk=message.pk) is True
    assert notifications.message_send(message_pk=message.pk) is False
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


def smtp(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=5,
    )


def test_a_message_waits_while_the_mail_server_is_down_then_goes_once(
    world: World, requester: object, smtp_server: tuple[Inbox, int], django_capture_on_commit_callbacks: OnCommit
) -> None:
    inbox, port = smtp_server
    with smtp(free_port()), django_capture_on_commit_callbacks(execute=True):  # nobody listens there
        request = make_request(world.cell, submitted_by=world.colleague, requester_professional=requester)
    queued = Message.objects.get(request=request)
    assert (queued.status, queued.attempts) == (MessageStatus.QUEUED, 1)
    assert queued.error
    with smtp(port):
        call_command("send_queued_messages")
        call_command("send_queued_messages")
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["To"] == "dr.morel@example.org"
    assert request.reference in inbox.messages[0]["Subject"]
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (MessageStatus.SENT, 2)
