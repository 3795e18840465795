"""The queue: the cell's open requests, with the slots freed that could go to one of them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from agenda.backfill import freed_slots
from audit.recording import record_list
from referrals import selectors
from referrals.models import CareChannel, Urgency
from referrals.states import OPEN, Status
from territory import opening


class QueueView(CellMixin, TemplateView):
    """The cell's open requests, most pressing first; the table refreshes itself (htmx) without reloading."""

    permission = Perm.QUEUE_VIEW
    template_name = "referrals/queue.html"
    LIMIT = 200  # the most pressing ones; beyond, the filters narrow the list

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["referrals/_queue_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = selectors.QueueFilters.from_params(self.request.GET)
        requests = selectors.queue_with_tags(self.membership, filters)
        shown = list(requests[: self.LIMIT])
        record_list(self.request, cell=self.cell, what="queue", requests=shown)
        now = timezone.now()
        context.update(
            requests=shown,
            total=len(shown) if len(shown) < self.LIMIT else requests.count(),
            filters=filters,
            now=now,
            # Once for the page: each row's closed hours before its deadline, and the banner when closed now.
            closed_now=opening.mark_closed_hours(self.cell, now, shown),
            open_statuses=[(s.value, s.label) for s in Status if s in OPEN],
            care_channels=CareChannel.choices,
            urgencies=Urgency.choices,
            tags=selectors.tags_for_filter(self.cell) if not getattr(self.request, "htmx", False) else [],
            can_handle=self.allows(Perm.REQUEST_HANDLE),
            freed=freed_slots(self.cell, timezone.now()) if not getattr(self.request, "htmx", False) else [],
        )
        return context
