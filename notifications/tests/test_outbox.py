"""The outbox screen: the cell's staff read what was sent and whether it arrived; nobody else does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from conftest import World
from notifications.models import Message
from tests.factories import MembershipFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def test_the_staff_read_their_cells_messages_and_filter_them(populated: World) -> None:
    client = populated.client_for(populated.colleague)
    url = reverse("notifications:outbox", kwargs={"cell": populated.cell.slug})
    page = client.get(url).content.decode()
    assert "docteur.orne@example.org" in page and "docteur.vignoble@example.org" not in page
    Message.objects.filter(cell=populated.cell).update(status="failed")
    assert "docteur.orne@example.org" not in client.get(url, {"status": "sent"}).content.decode()
    assert "docteur.orne@example.org" in client.get(url, {"status": "failed"}).content.decode()
    message = Message.objects.get(cell=populated.cell, to="docteur.orne@example.org")
    detail = client.get(reverse("notifications:message_detail", kwargs={"cell": populated.cell.slug, "pk": message.pk}))
    assert "Message pour DocteurOrne" in detail.content.decode()


def test_requesters_and_effectors_do_not_read_the_outbox(world: World) -> None:
    url = reverse("notifications:outbox", kwargs={"cell": world.cell.slug})
    professional = ProfessionalFactory(cell=world.cell)
    requester = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="gp", professional=professional)
    effector = MembershipFactory(cell=world.cell, role=Role.EFFECTOR, professional=professional)
    for user in (requester.user, effector.user):
        assert world.client_for(user).get(url).status_code == 403
