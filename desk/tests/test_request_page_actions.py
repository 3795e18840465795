"""The request page's buttons: one class each (desk.views.request_page.ACTIONS), found by the `action` of the
address; a form shown again as typed when it fails, a refusal said on the page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import ERROR, get_messages
from django.urls import reverse

from audit.models import AccessAction, AccessEvent
from conftest import World
from desk.views.request_page import ACTIONS
from referrals.models import Request
from referrals.states import ILLEGAL_MOVE, Status
from referrals.tests.factories import make_request
from referrals.views import request_url
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

TEMPLATES = ("referrals/request_detail.html", "referrals/_queue_rows.html")
TYPED = "Texte tapé par la coordinatrice"


@pytest.fixture
def request_(world: World) -> Request:
    ProfessionalFactory(cell=world.cell)
    return make_request(world.cell)


def _url(world: World, request_: Request, action: str) -> str:
    return reverse("referrals:request_action", kwargs={"cell": world.cell.slug, "pk": request_.pk, "action": action})


def test_every_button_of_the_request_page_and_the_queue_has_its_class_and_no_class_is_left_without_a_button() -> None:
    posted = set()
    for name in TEMPLATES:
        text = (Path(settings.BASE_DIR) / "referrals" / "templates" / name).read_text()
        posted |= set(re.findall(r"'referrals:request_action'[^%]*action='(\w+)'", text))
    assert posted == set(ACTIONS)


@pytest.mark.parametrize(
    ("action", "typed", "field"),
    [
        ("callback", {"callback-note": TYPED}, "outcome"),
        ("close", {"close-note": TYPED}, "reason"),
        ("reorient", {"reorient-note": TYPED}, "resource"),
        ("qualify", {"qualify-care_channel": "no-such-care"}, "care_channel"),  # no protocol: form not shown
        ("note", {"note-text": "", "note-visible_to_requester": "on"}, "text"),
        ("ask", {"ask-question": ""}, "question"),
    ],
)
def test_an_invalid_form_shows_the_page_again_with_its_errors_and_what_was_typed_and_changes_nothing(
    world: World, request_: Request, action: str, typed: dict[str, str], field: str
) -> None:
    client = world.client_for(world.colleague)
    assert client.post(_url(world, request_, "take")).status_code == 302  # the page shows every form to its holder
    events_before = request_.events.count()
    reads_before = AccessEvent.objects.filter(action=AccessAction.READ, object_id=request_.reference).count()

    response = client.post(_url(world, request_, action), typed)

    assert response.status_code == 422
    form = response.context["failed_form"]
    assert form.prefix == action and field in form.errors
    assert response.context[f"{action}_form"] is form
    if TYPED in typed.values():
        assert TYPED in response.content.decode()
    request_.refresh_from_db()
    assert (request_.status, request_.events.count()) == (Status.IN_PROGRESS, events_before)
    # The page shown again is a read of the patient's request, logged as the page's own is.
    assert (
        AccessEvent.objects.filter(action=AccessAction.READ, object_id=request_.reference).count() == reads_before + 1
    )


def test_a_refused_button_from_the_queue_reloads_the_page_which_says_why(world: World, request_: Request) -> None:
    client = world.client_for(world.colleague)
    assert client.post(_url(world, request_, "take")).status_code == 302
    refusal = ILLEGAL_MOVE % {"current": Status.IN_PROGRESS.label, "target": Status.RECEIVED.label}

    from_queue = client.post(_url(world, request_, "validate"), HTTP_HX_REQUEST="true")

    assert from_queue.status_code == 204 and from_queue["HX-Refresh"] == "true"
    said = [(m.level, str(m)) for m in get_messages(from_queue.wsgi_request)]
    assert said == [(ERROR, str(refusal))]
    from_page = client.post(_url(world, request_, "validate"))
    assert from_page.status_code == 302 and from_page["Location"] == request_url(request_)


def test_taking_from_the_queue_goes_straight_to_the_request(world: World, request_: Request) -> None:
    taken = world.client_for(world.colleague).post(_url(world, request_, "take"), HTTP_HX_REQUEST="true")

    assert taken.status_code == 204 and taken["HX-Redirect"] == request_url(request_)
    request_.refresh_from_db()
    assert request_.holder == world.colleague


def test_an_address_naming_no_button_is_not_found_after_the_usual_checks(
    world: World, request_: Request, client: Any
) -> None:
    url = _url(world, request_, "explode")

    assert world.client_for(world.colleague).post(url).status_code == 404
    assert world.client_for(world.colleague).get(url).status_code == 405
    assert world.client_for(world.owner).post(url).status_code == 403  # the cell's administrator handles no request
    anonymous = client.post(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
