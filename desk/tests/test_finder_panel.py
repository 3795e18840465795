"""The request page's finders answer their own htmx (their filters, "show more"; HX-Target slot-finder or
move-finder) with the panel alone: the same panel as the whole page's, in a few reads, without the page's other reads
nor its access-log row (a panel shows slots, not the patient)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from agenda.services import slot_book
from audit.models import AccessEvent
from conftest import World
from desk import selectors
from referrals.models import Request
from referrals.tests.test_request_page_finder import a_request, part, slots_tomorrow
from tests.factories import MembershipFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

# The panel's reads: session, user, second factor, memberships, the request, the finder's three (and the booking's).
PANEL_QUERIES = 10


def url_of(request: Request) -> str:
    return reverse("referrals:request_detail", kwargs={"cell": request.cell.slug, "pk": request.pk})


def panel(client: Client, request: Request, target: str, HTTP_HX_TRIGGER: str = "", **params: str) -> Any:
    headers = {"HTTP_HX_TRIGGER": HTTP_HX_TRIGGER} if HTTP_HX_TRIGGER else {}
    return client.get(
        url_of(request), params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target, HTTP_ACCEPT_LANGUAGE="en", **headers
    )


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


def tag_with(html: str, marker: str) -> dict[str, str]:
    """The attributes of the first tag containing `marker`."""
    tag = re.search(rf"<[a-z]+ [^>]*{re.escape(marker)}[^>]*>", html)
    assert tag is not None, marker
    return {name: unescape(value) for name, value in re.findall(r'([\w-]+)="([^"]*)"', tag.group(0))}


def test_the_page_computes_no_finder_and_draws_a_placeholder_that_asks_for_it(world: World, monkeypatch: Any) -> None:
    request = a_request(world)
    slots_tomorrow(world, 3)
    client = world.client_for(world.colleague)
    monkeypatch.setattr(selectors, "find", lambda *args, **kwargs: pytest.fail("the page searched for slots"))
    shown = page(client, request)
    assert shown.status_code == 200 and shown.context["candidates"] is None
    html = shown.content.decode()
    placeholder = tag_with(html, 'id="slot-finder"')
    assert placeholder["hx-get"] == url_of(request) and placeholder["hx-trigger"] == "load"
    assert (placeholder["hx-target"], placeholder["hx-select"], placeholder["hx-swap"]) == (
        "this",
        "#slot-finder",
        "outerHTML",
    )
    assert placeholder["aria-busy"] == "true"  # until the panel replaces it
    assert '<a href="?finder=1#slot-finder">Show the free slots</a>' in html  # without JavaScript
    assert 'id="finder-form"' not in html


def test_without_javascript_the_link_draws_the_finder_in_the_page(world: World) -> None:
    request = a_request(world)
    slots = slots_tomorrow(world, 3)
    shown = page(world.client_for(world.colleague), request, finder="1")
    assert [c.slot for c in shown.context["candidates"]] == slots
    html = shown.content.decode()
    assert '<div id="slot-finder">' in html and 'aria-busy="true"' not in html
    assert "No free slot matches" not in html and not shown.context["finder_form"].is_bound  # no filter asked


def test_the_panels_first_drawing_tells_the_live_region_how_many_came_its_filters_do_not(world: World) -> None:
    request = a_request(world)
    slots_tomorrow(world, 3)
    client = world.client_for(world.colleague)
    first = panel(client, request, "slot-finder", HTTP_HX_TRIGGER="slot-finder")  # the placeholder's own request
    assert '<p id="live-status" hx-swap-oob="innerHTML">3 free slots shown.</p>' in first.content.decode()
    filtered = panel(client, request, "slot-finder", HTTP_HX_TRIGGER="finder-form", **{"finder-modality": "in_person"})
    assert filtered.status_code == 200 and "live-status" not in filtered.content.decode()


def test_the_move_table_asks_for_itself_once_opened(world: World) -> None:
    request = a_request(world)
    slots = slots_tomorrow(world, 3)
    slot_book(slot=slots[0], request=request, user=world.colleague)
    client = world.client_for(world.colleague)
    shown = page(client, request)
    assert shown.context["move_candidates"] is None and shown.context["move_deferred"] is True
    html = shown.content.decode()
    placeholder = tag_with(html, 'id="move-finder"')
    assert placeholder["hx-trigger"] == "toggle from:closest details once" and placeholder["hx-get"] == url_of(request)
    assert '<a href="?move=1#move-finder">Show the slots to move to</a>' in html
    assert "<details><summary><h3>Move the appointment" in html  # closed: nothing asked until it opens
    first = panel(client, request, "move-finder", HTTP_HX_TRIGGER="move-finder")
    assert [c.slot for c in first.context["move_candidates"]] == slots[1:]
    assert "2 free slots shown." in first.content.decode()
    drawn_in = page(client, request, move="1").content.decode()  # without JavaScript: open, with its rows
    assert "<details open><summary><h3>Move the appointment" in drawn_in and "Move here" in drawn_in


def test_with_no_slot_to_move_to_the_move_table_says_so(world: World) -> None:
    request = a_request(world)
    slots = slots_tomorrow(world, 1)
    slot_book(slot=slots[0], request=request, user=world.colleague)
    alone = panel(world.client_for(world.colleague), request, "move-finder")
    assert alone.status_code == 200 and "No other free slot for this care in the next two weeks." in (
        alone.content.decode()
    )


def test_a_form_refused_on_the_page_keeps_the_placeholder_asking_the_request_page(world: World) -> None:
    request = a_request(world)
    client = world.client_for(world.colleague)
    action = reverse("referrals:request_action", kwargs={"cell": request.cell.slug, "pk": request.pk, "action": "note"})
    refused = client.post(action, {"note-text": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    assert tag_with(refused.content.decode(), 'id="slot-finder"')["hx-get"] == url_of(request)  # not the form's address
