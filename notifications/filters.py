from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.filters import CellFilterSet

from .models import Message, MessageKind, MessageStatus


class MessageFilter(CellFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=MessageStatus.choices, empty_label=_("All"))
    kind = django_filters.ChoiceFilter(label=_("What"), choices=MessageKind.choices, empty_label=_("All"))

    class Meta:
        model = Message
        fields = ["q", "status", "kind"]

    def search(self, queryset: QuerySet[Message], name: str, value: str) -> QuerySet[Message]:
        return queryset.filter(Q(to__icontains=value) | Q(subject__icontains=value))
