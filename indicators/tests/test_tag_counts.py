"""Requests per tag of the cell over a period (issue 21.5): counted by hand, in the dashboard and its exports, with
small counts hidden for outside the cell as every other figure."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from conftest import World
from indicators import figures
from indicators.figures import Period, Scope
from referrals import services
from referrals.models import Request
from referrals.tests.factories import make_request
from territory.models import Cell
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
OCT_NOV = Period(date(2026, 10, 1), date(2026, 11, 30))


def _received(cell: Cell, day: date, index: int) -> Request:
    at = datetime(day.year, day.month, day.day, 10, index, tzinfo=PARIS)
    return make_request(cell, last_name=f"Patient{index}", phone=f"+3361200{index:04d}", now=at)


@pytest.fixture
def tagged(world: World) -> World:
    """By hand, requests received (Paris dates):

    R0–R5  Oct–Nov   Médical (R1 also Paramédical)
    R6     15/11     Paramédical
    R7     20/11     Ancien (the tag archived afterwards: still counted)
    R8     21/11     no tag (not a row)
    R9     30/09     Médical, before the period
    other cell       Médical of its own, same name: never counted here

    Over October–November: Médical 6, Paramédical 2, Ancien 1.
    """
    ProfessionalFactory(cell=world.cell)
    ProfessionalFactory(cell=world.other_cell)
    medical = services.tag_create(cell=world.cell, name="Médical")
    para = services.tag_create(cell=world.cell, name="Paramédical")
    old = services.tag_create(cell=world.cell, name="Ancien")
    theirs = services.tag_create(cell=world.other_cell, name="Médical")
    days = [date(2026, 10, 2), date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 3), date(2026, 11, 10)]
    days.append(date(2026, 11, 30))
    for index, day in enumerate(days):
        request = _received(world.cell, day, index)
        tags = [medical, para] if index == 1 else [medical]
        services.request_tags_set(request=request, user=world.colleague, tags=tags)
    services.request_tags_set(request=_received(world.cell, date(2026, 11, 15), 6), user=world.colleague, tags=[para])
    services.request_tags_set(request=_received(world.cell, date(2026, 11, 20), 7), user=world.colleague, tags=[old])
    _received(world.cell, date(2026, 11, 21), 8)
    before = _received(world.cell, date(2026, 9, 30), 9)
    services.request_tags_set(request=before, user=world.colleague, tags=[medical])
    services.tag_archive(tag=old)
    elsewhere = _received(world.other_cell, date(2026, 11, 2), 10)
    services.request_tags_set(request=elsewhere, user=world.colleague, tags=[theirs])
    return world


def test_requests_per_tag_over_the_period_counted_by_hand(tagged: World) -> None:
    rows = figures.requests_by(Scope(tagged.cell), OCT_NOV, "tags")
    assert [(row.key, row.count) for row in rows] == [("Médical", 6), ("Paramédical", 2), ("Ancien", 1)]
    assert figures.requests_by_all(Scope(tagged.cell), OCT_NOV)["tags"] == rows


def test_a_filter_of_the_dashboard_narrows_the_tags_too(tagged: World) -> None:
    Request.objects.filter(cell=tagged.cell, patient_last_name="Patient1").update(care_channel="physiotherapy")
    rows = figures.requests_by(Scope(tagged.cell, care_channel="physiotherapy"), OCT_NOV, "tags")
    assert [(row.key, row.count) for row in rows] == [("Médical", 1), ("Paramédical", 1)]


def _export(world: World, **extra: str) -> list[list[str]]:
    address = reverse("indicators:export", kwargs={"cell": world.cell.slug, "table": "tags", "fmt": "csv"})
    response = world.client_for(world.owner).get(address, {"first": "2026-10-01", "last": "2026-11-30", **extra})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_the_export_counts_per_tag_and_hides_small_counts_for_outside(tagged: World) -> None:
    assert _export(tagged)[1:] == [["Médical", "6"], ["Paramédical", "2"], ["Ancien", "1"]]
    assert _export(tagged, outside="1")[1:] == [["Médical", "6"], ["Paramédical", "< 5"], ["Ancien", "< 5"]]


def test_the_dashboard_shows_the_tags_section(tagged: World) -> None:
    address = reverse("indicators:dashboard", kwargs={"cell": tagged.cell.slug})
    response = tagged.client_for(tagged.owner).get(address, {"first": "2026-10-01", "last": "2026-11-30"})
    sections = {slug: table for slug, table, _chart in response.context["sections"]}
    assert sections["tags"].rows == [["Médical", 6], ["Paramédical", 2], ["Ancien", 1]]
