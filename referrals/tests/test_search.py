"""Find any request (issue 19.5): the selector (name, reference, phone, date of birth, period, status, scope) and the
page (access, errors, htmx partial, access log, queries)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from audit.models import AccessEvent
from conftest import World
from privacy.retention import request_anonymise
from referrals import search as search_module
from referrals.models import Request
from referrals.search import RequestSearch, StatusGroup, request_search, search_page
from referrals.search_forms import DATE_INVALID, PERIOD_REVERSED, RequestSearchForm
from referrals.states import Status
from tests.factories import MembershipFactory, ProfessionalFactory

from .factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(world: World) -> Membership:
    ProfessionalFactory(cell=world.cell)
    ProfessionalFactory(cell=world.other_cell)
    return Membership.objects.get(user=world.colleague, cell=world.cell)


def finish(request: Request, status: str = Status.CLOSED) -> Request:
    Request.objects.filter(pk=request.pk).update(status=status)
    request.refresh_from_db()
    return request


def found(membership: Membership, **criteria: Any) -> list[Request]:
    return list(request_search(membership, RequestSearch(**criteria)))


# The selector


def test_a_finished_request_is_found_by_name_without_accents_case_or_word_order(world: World, coordinator) -> None:
    helene = finish(make_request(world.cell, last_name="Lefèvre", first_name="Hélène", phone="+33611111111"))
    make_request(world.cell, last_name="Martin", first_name="Paul", phone="+33622222222")
    for typed in ("lefevre", "LEFÈVRE", "helene lefevre", "Lefevre  Hélène", "lefè"):
        assert found(coordinator, text=typed) == [helene], typed
    assert found(coordinator, text="lefevre paul") == []


def test_a_reference_is_found_exactly_or_by_its_beginning_in_any_case(world: World, coordinator) -> None:
    request = finish(make_request(world.cell), Status.SEEN)
    other = make_request(world.cell, last_name="Autre", phone="+33622222222")
    assert found(coordinator, text=request.reference) == [request]
    assert found(coordinator, text=request.reference.lower()) == [request]
    prefix = request.reference[:4]  # "D26-": every reference of the year
    assert set(found(coordinator, text=prefix)) == {request, other}
    assert found(coordinator, text=request.reference + "9") == []


@pytest.mark.parametrize(
    "typed",
    ["06 12 34 56 78", "+33612345678", "0612345678", "+33 6 12 34 56 78", "0033 6 12 34 56 78", "06.12.34.56.78"],
)
def test_the_phone_is_found_whatever_the_way_it_is_typed(world: World, coordinator, typed: str) -> None:
    request = finish(make_request(world.cell, phone="+33612345678"))
    make_request(world.cell, last_name="Autre", phone="+33612345679")
    assert found(coordinator, text=typed) == [request]


def test_part_of_a_phone_number_finds_nobody(world: World, coordinator) -> None:
    make_request(world.cell, phone="+33612345678")
    assert found(coordinator, text="06 12 34") == []


def test_the_date_of_birth_narrows_the_search(world: World, coordinator) -> None:
    born = finish(make_request(world.cell, birth_date=date(1975, 4, 2)))
    make_request(world.cell, last_name="Delaunay", birth_date=date(1980, 1, 1), phone="+33622222222")
    assert found(coordinator, birth_date=date(1975, 4, 2)) == [born]
    assert found(coordinator, text="delaunay", birth_date=date(1975, 4, 2)) == [born]


def test_the_period_is_made_of_whole_days_in_paris_time(world: World, coordinator) -> None:
    # 22:30 UTC on 30 March 2025, the day of the change to summer time, is 00:30 on the 31st in Paris.
    late = make_request(world.cell, now=datetime(2025, 3, 30, 22, 30, tzinfo=UTC))
    # 22:30 UTC on 29 March is 23:30 on the 29th in Paris (still winter time).
    before = make_request(
        world.cell, last_name="Veille", phone="+33622222222", now=datetime(2025, 3, 29, 22, 30, tzinfo=UTC)
    )
    day = date(2025, 3, 31)
    assert found(coordinator, received_from=day, received_to=day) == [late]
    assert found(coordinator, received_from=date(2025, 3, 29), received_to=date(2025, 3, 30)) == [before]
    assert found(coordinator, received_to=date(2025, 3, 29)) == [before]
    assert found(coordinator, received_from=date(2025, 3, 30)) == [late]


def test_the_status_chooses_open_finished_or_all(world: World, coordinator) -> None:
    waiting = make_request(world.cell)
    closed = finish(make_request(world.cell, phone="+33622222222"))
    oriented = finish(make_request(world.cell, phone="+33633333333"), Status.ORIENTED)
    assert found(coordinator, text="delaunay", status=StatusGroup.OPEN) == [waiting]
    assert set(found(coordinator, text="delaunay", status=StatusGroup.FINISHED)) == {closed, oriented}
    assert len(found(coordinator, text="delaunay")) == 3


def test_the_most_recent_comes_first(world: World, coordinator) -> None:
    old = make_request(world.cell, now=datetime(2025, 1, 10, 9, tzinfo=UTC))
    new = make_request(world.cell, phone="+33622222222", now=datetime(2025, 6, 10, 9, tzinfo=UTC))
    middle = make_request(world.cell, phone="+33633333333", now=datetime(2025, 3, 10, 9, tzinfo=UTC))
    assert found(coordinator, text="delaunay") == [new, middle, old]


def test_a_page_of_few_matches_keeps_the_most_recent_first(world: World, coordinator) -> None:
    made = [
        make_request(world.cell, phone=f"+3361234560{i}", now=datetime(2025, 1, 1 + i, 9, tzinfo=UTC)) for i in range(5)
    ]
    first = search_page(coordinator, RequestSearch(text="delaunay"), page=None, per_page=2)
    last = search_page(coordinator, RequestSearch(text="delaunay"), page="3", per_page=2)
    assert (first.requests, first.total, first.more, first.pages, first.has_next) == (made[:2:-1], 5, False, 3, True)
    assert (last.requests, last.has_previous, last.has_next) == ([made[0]], True, False)


def test_beyond_the_counted_matches_the_page_says_more(world: World, coordinator, monkeypatch: Any) -> None:
    monkeypatch.setattr(search_module, "COUNTED", 3)
    made = [
        make_request(world.cell, phone=f"+3361234560{i}", now=datetime(2025, 1, 1 + i, 9, tzinfo=UTC)) for i in range(5)
    ]
    page = search_page(coordinator, RequestSearch(text="delaunay"), page="9", per_page=2)
    assert (page.total, page.more, page.pages, page.number) == (3, True, 2, 2)
    assert page.requests == [made[2]]  # the third most recent: the counted ones only


def test_another_cells_request_is_never_found(world: World, coordinator) -> None:
    theirs = finish(make_request(world.other_cell, last_name="Lefèvre", birth_date=date(1975, 4, 2)))
    for criteria in (
        {"text": "lefevre"},
        {"text": theirs.reference},
        {"text": "06 12 34 56 78"},
        {"birth_date": date(1975, 4, 2)},
        {"received_from": timezone.localdate()},
    ):
        assert found(coordinator, **criteria) == [], criteria


def test_an_anonymised_request_is_found_only_by_its_reference(world: World, coordinator) -> None:
    request = finish(make_request(world.cell, last_name="Lefèvre", birth_date=date(1975, 4, 2)))
    request_anonymise(request=request)
    assert found(coordinator, text="lefevre") == []
    assert found(coordinator, text="—") == []
    assert found(coordinator, text="06 12 34 56 78") == []
    assert found(coordinator, birth_date=date(1975, 4, 2)) == []
    assert found(coordinator, received_from=timezone.localdate()) == []
    assert found(coordinator, text=request.reference) == [request]


def test_nothing_asked_finds_nothing(world: World, coordinator) -> None:
    make_request(world.cell)
    assert found(coordinator) == []
    assert found(coordinator, status=StatusGroup.FINISHED) == []


# The form


def test_dates_are_read_day_first_and_a_reversed_period_is_refused() -> None:
    form = RequestSearchForm({"birth_date": "02/04/1975", "received_from": "10/05/2025", "received_to": "01/05/2025"})
    assert not form.is_valid()
    assert form.cleaned_data["birth_date"] == date(1975, 4, 2)
    assert form.errors["received_to"] == [str(PERIOD_REVERSED)]
    assert form.search() == RequestSearch()


# The page


def search_url(world: World) -> str:
    return reverse("referrals:request_search", kwargs={"cell": world.cell.slug})


def test_a_coordinator_finds_a_handled_request_and_its_link(world: World, coordinator) -> None:
    request = finish(make_request(world.cell, last_name="Lefèvre", birth_date=date(1975, 4, 2)))
    response = world.client_for(world.colleague).get(search_url(world), {"q": "lefevre"})
    assert response.status_code == 200
    assert response.context["requests"] == [request]
    detail = reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})
    content = response.content.decode()
    assert f'href="{detail}"' in content and request.reference in content and "02/04/1975" in content


def test_the_supervisor_may_search_too(world: World) -> None:
    supervisor = MembershipFactory(cell=world.cell, role=Role.SUPERVISOR).user
    assert world.client_for(supervisor).get(search_url(world), {"q": "x"}).status_code == 200


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.EFFECTOR, Role.CELL_ADMIN])
def test_members_who_do_not_handle_requests_are_refused(world: World, role: str) -> None:
    extra: dict[str, Any] = {"professional": ProfessionalFactory(cell=world.cell)} if role != Role.CELL_ADMIN else {}
    if role == Role.REQUESTER:
        extra["requester_type"] = "gp"
    member = MembershipFactory(cell=world.cell, role=role, **extra).user
    assert world.client_for(member).get(search_url(world), {"q": "delaunay"}).status_code == 403


def test_another_cells_member_gets_a_404(world: World) -> None:
    assert world.client_for(world.outsider).get(search_url(world), {"q": "delaunay"}).status_code == 404


def test_a_wrong_date_is_an_error_on_its_field_and_the_form_keeps_what_was_typed(world: World, coordinator) -> None:
    make_request(world.cell)
    response = world.client_for(world.colleague).get(
        search_url(world), {"q": "delaunay", "birth_date": "31/02/1975", "received_from": "demain"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["birth_date"] == [str(DATE_INVALID)]
    assert form.errors["received_from"] == [str(DATE_INVALID)]
    assert response.context["requests"] == []
    content = response.content.decode()
    assert 'value="31/02/1975"' in content and 'value="demain"' in content and 'value="delaunay"' in content
    assert 'aria-invalid="true"' in content and 'id="id_birth_date_error"' in content


def test_typing_asks_only_for_the_results(world: World, coordinator) -> None:
    make_request(world.cell)
    response = world.client_for(world.colleague).get(
        search_url(world), {"q": "delaunay"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results"
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="search-results">') and "<form" not in content
    assert "Delaunay".upper() in content


def test_the_patients_listed_are_written_in_the_access_log(world: World, coordinator) -> None:
    first = finish(make_request(world.cell))
    second = make_request(world.cell, phone="+33622222222")
    world.client_for(world.colleague).get(search_url(world), {"q": "delaunay"})
    event = AccessEvent.objects.get(object_type="request_search")
    assert (event.actor, event.cell_id, sorted(event.subject_ids)) == ("bob", world.cell.pk, [first.pk, second.pk])


def test_an_empty_search_lists_nobody_and_logs_nothing(world: World, coordinator) -> None:
    make_request(world.cell)
    response = world.client_for(world.colleague).get(search_url(world))
    assert response.status_code == 200 and response.context["requests"] == []
    assert not AccessEvent.objects.filter(object_type="request_search").exists()


def test_the_results_are_paginated(world: World, coordinator, settings: Any) -> None:
    settings.AIGUILLAGE_PAGE_SIZE = 2
    made = [make_request(world.cell, phone=f"+3361234560{i}") for i in range(5)]
    client = world.client_for(world.colleague)
    page_3 = client.get(search_url(world), {"q": "delaunay", "page": "3"})
    assert (page_3.context["results"].total, page_3.context["results"].pages) == (5, 3)
    assert page_3.context["requests"] == [made[0]]  # the oldest, alone on the last page
    beyond = client.get(search_url(world), {"q": "delaunay", "page": "99"})
    assert beyond.context["requests"] == [made[0]]


def test_the_page_costs_the_same_queries_for_2_or_30_results(world: World, coordinator) -> None:
    client = world.client_for(world.colleague)
    finish(make_request(world.cell, phone="+33612345600"))
    client.get(search_url(world), {"q": "delaunay"})  # the first reading of the session; each list below is new
    finish(make_request(world.cell, phone="+33612345601"))
    with CaptureQueriesContext(connection) as few:
        response = client.get(search_url(world), {"q": "delaunay", "status": "finished"})
    assert len(response.context["requests"]) == 2
    for i in range(28):
        finish(make_request(world.cell, phone=f"+336123457{i:02d}"), Status.SEEN if i % 2 else Status.CLOSED)
    with CaptureQueriesContext(connection) as many:
        response = client.get(search_url(world), {"q": "delaunay", "status": "all"})
    assert len(response.context["requests"]) == 25 and response.context["results"].total == 30
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


# PostgreSQL


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's (pg_trgm)")
def test_on_postgresql_the_trigram_index_answers_a_part_of_a_name(world: World, coordinator) -> None:
    """Migration 0009's index serves the selector's lookup (`contains` on the normalised name, LIKE '%…%'), which a
    B-tree cannot. The planner is kept from the other ways (reading the table, walking an index): if the trigram
    index could not answer, the plan would read the table all the same. On a cell's tens of thousands of requests it
    chooses the index by itself (bench/search.py prints the plans)."""
    wanted = finish(make_request(world.cell, last_name="Lefèvre", first_name="Hélène"))
    make_request(world.cell, last_name="Martin", phone="+33622222222")
    assert found(coordinator, text="EFÈV") == [wanted]
    name_part = Request.objects.filter(patient_search_name__contains="efev").values("pk")
    sql, params = name_part.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on request_search_name_trgm" in plan, plan
    assert list(name_part) == [{"pk": wanted.pk}]
