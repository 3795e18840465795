"""Search and filters of the members list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.filters import CellFilterSet, yes_no_filter

from .models import Membership, PscAccessRequest, PscAccessStatus, Role


class MemberFilter(CellFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Role.choices, empty_label=_("All roles"))
    is_active = yes_no_filter(_("Access to the cell"), "is_active")

    class Meta:
        model = Membership
        fields = ["q", "role", "is_active"]

    def search(self, queryset: QuerySet[Membership], name: str, value: str) -> QuerySet[Membership]:
        return queryset.filter(
            Q(user__username__icontains=value)
            | Q(user__last_name__icontains=value)
            | Q(user__first_name__icontains=value)
            | Q(user__email__icontains=value)
        )


class PscRequestFilter(CellFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=PscAccessStatus.choices, empty_label=_("All statuses")
    )

    class Meta:
        model = PscAccessRequest
        fields = ["q", "status"]

    def search(self, queryset: QuerySet[PscAccessRequest], name: str, value: str) -> QuerySet[PscAccessRequest]:
        return queryset.filter(
            Q(family_name__icontains=value) | Q(given_name__icontains=value) | Q(rpps__startswith=value.strip())
        )
