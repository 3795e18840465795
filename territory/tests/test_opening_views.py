"""The cell administrator's page for the opening hours and closures, and the hours on the cell's page."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse

from conftest import World
from territory import opening, services
from territory.models import Closure, OpeningRange

pytestmark = pytest.mark.django_db


def hours_url(world: World) -> str:
    return reverse("territory:opening_hours", kwargs={"cell": world.cell.slug})


def week_body(**overrides: str) -> dict[str, str]:
    """Monday to Friday 08:00–12:30 and 13:30–19:00, Saturday 09:00–12:00."""
    body: dict[str, str] = {}
    for day in range(5):
        body |= {f"day{day}_0_start": "08:00", f"day{day}_0_end": "12:30"}
        body |= {f"day{day}_1_start": "13:30", f"day{day}_1_end": "19:00"}
    body |= {"day5_0_start": "09:00", "day5_0_end": "12:00"}
    return body | overrides


def test_the_cell_administrator_sets_the_week_and_the_cell_page_shows_it(world: World) -> None:
    client = world.client_for(world.owner)
    page = client.get(hours_url(world))
    assert page.status_code == 200
    assert 'type="time"' in page.content.decode()
    response = client.post(hours_url(world), week_body(open_on_public_holidays="on"))
    assert response.status_code == 302
    ranges = list(OpeningRange.objects.filter(cell=world.cell).values_list("weekday", "starts_at", "ends_at"))
    assert len(ranges) == 11
    assert (0, time(13, 30), time(19)) in ranges and (5, time(9), time(12)) in ranges
    world.cell.refresh_from_db()
    assert world.cell.open_on_public_holidays
    cell_page = client.get(reverse("territory:territory_list", kwargs={"cell": world.cell.slug})).content.decode()
    assert "08:00–12:30, 13:30–19:00" in cell_page and "09:00–12:00" in cell_page
    # Saving the week again replaces it.
    assert client.post(hours_url(world), {"day2_0_start": "10:00", "day2_0_end": "11:00"}).status_code == 302
    assert list(OpeningRange.objects.filter(cell=world.cell).values_list("weekday", "starts_at")) == [(2, time(10))]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"day1_1_end": "13:00"}, "day1_1_end", services.RANGE_END_BEFORE_START),
        ({"day3_1_start": "12:00"}, "day3_1_start", services.RANGE_OVERLAP),
        ({"day5_0_end": ""}, "day5_0_end", services.RANGE_HALF),
    ],
)
def test_a_wrong_range_is_marked_on_its_field_and_nothing_is_saved(
    world: World, overrides: dict[str, str], field: str, message: str
) -> None:
    OpeningRange.objects.create(cell=world.cell, weekday=6, starts_at=time(10), ends_at=time(11))
    response = world.client_for(world.owner).post(hours_url(world), week_body(**overrides))
    assert response.status_code == 422
    assert response.context["hours_form"].errors == {field: [str(message)]}
    assert f'id="id_{field}_error"' in response.content.decode()
    assert list(OpeningRange.objects.filter(cell=world.cell).values_list("weekday", flat=True)) == [6]


def test_the_service_refuses_an_overlap_whatever_the_form(world: World) -> None:
    with pytest.raises(services.DomainError) as refused:
        services.opening_hours_set(
            cell=world.cell, days={0: [(time(8), time(12)), (time(11), time(14))]}, open_on_public_holidays=False
        )
    assert refused.value.field == "day0_1_start"
    assert not OpeningRange.objects.filter(cell=world.cell).exists()


def test_a_closure_is_added_shown_and_removed(world: World) -> None:
    client = world.client_for(world.owner)
    add = reverse("territory:closure_add", kwargs={"cell": world.cell.slug})
    body = {"closure-first_day": "2099-08-10", "closure-last_day": "2099-08-21", "closure-reason": "Fermeture annuelle"}
    assert client.post(add, body).status_code == 302
    closure = Closure.objects.get(cell=world.cell)
    assert (closure.first_day, closure.last_day) == (date(2099, 8, 10), date(2099, 8, 21))
    assert "Fermeture annuelle" in client.get(hours_url(world)).content.decode()
    assert (
        "Fermeture annuelle"
        in client.get(reverse("territory:territory_list", kwargs={"cell": world.cell.slug})).content.decode()
    )
    remove = reverse("territory:closure_remove", kwargs={"cell": world.cell.slug, "pk": closure.pk})
    assert client.post(remove).status_code == 302
    assert not Closure.objects.exists()


def test_a_closure_in_the_wrong_order_is_refused(world: World) -> None:
    add = reverse("territory:closure_add", kwargs={"cell": world.cell.slug})
    body = {"closure-first_day": "2099-08-21", "closure-last_day": "2099-08-10", "closure-reason": "Formation"}
    response = world.client_for(world.owner).post(add, body)
    assert response.status_code == 422
    assert response.context["closure_form"].errors == {"last_day": [str(services.CLOSURE_ORDER)]}
    assert not Closure.objects.exists()


def test_a_coordinator_may_not_edit_the_hours_and_another_cells_closure_is_not_found(world: World) -> None:
    assert world.client_for(world.colleague).get(hours_url(world)).status_code == 403
    assert world.client_for(world.colleague).post(hours_url(world), week_body()).status_code == 403
    closure = Closure.objects.create(
        cell=world.cell, first_day=date(2099, 1, 2), last_day=date(2099, 1, 2), reason="Formation"
    )
    remove = reverse("territory:closure_remove", kwargs={"cell": world.other_cell.slug, "pk": closure.pk})
    assert world.client_for(world.outsider).post(remove).status_code == 404
    assert Closure.objects.filter(pk=closure.pk).exists()


def test_a_change_of_hours_is_seen_by_the_same_cell_object(world: World) -> None:
    monday_noon = datetime(2099, 6, 1, 12, tzinfo=opening.PARIS)
    assert opening.is_open(world.cell, monday_noon)  # no hours: always open; the schedule is now kept on the cell
    services.opening_hours_set(cell=world.cell, days={0: [(time(8), time(11))]}, open_on_public_holidays=False)
    assert not opening.is_open(world.cell, monday_noon)
    services.opening_hours_set(cell=world.cell, days={}, open_on_public_holidays=False)
    services.closure_add(cell=world.cell, first_day=date(2099, 6, 1), last_day=date(2099, 6, 1), reason="Formation")
    assert not opening.is_open(world.cell, monday_noon)
