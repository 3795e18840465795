"""Capacity planning against the database: the demo's invented history back-tested, the page and who reaches it,
the request to publish sent through the outbox, once a week."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from capacity import planning, selectors, services
from capacity.forecast import MIN_WEEKS
from common.errors import DomainError
from common.periods import PARIS
from conftest import ARGENTAN, World
from directory.models import Profession
from indicators.history import generate_history
from notifications.models import Message, MessageKind
from tests.factories import MembershipFactory, ProfessionalFactory, ResourceFactory, SiteFactory, UserFactory, commune

LONG_BASE = "https://aiguillage.cellule-de-soins-non-programmes-du-territoire-de-sante.example.org"


def page_url(world: World, cell: Any = None) -> str:
    return reverse("capacity:page", kwargs={"cell": (cell or world.cell).slug})


def send_url(world: World) -> str:
    return reverse("capacity:send", kwargs={"cell": world.cell.slug})


def staffed(world: World) -> dict[str, Any]:
    """A site at Argentan, a GP there with an e-mail, a pharmacist who sends requests, a reorientation resource."""
    site = SiteFactory(cell=world.cell, name="Maison de santé d'Argentan", commune=commune(ARGENTAN))
    gp = ProfessionalFactory(cell=world.cell, last_name="Aubrac", email="dr.aubrac@example.org")
    gp.sites.add(site)
    pharmacist = ProfessionalFactory(cell=world.cell, profession=Profession.PHARMACIST, last_name="Causse")
    ResourceFactory(cell=world.cell)
    return {"site": site, "gp": gp, "pharmacist": pharmacist}


def history(world: World, *, days: int, until: date, per_day: int = 8, slots: int = 0) -> None:
    made = generate_history(world.cell, days=days, requests_per_day=per_day, slots_per_day=slots, until=until)
    assert made.requests == days * per_day


def test_the_forecast_beats_both_baselines_on_the_demos_invented_history(world: World) -> None:
    """The Done-when of issue 22: the demo's parameters (demo/loader.py), a fixed last day; every care compared
    with the mean of the last 4 weeks and the same week last year, on the same weeks."""
    staffed(world)
    until = date(2026, 12, 7)
    history(world, days=728, until=until, per_day=8, slots=12)
    results = planning.back_tests_per_care(world.cell, now=datetime.combine(until, time(12), tzinfo=PARIS))
    assert set(results) == {"gp", "imaging", "physiotherapy", "nursing", "biology"}
    for care, tested in results.items():
        assert tested.compared > 150, care  # a year of target weeks, each from several origins
        assert tested.model_mae is not None and tested.last4_mae is not None and tested.last_year_mae is not None
        assert tested.model_mae < tested.last4_mae, care
        assert tested.model_mae < tested.last_year_mae, care


def test_fewer_than_eight_weeks_of_history_give_a_message_and_no_forecast(world: World) -> None:
    staffed(world)
    history(world, days=30, until=timezone.localdate(), per_day=3)
    found = planning.plan(world.cell)
    assert found.rows == [] and found.weeks_of_history < MIN_WEEKS
    assert found.message == str(planning.NOT_ENOUGH_HISTORY % {"weeks": found.weeks_of_history, "needed": MIN_WEEKS})
    page = world.client_for(world.owner).get(page_url(world))  # in the cell's French, as the message above
    assert page.status_code == 200 and found.message.encode() in page.content.replace(b"&#x27;", b"'")


def test_a_cell_without_any_request_gets_the_message_too(world: World) -> None:
    found = planning.plan(world.cell)
    assert found.weeks_of_history == 0 and found.message and found.rows == []


def test_the_page_shows_each_care_and_place_with_its_error_in_bounded_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    staffed(world)
    history(world, days=84, until=timezone.localdate() - timedelta(days=timezone.localdate().weekday()))
    client = world.client_for(world.owner)
    with translation.override("en"), django_assert_max_num_queries(20):
        page = client.get(page_url(world), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    with translation.override("en"):
        found = planning.plan(world.cell)
    assert {row.care for row in found.rows} == {"gp", "imaging", "physiotherapy", "nursing", "biology"}
    assert {row.place_name for row in found.rows} == {"Argentan"}  # Gacé and L'Aigle gathered at the only site
    gp = next(row for row in found.rows if row.care == "gp")
    assert gp.suggestion is not None and gp.suggestion.kind == planning.MORE and gp.suggestion.slots >= 1
    assert gp.text.startswith("Open ") and gp.text.endswith(" in Argentan")
    assert gp.error is not None and gp.error > 0
    content = page.content.decode()
    assert gp.text in content and f"± {gp.error_shown} requests a week" in content
    assert content.count("<tr>") == 1 + len(found.rows)


def test_only_the_cell_administrator_of_the_cell_reaches_the_page(world: World) -> None:
    staff = staffed(world)
    effector = MembershipFactory(
        user=UserFactory(username="eve"), cell=world.cell, role=Role.EFFECTOR, professional=staff["gp"]
    ).user
    requester = MembershipFactory(
        user=UserFactory(username="rachid"), cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist",
        professional=staff["pharmacist"],
    ).user  # fmt: skip
    assert world.client_for(world.owner).get(page_url(world)).status_code == 200
    for user in (world.colleague, effector, requester):
        client = world.client_for(user)
        assert client.get(page_url(world)).status_code == 403, user.username
        assert client.post(send_url(world), {"care": "gp", "place": ""}).status_code == 403, user.username
    outsider = world.client_for(world.outsider)
    assert outsider.get(page_url(world)).status_code == 404  # not a cell of theirs
    assert outsider.post(send_url(world), {"care": "gp"}).status_code == 404
    assert Client().get(page_url(world)).status_code == 302  # to the login page
    assert not Message.objects.exists()


def test_the_request_to_publish_is_emailed_once_a_week_without_patient_data(world: World) -> None:
    staff = staffed(world)
    history(world, days=84, until=timezone.localdate() - timedelta(days=timezone.localdate().weekday()))
    place = selectors.places(world.cell).place(staff["site"].commune_id)
    client = world.client_for(world.owner)
    with override_settings(AIGUILLAGE_BASE_URL=LONG_BASE + "/"), translation.override("en"):
        answer = client.post(send_url(world), {"care": "gp", "place": str(place)}, HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 302 and answer["Location"] == page_url(world)
        message = Message.objects.get()
        assert message.kind == MessageKind.CAPACITY_REQUEST and message.to == "dr.aubrac@example.org"
        assert message.request_id is None and message.details == ""
        agenda = LONG_BASE + reverse("agenda:publish", kwargs={"cell": world.cell.slug})
        assert agenda in message.body.split()  # a whole link, on its own
        row = planning.plan(world.cell, only=("gp", place)).rows[0]
        with translation.override("fr"):
            french = planning.suggestion_text(row.suggestion, row.place_name)
        assert french in message.body and "AUBRAC" in message.body
        for request in world.cell.requests.all()[:50]:  # no patient's name nor phone
            assert request.patient_last_name not in message.body and str(request.patient_phone) not in message.body
        again = client.post(send_url(world), {"care": "gp", "place": str(place)}, follow=True)
    assert Message.objects.count() == 1  # the same week: refused, nothing queued again
    assert str(services.ALREADY_SENT) in again.content.decode().replace("&#x27;", "'")
    with pytest.raises(DomainError) as refused:
        services.capacity_request_send(cell=world.cell, care="gp", place=place)
    assert refused.value.message == services.ALREADY_SENT
    newcomer = ProfessionalFactory(cell=world.cell, last_name="Bocage", email="dr.bocage@example.org")
    newcomer.sites.add(staff["site"])
    assert services.capacity_request_send(cell=world.cell, care="gp", place=place) == 1  # only the one not asked
    assert Message.objects.filter(kind=MessageKind.CAPACITY_REQUEST).count() == 2


def test_no_suggestion_no_e_mail(world: World) -> None:
    staffed(world)
    history(world, days=84, until=timezone.localdate() - timedelta(days=timezone.localdate().weekday()))
    with pytest.raises(DomainError) as refused:
        services.capacity_request_send(cell=world.cell, care="gp", place=None)  # no such place
    assert refused.value.message == services.NO_SUGGESTION
    assert not Message.objects.exists()


def test_places_published_far_above_the_need_say_how_many_are_enough(world: World) -> None:
    from agenda.tests.factories import make_slot

    staff = staffed(world)
    history(world, days=84, until=timezone.localdate() - timedelta(days=timezone.localdate().weekday()))
    start = timezone.now() + timedelta(hours=1)
    for hour in range(0, 24 * 28, 4):  # six places a day of physiotherapy for four weeks: far above the need
        make_slot(world.cell, starts_at=start + timedelta(hours=hour), care_channel="physiotherapy", site=staff["site"])
    place = selectors.places(world.cell).place(staff["site"].commune_id)
    row = planning.plan(world.cell, only=("physiotherapy", place)).rows[0]
    assert row.suggestion is not None and row.suggestion.kind == planning.ENOUGH
    assert 1 <= row.suggestion.slots < min(week.free for week in row.weeks[1:])
    with translation.override("en"):
        assert planning.suggestion_text(row.suggestion, "Argentan").startswith("Physiotherapy in Argentan: ")
