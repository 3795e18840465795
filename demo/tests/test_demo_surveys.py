"""The demo's patients' surveys: made on the most recent seen requests, most answered, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agenda import services as agenda
from agenda.tests.factories import make_slot
from conftest import World
from demo.surveys import ANSWERS, SURVEYED, load_demo_patient_surveys
from notifications.models import Message, MessageKind
from referrals.models import RequestEvent
from referrals.states import Status
from referrals.tests.factories import make_request
from surveys.models import Audience, Survey
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


def test_the_demo_surveys_its_recent_seen_patients_and_answers_most_once(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    for number in range(SURVEYED + 2):
        # The history's range kept for fiction, which takes no SMS: the demo surveys them all the same.
        request = make_request(world.cell, last_name=f"Inventé{number}", phone=f"+3363998{number:04d}")
        slot = make_slot(world.cell, starts_at=timezone.now() + timedelta(hours=1))
        booking = agenda.slot_book(slot=slot, request=request, user=world.colleague)
        agenda.booking_outcome(
            booking=booking, user=world.colleague, seen=True, now=timezone.now() + timedelta(hours=2)
        )
    assert not Survey.objects.exists()  # the test cell's policy surveys nobody: the demo does it itself
    assert load_demo_patient_surveys(world.cell) == 0  # seen today: their survey would not have gone yet
    RequestEvent.objects.filter(to_status=Status.SEEN).update(at=timezone.now() - timedelta(days=2))

    assert load_demo_patient_surveys(world.cell) == SURVEYED
    surveys = Survey.objects.filter(cell=world.cell, audience=Audience.PATIENT)
    assert surveys.count() == SURVEYED
    assert surveys.filter(answered_at__isnull=False).count() == len(ANSWERS)
    assert not Message.objects.filter(kind=MessageKind.PATIENT_SURVEY).exists()  # invented numbers: no SMS
    answered = surveys.exclude(answered_at=None).values_list("answered_at", flat=True)
    assert all(at is not None and at < timezone.now() for at in answered)
    assert load_demo_patient_surveys(world.cell) == 0  # loading again makes none
