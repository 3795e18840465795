from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.filters import CellFilterSet

from .models import Partner, PartnerKind


class PartnerFilter(CellFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PartnerKind.choices, empty_label=_("All kinds"))

    class Meta:
        model = Partner
        fields = ["q", "kind"]

    def search(self, queryset: QuerySet[Partner], name: str, value: str) -> QuerySet[Partner]:
        return queryset.filter(Q(name__icontains=value) | Q(commune__name__icontains=value))
