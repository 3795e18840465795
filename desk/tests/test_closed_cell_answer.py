"""Out of hours: the requester's confirmation page and acknowledgment say when the cell reopens (and the 15); the
queue shows the closed hours before each deadline and a banner while the cell is closed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from conftest import World
from referrals.models import Request
from referrals.tests.factories import make_request
from referrals.tests.test_views import intake_body, requester
from territory import opening
from territory.tests.closing import close_until_the_day_after_tomorrow
from tests.factories import ProfessionalFactory
from tests.worker import work

__all__ = ["requester"]  # the fixture, used here by name

pytestmark = pytest.mark.django_db

LONG_BASE_URL = "https://aiguillage.cpts-du-pays-d-argentan-et-de-la-suisse-normande.sante-normandie.example.fr"


def closed_text(reopens_at: Any) -> str:
    with translation.override("fr"):  # the pages and messages are French
        return opening.ClosedAnswer(reopens_at).text()


def test_a_request_sent_while_the_cell_is_closed_gets_the_closed_answer_on_its_confirmation(
    world: World, requester: Any
) -> None:
    reopens_at = close_until_the_day_after_tomorrow(world.cell)
    client = world.client_for(requester.user)
    response = client.post(reverse("referrals:request_new", kwargs={"cell": world.cell.slug}), intake_body())
    assert response.status_code == 302
    request = Request.objects.get()  # taken all the same
    page = client.get(response["Location"]).content.decode()
    assert escape(closed_text(reopens_at)) in page
    assert 'class="warning closed-answer" role="status"' in page
    # The coordinator working the request is not told the cell is closed.
    detail = reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})
    assert "closed-answer" not in world.client_for(world.colleague).get(detail).content.decode()


def test_a_request_sent_while_the_cell_is_open_has_no_closed_answer(world: World, requester: Any) -> None:
    client = world.client_for(requester.user)
    response = client.post(reverse("referrals:request_new", kwargs={"cell": world.cell.slug}), intake_body())
    assert "closed-answer" not in client.get(response["Location"]).content.decode()


def test_the_acknowledgment_of_a_request_received_while_closed_says_when_the_cell_reopens(world: World) -> None:
    reopens_at = close_until_the_day_after_tomorrow(world.cell)
    doctor = ProfessionalFactory(cell=world.cell, last_name="Morel", email="dr.morel@example.org")
    with override_settings(AIGUILLAGE_BASE_URL=LONG_BASE_URL):
        request = make_request(world.cell, submitted_by=world.colleague, requester_professional=doctor)
        work()
    [received] = mail.outbox
    assert request.reference in received.subject
    assert closed_text(reopens_at) in received.body  # as received: one line, nothing escaped nor cut
    assert f"{LONG_BASE_URL}/c/{world.cell.slug}/demandes/{request.pk}/" in received.body


def test_the_acknowledgment_of_a_request_received_while_open_says_nothing_of_closing(world: World) -> None:
    doctor = ProfessionalFactory(cell=world.cell, last_name="Morel", email="dr.morel@example.org")
    make_request(world.cell, submitted_by=world.colleague, requester_professional=doctor)
    work()
    [received] = mail.outbox
    with translation.override("fr"):
        assert str(opening.CLOSED_ANSWER).split(".")[0] not in received.body


@pytest.fixture
def pro(world: World) -> Any:
    return ProfessionalFactory(cell=world.cell)  # the requester of make_request's requests


def queue(world: World) -> Any:
    return world.client_for(world.colleague).get(reverse("referrals:queue", kwargs={"cell": world.cell.slug}))


def test_the_queue_shows_the_closed_hours_before_each_deadline_and_the_banner(world: World, pro: Any) -> None:
    reopens_at = close_until_the_day_after_tomorrow(world.cell)
    request = make_request(world.cell)
    response = queue(world)
    page = response.content.decode()
    now = response.context["now"]
    periods = opening.closed_periods(world.cell, now, request.deadline_at)
    with translation.override("fr"):
        label = opening.closed_hours_label(periods, now, request.deadline_at)
        banner = opening.closed_until_label(world.cell, now)
    assert label and escape(label) in page
    assert banner and escape(banner) in page and 'class="warning closed-banner"' in page
    # Closed from now until the reopening: at least those hours before the deadline (48 h away) are closed.
    hours_closed = round(opening.closed_within(periods, now, request.deadline_at).total_seconds() / 3600)
    assert hours_closed >= int((min(reopens_at, request.deadline_at) - now).total_seconds() // 3600)


def test_an_open_cell_shows_neither_banner_nor_closed_hours(world: World, pro: Any) -> None:
    make_request(world.cell)
    page = queue(world).content.decode()
    assert "closed-banner" not in page and "closed-hours" not in page


def test_the_queue_reads_the_opening_hours_once_whatever_the_number_of_rows(world: World, pro: Any) -> None:
    close_until_the_day_after_tomorrow(world.cell)
    make_request(world.cell)
    queue(world)
    make_request(world.cell, last_name="Second", phone="+33612009999")
    with CaptureQueriesContext(connection) as few:
        queue(world)
    for i in range(10):
        make_request(world.cell, last_name=f"Patient{i}", phone=f"+336120000{i:02d}")
    with CaptureQueriesContext(connection) as many:
        response = queue(world)
    assert len(response.context["requests"]) == 12
    assert all(req.closed_hours_label for req in response.context["requests"])
    assert len(many) == len(few)
    opening_queries = [q for q in many.captured_queries if "territory_openingrange" in q["sql"]]
    assert len(opening_queries) == 1
