"""What the request page costs the database (issue 19.11: opening a request, the first of a coordinator's actions, under
150 ms on the bench database): one query per thing shown, however many slots, effectors and history lines there are."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agenda.tests.factories import make_site, make_slot, make_teleconsultant
from conftest import ARGENTAN, GACE, World
from referrals import services
from referrals.models import Request
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, SiteFactory, commune

pytestmark = pytest.mark.django_db

# What the page reads (28 on PostgreSQL, 27 on SQLite in December 2026, 3 fewer than with the finder in it: session,
# user, memberships, the request, its history, the alert panel, the access log…), with a little room: a new read raises
# it, knowingly. The slot finder is not among them: its panel asks for itself once the page is shown (PANEL_QUERIES:
# session, user, second factor, memberships, the request, the finder's three: 8 on both).
PAGE_QUERIES = 29
PANEL_QUERIES = 10


def fill(world: World, count: int) -> None:
    """Slots of every kind the finder ranks, a GP to alert for each."""
    now = timezone.now()
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")
    for i in range(count):
        at = now + timedelta(hours=1, minutes=20 * i)
        doctor = ProfessionalFactory(cell=world.cell, phone=f"+336120{i:05d}")
        doctor.sites.add(SiteFactory(cell=world.cell, commune=commune(GACE)))
        make_slot(world.cell, site=doctor.sites.first(), professional=doctor, starts_at=at)
        make_slot(world.cell, site=spot, starts_at=at, modality="assisted_teleconsultation")
        make_slot(
            world.cell,
            professional=make_teleconsultant(world.cell, "regional"),
            starts_at=at,
            modality="assisted_teleconsultation",
        )
        make_slot(world.cell, starts_at=at, modality="medicobus", commune=commune(ARGENTAN), place="Mairie")


def history(request: Request, world: World, lines: int) -> None:
    services.request_take(request=request, user=world.colleague)
    for i in range(lines):
        services.callback_log(request=request, user=world.colleague, outcome="no_answer")
        services.request_add_note(request=request, user=world.colleague, text=f"Note {i}")


def test_the_request_page_reads_the_same_for_3_or_40_slots_and_a_long_history(
    world: World, django_assert_max_num_queries: Any
) -> None:
    ProfessionalFactory(cell=world.cell, last_name="Adresseur", profession="pharmacist")
    request = make_request(world.cell, commune=commune(ARGENTAN))
    fill(world, 1)
    history(request, world, 1)
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url)
    assert first.context["finder_deferred"] is True and first.context["candidates"] is None  # no search in the page
    with CaptureQueriesContext(connection) as panel_few:
        panel = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="slot-finder")
    assert len(panel.context["candidates"]) == 3
    assert any(c.teleconsultant is not None for c in panel.context["candidates"])  # the finder's three queries
    fill(world, 39)
    history(request, world, 12)
    with django_assert_max_num_queries(len(few)):
        page = client.get(url)
    assert len(page.context["callbacks"]) == 13
    with django_assert_max_num_queries(len(panel_few)):
        panel = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="slot-finder")
    assert len(panel.context["candidates"]) == 20
    assert len(few) <= PAGE_QUERIES, [q["sql"][:100] for q in few.captured_queries]
    assert len(panel_few) <= PANEL_QUERIES, [q["sql"][:100] for q in panel_few.captured_queries]


def test_the_page_with_its_finder_drawn_in_without_javascript_reads_the_finder_s_queries_more(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, commune=commune(ARGENTAN))
    fill(world, 2)
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as without:
        client.get(url)
    with CaptureQueriesContext(connection) as drawn_in:
        page = client.get(url, {"finder": "1"})
    assert len(page.context["candidates"]) == 6
    assert len(drawn_in) - len(without) == 3, [q["sql"][:100] for q in drawn_in.captured_queries]
