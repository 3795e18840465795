"""The queue: the cell's open requests, with the slots freed that could go to one of them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from agenda.backfill import freed_slots
from audit.recording import record_list
from referrals import selectors
from referrals.models import CareChannel, Urgency
from referrals.states import OPEN, Status
from territory import opening

# The table's refresh (every 30 s) sends back the version of the rows it shows; the same version answers 204, nothing
# to swap (htmx leaves the table as it is), after one light query instead of drawing the rows again.
REFRESH_HEADER, VERSION_HEADER = "X-Aiguillage-Refresh", "X-Aiguillage-Version"


class QueueView(CellMixin, TemplateView):
    """The cell's open requests, most pressing first; the table refreshes itself (htmx) without reloading.

    The rows' version covers what they show: each row's values (status, holder, badges, calls, tags…), how many rows
    there are, who looks (their rights, their language, their filters), and the minute, since every clock counts the
    minutes left: the table is drawn again at least once a minute, and at once when a row changes."""

    permission = Perm.QUEUE_VIEW
    template_name = "referrals/queue.html"
    LIMIT = 200  # the most pressing ones; beyond, the filters narrow the list

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        sent = request.headers.get(VERSION_HEADER)
        if sent and self.is_refresh():
            filters = selectors.QueueFilters.from_params(request.GET)
            rows, total = selectors.queue_rows_key(self.membership, filters, self.LIMIT)
            if sent == self.version(rows, total, filters, timezone.now()):
                return HttpResponse(status=204)  # nothing shown: nothing logged
        return super().get(request, *args, **kwargs)

    def is_refresh(self) -> bool:
        return bool(getattr(self.request, "htmx", False)) and self.request.headers.get(REFRESH_HEADER) == "1"

    def version(self, rows: Sequence[tuple[object, ...]], total: int, filters: Any, now: datetime) -> str:
        user = self.request.user
        seen_by = (user.pk, self.allows(Perm.REQUEST_HANDLE), get_language(), filters, int(now.timestamp() // 60))
        return hashlib.blake2b(repr((rows, total, seen_by)).encode(), digest_size=12).hexdigest()

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
        total = len(shown) if len(shown) < self.LIMIT else requests.count()
        partial = bool(getattr(self.request, "htmx", False))
        context.update(
            requests=shown,
            total=total,
            filters=filters,
            now=now,
            version=self.version([selectors.queue_row_key(row) for row in shown], total, filters, now),
            # Once for the page: each row's closed hours before its deadline, and the banner when closed now.
            closed_now=opening.mark_closed_hours(self.cell, now, shown),
            open_statuses=[(s.value, s.label) for s in Status if s in OPEN],
            care_channels=CareChannel.choices,
            urgencies=Urgency.choices,
            tags=selectors.tags_for_filter(self.cell) if not partial else [],
            can_handle=self.allows(Perm.REQUEST_HANDLE),
            freed=freed_slots(self.cell, now) if not partial else [],
        )
        return context
