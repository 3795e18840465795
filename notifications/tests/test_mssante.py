"""Health details leave only through MSSanté or behind a login (docs/mssante.md): the MT's summary reaches a fake
MSSanté relay on loopback (STARTTLS, a login, and a refusal of any address outside mssante.fr, as a provider's relay
answers); without the relay, the ordinary e-mail says nothing of the patient's health and links to a page that only
the MT's account and the cell's staff may read, each reading logged."""

from __future__ import annotations

import datetime
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from agenda import services as agenda
from agenda.tests.factories import make_slot
from audit.models import AccessAction, AccessEvent
from conftest import World
from directory.forms import NOT_MSSANTE, ProfessionalForm
from directory.models import Profession, Professional
from notifications import mssante
from notifications import services as notifications
from notifications.models import CARRIES_HEALTH_DETAILS, Message, MessageChannel, MessageKind, MessageStatus
from notifications.tests.test_requester_told import Inbox, free_port, smtp
from referrals.models import CareChannel
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory
from tests.loopback import self_signed
from tests.worker import work

pytestmark = pytest.mark.django_db

NOTE = "Otite moyenne aiguë droite, amoxicilline 6 jours."
BIRTH_DATE = datetime.date(1961, 3, 14)
LONG_BASE_URL = "https://aiguillage.cpts-du-pays-d-auge-et-des-collines-normandes.example-hebergeur-sante.fr"
RELAY_USER, RELAY_PASSWORD = "csnp-pays-d-auge", "relay-secret"
CELL_MSSANTE = "csnp.pays-d-auge@cpts-pays-d-auge.mssante.fr"


@dataclass
class Relay:
    """What the fake MSSanté relay took: each message with the addresses of its envelope."""

    port: int
    ca_file: Path
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: object, session: object, envelope: Any, address: str, options: list[str]
    ) -> str:
        if not mssante.is_mssante_address(address):  # a provider delivers only within the MSSanté space
            self.refused.append(address)
            return "550 5.7.1 Recipient is not an MSSante address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def settings(self, **more: Any) -> override_settings:
        relay = {
            "AIGUILLAGE_MSSANTE_HOST": "127.0.0.1",
            "AIGUILLAGE_MSSANTE_PORT": self.port,
            "AIGUILLAGE_MSSANTE_USER": RELAY_USER,
            "AIGUILLAGE_MSSANTE_PASSWORD": RELAY_PASSWORD,
            "AIGUILLAGE_MSSANTE_TLS": "starttls",
            "AIGUILLAGE_MSSANTE_FROM": CELL_MSSANTE,
            "AIGUILLAGE_MSSANTE_CA_FILE": str(self.ca_file),
        }
        return override_settings(**(relay | more))


def _login(server: object, session: object, envelope: object, mechanism: str, auth_data: object) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        RELAY_USER.encode(),
        RELAY_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


def _certificate(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """The relay's certificate: the provider's, from an authority the system does not know."""
    return self_signed(tmp_path, "mssante-relay-loopback")


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[Relay]:
    """The MSSanté relay on loopback: STARTTLS then a login required before any message."""
    context, cert_file = _certificate(tmp_path)
    fake = Relay(port=free_port(), ca_file=cert_file)
    controller = Controller(
        fake,
        hostname="127.0.0.1",
        port=fake.port,
        tls_context=context,
        require_starttls=True,
        authenticator=_login,
        auth_required=True,
    )
    controller.start()
    yield fake
    controller.stop()


@pytest.fixture
def ordinary_smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _doctor(world: World, *, mssante_address: str) -> Professional:
    doctor: Professional = ProfessionalFactory(
        cell=world.cell,
        first_name="Hélène",
        last_name="Vautier",
        profession=Profession.GP,
        email="helene.vautier@example.org",
        mssante=mssante_address,
    )
    return doctor


def _seen(world: World) -> Message:
    """A patient of Dr Vautier seen through the cell, the note written for her: her summary is queued."""
    request = make_request(
        world.cell,
        first_name="Rosalie",
        last_name="Quentel",
        birth_date=BIRTH_DATE,
        mt_name="Hélène Vautier",
        mt_situation="mt_away",
        care_channel="gp",
        requester_professional=ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST, email=""),
    )
    slot = make_slot(world.cell, starts_at=timezone.now() + datetime.timedelta(hours=2))
    booking = agenda.slot_book(slot=slot, request=request, user=world.colleague)
    agenda.booking_outcome(
        booking=booking, user=world.colleague, seen=True, note=NOTE, now=timezone.now() + datetime.timedelta(hours=3)
    )
    return Message.objects.get(request=request, kind=MessageKind.MT_SUMMARY)


def _text(email: EmailMessage) -> str:
    payload = email.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(email.get_content_charset() or "utf-8")


def _health_words() -> list[str]:
    """What the summary says of the patient's health and identity, in every form the e-mail could carry it."""
    care = []
    for language in ("en", settings.LANGUAGE_CODE):
        with translation.override(language):
            care.append(str(CareChannel.GP.label))
    return [NOTE, "amoxicilline", "14/03/1961", "1961-03-14", "Rosalie", "Quentel", "QUENTEL", "R. Q.", *care]


def test_every_message_kind_is_classified_and_only_the_mt_summary_carries_health_details() -> None:
    assert {MessageKind.MT_SUMMARY} == CARRIES_HEALTH_DETAILS
    documented = Path(settings.BASE_DIR, "docs", "mssante.md").read_text()
    for kind in MessageKind:
        assert f"`{kind.value}`" in documented, f"docs/mssante.md says nothing of {kind.value}"


def test_the_mt_summary_reaches_the_mssante_relay_with_its_health_details(world: World, relay: Relay) -> None:
    _doctor(world, mssante_address="helene.vautier@medecin.mssante.fr")
    with relay.settings():
        summary = _seen(world)
        assert (summary.channel, summary.to) == (MessageChannel.MSSANTE, "helene.vautier@medecin.mssante.fr")
        work()
    summary.refresh_from_db()
    assert summary.status == MessageStatus.SENT, summary.error
    [(envelope_to, email)] = relay.received
    assert envelope_to == ["helene.vautier@medecin.mssante.fr"]
    assert email["From"] == CELL_MSSANTE
    text = _text(email)
    assert NOTE in text and "14/03/1961" in text
    with translation.override(settings.LANGUAGE_CODE):
        assert str(CareChannel.GP.label) in text


def test_a_doctor_without_an_mssante_address_never_reaches_the_relay(
    world: World, relay: Relay, ordinary_smtp: tuple[Inbox, int]
) -> None:
    inbox, port = ordinary_smtp
    _doctor(world, mssante_address="helene.vautier@example.org")  # typed in the MSSanté field, but not MSSanté
    with relay.settings(), smtp(port):
        summary = _seen(world)
        work()
    summary.refresh_from_db()
    assert (summary.channel, summary.to, summary.status) == (
        MessageChannel.EMAIL,
        "helene.vautier@example.org",
        MessageStatus.SENT,
    )
    assert relay.received == [] and relay.refused == []
    [email] = inbox.messages
    assert NOTE not in _text(email)


def test_the_relay_refuses_an_address_outside_mssante_and_the_notice_follows_instead(
    world: World, relay: Relay
) -> None:
    doctor = _doctor(world, mssante_address="helene.vautier@medecin.mssante.fr")
    request = make_request(world.cell, requester_professional=ProfessionalFactory(cell=world.cell, email=""))
    message = Message.objects.create(
        cell=world.cell,
        request=request,
        kind=MessageKind.MT_SUMMARY,
        channel=MessageChannel.MSSANTE,
        to="helene.vautier@example.org",  # not an MSSanté address: the relay refuses it
        professional=doctor,
        subject="Résumé",
        body=NOTE,
        details=NOTE,
        key="mt_summary:refused",
        created_at=timezone.now(),
    )
    with relay.settings():
        outcome = notifications.message_send(message_pk=message.pk)
    message.refresh_from_db()
    assert outcome.sent is False and outcome.retry_at is None
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1) and "550" in message.error
    assert relay.refused == ["helene.vautier@example.org"] and relay.received == []
    notice = Message.objects.get(key="mt_summary:refused:notice")
    assert (notice.channel, notice.to, notice.status) == (
        MessageChannel.EMAIL,
        "helene.vautier@example.org",
        MessageStatus.QUEUED,
    )
    assert NOTE not in notice.body and notice.details == NOTE
    assert reverse("notifications:health_message", kwargs={"cell": world.cell.slug, "pk": notice.pk}) in notice.body


def test_an_mssante_message_waits_while_the_relay_is_down_or_removed_then_goes(world: World, relay: Relay) -> None:
    _doctor(world, mssante_address="helene.vautier@medecin.mssante.fr")
    with relay.settings():
        summary = _seen(world)
    now = timezone.now()
    with relay.settings(AIGUILLAGE_MSSANTE_PORT=free_port()):  # nobody listens there
        first = notifications.message_send(message_pk=summary.pk, now=now)
    with override_settings(AIGUILLAGE_MSSANTE_HOST=""):  # the relay removed from the settings meanwhile
        second = notifications.message_send(message_pk=summary.pk, now=now)
    assert first.retry_at == now + notifications.FIRST_RETRY
    assert second.retry_at == now + 2 * notifications.FIRST_RETRY
    summary.refresh_from_db()
    assert summary.status == MessageStatus.QUEUED and "not configured" in summary.error
    with relay.settings():
        assert notifications.message_send(message_pk=summary.pk, now=now).sent is True
    assert len(relay.received) == 1


def test_without_a_relay_the_email_carries_no_health_detail_and_a_link_that_works(
    world: World, ordinary_smtp: tuple[Inbox, int]
) -> None:
    inbox, port = ordinary_smtp
    doctor = _doctor(world, mssante_address="helene.vautier@medecin.mssante.fr")  # no relay: not used
    doctor_user = MembershipFactory(cell=world.cell, role=Role.EFFECTOR, professional=doctor).user
    with override_settings(AIGUILLAGE_BASE_URL=LONG_BASE_URL), smtp(port):
        summary = _seen(world)
        work()
    summary.refresh_from_db()
    assert (summary.channel, summary.to, summary.status) == (
        MessageChannel.EMAIL,
        "helene.vautier@example.org",
        MessageStatus.SENT,
    )
    [email] = inbox.messages
    text, subject = _text(email), str(email["Subject"])
    for word in _health_words():
        assert word not in text and word not in subject, word
    assert summary.request.reference in text
    links = re.findall(r"https://\S+", text)
    assert links == [
        LONG_BASE_URL + reverse("notifications:health_message", kwargs={"cell": world.cell.slug, "pk": summary.pk})
    ]
    page = world.client_for(doctor_user).get(urlsplit(links[0]).path)
    assert page.status_code == 200
    assert NOTE in page.content.decode() and "14/03/1961" in page.content.decode()


def readings() -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(action=AccessAction.READ, object_type="message").order_by("pk"))


def test_the_reading_page_asks_for_a_login_and_logs_each_reading(world: World) -> None:
    doctor = _doctor(world, mssante_address="")
    doctor_user = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="gp", professional=doctor).user
    summary = _seen(world)
    url = reverse("notifications:health_message", kwargs={"cell": world.cell.slug, "pk": summary.pk})
    answer = Client().get(url)
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("accounts:login"))
    assert "next=" in answer["Location"]
    assert world.client_for(doctor_user).get(url).status_code == 200
    [reading] = readings()
    assert (reading.user, reading.object_id, reading.cell) == (doctor_user, str(summary.pk), world.cell)
    assert reading.subjects == f",{summary.request_id},"
    assert world.client_for(world.colleague).get(url).status_code == 200  # the coordinator sees the outbox


def test_the_reading_page_is_refused_to_another_member_and_to_another_cell(world: World) -> None:
    _doctor(world, mssante_address="")
    summary = _seen(world)
    url = reverse("notifications:health_message", kwargs={"cell": world.cell.slug, "pk": summary.pk})
    other_gp = ProfessionalFactory(cell=world.cell, profession=Profession.GP, last_name="Lemarchand")
    other_user = MembershipFactory(cell=world.cell, role=Role.EFFECTOR, professional=other_gp).user
    assert world.client_for(other_user).get(url).status_code == 404
    assert world.client_for(world.owner).get(url).status_code == 403  # the cell administrator: no patient data
    assert world.client_for(world.outsider).get(url).status_code == 404
    other_coordinator = MembershipFactory(cell=world.other_cell, role=Role.COORDINATOR).user
    in_their_cell = reverse("notifications:health_message", kwargs={"cell": world.other_cell.slug, "pk": summary.pk})
    assert world.client_for(other_coordinator).get(in_their_cell).status_code == 404
    assert readings() == []  # nothing read


def test_the_outbox_shows_the_channel(world: World, relay: Relay) -> None:
    _doctor(world, mssante_address="helene.vautier@medecin.mssante.fr")
    with relay.settings():
        _seen(world)
    page = world.client_for(world.colleague).get(reverse("notifications:outbox", kwargs={"cell": world.cell.slug}))
    assert page.status_code == 200
    with translation.override(settings.LANGUAGE_CODE):
        label = str(MessageChannel.MSSANTE.label)
    assert label in page.content.decode()


@pytest.mark.parametrize(
    ("address", "accepted"),
    [
        ("helene.vautier@medecin.mssante.fr", True),
        ("accueil.urgences@ch-exemple.mssante.fr", True),
        ("helene.vautier@example.org", False),
        ("helene.vautier@mssante.fr.example.org", False),
        ("helene.vautier@notmssante.fr", False),
    ],
)
def test_the_directory_takes_only_an_mssante_address_in_the_mssante_field(
    world: World, address: str, accepted: bool
) -> None:
    form = ProfessionalForm(
        data={"last_name": "Vautier", "first_name": "Hélène", "profession": Profession.GP, "mssante": address},
        cell=world.cell,
    )
    assert form.is_valid() is accepted, form.errors
    if not accepted:
        assert form.errors["mssante"] == [str(NOT_MSSANTE)]
