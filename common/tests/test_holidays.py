"""The public holidays the agendas and the cell's opening hours follow: from the maintained library, per zone."""

from datetime import date

import pytest

from common.holidays import HolidayZone, holiday_name, is_public_holiday, public_holidays


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "Jour de l'an"),
        (date(2026, 4, 6), "Lundi de Pâques"),
        (date(2026, 5, 14), "Ascension"),
        (date(2026, 7, 14), "Fête nationale"),
        (date(2026, 8, 15), "Assomption"),
        (date(2026, 12, 25), "Noël"),
    ],
)
def test_metropolitan_holidays_are_named_in_french(day: date, name: str) -> None:
    assert holiday_name(day) == name


def test_an_ordinary_day_is_no_holiday() -> None:
    assert holiday_name(date(2026, 12, 7)) is None
    assert not is_public_holiday(date(2026, 12, 7))


@pytest.mark.parametrize("zone", [HolidayZone.MOSELLE, HolidayZone.ALSACE])
def test_alsace_moselle_adds_good_friday_and_saint_stephen(zone: str) -> None:
    assert is_public_holiday(date(2026, 4, 3), zone)  # Vendredi saint
    assert is_public_holiday(date(2026, 12, 26), zone)  # Saint-Étienne
    assert not is_public_holiday(date(2026, 4, 3))
    assert not is_public_holiday(date(2026, 12, 26))


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        (HolidayZone.GUADELOUPE, date(2026, 5, 27)),
        (HolidayZone.MARTINIQUE, date(2026, 5, 22)),
        (HolidayZone.GUYANE, date(2026, 6, 10)),
        (HolidayZone.REUNION, date(2026, 12, 20)),
        (HolidayZone.MAYOTTE, date(2026, 4, 27)),
    ],
)
def test_each_overseas_department_has_its_abolition_of_slavery_day(zone: str, day: date) -> None:
    assert is_public_holiday(day, zone)
    assert not is_public_holiday(day)


def test_a_range_across_new_year_lists_both_years_in_order() -> None:
    found = public_holidays("", date(2026, 12, 20), date(2027, 1, 10))
    assert list(found) == [date(2026, 12, 25), date(2027, 1, 1)]
    assert found[date(2027, 1, 1)] == "Jour de l'an"


def test_every_zone_is_known_to_the_library() -> None:
    for zone in HolidayZone.values:
        assert len(public_holidays(zone, date(2027, 1, 1), date(2027, 12, 31))) >= 11
