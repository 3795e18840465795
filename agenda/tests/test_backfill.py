"""Waiting-list backfill: a freed slot is proposed to the waiting requests that fit it and are ready to be booked,
best first; those that fit but are not ready are shown apart with the reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import capfirst

from agenda import services
from agenda.backfill import freed_slots, slot_book_ready
from agenda.models import Booking
from common.errors import DomainError
from conftest import ARGENTAN, L_AIGLE, World
from notifications.models import Message, MessageKind
from referrals import services as referrals
from referrals.readiness import NOT_QUALIFIED, NOT_REACHED, NOT_READY, WAITING_SUPERVISOR
from referrals.tests.factories import make_ready, make_request
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
    physio = make_request(world.cell, last_name="Kine", care_channel="physiotherapy", phone="+33611000004")
    for request in (week_near, urgent_far, physio):
        make_ready(request, world.colleague, now=now)
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
            waiting = make_request(world.cell, last_name=f"Attente{i}", phone=f"+3361300{i:04d}")
            if i % 2:  # some ready (proposed), some not (shown apart): the same queries either way
                make_ready(waiting, world.colleague)

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


def test_requests_that_fit_but_are_not_ready_are_shown_apart_with_the_reason(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    now = timezone.now()
    slot = make_slot(
        world.cell, site=SiteFactory(cell=world.cell, commune=commune(ARGENTAN)), starts_at=now + timedelta(hours=6)
    )
    leaving = make_request(world.cell, last_name="Partant", phone="+33611000001")
    booking = services.slot_book(slot=slot, request=leaving, user=world.colleague, now=now)
    ready = make_ready(make_request(world.cell, last_name="Prete", phone="+33611000002"), world.colleague, now=now)
    never_called = make_request(world.cell, last_name="Jamais", urgency="24h", phone="+33611000003")
    asked = make_ready(make_request(world.cell, last_name="Avis", phone="+33611000004"), world.colleague, now=now)
    referrals.question_ask(request=asked, user=world.colleague, question="Présentiel ?", now=now)
    services.booking_cancel(booking=booking, user=world.colleague, reason="Patient indisponible", now=now)

    [(freed, proposals)] = freed_slots(world.cell, now + timedelta(minutes=5))
    assert freed == slot and [p.request for p in proposals] == [ready]
    assert {p.request: p.readiness.reasons for p in proposals.apart} == {
        never_called: (NOT_REACHED, NOT_QUALIFIED),
        asked: (WAITING_SUPERVISOR,),
    }
    assert proposals.apart[0].request == never_called  # the most urgent first, as the proposals

    page = world.client_for(world.colleague).get(reverse("referrals:queue", kwargs={"cell": world.cell.slug}))
    html = page.content.decode()
    box = html[html.index('id="freed-title"') : html.index('id="queue-filters"')]
    book = reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": ready.pk, "slot_pk": slot.pk})
    assert book in box and never_called.patient_name in box and asked.patient_name in box
    for request in (never_called, asked):  # listed, with the reason, but no button to book them from here
        assert reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": request.pk, "slot_pk": slot.pk}) not in box
    assert escape(capfirst(str(WAITING_SUPERVISOR))) in box and escape(capfirst(str(NOT_REACHED))) in box


def test_the_booking_for_a_proposal_refuses_a_request_not_ready_and_writes_nothing(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    slot = make_slot(world.cell, site=SiteFactory(cell=world.cell, commune=commune(ARGENTAN)))
    asked = make_ready(make_request(world.cell, last_name="Avis"), world.colleague)
    referrals.question_ask(request=asked, user=world.colleague, question="Présentiel ?")
    with pytest.raises(DomainError) as raised:
        slot_book_ready(slot=slot, request=asked, user=world.colleague)
    assert raised.value.code == "not_ready"
    assert str(raised.value.message) == str(NOT_READY % {"reasons": WAITING_SUPERVISOR})
    slot.refresh_from_db()
    assert slot.booked == 0 and not Booking.objects.exists()
    assert not Message.objects.filter(kind=MessageKind.PATIENT_BOOKED).exists()
    ready = make_ready(make_request(world.cell, last_name="Prete", phone="+33611000009"), world.colleague)
    assert slot_book_ready(slot=slot, request=ready, user=world.colleague).request_id == ready.pk


def test_the_freed_slot_boxs_book_button_refuses_a_request_no_longer_ready(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    slot = make_slot(world.cell, site=SiteFactory(cell=world.cell, commune=commune(ARGENTAN)))
    asked = make_ready(make_request(world.cell, last_name="Avis"), world.colleague)
    referrals.question_ask(request=asked, user=world.colleague, question="Présentiel ?")  # since the box was shown
    url = reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": asked.pk, "slot_pk": slot.pk})
    answer = world.client_for(world.colleague).post(url, {"ready_only": "1"}, follow=True)
    assert escape(str(NOT_READY % {"reasons": WAITING_SUPERVISOR})) in answer.content.decode()
    slot.refresh_from_db()
    assert slot.booked == 0 and not Booking.objects.exists()
    # The request page's own Book button (no ready_only) is the coordinator's informed choice: it books.
    world.client_for(world.colleague).post(url)
    assert Booking.objects.filter(request=asked).exists()
