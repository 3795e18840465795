"""What booking from the request page costs the database (issue 19.11: under 150 ms on the bench database): the same
number of queries however many slots and teleconsultants the cell has, a few more for a spot's time (the pairing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agenda.models import Booking, Slot
from conftest import ARGENTAN, World
from referrals.models import Request
from referrals.states import Status
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, commune

from .factories import make_practitioner, make_site, make_slot, make_teleconsultant

pytestmark = pytest.mark.django_db

# A booking's reads and writes (34 on SQLite and PostgreSQL in December 2026: the request, twice in the view, the slot,
# the request locked, the place taken, the booking, the timeline line, the requester's and the patient's messages, the
# access log), with a little room; a spot's time adds its pairing (6 more).
BOOKING_QUERIES = 36


def fill(world: World, count: int) -> None:
    now = timezone.now()
    for i in range(count):
        at = now + timedelta(hours=2, minutes=20 * i)
        make_slot(world.cell, professional=make_practitioner(world.cell), starts_at=at)
        make_slot(
            world.cell,
            professional=make_teleconsultant(world.cell, "regional"),
            starts_at=at - timedelta(minutes=20),
            minutes=60,
            modality="assisted_teleconsultation",
        )


def book(client: Client, world: World, request: Request, slot: Slot) -> CaptureQueriesContext:
    url = reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": request.pk, "slot_pk": slot.pk})
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url).status_code == 302
    return queries


def test_a_booking_costs_the_same_queries_with_2_or_60_slots_in_the_cell(
    world: World, django_assert_max_num_queries: Any
) -> None:
    ProfessionalFactory(cell=world.cell, last_name="Adresseur", profession="pharmacist")
    client = world.client_for(world.colleague)
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")
    fill(world, 1)
    start = timezone.now() + timedelta(hours=2)
    warm = make_request(world.cell, commune=commune(ARGENTAN), last_name="Premier", phone="+33612000001")
    book(client, world, warm, make_slot(world.cell, professional=make_practitioner(world.cell), starts_at=start))
    first = make_request(world.cell, commune=commune(ARGENTAN), last_name="Second", phone="+33612000002")
    few = book(client, world, first, make_slot(world.cell, professional=make_practitioner(world.cell), starts_at=start))
    spot_time = make_slot(world.cell, site=spot, starts_at=start, modality="assisted_teleconsultation")
    paired = book(client, world, make_request(world.cell, last_name="Tiers", phone="+33612000003"), spot_time)
    fill(world, 29)
    later = make_request(world.cell, commune=commune(ARGENTAN), last_name="Quart", phone="+33612000004")
    slot = make_slot(world.cell, professional=make_practitioner(world.cell), starts_at=start)
    with django_assert_max_num_queries(len(few)):
        book(client, world, later, slot)
    last = make_request(world.cell, last_name="Cinq", phone="+33612000005")
    spot_time = make_slot(
        world.cell, site=spot, starts_at=start + timedelta(hours=1), modality="assisted_teleconsultation"
    )
    with django_assert_max_num_queries(len(paired)):
        book(client, world, last, spot_time)
    assert Booking.objects.count() == 5 and Booking.objects.filter(paired_slot__isnull=False).count() == 2
    assert Request.objects.filter(status=Status.ORIENTED).count() == 5
    assert len(few) <= BOOKING_QUERIES and len(paired) <= BOOKING_QUERIES + 6, [
        q["sql"][:100] for q in paired.captured_queries
    ]
