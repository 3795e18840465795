"""The plans and absences screens: a coordinator for anyone of the cell, an effector for themselves only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from agenda.models import AvailabilityPlan, Slot, SlotStatus
from agenda.tests.factories import make_practitioner
from conftest import World
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def body(professional_pk: int, **overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "professional": professional_pk,
        "weekdays": ["0", "3"],
        "start_time": "18:00",
        "end_time": "19:00",
        "minutes": "15",
        "first_day": today.isoformat(),
        "last_day": (today + timedelta(days=90)).isoformat(),
        "care_channel": "physiotherapy",
        "exam_type": "",
        "modality": "in_person",
        "capacity": "1",
        "open_to_pharmacists": "on",
    }
    data.update(overrides)
    return data


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"agenda:{name}", kwargs={"cell": world.cell.slug, **kwargs})


def test_a_coordinator_creates_a_plan_and_its_slots_appear(world: World) -> None:
    pro = make_practitioner(world.cell)
    client = world.client_for(world.colleague)
    response = client.post(url(world, "plan_create"), body(pro.pk))
    assert response.status_code == 302
    plan = AvailabilityPlan.objects.get()
    assert (plan.weekdays, plan.open_to_pharmacists, plan.care_channel) == ([0, 3], True, "physiotherapy")
    # At least 5 Mondays and Thursdays in 4 weeks, whatever today is (public holidays are left out).
    assert Slot.objects.filter(plan=plan).count() >= 4 * 5
    listing = client.get(url(world, "plans")).content.decode()
    assert "lundi, jeudi" in listing and "18:00–19:00" in listing


def test_a_plan_without_an_end_is_refused_with_its_reason_and_the_form_as_typed(world: World) -> None:
    pro = make_practitioner(world.cell)
    response = world.client_for(world.colleague).post(url(world, "plan_create"), body(pro.pk, last_day=""))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["last_day"]
    assert "période" in form.errors["last_day"][0]
    assert form["start_time"].value() == "18:00"
    assert not AvailabilityPlan.objects.exists() and not Slot.objects.exists()


def test_an_effector_plans_for_themselves_only(world: World) -> None:
    own = make_practitioner(world.cell)
    other = make_practitioner(world.cell)
    effector = MembershipFactory(cell=world.cell, role=Role.EFFECTOR, professional=own).user
    client = world.client_for(effector)
    assert client.post(url(world, "plan_create"), body(other.pk)).status_code == 200  # not a choice for them
    assert client.post(url(world, "plan_create"), body(own.pk)).status_code == 302
    theirs = world.client_for(world.colleague).post(url(world, "plan_create"), body(other.pk, weekdays=["1"]))
    assert theirs.status_code == 302
    other_plan = AvailabilityPlan.objects.get(professional_id=other.pk)
    assert client.get(url(world, "plan_update", pk=other_plan.pk)).status_code == 404
    assert client.post(url(world, "plan_stop", pk=other_plan.pk)).status_code == 404
    assert [p.professional_id for p in client.get(url(world, "plans")).context["plans"]] == [own.pk]


def test_stopping_a_plan_withdraws_its_free_slots(world: World) -> None:
    pro = make_practitioner(world.cell)
    client = world.client_for(world.colleague)
    client.post(url(world, "plan_create"), body(pro.pk))
    plan = AvailabilityPlan.objects.get()
    response = client.post(url(world, "plan_stop", pk=plan.pk), follow=True)
    assert "retirés" in response.content.decode()
    assert not Slot.objects.filter(plan=plan, status=SlotStatus.OPEN).exists()


def test_an_absence_is_recorded_and_says_what_it_withdrew(world: World) -> None:
    pro = make_practitioner(world.cell)
    client = world.client_for(world.colleague)
    client.post(url(world, "plan_create"), body(pro.pk))
    start = timezone.localtime() + timedelta(days=1)
    response = client.post(
        url(world, "absences"),
        {
            "professional": pro.pk,
            "starts_at": f"{start:%Y-%m-%dT00:00}",
            "ends_at": f"{start + timedelta(days=14):%Y-%m-%dT00:00}",
            "reason": "Congés",
        },
        follow=True,
    )
    assert "créneaux libres retirés" in response.content.decode()
    assert "Congés" in response.content.decode()
    bad = client.post(
        url(world, "absences"),
        {"professional": pro.pk, "starts_at": "2030-01-02T10:00", "ends_at": "2030-01-01T10:00"},
    )
    assert list(bad.context["form"].errors) == ["ends_at"]
