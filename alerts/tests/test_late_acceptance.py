"""An alert accepted for a time after the request's deadline (or once the deadline has passed) still books, and says
so: to the effector on the answer pages, to the coordinator in their e-mail, on the request's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from agenda.models import Booking
from alerts import selectors, services
from alerts.models import Alert
from conftest import ARGENTAN, World
from directory.models import Professional
from notifications.models import Message, MessageKind
from referrals.models import EventKind, Request, Status
from referrals.tests.factories import make_request
from territory.models import Commune

from .test_cascade import effector, tomorrow_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def near(world: World) -> Professional:
    return effector(world, "Voisin", ARGENTAN)


def received_hours_ago(world: World, hours: int) -> Request:
    """A request of 48 h received `hours` ago: its deadline is 48 - `hours` from now."""
    now = timezone.now()
    request = make_request(
        world.cell, commune=Commune.objects.get(insee_code=ARGENTAN), now=now - timedelta(hours=hours)
    )
    assert abs(request.deadline_at - (now + timedelta(hours=48 - hours))) < timedelta(hours=1)  # the clock used here
    return request


def accept(alert: Alert, when: datetime) -> Any:
    """The effector's answer from their link (no account), in English."""
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("alert_answer", kwargs={"token": alert.token}),
        {"action": "accept", "day": f"{when:%Y-%m-%d}", "time": f"{when:%H:%M}"},
    )


def test_a_time_after_the_deadline_books_and_warns_the_effector_the_timeline_and_the_coordinator(
    world: World, near: Professional
) -> None:
    request = received_hours_ago(world, 46)  # due within two hours
    services.cascade_start(request=request, user=world.colleague)
    alert = Alert.objects.get(professional=near)
    when = tomorrow_at(10)
    assert selectors.after_deadline(request, when)
    response = accept(alert, when)
    page = response.content.decode()
    assert response.status_code == 200
    assert "This appointment is after the deadline set for this patient" in page and 'role="alert"' in page
    booking = Booking.objects.get(request=request)  # booked all the same
    assert booking.slot.starts_at == when
    request.refresh_from_db()
    assert request.status == Status.ORIENTED

    deadline = f"{timezone.localtime(request.deadline_at):%d/%m %H:%M}"
    accepted = request.events.filter(kind=EventKind.ALERT).last()
    assert accepted is not None
    with translation.override("en"):  # the effector's page was in English
        assert accepted.text.endswith(" — " + str(services.LATE_ON_TIMELINE % {"deadline": deadline}) + ".")
    told = Message.objects.get(kind=MessageKind.ALERT_ACCEPTED)
    assert told.to == world.colleague.email
    assert f"{timezone.localtime(request.deadline_at):%d/%m/%Y %H:%M}" in told.body
    with translation.override("fr"):  # the cell's language; English until the catalogue has it
        late_subject = gettext("[Aiguillage] Request %(reference)s: %(name)s accepted, after the deadline") % {
            "reference": request.reference,
            "name": near,
        }
    assert told.subject == late_subject


def test_a_time_before_the_deadline_warns_nobody(world: World, near: Professional) -> None:
    request = received_hours_ago(world, 0)
    services.cascade_start(request=request, user=world.colleague)
    alert = Alert.objects.get(professional=near)
    when = tomorrow_at(10)
    assert not selectors.after_deadline(request, when)
    response = accept(alert, when)
    assert "after the deadline" not in response.content.decode() and 'role="alert"' not in response.content.decode()
    told = Message.objects.get(kind=MessageKind.ALERT_ACCEPTED)
    deadline = f"{timezone.localtime(request.deadline_at):%d/%m/%Y %H:%M}"
    assert deadline not in told.body
    accepted = request.events.filter(kind=EventKind.ALERT).last()
    assert accepted is not None and f"{timezone.localtime(request.deadline_at):%d/%m %H:%M}" not in accepted.text


def test_once_the_deadline_has_passed_the_alert_and_its_page_say_so_before_accepting(
    world: World, near: Professional
) -> None:
    request = received_hours_ago(world, 50)  # two hours late
    services.cascade_start(request=request, user=world.colleague)
    alert = Alert.objects.get(professional=near)
    deadline = f"{timezone.localtime(request.deadline_at):%d/%m %H:%M}"
    sms = Message.objects.get(kind=MessageKind.EFFECTOR_ALERT, to="+33611223344")
    assert deadline in sms.body and "before" not in sms.body and "avant" not in sms.body
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("alert_answer", kwargs={"token": alert.token}))
    text = page.content.decode()
    assert page.status_code == 200 and "The deadline to see this patient has passed" in text
    assert "A time after" not in text  # every time is late: one warning, not two
    # Accepting still works.
    accept(alert, tomorrow_at(9))
    assert Booking.objects.filter(request=request).exists()


def test_before_the_deadline_the_page_says_a_later_time_is_late(world: World, near: Professional) -> None:
    request = received_hours_ago(world, 0)
    services.cascade_start(request=request, user=world.colleague)
    alert = Alert.objects.get(professional=near)
    text = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("alert_answer", kwargs={"token": alert.token})).content
    assert b"A time after" in text and b"The deadline to see this patient has passed" not in text
