"""Waiting-list backfill: a freed slot is proposed to the waiting requests that fit it, best first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agenda import services
from agenda.backfill import freed_slots
from conftest import ARGENTAN, L_AIGLE, World
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, SiteFactory, commune

from .factories import make_slot

pytestmark = pytest.mark.django_db


def test_a_freed_slot_is_proposed_to_the_waiting_requests_that_fit_best_first(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    now = timezone.now()
    site = SiteFactory(cell=world.cell, commune=commune(ARGENTAN))
    slot = make_slot(world.cell, site=site, starts_at=now + timedelta(hours=6))
    leaving = make_request(world.cell, last_name="Partant", phone="+33611000001")
    booking = services.slot_book(slot=slot, request=leaving, user=world.colleague, now=now)
    week_near = make_request(
        world.cell, last_name="Semaine", urgency="week", phone="+33611000002", commune=commune(ARGENTAN)
    )
    urgent_far = make_request(
        world.cell, last_name="Urgent", urgency="24h", phone="+33611000003", commune=commune(L_AIGLE)
    )
    make_request(world.cell, last_name="Kine", care_channel="physiotherapy", phone="+33611000004")
    assert freed_slots(world.cell, now) == []  # nothing freed yet
    services.booking_cancel(booking=booking, user=world.colleague, reason="Patient indisponible", now=now)
    [(freed, proposals)] = freed_slots(world.cell, now + timedelta(minutes=5))
    assert freed == slot
    assert [p.request for p in proposals] == [urgent_far, week_near]  # the most urgent first; never the one who left
    assert proposals[0].meets_deadline and proposals[0].km is not None and proposals[0].km > 30
    services.slot_book(slot=slot, request=urgent_far, user=world.colleague, now=now + timedelta(minutes=6))
    assert freed_slots(world.cell, now + timedelta(minutes=7)) == []  # taken again: no longer proposed


def test_the_queue_shows_freed_slots_in_a_constant_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    ProfessionalFactory(cell=world.cell)
    now = timezone.now()
    client = world.client_for(world.colleague)
    url = reverse("referrals:queue", kwargs={"cell": world.cell.slug})

    def free(count: int) -> None:
        for i in range(count):
            slot = make_slot(world.cell, starts_at=now + timedelta(hours=3, minutes=20 * i))
            request = make_request(world.cell, last_name=f"Libere{i}", phone=f"+3361200{i:04d}")
            booking = services.slot_book(slot=slot, request=request, user=world.colleague)
            services.booking_cancel(booking=booking, user=world.colleague, reason="Patient indisponible")

    free(1)
    client.get(url)
    # A new patient in the list: this reading is logged, as the later one is (same cost on both sides).
    make_request(world.cell, last_name="Autre", phone="+33612009999")
    with CaptureQueriesContext(connection) as one:
        page = client.get(url)
    assert "Créneaux libérés" in page.content.decode()
    free(6)
    with django_assert_max_num_queries(len(one)):
        client.get(url)
