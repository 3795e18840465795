"""The requests a requester sent."""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from audit.recording import record_list

from .. import selectors


class MyRequests(CellMixin, TemplateView):
    permission = Perm.OWN_REQUESTS
    template_name = "referrals/my_requests.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["requests"] = sent = list(selectors.requests_sent(self.membership)[:200])
        record_list(self.request, cell=self.cell, what="requests_sent", requests=sent)
        return context
