"""Before the clock runs out: a request still waiting when its deadline is near alerts the cell, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from conftest import World
from notifications.models import Message, MessageKind
from referrals import selectors, services
from referrals.models import EventKind
from tests.factories import MembershipFactory, ProfessionalFactory, ResourceFactory

from .factories import make_request

pytestmark = pytest.mark.django_db


def test_a_request_still_waiting_near_its_deadline_alerts_its_coordinator_and_the_supervisor_once(
    world: World, settings: Any
) -> None:
    settings.AIGUILLAGE_BASE_URL = "https://coordination-soins-non-programmes.cpts-orne-est.example.fr"
    now = timezone.now()
    ProfessionalFactory(cell=world.cell)
    supervisor: Any = MembershipFactory(
        cell=world.cell, role=Role.SUPERVISOR, professional=ProfessionalFactory(cell=world.cell, phone="+33611223344")
    ).user
    services.shift_add(
        cell=world.cell, supervisor=supervisor, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8)
    )
    world.colleague.email = "manon.hamel@example.org"
    world.colleague.save()
    near = make_request(world.cell, last_name="Vasseur", now=now - timedelta(hours=43))  # 5 h left
    services.request_take(request=near, user=world.colleague)
    later = make_request(world.cell, last_name="Lenoir", phone="+33612000001", now=now - timedelta(hours=38))  # 10 h
    assert services.deadlines_warn(now=now) == 1
    assert services.deadlines_warn(now=now + timedelta(minutes=5)) == 0  # once
    near.refresh_from_db()
    assert near.deadline_warned_at == now and near.events.filter(kind=EventKind.DEADLINE_WARNING).exists()
    told = {message.to: message for message in Message.objects.filter(kind=MessageKind.DEADLINE_NEAR)}
    assert set(told) == {"manon.hamel@example.org", "+33611223344"}  # the coordinator holding it, the supervisor
    for message in told.values():
        assert near.reference in message.body and f"/demandes/{near.pk}/" in message.body
        assert "Vasseur" not in message.body and "Fièvre" not in message.body
    queue = world.client_for(world.colleague).get(reverse("referrals:queue", kwargs={"cell": world.cell.slug}))
    assert queue.content.decode().count("échéance proche : alerte donnée") == 1
    settings_row = selectors.settings_for(world.cell)
    settings_row.warn_hours_before = 12
    settings_row.save()
    call_command("warn_deadlines", stdout=open("/dev/null", "w"))  # noqa: SIM115 (the cell's own choice: 12 h)
    later.refresh_from_db()
    assert later.deadline_warned_at is not None


def test_an_oriented_request_raises_no_alert(world: World) -> None:
    now = timezone.now()
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, now=now - timedelta(hours=47))
    resource = ResourceFactory(cell=world.cell)
    services.request_reorient(request=request, user=world.colleague, resource=resource, reason="out_of_hours")
    assert services.deadlines_warn(now=now) == 0
