"""The dashboard's months and periods end to end (the view and the per-month tables): a preset in the address, the
default twelve months, a period without any activity, the months without activity as rows of zeros, the running
month named as such in the tables and marked on the charts."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from common.periods import PARIS, Period
from conftest import World
from indicators import periods, tables
from indicators.figures import Scope
from indicators.periods import BY_SLUG

from .test_charts import axis
from .test_figures import activity  # noqa: F401 (the hand-computed world, a fixture)

pytestmark = pytest.mark.django_db


def url(world: World) -> str:
    return reverse("indicators:dashboard", kwargs={"cell": world.cell.slug})


def test_a_preset_link_sets_the_period_in_one_click_and_is_shown_as_current(activity: World) -> None:  # noqa: F811
    client = activity.client_for(activity.owner)
    today = timezone.localdate()
    page = client.get(url(activity), {"period": "last-quarter", "care_channel": "gp"})
    assert page.status_code == 200
    assert page.context["period"] == BY_SLUG["last-quarter"].period(today)
    links = page.context["form"].presets()
    assert [link["slug"] for link in links if link["current"]] == ["last-quarter"]
    text = page.content.decode()
    current = next(link for link in links if link["current"])
    assert f'href="?{current["query"]}"'.replace("&", "&amp;") in text
    assert "care_channel=gp" in current["query"]  # the filters are kept
    assert text.count('aria-current="page"') >= 1
    assert 'aria-current="page">' + current["label"] in text


def test_without_a_period_the_dashboard_shows_the_twelve_months_to_date(activity: World) -> None:  # noqa: F811
    page = activity.client_for(activity.owner).get(url(activity))
    today = timezone.localdate()
    assert page.context["period"] == periods.default_period(today)
    assert [link["slug"] for link in page.context["form"].presets() if link["current"]][:1] == ["12-months"]
    places = next(table for slug, table, _chart in page.context["sections"] if slug == "places")
    assert len(dict.fromkeys(row[0] for row in places.rows)) == 12  # every month, the running one included


def test_a_period_without_activity_shows_empty_but_well_formed_charts_and_tables(activity: World) -> None:  # noqa: F811
    page = activity.client_for(activity.owner).get(url(activity), {"first": "2025-01-01", "last": "2025-03-31"})
    assert page.status_code == 200 and page.context["empty"]
    sections = {slug: (table, chart) for slug, table, chart in page.context["sections"]}
    places, places_chart = sections["places"]
    assert [row[2:6] for row in places.rows] == [[0, 0, 0, 0]] * 3  # January, February, March: zeros, not gaps
    requests, requests_chart = sections["requests"]
    assert [row[1:] for row in requests.rows] == [[0, 0, 0, 0]] * 3
    assert axis(places_chart) == ["0", "1"] and axis(requests_chart) == ["0", "1"]  # drawn, on an axis from 0 to 1


def test_months_without_activity_are_rows_of_zeros_in_both_tables(activity: World) -> None:  # noqa: F811
    """The world has activity in October and November 2026 only: September is there, with zeros."""
    now = datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)
    scope, period = Scope(activity.cell), Period(date(2026, 9, 1), date(2026, 11, 30))
    with translation.override("en"):
        places = tables.places(scope, period, now)
        requests = tables.requests_per_month(scope, period, now=now)
    assert places.rows[0] == ["September 2026", "—", 0, 0, 0, 0, None]
    assert [row[0] for row in places.rows][-1] == "November 2026"
    assert requests.rows[0] == ["September 2026", 0, 0, 0, 0]
    assert [row[0] for row in requests.rows] == ["September 2026", "October 2026", "November 2026"]
    assert requests.rows[1][1:] == [3, 2, 1, 0] and requests.rows[2][1] == 3  # the months with activity unchanged


def test_the_running_month_says_so_in_the_tables(activity: World) -> None:  # noqa: F811
    now = datetime(2026, 11, 7, 9, 0, tzinfo=PARIS)
    scope, period = Scope(activity.cell), Period(date(2026, 10, 1), date(2026, 12, 31))
    with translation.override("en"):
        requests = tables.requests_per_month(scope, period, now=now)
        places = tables.places(scope, period, now)
    assert [row[0] for row in requests.rows] == ["October 2026", "November 2026 (in progress, up to the 7)"]
    assert requests.rows[1][1] == 3  # received in November so far (the world's requests)
    assert [row[0] for row in places.rows if row[0].startswith("December")] == ["December 2026"]  # none offered yet
    assert "November 2026 (in progress)" in [row[0] for row in places.rows]


def test_the_dashboard_charts_have_every_month_on_a_short_label_and_mark_the_running_one(activity: World) -> None:  # noqa: F811
    """Over September to December 2026 (the real clock is in December 2026 or later): four months on the places'
    axis, September at zero; no month after today's on the requests' axis."""
    today = timezone.localdate()
    address = reverse("indicators:dashboard", kwargs={"cell": activity.cell.slug})
    page = activity.client_for(activity.owner).get(address, {"first": "2026-09-01", "last": "2026-12-31"})
    drawn = {slug: chart for slug, _table, chart in page.context["sections"]}
    places_axis = axis(drawn["places"], counts=False)
    assert len(places_axis) == 4 and places_axis[0].startswith("sept. 2026")
    assert axis(drawn["places"])[0] == "0"
    requests_axis = axis(drawn["requests"], counts=False)
    assert len(requests_axis) == (4 if today >= date(2026, 12, 1) else 3)
    if today <= date(2026, 12, 31):  # December 2026 is running
        assert "places" in page.context["partial_charts"] and "requests" in page.context["partial_charts"]
        assert places_axis[-1] == "déc. 2026 *" and requests_axis[-1] == "déc. 2026 *"
        assert not any(label.endswith("*") for label in places_axis[:-1])
        assert "chart-note" in page.content.decode()
