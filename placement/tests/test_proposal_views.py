"""The placement assistant's screen: who may use it, the table with first-come-first-served beside the proposal, a
partial application, and forged or stale posts refused with a clear message and nothing booked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import capfirst

from accounts.models import Role
from agenda.models import Booking, Slot
from agenda.tests.factories import make_slot
from audit.models import AccessEvent
from conftest import ARGENTAN, GACE, World
from placement import proposal as placement
from placement.engine.model import Plan
from placement.engine.rules import evaluate
from placement.views import proposal_token
from referrals import services as referrals
from referrals.models import Request
from referrals.readiness import NOT_QUALIFIED, NOT_REACHED, NOT_READY, WAITING_SUPERVISOR
from referrals.tests.factories import make_ready, make_request
from tests.factories import MembershipFactory, ProfessionalFactory, SiteFactory, UserFactory, commune

pytestmark = pytest.mark.django_db


def url(world: World, name: str = "assistant") -> str:
    return reverse(f"placement:{name}", kwargs={"cell": world.cell.slug})


def scarce(world: World) -> tuple[Request, Request, int, int]:
    """A scarce slot near Argentan: the patient who called first (in Gacé, this week) takes it first come, first
    served, and the urgent one (in Argentan, within 24 h) gets a slot after their deadline. Both were reached and
    qualified by the colleague."""
    ProfessionalFactory(cell=world.cell)
    now = timezone.now()
    first = make_request(
        world.cell, commune=commune(GACE), urgency="week", now=now - timedelta(hours=3), last_name="Premier"
    )
    urgent = make_request(
        world.cell,
        commune=commune(ARGENTAN),
        urgency="24h",
        now=now - timedelta(hours=1),
        last_name="Urgent",
        phone="+33611112222",
    )
    for request in (first, urgent):
        make_ready(request, world.colleague)
    near = make_slot(
        world.cell, site=SiteFactory(cell=world.cell, commune=commune(ARGENTAN), name="Cabinet d'Argentan")
    )
    later = make_slot(
        world.cell,
        site=SiteFactory(cell=world.cell, commune=commune(GACE), name="Cabinet de Gacé"),
        starts_at=now + timedelta(days=3),
    )
    return first, urgent, near.pk, later.pk


def the_optimum(monkeypatch: pytest.MonkeyPatch, *pairs: tuple[Request, int]) -> None:
    """The optimiser answers these pairings (the screen is tested whatever the engine)."""

    def plan(instance: Any) -> Any:
        assignments = tuple((str(request.pk), str(slot)) for request, slot in pairs)
        return Plan(assignments, evaluate(instance, assignments), 0.0, "test")

    monkeypatch.setattr(placement, "plan_optimal", plan)


@pytest.fixture
def optimum(monkeypatch: pytest.MonkeyPatch) -> Any:
    return lambda *pairs: the_optimum(monkeypatch, *pairs)


def propose(client: Client, world: World) -> str:
    """Ask for a proposal; the signed proposal the apply form sends back."""
    page = client.get(url(world), {"proposer": "1"})
    assert page.status_code == 200
    return str(page.context["token"])


def client_with_role(world: World, role: str) -> Client:
    extra: dict[str, Any] = {}
    if role in (Role.REQUESTER, Role.EFFECTOR):
        extra["professional"] = ProfessionalFactory(cell=world.cell)
    if role == Role.REQUESTER:
        extra["requester_type"] = "gp"
    user = MembershipFactory(user=UserFactory(), cell=world.cell, role=role, **extra).user
    return world.client_for(user)


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.EFFECTOR, Role.CELL_ADMIN])
def test_roles_that_cannot_book_are_refused(world: World, role: str) -> None:
    client = client_with_role(world, role)
    assert client.get(url(world)).status_code == 403
    assert client.post(url(world, "apply"), {"pairing": ["1-1"]}).status_code == 403


def test_the_supervisor_may_use_it_and_the_outsider_sees_nothing(world: World) -> None:
    assert client_with_role(world, Role.SUPERVISOR).get(url(world)).status_code == 200
    assert world.client_for(world.outsider).get(url(world)).status_code == 404


def test_the_queue_links_to_the_assistant(world: World) -> None:
    page = world.client_for(world.colleague).get(reverse("referrals:queue", kwargs={"cell": world.cell.slug}))
    assert url(world) in page.content.decode()


def test_the_table_shows_why_and_what_first_come_first_served_would_have_given(world: World, optimum: Any) -> None:
    first, urgent, near, later = scarce(world)
    optimum((urgent, near), (first, later))
    client = world.client_for(world.colleague)
    page = client.get(url(world), {"proposer": "1"})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'value="{urgent.pk}-{near}"' in html and f'value="{first.pk}-{later}"' in html
    assert html.count("checked") >= 2
    assert "Cabinet d&#x27;Argentan" in html and "Cabinet de Gacé" in html
    assert urgent.patient_name in html and first.patient_name in html
    row = html[html.index(f'id="pairing-{urgent.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Cabinet d&#x27;Argentan" in row and "Cabinet de Gacé" in row  # proposed, and what FCFS would give
    assert AccessEvent.objects.filter(object_type="placement").exists()  # patients' names shown: logged


def test_htmx_swaps_the_table_alone(world: World) -> None:
    scarce(world)
    page = world.client_for(world.colleague).get(url(world), {"proposer": "1"}, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert html.startswith('<div id="proposal"') and "<html" not in html


def test_apply_books_only_the_checked_rows(world: World, optimum: Any) -> None:
    first, urgent, near, later = scarce(world)
    optimum((urgent, near), (first, later))
    client = world.client_for(world.colleague)
    token = propose(client, world)
    page = client.post(url(world, "apply"), {"proposal": token, "pairing": [f"{urgent.pk}-{near}"]}, follow=True)
    assert page.status_code == 200 and page.redirect_chain[-1][0] == url(world, "applied")
    assert list(Booking.objects.values_list("request", "slot")) == [(urgent.pk, near)]
    html = page.content.decode()
    assert urgent.patient_name in html and first.patient_name not in html
    assert "Cabinet d&#x27;Argentan" in html
    # The same post again (a second tab, a double click) books nothing twice: it is reported.
    again = client.post(url(world, "apply"), {"proposal": token, "pairing": [f"{urgent.pk}-{near}"]}, follow=True)
    assert again.status_code == 200 and urgent.patient_name in again.content.decode()
    assert Booking.objects.count() == 1


def test_a_pairing_gone_meanwhile_is_reported(world: World, optimum: Any) -> None:
    first, urgent, near, later = scarce(world)
    optimum((urgent, near), (first, later))
    client = world.client_for(world.colleague)
    token = propose(client, world)
    Slot.objects.filter(pk=near).update(status="cancelled")  # withdrawn by its professional meanwhile
    chosen = [f"{urgent.pk}-{near}", f"{first.pk}-{later}"]
    page = client.post(url(world, "apply"), {"proposal": token, "pairing": chosen}, follow=True)
    html = page.content.decode()
    assert page.status_code == 200
    assert list(Booking.objects.values_list("request", flat=True)) == [first.pk]
    assert str(placement.SLOT_GONE).replace("'", "&#x27;") in html and urgent.patient_name in html


@pytest.mark.parametrize(
    "posted",
    [
        "forged",  # a pairing the proposal did not make
        "other_cell",  # ids of another cell
        "garbage",  # not ids at all
        "nothing",  # no row checked
        "no_proposal",  # the signed proposal is missing
        "their_proposal",  # a proposal signed for the other cell
    ],
)
def test_a_bad_post_is_refused_clearly_and_books_nothing(world: World, optimum: Any, posted: str) -> None:
    first, urgent, near, later = scarce(world)
    optimum((urgent, near), (first, later))
    ProfessionalFactory(cell=world.other_cell)
    theirs = make_request(world.other_cell, commune=commune("44043"), phone="+33611113333")
    their_slot = make_slot(world.other_cell)
    client = world.client_for(world.colleague)
    token = propose(client, world)
    pairings = {
        "forged": [f"{first.pk}-{near}"],
        "other_cell": [f"{theirs.pk}-{their_slot.pk}"],
        "garbage": ["1-x; DROP"],
        "nothing": [],
    }.get(posted, [f"{urgent.pk}-{near}"])
    if posted == "no_proposal":
        token = ""
    if posted == "their_proposal":
        token = proposal_token(world.other_cell.pk, [(urgent.pk, near)])
    page = client.post(url(world, "apply"), {"proposal": token, "pairing": pairings})
    assert page.status_code == 400
    expected = {"nothing": placement.NOTHING_CHOSEN, "no_proposal": placement.NO_PROPOSAL}.get(
        posted, placement.NO_PROPOSAL if posted == "their_proposal" else placement.PAIRING_UNKNOWN
    )
    html = page.content.decode()
    assert str(expected).replace("'", "&#x27;") in html
    assert Booking.objects.count() == 0


def test_the_result_page_without_an_application_says_so(world: World) -> None:
    page = world.client_for(world.colleague).get(url(world, "applied"))
    assert page.status_code == 200 and page.context.get("applied") is None


def test_requests_not_ready_are_listed_apart_with_their_reason_and_no_box(world: World, optimum: Any) -> None:
    first, urgent, near, later = scarce(world)
    optimum((urgent, near), (first, later))
    never_called = make_request(world.cell, commune=commune(GACE), last_name="Jamais", phone="+33611114444")
    client = world.client_for(world.colleague)
    page = client.get(url(world), {"proposer": "1"})
    html = page.content.decode()
    assert [item.request for item in page.context["proposal"].apart] == [never_called]
    apart = html[html.index('id="apart-title"') :]
    assert never_called.patient_name in apart and urgent.patient_name not in apart
    assert escape(capfirst(str(NOT_REACHED))) in apart and escape(capfirst(str(NOT_QUALIFIED))) in apart
    assert f'value="{never_called.pk}-' not in html and f'id="pairing-{never_called.pk}"' not in html
    logged = AccessEvent.objects.filter(object_type="placement").latest("pk")
    assert set(logged.subject_ids) == {first.pk, urgent.pk, never_called.pk}  # shown, so access-logged too


def test_a_question_asked_between_proposal_and_apply_refuses_that_row_clearly(world: World, optimum: Any) -> None:
    first, urgent, near, later = scarce(world)
    optimum((urgent, near), (first, later))
    client = world.client_for(world.colleague)
    token = propose(client, world)
    referrals.question_ask(request=urgent, user=world.colleague, question="Présentiel ?")
    chosen = [f"{urgent.pk}-{near}", f"{first.pk}-{later}"]
    page = client.post(url(world, "apply"), {"proposal": token, "pairing": chosen}, follow=True)
    assert page.status_code == 200
    assert list(Booking.objects.values_list("request", flat=True)) == [first.pk]
    html = page.content.decode()
    assert escape(str(NOT_READY % {"reasons": WAITING_SUPERVISOR})) in html and urgent.patient_name in html
