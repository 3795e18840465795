"""The queue's refresh (every 30 s) answers 204, nothing to swap, when nothing its rows show has changed: one light
query, no rows drawn, no access-log row. Any change a coordinator would see draws them again: a new request, a move,
a holder, a badge, a call, a tag, a deadline warning, a clock changing colour or passing its deadline, a closed-hours
label, other filters. The minutes the clocks count do not: they tick in the browser (static/js/clock.js)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AccessAction, AccessEvent
from conftest import World
from referrals import services
from referrals.models import DuplicateFlag, Request, Tag
from referrals.tests.factories import make_request
from tests.factories import MembershipFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db

# The refresh's reads when nothing changed: the session, the user, the second factor's device, the memberships, the
# rows' version (one query, whatever the number of rows) and the cell's opening hours and closures (the rows'
# closed-hours labels).
UNCHANGED_QUERIES = 7


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The queue's clock, stopped in the middle of a minute (moved by the tests)."""
    now = SimpleNamespace(at=timezone.now().replace(second=20, microsecond=0))
    monkeypatch.setattr("desk.views.queue.timezone", SimpleNamespace(now=lambda: now.at))
    return now


def queue_url(world: World) -> str:
    return reverse("referrals:queue", kwargs={"cell": world.cell.slug})


def version_of(html: str) -> str:
    found = re.search(r'"X-Aiguillage-Version": "([0-9a-f]+)"', html)
    assert found, "the rows carry their version"
    return found.group(1)


def poll(client: Client, url: str, version: str, **params: str) -> Any:
    return client.get(
        url, params, HTTP_HX_REQUEST="true", HTTP_X_AIGUILLAGE_REFRESH="1", HTTP_X_AIGUILLAGE_VERSION=version
    )


def shown(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return version_of(response.content.decode())


def another_coordinator(world: World) -> Any:
    return MembershipFactory(user=UserFactory(), cell=world.cell, role=Role.COORDINATOR).user


def lists_logged() -> int:
    return AccessEvent.objects.filter(action=AccessAction.LIST).count()


@pytest.fixture
def queue(world: World, clock: SimpleNamespace) -> SimpleNamespace:
    ProfessionalFactory(cell=world.cell)
    requests = [make_request(world.cell, last_name=f"Patient{i}", phone=f"+3361200000{i}") for i in range(3)]
    client = world.client_for(world.colleague)
    url = queue_url(world)
    return SimpleNamespace(requests=requests, client=client, url=url, version=shown(client, url))


def test_an_unchanged_queue_answers_204_in_a_few_queries_and_logs_nothing(
    queue: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    logged = lists_logged()
    with django_assert_max_num_queries(UNCHANGED_QUERIES):
        response = poll(queue.client, queue.url, queue.version)
    assert response.status_code == 204 and response.content == b""
    assert lists_logged() == logged


def test_the_full_page_and_its_refresh_carry_the_same_version(queue: SimpleNamespace) -> None:
    page = queue.client.get(queue.url)
    assert version_of(page.content.decode()) == queue.version
    assert poll(queue.client, queue.url, version_of(page.content.decode())).status_code == 204


def test_a_refresh_without_a_version_or_with_another_draws_the_rows(queue: SimpleNamespace) -> None:
    plain = queue.client.get(queue.url, HTTP_HX_REQUEST="true", HTTP_X_AIGUILLAGE_REFRESH="1")
    assert plain.status_code == 200 and f'data-request="{queue.requests[0].pk}"' in plain.content.decode()
    assert poll(queue.client, queue.url, "0" * 24).status_code == 200
    # Only the refresh may answer 204: a change of filters (no refresh header) always draws.
    filtered = queue.client.get(queue.url, HTTP_HX_REQUEST="true", HTTP_X_AIGUILLAGE_VERSION=queue.version)
    assert filtered.status_code == 200


def test_a_new_request_draws_the_rows_and_logs_the_list(queue: SimpleNamespace, world: World) -> None:
    logged = lists_logged()
    new = make_request(world.cell, last_name="Nouvelle", phone="+33612000099")
    response = poll(queue.client, queue.url, queue.version)
    assert response.status_code == 200 and f'data-request="{new.pk}"' in response.content.decode()
    assert lists_logged() == logged + 1
    assert poll(queue.client, queue.url, version_of(response.content.decode())).status_code == 204


@pytest.mark.parametrize(
    "change",
    ["taken", "moved", "called", "tagged", "warned", "answered", "duplicate", "renamed", "left"],
)
def test_any_change_a_coordinator_would_see_draws_the_rows(queue: SimpleNamespace, world: World, change: str) -> None:
    request = queue.requests[0]
    if change == "taken":  # held by someone: the row says by whom
        services.request_take(request=request, user=another_coordinator(world))
    elif change == "moved":
        Request.objects.filter(pk=request.pk).update(status="waiting_callback")
    elif change == "called":
        services.callback_log(request=request, user=world.colleague, outcome="no_answer")
    elif change == "tagged":
        tag = Tag.objects.create(cell=world.cell, key="pmr", name="PMR")
        services.request_tags_set(request=request, user=world.colleague, tags=[tag])
    elif change == "warned":  # the deadline-near badge
        Request.objects.filter(pk=request.pk).update(deadline_warned_at=timezone.now())
    elif change == "answered":
        supervisor = MembershipFactory(user=UserFactory(), cell=world.cell, role=Role.SUPERVISOR).user
        question = services.question_ask(request=request, user=world.colleague, question="Radio ?")
        services.question_answer(question=question, user=supervisor, decision="orient", answer="Oui")
    elif change == "duplicate":
        DuplicateFlag.objects.create(first=request, second=queue.requests[1])
    elif change == "renamed":
        Request.objects.filter(pk=request.pk).update(patient_last_name="Autrenom")
    elif change == "left":  # closed: out of the queue
        services.request_close(request=request, user=world.colleague, reason="duplicate", note="")
    assert poll(queue.client, queue.url, queue.version).status_code == 200, change


def test_another_cell_changing_leaves_the_queue_unchanged(queue: SimpleNamespace, world: World) -> None:
    ProfessionalFactory(cell=world.other_cell)
    make_request(world.other_cell, last_name="Ailleurs", phone="+33612000098")
    assert poll(queue.client, queue.url, queue.version).status_code == 204


def test_the_minutes_alone_leave_the_rows_as_they_are(queue: SimpleNamespace, clock: SimpleNamespace) -> None:
    for step in (timedelta(seconds=30), timedelta(seconds=30), timedelta(minutes=7), timedelta(hours=3)):
        clock.at += step  # the clocks' minutes change (in the browser); no colour, no deadline passed, no closed hours
        assert poll(queue.client, queue.url, queue.version).status_code == 204, step


def _deadline_in(request: Request, clock: SimpleNamespace, left: timedelta) -> None:
    clock.at += timedelta(minutes=1)  # after the request's reception (the clock stopped up to 40 s before it)
    Request.objects.filter(pk=request.pk).update(deadline_at=clock.at + left)


@pytest.mark.parametrize(
    ("left", "drawn"),
    [
        (timedelta(hours=12, seconds=30), "clock-amber"),  # 12 h left: amber
        (timedelta(hours=4, seconds=30), "clock-red"),  # 4 h left: red
        (timedelta(seconds=30), "clock-red"),  # the deadline passes: "passed by…"
    ],
)
def test_a_clock_crossing_a_threshold_draws_the_rows(
    queue: SimpleNamespace, clock: SimpleNamespace, left: timedelta, drawn: str
) -> None:
    _deadline_in(queue.requests[0], clock, left)
    version = shown(queue.client, queue.url)
    clock.at += timedelta(seconds=20)  # 10 s before the threshold: the same side
    assert poll(queue.client, queue.url, version).status_code == 204
    clock.at += timedelta(seconds=20)
    response = poll(queue.client, queue.url, version)
    assert response.status_code == 200 and version_of(response.content.decode()) != version
    row = response.content.decode().split(f'data-request="{queue.requests[0].pk}"')[1].split("</tr>")[0]
    assert f"clock {drawn}" in row
    assert poll(queue.client, queue.url, version_of(response.content.decode())).status_code == 204


def test_a_closed_hours_label_changing_draws_the_rows(
    queue: SimpleNamespace, clock: SimpleNamespace, world: World
) -> None:
    today = timezone.localdate()
    world.cell.closures.create(first_day=today - timedelta(days=1), last_day=today + timedelta(days=4), reason="Test")
    _deadline_in(queue.requests[0], clock, timedelta(hours=10, minutes=33))  # closed all the way: "11 h closed"
    version = shown(queue.client, queue.url)
    clock.at += timedelta(minutes=1)  # 10 h 32 closed left: still "11 h"
    assert poll(queue.client, queue.url, version).status_code == 204
    clock.at += timedelta(minutes=3)  # 10 h 29: "10 h closed"
    response = poll(queue.client, queue.url, version)
    assert response.status_code == 200 and version_of(response.content.decode()) != version


def test_the_clocks_carry_what_the_browser_needs_to_tick(queue: SimpleNamespace, clock: SimpleNamespace) -> None:
    html = queue.client.get(queue.url, HTTP_HX_REQUEST="true").content.decode()
    request = queue.requests[0]
    request.refresh_from_db()
    row = html.split(f'data-request="{request.pk}"')[1].split("</tr>")[0]
    span = re.search(r'<span class="clock [^>]*>', row)
    assert span is not None
    attributes = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', span.group(0)))
    assert datetime.fromisoformat(attributes["data-deadline"]) == request.deadline_at
    assert datetime.fromisoformat(attributes["data-now"]) == clock.at
    assert attributes["data-levels"] == "43200 14400"  # amber below 12 h, red below 4 h (referrals.deadlines)
    assert "{time}" in attributes["data-overdue"]  # the server's words for a passed deadline, the time left out


def test_the_version_depends_on_who_looks_and_with_which_filters(queue: SimpleNamespace, world: World) -> None:
    other = world.client_for(another_coordinator(world))  # the same rows, another user: their own buttons
    assert poll(other, queue.url, queue.version).status_code == 200
    mine = shown(queue.client, queue.url, mine="1")
    assert mine != queue.version
    assert poll(queue.client, queue.url, mine, mine="1").status_code == 204
    assert poll(queue.client, queue.url, mine).status_code == 200


def test_beyond_the_rows_shown_only_their_number_counts(
    world: World, clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desk.views.queue import QueueView

    monkeypatch.setattr(QueueView, "LIMIT", 2)
    ProfessionalFactory(cell=world.cell)
    start = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.get_current_timezone())
    requests = [
        make_request(world.cell, last_name=f"Ordre{i}", phone=f"+3361200011{i}", now=start + timedelta(minutes=i))
        for i in range(4)
    ]
    client = world.client_for(world.colleague)
    version = shown(client, queue_url(world))
    Request.objects.filter(pk=requests[3].pk).update(patient_last_name="Invisible")  # not among the 2 shown
    assert poll(client, queue_url(world), version).status_code == 204
    make_request(world.cell, last_name="Cinquieme", phone="+33612000119", now=start + timedelta(minutes=9))
    assert poll(client, queue_url(world), version).status_code == 200  # "the 2 most pressing of 5"
