"""The cell's tags at the desk (issue 21.5): ticked on the phone intake and on the request page, shown as chips in
the queue and filtered by; the requester's web form and the requester's view of a request have none."""

from __future__ import annotations

from copy import copy
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from conftest import World
from desk.views.queue import QueueView
from referrals import services
from referrals.models import EventKind, Request, Tag, TagColour
from referrals.tests.factories import make_request
from referrals.tests.test_views import intake_body
from tests.factories import MembershipFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tags(world: World) -> dict[str, Tag]:
    ProfessionalFactory(cell=world.cell)
    return {
        "low": services.tag_create(cell=world.cell, name="Faible urgence", colour=TagColour.GREEN),
        "para": services.tag_create(cell=world.cell, name="Paramédical", colour=TagColour.TEAL),
        "theirs": services.tag_create(cell=world.other_cell, name="Autre cellule", colour=TagColour.RED),
    }


def _page(world: World, request: Request) -> str:
    return reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})


def _action(world: World, request: Request, action: str = "tags") -> str:
    return reverse("referrals:request_action", kwargs={"cell": world.cell.slug, "pk": request.pk, "action": action})


# --- intake ---


def test_the_phone_intake_records_the_ticked_tags(world: World, tags: dict[str, Tag]) -> None:
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_phone", kwargs={"cell": world.cell.slug})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'type="checkbox" name="tags"' in page and "Faible urgence" in page and "Autre cellule" not in page
    body = intake_body(requester_professional=str(world.cell.professionals.first().pk))
    response = client.post(url, {**body, "tags": [tags["low"].pk, tags["para"].pk]})
    created = Request.objects.get()
    assert response.status_code == 302
    assert set(created.tags.all()) == {tags["low"], tags["para"]}
    assert created.holder == world.colleague
    assert created.events.filter(kind=EventKind.TAGS, visible_to_requester=False).count() == 1


def test_the_phone_intake_refuses_another_cells_tag_and_records_nothing(world: World, tags: dict[str, Tag]) -> None:
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_phone", kwargs={"cell": world.cell.slug})
    body = intake_body(requester_professional=str(world.cell.professionals.first().pk))
    response = client.post(url, {**body, "tags": [tags["low"].pk, tags["theirs"].pk]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "tags" in response.context["form"].errors
    assert not Request.objects.exists()


def test_an_archived_tag_is_not_offered_at_intake(world: World, tags: dict[str, Tag]) -> None:
    services.tag_archive(tag=tags["para"])
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_phone", kwargs={"cell": world.cell.slug})
    page = client.get(url).content.decode()
    assert "Faible urgence" in page and "Paramédical" not in page


def test_the_requesters_web_form_has_no_tags(world: World, tags: dict[str, Tag]) -> None:
    pro = ProfessionalFactory(cell=world.cell, profession="pharmacist")
    member = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pro)
    client = world.client_for(member.user)
    url = reverse("referrals:request_new", kwargs={"cell": world.cell.slug})
    assert "Faible urgence" not in client.get(url).content.decode()
    client.post(url, {**intake_body(), "tags": [tags["low"].pk]})
    assert not Request.objects.get().tags.exists()


# --- the request page ---


def test_the_coordinator_ticks_tags_on_the_request_page(world: World, tags: dict[str, Tag]) -> None:
    request = make_request(world.cell)
    client = world.client_for(world.colleague)
    page = client.get(_page(world, request)).content.decode()
    assert 'id="id_tags-tags_0"' in page or 'name="tags-tags"' in page
    response = client.post(_action(world, request), {"tags-tags": [tags["para"].pk]})
    assert response.status_code == 302 and response["Location"] == _page(world, request)
    assert list(request.tags.all()) == [tags["para"]]
    page = client.get(_page(world, request)).content.decode()
    assert '<span class="tag-chip tag-teal">Paramédical</span>' in page


def test_another_cells_tag_posted_on_the_request_page_is_refused_and_nothing_saved(
    world: World, tags: dict[str, Tag]
) -> None:
    request = make_request(world.cell)
    client = world.client_for(world.colleague)
    response = client.post(
        _action(world, request), {"tags-tags": [tags["low"].pk, tags["theirs"].pk]}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert "tags" in response.context["failed_form"].errors
    assert not request.tags.exists()
    assert not request.events.filter(kind=EventKind.TAGS).exists()


def test_tags_of_a_request_of_another_cell_are_not_reached(world: World, tags: dict[str, Tag]) -> None:
    ProfessionalFactory(cell=world.other_cell)
    theirs = make_request(world.other_cell)
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_action", kwargs={"cell": world.cell.slug, "pk": theirs.pk, "action": "tags"})
    assert client.post(url, {"tags-tags": [tags["theirs"].pk]}).status_code == 404
    assert not theirs.tags.exists()


def test_the_requester_never_sees_the_cells_tags(world: World, tags: dict[str, Tag]) -> None:
    pro = ProfessionalFactory(cell=world.cell, profession="pharmacist")
    member = MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pro)
    request = make_request(world.cell, requester_professional=pro)
    services.request_tags_set(request=request, user=world.colleague, tags=[tags["low"]])
    page = world.client_for(member.user).get(_page(world, request)).content.decode()
    assert "Faible urgence" not in page


# --- the queue ---


def _queue(world: World, **params: Any) -> str:
    url = reverse("referrals:queue", kwargs={"cell": world.cell.slug})
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else url


def test_the_queue_filters_by_tag_and_shows_chips_with_their_names(world: World, tags: dict[str, Tag]) -> None:
    low = make_request(world.cell, last_name="Basse")
    para = make_request(world.cell, last_name="Kine", phone="+33612000001")
    make_request(world.cell, last_name="Sans", phone="+33612000002")
    services.request_tags_set(request=low, user=world.colleague, tags=[tags["low"]])
    services.request_tags_set(request=para, user=world.colleague, tags=[tags["para"], tags["low"]])
    client = world.client_for(world.colleague)
    response = client.get(_queue(world, tag=tags["para"].pk))
    assert [r.pk for r in response.context["requests"]] == [para.pk]
    page = response.content.decode()
    # A chip is its name on its colour: the colour never says it alone.
    assert (
        '<span class="tag-chip tag-green">Faible urgence</span> <span class="tag-chip tag-teal">Paramédical</span>'
        in page
    )
    assert f'<option value="{tags["para"].pk}" selected>Paramédical</option>' in page
    assert "Autre cellule" not in page
    shown = {r.pk for r in client.get(_queue(world, tag=tags["low"].pk)).context["requests"]}
    assert shown == {low.pk, para.pk}
    # Another cell's tag, or nonsense, filters nothing in (the requests are the cell's) or is ignored.
    assert list(client.get(_queue(world, tag=tags["theirs"].pk)).context["requests"]) == []
    assert len(client.get(_queue(world, tag="x")).context["requests"]) == 3


def _clone(request: Request, count: int) -> list[Request]:
    """Copies of a request straight into the table (the service would take minutes for 200)."""
    copies = []
    for index in range(count):
        twin = copy(request)
        twin.pk = None
        twin.reference = f"T-{index:05d}"
        twin.submission_key = ""
        copies.append(twin)
    return Request.objects.bulk_create(copies)


def test_chips_on_a_full_queue_cost_the_same_queries_as_on_two(world: World, tags: dict[str, Tag]) -> None:
    client = world.client_for(world.colleague)
    first = make_request(world.cell)
    services.request_tags_set(request=first, user=world.colleague, tags=[tags["low"], tags["para"]])
    client.get(_queue(world))
    # A new patient in the list: this reading is logged, as the later one is (same cost on both sides).
    second = make_request(world.cell, last_name="Second", phone="+33612009999")
    services.request_tags_set(request=second, user=world.colleague, tags=[tags["para"]])
    with CaptureQueriesContext(connection) as two:
        assert client.get(_queue(world)).status_code == 200
    many = _clone(Request.objects.get(pk=first.pk), QueueView.LIMIT - 2)
    through = Request.tags.through
    through.objects.bulk_create(
        [through(request_id=r.pk, tag_id=t.pk) for r in many for t in (tags["low"], tags["para"])]
    )
    with CaptureQueriesContext(connection) as hundreds:
        response = client.get(_queue(world))
    assert len(response.context["requests"]) == QueueView.LIMIT
    assert response.content.decode().count('<span class="tag-chip tag-teal">Paramédical</span>') == QueueView.LIMIT
    # One query more, not one per row: a full list (200, the queue's limit) counts how many there are in all.
    assert len(hundreds) == len(two) + 1, [q["sql"][:80] for q in hundreds.captured_queries]
