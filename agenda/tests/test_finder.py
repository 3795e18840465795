"""The slot finder: what a request may use, ranked by deadline, distance, modality fit and tier, with its reasons,
filtered, in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from agenda.finder import Filters, find_slots
from agenda.models import Slot
from conftest import ARGENTAN, GACE, L_AIGLE, World
from referrals.models import Request
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, commune

from .factories import make_site, make_slot, make_teleconsultant

pytestmark = pytest.mark.django_db


def request_in_argentan(world: World, **overrides: Any) -> Request:
    ProfessionalFactory(cell=world.cell)
    return make_request(world.cell, commune=commune(ARGENTAN), urgency="24h", **overrides)


def test_before_the_deadline_first_then_the_nearest_then_the_modality_decided(world: World) -> None:
    request = request_in_argentan(world)
    Request.objects.filter(pk=request.pk).update(modality="in_person")
    request.refresh_from_db()
    now = timezone.now()
    argentan, laigle = make_site(world.cell, ARGENTAN), make_site(world.cell, L_AIGLE)
    late_near = make_slot(world.cell, site=argentan, starts_at=now + timedelta(hours=30))
    soon_far = make_slot(world.cell, site=laigle, starts_at=now + timedelta(hours=2))
    soon_near_home = make_slot(world.cell, site=argentan, starts_at=now + timedelta(hours=1), modality="home_visit")
    soon_near = make_slot(world.cell, site=argentan, starts_at=now + timedelta(hours=3))
    found = find_slots(request, now)
    assert [c.slot for c in found] == [soon_near, soon_near_home, soon_far, late_near]
    assert found[0].reasons == ["avant l’échéance", "0.0 km", "modalité décidée"]
    assert found[1].reasons[2] == "autre modalité"
    assert found[1].modality_fits is False and found[3].before_deadline is False
    assert 30 < (found[2].km or 0) < 60  # Argentan to L'Aigle, as the crow flies


def test_a_médicobus_stop_is_placed_by_its_commune(world: World) -> None:
    request = request_in_argentan(world)
    now = timezone.now()
    bus = make_slot(
        world.cell,
        starts_at=now + timedelta(hours=2),
        modality="medicobus",
        commune=commune(ARGENTAN),
        place="Parking de la mairie",
    )
    practice = make_slot(world.cell, site=make_site(world.cell, GACE), starts_at=now + timedelta(hours=1))
    found = find_slots(request, now)
    assert [c.slot for c in found] == [bus, practice]
    assert found[0].km is not None and found[0].km < 1


def test_a_spot_is_offered_only_with_a_free_teleconsultant_and_ranked_by_tier(world: World) -> None:
    request = request_in_argentan(world)
    now = timezone.now()
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot", name="Point de télémédecine")
    at_two, at_three = now + timedelta(hours=2), now + timedelta(hours=3)
    spot_two = make_slot(world.cell, site=spot, starts_at=at_two, modality="assisted_teleconsultation")
    spot_three = make_slot(world.cell, site=spot, starts_at=at_three, modality="assisted_teleconsultation")
    lonely = make_slot(world.cell, site=spot, starts_at=now + timedelta(hours=4), modality="assisted_teleconsultation")
    for at, tier in ((at_two, "extra_territorial"), (at_three, "local"), (at_three, "regional")):
        make_slot(
            world.cell,
            professional=make_teleconsultant(world.cell, tier),
            starts_at=at,
            modality="assisted_teleconsultation",
        )
    found = find_slots(request, now)
    assert [c.slot for c in found] == [spot_three, spot_two]  # same band: the local volunteer first
    assert lonely not in [c.slot for c in found]
    assert found[0].tier_label == "Volontaire du territoire (local)"
    assert not any(c.slot.is_teleconsultant_time for c in found)


def test_filters_narrow_the_choice(world: World) -> None:
    request = request_in_argentan(world)
    now = timezone.now()
    near = make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=2))
    far = make_slot(world.cell, site=make_site(world.cell, L_AIGLE), starts_at=now + timedelta(hours=2))
    late = make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(days=3))
    home = make_slot(
        world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=5), modality="home_visit"
    )
    assert {c.slot for c in find_slots(request, now, Filters(max_km=10))} == {near, late, home}
    assert {c.slot for c in find_slots(request, now, Filters(before_deadline_only=True))} == {near, far, home}
    assert [c.slot for c in find_slots(request, now, Filters(modality="home_visit"))] == [home]


def test_other_care_full_past_and_cancelled_slots_are_left_out(world: World) -> None:
    request = request_in_argentan(world)
    now = timezone.now()
    make_slot(world.cell, starts_at=now + timedelta(hours=2), care_channel="physiotherapy")
    make_slot(world.cell, starts_at=now + timedelta(hours=2), booked=1)
    make_slot(world.cell, starts_at=now - timedelta(hours=2))
    make_slot(world.cell, starts_at=now + timedelta(hours=2), status="cancelled")
    make_slot(world.other_cell, starts_at=now + timedelta(hours=2))
    assert find_slots(request, now) == []


def test_the_finder_issues_three_queries_for_5_or_60_slots(world: World, django_assert_num_queries: Any) -> None:
    request = request_in_argentan(world)
    now = timezone.now()
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")

    def fill(count: int) -> None:
        for i in range(count):
            at = now + timedelta(hours=1, minutes=20 * i)
            make_slot(world.cell, site=make_site(world.cell, GACE), starts_at=at)
            make_slot(world.cell, site=spot, starts_at=at, modality="assisted_teleconsultation")
            make_slot(
                world.cell,
                professional=make_teleconsultant(world.cell, "regional"),
                starts_at=at,
                modality="assisted_teleconsultation",
            )

    fill(5)
    Request.objects.get(pk=request.pk)  # the request as the page has it
    with django_assert_num_queries(3):
        assert len(find_slots(request, now)) == 10
    fill(55)
    with django_assert_num_queries(3):
        assert len(find_slots(request, now, limit=200)) == 120
    assert Slot.objects.count() == 180
