"""A series of sessions (physiotherapy, nursing): each session an appointment, the request finished with the series."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agenda import services
from agenda.models import Booking, BookingStatus
from agenda.views import SESSIONS_NOT_A_NUMBER
from common.errors import DomainError
from conftest import World
from notifications.models import Message, MessageKind
from referrals.models import EventKind, Request
from referrals.services import series
from referrals.states import FINAL, Status
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory

from .factories import make_slot

pytestmark = pytest.mark.django_db

LATER = timedelta(days=3)


@pytest.fixture(autouse=True)
def _requester(world: World) -> None:
    ProfessionalFactory(cell=world.cell)


def _physio(world: World, sessions: int = 2) -> Request:
    request = make_request(world.cell, care_channel="physiotherapy")
    if sessions != 1:
        services.request_sessions_set(request=request, user=world.colleague, sessions=sessions)
    request.refresh_from_db()
    return request


def _slot(world: World, hours: int):
    return make_slot(world.cell, care_channel="physiotherapy", starts_at=timezone.now() + timedelta(hours=hours))


def _book(world: World, request: Request, hours: int) -> Booking:
    return services.slot_book(slot=_slot(world, hours), request=request, user=world.colleague)


def _record(world: World, booking: Booking, *, seen: bool) -> None:
    services.booking_outcome(booking=booking, user=world.colleague, seen=seen, now=timezone.now() + LATER)


@pytest.mark.parametrize(("sessions", "code"), [(0, "range"), (21, "range"), (50, "range")])
def test_a_series_of_0_or_more_than_20_sessions_is_refused(world: World, sessions: int, code: str) -> None:
    request = _physio(world, sessions=1)
    with pytest.raises(DomainError) as refused:
        services.request_sessions_set(request=request, user=world.colleague, sessions=sessions)
    assert (refused.value.code, refused.value.field) == (code, "sessions")
    assert refused.value.message == series.SESSIONS_OUT_OF_RANGE % {"max": 20}
    request.refresh_from_db()
    assert request.sessions == 1
    assert not request.events.filter(kind=EventKind.SESSION).exists()


def test_only_physiotherapy_and_nursing_come_in_series(world: World) -> None:
    gp = make_request(world.cell)
    with pytest.raises(DomainError) as refused:
        services.request_sessions_set(request=gp, user=world.colleague, sessions=2)
    assert refused.value.message == series.SERIES_NOT_FOR_CARE
    nursing = make_request(world.cell, care_channel="nursing", phone="+33611111111")
    services.request_sessions_set(request=nursing, user=world.colleague, sessions=5)
    nursing.refresh_from_db()
    assert nursing.sessions == 5
    assert nursing.events.get(kind=EventKind.SESSION).text == series.SERIES_CHANGED % {"count": 5}


def test_two_sessions_booked_then_recorded_finish_the_request(world: World) -> None:
    request = _physio(world)
    first = _book(world, request, 20)
    request.refresh_from_db()
    assert (request.status, request.sessions_taken, first.session) == (Status.ORIENTED, 1, 1)
    second = _book(world, request, 70)
    request.refresh_from_db()
    assert (request.status, request.sessions_taken, second.session) == (Status.ORIENTED, 2, 2)
    booked_line = str(series.SESSION_BOOKED % {"number": 2, "total": 2, "where": ""})
    assert request.events.filter(kind=EventKind.SESSION, text__startswith=booked_line).exists()
    # The series is complete: a third booking is refused and holds nothing.
    third_slot = _slot(world, 100)
    with pytest.raises(DomainError) as refused:
        services.slot_book(slot=third_slot, request=request, user=world.colleague)
    assert refused.value.code == "series_complete"
    third_slot.refresh_from_db()
    assert third_slot.booked == 0
    _record(world, first, seen=True)
    request.refresh_from_db()
    assert request.status == Status.ORIENTED  # one session to go
    assert request.events.filter(text=series.SESSION_RECORDED_SEEN % {"number": 1, "total": 2}).exists()
    _record(world, second, seen=False)
    request.refresh_from_db()
    assert request.status == Status.SEEN  # came to one session at least


def test_a_series_missed_entirely_is_a_no_show(world: World) -> None:
    request = _physio(world)
    first, second = _book(world, request, 20), _book(world, request, 70)
    _record(world, first, seen=False)
    _record(world, second, seen=False)
    request.refresh_from_db()
    assert request.status == Status.NO_SHOW


def test_a_cancelled_session_keeps_the_series_and_is_booked_again_under_its_number(world: World) -> None:
    request = _physio(world)
    first, _second = _book(world, request, 20), _book(world, request, 70)
    services.booking_cancel(booking=first, user=world.colleague, reason="Le patient travaille ce jour-là")
    request.refresh_from_db()
    assert (request.status, request.sessions_taken) == (Status.ORIENTED, 1)
    assert request.events.filter(kind=EventKind.SESSION, text__contains="travaille").exists()
    again = _book(world, request, 120)
    assert again.session == 1


def test_the_last_session_cancelled_sends_the_request_back_to_the_cell(world: World) -> None:
    request = _physio(world)
    only = _book(world, request, 20)
    services.booking_cancel(booking=only, user=world.colleague, reason="Patient hospitalisé")
    request.refresh_from_db()
    assert (request.status, request.sessions_taken) == (Status.APPOINTMENT_CANCELLED, 0)


def test_a_series_cannot_be_shorter_than_its_sessions_taken_and_shortened_to_them_it_ends(world: World) -> None:
    request = _physio(world, sessions=3)
    first = _book(world, request, 20)
    _book(world, request, 70)
    with pytest.raises(DomainError) as refused:
        services.request_sessions_set(request=request, user=world.colleague, sessions=1)
    assert refused.value.code == "taken"
    second = Booking.objects.get(request=request, session=2)
    _record(world, first, seen=True)
    _record(world, second, seen=True)
    request.refresh_from_db()
    assert request.status == Status.ORIENTED  # the third session is still to book
    services.request_sessions_set(request=request, user=world.colleague, sessions=2)
    request.refresh_from_db()
    assert request.status == Status.SEEN
    with pytest.raises(DomainError) as finished:
        services.request_sessions_set(request=request, user=world.colleague, sessions=3)
    assert finished.value.code == "finished"


def test_a_single_appointment_is_a_series_of_one(world: World) -> None:
    request = make_request(world.cell)
    booking = services.slot_book(slot=make_slot(world.cell), request=request, user=world.colleague)
    _record(world, booking, seen=True)
    request.refresh_from_db()
    assert (request.status, request.sessions_taken) == (Status.SEEN, 1)
    assert not request.events.filter(kind=EventKind.SESSION).exists()


def test_the_database_refuses_two_appointments_for_one_session(world: World) -> None:
    request = _physio(world)
    first = _book(world, request, 20)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            slot=_slot(world, 50), request=request, booked_by=world.colleague, booked_at=timezone.now(), session=1
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Request.objects.filter(pk=request.pk).update(sessions_taken=3)
    assert first.session == 1


ACTIONS = st.lists(st.sampled_from(["book", "cancel", "seen", "no_show", "longer", "shorter"]), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_whatever_happens_the_series_counts_what_it_holds(world: World, actions: list[str]) -> None:
    """Any sequence of bookings, cancellations, outcomes and changes of length: the request counts exactly its
    sessions booked or recorded, never more than its series; it is finished exactly when all are recorded."""
    request = _physio(world, sessions=2)
    hours = 20
    for action in actions:
        request.refresh_from_db()
        active = list(request.bookings.filter(status=BookingStatus.BOOKED).order_by("session"))
        try:
            if action == "book":
                hours += 7
                _book(world, request, hours)
            elif action == "cancel" and active:
                services.booking_cancel(booking=active[0], user=world.colleague, reason="Empêché")
            elif action in ("seen", "no_show") and active:
                _record(world, active[0], seen=action == "seen")
            elif action in ("longer", "shorter"):
                change = 1 if action == "longer" else -1
                services.request_sessions_set(request=request, user=world.colleague, sessions=request.sessions + change)
        except DomainError:
            pass
        request.refresh_from_db()
        held = request.bookings.exclude(status=BookingStatus.CANCELLED)
        recorded = held.exclude(status=BookingStatus.BOOKED).count()
        assert request.sessions_taken == held.count() <= request.sessions
        assert sorted(held.values_list("session", flat=True)) == sorted(set(held.values_list("session", flat=True)))
        assert (request.status in FINAL) == (recorded == request.sessions and recorded > 0)


def _page(world: World, request: Request, **headers: str):
    return world.client_for(world.colleague).get(
        reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk}), **headers
    )


def _finder(world: World, request: Request):
    """The request page's slot finder, as the page asks for its panel once shown (htmx)."""
    return _page(world, request, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="slot-finder")


def test_the_request_page_sets_the_series_then_books_each_session_from_its_finder(world: World) -> None:
    request = _physio(world, sessions=1)
    client = world.client_for(world.colleague)
    url = reverse("agenda:request_sessions", kwargs={"cell": world.cell.slug, "pk": request.pk})
    for typed in ("0", "deux", "50"):
        refused = client.post(url, {"sessions": typed}, follow=True)
        assert refused.status_code == 200
        shown = [str(m) for m in refused.context["messages"]]
        assert shown and shown[0] in (SESSIONS_NOT_A_NUMBER, series.SESSIONS_OUT_OF_RANGE % {"max": 20})
    request.refresh_from_db()
    assert request.sessions == 1
    client.post(url, {"sessions": "2"})
    request.refresh_from_db()
    assert request.sessions == 2
    first, second = _slot(world, 20), _slot(world, 70)
    client.post(reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": request.pk, "slot_pk": first.pk}))
    page = _page(world, request)
    assert page.context["next_session"] is True and page.context["finder_deferred"] is True
    assert second in [c.slot for c in _finder(world, request).context["candidates"]]
    sessions = page.context["series"]
    assert [(s.number, s.booking is not None) for s in sessions] == [(1, True), (2, False)]
    # Oriented with a session to book: the request waits in the queue for it.
    queue = client.get(reverse("referrals:queue", kwargs={"cell": world.cell.slug}))
    assert request in list(queue.context["requests"])
    client.post(reverse("agenda:book", kwargs={"cell": world.cell.slug, "pk": request.pk, "slot_pk": second.pk}))
    request.refresh_from_db()
    assert (request.status, request.sessions_taken) == (Status.ORIENTED, 2)
    page = _page(world, request)
    assert page.context["next_session"] is False and page.context["finder_deferred"] is False
    assert _finder(world, request).status_code == 404  # nothing left to book
    queue = client.get(reverse("referrals:queue", kwargs={"cell": world.cell.slug}))
    assert request not in list(queue.context["requests"])


def test_a_gp_request_shows_no_series(world: World) -> None:
    request = make_request(world.cell)
    assert _page(world, request).context["series"] == []


def test_each_session_is_told_to_the_patient_and_the_effector_with_its_own_date(world: World) -> None:
    physio = ProfessionalFactory(cell=world.cell, email="kine.sessions@example.org", profession="physiotherapist")
    request = _physio(world)
    first = make_slot(
        world.cell, care_channel="physiotherapy", professional=physio, starts_at=timezone.now() + timedelta(hours=20)
    )
    second = make_slot(
        world.cell, care_channel="physiotherapy", professional=physio, starts_at=timezone.now() + timedelta(hours=70)
    )
    services.slot_book(slot=first, request=request, user=world.colleague)
    services.slot_book(slot=second, request=request, user=world.colleague)
    day = f"{timezone.localtime(second.starts_at):%d/%m}"
    to_patient = Message.objects.filter(request=request, kind=MessageKind.PATIENT_BOOKED).order_by("pk")
    to_effector = Message.objects.filter(request=request, kind=MessageKind.EFFECTOR_BOOKED).order_by("pk")
    assert to_patient.count() == 2 and to_effector.count() == 2
    assert day in to_patient.last().body and day in to_effector.last().body
    session_two = Booking.objects.get(request=request, session=2)
    services.booking_cancel(booking=session_two, user=world.colleague, reason="Empêché")
    told = Message.objects.get(request=request, kind=MessageKind.EFFECTOR_CANCELLED)
    assert day in told.body
    assert Message.objects.filter(request=request, kind=MessageKind.PATIENT_CANCELLED).count() == 1
