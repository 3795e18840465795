"""The landing page of a person who works for several cells ("Ce qui vous attend"): what waits for them in each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.models import User
from accounts.policies import AUTHENTICATED

from .. import waiting
from .queue import UNANSWERED_PARAM, UNANSWERED_VALUE


@dataclass(frozen=True)
class Column:
    """A kind of count: where it is read on `waiting.CellWaiting`, and the page of the cell that lists it."""

    key: str  # "queue.overdue", "questions"…
    label: str | Promise
    url_name: str
    query: str = ""
    urgent: bool = False  # shown in red when not zero


COLUMNS = (
    Column("queue.overdue", _("Past their deadline"), "referrals:queue", "?deadline=overdue", urgent=True),
    Column("queue.near", _("Deadline in less than 4 hours"), "referrals:queue", "?deadline=near", urgent=True),
    Column("queue.received", _("Not called back yet"), "referrals:queue", "?status=received"),
    Column("queue.in_progress", _("Being called back or qualified"), "referrals:queue", "?status=in_progress"),
    Column("queue.to_validate", _("To validate (QR code)"), "referrals:queue", "?status=to_validate"),
    Column(
        "queue.waiting_supervisor", _("Waiting for the supervisor"), "referrals:queue", "?status=waiting_supervisor"
    ),
    Column("queue.mine", _("Held by you"), "referrals:queue", "?mine=1"),
    Column("queue.in_queue", _("In the queue"), "referrals:queue"),
    Column("questions", _("Questions for the supervising doctor"), "referrals:supervisor_inbox", urgent=True),
    Column(
        "alerts_unanswered",
        _("Alerts nobody accepted"),
        "referrals:queue",
        f"?{UNANSWERED_PARAM}={UNANSWERED_VALUE}",
        urgent=True,
    ),
    Column("alerts_to_answer", _("Alerts waiting for your answer"), "accounts:cell_home", urgent=True),
    Column(
        "messages_failed",
        _("Messages not sent (7 days)"),
        "notifications:outbox",
        "?status=failed&depuis=7",
        urgent=True,
    ),
    Column("access_requests", _("Pro Santé Connect access requests"), "accounts:psc_request_list", "?status=pending"),
)


@dataclass(frozen=True)
class Figure:
    column: Column
    count: int
    url: str

    @property
    def urgent(self) -> bool:
        return self.column.urgent and self.count > 0


def _count(each: waiting.CellWaiting, key: str) -> int | None:
    value: Any = each
    for part in key.split("."):
        value = getattr(value, part)
        if value is None:
            return None
    return int(value)


def table(
    cells: list[waiting.CellWaiting],
) -> tuple[list[Column], list[tuple[waiting.CellWaiting, list[Figure | None]]]]:
    """The columns some cell of the person has (a coordinator sees no access requests' column), and per cell its
    figures in those columns (None: not for the person's roles in that cell)."""
    counts = [(each, [_count(each, column.key) for column in COLUMNS]) for each in cells]
    shown = [i for i in range(len(COLUMNS)) if any(row[i] is not None for _, row in counts)]
    rows = []
    for each, row in counts:
        figures: list[Figure | None] = []
        for i in shown:
            column, count = COLUMNS[i], row[i]
            url = reverse(column.url_name, kwargs={"cell": each.cell.slug}) + column.query
            figures.append(None if count is None else Figure(column, count, url))
        rows.append((each, figures))
    return [COLUMNS[i] for i in shown], rows


class WaitingView(LoginRequiredMixin, TemplateView):
    """Per cell of the person, the counts of what waits for them by their roles there, each linking to the page of
    that cell that lists it. Counts only (no patient named): nothing to write in the access log. The figures
    refresh themselves (htmx) like the queue's rows; the refresh is not activity (accounts.middleware)."""

    permission = AUTHENTICATED
    template_name = "desk/waiting.html"
    REFRESH_SECONDS = 60

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["desk/_waiting_cells.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        assert isinstance(user, User)
        now = timezone.now()
        cells = waiting.waiting_for(user, now)
        columns, rows = table(cells)
        context.update(cells=cells, columns=columns, rows=rows, now=now, refresh_seconds=self.REFRESH_SECONDS)
        return context
