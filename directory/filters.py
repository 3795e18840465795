"""Search and filters of the directory screens (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.filters import CellFilterSet, yes_no_filter
from common.text import normalize
from territory.models import Cell, Commune
from territory.selectors import cell_communes

from .models import (
    Profession,
    Professional,
    ReorientationResource,
    ResourceKind,
    Site,
    SiteKind,
    TeleconsultantTier,
)


class CommuneFilterSet(CellFilterSet):
    """Commune choices limited to the cell's territory."""

    def __init__(self, *args: Any, cell: Cell, **kwargs: Any) -> None:
        super().__init__(*args, cell=cell, **kwargs)
        commune_filter = self.filters.get("commune")
        if isinstance(commune_filter, django_filters.ModelChoiceFilter):
            commune_filter.queryset = cell_communes(cell).order_by("search_name")


class SiteFilter(CommuneFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=SiteKind.choices, empty_label=_("All kinds"))
    commune = django_filters.ModelChoiceFilter(
        label=_("Commune"), queryset=Commune.objects.none(), empty_label=_("All communes")
    )

    class Meta:
        model = Site
        fields = ["q", "kind", "commune"]

    def search(self, queryset: QuerySet[Site], name: str, value: str) -> QuerySet[Site]:
        return queryset.filter(Q(name__icontains=value) | Q(commune__search_name__contains=normalize(value)))


class ProfessionalFilter(CommuneFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    profession = django_filters.ChoiceFilter(
        label=_("Profession"), choices=Profession.choices, empty_label=_("All professions")
    )
    teleconsultant_tier = django_filters.ChoiceFilter(
        label=_("Teleconsultant tier"), choices=TeleconsultantTier.choices, empty_label=_("All")
    )
    is_adherent = yes_no_filter(_("CPTS adherent"), "is_adherent")

    class Meta:
        model = Professional
        fields = ["q", "profession", "teleconsultant_tier", "is_adherent"]

    def search(self, queryset: QuerySet[Professional], name: str, value: str) -> QuerySet[Professional]:
        digits = "".join(c for c in value if c.isalnum())
        return queryset.filter(Q(search_name__contains=normalize(value)) | Q(rpps=digits) | Q(adeli=digits.upper()))


class ResourceFilter(CommuneFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ResourceKind.choices, empty_label=_("All kinds"))
    commune = django_filters.ModelChoiceFilter(
        label=_("Commune served"),
        queryset=Commune.objects.none(),
        method="serving",
        empty_label=_("All communes"),
    )

    class Meta:
        model = ReorientationResource
        fields = ["q", "kind", "commune"]

    def search(
        self, queryset: QuerySet[ReorientationResource], name: str, value: str
    ) -> QuerySet[ReorientationResource]:
        return queryset.filter(Q(name__icontains=value) | Q(notes__icontains=value))

    def serving(
        self, queryset: QuerySet[ReorientationResource], name: str, value: Commune
    ) -> QuerySet[ReorientationResource]:
        return queryset.filter(Q(communes_served=value) | Q(commune=value)).distinct()
