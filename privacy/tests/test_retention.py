"""Retention: a request ended longer ago than its cell's period loses its patient's personal data, the statistics
stay the same; erasure on demand, where the care is over."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AccessAction, AccessEvent, DataPolicy
from common.errors import DomainError
from conftest import World
from indicators import figures
from indicators.figures import Scope
from indicators.tests.test_figures import NOW, OCT_NOV, activity  # noqa: F401  (the hand-computed world)
from notifications.models import Message
from privacy import retention
from privacy.retention import anonymise_expired, request_anonymise
from referrals.models import Callback, Request, RequestEvent
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


def _statistics(world: World) -> tuple[Any, ...]:
    scope = Scope(world.cell)
    return (
        figures.summary(scope, OCT_NOV, NOW),
        figures.requests_by_all(scope, OCT_NOV),
        figures.requests_by_month(scope, OCT_NOV),
        figures.slots_by_month(scope, OCT_NOV, NOW),
    )


def test_a_request_closed_25_months_ago_is_anonymised_and_the_statistics_stay(activity: World) -> None:  # noqa: F811
    before = _statistics(activity)
    closed = Request.objects.get(patient_last_name="Deux")
    assert closed.status == "closed" and Callback.objects.filter(request=closed).exists()
    Callback.objects.filter(request=closed).update(note="Sa fille a répondu, rappeler après 18 h")
    assert closed.last_activity_at is not None
    later = closed.last_activity_at + timedelta(days=25 * 31)

    done = anonymise_expired(now=later)

    assert done[activity.cell.slug] == Request.objects.filter(cell=activity.cell).count() == 6
    closed.refresh_from_db()
    assert closed.anonymised_at == later
    assert (closed.patient_last_name, closed.patient_first_name, closed.patient_phone) == ("—", "", "")
    assert (closed.patient_birth_date, closed.patient_street, closed.reason, closed.mt_name) == (None, "", "", "")
    assert closed.patient_commune_id is not None and closed.reason_category and closed.close_reason == "unreachable"
    assert not RequestEvent.objects.filter(request=closed).exclude(text="").exists()
    assert not Callback.objects.filter(request=closed).exclude(note="").exists()
    assert not Message.objects.filter(request__cell=activity.cell).exclude(body="").exists()
    assert _statistics(activity) == before
    log = AccessEvent.objects.get(action=AccessAction.ANONYMISE)
    assert (log.actor, log.object_type, len(log.subject_ids)) == ("system", "retention", 6)
    assert anonymise_expired(now=later)[activity.cell.slug] == 0  # once only


def test_a_request_within_its_period_or_still_open_keeps_its_data(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    now = timezone.now()
    from referrals import services

    recent = make_request(world.cell, now=now - timedelta(days=400), last_name="Recent")
    services.request_close(request=recent, user=world.colleague, reason="unreachable", now=now - timedelta(days=400))
    still_open = make_request(world.cell, now=now - timedelta(days=900), last_name="Ouvert", phone="+33612300000")
    DataPolicy.objects.create(cell=world.cell, request_months=24)
    anonymise_expired(now=now)
    assert set(Request.objects.values_list("patient_last_name", flat=True)) == {"Recent", "Ouvert"}
    # A shorter period set by the cell takes the closed one; the open one is never touched.
    DataPolicy.objects.filter(cell=world.cell).update(request_months=12)
    anonymise_expired(now=now)
    recent.refresh_from_db()
    still_open.refresh_from_db()
    assert (recent.patient_last_name, still_open.patient_last_name) == ("—", "Ouvert")


def test_erasure_on_demand_waits_until_the_care_is_over(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    with pytest.raises(DomainError) as raised:
        request_anonymise(request=request)
    assert raised.value.message == retention.STILL_OPEN
    from referrals import services

    services.request_close(request=request, user=world.colleague, reason="unreachable")
    request_anonymise(request=request, now=datetime(2030, 1, 1, tzinfo=timezone.get_current_timezone()))
    request.refresh_from_db()
    assert request.patient_last_name == "—" and request.anonymised_at is not None
    assert AccessEvent.objects.filter(action=AccessAction.ANONYMISE, detail="erasure asked").exists()


def test_an_appointment_booked_further_ahead_than_the_period_keeps_its_data(world: World) -> None:
    from agenda import services as agenda
    from agenda.tests.factories import make_slot
    from referrals import services
    from surveys.models import Survey

    ProfessionalFactory(cell=world.cell)
    now = timezone.now()
    DataPolicy.objects.create(cell=world.cell, request_months=3)
    ahead = make_request(world.cell, now=now - timedelta(days=200), last_name="Loin")
    agenda.slot_book(
        slot=make_slot(world.cell, starts_at=now + timedelta(days=30)),
        request=ahead,
        user=world.colleague,
        now=now - timedelta(days=200),
    )
    done = make_request(world.cell, now=now - timedelta(days=200), last_name="Fini", phone="+33612300001")
    services.request_close(request=done, user=world.colleague, reason="unreachable", now=now - timedelta(days=200))
    Survey.objects.create(
        cell=world.cell,
        request=done,
        audience="requester",
        address="x@example.org",
        token="t" * 20,
        sent_at=now - timedelta(days=199),
        comment="Mme Fini ravie",
    )
    Survey.objects.create(
        cell=world.cell,
        request=done,
        audience="patient",
        address="+33612300001",
        token="p" * 20,
        sent_at=now - timedelta(days=199),
    )
    anonymise_expired(now=now)
    ahead.refresh_from_db()
    done.refresh_from_db()
    assert (ahead.patient_last_name, done.patient_last_name) == ("Loin", "—")
    assert Survey.objects.get(request=done, audience="requester").comment == ""
    assert Survey.objects.get(request=done, audience="patient").address == ""  # the phone number goes too
