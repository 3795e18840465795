from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from common.views import CellListView, Column

from . import selectors
from .filters import MessageFilter
from .models import Message


class Outbox(CellListView):
    """What the cell sent, to whom, and whether it arrived (in the demo, the place to read the e-mails)."""

    permission = Perm.MESSAGES_VIEW
    filterset_class = MessageFilter
    title = _("Messages sent")
    columns = [
        Column(_("Queued at"), "created_at", link=True),
        Column(_("What"), "kind"),
        Column(_("Recipient"), "to"),
        Column(_("Status"), "status"),
        Column(_("Tries"), "attempts"),
    ]
    detail_url_name = "notifications:message_detail"
    empty_label = _("No message yet.")

    def base_queryset(self) -> QuerySet[Message]:
        return selectors.outbox(self.cell)


class MessageDetail(CellMixin, TemplateView):
    permission = Perm.MESSAGES_VIEW
    template_name = "notifications/message_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        message = selectors.message_for(self.cell, self.kwargs["pk"])
        context.update(title=message.subject, message_sent=message)
        return context
