"""The queue: the cell's open requests, with the slots freed that could go to one of them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from agenda.backfill import freed_slots
from alerts.selectors import requests_unanswered
from audit.recording import record_list
from referrals import selectors
from referrals.deadlines import time_left
from referrals.models import CareChannel, Urgency
from referrals.states import OPEN, Status
from territory import opening

# The table's refresh (every 30 s) sends back the version of the rows it shows; the same version answers 204, nothing
# to swap (htmx leaves the table as it is), after one light query instead of drawing the rows again.
REFRESH_HEADER, VERSION_HEADER = "X-Aiguillage-Refresh", "X-Aiguillage-Version"


DEADLINE = selectors.QUEUE_ROW_FIELDS.index("deadline_at")
UNANSWERED_PARAM, UNANSWERED_VALUE = "alertes", "sans-preneur"


@dataclass
class _Deadline:
    """A row of the light query as `opening.mark_closed_hours` marks it."""

    deadline_at: datetime
    closed_hours_label: str = ""


def times_of(rows: Sequence[Any], now: datetime) -> list[tuple[object, ...]]:
    """What each row shows that changes with the time alone, minutes aside (the clocks tick in the browser): which
    side of its colour thresholds and of its deadline it is on, and its closed-hours label (the rows marked by
    `opening.mark_closed_hours`). The queue's version changes when one of these would."""
    times: list[tuple[object, ...]] = []
    for row in rows:
        left = time_left(row.deadline_at, now)
        times.append((left.level, left.overdue, row.closed_hours_label))
    return times


class QueueView(CellMixin, TemplateView):
    """The cell's open requests, most pressing first; the table refreshes itself (htmx) without reloading.

    The rows' version covers what they show: each row's values (status, holder, badges, calls, tags…), how many rows
    there are, who looks (their rights, their language, their filters), and what in a row depends on the time: not
    the minutes its clock counts (they tick in the browser, static/js/clock.js), but the side of its thresholds the
    deadline is on (colour level, passed) and its closed-hours label. The table is drawn again when one of those
    changes, and only then."""

    permission = Perm.QUEUE_VIEW
    template_name = "referrals/queue.html"
    # The most pressing ones; beyond, the filters narrow the list. 50: several screens, and a quarter of the time to
    # draw 200 rows (the regional load test: the whole queue page was its slowest call, 310 ms median, with 150 open).
    LIMIT = 50

    def filters(self) -> selectors.QueueFilters:
        """The queue's filters from the query string; `alertes=sans-preneur` ("Ce qui vous attend"'s link) keeps the
        requests whose last alert cascade found nobody."""
        filters = selectors.QueueFilters.from_params(self.request.GET)
        if self.request.GET.get(UNANSWERED_PARAM) == UNANSWERED_VALUE:
            filters = replace(filters, among=requests_unanswered(self.cell.pk))
        return filters

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        sent = request.headers.get(VERSION_HEADER)
        if sent and self.is_refresh():
            filters = self.filters()
            rows, total = selectors.queue_rows_key(self.membership, filters, self.LIMIT)
            now = timezone.now()
            marked = [_Deadline(cast(datetime, row[DEADLINE])) for row in rows]
            opening.mark_closed_hours(self.cell, now, marked)
            if sent == self.version(rows, total, filters, times_of(marked, now)):
                return HttpResponse(status=204)  # nothing shown: nothing logged
        return super().get(request, *args, **kwargs)

    def is_refresh(self) -> bool:
        return bool(getattr(self.request, "htmx", False)) and self.request.headers.get(REFRESH_HEADER) == "1"

    def version(
        self, rows: Sequence[tuple[object, ...]], total: int, filters: Any, times: Sequence[tuple[object, ...]]
    ) -> str:
        user = self.request.user
        seen_by = (user.pk, self.allows(Perm.REQUEST_HANDLE), get_language(), filters)
        return hashlib.blake2b(repr((rows, total, times, seen_by)).encode(), digest_size=12).hexdigest()

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["referrals/_queue_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = self.filters()
        requests = selectors.queue_with_tags(self.membership, filters)
        shown = list(requests[: self.LIMIT])
        record_list(self.request, cell=self.cell, what="queue", requests=shown)
        now = timezone.now()
        total = len(shown) if len(shown) < self.LIMIT else requests.count()
        partial = bool(getattr(self.request, "htmx", False))
        # Once for the page: each row's closed hours before its deadline, and the banner when closed now.
        closed_now = opening.mark_closed_hours(self.cell, now, shown)
        context.update(
            requests=shown,
            total=total,
            filters=filters,
            now=now,
            version=self.version([selectors.queue_row_key(row) for row in shown], total, filters, times_of(shown, now)),
            closed_now=closed_now,
            open_statuses=[(s.value, s.label) for s in Status if s in OPEN],
            care_channels=CareChannel.choices,
            urgencies=Urgency.choices,
            deadlines=list(selectors.DEADLINE_FILTERS.items()),
            unanswered=(UNANSWERED_PARAM, UNANSWERED_VALUE) if filters.among is not None else None,
            tags=selectors.tags_for_filter(self.cell) if not partial else [],
            can_handle=self.allows(Perm.REQUEST_HANDLE),
            freed=freed_slots(self.cell, now) if not partial else [],
        )
        return context
