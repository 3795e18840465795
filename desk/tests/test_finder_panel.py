"""The request page's finders answer their own htmx (their filters, "show more"; HX-Target slot-finder or
move-finder) with the panel alone: the same panel as the whole page's, in a few reads, without the page's other reads
nor its access-log row (a panel shows slots, not the patient)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from agenda.services import slot_book
from audit.models import AccessEvent
from conftest import World
from referrals.models import Request
from referrals.tests.test_request_page_finder import a_request, part, slots_tomorrow
from tests.factories import MembershipFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

# The panel's reads: session, user, second factor, memberships, the request, the finder's three (and the booking's).
PANEL_QUERIES = 10


def url_of(request: Request) -> str:
    return reverse("referrals:request_detail", kwargs={"cell": request.cell.slug, "pk": request.pk})


def panel(client: Client, request: Request, target: str, **params: str) -> Any:
    return client.get(url_of(request), params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target, HTTP_ACCEPT_LANGUAGE="en")


def page(client: Client, request: Request, **params: str) -> Any:
    return client.get(url_of(request), params, HTTP_ACCEPT_LANGUAGE="en")


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_the_finders_filter_and_show_more_get_the_panel_alone(world: World, django_assert_max_num_queries: Any) -> None:
    request = a_request(world)
    slots = slots_tomorrow(world, 25)
    client = world.client_for(world.colleague)
    params = {"finder-modality": "in_person", "finder-shown": "40"}
    whole = page(client, request, **params)
    logged = AccessEvent.objects.count()
    with django_assert_max_num_queries(PANEL_QUERIES):
        alone = panel(client, request, "slot-finder", **params)
    assert alone.status_code == 200 and [c.slot for c in alone.context["candidates"]] == slots
    assert AccessEvent.objects.count() == logged  # no patient shown: no reading logged
    html = alone.content.decode()
    assert without_tokens(part(alone, '<div id="slot-finder">', "</details>")) == without_tokens(
        part(whole, '<div id="slot-finder">', "</details>")
    )
    assert "<h1>" not in html and request.patient_last_name not in html


def test_the_move_panel_alone_is_the_pages_move_panel(world: World) -> None:
    request = a_request(world)
    slots = slots_tomorrow(world, 12)
    slot_book(slot=slots[0], request=request, user=world.colleague)
    client = world.client_for(world.colleague)
    whole = page(client, request, **{"move-shown": "16"})
    alone = panel(client, request, "move-finder", **{"move-shown": "16"})
    assert [c.slot for c in alone.context["move_candidates"]] == slots[1:]
    assert without_tokens(part(alone, '<div id="move-finder">', "</table>")) == without_tokens(
        part(whole, '<div id="move-finder">', "</table>")
    )


def test_no_panel_for_whoever_may_not_orient(world: World) -> None:
    request = a_request(world)
    slots_tomorrow(world, 2)
    pro = ProfessionalFactory(cell=world.cell, profession="pharmacist")
    requester = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pro)
    Request.objects.filter(pk=request.pk).update(requester_professional=pro)
    assert panel(world.client_for(requester.user), request, "slot-finder").status_code == 404
    # Nothing to move before a booking either.
    assert panel(world.client_for(world.colleague), request, "move-finder").status_code == 404
