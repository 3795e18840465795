from datetime import UTC, date, datetime, time

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from agenda import services
from agenda.calendar import feed_renew
from conftest import World
from tests.factories import ProfessionalFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_the_feed_parses_and_keeps_paris_times_across_the_clock_changes(world: World) -> None:
    gp = ProfessionalFactory(cell=world.cell)
    site = SiteFactory(cell=world.cell, name="Cabinet du Parc")
    for day in (date(2030, 3, 30), date(2030, 3, 31)):  # summer time starts on 31 March 2030
        services.slots_publish(
            cell=world.cell,
            professional=gp,
            site=site,
            day=day,
            start=time(18, 0),
            end=time(18, 20),
            minutes=20,
            care_channel="gp",
            modality="in_person",
            now=datetime(2030, 1, 1, tzinfo=UTC),
        )
    feed = feed_renew(professional=gp)
    response = Client().get(reverse("calendar_feed", kwargs={"token": feed.token}))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert [c.name for c in calendar.walk("VTIMEZONE")] == ["VTIMEZONE"]
    events = calendar.walk("VEVENT")
    starts = [event.decoded("dtstart") for event in events]
    assert [s.strftime("%H:%M") for s in starts] == ["18:00", "18:00"]
    assert [s.utcoffset().total_seconds() / 3600 for s in starts] == [1.0, 2.0]
    assert all(str(event["location"]).startswith("Cabinet du Parc") for event in events)


def test_renewing_the_address_revokes_the_old_one(world: World) -> None:
    gp = ProfessionalFactory(cell=world.cell)
    old = feed_renew(professional=gp).token
    new = feed_renew(professional=gp).token
    assert old != new
    assert Client().get(reverse("calendar_feed", kwargs={"token": old})).status_code == 404
    assert Client().get(reverse("calendar_feed", kwargs={"token": new})).status_code == 200
