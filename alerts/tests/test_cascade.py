"""The alert cascade with a controlled clock: the usual professional, then the effectors near the patient, then the
whole territory; declines, the end of every step, and the links."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.forms import ModelChoiceField
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agenda.models import Absence, Booking
from alerts import selectors, services
from alerts.forms import CascadeStartForm
from alerts.models import Alert, AlertPolicy, AlertStatus, CascadeStatus, Step
from common.errors import DomainError
from conftest import ARGENTAN, GACE, L_AIGLE, World
from directory.models import Profession, Professional
from notifications.models import Message, MessageKind
from referrals.models import EventKind, Request, Status
from referrals.tests.factories import make_request
from territory.models import Commune
from tests.factories import ProfessionalFactory, SiteFactory

pytestmark = pytest.mark.django_db


def effector(world: World, name: str, insee: str, **fields: object) -> Professional:
    site = SiteFactory(cell=world.cell, name=f"Cabinet {name}", commune=Commune.objects.get(insee_code=insee))
    fields.setdefault("phone", "+33611223344")
    professional: Professional = ProfessionalFactory(cell=world.cell, last_name=name, **fields)
    professional.sites.add(site)
    return professional


@pytest.fixture
def territory(world: World) -> dict[str, Professional]:
    """A pharmacist who sends the request from Argentan; GPs in Argentan (usual, near), Gacé and L'Aigle (far)."""
    ProfessionalFactory(cell=world.cell, last_name="Pharmacien", profession=Profession.PHARMACIST)
    return {
        "usual": effector(world, "Traitant", ARGENTAN, is_adherent=True),
        "near": effector(world, "Voisin", ARGENTAN, email="voisin@example.org", phone=""),
        "gace": effector(world, "Gacé", GACE, is_adherent=True),
        "aigle": effector(world, "Aigle", L_AIGLE),
        "physio": effector(world, "Kiné", ARGENTAN, profession=Profession.PHYSIOTHERAPIST),
        "unreachable": effector(world, "Injoignable", ARGENTAN, phone="", email=""),
    }


def a_request(world: World) -> Request:
    return make_request(world.cell, commune=Commune.objects.get(insee_code=ARGENTAN))


def tomorrow_at(hour: int) -> datetime:
    """A time for an appointment that never runs past midnight, whenever the test runs."""
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(hour, 0)))


def alerted(step: int) -> set[str]:
    return set(Alert.objects.filter(step=step).values_list("professional__last_name", flat=True))


def test_the_cascade_widens_step_by_step_then_tells_the_coordinator(
    world: World, territory: dict[str, Professional]
) -> None:
    AlertPolicy.objects.create(cell=world.cell, usual_minutes=10, nearby_minutes=20, nearby_km=10)
    request, start = a_request(world), timezone.now()
    cascade = services.cascade_start(
        request=request, user=world.colleague, usual_professional=territory["usual"], now=start
    )
    assert alerted(Step.USUAL) == {"Traitant"} and cascade.step_ends_at == start + timedelta(minutes=10)
    sms = Message.objects.get(kind=MessageKind.EFFECTOR_ALERT, to="+33611223344")
    assert reverse("alert_answer", kwargs={"token": Alert.objects.get().token}) in sms.body
    assert "Argentan" in sms.body and request.patient_last_name not in sms.body  # no name in an SMS

    assert services.cascades_advance(now=start + timedelta(minutes=9)) == 0  # not yet
    services.cascades_advance(now=start + timedelta(minutes=10))
    assert alerted(Step.NEARBY) == {"Voisin"}  # Argentan, not the usual one again, not the physiotherapist
    assert Alert.objects.get(professional=territory["usual"]).status == AlertStatus.EXPIRED
    assert Message.objects.get(kind=MessageKind.EFFECTOR_ALERT, to="voisin@example.org").channel == "email"

    services.cascades_advance(now=start + timedelta(minutes=30))
    assert alerted(Step.TERRITORY) == {"Gacé", "Aigle"}
    cascade.refresh_from_db()
    assert cascade.step_ends_at == start + timedelta(minutes=90)  # the territory's default hour

    services.cascades_advance(now=start + timedelta(minutes=90))
    cascade.refresh_from_db()
    assert cascade.status == CascadeStatus.EXHAUSTED
    told = Message.objects.get(kind=MessageKind.ALERTS_EXHAUSTED)
    assert told.to == world.colleague.email and request.reference in told.subject
    lines = list(request.events.filter(kind=EventKind.ALERT).values_list("text", flat=True))
    assert len(lines) == 4 and lines[-1] == str(services.NOBODY_ACCEPTED)


def test_when_the_step_has_all_declined_the_next_starts_at_once(
    world: World, territory: dict[str, Professional]
) -> None:
    request, start = a_request(world), timezone.now()
    services.cascade_start(request=request, user=world.colleague, usual_professional=territory["usual"], now=start)
    token = Alert.objects.get().token
    services.alert_decline(token=token, now=start + timedelta(minutes=1))
    assert alerted(Step.NEARBY) == {"Voisin", "Traitant"} - {"Traitant"}
    with pytest.raises(DomainError) as error:
        services.alert_decline(token=token, now=start + timedelta(minutes=2))
    assert error.value.code == "answered"


def test_without_a_usual_professional_it_starts_near_the_patient(
    world: World, territory: dict[str, Professional]
) -> None:
    request = a_request(world)
    cascade = services.cascade_start(request=request, user=world.colleague)
    assert cascade.step == Step.NEARBY and alerted(Step.NEARBY) == {"Traitant", "Voisin"}
    with pytest.raises(DomainError) as error:  # one cascade at a time
        services.cascade_start(request=request, user=world.colleague)
    assert error.value.message == services.ALREADY_RUNNING


def test_an_absent_effector_is_not_alerted(world: World, territory: dict[str, Professional]) -> None:
    now = timezone.now()
    Absence.objects.create(
        cell=world.cell, professional=territory["near"], starts_at=now - timedelta(hours=1), ends_at=now + timedelta(1)
    )
    services.cascade_start(request=a_request(world), user=world.colleague, now=now)
    assert alerted(Step.NEARBY) == {"Traitant"}


def test_acceptance_books_the_appointment_and_tells_the_others(
    world: World, territory: dict[str, Professional]
) -> None:
    request, start = a_request(world), timezone.now()
    services.cascade_start(request=request, user=world.colleague, now=start)
    near, usual = (Alert.objects.get(professional=territory[name]) for name in ("near", "usual"))
    at = tomorrow_at(10)
    booking = services.alert_accept(token=near.token, starts_at=at, now=start + timedelta(minutes=5))
    assert booking.slot.professional == territory["near"] and booking.slot.starts_at == at
    request.refresh_from_db()
    assert request.status == Status.ORIENTED
    usual.refresh_from_db()
    assert usual.status == AlertStatus.CLOSED
    assert Message.objects.filter(kind=MessageKind.ALERT_TAKEN).count() == 1
    with pytest.raises(DomainError) as error:
        services.alert_accept(token=usual.token, starts_at=at, now=start + timedelta(minutes=6))
    assert error.value.code == "taken"
    assert Booking.objects.filter(request=request).count() == 1


def test_a_time_in_the_past_or_too_far_is_refused_and_nothing_is_taken(
    world: World, territory: dict[str, Professional]
) -> None:
    start = timezone.now()
    services.cascade_start(request=a_request(world), user=world.colleague, now=start)
    token = Alert.objects.first().token
    for when, field in ((start - timedelta(minutes=1), "starts_at"), (start + timedelta(days=8), "starts_at")):
        with pytest.raises(DomainError) as error:
            services.alert_accept(token=token, starts_at=when, now=start)
        assert error.value.field == field
    assert not Booking.objects.exists() and Alert.objects.filter(status=AlertStatus.SENT).count() == 2


def test_the_answer_link_page(world: World, territory: dict[str, Professional]) -> None:
    start = timezone.now()
    request = a_request(world)
    services.cascade_start(request=request, user=world.colleague, now=start)
    alert = Alert.objects.get(professional=territory["near"])
    client = world.client_for(world.outsider)  # the link needs no account, and reveals nothing more with one
    page = client.get(reverse("alert_answer", kwargs={"token": alert.token}))
    text = page.content.decode()
    assert page.status_code == 200 and "Argentan" in text and request.patient_last_name not in text
    bad = client.post(
        reverse("alert_answer", kwargs={"token": alert.token}), {"action": "accept", "day": "", "time": ""}
    )
    assert bad.status_code == 400 and "Ce champ est obligatoire" in bad.content.decode()
    when = tomorrow_at(11)
    done = client.post(
        reverse("alert_answer", kwargs={"token": alert.token}),
        {"action": "accept", "day": f"{when:%Y-%m-%d}", "time": f"{when:%H:%M}"},
    )
    assert done.status_code == 200 and "Merci" in done.content.decode()
    assert Booking.objects.get().slot.professional == territory["near"]
    unknown = client.get(reverse("alert_answer", kwargs={"token": "nope"}))
    assert unknown.status_code == 404 and "Argentan" not in unknown.content.decode()


def test_booking_the_request_another_way_stops_the_alerts(world: World, territory: dict[str, Professional]) -> None:
    from agenda import services as agenda
    from agenda.tests.factories import make_slot

    request, start = a_request(world), timezone.now()
    cascade = services.cascade_start(request=request, user=world.colleague, now=start)
    agenda.slot_book(slot=make_slot(world.cell), request=request, user=world.colleague)
    cascade.refresh_from_db()
    assert cascade.status == CascadeStatus.STOPPED
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.CLOSED}
    assert Message.objects.filter(kind=MessageKind.ALERT_TAKEN).count() == 2  # both effectors told
    services.cascades_advance(now=start + timedelta(hours=3))
    assert not Alert.objects.filter(step=Step.TERRITORY).exists()  # the territory is not alerted


def test_an_acceptance_books_even_when_another_coordinator_holds_the_request(
    world: World, territory: dict[str, Professional]
) -> None:
    from referrals import services as referrals

    other = world.owner  # a cell administrator also handles requests
    request, start = a_request(world), timezone.now()
    services.cascade_start(request=request, user=world.colleague, now=start)
    referrals.request_take(request=request, user=other, now=start + timedelta(minutes=40))
    alert = Alert.objects.get(professional=territory["near"])
    at = tomorrow_at(10)
    booking = services.alert_accept(token=alert.token, starts_at=at, now=start + timedelta(minutes=41))
    assert booking.request_id == request.pk


def test_a_late_answer_from_an_ended_step_still_counts(world: World, territory: dict[str, Professional]) -> None:
    request, start = a_request(world), timezone.now()
    services.cascade_start(request=request, user=world.colleague, usual_professional=territory["usual"], now=start)
    services.cascades_advance(now=start + timedelta(minutes=16))
    usual = Alert.objects.get(professional=territory["usual"])
    assert usual.status == AlertStatus.EXPIRED
    at = tomorrow_at(10)
    services.alert_accept(token=usual.token, starts_at=at, now=start + timedelta(minutes=17))
    assert Booking.objects.get(request=request).slot.professional == territory["usual"]


def test_an_appointment_running_past_midnight_is_refused_plainly(
    world: World, territory: dict[str, Professional]
) -> None:
    start = timezone.now()
    services.cascade_start(request=a_request(world), user=world.colleague, now=start)
    token = Alert.objects.first().token
    late = timezone.make_aware(datetime.combine(timezone.localdate(start) + timedelta(days=1), time(23, 50)))
    with pytest.raises(DomainError) as error:
        services.alert_accept(token=token, starts_at=late, now=start)
    assert error.value.field == "starts_at" and not Booking.objects.exists()


def test_a_closed_link_shows_nothing_of_the_request(world: World, territory: dict[str, Professional]) -> None:
    request = a_request(world)
    cascade = services.cascade_start(request=request, user=world.colleague)
    services.cascade_stop(cascade=cascade, user=world.colleague)
    alert = Alert.objects.first()
    assert alert is not None
    page = Client().get(reverse("alert_answer", kwargs={"token": alert.token})).content.decode()
    assert "close" in page and "Argentan" not in page and "Fièvre" not in page


@pytest.mark.parametrize("day", ["2026-03-29", "2026-10-25"])  # the hour skipped, the hour repeated
def test_a_time_the_clock_change_makes_unclear_is_refused(day: str) -> None:
    from alerts.forms import AnswerForm

    form = AnswerForm({"day": day, "time": "02:30"})
    assert not form.is_valid() and "L'heure change" in form.non_field_errors()[0]
    assert AnswerForm({"day": day, "time": "04:30"}).is_valid()


def test_the_coordinator_hears_who_accepted(world: World, territory: dict[str, Professional]) -> None:
    start = timezone.now()
    services.cascade_start(request=a_request(world), user=world.colleague, now=start)
    alert = Alert.objects.get(professional=territory["near"])
    at = tomorrow_at(10)
    services.alert_accept(token=alert.token, starts_at=at, now=start + timedelta(minutes=3))
    told = Message.objects.get(kind=MessageKind.ALERT_ACCEPTED)
    assert told.to == world.colleague.email and "VOISIN" in told.subject + told.body


def test_a_landline_without_email_cannot_be_alerted(world: World, territory: dict[str, Professional]) -> None:
    territory["near"].email = ""
    territory["near"].phone = "+33233000000"  # a fixed line: no SMS
    territory["near"].save()
    services.cascade_start(request=a_request(world), user=world.colleague)
    assert alerted(Step.NEARBY) == {"Traitant"}


def test_the_usual_professional_is_chosen_among_exactly_the_effectors_who_can_be_alerted(
    world: World, territory: dict[str, Professional]
) -> None:
    now = timezone.now()
    territory["gace"].email, territory["gace"].phone = "", "+33233000000"  # a landline, no e-mail: not reachable
    territory["gace"].save()
    Absence.objects.create(
        cell=world.cell, professional=territory["aigle"], starts_at=now - timedelta(hours=1), ends_at=now + timedelta(1)
    )
    request = a_request(world)
    reachable = {e.professional.pk for e in selectors.eligible(request, now)}
    assert reachable == {territory["usual"].pk, territory["near"].pk}
    assert set(selectors.eligible_ids(request, now)) == reachable
    field = CascadeStartForm(request=request).fields["usual_professional"]
    assert isinstance(field, ModelChoiceField) and set(field.queryset.values_list("pk", flat=True)) == reachable
