"""Every figure against a small world computed by hand: slots on both sides of the October 2026 clock change and of
the October/November boundary in Paris time, requests received on either side of midnight on 1 November (Paris),
one of each outcome. The figures come from SQL aggregations: the query count is asserted."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agenda import services as agenda
from agenda.models import Slot, SlotStatus
from agenda.tests.factories import make_slot
from conftest import World
from directory.models import Profession, ResourceKind
from indicators import figures
from indicators.figures import Period, Scope
from referrals import services as referrals
from referrals.models import Request
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, ResourceFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)


def at(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def activity(world: World) -> World:
    """The hand-computed world (Paris times):

    slots (GP unless said)        offered  taken  month
    S1 24/10 10:00 (UTC+2)        1        1      Oct   seen (R6)
    S2 25/10 03:00 (UTC+1)        1        0      Oct   after the clock change
    S3 31/10 23:30, capacity 2    2        1      Oct   (22:30 UTC) seen (R1)
    S4 01/11 00:30                1        0      Nov   (31/10 23:30 UTC) booked by R4, cancelled late
    S5 02/11 withdrawn            -        -      -
    S6 03/11 teleconsultant time  -        -      -     counted through spots only
    S7 05/11 09:00 physiotherapy  1        1      Nov   seen (R5)

    requests: R6 20/10 (not seen within 48 h), R1 31/10 23:00 (ER otherwise; seen 30 min later), R2 01/11 00:30
    (closed), R3 02/11 (ER otherwise; reoriented to a pharmacy: avoided), R4 03/11 (ER otherwise; reoriented to the
    ER: not avoided), R5 04/11 09:00 (physiotherapy; seen 24 h later). Callbacks: R1 after 15 min, R2 after 45 min.
    """
    cell, user = world.cell, world.colleague
    requester = ProfessionalFactory(cell=cell, profession=Profession.PHARMACIST)
    doctor = ProfessionalFactory(cell=cell, last_name="Morel")
    physio = ProfessionalFactory(cell=cell, last_name="Kiné", profession=Profession.PHYSIOTHERAPIST)
    s1 = make_slot(cell, professional=doctor, starts_at=at(24, 10, 10))
    make_slot(cell, professional=doctor, starts_at=at(25, 10, 3))
    s3 = make_slot(cell, professional=doctor, starts_at=at(31, 10, 23, 30), capacity=2)
    s4 = make_slot(cell, professional=doctor, starts_at=at(1, 11, 0, 30))
    make_slot(cell, professional=doctor, starts_at=at(2, 11, 10), status=SlotStatus.CANCELLED)
    make_slot(cell, professional=doctor, starts_at=at(3, 11, 10), modality="assisted_teleconsultation")
    s7 = make_slot(cell, professional=physio, starts_at=at(5, 11, 9), care_channel="physiotherapy")

    def request(received: datetime, name: str, **fields: object) -> Request:
        return make_request(cell, now=received, last_name=name, requester_professional=requester, **fields)

    def book_and_see(slot: Slot, req: Request, booked: datetime) -> None:
        booking = agenda.slot_book(slot=slot, request=req, user=user, now=booked)
        agenda.booking_outcome(booking=booking, user=user, seen=True, now=slot.ends_at)

    r6 = request(at(20, 10, 9), "Six", elsewhere="nowhere")
    book_and_see(s1, r6, at(20, 10, 10))
    r1 = request(at(31, 10, 23), "Un", elsewhere="er")
    referrals.callback_log(request=r1, user=user, outcome="reached", now=at(31, 10, 23, 15))
    book_and_see(s3, r1, at(31, 10, 23, 16))
    r2 = request(at(1, 11, 0, 30), "Deux")
    referrals.callback_log(request=r2, user=user, outcome="no_answer", now=at(1, 11, 1, 15))
    referrals.request_close(request=r2, user=user, reason="unreachable", now=at(1, 11, 2))
    r3 = request(at(2, 11, 9), "Trois", elsewhere="er")
    pharmacy = ResourceFactory(cell=cell, kind=ResourceKind.PHARMACY)
    referrals.request_reorient(request=r3, user=user, resource=pharmacy, now=at(2, 11, 10))
    r4 = request(at(31, 10, 20), "Quatre", elsewhere="er")  # received in October, its slot is November's
    booking = agenda.slot_book(slot=s4, request=r4, user=user, now=at(31, 10, 21))
    agenda.booking_cancel(
        booking=booking, user=user, reason="Patient indisponible", now=at(31, 10, 22, 30)
    )  # two hours before: late
    er = ResourceFactory(cell=cell, kind=ResourceKind.EMERGENCY)
    referrals.request_reorient(request=r4, user=user, resource=er, now=at(31, 10, 23))
    r5 = request(at(4, 11, 9), "Cinq", care_channel="physiotherapy", elsewhere="nowhere")
    book_and_see(s7, r5, at(4, 11, 10))
    return world


OCT_NOV = Period(date(2026, 10, 1), date(2026, 11, 30))


def test_places_per_paris_month_across_the_clock_change(activity: World) -> None:
    rows = figures.slots_by_month(Scope(activity.cell), OCT_NOV, NOW)
    assert [(r.month, r.care_channel, r.offered, r.taken, r.not_taken, r.upcoming) for r in rows] == [
        (date(2026, 10, 1), "gp", 4, 2, 2, 0),
        (date(2026, 11, 1), "gp", 1, 0, 1, 0),
        (date(2026, 11, 1), "physiotherapy", 1, 1, 0, 0),
    ]
    assert rows[0].fill_rate == 50.0


def test_requests_per_paris_month_across_midnight(activity: World) -> None:
    rows = figures.requests_by_month(Scope(activity.cell), OCT_NOV)
    assert [(r.month, r.received, r.oriented, r.reoriented, r.closed) for r in rows] == [
        (date(2026, 10, 1), 3, 2, 1, 0),  # R6, R1, R4
        (date(2026, 11, 1), 3, 1, 1, 1),  # R2 (31/10 23:30 UTC), R3, R5
    ]
    november = figures.summary(Scope(activity.cell), Period(date(2026, 11, 1), date(2026, 11, 30)), NOW)
    assert november.requests == 3


def test_the_summary_of_the_two_months(activity: World) -> None:
    with CaptureQueriesContext(connection) as queries:
        s = figures.summary(Scope(activity.cell), OCT_NOV, NOW)
    assert len(queries) <= 6  # aggregations, not a loop over requests
    assert (s.requests, s.oriented, s.reoriented, s.closed, s.still_open) == (6, 3, 2, 1, 0)
    assert s.er_avoided == 2  # R1 seen, R3 sent to a pharmacy; R4 went to the ER
    assert (s.seen, s.seen_within_48h, s.seen_within_48h_rate) == (3, 2, 66.7)
    assert s.first_callback_delay == timedelta(minutes=30)  # (15 + 45) / 2
    # R6: 4 days 1 hour; R1: 30 minutes; R5: 24 hours.
    assert s.consultation_delay == (timedelta(days=4, hours=1) + timedelta(minutes=30) + timedelta(hours=24)) / 3
    assert (s.offered, s.taken, s.not_taken, s.fill_rate) == (6, 3, 3, 50.0)
    assert (s.no_shows, s.cancellations, s.late_cancellations) == (0, 1, 1)
    assert (s.callbacks, s.callbacks_per_request) == (2, 0.33)


def test_the_dimensions(activity: World) -> None:
    scope = Scope(activity.cell)
    by = {d: {r.key: r.count for r in figures.requests_by(scope, OCT_NOV, d)} for d in ("origin", "care_channel")}
    assert by == {"origin": {"pharmacist": 6}, "care_channel": {"gp": 5, "physiotherapy": 1}}
    assert {r.key: r.count for r in figures.requests_by(scope, OCT_NOV, "oriented")} == {"in_person": 3}
    assert {r.key: r.count for r in figures.requests_by(scope, OCT_NOV, "reoriented")} == {
        "pharmacy": 1,
        "emergency": 1,
    }
    assert {r.key: r.count for r in figures.requests_by(scope, OCT_NOV, "closed")} == {"unreachable": 1}
    effectors = figures.slots_per_effector(scope, OCT_NOV)
    assert [(e.professional, e.offered, e.taken) for e in effectors] == [
        ("Camille MOREL", 5, 2),
        ("Camille KINÉ", 1, 1),
    ]
    assert figures.professionals(scope, OCT_NOV).active_effectors == 2


def test_filters_narrow_every_figure(activity: World) -> None:
    physio = Scope(activity.cell, care_channel="physiotherapy")
    s = figures.summary(physio, OCT_NOV, NOW)
    assert (s.requests, s.oriented, s.offered, s.taken) == (1, 1, 1, 1)


def test_an_empty_period_gives_zeros_not_errors(activity: World) -> None:
    s = figures.summary(Scope(activity.cell), Period(date(2027, 1, 1), date(2027, 1, 31)), NOW)
    assert (s.requests, s.offered, s.fill_rate, s.first_callback_delay, s.callbacks_per_request) == (
        0,
        0,
        None,
        None,
        None,
    )
    assert figures.slots_by_month(Scope(activity.cell), Period(date(2027, 1, 1), date(2027, 1, 31)), NOW) == []


def test_the_previous_period_is_the_same_length_just_before() -> None:
    assert Period(date(2026, 11, 1), date(2026, 11, 30)).previous() == Period(date(2026, 10, 2), date(2026, 10, 31))


def test_the_generated_history_is_counted_whole(world: World) -> None:
    from indicators.history import generate_history, has_history

    ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST)
    ProfessionalFactory(cell=world.cell)
    ResourceFactory(cell=world.cell)
    made = generate_history(world.cell, days=40, requests_per_day=5, slots_per_day=8, until=date(2026, 11, 1))
    assert has_history(world.cell) and (made.requests, made.slots) == (200, 320)
    period = Period(date(2026, 9, 1), date(2026, 10, 31))
    s = figures.summary(Scope(world.cell), period, NOW)
    assert s.requests == 200 and s.offered == 320
    assert s.oriented + s.reoriented + s.closed == 200 and s.taken == s.oriented
    assert s.cancellations == made.bookings - s.oriented
    months = figures.slots_by_month(Scope(world.cell), period, NOW)
    assert sum(m.offered for m in months) == 320


def test_all_dimensions_at_once_match_each_alone(activity: World) -> None:
    scope = Scope(activity.cell)
    with CaptureQueriesContext(connection) as queries:
        together = figures.requests_by_all(scope, OCT_NOV)
    assert len(queries) == 4  # the coded dimensions in one pass; origin, reoriented and tags one each
    for dimension, rows in together.items():
        assert rows == figures.requests_by(scope, OCT_NOV, dimension), dimension


def test_a_series_counts_its_patient_once_and_each_session_seen(world: World) -> None:
    """A physiotherapy series of two sessions, both seen, and a GP consultation: two patients seen, three sessions;
    seen within 48 h by its first session; the delay is to the first session."""
    ProfessionalFactory(cell=world.cell)
    user = world.colleague
    series = make_request(world.cell, now=at(2, 11, 9), care_channel="physiotherapy")
    agenda.request_sessions_set(request=series, user=user, sessions=2, now=at(2, 11, 9, 5))
    single = make_request(world.cell, now=at(2, 11, 9), phone="+33611111111", last_name="Autre")
    for request, starts in ((series, at(3, 11, 9)), (series, at(10, 11, 9)), (single, at(5, 11, 9))):
        care = request.care_channel
        slot = make_slot(world.cell, starts_at=starts, care_channel=care)
        booking = agenda.slot_book(slot=slot, request=request, user=user, now=at(2, 11, 10))
        agenda.booking_outcome(booking=booking, user=user, seen=True, now=slot.ends_at)
    s = figures.summary(Scope(world.cell), Period(date(2026, 11, 1), date(2026, 11, 30)), NOW)
    assert (s.seen, s.sessions_seen, s.seen_within_48h) == (2, 3, 1)
    assert s.consultation_delay == (timedelta(hours=24) + timedelta(days=3)) / 2  # first sessions only
