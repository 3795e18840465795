"""The request page's slot finder and its "Move the appointment" table (issue 19.10): the best 20 (8 to move to), a
"show more" that keeps the filters, how many there are in all, the order stated and kept day by day, each person
named once."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from agenda import finder
from agenda.models import Slot
from agenda.services import slot_book
from agenda.tests.factories import make_site, make_slot, make_teleconsultant
from conftest import ARGENTAN, L_AIGLE, World
from referrals.models import Request
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory, commune

pytestmark = pytest.mark.django_db


def day_at(days: int, hour: int, minute: int = 0) -> datetime:
    """A Europe/Paris wall-clock time `days` after today (the finder ranks day by day)."""
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour, minute)))


def a_request(world: World) -> Request:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, commune=commune(ARGENTAN), urgency="24h")
    Request.objects.filter(pk=request.pk).update(deadline_at=day_at(1, 20))
    request.refresh_from_db()
    return request


def slots_tomorrow(world: World, count: int, modality: str = "in_person") -> list[Slot]:
    site = make_site(world.cell, ARGENTAN)
    return [
        make_slot(world.cell, site=site, starts_at=day_at(1, 8) + timedelta(minutes=20 * i), modality=modality)
        for i in range(count)
    ]


def page_of(client: Client, request: Request, **params: str) -> Any:
    url = reverse("referrals:request_detail", kwargs={"cell": request.cell.slug, "pk": request.pk})
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


def panel_of(client: Client, request: Request, target: str = "slot-finder", **params: str) -> Any:
    """A finder's panel as the page asks for it once shown (htmx: HX-Target its id); the page itself draws none."""
    url = reverse("referrals:request_detail", kwargs={"cell": request.cell.slug, "pk": request.pk})
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target)


def part(page: Any, start: str, end: str) -> str:
    html = page.content.decode()
    return html[html.index(start) : html.index(end, html.index(start))]


def more_link(html: str) -> dict[str, str]:
    """The "show more" link's attributes (empty when there is none)."""
    tag = re.search(r"<a href=\"\?[^>]*data-focus-after-request[^>]*>", html)
    return {name: unescape(value) for name, value in re.findall(r'([\w-]+)="([^"]*)"', tag.group(0))} if tag else {}


def test_the_finder_shows_the_best_20_and_says_how_many_with_a_show_more_that_keeps_the_filters(world: World) -> None:
    request = a_request(world)
    slots = slots_tomorrow(world, 25)
    slots_tomorrow(world, 3, modality="home_visit")  # filtered out
    page = page_of(world.client_for(world.colleague), request, **{"finder-modality": "in_person"})
    assert [c.slot for c in page.context["candidates"]] == slots[:20]
    finder_html = part(page, '<div id="slot-finder">', "</details>")
    assert "The best 20 of 25 free slots." in finder_html
    link = more_link(finder_html)
    assert link["href"] == "?finder-modality=in_person&finder-shown=40#finder-next"  # plain link without htmx
    assert link["hx-get"].endswith(f"/{request.pk}/?finder-modality=in_person&finder-shown=40")
    assert (link["hx-target"], link["hx-select"], link["hx-swap"]) == ("#slot-finder", "#slot-finder", "outerHTML")
    assert link["hx-sync"] == "#finder-form:drop"  # a filter changed meanwhile wins over the older list
    assert link["data-focus-after-request"] == "finder-next"
    assert 'id="finder-form"' in finder_html and "Show 5 more slots" in finder_html


def test_show_more_reveals_the_next_ones_focusable_and_reads_no_more_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    request = a_request(world)
    slots = slots_tomorrow(world, 25)
    client = world.client_for(world.colleague)
    page_of(client, request)
    with django_assert_max_num_queries(100) as first:
        page_of(client, request, **{"finder-modality": "in_person"})
    with django_assert_max_num_queries(len(first)):
        more = page_of(client, request, **{"finder-modality": "in_person", "finder-shown": "40"})
    assert [c.slot for c in more.context["candidates"]] == slots
    finder_html = part(more, '<div id="slot-finder">', "</details>")
    assert "All 25 free slots." in finder_html and more_link(finder_html) == {}
    rows = re.findall(r"<tr><td[^>]*>", finder_html)
    assert rows[20] == '<tr><td id="finder-next" tabindex="-1">' and finder_html.count('id="finder-next"') == 1
    assert re.search(r'<option value="in_person" selected>', finder_html)  # the filter is still shown as chosen


def test_a_page_asking_for_nonsense_shows_the_first_20(world: World) -> None:
    request = a_request(world)
    slots_tomorrow(world, 22)
    page = page_of(world.client_for(world.colleague), request, **{"finder-shown": "lots"})
    assert len(page.context["candidates"]) == 20 and 'id="finder-next"' not in page.content.decode()


def test_beyond_the_slots_read_the_page_says_at_least(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(finder, "FINDER_CANDIDATES", 21)
    request = a_request(world)
    slots_tomorrow(world, 23)
    page = panel_of(world.client_for(world.colleague), request)
    finder_html = part(page, '<div id="slot-finder">', "</details>")
    assert "The best 20 of at least 21 free slots: narrow with the filters to see the later ones." in finder_html
    assert "Show 1 more slot<" in finder_html


def test_the_page_states_the_order_and_lists_an_earlier_day_first(world: World) -> None:
    request = a_request(world)
    near_later = make_slot(world.cell, site=make_site(world.cell, ARGENTAN), starts_at=day_at(6, 9))
    far_sooner = make_slot(world.cell, site=make_site(world.cell, L_AIGLE), starts_at=day_at(2, 17))
    page = panel_of(world.client_for(world.colleague), request)
    assert [c.slot for c in page.context["candidates"]] == [far_sooner, near_later]  # the nearer came first before
    caption = unescape(part(page, "<caption>", "</caption>"))
    with override("en"):
        assert str(finder.ORDER_RULE) in caption  # shown, not only to screen readers
    assert 'class="visually-hidden"' not in caption.split("</span>")[-1]
    assert "All 2 free slots." in part(page, '<div id="slot-finder">', "</details>")


def test_an_assisted_teleconsultation_row_names_the_teleconsultant_once(world: World) -> None:
    request = a_request(world)
    doctor = make_teleconsultant(world.cell, "local")
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot", name="Point de télémédecine d'Argentan")
    make_slot(world.cell, site=spot, starts_at=day_at(1, 14), modality="assisted_teleconsultation")
    make_slot(world.cell, professional=doctor, starts_at=day_at(1, 14), modality="assisted_teleconsultation")
    page = panel_of(world.client_for(world.colleague), request)
    finder_html = part(page, '<div id="slot-finder">', "</details>")
    assert finder_html.count(str(doctor)) == 1 and finder_html.count(doctor.last_name.upper()) == 1
    assert f"Teleconsultant: {doctor}</small>" in finder_html
    assert finder_html.count(doctor.get_teleconsultant_tier_display()) == 1  # the tier, as a reason


def test_the_move_table_shows_8_in_the_same_order_with_more_and_names_once(world: World) -> None:
    request = a_request(world)
    slots = slots_tomorrow(world, 12)
    doctor = make_teleconsultant(world.cell, "local")
    spot = make_site(world.cell, ARGENTAN, kind="telemedicine_spot")
    spot_time = make_slot(world.cell, site=spot, starts_at=day_at(1, 7), modality="assisted_teleconsultation")
    make_slot(world.cell, professional=doctor, starts_at=day_at(1, 7), modality="assisted_teleconsultation")
    slot_book(slot=slots[0], request=request, user=world.colleague)  # in person: the modality decided from then on
    client = world.client_for(world.colleague)
    assert "<details><summary><h3>Move the appointment" in page_of(client, request).content.decode()  # closed
    page = panel_of(client, request, "move-finder")  # asked for once opened
    assert [c.slot for c in page.context["move_candidates"]] == slots[1:9]
    move_html = part(page, '<div id="move-finder">', "</div>")
    assert "The best 8 of 12 free slots." in move_html
    link = more_link(move_html)
    assert link["href"] == "?move-shown=16#move-next" and link["hx-target"] == "#move-finder"
    assert "Show 4 more slots" in move_html
    more = page_of(client, request, **{"move-shown": "16"})
    assert [c.slot for c in more.context["move_candidates"]] == [*slots[1:], spot_time]  # same day, other modality
    move_html = part(more, '<div id="move-finder">', "</details>")
    assert '<td id="move-next" tabindex="-1">' in move_html and "All 12 free slots." in move_html
    assert move_html.count(doctor.last_name.upper()) == 1 and f"Teleconsultant: {doctor}</small>" in move_html
    assert re.search(r"<details open><summary><h3>Move the appointment", more.content.decode())  # open without htmx
