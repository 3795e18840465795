"""French public holidays (jours fériés), per zone: metropolitan France, Alsace-Moselle, the overseas departments.

The dates come from the `holidays` library, which follows the law (Code du travail L3133-1, the local law of
Alsace-Moselle, the abolition-of-slavery days of each overseas department) and is kept up to date by its maintainers:
no date is typed here. Recurring plans, Médicobus tours and telemedicine spots skip these days unless the plan says
otherwise, and the cell is closed on them unless its opening hours say otherwise.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays as holidays_lib
from django.db import models
from django.utils.translation import gettext_lazy as _


class HolidayZone(models.TextChoices):
    """Where the cell works: the public holidays differ in Alsace-Moselle and overseas."""

    METROPOLITAN = "", _("Metropolitan France")
    MOSELLE = "57", _("Moselle (local law: Good Friday, 26 December)")
    ALSACE = "6AE", _("Bas-Rhin and Haut-Rhin (local law: Good Friday, 26 December)")
    GUADELOUPE = "971", _("Guadeloupe")
    MARTINIQUE = "972", _("Martinique")
    GUYANE = "973", _("French Guiana")
    REUNION = "974", _("La Réunion")
    MAYOTTE = "976", _("Mayotte")


@lru_cache(maxsize=64)
def _year(zone: str, year: int) -> dict[date, str]:
    table = holidays_lib.country_holidays("FR", subdiv=zone or None, years=year, language="fr")
    return dict(table.items())


def public_holidays(zone: str, first: date, last: date) -> dict[date, str]:
    """The public holidays from `first` to `last` included, each with its French name, in date order."""
    found: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        for day, name in sorted(_year(zone, year).items()):
            if first <= day <= last:
                found[day] = name
    return found


def holiday_name(day: date, zone: str = "") -> str | None:
    """The French name of the public holiday on `day` in `zone`, or None on an ordinary day."""
    return _year(zone, day.year).get(day)


def is_public_holiday(day: date, zone: str = "") -> bool:
    return holiday_name(day, zone) is not None
