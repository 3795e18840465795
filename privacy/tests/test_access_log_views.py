"""What the access log records as people use the app, and the cell administrator's search and export of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.models import AccessAction, AccessEvent
from conftest import World
from referrals.tests.factories import make_request
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _requesters(world: World) -> None:
    """Requests are sent by a professional of the cell."""
    ProfessionalFactory(cell=world.cell)
    ProfessionalFactory(cell=world.other_cell)


def _rows(**filters: object) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(**filters).order_by("id"))


def test_creating_a_request_and_reading_its_page_each_write_a_row(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # the change's row is written once it is committed
        request = make_request(world.cell, submitted_by=world.colleague)
    created = _rows(action=AccessAction.CREATE)
    assert [(r.object_id, r.subject_ids, r.cell_id) for r in created] == [
        (request.reference, [request.pk], world.cell.pk)
    ]
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})
    assert client.get(url, REMOTE_ADDR="192.0.2.44").status_code == 200
    (read,) = _rows(action=AccessAction.READ)
    assert (read.user_id, read.actor, read.ip, read.subject_ids) == (
        world.colleague.pk,
        "bob",
        "192.0.2.44",
        [request.pk],
    )


def test_a_change_of_a_request_is_logged_once_committed_with_its_author(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from referrals import services

    request = make_request(world.cell)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.request_take(request=request, user=world.colleague)
    assert not _rows(action=AccessAction.CHANGE)  # nothing before the commit: a rolled-back change leaves no row
    for callback in pending:
        callback()
    changes = _rows(action=AccessAction.CHANGE)
    assert changes and {(c.user_id, c.subject_ids[0]) for c in changes} == {(world.colleague.pk, request.pk)}
    assert "taken" in [c.detail for c in changes]


def test_the_queue_is_logged_once_while_it_shows_the_same_patients(world: World) -> None:
    first = make_request(world.cell)
    client = world.client_for(world.colleague)
    url = reverse("referrals:queue", kwargs={"cell": world.cell.slug})
    client.get(url)
    client.get(url, headers={"HX-Request": "true", "X-Aiguillage-Refresh": "1"})
    assert [r.subject_ids for r in _rows(action=AccessAction.LIST)] == [[first.pk]]
    second = make_request(world.cell, last_name="Lemoine", phone="+33612340000")
    client.get(url, headers={"HX-Request": "true", "X-Aiguillage-Refresh": "1"})
    assert [r.subject_ids for r in _rows(action=AccessAction.LIST)] == [[first.pk], [first.pk, second.pk]]


def test_the_cell_administrator_finds_who_saw_a_patient_and_the_search_is_logged(world: World) -> None:
    seen = make_request(world.cell, last_name="Héloury", first_name="Anaïs")
    other = make_request(world.cell, last_name="Marchal", phone="+33612340001")
    coordinator = world.client_for(world.colleague)
    for request in (seen, other):
        coordinator.get(reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk}))
    admin = world.client_for(world.owner)
    url = reverse("privacy:access_log", kwargs={"cell": world.cell.slug})
    page = admin.get(url, {"patient": "heloury", "action": AccessAction.READ})
    assert page.status_code == 200
    shown = [row for row, _references in page.context["rows"]]
    assert [(row.actor, row.subject_ids) for row in shown] == [("bob", [seen.pk])]
    assert seen.reference in page.content.decode()
    search = AccessEvent.objects.filter(object_type="access_log_search").get()
    assert (search.actor, search.subject_ids) == ("alice", [seen.pk])
    # By user and period too; an unknown patient finds nothing.
    assert len(admin.get(url, {"user": "bob"}).context["rows"]) >= 2
    assert admin.get(url, {"patient": "personne"}).context["rows"] == []


def test_the_log_is_exported_and_the_export_is_logged(world: World) -> None:
    request = make_request(world.cell)
    world.client_for(world.colleague).get(
        reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})
    )
    response = world.client_for(world.owner).get(
        reverse("privacy:access_log", kwargs={"cell": world.cell.slug}), {"format": "csv"}
    )
    assert response["Content-Disposition"].endswith('.csv"')
    content = response.content.decode("utf-8-sig")
    assert content.splitlines()[0].startswith("when (Europe/Paris);who;action")
    assert request.reference in content and ";bob;" in content
    assert AccessEvent.objects.filter(action=AccessAction.EXPORT, object_type="access_log", actor="alice").exists()


def test_only_the_cell_administrator_reads_the_log_and_only_their_cells(world: World) -> None:
    make_request(world.other_cell)
    url = reverse("privacy:access_log", kwargs={"cell": world.cell.slug})
    assert world.client_for(world.colleague).get(url).status_code == 403
    rows = world.client_for(world.owner).get(url).context["rows"]
    assert all(row.cell_id == world.cell.pk for row, _references in rows)
    other = reverse("privacy:access_log", kwargs={"cell": world.other_cell.slug})
    assert world.client_for(world.owner).get(other).status_code == 404


def test_bad_dates_get_a_french_message_not_an_error(world: World) -> None:
    url = reverse("privacy:access_log", kwargs={"cell": world.cell.slug})
    page = world.client_for(world.owner).get(url, {"first_day": "2026-05-02", "last_day": "2026-05-01"})
    assert page.status_code == 200
    assert page.context["form"].errors["last_day"] == ["La fin vient avant le début."]


def test_a_request_page_naming_a_possible_duplicate_logs_both_patients(world: World) -> None:
    first = make_request(world.cell, last_name="Jumeau")
    second = make_request(world.cell, last_name="Jumeau")  # same name and phone: flagged as a possible duplicate
    world.client_for(world.colleague).get(
        reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": second.pk})
    )
    (read,) = _rows(action=AccessAction.READ)
    assert read.subject_ids == sorted([first.pk, second.pk])
