"""A worker killed in the middle of sending an SMS: a real `manage.py db_worker` process, on the test database, is
killed (SIGKILL) while a fake Brevo server on loopback holds its call. The recovery that runs afterwards treats it as
any try whose outcome is unknown: the next try asks the provider whether it took the SMS (by the message's tag) and
never sends it twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from agenda import services as agenda
from agenda.tests.factories import make_slot
from conftest import World
from notifications.models import Message, MessageKind, MessageStatus
from notifications.services import STUCK_AFTER, messages_send_queued
from notifications.tests.fake_brevo import BrevoHandler, FakeBrevo, brevo_on
from referrals.tests.factories import make_request
from territory.communes import load_communes
from territory.models import Commune
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def communes(transactional_db: None) -> None:
    if not Commune.objects.exists():  # transactional tests empty the database, reference data included
        load_communes(Commune)


class HoldingBrevoHandler(BrevoHandler):
    def do_POST(self) -> None:
        fake = self.fake
        if not fake.hold.is_set():
            super().do_POST()
            return
        body = json.loads(self.read_body())
        fake.hold.clear()
        fake.holding.set()
        fake.release.wait(30)
        if fake.record_held:
            fake._take(body)  # taken, but the worker that asked is dead: nobody reads the answer
        self.close_connection = True  # else the provider never took it: the connection drops
        fake.done.set()


class HoldingBrevo(FakeBrevo):
    """Brevo, whose send is held unanswered while `hold` is set (the worker is killed meanwhile); `record_held` says
    whether Brevo had taken the held SMS (its events exist) or not."""

    handler = HoldingBrevoHandler

    def __init__(self) -> None:
        super().__init__()
        self.hold = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()
        self.record_held = True


@pytest.fixture
def brevo() -> Iterator[HoldingBrevo]:
    with brevo_on(HoldingBrevo()) as fake:
        yield fake
        fake.release.set()


def database_url() -> str:
    """The test database, as the worker process must reach it."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(fake: HoldingBrevo) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="aiguillage.settings.test",
        DATABASE_URL=database_url(),
        AIGUILLAGE_SMS_BACKEND="brevo",
        AIGUILLAGE_SMS_API_URL=fake.url,
        AIGUILLAGE_SMS_API_KEY="test-key",
    )
    manage = Path(settings.BASE_DIR) / "manage.py"
    return subprocess.Popen(
        [sys.executable, str(manage), "db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def book_and_kill_the_worker_mid_send(world: World, fake: HoldingBrevo) -> Message:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, phone="+33612345678")
    fake.hold.set()
    agenda.slot_book(
        slot=make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=5)), request=request, user=world.colleague
    )
    message = Message.objects.get(request=request, kind=MessageKind.PATIENT_BOOKED)
    worker = start_worker(fake)
    try:
        assert fake.holding.wait(60), worker.stderr.read().decode() if worker.poll() is not None else "no send"
    finally:
        worker.kill()  # SIGKILL: no handler runs, nothing is recorded
        worker.wait(30)
    fake.release.set()
    assert fake.done.wait(30)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING and message.claimed_at is not None
    return message


def test_an_sms_the_provider_took_is_recorded_not_sent_again(world: World, brevo: HoldingBrevo) -> None:
    message = book_and_kill_the_worker_mid_send(world, brevo)
    assert messages_send_queued() == 0  # too early: the sender might still be at work
    assert brevo.event_queries == [] and len(brevo.received) == 1
    messages_send_queued(now=timezone.now() + STUCK_AFTER + timedelta(minutes=1))
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, "1511882900176221")
    assert len(brevo.received) == 1  # one SMS for the patient
    assert brevo.event_queries[0]["tags"] == [message.key]


def test_an_sms_the_provider_never_took_is_sent_once(world: World, brevo: HoldingBrevo) -> None:
    brevo.record_held = False
    message = book_and_kill_the_worker_mid_send(world, brevo)
    assert brevo.received == []
    messages_send_queued(now=timezone.now() + STUCK_AFTER + timedelta(minutes=1))
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and len(brevo.received) == 1
    messages_send_queued(now=timezone.now() + 2 * STUCK_AFTER)  # run again: nothing more
    assert len(brevo.received) == 1


def test_while_the_provider_cannot_say_the_message_waits(world: World, brevo: HoldingBrevo) -> None:
    message = book_and_kill_the_worker_mid_send(world, brevo)
    later = timezone.now() + STUCK_AFTER + timedelta(minutes=1)
    with override_settings(AIGUILLAGE_SMS_API_URL="http://127.0.0.1:9"):  # nothing listens there
        messages_send_queued(now=later)
    message.refresh_from_db()
    # Queued with its outcome unknown, like a try that timed out: the next try asks again before sending.
    assert (message.status, message.outcome_unknown, message.attempts) == (MessageStatus.QUEUED, True, 2)
    assert message.next_try_at is not None and message.next_try_at > later and len(brevo.received) == 1
    messages_send_queued(now=message.next_try_at)
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, "1511882900176221")
    assert len(brevo.received) == 1
