"""The placement assistant's domain, without HTTP: the instance read from the database, the proposal beside
first-come-first-served, and its application as normal bookings (race-free; what cannot be booked is reported)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership, Role
from agenda.models import Booking, BookingStatus, Slot
from agenda.services import SLOT_JUST_TAKEN, slot_book
from agenda.signals import booking_changed
from agenda.tests.factories import make_site, make_slot, make_teleconsultant
from common.errors import DomainError
from conftest import ARGENTAN, GACE, L_AIGLE, World
from notifications.models import Message, MessageKind
from placement import proposal as placement
from referrals import services as referrals
from referrals.models import Request
from referrals.readiness import NOT_QUALIFIED, NOT_REACHED, NOT_READY, WAITING_SUPERVISOR
from referrals.selectors import QueueFilters
from referrals.states import Status
from referrals.tests.factories import make_ready, make_request
from territory.models import Commune
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory, UserFactory, commune

pytestmark = pytest.mark.django_db


def membership(world: World) -> Membership:
    return Membership.objects.select_related("cell").get(user=world.colleague, cell=world.cell)


_phones = iter(range(10_000_000, 99_999_999))


def waiting(world: World, insee: str = ARGENTAN, *, ready: bool = True, **overrides: Any) -> Request:
    """A waiting request; unless `ready=False`, reached and qualified by the colleague (who then holds it)."""
    if not world.cell.professionals.exists():
        ProfessionalFactory(cell=world.cell)
    overrides.setdefault("phone", f"+336{next(_phones)}")
    request = make_request(world.cell, commune=commune(insee), **overrides)
    return make_ready(request, world.colleague, now=overrides.get("now")) if ready else request


def test_the_instance_maps_channels_modalities_urgencies_and_tiers(world: World) -> None:
    now = timezone.now()
    gp = waiting(world, urgency="24h", last_name="Urgent")
    imaging = waiting(world, care_channel="imaging", exam_type="radiography", urgency="week", last_name="Radio")
    Request.objects.filter(pk=imaging.pk).update(modality="in_person")
    argentan = make_site(world.cell, ARGENTAN)
    practice = make_slot(world.cell, site=argentan, starts_at=now + timedelta(hours=2))
    bus = make_slot(
        world.cell, starts_at=now + timedelta(hours=3), modality="medicobus", commune=commune(GACE), place="Mairie"
    )
    radio = make_slot(
        world.cell, site=argentan, starts_at=now + timedelta(hours=5), care_channel="imaging", exam_type="radiography"
    )
    spot = make_site(world.cell, L_AIGLE, kind="telemedicine_spot")
    at = now + timedelta(hours=4)
    spot_time = make_slot(world.cell, site=spot, starts_at=at, modality="assisted_teleconsultation", capacity=2)
    lonely_spot = make_slot(
        world.cell, site=spot, starts_at=now + timedelta(hours=9), modality="assisted_teleconsultation"
    )
    for tier in ("extra_territorial", "regional"):
        make_slot(
            world.cell,
            professional=make_teleconsultant(world.cell, tier),
            starts_at=at,
            modality="assisted_teleconsultation",
        )

    requests = placement.waiting_requests(membership(world), QueueFilters())
    slots = placement.free_slots(world.cell, now, {"gp", "imaging"})
    built = placement.instance_build(requests, slots, cell=world.cell, now=now)

    by_id = {r.id: r for r in built.instance.requests}
    assert by_id[str(gp.pk)].urgency == 3 and by_id[str(imaging.pk)].urgency == 1
    assert by_id[str(gp.pk)].modalities == placement.ALL_MODALITIES
    assert by_id[str(imaging.pk)].modalities == frozenset({"in_person"})
    assert (by_id[str(imaging.pk)].channel, by_id[str(imaging.pk)].exam_type) == ("imaging", "radiography")
    assert by_id[str(gp.pk)].deadline == gp.deadline_at
    slots_by_id = {s.id: s for s in built.instance.slots}
    assert set(slots_by_id) == {str(s.pk) for s in (practice, bus, radio, spot_time)}  # no doctor for lonely_spot
    assert str(lonely_spot.pk) not in slots_by_id
    assert slots_by_id[str(spot_time.pk)].tier == 1  # the regional doctor before the extra-territorial one
    assert slots_by_id[str(spot_time.pk)].capacity == 2 and slots_by_id[str(practice.pk)].tier == 0
    gace = commune(GACE)
    assert (slots_by_id[str(bus.pk)].lat, slots_by_id[str(bus.pk)].lon) == (gace.latitude, gace.longitude)
    assert (slots_by_id[str(radio.pk)].exam_type, slots_by_id[str(radio.pk)].modality) == ("radiography", "in_person")


def test_the_local_volunteer_gives_tier_0_and_the_urgency_of_48h_weighs_2(world: World) -> None:
    now = timezone.now()
    request = waiting(world, urgency="48h")
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")
    at = now + timedelta(hours=4)
    spot_time = make_slot(world.cell, site=spot, starts_at=at, modality="assisted_teleconsultation")
    for tier in ("regional", "local"):
        make_slot(
            world.cell,
            professional=make_teleconsultant(world.cell, tier),
            starts_at=at,
            modality="assisted_teleconsultation",
        )
    proposal = placement.proposal_build(membership=membership(world), now=now)
    assert proposal.plan.assignments == ((str(request.pk), str(spot_time.pk)),)
    assert proposal.rows[0].proposed is not None and proposal.rows[0].proposed.tier == 0
    assert proposal.proposed.urgency_in_deadline == 2


def test_other_cells_booked_cancelled_past_and_teleconsultant_times_are_left_out(world: World) -> None:
    now = timezone.now()
    mine = waiting(world)
    ProfessionalFactory(cell=world.other_cell)
    theirs = make_request(world.other_cell, commune=commune("44043"), phone="+33611111111")
    oriented = waiting(world, last_name="Oriente")
    make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=1))
    slot_book(slot=Slot.objects.get(cell=world.cell), request=oriented, user=world.colleague)
    make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=2), status="cancelled")
    make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now - timedelta(hours=2))
    make_slot(world.cell, professional=make_teleconsultant(world.cell, "local"), modality="assisted_teleconsultation")
    make_slot(world.other_cell, starts_at=now + timedelta(hours=2), site=SiteFactory(cell=world.other_cell))
    free = make_slot(world.cell, site=make_site(world.cell, GACE), starts_at=now + timedelta(hours=5))
    make_slot(world.cell, site=make_site(world.cell, GACE), starts_at=now + timedelta(days=30))  # beyond the horizon

    proposal = placement.proposal_build(membership=membership(world), now=now)
    assert [row.request for row in proposal.rows] == [mine]
    assert theirs.pk not in {row.request.pk for row in proposal.rows}
    assert proposal.slots == 1 and proposal.pairings == [(mine.pk, free.pk)]


def test_filters_of_the_queue_narrow_the_waiting_list(world: World) -> None:
    now = timezone.now()
    urgent = waiting(world, urgency="24h")
    waiting(world, urgency="week", last_name="Semaine")
    physio = waiting(world, care_channel="physiotherapy", urgency="24h", last_name="Kine")
    proposal = placement.proposal_build(membership=membership(world), filters=QueueFilters(urgency="24h"), now=now)
    assert {row.request for row in proposal.rows} == {urgent, physio}
    proposal = placement.proposal_build(
        membership=membership(world), filters=QueueFilters(urgency="24h", care_channel="gp"), now=now
    )
    assert [row.request for row in proposal.rows] == [urgent]


def test_requests_and_slots_without_a_point_are_left_out_and_counted(world: World) -> None:
    now = timezone.now()
    Commune.objects.filter(insee_code=GACE).update(latitude=None, longitude=None)
    placed = waiting(world)
    waiting(world, GACE, last_name="Nulle-part")
    make_slot(world.cell, site=make_site(world.cell, GACE), starts_at=now + timedelta(hours=2))
    make_slot(world.cell, starts_at=now + timedelta(hours=2))  # neither a site nor a commune
    free = make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=3))
    proposal = placement.proposal_build(membership=membership(world), now=now)
    assert (proposal.requests_without_point, proposal.slots_without_point) == (1, 2)
    assert proposal.pairings == [(placed.pk, free.pk)]


@pytest.mark.parametrize("count", [1, 12])
def test_the_proposal_reads_the_database_in_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any, count: int
) -> None:
    now = timezone.now()
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")
    for index in range(count):
        waiting(world, L_AIGLE if index % 2 else GACE, urgency=("24h", "48h", "week")[index % 3])
        at = now + timedelta(hours=2 + index)
        make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=at)
        make_slot(world.cell, site=spot, starts_at=at, modality="assisted_teleconsultation")
        make_slot(
            world.cell,
            professional=make_teleconsultant(world.cell, "regional"),
            starts_at=at,
            modality="assisted_teleconsultation",
        )
        make_slot(world.cell, starts_at=at, modality="medicobus", commune=commune(GACE), place="Place")
        waiting(world, GACE, ready=False, last_name=f"Pas-pret{index}")
    member = membership(world)
    with django_assert_num_queries(3):  # the waiting requests, the free slots, the teleconsultants for the spots
        proposal = placement.proposal_build(membership=member, now=now)
        assert len(proposal.rows) == count and proposal.proposed.placed == count
        assert len(proposal.apart) == count  # their readiness came with the waiting requests
        for row in proposal.rows:  # what the page shows reads nothing more
            assert row.request.patient_commune.name and str(row.request.holder)
            if row.proposed is not None:
                slot = row.proposed.slot
                assert str(slot.site or slot.commune) and (slot.professional is None or str(slot.professional))


def test_the_summary_compares_the_plan_with_first_come_first_served(world: World) -> None:
    now = timezone.now()
    first = waiting(world, GACE, urgency="week", now=now - timedelta(hours=3), last_name="Premier")
    urgent = waiting(world, ARGENTAN, urgency="24h", now=now - timedelta(hours=1), last_name="Urgent")
    scarce = make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=2))
    later = make_slot(world.cell, site=make_site(world.cell, GACE), starts_at=now + timedelta(days=3))
    proposal = placement.proposal_build(membership=membership(world), now=now)
    rows = {row.request: row for row in proposal.rows}
    assert rows[first].fcfs is not None and rows[first].fcfs.slot == scarce  # first come takes the scarce slot
    assert rows[urgent].fcfs is not None and rows[urgent].fcfs.slot == later and not rows[urgent].fcfs.meets_deadline
    assert proposal.baseline.urgent_in_deadline == 0 and proposal.baseline.urgency_in_deadline == 1
    assert proposal.baseline.placed == 2
    # The optimiser gives the scarce slot to the urgent patient.
    assert rows[urgent].proposed is not None and rows[urgent].proposed.slot == scarce
    assert proposal.proposed.urgent_in_deadline == 1 and proposal.proposed.urgency_in_deadline >= 3
    assert not rows[urgent].same_as_fcfs


def test_the_optimiser_is_used_when_it_exists(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    now = timezone.now()
    request = waiting(world)
    slot = make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=2))
    calls: list[Any] = []

    def fake(instance: Any) -> Any:
        calls.append(instance)
        return placement.plan_fcfs(instance)

    monkeypatch.setattr(placement, "plan_optimal", fake)
    proposal = placement.proposal_build(membership=membership(world), now=now)
    assert len(calls) == 1 and proposal.pairings == [(request.pk, slot.pk)]


def _proposed(world: World, count: int = 2) -> tuple[list[Request], list[Slot], placement.Proposal]:
    now = timezone.now()
    requests = [waiting(world, urgency="24h", last_name=f"Patient{i}") for i in range(count)]
    slots = [
        make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=2 + i))
        for i in range(count)
    ]
    return requests, slots, placement.proposal_build(membership=membership(world), now=now)


def test_applying_books_each_chosen_pairing_as_a_normal_booking(world: World) -> None:
    requests, slots, proposal = _proposed(world)
    signals: list[str] = []

    def receiver(sender: Any, booking: Booking, change: str, **kwargs: Any) -> None:
        signals.append(change)

    booking_changed.connect(receiver)
    try:
        applied = placement.proposal_apply(
            cell=world.cell,
            user=world.colleague,
            pairings=proposal.pairings,
            allowed=proposal.pairings,
            now=timezone.now(),
        )
    finally:
        booking_changed.disconnect(receiver)
    assert len(applied.booked) == 2 and applied.not_applied == []
    assert signals == ["booked", "booked"]
    for request in requests:
        request.refresh_from_db()
        assert request.status == Status.ORIENTED
        assert request.events.filter(to_status=Status.ORIENTED, actor=world.colleague).exists()
        assert Message.objects.filter(request=request, kind=MessageKind.PATIENT_BOOKED).count() == 1
    assert sorted(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("booked", flat=True)) == [1, 1]
    assert Booking.objects.filter(status=BookingStatus.BOOKED, booked_by=world.colleague).count() == 2


def test_only_the_chosen_pairings_are_booked(world: World) -> None:
    _requests, _slots, proposal = _proposed(world, 3)
    chosen = proposal.pairings[:1]
    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=chosen, allowed=proposal.pairings, now=timezone.now()
    )
    assert [done.request.pk for done in applied.booked] == [chosen[0][0]]
    assert Booking.objects.count() == 1


def test_a_slot_taken_meanwhile_is_reported_not_forced(world: World) -> None:
    _requests, _slots, proposal = _proposed(world)
    taken_pairing = proposal.pairings[0]
    other = waiting(world, last_name="Autre")
    slot_book(slot=Slot.objects.get(pk=taken_pairing[1]), request=other, user=world.colleague)
    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=proposal.pairings, allowed=proposal.pairings, now=timezone.now()
    )
    assert len(applied.booked) == 1
    [missed] = applied.not_applied
    assert (missed.request.pk, missed.slot.pk) == taken_pairing and missed.reason == placement.SLOT_GONE
    assert Slot.objects.get(pk=taken_pairing[1]).booked == 1
    assert Request.objects.get(pk=taken_pairing[0]).status == Status.IN_PROGRESS


def test_a_slot_lost_in_the_race_is_reported_with_the_bookings_reason(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slot goes between the check and the booking: the booking's conditional update refuses it."""
    _requests, _slots, proposal = _proposed(world, 1)
    monkeypatch.setattr(placement, "_recheck", lambda *args, **kwargs: None)
    Slot.objects.filter(pk=proposal.pairings[0][1]).update(booked=1)
    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=proposal.pairings, allowed=proposal.pairings, now=timezone.now()
    )
    assert applied.booked == [] and str(applied.not_applied[0].reason) == str(SLOT_JUST_TAKEN)
    assert Booking.objects.count() == 0


def test_a_request_no_longer_waiting_is_reported(world: World) -> None:
    requests, _slots, proposal = _proposed(world)
    referrals.request_close(request=requests[0], user=world.colleague, reason="resolved_otherwise")
    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=proposal.pairings, allowed=proposal.pairings, now=timezone.now()
    )
    assert [done.request.pk for done in applied.booked] == [requests[1].pk]
    [missed] = applied.not_applied
    assert missed.request == requests[0] and "Clôturée" in str(missed.reason)


@pytest.mark.parametrize("case", ["outside", "other_cell", "duplicate", "empty"])
def test_a_pairing_outside_the_proposal_refuses_everything(world: World, case: str) -> None:
    requests, slots, proposal = _proposed(world)
    ProfessionalFactory(cell=world.other_cell)
    theirs = make_request(world.other_cell, commune=commune("44043"), phone="+33611111111")
    their_slot = make_slot(world.other_cell, starts_at=timezone.now() + timedelta(hours=2))
    allowed = list(proposal.pairings)
    pairings = {
        "outside": [*allowed, (requests[0].pk, slots[1].pk)],
        "other_cell": [*allowed, (theirs.pk, their_slot.pk)],
        "duplicate": [*allowed, (requests[0].pk, slots[1].pk)],
        "empty": [],
    }[case]
    if case == "other_cell":
        allowed.append((theirs.pk, their_slot.pk))  # even a forged session cannot book another cell's
    if case == "duplicate":
        allowed.append((requests[0].pk, slots[1].pk))
    with pytest.raises(DomainError) as raised:
        placement.proposal_apply(
            cell=world.cell, user=world.colleague, pairings=pairings, allowed=allowed, now=timezone.now()
        )
    assert raised.value.code == ("nothing" if case == "empty" else "unknown")
    assert Booking.objects.count() == 0


def test_a_request_a_colleague_is_handling_is_reported_not_taken_from_them(world: World) -> None:
    requests, _slots, proposal = _proposed(world)
    colleague = MembershipFactory(user=UserFactory(), cell=world.cell, role=Role.COORDINATOR).user
    referrals.request_release(request=requests[0], user=world.colleague)  # the one who called the patient
    referrals.request_take(request=requests[0], user=colleague)
    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=proposal.pairings, allowed=proposal.pairings, now=timezone.now()
    )
    assert [done.request.pk for done in applied.booked] == [requests[1].pk]
    [missed] = applied.not_applied
    assert missed.request == requests[0] and str(colleague) in str(missed.reason)
    assert Booking.objects.filter(request=requests[0]).count() == 0


def test_only_ready_requests_are_placed_the_others_are_listed_apart_with_the_reason(world: World) -> None:
    now = timezone.now()
    ready = waiting(world, last_name="Prete")
    never_called = waiting(world, ready=False, last_name="Jamais-appelee")
    asked = waiting(world, last_name="Avis")
    referrals.question_ask(request=asked, user=world.colleague, question="Présentiel ?")
    for hours in (2, 3, 4):  # a slot for each: the others are not left out for want of one
        make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=hours))
    proposal = placement.proposal_build(membership=membership(world), now=now)
    assert [row.request for row in proposal.rows] == [ready]
    assert [pk for pk, _slot in proposal.pairings] == [ready.pk]
    apart = {item.request: item.readiness.reasons for item in proposal.apart}
    assert apart == {never_called: (NOT_REACHED, NOT_QUALIFIED), asked: (WAITING_SUPERVISOR,)}
    assert proposal.plan.objective.placed == 1  # the engine never saw them: they take no slot from a ready patient


def test_applying_refuses_a_request_no_longer_ready_books_and_sends_nothing_for_it(world: World) -> None:
    requests, _slots, proposal = _proposed(world)
    referrals.question_ask(request=requests[0], user=world.colleague, question="Téléconsultation ?")
    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=proposal.pairings, allowed=proposal.pairings, now=timezone.now()
    )
    assert [done.request.pk for done in applied.booked] == [requests[1].pk]
    [missed] = applied.not_applied
    assert missed.request.pk == requests[0].pk
    assert str(missed.reason) == str(NOT_READY % {"reasons": WAITING_SUPERVISOR})
    assert not Booking.objects.filter(request=requests[0]).exists()
    assert not Message.objects.filter(request=requests[0], kind=MessageKind.PATIENT_BOOKED).exists()
    assert Request.objects.get(pk=requests[0].pk).status == Status.WAITING_SUPERVISOR
    assert Slot.objects.get(pk=missed.slot.pk).booked == 0


def test_a_question_asked_after_the_last_check_is_seen_under_the_lock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the proposal was made, the server's first check passed, then a colleague asks the supervising
    doctor before the booking takes the request's lock. The booking reads readiness under the lock and refuses."""
    requests, _slots, proposal = _proposed(world, 1)
    recheck = placement._recheck

    def question_meanwhile(*args: Any, **kwargs: Any) -> Any:
        reason = recheck(*args, **kwargs)
        referrals.question_ask(request=requests[0], user=world.colleague, question="Avis ?")
        return reason

    monkeypatch.setattr(placement, "_recheck", question_meanwhile)
    applied = placement.proposal_apply(
        cell=world.cell, user=world.colleague, pairings=proposal.pairings, allowed=proposal.pairings, now=timezone.now()
    )
    assert applied.booked == [] and str(WAITING_SUPERVISOR) in str(applied.not_applied[0].reason)
    assert Booking.objects.count() == 0 and not Message.objects.filter(kind=MessageKind.PATIENT_BOOKED).exists()


def test_a_pairing_of_a_request_that_is_not_ready_is_never_part_of_the_proposal(world: World) -> None:
    """Forged into the post, it is refused with the rest: the signed proposal only holds ready requests."""
    now = timezone.now()
    ready = waiting(world, last_name="Prete")
    not_ready = waiting(world, ready=False, last_name="Pas-prete")
    slots = [
        make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=now + timedelta(hours=h)) for h in (2, 3)
    ]
    proposal = placement.proposal_build(membership=membership(world), now=now)
    assert not_ready.pk not in {pk for pk, _slot in proposal.pairings}
    forged = [
        *proposal.pairings,
        (not_ready.pk, next(s.pk for s in slots if (ready.pk, s.pk) not in proposal.pairings)),
    ]
    with pytest.raises(DomainError) as raised:
        placement.proposal_apply(
            cell=world.cell, user=world.colleague, pairings=forged, allowed=proposal.pairings, now=now
        )
    assert raised.value.message == placement.PAIRING_UNKNOWN
    assert Booking.objects.count() == 0
