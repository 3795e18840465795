"""Reads about communes, territories and cells."""

from __future__ import annotations

import re
from datetime import date

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils.dates import WEEKDAYS

from common.text import normalize

from .forms import commune_label
from .geocoding import ARRONDISSEMENT_PREFIXES, PRECISION_OF_TYPE, BanFeature
from .models import Cell, Closure, Commune, Territory

_DIGITS = re.compile(r"^\d{2,5}$")
_INSEE_LIKE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$", re.IGNORECASE)


def commune_search(query: str, *, cell: Cell | None = None, limit: int = 20) -> list[Commune]:
    """Communes matching a name (accent-, case- and punctuation-insensitive), a postal code or an INSEE code.

    Names that start with the query come first, then those containing it; larger communes first within each group.
    With `cell`, only the communes of the cell's territories.
    """
    query = query.strip()
    if not query:
        return []
    communes = Commune.objects.all()
    if cell is not None:
        communes = communes.filter(territories__cell=cell).distinct()
    if _INSEE_LIKE.match(query) or _DIGITS.match(query):
        code = query.upper()
        matches = communes.filter(
            Q(insee_code=code) | Q(postal_codes__startswith=code) | Q(postal_codes__contains=" " + code)
        ).annotate(rank=Case(When(insee_code=code, then=Value(0)), default=Value(1), output_field=IntegerField()))
    else:
        needle = normalize(query)
        if not needle:
            return []
        matches = communes.filter(
            Q(search_name__startswith=needle) | Q(search_name__contains=" " + needle) | Q(search_name__contains=needle)
        ).annotate(
            rank=Case(
                When(search_name=needle, then=Value(0)),
                When(search_name__startswith=needle, then=Value(1)),
                When(search_name__contains=" " + needle, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
    return list(matches.order_by("rank", "-population", "search_name")[:limit])


def cell_communes(cell: Cell) -> QuerySet[Commune]:
    return Commune.objects.filter(territories__cell=cell).distinct()


def commune_in_cell(commune: Commune, cell: Cell) -> bool:
    return Territory.objects.filter(cell=cell, communes=commune).exists()


def territory_list(cell: Cell) -> QuerySet[Territory]:
    return Territory.objects.filter(cell=cell).annotate(commune_count=Count("communes")).order_by("name")


def territory_get(cell: Cell, pk: int) -> Territory:
    return get_object_or_404(Territory, cell=cell, pk=pk)


def commune_by_code(code: str) -> Commune | None:
    """The commune of an INSEE code, or None for anything else."""
    code = code.strip().upper()
    return Commune.objects.filter(insee_code=code).first() if _INSEE_LIKE.match(code) else None


def _city_code(citycode: str) -> str:
    """BAN's code of a municipal arrondissement (75111) is, for us, its city's (75056)."""
    for city, prefix in ARRONDISSEMENT_PREFIXES.items():
        if citycode.startswith(prefix):
            return city
    return citycode


def address_suggestions(features: list[BanFeature]) -> list[dict[str, object]]:
    """What a form needs of each BAN address: the text to show, the street to put in the field, the point, and the
    commune as our commune field writes it (empty when the code is unknown here). One query for the communes."""
    codes = {_city_code(f.citycode) for f in features}
    communes = {c.insee_code: c for c in Commune.objects.filter(insee_code__in=codes)}
    suggestions = []
    for feature in features:
        commune = communes.get(_city_code(feature.citycode))
        suggestions.append(
            {
                "label": feature.label,
                "street": feature.name,
                "postcode": feature.postcode,
                "city": feature.city,
                "citycode": feature.citycode,
                "commune": commune_label(commune) if commune else "",
                "latitude": feature.latitude,
                "longitude": feature.longitude,
                "precision": PRECISION_OF_TYPE[feature.kind].value,
            }
        )
    return suggestions


def closures_ahead(cell: Cell, today: date) -> QuerySet[Closure]:
    """The cell's closures not over yet, soonest first."""
    return cell.closures.filter(last_day__gte=today).order_by("first_day")


def closure_get(cell: Cell, pk: int) -> Closure:
    return get_object_or_404(Closure, cell=cell, pk=pk)


def opening_hours_summary(cell: Cell) -> list[tuple[str, str]]:
    """Each day with hours and its ranges as words ("08:00–12:30, 13:30–19:00"); empty when always open."""
    days: dict[int, list[str]] = {}
    for found in cell.opening_ranges.order_by("weekday", "starts_at"):
        days.setdefault(found.weekday, []).append(f"{found.starts_at:%H:%M}–{found.ends_at:%H:%M}")
    return [(str(WEEKDAYS[day]), ", ".join(ranges)) for day, ranges in sorted(days.items())]
