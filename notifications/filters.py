from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.filters import CellFilterSet

from .models import Message, MessageKind, MessageStatus


class MessageFilter(CellFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=MessageStatus.choices, empty_label=_("All"))
    kind = django_filters.ChoiceFilter(label=_("What"), choices=MessageKind.choices, empty_label=_("All"))
    # "Ce qui vous attend" counts the messages not sent in the last 7 days and opens this list with depuis=7.
    depuis = django_filters.ChoiceFilter(
        label=_("Period"),
        choices=[("7", _("In the last 7 days")), ("30", _("In the last 30 days"))],
        empty_label=_("Whenever"),
        method="since",
    )

    class Meta:
        model = Message
        fields = ["q", "status", "kind", "depuis"]

    def since(self, queryset: QuerySet[Message], name: str, value: str) -> QuerySet[Message]:
        return queryset.filter(created_at__gte=timezone.now() - timedelta(days=int(value)))

    def search(self, queryset: QuerySet[Message], name: str, value: str) -> QuerySet[Message]:
        return queryset.filter(Q(to__icontains=value) | Q(subject__icontains=value))
