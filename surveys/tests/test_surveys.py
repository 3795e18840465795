"""Satisfaction surveys: who gets one (a stable sample of handled requests, one a week at most per person), the
answer page (once, every mark required, kept as typed), and the results as SQL averages on the dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agenda import services as agenda
from agenda.tests.factories import make_slot
from common.errors import DomainError
from conftest import World
from directory.models import Profession
from indicators.figures import Period
from notifications.models import Message, MessageKind
from referrals.tests.factories import make_request
from surveys import services
from surveys.models import Score, Survey, SurveyPolicy
from tests.factories import ProfessionalFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def everyone_surveyed(world: World) -> World:
    SurveyPolicy.objects.filter(cell=world.cell).update(is_active=True, sampling_percent=100)
    return world


def seen_request(world: World, requester: object, doctor: object, name: str) -> None:
    request = make_request(world.cell, last_name=name, requester_professional=requester)
    slot = make_slot(world.cell, professional=doctor, starts_at=timezone.now() + timedelta(hours=1))
    booking = agenda.slot_book(slot=slot, request=request, user=world.colleague)
    agenda.booking_outcome(booking=booking, user=world.colleague, seen=True, now=timezone.now() + timedelta(hours=2))


def test_a_seen_request_surveys_its_requester_and_effector_once_a_week(everyone_surveyed: World) -> None:
    world = everyone_surveyed
    requester = ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST, email="officine@example.org")
    doctor = ProfessionalFactory(cell=world.cell, last_name="Morel", email="dr.morel@example.org")
    seen_request(world, requester, doctor, "Premier")
    assert set(Survey.objects.values_list("audience", "address")) == {
        ("requester", "officine@example.org"),
        ("effector", "dr.morel@example.org"),
        ("patient", "+33612345678"),
    }
    invitation = Message.objects.get(kind=MessageKind.SURVEY, to="officine@example.org")
    assert reverse("survey_answer", kwargs={"token": Survey.objects.get(audience="requester").token}) in invitation.body
    seen_request(world, requester, doctor, "Second")  # the same people, the same week: no second survey
    assert Survey.objects.count() == 3


def test_the_sample_is_stable_and_follows_the_cells_share(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    requests = [make_request(world.cell, last_name=f"Tirage{i}", phone=f"+336110000{i:02d}") for i in range(40)]
    drawn = [services.sampled(r, 30) for r in requests]
    assert drawn == [services.sampled(r, 30) for r in requests]  # the same answer each time
    assert 0 < sum(drawn) < 40
    assert not any(services.sampled(r, 0) for r in requests) and all(services.sampled(r, 100) for r in requests)


def test_a_reoriented_request_surveys_the_requester_only(everyone_surveyed: World) -> None:
    world = everyone_surveyed
    from referrals import services as referrals

    requester = ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST, email="officine@example.org")
    request = make_request(world.cell, requester_professional=requester)
    referrals.request_reorient(request=request, user=world.colleague, resource=ResourceFactory(cell=world.cell))
    assert list(Survey.objects.values_list("audience", flat=True)) == ["requester"]


def test_the_answer_page_takes_one_answer(everyone_surveyed: World) -> None:
    world = everyone_surveyed
    requester = ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST, email="officine@example.org")
    doctor = ProfessionalFactory(cell=world.cell, email="dr.morel@example.org")
    seen_request(world, requester, doctor, "Avis")
    survey = Survey.objects.get(audience="requester")
    url = reverse("survey_answer", kwargs={"token": survey.token})
    client = world.client_for(world.outsider)
    page = client.get(url)
    assert page.status_code == 200 and "Avec quelle rapidité" in page.content.decode()
    partial = client.post(url, {"speed": "5", "fit": "4", "comment": "Très réactif"})
    assert partial.status_code == 400 and "Très réactif" in partial.content.decode()  # kept as typed
    assert not Score.objects.exists()
    done = client.post(url, {"speed": "5", "fit": "4", "contact": "3", "again": "5", "comment": "Très réactif"})
    assert done.status_code == 200 and "Merci" in done.content.decode()
    again = client.post(url, {"speed": "1", "fit": "1", "contact": "1", "again": "1"})
    assert again.status_code == 409 and Score.objects.count() == 4
    assert client.get(reverse("survey_answer", kwargs={"token": "inconnu"})).status_code == 404

    today = timezone.localdate()
    results = services.results(world.cell, Period(today - timedelta(days=1), today + timedelta(days=1)))
    marks = {(q.audience, q.question): (q.answers, q.average) for q in results.questions}
    assert marks[("requester", "speed")] == (1, 5.0) and marks[("requester", "contact")] == (1, 3.0)
    assert marks[("effector", "fit")] == (0, None)
    assert results.sent == {"requester": 1, "effector": 1, "patient": 1}
    assert results.answered == {"requester": 1, "effector": 0, "patient": 0}
    assert results.comments == [("requester", "Très réactif")]
    dashboard = world.client_for(world.owner).get(
        reverse("indicators:dashboard", kwargs={"cell": world.cell.slug}),
        # The outcome is recorded two hours from now: tomorrow already, late in the evening.
        {"first": f"{today - timedelta(days=1)}", "last": f"{today + timedelta(days=1)}"},
    )
    assert "Très réactif" in dashboard.content.decode()


def test_a_survey_closes_after_thirty_days(everyone_surveyed: World) -> None:
    world = everyone_surveyed
    requester = ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST, email="officine@example.org")
    seen_request(world, requester, ProfessionalFactory(cell=world.cell), "Tard")
    survey = Survey.objects.get(audience="requester")
    with pytest.raises(DomainError) as error:
        services.survey_answer(
            token=survey.token,
            scores={"speed": 3, "fit": 3, "contact": 3, "again": 3},
            now=survey.sent_at + timedelta(days=31),
        )
    assert error.value.code == "expired"
