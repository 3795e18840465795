"""The slot finder: what a request may use, ranked by deadline, day, distance, modality fit and tier, with its
reasons, filtered, counted, in a constant number of queries."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override

from agenda import finder
from agenda.finder import FINDER_CANDIDATES, Filters, find, find_slots, shown_from
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


def day_at(days: int, hour: int, minute: int = 0) -> datetime:
    """A Europe/Paris wall-clock time `days` after today: the finder ranks day by day, so the tests place their slots
    on known days (slots a few hours from now would fall on two days late in the evening)."""
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour, minute)))


def due(request: Request, deadline: datetime) -> Request:
    Request.objects.filter(pk=request.pk).update(deadline_at=deadline)
    request.refresh_from_db()
    return request


def test_before_the_deadline_first_then_the_nearest_then_the_modality_decided_within_a_day(world: World) -> None:
    request = due(request_in_argentan(world), day_at(1, 20))
    Request.objects.filter(pk=request.pk).update(modality="in_person")
    request.refresh_from_db()
    now = timezone.now()
    argentan, laigle = make_site(world.cell, ARGENTAN), make_site(world.cell, L_AIGLE)
    late_near = make_slot(world.cell, site=argentan, starts_at=day_at(1, 21))
    soon_far = make_slot(world.cell, site=laigle, starts_at=day_at(1, 10))
    soon_near_home = make_slot(world.cell, site=argentan, starts_at=day_at(1, 9), modality="home_visit")
    soon_near = make_slot(world.cell, site=argentan, starts_at=day_at(1, 11))
    found = find_slots(request, now)
    assert [c.slot for c in found] == [soon_near, soon_near_home, soon_far, late_near]
    assert found[0].reasons == ["avant l’échéance", "0,0 km", "modalité décidée"]  # a French decimal comma
    assert found[1].reasons[2] == "autre modalité"
    assert found[1].modality_fits is False and found[3].before_deadline is False
    assert 30 < (found[2].km or 0) < 60  # Argentan to L'Aigle, as the crow flies


def test_a_médicobus_stop_is_placed_by_its_commune(world: World) -> None:
    request = due(request_in_argentan(world), day_at(1, 20))
    now = timezone.now()
    bus = make_slot(
        world.cell,
        starts_at=day_at(1, 10),
        modality="medicobus",
        commune=commune(ARGENTAN),
        place="Parking de la mairie",
    )
    practice = make_slot(world.cell, site=make_site(world.cell, GACE), starts_at=day_at(1, 9))
    found = find_slots(request, now)
    assert [c.slot for c in found] == [bus, practice]
    assert found[0].km is not None and found[0].km < 1


def test_a_spot_is_offered_only_with_a_free_teleconsultant_and_ranked_by_tier(world: World) -> None:
    request = due(request_in_argentan(world), day_at(1, 20))
    now = timezone.now()
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot", name="Point de télémédecine")
    at_two, at_three = day_at(1, 14), day_at(1, 15)
    spot_two = make_slot(world.cell, site=spot, starts_at=at_two, modality="assisted_teleconsultation")
    spot_three = make_slot(world.cell, site=spot, starts_at=at_three, modality="assisted_teleconsultation")
    lonely = make_slot(world.cell, site=spot, starts_at=day_at(1, 16), modality="assisted_teleconsultation")
    for at, tier in ((at_two, "extra_territorial"), (at_three, "local"), (at_three, "regional")):
        make_slot(
            world.cell,
            professional=make_teleconsultant(world.cell, tier),
            starts_at=at,
            modality="assisted_teleconsultation",
        )
    found = find_slots(request, now)
    assert [c.slot for c in found] == [spot_three, spot_two]  # same day and band: the local volunteer first
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
            when = now + timedelta(hours=1, minutes=20 * i)
            make_slot(world.cell, site=make_site(world.cell, GACE), starts_at=when)
            make_slot(world.cell, site=spot, starts_at=when, modality="assisted_teleconsultation")
            make_slot(
                world.cell,
                professional=make_teleconsultant(world.cell, "regional"),
                starts_at=when,
                modality="assisted_teleconsultation",
            )

    fill(5)
    Request.objects.get(pk=request.pk)  # the request as the page has it
    with django_assert_num_queries(3):
        assert len(find_slots(request, now)) == 10
    fill(55)
    with django_assert_num_queries(3):
        assert len(find_slots(request, now, limit=200)) == 120
    with django_assert_num_queries(3):  # counting them all costs nothing more
        found = find(request, now, limit=40)
    assert (len(found.candidates), found.total, found.more, found.complete) == (40, 120, 20, True)
    assert Slot.objects.count() == 180


def test_a_later_day_never_comes_before_an_earlier_one(world: World) -> None:
    """The case seen (issue 19.10): a slot near the patient five days later was listed before a farther one sooner,
    both after the deadline, as the nearest band came before the time; now the days come in order."""
    request = due(request_in_argentan(world), day_at(1, 20))
    now = timezone.now()
    near_later = make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=day_at(7, 9))
    far_sooner = make_slot(world.cell, site=make_site(world.cell, L_AIGLE), starts_at=day_at(2, 18))
    far_soonest = make_slot(world.cell, site=make_site(world.cell, L_AIGLE), starts_at=day_at(1, 10))
    found = find_slots(request, now)
    assert [c.slot for c in found] == [far_soonest, far_sooner, near_later]
    assert [c.before_deadline for c in found] == [True, False, False]
    assert found[2].km is not None and found[1].km is not None and found[2].km < 5 < found[1].km
    # What the page states above the list.
    with override("en"):
        assert str(finder.ORDER_RULE).startswith("Before the deadline first, then day by day")


def test_before_the_deadline_comes_first_within_the_day_of_the_deadline(world: World) -> None:
    request = due(request_in_argentan(world), day_at(1, 12))
    now = timezone.now()
    near_after = make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=day_at(1, 13))
    far_before = make_slot(world.cell, site=make_site(world.cell, L_AIGLE), starts_at=day_at(1, 11))
    assert [c.slot for c in find_slots(request, now)] == [far_before, near_after]


def test_an_assisted_teleconsultation_names_its_teleconsultant_once(world: World) -> None:
    request = due(request_in_argentan(world), day_at(1, 20))
    now = timezone.now()
    doctor = make_teleconsultant(world.cell, "local")
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")
    # A spot time published with the doctor as its professional: still named once, as the teleconsultant.
    make_slot(world.cell, site=spot, starts_at=day_at(1, 14), modality="assisted_teleconsultation", professional=doctor)
    make_slot(world.cell, professional=doctor, starts_at=day_at(1, 14), modality="assisted_teleconsultation")
    nurse = ProfessionalFactory(cell=world.cell, last_name="Infirmière", profession="nurse")
    make_slot(world.cell, site=spot, starts_at=day_at(1, 14), modality="assisted_teleconsultation", professional=nurse)
    make_slot(world.cell, professional=doctor, starts_at=day_at(1, 14), modality="assisted_teleconsultation")
    with override("en"):
        found = find_slots(request, now)
    assert len(found) == 2 and all(c.teleconsultant is not None for c in found)
    assert {c.professional for c in found} == {None, nurse}  # the nurse at the spot is someone else: named
    for candidate in found:
        assert not any(doctor.last_name in reason for reason in candidate.reasons)
        with override("en"):
            assert candidate.reasons[-1] == gettext("teleconsultant: %(tier)s") % {"tier": candidate.tier_label}


def test_the_best_page_is_shown_with_how_many_there_are_in_all(world: World) -> None:
    request = due(request_in_argentan(world), day_at(1, 20))
    now = timezone.now()
    site = make_site(world.cell, ARGENTAN)
    slots = [make_slot(world.cell, site=site, starts_at=day_at(1, 8, 0) + timedelta(minutes=20 * i)) for i in range(25)]
    first = find(request, now)
    assert [c.slot for c in first.candidates] == slots[:20]
    assert (first.total, first.complete, first.more, first.next_limit, first.first_new) == (25, True, 5, 40, None)
    second = find(request, now, limit=first.next_limit)
    assert [c.slot for c in second.candidates] == slots
    assert (second.more, second.first_new) == (0, 20)  # the focus goes to the 21st row
    narrowed = find(request, now, Filters(modality="home_visit"))
    assert (narrowed.candidates, narrowed.total, narrowed.more) == ([], 0, 0)


def test_beyond_the_candidates_read_the_total_is_a_lower_bound(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(finder, "FINDER_CANDIDATES", 6)
    request = due(request_in_argentan(world), day_at(1, 20))
    site = make_site(world.cell, ARGENTAN)
    for i in range(7):
        make_slot(world.cell, site=site, starts_at=day_at(1, 8) + timedelta(minutes=20 * i))
    found = find(request, timezone.now(), limit=4, page=4)
    assert (len(found.candidates), found.total, found.complete, found.more) == (4, 6, False, 2)
    monkeypatch.setattr(finder, "FINDER_CANDIDATES", 7)
    assert find(request, timezone.now()).complete is True  # exactly as many as read: all of them


@pytest.mark.parametrize(
    ("asked", "page", "shown"),
    [(None, 20, 20), ("", 20, 20), ("40", 20, 40), ("45", 20, 40), ("7", 20, 20), ("-40", 20, 20), ("x", 20, 20),
     ("100000", 20, FINDER_CANDIDATES), ("16", 8, 16)],
)  # fmt: skip
def test_how_many_rows_a_page_may_ask_for(asked: str | None, page: int, shown: int) -> None:
    assert shown_from(asked, page) == shown
