"""The cell's home page: each role has its own; the coordinators' shows the cell's figures beside the queue's."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.views.generic import TemplateView

from accounts import selectors as account_selectors
from accounts.models import Role
from accounts.policies import CellMixin, Perm
from alerts.selectors import running_alerts_for
from referrals.selectors import queue_summary


class CellHome(CellMixin, TemplateView):
    """Each role has its own home page in the cell."""

    permission = Perm.CELL_HOME

    def get_template_names(self) -> list[str]:
        return [f"accounts/home/{self.membership.role}.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.membership.role in (Role.COORDINATOR, Role.SUPERVISOR, Role.CELL_ADMIN):
            context["overview"] = account_selectors.cell_overview(self.cell)
            context["queue"] = queue_summary(self.cell, timezone.now())
            # A coordinator or supervisor who is also an effector of the cell (one login, several roles) still sees
            # the alerts waiting for their answer as an effector ("Ce qui vous attend" links here for them).
            rows = getattr(self.acting, "rows", [self.acting])
            professionals = [row.professional_id for row in rows if row.role == Role.EFFECTOR and row.professional_id]
            context["alerts"] = running_alerts_for(professionals) if professionals else []
        return context
