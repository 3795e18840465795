"""Deactivating a member closes their access to the cell and keeps everything they did under their name; the cell
administrator may give the access back."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role, User
from accounts.testing import mark_second_factor_verified
from audit.models import AccessEvent
from conftest import World
from referrals.models import RequestEvent
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db


def _set_access(world: World, user: User, *, active: bool) -> int:
    membership = Membership.objects.get(user=user, cell=world.cell)
    body = {
        "first_name": membership.user.first_name,
        "last_name": membership.user.last_name,
        "email": membership.user.email,
        "role": membership.role,
        "requester_type": membership.requester_type,
        "professional": membership.professional_id or "",
        "site": membership.site_id or "",
    }
    if active:
        body["is_active"] = "on"
    url = reverse("accounts:member_update", kwargs={"cell": world.cell.slug, "pk": membership.pk})
    return world.client_for(world.owner).post(url, body).status_code


def test_a_deactivated_member_loses_the_cell_and_keeps_their_name_on_what_they_did(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    bob = world.colleague
    request = make_request(world.cell, submitted_by=bob)
    bob_client = world.client_for(bob)
    page = reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})
    assert bob_client.get(page).status_code == 200  # a read, in the access log under bob
    reads_before = AccessEvent.objects.filter(user=bob).count()
    assert reads_before >= 1

    assert _set_access(world, bob, active=False) == 302
    membership = Membership.objects.get(user=bob, cell=world.cell)
    assert membership.is_active is False
    assert bob_client.get(page).status_code == 404
    assert bob_client.get(reverse("accounts:cell_home", kwargs={"cell": world.cell.slug})).status_code == 404
    assert bob_client.get("/").context["memberships"] == []  # no cell to choose

    request.refresh_from_db()
    assert request.submitted_by == bob
    assert RequestEvent.objects.filter(request=request, actor=bob).exists()
    assert AccessEvent.objects.filter(user=bob).count() >= reads_before
    colleague = MembershipFactory(cell=world.cell, role=Role.COORDINATOR, user=UserFactory(username="claire")).user
    shown = world.client_for(colleague).get(page).content.decode()
    assert f"({bob})" in shown  # the timeline still names who did it

    assert _set_access(world, bob, active=True) == 302
    assert bob_client.get(page).status_code == 200


def test_a_deactivated_member_logging_in_reaches_no_cell(world: World) -> None:
    Membership.objects.filter(user=world.colleague).update(is_active=False)
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "bob", "password": "motdepasse-de-test-42"})
    assert response.status_code == 302
    mark_second_factor_verified(client, world.colleague)
    assert client.get("/").context["memberships"] == []
    assert client.get(reverse("accounts:cell_home", kwargs={"cell": world.cell.slug})).status_code == 404
