"""Filters shared by the list screens."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class CellFilterSet(django_filters.FilterSet):
    """A list screen's filters; the generic list view gives them the cell, for filters whose choices depend on it."""

    def __init__(self, *args: Any, cell: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cell = cell


def yes_no_filter(label: StrOrPromise, field_name: str) -> django_filters.ChoiceFilter:
    """A yes / no / all choice (django-filter's BooleanFilter offers an "Unknown" that users misread)."""

    def apply(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(**{field_name: value == "1"})

    return django_filters.ChoiceFilter(
        label=label, choices=[("1", _("yes")), ("0", _("no"))], empty_label=_("All"), method=apply
    )
